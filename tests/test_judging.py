"""Judging rules: recusal, marks, locking, reopening, conflicts, spreads, sign-off, audit."""

from decimal import Decimal as D  # noqa: N817 — short in tables of cases

import pytest
from sqlalchemy import func, select

from competition.audit.log import verify_chain
from competition.audit.models import AuditEvent
from competition.auth.models import User
from competition.entries.models import Entry
from competition.events.models import Criterion, Event, Module
from competition.extensions import db
from competition.judging import scoring
from competition.judging.marks import CriterionRule, MarkRefused, points_for
from competition.judging.models import Mark, ScoreSheet
from competition.judging.scoring import JudgingError, MarkChange


@pytest.fixture
def demo(seeded_demo):
    event = db.session.scalar(select(Event).where(Event.name == "养老护理员"))
    return event


def _theory_scores(event) -> None:
    """The theory exam's scores, as imported before the lock."""
    from competition.judging.models import ExternalScore

    for module in event.modules:
        if not module.criteria:
            for entry in scoring.scoreable_entries(db.session, event.id):
                db.session.add(ExternalScore(entry_id=entry.id, module_id=module.id,
                                             score=D(80)))
    db.session.flush()


def user(name: str) -> User:
    return db.session.scalar(select(User).where(User.username == name))


def module(event, code="A") -> Module:
    return next(m for m in event.modules if m.code == code)


def fill(sheet, judge, value_for=lambda c: c.max_points):
    changes = [MarkChange(c.id, value_for(c)) for c in db.session.get(Module, sheet.module_id)
               .criteria]
    return scoring.save_marks(db.session, judge, sheet, changes)


@pytest.mark.parametrize("mode, value, points", [
    ("points", "7.5", "7.5"), ("points", "0", "0"), ("points", "10", "10"),
    ("pass_fail", "1", "10"), ("pass_fail", "0", "0"),
    ("scale_0_3", "2", "6.6667"), ("scale_0_3", "3", "10"),
])
def test_points_for_each_entry_mode(mode, value, points):
    rule = CriterionRule(code="A1", max_points=D(10), entry_mode=mode)
    assert points_for(rule, D(value)) == D(points)


@pytest.mark.parametrize("mode, value", [
    ("points", "10.5"), ("points", "-1"), ("points", "7.555"), ("pass_fail", "0.5"),
    ("scale_0_3", "4"), ("scale_0_3", "1.5"),
])
def test_out_of_range_marks_are_refused(mode, value):
    with pytest.raises(MarkRefused):
        points_for(CriterionRule(code="A1", max_points=D(10), entry_mode=mode), D(value))


def test_a_judge_is_not_offered_entries_of_their_own_work_unit(demo):
    judge3 = user("judge3")  # 柯美玲, 咸宁市社会福利院
    offered = scoring.assignments(db.session, judge3)[0].entries
    units = {e.contestant.work_unit for e in offered}
    assert "咸宁市社会福利院" not in units
    mine = db.session.scalars(select(Entry).join(Entry.contestant).where(
        Entry.event_id == demo.id)).all()
    same_unit = [e for e in mine if e.contestant.work_unit == "咸宁市社会福利院"]
    assert same_unit
    with pytest.raises(JudgingError, match="recused"):
        scoring.open_sheet(db.session, judge3, same_unit[0], module(demo))
    judge1 = user("judge1")
    assert scoring.open_sheet(db.session, judge1, same_unit[0], module(demo)).id


def test_marks_are_checked_saved_audited_and_start_marking(demo):
    judge = user("judge1")
    entry = scoring.assignments(db.session, judge)[0].entries[0]
    sheet = scoring.open_sheet(db.session, judge, entry, module(demo))
    first = module(demo).criteria[0]
    with pytest.raises(JudgingError):
        scoring.save_marks(db.session, judge, sheet,
                           [MarkChange(first.id, first.max_points + 1)])
    assert db.session.scalar(select(func.count(Mark.id))) == 0
    result = scoring.save_marks(db.session, judge, sheet, [MarkChange(first.id, D(4))])
    db.session.commit()
    assert result.applied == [first.id] and result.sheet.version == 2
    assert db.session.get(Event, demo.id).marking_started_at is not None
    audit = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action.not_like("state.%"))).all()
    assert [a.action for a in audit] == ["mark.write"] and audit[0].actor_id == judge.id
    assert verify_chain(db.session) is None


def test_a_change_made_elsewhere_meanwhile_is_a_conflict_not_an_overwrite(demo):
    judge = user("judge1")
    entry = scoring.assignments(db.session, judge)[0].entries[0]
    sheet = scoring.open_sheet(db.session, judge, entry, module(demo))
    criterion = module(demo).criteria[0]
    scoring.save_marks(db.session, judge, sheet, [MarkChange(criterion.id, D(3))])
    # A second device still believes the mark is empty.
    result = scoring.save_marks(db.session, judge, sheet,
                                [MarkChange(criterion.id, D(5), previous=None)])
    assert result.applied == [] and result.conflicts[0]["server_value"] == D(3)
    mark = db.session.scalar(select(Mark))
    assert mark.value == D(3)


def test_submit_locks_and_only_the_chief_reopens_with_a_reason(demo):
    judge = user("judge1")
    entry = scoring.assignments(db.session, judge)[0].entries[0]
    sheet = scoring.open_sheet(db.session, judge, entry, module(demo))
    first = module(demo).criteria[0]
    scoring.save_marks(db.session, judge, sheet, [MarkChange(first.id, D(1))])
    with pytest.raises(JudgingError, match="missing"):
        scoring.submit_sheet(db.session, judge, sheet)
    fill(sheet, judge)
    scoring.submit_sheet(db.session, judge, sheet)
    with pytest.raises(scoring.SheetConflict):
        scoring.save_marks(db.session, judge, sheet, [MarkChange(first.id, D(2),
                                                                 previous=first.max_points)])
    with pytest.raises(JudgingError, match="chief judge"):
        scoring.reopen_sheet(db.session, user("judge2"), sheet, "复核")
    with pytest.raises(JudgingError, match="reason"):
        scoring.reopen_sheet(db.session, user("chief1"), sheet, " ")
    scoring.reopen_sheet(db.session, user("chief1"), sheet, "选手申诉后复核")
    db.session.commit()
    assert db.session.get(ScoreSheet, sheet.id).status == "draft"
    reopen = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "sheet.reopen"))
    assert reopen.reason == "选手申诉后复核" and reopen.actor_id == user("chief1").id


def test_a_spread_above_one_blocks_the_lock_until_rescored(demo):
    crit = module(demo).criteria[0]
    crit.entry_mode = "scale_0_3"
    crit.kind = "judgement"
    db.session.commit()
    judges = [user(f"judge{i}") for i in range(1, 6)]
    chief = user("chief1")
    values = {"judge1": D(0), "judge2": D(2)}
    for judge in judges:
        for entry in scoring.assignments(db.session, judge)[0].entries:
            for mod in scoring.scored_modules(demo):
                sheet = scoring.open_sheet(db.session, judge, entry, mod)

                def value(c, judge=judge):
                    if c.entry_mode == "scale_0_3":
                        return values.get(judge.username, D(1))
                    return c.max_points
                fill(sheet, judge, value)
                scoring.submit_sheet(db.session, judge, sheet)
    db.session.commit()
    state = scoring.progress(db.session, demo)
    assert state.missing == 0
    assert any(f["kind"] == "spread" and f["blocking"] for f in state.flags)
    with pytest.raises(JudgingError, match="differ by more than 1"):
        scoring.lock_event(db.session, chief, demo)
    with pytest.raises(JudgingError, match="after the chief judge locks"):
        scoring.decode(db.session, chief, demo)
    # Re-score: judge2's sheets for that criterion come down to 1.
    for sheet in db.session.scalars(select(ScoreSheet).where(
            ScoreSheet.judge_id == user("judge2").id, ScoreSheet.module_id == crit.module_id)):
        scoring.reopen_sheet(db.session, chief, sheet, "分差大于1，重新评分")
        scoring.save_marks(db.session, user("judge2"), sheet,
                           [MarkChange(crit.id, D(1), previous=D(2))])
        scoring.submit_sheet(db.session, user("judge2"), sheet)
    for sheet in db.session.scalars(select(ScoreSheet).where(
            ScoreSheet.judge_id == user("judge1").id, ScoreSheet.module_id == crit.module_id)):
        scoring.reopen_sheet(db.session, chief, sheet, "分差大于1，重新评分")
        scoring.save_marks(db.session, user("judge1"), sheet,
                           [MarkChange(crit.id, D(1), previous=D(0))])
        scoring.submit_sheet(db.session, user("judge1"), sheet)
    _theory_scores(demo)
    scoring.lock_event(db.session, chief, demo)
    names = scoring.decode(db.session, chief, demo)
    db.session.commit()
    assert names and all(contestant.name for _, contestant in names)
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"mark.write", "sheet.submit", "sheet.reopen", "event.lock",
            "entry.decode"} <= actions
    assert verify_chain(db.session) is None
    any_sheet = db.session.scalar(select(ScoreSheet).limit(1))
    with pytest.raises(JudgingError, match="locked"):
        scoring.reopen_sheet(db.session, chief, any_sheet, "再次")


def test_penalties_need_the_chief_and_a_reason(demo):
    entry = db.session.scalar(select(Entry).where(Entry.event_id == demo.id))
    with pytest.raises(JudgingError, match="chief judge"):
        scoring.add_penalty(db.session, user("judge1"), entry, D(2), "超时")
    with pytest.raises(JudgingError, match="reason"):
        scoring.add_penalty(db.session, user("chief1"), entry, D(2), "")
    penalty = scoring.add_penalty(db.session, user("chief1"), entry, D(2), "操作超时2分钟")
    scoring.withdraw_penalty(db.session, user("chief1"), penalty, "计时有误")
    db.session.commit()
    assert penalty.withdrawn_at is not None
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.action.not_like("state.%"))) == 2


def test_criteria_marked_by_gauge_reading_earn_points_by_tolerance(seeded_demo):
    lathe = db.session.scalar(select(Event).where(Event.name == "车工"))
    judge = user("judge6")
    entry = scoring.assignments(db.session, judge)[0].entries[0]
    sheet = scoring.open_sheet(db.session, judge, entry, module(lathe))
    a1 = db.session.scalar(select(Criterion).where(Criterion.module_id == module(lathe).id,
                                                   Criterion.code == "A1"))
    scoring.save_marks(db.session, judge, sheet, [MarkChange(a1.id, D("38.012"))])
    mark = db.session.scalar(select(Mark))
    assert mark.value == D("38.012") and mark.points == a1.max_points - 2


def test_a_judge_cannot_change_their_paper_sheet_on_the_tablet(demo):
    from competition.judging import paper_sheets

    judge = user("judge1")
    entry = scoring.assignments(db.session, judge)[0].entries[0]
    mod = module(demo)
    paper_sheets.enter_paper_sheet(db.session, user("organizer"), entry, mod, judge,
                            {c.id: c.max_points for c in mod.criteria})
    db.session.commit()
    with pytest.raises(JudgingError, match="on paper"):
        scoring.open_sheet(db.session, judge, entry, mod)
    sheet = db.session.scalar(select(ScoreSheet).where(ScoreSheet.judge_id == judge.id))
    with pytest.raises(JudgingError, match="on paper"):
        scoring.save_marks(db.session, judge, sheet, [MarkChange(mod.criteria[0].id, D(0))])
