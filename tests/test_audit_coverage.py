"""``flask audit verify`` names every row changed behind the app's back, in every table
declared to decide results (``audit.state.AUDITED``): the cases are generated from the
declaration, so a table declared later is covered without a new test — and a declared
table the world below has no row of fails here until it has one."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Boolean, DateTime, Integer, Numeric, String, select, update
from sqlalchemy.types import JSON

from competition.audit.state import AUDITED, Audited
from competition.entries.models import Contestant, Entry
from competition.events.models import Module
from competition.extensions import db
from competition.grades import held
from competition.integrity import verify_database
from competition.judging import scoring as judging
from competition.judging.models import ExternalScore
from competition.results.models import TieBreakDecision
from tests import builders
from tests.helpers import empty_tables, restore_or_build


@pytest.fixture(scope="module")
def world(_shared_app, _snapshots):
    """The demo through every stage, plus what it lacks: a penalty, a theory score and a
    tie-break decision, each written through the app's session."""
    with _shared_app.app_context():
        try:
            restore_or_build(_snapshots, "demo_staged", builders.demo_staged)
            entry = db.session.scalars(select(Entry).where(Entry.code.is_not(None))
                                       .order_by(Entry.id)).first()
            theory = db.session.scalars(select(Module).where(
                Module.event_id == entry.event_id).order_by(Module.position)).first()
            if db.session.scalar(select(ExternalScore.id).limit(1)) is None:
                db.session.add(ExternalScore(entry_id=entry.id, module_id=theory.id,
                                             score=Decimal("88.5")))
            if db.session.scalar(select(TieBreakDecision.id).limit(1)) is None:
                db.session.add(TieBreakDecision(entry_id=entry.id, position=1, reason="抽签"))
            chief = next(u for u in _users() if u.username == "chief2")
            lathe_entry = judging.scoreable_entries(db.session, _lathe_id())[0]
            judging.add_penalty(db.session, chief, lathe_entry, Decimal(2), "未穿戴防护用品")
            declared = db.session.scalars(select(Entry).join(Entry.contestant).where(
                Contestant.current_grade.is_not(None)).order_by(Entry.id)).first()
            organizer = next(u for u in _users() if u.username == "organizer")
            held.check_declared_grade(db.session, organizer, declared, confirmed=True,
                                      note="现场查验原件")
            db.session.commit()
            assert verify_database(db.session).intact
            yield
        finally:
            db.session.rollback()
            empty_tables()
            db.session.remove()


def _users():
    from competition.auth.models import User

    return db.session.scalars(select(User)).all()


def _lathe_id() -> int:
    from competition.events.models import Event

    return db.session.scalar(select(Event.id).where(Event.name == "车工").order_by(Event.id))


def _allowed_values(table, column) -> list[str]:
    """The values a CHECK constraint allows the column, if one lists them."""
    for constraint in table.constraints:
        text = str(getattr(constraint, "sqltext", ""))
        if text.startswith(f"{column.name} IN"):
            return re.findall(r"'([^']*)'", text)
    return []


def _changed(table, column, value):
    """A different value the column accepts."""
    kind = column.type
    if isinstance(kind, Boolean):
        return not value
    if isinstance(kind, DateTime):
        return (value or db.func.now()) if value is None else value + timedelta(days=1)
    if isinstance(kind, Numeric):
        return Decimal(value) + 1
    if isinstance(kind, Integer):
        return value - 1 if value and value > 1 else (value or 0) + 1
    if isinstance(kind, JSON):
        return {"0": "1"}
    if isinstance(kind, String):
        allowed = [v for v in _allowed_values(table, column) if v != value]
        if allowed:
            return allowed[0]
        return (value or "")[:-1] + ("X" if not (value or "").endswith("X") else "Y")
    raise AssertionError(f"no way to change {table.name}.{column.name} ({kind})")


def _target(audited: Audited):
    """The column to change: the first recorded one that refers to no other row."""
    table = db.metadata.tables[audited.table]
    for name in audited.columns:
        if not table.c[name].foreign_keys:
            return table, table.c[name]
    return table, table.c[audited.columns[0]]


@pytest.mark.parametrize("audited", AUDITED, ids=[a.table for a in AUDITED])
def test_a_row_changed_behind_the_apps_back_is_named(world, audited):
    table, column = _target(audited)
    row = db.session.execute(select(table).order_by(*table.primary_key.columns)
                             .limit(1)).mappings().first()
    assert row is not None, f"the world has no row of {audited.table}: give it one"
    key = ":".join(str(row[name]) for name in audited.key)
    where = [table.c[name] == row[name] for name in table.primary_key.columns.keys()]
    try:
        db.session.execute(update(table).where(*where).values(
            {column.name: _changed(table, column, row[column.name])}))
        verdict = verify_database(db.session)
        assert not verdict.intact
        assert any(p.startswith(f"{audited.table} {key}:") for p in verdict.problems), \
            verdict.problems
    finally:
        db.session.rollback()


def test_the_untouched_world_verifies(world):
    verdict = verify_database(db.session)
    assert verdict.intact, verdict.problems
    assert verdict.records > 0


def test_a_marks_points_changed_without_its_value_are_named(world):
    """Points follow from the value by the criterion's rule; the log holds the points too,
    and the rule says what they must be."""
    from competition.judging.models import Mark

    mark = db.session.scalars(select(Mark).order_by(Mark.id)).first()
    try:
        db.session.execute(update(Mark.__table__).where(Mark.__table__.c.id == mark.id)
                           .values(points=Decimal(mark.points) + Decimal("0.5")))
        problems = verify_database(db.session).problems
        key = f"marks {mark.sheet_id}:{mark.criterion_id}:"
        assert any(p.startswith(key) and "by its criterion's rule" in p for p in problems)
        assert any(p.startswith(key) and "audit log last recorded" in p for p in problems)
    finally:
        db.session.rollback()


def test_a_row_deleted_behind_the_apps_back_is_named(world):
    from competition.judging.models import Penalty

    penalty = db.session.scalars(select(Penalty)).first()
    try:
        db.session.execute(Penalty.__table__.delete().where(Penalty.__table__.c.id == penalty.id))
        problems = verify_database(db.session).problems
        assert f"penalties {penalty.id}: the audit log records a row that is missing" in problems
    finally:
        db.session.rollback()


def test_the_chain_head_at_publication_is_on_the_notice_and_the_results_page(_shared_app,
                                                                             world):
    import io

    from pypdf import PdfReader

    from competition.audit.models import AuditEvent
    from competition.results.models import Publication

    publication = db.session.scalars(select(Publication).order_by(Publication.id)).first()
    published = db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "results.publish",
        AuditEvent.object_id == str(publication.division_id)))
    client = _shared_app.test_client()
    page = client.get(f"/results/divisions/{publication.division_id}").get_data(as_text=True)
    assert "公示时审计链校验值" in page and published.hash in page
    pdf = client.get(f"/divisions/{publication.division_id}/notice.pdf").data
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert published.hash in text.replace("\n", "")


def test_a_log_rewritten_without_the_key_does_not_verify(world):
    """Someone with the database but not AUDIT_KEY recomputes the chain with their own key:
    the first record already fails."""
    import hashlib
    import hmac

    from competition.audit.log import GENESIS, verify_chain
    from competition.audit.models import AuditEvent

    table = AuditEvent.__table__
    try:
        previous = GENESIS
        for row in db.session.execute(select(table).order_by(table.c.id).limit(50)).all():
            fields = dict(row._mapping, prev_hash=previous)
            payload = "\x1f".join([
                previous, row.occurred_at.replace(tzinfo=None).isoformat(
                    timespec="microseconds"), str(row.actor_id or ""), row.action,
                row.object_type, row.object_id, str(row.event_id or ""), row.old_value,
                row.new_value, row.reason]).encode()
            fields["hash"] = hmac.new(b"a guessed key", payload, hashlib.sha256).hexdigest()
            db.session.execute(update(table).where(table.c.id == row.id).values(
                prev_hash=fields["prev_hash"], hash=fields["hash"]))
            previous = fields["hash"]
        broken = verify_chain(db.session)
        first = db.session.scalar(select(table.c.id).order_by(table.c.id).limit(1))
        assert broken is not None and broken.record_id == first
    finally:
        db.session.rollback()


def test_a_published_list_that_no_longer_follows_from_its_inputs_is_named(world):
    """A penalty's points and the log's record of it both rewritten (as by someone holding
    the key): the rows agree with the log, but the published list no longer follows."""
    from competition.results.models import Publication, Result

    published = db.session.scalars(select(Publication).order_by(Publication.id)).first()
    result = db.session.scalars(select(Result).where(
        Result.publication_id == published.id).order_by(Result.id)).first()
    try:
        db.session.execute(update(Result.__table__).where(Result.__table__.c.id == result.id)
                           .values(total=Decimal(result.total) + 5))
        problems = verify_database(db.session).problems
        assert any(p.startswith(f"publications {published.id}: the published results")
                   and str(result.entry_id) in p for p in problems), problems
    finally:
        db.session.rollback()


def test_a_column_declared_after_a_row_was_recorded_does_not_break_the_check(world):
    """A database upgraded to a version that declares one more column (a promotion's
    ``reverted_at``): rows recorded before hold no value for it, and the log vouches
    for the columns it recorded."""
    import json

    from competition.audit.models import AuditEvent
    from competition.audit.state import verify_state
    from competition.grades.models import Promotion

    promotion = db.session.scalars(select(Promotion).order_by(Promotion.id)).first()
    last = db.session.scalars(select(AuditEvent).where(
        AuditEvent.object_type == "promotions", AuditEvent.object_id == str(promotion.id))
        .order_by(AuditEvent.id.desc())).first()
    try:
        state = json.loads(last.new_value)
        del state["reverted_at"]
        db.session.execute(update(AuditEvent).where(AuditEvent.id == last.id)
                           .values(new_value=json.dumps(state)))
        assert not [d for d in verify_state(db.session) if d.table == "promotions"]
        db.session.execute(update(Promotion).where(Promotion.id == promotion.id)
                           .values(to_grade=promotion.to_grade + 1))
        assert [d.key for d in verify_state(db.session) if d.table == "promotions"] == [
            str(promotion.id)]
    finally:
        db.session.rollback()
