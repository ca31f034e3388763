"""Admission tickets printed as a job: an event's (all, or a division's or a session's) or a
whole competition's, on A4 (two a page) or A5.

The tickets are those of approved entries that have not withdrawn, in the order of the
rooms: by session and station, then ticket number (a competition's event by event). Only
the entries' ids are read at first; each chunk of ``JOBS_PDF_CHUNK`` tickets is then
loaded, drawn as one ReportLab document and joined to the file before the next is read,
so a print run of 10,000 tickets holds about 500 at a time.
"""

from __future__ import annotations

import os

from flask import current_app, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload, selectinload

from competition.entries import tickets
from competition.entries.models import (
    Attendance,
    Contestant,
    Entry,
    EventSession,
    RegistrationStatus,
)
from competition.events.models import Competition, Division, Event
from competition.jobs.registry import register
from competition.jobs.runner import JobRun

EVENT_TICKETS = "tickets.event"
COMPETITION_TICKETS = "tickets.competition"


def register_jobs() -> None:
    register(EVENT_TICKETS, event_tickets, label=_l("Admission tickets"))
    register(COMPETITION_TICKETS, competition_tickets,
             label=_l("Admission tickets of the whole competition"))


def entry_ticket(entry: Entry) -> tickets.Ticket:
    """The ticket of an entry, its QR code the absolute address of the contestant's page."""
    url = url_for("public.contestant_page", token=entry.token, _external=True)
    return tickets.ticket_for(entry, url, photo=photo_path(entry.contestant))


def photo_path(contestant: Contestant) -> str | None:
    """A contestant's photo file, if one is stored under the instance folder."""
    if not contestant.photo_path:
        return None
    root = os.path.realpath(current_app.instance_path)
    path = os.path.realpath(os.path.join(root, contestant.photo_path))
    if os.path.commonpath([root, path]) != root or not os.path.isfile(path):
        return None
    return path


def printed_entries(*first_by) -> Select:
    """The ids of the entries that get a ticket, by session, station and ticket number
    (after ``first_by``)."""
    return (select(Entry.id).where(Entry.status == RegistrationStatus.APPROVED,
                                   Entry.attendance != Attendance.WITHDRAWN)
            .outerjoin(EventSession, EventSession.id == Entry.session_id)
            .order_by(*first_by, EventSession.position.nulls_last(), Entry.station.nulls_last(),
                      Entry.ticket_number.nulls_last(), Entry.id))


def size_of(value: str | None) -> str:
    """A paper size the tickets print on: A4 unless A5 is asked for."""
    size = (value or "A4").upper()
    return size if size in tickets.SIZES else "A4"


def event_tickets(run: JobRun) -> None:
    """An event's tickets; ``division_id`` or ``session_id`` keeps one division or session."""
    event = run.session.get(Event, run.params["event_id"])
    query = printed_entries().where(Entry.event_id == event.id)
    name = f"{event.name}-{_('Admission ticket')}"
    if run.params.get("division_id"):
        division = run.session.get(Division, run.params["division_id"])
        query = query.where(Entry.division_id == division.id)
        name += f"-{division.name}"
    if run.params.get("session_id"):
        sitting = run.session.get(EventSession, run.params["session_id"])
        query = query.where(Entry.session_id == sitting.id)
        name += f"-{sitting.name}"
    _print(run, query, name, f"{event.name} · {_('Admission ticket')}")


def competition_tickets(run: JobRun) -> None:
    """Every event's tickets, event after event in the competition's order."""
    competition = run.session.get(Competition, run.params["competition_id"])
    query = (printed_entries(Event.position, Event.id).join(Event, Event.id == Entry.event_id)
             .where(Event.competition_id == competition.id))
    _print(run, query, f"{competition.name}-{_('Admission ticket')}",
           f"{competition.name} · {_('Admission ticket')}")


def _print(run: JobRun, query: Select, name: str, title: str) -> None:
    size = size_of(run.params.get("size"))
    ids = list(run.session.scalars(query))
    run.set_total(len(ids))

    def chunks():
        for chunk in run.in_chunks(ids, per_page=2 if size == "A4" else 1):
            loaded = {entry.id: entry for entry in run.session.scalars(
                select(Entry).where(Entry.id.in_(chunk))
                .options(joinedload(Entry.contestant), joinedload(Entry.division),
                         joinedload(Entry.session),
                         selectinload(Entry.event).selectinload(Event.competition)))}
            made = run.counted(entry_ticket(loaded[entry_id]) for entry_id in chunk)
            yield tickets.build_pdf(made, size, title=title)
            run.session.expunge_all()

    run.write_pdf(f"{name}.pdf", chunks(), title=title)
