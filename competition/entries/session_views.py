"""Organizers' pages for sessions (场次), the late addition to a draw (补充抽签), and the
competition's timetable (page and PDF). Sessions and the timetable are read by the
competition's supervisors too; only organizers change them.

Endpoints: ``entries.sessions_page``, ``entries.session_edit``, ``entries.session_delete``,
``entries.draw_addition``, ``entries.timetable`` and ``entries.timetable_pdf``.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import get_timezone, to_user_timezone
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select

from competition.entries import draws, sessions, timetable_pdf
from competition.entries.draw_views import _pdf_response
from competition.entries.models import Entry, EventSession
from competition.entries.session_forms import AdditionForm, SessionForm
from competition.entries.views import bp, event_for_organizer, event_for_reader
from competition.errors import DomainError
from competition.events.access import require_reader_of
from competition.events.forms import ConfirmForm
from competition.events.models import Competition
from competition.extensions import db
from competition.web import flash_domain_error


def _spec(form: SessionForm) -> sessions.SessionSpec:
    zone = get_timezone()
    day = form.day.data
    return sessions.SessionSpec(
        name=form.name.data, room=form.room.data or "", stations=form.stations.data,
        starts_at=sessions.local_datetime(day, form.starts.data, zone),
        ends_at=sessions.local_datetime(day, form.ends.data, zone),
        reporting_at=(sessions.local_datetime(day, form.reporting.data, zone)
                      if form.reporting.data else None))


@bp.route("/events/<int:event_id>/sessions", methods=["GET", "POST"])
@login_required
def sessions_page(event_id: int):
    """The event's sessions, and the form to add one. Supervisors read the page."""
    event = event_for_organizer(event_id) if request.method == "POST" \
        else event_for_reader(event_id)
    rows = sessions.sessions_of(db.session, event)
    form = SessionForm()
    if request.method == "GET":
        form.name.data = _("Session %(n)s", n=len(rows) + 1)
        if rows:
            last = to_user_timezone(rows[-1].starts_at)
            form.day.data, form.room.data = last.date(), rows[-1].room
            form.stations.data = rows[-1].stations
    if form.validate_on_submit():
        try:
            added = sessions.add_session(db.session, event, _spec(form), current_user)
        except DomainError as error:
            flash_domain_error(error)
        else:
            flash(_("Session %(name)s added.", name=added.name), "success")
            return redirect(url_for("entries.sessions_page", event_id=event.id))
    placed = sessions.placed_counts(db.session, event.id)
    problem = sessions.capacity_problem(db.session, event)
    return render_template(
        "entries/sessions.html", event=event, rows=rows, form=form, placed=placed,
        capacity=sum(s.stations for s in rows),
        taking_part=sessions.taking_part_count(db.session, event.id),
        capacity_problem=problem, reporting_time=sessions.reporting_time,
        confirm=ConfirmForm())


@bp.route("/event-sessions/<int:session_id>/edit", methods=["GET", "POST"])
@login_required
def session_edit(session_id: int):
    """Change a session's time, room or stations."""
    row = db.get_or_404(EventSession, session_id)
    event = event_for_organizer(row.event_id)
    form = SessionForm(obj=row)
    if request.method == "GET":
        starts, ends = to_user_timezone(row.starts_at), to_user_timezone(row.ends_at)
        form.day.data, form.starts.data, form.ends.data = starts.date(), starts.time(), \
            ends.time()
        form.reporting.data = to_user_timezone(row.reporting_at).time() \
            if row.reporting_at else None
    if form.validate_on_submit():
        try:
            sessions.update_session(db.session, row, _spec(form), current_user)
        except DomainError as error:
            flash_domain_error(error)
        else:
            flash(_("Changes saved."), "success")
            return redirect(url_for("entries.sessions_page", event_id=event.id))
    return render_template("entries/session_form.html", event=event, row=row, form=form)


@bp.post("/event-sessions/<int:session_id>/delete")
@login_required
def session_delete(session_id: int):
    """Delete a session where no entry is placed."""
    row = db.get_or_404(EventSession, session_id)
    event = event_for_organizer(row.event_id)
    if ConfirmForm().validate_on_submit():
        name = row.name
        try:
            sessions.delete_session(db.session, row, current_user)
        except DomainError as error:
            flash_domain_error(error)
        else:
            flash(_("Session %(name)s deleted.", name=name), "success")
    return redirect(url_for("entries.sessions_page", event_id=event.id))


@bp.post("/events/<int:event_id>/draw/addition")
@login_required
def draw_addition(event_id: int):
    """补充抽签: place the entries approved after the draw; nobody else moves."""
    event = event_for_organizer(event_id)
    form = AdditionForm()
    if form.validate_on_submit():
        try:
            record = draws.add_late_entries(db.session, event, current_user,
                                                   note=form.note.data or "")
        except DomainError as error:
            flash_domain_error(error)
        else:
            count = db.session.scalar(select(func.count(Entry.id)).where(
                Entry.draw_id == record.id))
            flash(_("%(count)s new entries have a station and a code; no other station or "
                    "code changed. Print their admission tickets.", count=count), "success")
            return redirect(url_for("entries.draw_record", draw_id=record.id))
    return redirect(url_for("entries.draw", event_id=event.id))


def _competition_for_reader(competition_id: int) -> Competition:
    require_reader_of(competition_id)
    return db.get_or_404(Competition, competition_id)


@bp.get("/competitions/<int:competition_id>/timetable")
@login_required
def timetable(competition_id: int):
    """Every event's sessions by date and time, with the entries placed in each."""
    competition = _competition_for_reader(competition_id)
    rows = sessions.timetable(db.session, competition)
    return render_template("entries/timetable.html", competition=competition, rows=rows)


@bp.get("/competitions/<int:competition_id>/timetable.pdf", endpoint="timetable_pdf")
@login_required
def timetable_pdf_file(competition_id: int):
    """The timetable as an A4 landscape PDF to pin on the wall."""
    competition = _competition_for_reader(competition_id)
    rows = sessions.timetable(db.session, competition)
    pdf = timetable_pdf.build_pdf(competition, rows)
    return _pdf_response(pdf, f"{competition.name}-{_('Timetable')}.pdf")
