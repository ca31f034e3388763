"""Public self-registration (自主报名) while a competition is open, and its review.

Anyone may register without an account when the organizers turned
``self_registration`` on and the competition's status is ``registration``. The
entry is pending until an organizer approves or rejects it. An approved
contestant gets the link of their private page /r/<token> the usual way: its QR
code is printed on their admission ticket (准考证); organizers also see the link
on the entry's page.

The form is public, so its answer must not tell a stranger whether an ID number
belongs to someone on file. Problems with what was typed (a malformed ID number,
an age outside the event's limits, a bad phone number, a missing field, a
student outside the students' division) are shown beside the fields, and so is
a refusal that is the same for everyone (the event's scores locked). Problems
that depend on who is already on file (``registrations.ON_FILE_PROBLEMS``: the ID
number is registered under another name, the person is already entered in the
event) are never shown: the registration is dropped, nothing is saved, and the
visitor gets the same redirect to the same confirmation page as a registration
that was saved. That page names nobody and shows no private link. Both ways run
``registrations.register``'s checks, with their database lookups, before answering.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from competition.entries import registrations
from competition.entries.models import Entry, EntrySource, RegistrationStatus
from competition.entries.selfreg_forms import ReviewForm, SelfRegistrationForm
from competition.entries.validation import PersonData
from competition.entries.views import bp, flash_domain_error, local_today
from competition.errors import DomainError, Problem, translate_problem
from competition.events.access import require_organizer_of
from competition.events.models import Competition, CompetitionStatus, Division, Event
from competition.extensions import db

# Which form field shows a problem of each column of ``validation.Problem``.
FIELD_OF_COLUMN = {
    "name": "name", "id_number": "id_number", "sex": "id_number", "phone": "phone",
    "current_grade": "current_grade", "division": "division_id",
}


def is_open(competition: Competition) -> bool:
    return (competition.self_registration
            and competition.status == CompetitionStatus.REGISTRATION)


def open_competition(competition_id: int) -> Competition | None:
    competition = db.get_or_404(Competition, competition_id)
    return competition if is_open(competition) else None


def closed_page(competition: Competition):
    return render_template("entries/selfreg_closed.html", competition=competition), 404


def typed_problems(error: DomainError) -> list[Problem]:
    """The problems of a refusal that a member of the public may see: those of what was
    typed, or of the event (its scores locked); never one that depends on who is on file."""
    if not error.problems:
        return [Problem(error.message, error.params)]
    return [p for p in error.problems if p.message not in registrations.ON_FILE_PROBLEMS]


def show_problems(form: SelfRegistrationForm, problems: list[Problem]) -> list[str]:
    """Put each problem beside its field; return those that belong to no field."""
    loose = []
    for problem in problems:
        message = translate_problem(problem)
        name = FIELD_OF_COLUMN.get(problem.column)
        if name:
            form[name].errors.append(message)
        else:
            loose.append(message)
    return loose


def competition_events(competition_id: int) -> list[Event]:
    return list(db.session.scalars(
        select(Event).where(Event.competition_id == competition_id)
        .options(selectinload(Event.divisions)).order_by(Event.position, Event.id)))


def person_of(form: SelfRegistrationForm) -> PersonData:
    return PersonData(
        name=(form.name.data or "").strip(), id_number=form.id_number.data,
        phone=form.phone.data or "", work_unit=(form.work_unit.data or "").strip(),
        current_grade=int(form.current_grade.data) if form.current_grade.data else None,
        current_certificate_no=(form.current_certificate_no.data or "").strip())


def register_quietly(division: Division, form: SelfRegistrationForm) -> list[Problem]:
    """Save the registration, or drop it; return the problems the visitor may see.

    An empty list is the answer "received", whether the registration was saved or
    dropped for a reason that depends on who is on file. A registration that collides
    with one committed at the same moment (the unique keys of contestants, entries and
    ticket numbers) is checked once more against what is now on file, so a race ends
    as the same two registrations would one after the other.
    """
    try:
        return _register_once(division, form)
    except IntegrityError:
        db.session.rollback()
    return _register_once(division, form)


def _register_once(division: Division, form: SelfRegistrationForm) -> list[Problem]:
    try:
        registrations.register(db.session, division.event, division, person_of(form),
                         today=local_today(), source=EntrySource.SELF,
                         status=RegistrationStatus.PENDING, is_student=form.is_student.data)
        db.session.flush()  # the unique keys refuse a racing registration here
    except DomainError as error:
        db.session.rollback()
        return typed_problems(error)
    return []


@bp.route("/competitions/<int:competition_id>/register", methods=["GET", "POST"])
def selfreg(competition_id: int):
    """The public registration form (no account needed)."""
    competition = open_competition(competition_id)
    if competition is None:
        return closed_page(db.session.get(Competition, competition_id))
    form = SelfRegistrationForm(events=competition_events(competition_id))
    loose: list[str] = []
    if form.validate_on_submit():
        division = db.session.get(Division, form.division_id.data)
        problems = register_quietly(division, form)
        if not problems:
            return redirect(url_for("entries.selfreg_done", competition_id=competition_id))
        loose = show_problems(form, problems)
        flash(_("Your registration was not accepted. Please correct the marked fields."),
              "error")
    return render_template("entries/selfreg_form.html", competition=competition, form=form,
                           loose_problems=loose)


@bp.get("/competitions/<int:competition_id>/register/done")
def selfreg_done(competition_id: int):
    """The confirmation: the same page after every accepted form, saved or dropped; it
    names nobody and gives no link (the admission ticket carries it)."""
    competition = db.get_or_404(Competition, competition_id)
    return render_template("entries/selfreg_done.html", competition=competition,
                           can_register_more=is_open(competition))


@bp.get("/competitions/<int:competition_id>/pending")
@login_required
def review(competition_id: int):
    """Pending self-registrations with full details, for the organizers to decide."""
    require_organizer_of(competition_id)
    competition = db.get_or_404(Competition, competition_id)
    entries = db.session.scalars(
        select(Entry).join(Event, Event.id == Entry.event_id)
        .where(Event.competition_id == competition_id,
               Entry.status == RegistrationStatus.PENDING)
        .options(joinedload(Entry.contestant), joinedload(Entry.division),
                 selectinload(Entry.event))
        .order_by(Entry.registered_at, Entry.id)).all()
    return render_template("entries/review.html", competition=competition, entries=entries)


@bp.post("/entries/<int:entry_id>/review")
@login_required
def review_decide(entry_id: int):
    """Approve or reject one pending registration (a rejection needs a note)."""
    entry = db.get_or_404(Entry, entry_id)
    event = db.session.get(Event, entry.event_id)
    require_organizer_of(event.competition_id)
    back = url_for("entries.review", competition_id=event.competition_id)
    form = ReviewForm()
    if not form.validate_on_submit() or not (form.approve.data or form.reject.data):
        flash(_("Choose approve or reject."), "error")
        return redirect(back)
    approve = bool(form.approve.data)
    name = entry.contestant.name
    try:
        registrations.review(db.session, entry, approve=approve,
                       reviewer=current_user._get_current_object(), note=form.note.data or "")
    except DomainError as error:
        flash_domain_error(error)
        return redirect(back)
    if approve:
        flash(_("%(name)s's registration is approved.", name=name), "success")
    else:
        flash(_("%(name)s's registration is rejected.", name=name), "success")
    return redirect(back)
