"""The pre-flight check: what must be in place before a competition runs (比赛中).

``advance_competition`` refuses the move from registration to running while anything is
missing, and the competition page, the event page and the competition's "ready" badges
show the same list. Checked here, from the set-up stage:

- the competition has events and its contest dates have come (``starts_on`` today or
  earlier);
- every event's marking scheme is complete (``setup.event_problems``), and every
  module judges mark has criteria: only a module without criteria that is theory takes
  imported scores (``results.theory_import``), so a practical module without them
  could not be scored;
- every panel has judges and a chief judge; every member has an account to act with
  in this competition, and an examiner certificate (考评员证) valid to the contest's
  last day.

Stages after set-up add their checks through ``preflight_checks`` (the top-level
``competition.board`` adds entries still without a station; ``competition.handoffs``
connects it), so this module imports none of them. Functions take the session; none
of them changes anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from blinker import Namespace
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from competition.auth.models import User
from competition.errors import N_, Problem
from competition.events.models import (
    Competition,
    Event,
    Module,
    ModuleKind,
    PanelMember,
    PanelRole,
)

_signals = Namespace()
# Sent with the session as sender and ``competition`` and ``events`` (the events being
# checked, their divisions loaded): each receiver returns a list of ``Missing``.
# ``competition.handoffs`` connects the receivers.
preflight_checks = _signals.signal("preflight-checks")


class Kind:
    """What a missing thing is about, so a page can link to where it is fixed."""

    DATES = "dates"
    EVENTS = "events"
    SCHEME = "scheme"
    PANEL = "panel"
    ACCOUNTS = "accounts"
    CERTIFICATES = "certificates"
    DRAW = "draw"


@dataclass(frozen=True)
class Missing:
    """One thing missing before the contest can run: what, and in which event."""

    kind: str
    problem: Problem
    event_id: int | None = None
    where: str = ""  # the event's name; empty for the competition as a whole


def preflight(session: Session, competition: Competition, *, today: date | None = None,
              event_id: int | None = None) -> list[Missing]:
    """Everything missing before ``competition`` can run, in event order; with
    ``event_id``, only that event's. A constant number of queries."""
    if today is None:
        from competition.timeutil import local_today

        today = local_today()
    query = (select(Event).where(Event.competition_id == competition.id)
             .options(selectinload(Event.divisions),
                      selectinload(Event.modules).selectinload(Module.criteria),
                      selectinload(Event.panel).selectinload(PanelMember.expert))
             .order_by(Event.position, Event.id))
    if event_id is not None:
        query = query.where(Event.id == event_id)
    events = list(session.scalars(query))
    missing: list[Missing] = []
    if event_id is None:
        missing.extend(_competition_missing(competition, events, today))
    last_day = competition.ends_on or competition.starts_on or today
    with_account = _experts_with_account(session, competition.id, events)
    for event in events:
        missing.extend(_event_missing(event, with_account, last_day))
    for _receiver, found in preflight_checks.send(session, competition=competition,
                                                  events=events):
        missing.extend(found or [])
    order = {event.id: position for position, event in enumerate(events)}
    missing.sort(key=lambda m: -1 if m.event_id is None else order.get(m.event_id, 0))
    return missing


def _competition_missing(competition: Competition, events: list[Event],
                         today: date) -> list[Missing]:
    missing = []
    if not events:
        missing.append(Missing(Kind.EVENTS, Problem(N_("The competition has no events yet."))))
    if competition.starts_on is None:
        missing.append(Missing(Kind.DATES, Problem(
            N_("The competition has no contest dates yet."))))
    elif competition.starts_on > today:
        missing.append(Missing(Kind.DATES, Problem(
            N_("The contest starts on %(date)s: the competition cannot be running before "
               "then."), {"date": competition.starts_on})))
    return missing


def _experts_with_account(session: Session, competition_id: int,
                          events: list[Event]) -> set[int]:
    """The panel members who have an account to act with in the competition: one scoped
    to it, or their own unscoped account (``accounts.signin.accounts_for``)."""
    expert_ids = {member.expert_id for event in events for member in event.panel}
    if not expert_ids:
        return set()
    return set(session.scalars(select(User.expert_id).where(
        User.expert_id.in_(expert_ids),
        (User.competition_id == competition_id) | User.competition_id.is_(None))))


def _event_missing(event: Event, with_account: set[int], last_day: date) -> list[Missing]:
    from competition.events.setup import event_problems

    def add(kind: str, message: str, **params) -> None:
        missing.append(Missing(kind, Problem(message, params), event.id, event.name))

    missing: list[Missing] = [Missing(Kind.SCHEME, problem, event.id, event.name)
                              for problem in event_problems(event)]
    for module in event.modules:
        if not module.criteria and module.kind != ModuleKind.THEORY:
            add(Kind.SCHEME, N_("Module %(module)s has no criteria: judges would have "
                                "nothing to mark. Only a theory module takes imported "
                                "scores without criteria."), module=module.name)
    members = sorted(event.panel, key=lambda m: (m.role != PanelRole.CHIEF, m.id))
    if not any(m.role == PanelRole.JUDGE for m in members):
        add(Kind.PANEL, N_("The panel has no judges."))
    if not any(m.role == PanelRole.CHIEF for m in members):
        add(Kind.PANEL, N_("The panel has no chief judge."))
    for member in members:
        if member.expert_id not in with_account:
            add(Kind.ACCOUNTS, N_("%(name)s of the panel has no account yet."),
                name=member.expert.name)
    for member in members:
        expires = member.expert.certificate_expires_on
        if expires is None:
            add(Kind.CERTIFICATES, N_("%(name)s has no examiner certificate on record."),
                name=member.expert.name)
        elif expires < last_day:
            add(Kind.CERTIFICATES, N_("The examiner certificate of %(name)s is valid only "
                                      "until %(date)s, before the contest ends."),
                name=member.expert.name, date=expires)
    return missing


def problems_by_event(missing: list[Missing]) -> dict[int | None, list[Problem]]:
    """The problems of each event (None: the competition's own), for the pages."""
    found: dict[int | None, list[Problem]] = {}
    for item in missing:
        found.setdefault(item.event_id, []).append(item.problem)
    return found
