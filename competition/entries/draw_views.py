"""Organizers' pages for drawing lots (抽签), the printable draw record, and admission
tickets (准考证) as PDF: one at once, many as a job (``ticket_jobs``). Organizers of the
competition only (and admins).

Endpoints: ``entries.draw``, ``entries.draw_record``, ``entries.ticket``,
``entries.print_tickets`` and ``entries.print_competition_tickets``.
"""

from __future__ import annotations

import io

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select

from competition.auth.models import User
from competition.entries import draws, sessions, ticket_jobs, tickets
from competition.entries.draw_forms import WHOLE_EVENT, DrawForm, TicketsForm
from competition.entries.models import (
    Entry,
    EventSession,
    LotDraw,
    RegistrationStatus,
)
from competition.entries.session_forms import AdditionForm
from competition.entries.views import (
    bp,
    event_for_organizer,
    event_for_reader,
    flash_domain_error,
)
from competition.errors import DomainError
from competition.events.access import competition_for_organizer
from competition.events.models import Division
from competition.extensions import db
from competition.jobs.queue import start_job


@bp.route("/events/<int:event_id>/draw", methods=["GET", "POST"])
@login_required
def draw(event_id: int):
    """The draw per division, and the form to draw for a division or the whole event.
    The competition's supervisors read the page (drawing is the organizers')."""
    event = event_for_organizer(event_id) if request.method == "POST" \
        else event_for_reader(event_id)
    form = DrawForm(divisions=event.divisions)
    if request.method == "GET":
        form.code_prefix.data = draws.default_code_prefix(db.session, event)
    if form.validate_on_submit():
        division = None
        if form.division_id.data != WHOLE_EVENT:
            division = db.session.get(Division, form.division_id.data)
        try:
            record = draws.draw_lots(
                db.session, event, division, current_user, form.code_prefix.data,
                code_digits=form.code_digits.data, redraw=form.confirm_redraw.data,
                note=form.note.data or "")
        except DomainError as error:
            flash_domain_error(error)
        else:
            count = db.session.scalar(select(func.count(Entry.id)).where(
                Entry.draw_id == record.id))
            flash(_("Lots are drawn for %(scope)s: %(count)s entries have a station and a "
                    "code.", scope=division.name if division else event.name, count=count),
                  "success")
            return redirect(url_for("entries.draw", event_id=event.id))
    recorded = db.session.scalars(select(LotDraw).where(LotDraw.event_id == event.id)
                               .order_by(LotDraw.drawn_at.desc(), LotDraw.id.desc())).all()
    in_force = dict(db.session.execute(
        select(Entry.draw_id, func.count(Entry.id))
        .where(Entry.event_id == event.id, Entry.draw_id.is_not(None))
        .group_by(Entry.draw_id)).all())
    states = draws.division_states(db.session, event)
    return render_template(
        "entries/draw.html", event=event, form=form, states=states, draws=recorded,
        in_force=in_force, drawers=_users(d.drawn_by_id for d in recorded),
        divisions={d.id: d for d in event.divisions},
        any_drawn=any(s.any_drawn for s in states),
        marking_started=event.marking_started_at is not None,
        changes=draws.redraw_changes(db.session, event),
        waiting=draws.waiting_for_addition(db.session, event),
        sittings=sessions.sessions_of(db.session, event),
        addition_form=AdditionForm(formdata=None))


@bp.get("/draws/<int:draw_id>")
@login_required
def draw_record(draw_id: int):
    """The printable record of one draw: who drew what, the seed, and that it recomputes.
    The competition's supervisors read it, and countersign it there."""
    lot_draw = db.get_or_404(LotDraw, draw_id)
    event = event_for_reader(lot_draw.event_id)
    record = draws.draw_record(db.session, lot_draw)
    division = db.session.get(Division, lot_draw.division_id) if lot_draw.division_id else None
    drawer = db.session.get(User, lot_draw.drawn_by_id) if lot_draw.drawn_by_id else None
    return render_template("entries/draw_record.html", event=event, record=record,
                           draw=lot_draw, division=division, drawer=drawer)


@bp.get("/entries/<int:entry_id>/ticket.pdf")
@login_required
def ticket(entry_id: int):
    """One contestant's admission ticket (``?size=A4`` or ``A5``)."""
    entry = db.get_or_404(Entry, entry_id)
    event_for_organizer(entry.event_id)
    if entry.status != RegistrationStatus.APPROVED:
        flash(_("Only approved entries get an admission ticket."), "error")
        return redirect(url_for("entries.entry_detail", entry_id=entry.id))
    pdf = tickets.build_pdf([ticket_jobs.entry_ticket(entry)], _size(),
                            title=entry.contestant.name)
    return _pdf_response(pdf, f"{_('Admission ticket')}-{entry.ticket_number or entry.id}.pdf")


@bp.post("/events/<int:event_id>/tickets/print")
@login_required
def print_tickets(event_id: int):
    """Print the event's tickets as a job (``ticket_jobs.event_tickets``): every approved
    entry's that has not withdrawn, or a division's (``division_id``) or a session's
    (``session_id``), on A4 or A5 (``size``); then the job's page."""
    event = event_for_organizer(event_id)
    form = TicketsForm()
    if not form.validate():
        abort(400)
    params = {"event_id": event.id, "size": ticket_jobs.size_of(form.size.data)}
    scope = event.name
    if form.division_id.data:
        division = db.session.get(Division, form.division_id.data)
        if division is None or division.event_id != event.id:
            abort(404)
        params["division_id"] = division.id
        scope += f" · {division.name}"
    if form.session_id.data:
        sitting = db.session.get(EventSession, form.session_id.data)
        if sitting is None or sitting.event_id != event.id:
            abort(404)
        params["session_id"] = sitting.id
        scope += f" · {sitting.name}"
    job = start_job(ticket_jobs.EVENT_TICKETS, event.competition_id, params,
                    scope=f"{scope} · {params['size']}")
    return redirect(url_for("jobs.job", job_id=job.id))


@bp.post("/competitions/<int:competition_id>/tickets/print")
@login_required
def print_competition_tickets(competition_id: int):
    """Print the tickets of every event of the competition as one job."""
    competition = competition_for_organizer(competition_id)
    form = TicketsForm()
    if not form.validate():
        abort(400)
    size = ticket_jobs.size_of(form.size.data)
    job = start_job(ticket_jobs.COMPETITION_TICKETS, competition.id,
                    {"competition_id": competition.id, "size": size},
                    scope=f"{competition.name} · {size}")
    return redirect(url_for("jobs.job", job_id=job.id))


def _size() -> str:
    return ticket_jobs.size_of(request.args.get("size"))


def _pdf_response(pdf: bytes, filename: str):
    response = send_file(io.BytesIO(pdf), mimetype="application/pdf", download_name=filename,
                         as_attachment=False)
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _users(ids) -> dict[int, User]:
    wanted = sorted({i for i in ids if i})
    if not wanted:
        return {}
    return {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(wanted)))}
