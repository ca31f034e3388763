"""The organizer's changes to a registration that may reach the later stages: attendance
marked at check-in (a correction once the scores are locked), and correcting (更正报名信息),
withdrawing (退赛) and registering a substitute (登记替补) from the entry page, each with
its reason. The pages are on the entries blueprint; the rules are
``corrections.registration_changes``.
"""

from __future__ import annotations

from flask import flash, jsonify, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from competition.corrections import registration_changes as corrections
from competition.entries.checkin_forms import AttendanceForm
from competition.entries.checkin_views import attendance_counts, checked_in_time, entry_json
from competition.entries.forms import CorrectionForm, SubstituteForm, WithdrawForm
from competition.entries.models import Attendance, Entry
from competition.entries.validation import PersonData
from competition.entries.views import bp
from competition.errors import DomainError
from competition.events.access import event_for_organizer
from competition.events.models import Division
from competition.extensions import db
from competition.timeutil import local_today
from competition.web import flash_domain_error

# --- Check-in -----------------------------------------------------------------------------

MARKED = {
    Attendance.PRESENT: lambda name: _("%(name)s is checked in.", name=name),
    Attendance.ABSENT: lambda name: _("%(name)s is marked absent.", name=name),
    Attendance.WITHDRAWN: lambda name: _("%(name)s has withdrawn.", name=name),
}


@bp.post("/entries/<int:entry_id>/attendance")
@login_required
def checkin_mark(entry_id: int):
    """到场 / 缺考 / 弃权: JSON for the page's fetch, a redirect for a plain form post."""
    entry = db.get_or_404(Entry, entry_id)
    event = event_for_organizer(entry.event_id)
    wants_json = request.accept_mimetypes.best == "application/json"
    form = AttendanceForm()
    back = url_for("entries.checkin", event_id=event.id, q=form.q.data or None)
    if not form.validate_on_submit():
        message = _("Choose present, absent or withdrawn.")
        if wants_json:
            return jsonify(error=message), 400
        flash(message, "error")
        return redirect(back)
    name = entry.contestant.name
    already = (form.attendance.data == Attendance.PRESENT
               and entry.attendance == Attendance.PRESENT and entry.checked_in_at is not None)
    if already:
        # A second scan keeps the first time: it is when the contestant arrived.
        message = _("%(name)s was already checked in at %(time)s.", name=name,
                    time=checked_in_time(entry))
    else:
        try:
            corrections.change_attendance(db.session, entry, form.attendance.data,
                                          actor=current_user, reason=form.reason.data or "")
        except DomainError as error:
            if wants_json:
                db.session.rollback()
                return jsonify(error=error.translated()), 409
            flash_domain_error(error)
            return redirect(back)
        message = MARKED[Attendance(form.attendance.data)](name)
    if wants_json:
        return jsonify(ok=True, already=already, message=message, entry=entry_json(entry),
                       counts=attendance_counts(event.id))
    flash(message, "success")
    return redirect(back)


# --- Changes to a registration ------------------------------------------------------------

def _entry_for_organizer(entry_id: int) -> Entry:
    entry = db.get_or_404(Entry, entry_id)
    event_for_organizer(entry.event_id)
    return entry


def _flash_form_errors(form) -> None:
    for field in form:
        for error in field.errors:
            flash(f"{field.label.text}：{error}", "error")


def _back(entry: Entry):
    return redirect(url_for("entries.entry_detail", entry_id=entry.id))


@bp.post("/entries/<int:entry_id>/correct")
@login_required
def entry_correct(entry_id: int):
    entry = _entry_for_organizer(entry_id)
    form = CorrectionForm(divisions=entry.event.divisions)
    if not form.validate_on_submit():
        _flash_form_errors(form)
        return _back(entry)
    try:
        warnings = corrections.correct_registration(
            db.session, entry, actor=current_user, reason=form.reason.data,
            today=local_today(), name=form.name.data, work_unit=form.work_unit.data or "",
            phone=form.phone.data or "", division=db.session.get(Division, form.division_id.data))
    except DomainError as error:
        flash_domain_error(error)
        return _back(entry)
    flash(_("The registration of %(name)s is corrected.", name=entry.contestant.name),
          "success")
    for warning in warnings:
        flash(_(warning.message, **warning.params), "warning")
    return _back(entry)


@bp.post("/entries/<int:entry_id>/withdraw")
@login_required
def entry_withdraw(entry_id: int):
    entry = _entry_for_organizer(entry_id)
    form = WithdrawForm()
    if not form.validate_on_submit():
        _flash_form_errors(form)
        return _back(entry)
    try:
        corrections.withdraw(db.session, entry, actor=current_user, reason=form.reason.data)
    except DomainError as error:
        flash_domain_error(error)
        return _back(entry)
    flash(_("%(name)s has withdrawn from the competition.", name=entry.contestant.name),
          "success")
    return _back(entry)


@bp.post("/entries/<int:entry_id>/substitute")
@login_required
def entry_substitute(entry_id: int):
    entry = _entry_for_organizer(entry_id)
    form = SubstituteForm()
    if not form.validate_on_submit():
        _flash_form_errors(form)
        return _back(entry)
    person = PersonData(
        name=form.name.data, id_number=form.id_number.data, phone=form.phone.data or "",
        work_unit=(form.work_unit.data or "").strip(),
        current_grade=int(form.current_grade.data) if form.current_grade.data else None,
        current_certificate_no=(form.current_certificate_no.data or "").strip())
    try:
        substitute = corrections.substitute(db.session, entry, person, actor=current_user,
                                            reason=form.reason.data, today=local_today())
    except DomainError as error:
        flash_domain_error(error)
        return _back(entry)
    flash(_("%(name)s takes the place of %(withdrawn)s (ticket %(ticket)s).",
            name=substitute.contestant.name, withdrawn=entry.contestant.name,
            ticket=substitute.ticket_number), "success")
    return redirect(url_for("entries.entry_detail", entry_id=substitute.id))
