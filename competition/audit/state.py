"""Every row a result or a certificate is computed from, kept in step with the audit log.

``AUDITED`` declares, once, the tables that decide results and certificates and the
columns that matter in each. Every write to them through the ORM is recorded in the
audit log as the row's new state (``state.write``, or ``state.delete``) when the
session flushes, with the request's user (``ACTOR_KEY`` in the session's info); a
bulk write records its rows with ``record_rows``. Marks are recorded by the judging
stage itself (``mark.write``, keyed by sheet and criterion), in the same shape.

``verify_state`` compares every declared table with the last state the log holds for
each row, and names every row that differs, that the log does not know, or that the log
knows but the table lost. A table added to ``AUDITED`` later is covered by the same
check and by the test generated from the declaration.

This module knows table and column names only: it imports no stage.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import event as sqlalchemy_event
from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from competition.audit.log import canonical, record
from competition.audit.models import AuditEvent

# The user a session's writes are made for (set per request); None for the command line.
ACTOR_KEY = "audit_actor_id"


@dataclass(frozen=True)
class Audited:
    """A table whose rows decide results: the columns recorded, and how a row is named in
    the log (its id, or the columns of ``key`` joined by ":")."""

    table: str
    columns: tuple[str, ...]
    key: tuple[str, ...] = ("id",)
    # Written with an action of the stage's own (the judging stage's ``mark.write``),
    # not recorded on flush.
    action: str = "state.write"
    object_type: str = ""  # in the log; the table's name unless said

    @property
    def recorded_on_flush(self) -> bool:
        return self.action == "state.write"

    @property
    def logged_as(self) -> str:
        return self.object_type or self.table


AUDITED: tuple[Audited, ...] = (
    Audited("entries", ("event_id", "division_id", "contestant_id", "status", "attendance",
                        "code", "session_id", "station", "replaces_entry_id")),
    Audited("score_sheets", ("entry_id", "module_id", "judge_id", "status", "source",
                             "reopened_for_review")),
    Audited("marks", ("value", "points"), key=("sheet_id", "criterion_id"),
            action="mark.write", object_type="mark"),
    Audited("penalties", ("entry_id", "module_id", "points", "withdrawn_at")),
    Audited("external_scores", ("entry_id", "module_id", "score")),
    Audited("tie_break_decisions", ("entry_id", "position")),
    Audited("publications", ("division_id", "status", "notice_ends_at", "finalized_at")),
    Audited("results", ("entry_id", "publication_id", "module_scores", "penalty_points",
                        "total", "rank", "award", "has_title")),
    Audited("promotions", ("entry_id", "contestant_id", "year", "from_grade", "to_grade",
                           "reverted_at")),
    Audited("promotion_outcomes", ("entry_id", "promoted", "from_grade", "to_grade",
                                   "grade_basis", "misses")),
    Audited("grade_checks", ("contestant_id", "occupation_id", "grade", "confirmed")),
    Audited("certificates", ("promotion_id", "number", "grade", "revoked_at")),
)
BY_TABLE = {audited.table: audited for audited in AUDITED}


def _values(row, names) -> list:
    if isinstance(row, dict):
        return [row[name] for name in names]
    return [getattr(row, name) for name in names]


def _key(audited: Audited, row) -> str:
    return ":".join(str(value) for value in _values(row, audited.key))


def state_of(audited: Audited, row) -> dict:
    """The recorded columns of a row (an ORM object or a dict)."""
    return dict(zip(audited.columns, _values(row, audited.columns), strict=True))


def _actor(session: Session) -> int | None:
    """Who the session writes for: set in its info, else the signed-in user of the
    request being served, else nobody (the command line)."""
    if ACTOR_KEY in session.info:
        return session.info[ACTOR_KEY]
    from flask import has_request_context
    from flask_login import current_user

    if has_request_context() and current_user and current_user.is_authenticated:
        return current_user.id
    return None


def record_rows(session: Session, table: str, rows: Iterable[dict], *,
                actor_id: int | None, event_id: int | None = None) -> None:
    """Record rows written in bulk (without the ORM), all in one record of the log."""
    audited = BY_TABLE[table]
    states = {_key(audited, row): state_of(audited, row) for row in rows}
    if states:
        record(session, actor_id=actor_id, action="state.batch", object_type=table,
               object_id=f"{len(states)} rows", event_id=event_id, new=states)


@sqlalchemy_event.listens_for(Session, "after_flush")
def _record_flushed(session: Session, flush_context) -> None:
    """Record the new state of every declared row the flush wrote or deleted."""
    actor_id = None
    for obj in list(session.new) + list(session.dirty) + list(session.deleted):
        table = getattr(getattr(obj, "__table__", None), "name", None)
        audited = BY_TABLE.get(table)
        if audited is None or not audited.recorded_on_flush:
            continue
        actor_id = actor_id or _actor(session)
        if obj in session.deleted:
            record(session, actor_id=actor_id, action="state.delete", object_type=table,
                   object_id=_key(audited, obj), old=state_of(audited, obj), new=None)
            continue
        if obj not in session.new:
            attributes = inspect(obj).attrs
            if not any(attributes[name].history.has_changes() for name in audited.columns):
                continue
        record(session, actor_id=actor_id, action="state.write", object_type=table,
               object_id=_key(audited, obj), new=state_of(audited, obj))


@dataclass(frozen=True)
class Disagreement:
    table: str
    key: str
    why: str


def _logged_states(session: Session, audited: Audited) -> dict[str, dict | None]:
    """The last recorded state of every row of a table (None: deleted)."""
    logged: dict[str, dict | None] = {}
    rows = session.execute(
        select(AuditEvent.action, AuditEvent.object_id, AuditEvent.new_value)
        .where(AuditEvent.object_type == audited.logged_as,
               AuditEvent.action.in_((audited.action, "state.delete", "state.batch")))
        .order_by(AuditEvent.id))
    for action, object_id, new_value in rows:
        if action == "state.batch":
            for key, state in json.loads(new_value).items():
                logged[key] = state
        else:
            logged[object_id] = json.loads(new_value) if new_value else None
    return logged


def verify_state(session: Session, limit: int = 100) -> list[Disagreement]:
    """Every row of a declared table that disagrees with the log (at most ``limit``)."""
    from competition.extensions import db

    found: list[Disagreement] = []
    for audited in AUDITED:
        table = db.metadata.tables[audited.table]
        logged = _logged_states(session, audited)
        seen = set()
        columns = sorted({*audited.key, *audited.columns})
        for mapping in session.execute(select(*(table.c[name] for name in columns))).mappings():
            row = dict(mapping)
            key = _key(audited, row)
            seen.add(key)
            state = state_of(audited, row)
            if key not in logged or logged[key] is None:
                found.append(Disagreement(audited.table, key,
                                          "the row has no record in the audit log"))
                if len(found) >= limit:
                    return found
                continue
            # A column declared after the row was last recorded is not in its record:
            # the log vouches for the columns it recorded.
            recorded = logged[key] if isinstance(logged[key], dict) else {}
            held = canonical({name: value for name, value in state.items()
                              if name in recorded})
            if held != canonical(recorded):
                found.append(Disagreement(
                    audited.table, key,
                    f"the row holds {held} but the audit log last recorded "
                    f"{canonical(recorded)}"))
            if len(found) >= limit:
                return found
        for key, state in logged.items():
            if state is not None and key not in seen:
                found.append(Disagreement(audited.table, key,
                                          "the audit log records a row that is missing"))
                if len(found) >= limit:
                    return found
    return found



def record_baseline(session: Session) -> dict[str, int]:
    """Record, once, the rows of every declared table that the log does not know yet: the
    rows written before the log recorded them (a database upgraded from an earlier
    version). A table the log already tracks is left alone, so this can never make a row
    changed behind the app's back agree with the log. Returns the rows recorded, by table."""
    from competition.extensions import db

    recorded: dict[str, int] = {}
    for audited in AUDITED:
        if not audited.recorded_on_flush:
            continue  # marks were always recorded by the judging stage
        tracked = session.scalar(select(AuditEvent.id).where(
            AuditEvent.object_type == audited.logged_as,
            AuditEvent.action.in_(("state.write", "state.delete", "state.batch"))).limit(1))
        if tracked is not None:
            continue
        table = db.metadata.tables[audited.table]
        columns = sorted({*audited.key, *audited.columns})
        rows = [dict(row) for row in session.execute(
            select(*(table.c[name] for name in columns))).mappings()]
        if rows:
            record_rows(session, audited.table, rows, actor_id=None)
            recorded[audited.table] = len(rows)
    return recorded
