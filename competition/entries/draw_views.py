"""Organizers' pages for drawing lots (抽签), the printable draw record, and admission
tickets (准考证) as PDF. Organizers of the competition only (and admins).

Endpoints: ``entries.draw``, ``entries.draw_record``, ``entries.ticket`` and
``entries.tickets``.
"""

from __future__ import annotations

import io
import os

from flask import abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from competition.auth.models import User
from competition.entries import draws, sessions, tickets
from competition.entries.draw_forms import WHOLE_EVENT, DrawForm
from competition.entries.models import (
    Attendance,
    Contestant,
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
from competition.events.models import Division, Event
from competition.extensions import db


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
    pdf = tickets.build_pdf([_ticket(entry)], _size(), title=entry.contestant.name)
    return _pdf_response(pdf, f"{_('Admission ticket')}-{entry.ticket_number or entry.id}.pdf")


@bp.get("/events/<int:event_id>/tickets.pdf", endpoint="tickets")
@login_required
def tickets_pdf(event_id: int):
    """Every approved entry's ticket that has not withdrawn, by session and station then
    ticket number (``?size=A4|A5``, ``&division_id=`` for one division, ``&session_id=``
    for one session)."""
    event = event_for_organizer(event_id)
    query = (select(Entry).where(Entry.event_id == event.id,
                                 Entry.status == RegistrationStatus.APPROVED,
                                 Entry.attendance != Attendance.WITHDRAWN)
             .outerjoin(EventSession, EventSession.id == Entry.session_id)
             .options(joinedload(Entry.contestant), joinedload(Entry.division),
                      joinedload(Entry.session),
                      selectinload(Entry.event).selectinload(Event.competition))
             .order_by(EventSession.position.nulls_last(), Entry.station.nulls_last(),
                       Entry.ticket_number.nulls_last(), Entry.id))
    division_id = request.args.get("division_id", type=int)
    name = f"{event.name}-{_('Admission ticket')}"
    if division_id:
        division = db.session.get(Division, division_id)
        if division is None or division.event_id != event.id:
            abort(404)
        query = query.where(Entry.division_id == division.id)
        name += f"-{division.name}"
    session_id = request.args.get("session_id", type=int)
    if session_id:
        sitting = db.session.get(EventSession, session_id)
        if sitting is None or sitting.event_id != event.id:
            abort(404)
        query = query.where(Entry.session_id == sitting.id)
        name += f"-{sitting.name}"
    entries = db.session.scalars(query).all()
    pdf = tickets.build_pdf([_ticket(e) for e in entries], _size(),
                            title=f"{event.name} · {_('Admission ticket')}")
    return _pdf_response(pdf, f"{name}.pdf")


def _ticket(entry: Entry) -> tickets.Ticket:
    url = url_for("public.contestant_page", token=entry.token, _external=True)
    return tickets.ticket_for(entry, url, photo=_photo_path(entry.contestant))


def _photo_path(contestant: Contestant) -> str | None:
    """A contestant's photo file, if one is stored under the instance folder."""
    if not contestant.photo_path:
        return None
    root = os.path.realpath(current_app.instance_path)
    path = os.path.realpath(os.path.join(root, contestant.photo_path))
    if os.path.commonpath([root, path]) != root or not os.path.isfile(path):
        return None
    return path


def _size() -> str:
    size = (request.args.get("size") or "A4").upper()
    return size if size in tickets.SIZES else "A4"


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
