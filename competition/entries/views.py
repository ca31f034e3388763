"""Organizers' registration pages: the entries of an event, and one contestant at a time."""

from functools import partial

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from competition.entries import changes, registrations
from competition.entries.forms import (
    CorrectionForm,
    EntryForm,
    SubstituteForm,
    WithdrawForm,
)
from competition.entries.idcard import shown_id_number, shown_phone
from competition.entries.models import Entry
from competition.entries.validation import PersonData
from competition.errors import DomainError
from competition.events import tenancy
from competition.events.access import event_for_organizer, event_for_reader
from competition.events.models import Division, Event
from competition.extensions import db
from competition.timeutil import local_today  # noqa: F401 (used by the other view modules)
from competition.web import flash_domain_error

bp = Blueprint("entries", __name__)


@bp.get("/events/<int:event_id>/entries")
@login_required
def entry_list(event_id: int):
    """Every entry of the event, with full ID numbers and phones for its organizers; its
    supervisors read the list with ID numbers and phones masked."""
    event = event_for_reader(event_id)
    entries = db.session.scalars(
        select(Entry).where(Entry.event_id == event_id)
        .options(joinedload(Entry.contestant), joinedload(Entry.division))
        .order_by(Entry.division_id, Entry.station.nulls_last(), Entry.id)
    ).all()
    counts = dict(db.session.execute(
        select(Entry.status, func.count(Entry.id)).where(Entry.event_id == event_id)
        .group_by(Entry.status)).all())
    return render_template("entries/list.html", event=event, entries=entries, counts=counts,
                           **_shown(sees_contacts(event)))


@bp.route("/events/<int:event_id>/entries/new", methods=["GET", "POST"])
@login_required
def entry_new(event_id: int):
    event = event_for_organizer(event_id)
    form = EntryForm(divisions=event.divisions)
    if form.validate_on_submit():
        person = PersonData(
            name=form.name.data, id_number=form.id_number.data, phone=form.phone.data or "",
            work_unit=(form.work_unit.data or "").strip(),
            current_grade=int(form.current_grade.data) if form.current_grade.data else None,
            current_certificate_no=(form.current_certificate_no.data or "").strip())
        division = db.session.get(Division, form.division_id.data)
        try:
            entry = registrations.register(db.session, event, division, person, today=local_today())
        except DomainError as error:
            flash_domain_error(error)
        else:
            flash(_("%(name)s is registered (ticket %(ticket)s).", name=person.name,
                    ticket=entry.ticket_number), "success")
            return redirect(url_for("entries.entry_new", event_id=event.id))
    return render_template("entries/entry_form.html", event=event, form=form)


@bp.get("/entries/<int:entry_id>")
@login_required
def entry_detail(entry_id: int):
    entry = db.get_or_404(Entry, entry_id)
    event = event_for_reader(entry.event_id)
    contacts = sees_contacts(event)
    forms = {}
    if tenancy.organizes(db.session, current_user, event.competition_id):
        person = entry.contestant
        forms["correct"] = CorrectionForm(
            divisions=event.divisions, formdata=None, name=person.name,
            work_unit=person.work_unit, phone=person.phone, division_id=entry.division_id)
        forms["withdraw"] = WithdrawForm(formdata=None)
        forms["substitute"] = SubstituteForm(formdata=None)
    return render_template("entries/entry.html", entry=entry, event=event,
                           **_shown(contacts), forms=forms,
                           history=changes.history(db.session, entry),
                           replaced_by=changes.substitute_for(db.session, entry),
                           replaces=db.session.get(Entry, entry.replaces_entry_id)
                           if entry.replaces_entry_id else None)


def _shown(contacts: bool) -> dict:
    """For the templates: whether the reader sees contacts whole, and how they see a
    contestant's ID number and phone (``idcard.shown_id_number``, ``shown_phone``)."""
    return {"contacts": contacts,
            "shown_id": partial(shown_id_number, whole=contacts),
            "shown_phone": partial(shown_phone, whole=contacts)}


def sees_contacts(event) -> bool:
    """Whole ID numbers, phones and private links: the competition's organizers only
    (its supervisors read them masked, ``events.tenancy.sees_contacts``)."""
    return tenancy.sees_contacts(db.session, current_user, event.competition_id)



def dashboard_entry_counts(session, *, competitions) -> dict:
    """Each listed competition's number of entries, for the organizer's dashboard (answers
    ``events.views.dashboard_page``; ``competition.handoffs`` connects it)."""
    ids = [c.id for c in competitions]
    return {"entry_counts": dict(session.execute(
        select(Event.competition_id, func.count(Entry.id))
        .join(Entry, Entry.event_id == Event.id)
        .where(Event.competition_id.in_(ids))
        .group_by(Event.competition_id)
    ).all()) if ids else {}}


def competition_entry_counts(session, *, competition, **_page) -> dict:
    """Each event's number of entries, for the competition page (answers
    ``events.views.competition_page``; ``competition.handoffs`` connects it)."""
    return {"entry_counts": dict(session.execute(
        select(Entry.event_id, func.count(Entry.id))
        .join(Event, Event.id == Entry.event_id)
        .where(Event.competition_id == competition.id)
        .group_by(Entry.event_id)
    ).all())}


# More pages of this blueprint, kept in their own modules.
from competition.entries import (  # noqa: E402, F401
    checkin_views,
    draw_views,
    import_views,
    selfreg_views,
    session_views,
)
