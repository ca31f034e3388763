"""The audit log: chained records, and `flask audit verify` catching direct edits."""

from decimal import Decimal

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from competition.audit.log import GENESIS, canonical, record, verify_chain
from competition.audit.models import AuditEvent
from competition.extensions import db
from tests import builders


def _three_records():
    judge = builders.user("judge", username="caipan")
    for value in ("7.5", "8", "6.25"):
        record(db.session, actor_id=judge.id, action="penalty.add", object_type="penalty",
               object_id=1, old=None, new={"points": Decimal(value)}, reason="超时")
    db.session.commit()
    return db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()


def test_records_are_chained_by_hash(app):
    rows = _three_records()
    assert rows[0].prev_hash == GENESIS
    assert [r.prev_hash for r in rows[1:]] == [r.hash for r in rows[:-1]]
    assert verify_chain(db.session) is None


def test_canonical_values_do_not_depend_on_key_order_or_trailing_zeros():
    assert canonical({"b": 1, "a": Decimal("8.50")}) == canonical({"a": Decimal("8.5"), "b": 1})
    assert canonical(None) == "" and canonical({"v": Decimal("8.00")}) == '{"v":"8"}'


def test_a_value_changed_in_the_database_is_found(app, runner):
    rows = _three_records()
    db.session.execute(text("UPDATE audit_events SET new_value = :v WHERE id = :id"),
                       {"v": '{"points":"9"}', "id": rows[1].id})
    db.session.commit()
    broken = verify_chain(db.session)
    assert broken is not None and broken.record_id == rows[1].id
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"record {rows[1].id}" in result.output


def test_a_deleted_record_is_found(app, runner):
    rows = _three_records()
    db.session.execute(text("DELETE FROM audit_events WHERE id = :id"), {"id": rows[1].id})
    db.session.commit()
    broken = verify_chain(db.session)
    assert broken is not None and broken.record_id == rows[2].id


def test_verify_passes_on_an_intact_log(app, runner):
    _three_records()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0 and "intact: 3 records" in result.output


@pytest.fixture
def scored_mark(scored_tea):
    """A mark saved through the judging service by a judge of 车工, the small
    competition's event not scored yet (``builders.tea_competition``)."""
    from competition.events.models import Event
    from competition.judging import scoring
    from competition.judging.scoring import MarkChange

    event = db.session.scalar(select(Event).where(
        Event.competition_id == scored_tea.competition_id, Event.name == "车工"))
    judge = db.session.scalar(select(builders.User).where(
        builders.User.username == builders.OTHER_JUDGE))
    entry = scoring.assignments(db.session, judge)[0].entries[0]
    module = next(m for m in event.modules if m.criteria)
    sheet = scoring.open_sheet(db.session, judge, entry, module)
    criterion = module.criteria[0]
    scoring.save_marks(db.session, judge, sheet, [MarkChange(criterion.id, Decimal(3))])
    db.session.commit()
    return sheet, criterion


def test_a_mark_changed_directly_in_the_database_fails_verification(scored_mark, runner):
    sheet, criterion = scored_mark
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0
    db.session.execute(text("UPDATE marks SET value = 5, points = 5 WHERE sheet_id = :s"),
                       {"s": sheet.id})
    db.session.commit()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"marks {sheet.id}:{criterion.id}: the row holds" in result.output


def test_a_mark_deleted_directly_in_the_database_fails_verification(scored_mark, runner):
    sheet, _ = scored_mark
    db.session.execute(text("DELETE FROM marks WHERE sheet_id = :s"), {"s": sheet.id})
    db.session.commit()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1 and "missing" in result.output


def test_old_idempotency_keys_are_forgotten(app, runner):
    from datetime import timedelta

    from competition.dbtypes import utcnow
    from competition.judging.models import IdempotencyKey

    judge = builders.user("judge", username="pingban")
    db.session.add_all([
        IdempotencyKey(key="old", user_id=judge.id, request_hash="x", response={},
                       status_code=200, created_at=utcnow() - timedelta(days=30)),
        IdempotencyKey(key="new", user_id=judge.id, request_hash="y", response={},
                       status_code=200)])
    db.session.commit()
    result = runner.invoke(args=["forget-retries", "--days", "7"])
    assert "Removed 1" in result.output
    assert db.session.scalars(select(IdempotencyKey.key)).all() == ["new"]


def test_a_savepoint_rolled_back_takes_its_records_with_it(app):
    judge = builders.user("judge", username="caipan")
    record(db.session, actor_id=judge.id, action="mark.save", object_type="mark", object_id=1)
    try:
        with db.session.begin_nested():
            record(db.session, actor_id=judge.id, action="mark.save", object_type="mark",
                   object_id=2)
            raise RuntimeError("the nested change fails")
    except RuntimeError:
        pass
    with db.session.begin_nested():
        record(db.session, actor_id=judge.id, action="mark.save", object_type="mark",
               object_id=3)
    db.session.commit()

    rows = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [r.object_id for r in rows] == ["1", "3"]
    assert verify_chain(db.session) is None


def test_a_transaction_rolled_back_leaves_no_record(app):
    judge = builders.user("judge", username="caipan")
    db.session.commit()
    record(db.session, actor_id=judge.id, action="mark.save", object_type="mark", object_id=1)
    db.session.rollback()
    record(db.session, actor_id=judge.id, action="mark.save", object_type="mark", object_id=2)
    db.session.commit()

    rows = db.session.scalars(select(AuditEvent)).all()
    assert [r.object_id for r in rows] == ["2"]
    assert rows[0].prev_hash == GENESIS


def test_a_writer_in_the_middle_of_its_work_does_not_hold_up_another(app):
    """The log is locked only while a transaction commits: one that has recorded a change
    and is still working does not make another writer wait (PostgreSQL)."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite lets one writer in at a time whatever the log does; "
                    "run with TEST_DATABASE_URL=postgresql+psycopg://… to test the lock")
    judge = builders.user("judge", username="caipan")
    db.session.commit()
    slow = Session(db.engine)
    record(slow, actor_id=judge.id, action="mark.save", object_type="mark", object_id=1)
    slow.execute(text("SELECT 1"))  # still working, its transaction open
    with Session(db.engine) as other:
        other.execute(text("SET LOCAL lock_timeout = '2s'"))
        record(other, actor_id=judge.id, action="mark.save", object_type="mark", object_id=2)
        other.commit()  # would fail on the lock timeout if the slow writer held the log
    slow.commit()
    slow.close()

    rows = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [r.object_id for r in rows] == ["2", "1"]  # chained in the order they committed
    assert verify_chain(db.session) is None


def test_the_baseline_records_untracked_tables_once_and_never_hides_a_change(scored_mark,
                                                                            runner):
    """A database from before every row was recorded: ``flask audit baseline`` records the
    tables the log does not track yet, and only those."""
    from competition.audit.models import AuditEvent

    sheet, criterion = scored_mark
    # As an earlier version left it: the sheets' states were never recorded. (Taking the
    # records out breaks the chain here, which a real upgrade does not.)
    db.session.execute(text("DELETE FROM audit_events WHERE object_type = 'score_sheets'"))
    db.session.commit()
    result = runner.invoke(args=["audit", "baseline"])
    assert result.exit_code == 0 and "rows of score_sheets" in result.output
    assert "rows of entries" not in result.output  # already tracked
    assert db.session.scalar(select(AuditEvent.action).where(
        AuditEvent.object_type == "score_sheets").order_by(AuditEvent.id.desc())) \
        == "state.batch"
    again = runner.invoke(args=["audit", "baseline"])
    assert "nothing recorded" in again.output
    db.session.execute(text("UPDATE score_sheets SET reopened_for_review = NOT reopened_for_review "
                            "WHERE id = :s"),
                       {"s": sheet.id})
    db.session.commit()
    assert "nothing recorded" in runner.invoke(args=["audit", "baseline"]).output
    verify = runner.invoke(args=["audit", "verify"])
    assert verify.exit_code == 1 and f"score_sheets {sheet.id}:" in verify.output
