"""Public self-registration (自主报名) while a competition is open, and its review.

Anyone may register without an account when the organizers turned
``self_registration`` on and the competition's status is ``registration``. The
entry is pending until an organizer approves or rejects it; the contestant
follows it on their private page /r/<token>, whose link and QR code the
confirmation page gives them.
"""

from __future__ import annotations

import io

import qrcode
from flask import (
    Response,
    abort,
    flash,
    redirect,
    render_template,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from competition.auth.permissions import require_organizer_of
from competition.entries import service
from competition.entries.models import Entry, EntrySource, RegistrationStatus
from competition.entries.selfreg_forms import ReviewForm, SelfRegistrationForm
from competition.entries.validation import PersonData
from competition.entries.views import bp, flash_domain_error, local_today
from competition.errors import DomainError, translate_problem
from competition.events.models import Competition, CompetitionStatus, Division, Event
from competition.events.scheme import N_, Problem
from competition.extensions import db

# The session remembers the last registration of each competition made in this
# browser, so the confirmation page survives a reload without the token in a URL.
SESSION_KEY = "selfreg_tokens"

# Which form field shows a problem of each column of ``validation.Problem``.
FIELD_OF_COLUMN = {
    "name": "name", "id_number": "id_number", "sex": "id_number", "phone": "phone",
    "current_grade": "current_grade", "division": "division_id",
}

# The service names the person an ID number is registered to; a public form must
# not tell a stranger who owns an ID number.
NAME_MISMATCH = "This ID number is already registered for %(name)s, not %(given)s."
ALREADY_ENTERED = "%(name)s is already entered in %(event)s."


def is_open(competition: Competition) -> bool:
    return (competition.self_registration
            and competition.status == CompetitionStatus.REGISTRATION)


def open_competition(competition_id: int) -> Competition | None:
    competition = db.get_or_404(Competition, competition_id)
    return competition if is_open(competition) else None


def closed_page(competition: Competition):
    return render_template("entries/selfreg_closed.html", competition=competition), 404


def public_problem(problem: Problem, given_name: str) -> Problem:
    """A problem as a member of the public may see it: no other person's name."""
    if problem.message == NAME_MISMATCH:
        return Problem(N_("This ID number is already registered under another name. "
                          "Check it, or ask the organizers."), column=problem.column)
    if problem.message == ALREADY_ENTERED:
        return Problem(problem.message, {**problem.params, "name": given_name},
                       column=problem.column)
    return problem


def show_problems(form: SelfRegistrationForm, error: DomainError, given_name: str) -> list[str]:
    """Put each problem beside its field; return those that belong to no field."""
    loose = []
    for problem in error.problems or [Problem(error.message, error.params)]:
        message = translate_problem(public_problem(problem, given_name))
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
        given_name = (form.name.data or "").strip()
        person = PersonData(
            name=given_name, id_number=form.id_number.data, phone=form.phone.data or "",
            work_unit=(form.work_unit.data or "").strip(),
            current_grade=int(form.current_grade.data) if form.current_grade.data else None,
            current_certificate_no=(form.current_certificate_no.data or "").strip())
        try:
            entry = service.register(
                db.session, division.event, division, person, today=local_today(),
                source=EntrySource.SELF, status=RegistrationStatus.PENDING,
                is_student=form.is_student.data)
        except DomainError as error:
            db.session.rollback()
            loose = show_problems(form, error, given_name)
            flash(_("Your registration was not accepted. Please correct the marked fields."),
                  "error")
        else:
            db.session.commit()
            tokens = dict(session.get(SESSION_KEY, {}))
            tokens[str(competition_id)] = entry.token
            session[SESSION_KEY] = tokens
            return redirect(url_for("entries.selfreg_done", competition_id=competition_id))
    return render_template("entries/selfreg_form.html", competition=competition, form=form,
                           loose_problems=loose)


def registered_entry(competition_id: int) -> Entry | None:
    """The entry this browser registered last in the competition, if any."""
    token = session.get(SESSION_KEY, {}).get(str(competition_id))
    if not token:
        return None
    entry = db.session.scalar(
        select(Entry).where(Entry.token == token)
        .options(joinedload(Entry.contestant), joinedload(Entry.division),
                 selectinload(Entry.event)))
    if entry is None or entry.event.competition_id != competition_id:
        return None
    return entry


@bp.get("/competitions/<int:competition_id>/register/done")
def selfreg_done(competition_id: int):
    """The confirmation: the private link and its QR code, to be kept."""
    competition = db.get_or_404(Competition, competition_id)
    entry = registered_entry(competition_id)
    if entry is None:
        return redirect(url_for("entries.selfreg", competition_id=competition_id))
    link = url_for("public.contestant_page", token=entry.token, _external=True)
    return render_template("entries/selfreg_done.html", competition=competition, entry=entry,
                           link=link, can_register_more=is_open(competition))


@bp.get("/competitions/<int:competition_id>/register/qr.png")
def selfreg_qr(competition_id: int):
    """The QR code of the private link just registered, as a PNG (served, not inlined,
    so a Content-Security-Policy need not allow data: images)."""
    entry = registered_entry(competition_id)
    if entry is None:
        abort(404)
    link = url_for("public.contestant_page", token=entry.token, _external=True)
    image = qrcode.make(link, box_size=8, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    response = Response(buffer.getvalue(), mimetype="image/png")
    # The image is the contestant's key: keep it out of shared caches.
    response.headers["Cache-Control"] = "private, no-store"
    return response


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
        service.review(db.session, entry, approve=approve,
                       reviewer=current_user._get_current_object(), note=form.note.data or "")
    except DomainError as error:
        flash_domain_error(error)
        return redirect(back)
    db.session.commit()
    if approve:
        flash(_("%(name)s's registration is approved.", name=name), "success")
    else:
        flash(_("%(name)s's registration is rejected.", name=name), "success")
    return redirect(back)
