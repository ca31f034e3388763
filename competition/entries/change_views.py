"""Organizers' changes to a registration, from the entry page: correct (更正报名信息),
withdraw (退赛) and register a substitute (登记替补), each with its reason."""

from __future__ import annotations

from flask import flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from competition import corrections
from competition.entries.forms import CorrectionForm, SubstituteForm, WithdrawForm
from competition.entries.models import Entry
from competition.entries.validation import PersonData
from competition.entries.views import bp, event_for_organizer, flash_domain_error
from competition.errors import DomainError
from competition.events.models import Division
from competition.extensions import db
from competition.timeutil import local_today


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
    db.session.commit()
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
    db.session.commit()
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
    db.session.commit()
    flash(_("%(name)s takes the place of %(withdrawn)s (ticket %(ticket)s).",
            name=substitute.contestant.name, withdrawn=entry.contestant.name,
            ticket=substitute.ticket_number), "success")
    return redirect(url_for("entries.entry_detail", entry_id=substitute.id))
