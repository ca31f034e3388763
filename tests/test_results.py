"""Results computed from what is in the database."""

from decimal import Decimal

from sqlalchemy import select

from competition.auth.models import User
from competition.entries.models import Entry
from competition.events.models import Event
from competition.extensions import db
from competition.judging import scoring as judging
from competition.judging.models import ExternalScore
from competition.judging.scoring import MarkChange
from competition.results.standings import event_results
from tests import builders


def _user(name):
    return db.session.scalar(select(User).where(User.username == name))


def test_results_follow_the_submitted_marks_and_count_only_submitted_sheets(scored_tea):
    """车工 of the small competition (``builders.tea_competition``): theory 30%, the
    practical module 70%, not scored yet."""
    lathe = db.session.scalar(select(Event).where(
        Event.competition_id == scored_tea.competition_id, Event.name == "车工"))
    practical = next(m for m in lathe.modules if m.criteria)
    theory = next(m for m in lathe.modules if not m.criteria)
    entries = judging.assignments(db.session, _user(builders.OTHER_JUDGE))[0].entries[:2]
    for number, entry in enumerate(entries):
        db.session.add(ExternalScore(entry_id=entry.id, module_id=theory.id,
                                     score=Decimal(90 - number * 10)))
        for judge_name in builders.OTHER_JUDGES:
            judge = _user(judge_name)
            sheet = judging.open_sheet(db.session, judge, entry, practical)
            changes = []
            for criterion in practical.criteria:
                if criterion.entry_mode == "measured":
                    value = criterion.nominal
                elif criterion.entry_mode == "pass_fail":
                    value = Decimal(1)
                else:
                    value = criterion.max_points
                changes.append(MarkChange(criterion.id, value))
            judging.save_marks(db.session, judge, sheet, changes)
            if number == 0:
                judging.submit_sheet(db.session, judge, sheet)
    db.session.commit()
    results = {r.entry_id: r for r in event_results(db.session, lathe.id)}
    first, second = entries
    # Entry one: full practical marks (70) and theory 90 × 0.3 = 27.
    assert results[first.id].total == Decimal("97.00") and results[first.id].rank == 1
    # Entry two: its sheets are drafts, so only the imported theory counts: 80 × 0.3.
    assert results[second.id].total == Decimal("24.00")
    unscored = [r for r in results.values() if r.entry_id not in (first.id, second.id)]
    assert unscored and all(r.total == 0 for r in unscored)
    assert db.session.scalar(select(Entry.id).where(Entry.id == first.id))
