"""The database aggregates the judges' marks (``results.standings.kept_marks``) exactly as
the pure engine does (``ranking.aggregate``): every method, any number of judges,
ties among the marks, measurement criteria, drafts and unapproved entries ignored.

One event with marks drawn at random (seeded) is ranked twice for each method: from
what the database aggregated, and by the engine from the raw marks. A second event marks
judgement on the WorldSkills 0–3 scale (maxima whose thirds never end: 7, 0.7, 2.5 …),
where the WorldSkills method adds up the judges' values, not their rounded points.
"""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from competition.dbtypes import utcnow
from competition.entries import registrations as entries
from competition.entries.idcard import make_id_number
from competition.entries.models import Entry
from competition.entries.validation import PersonData
from competition.extensions import db
from competition.judging.marks import CriterionRule, points_for
from competition.judging.models import Mark, ScoreSheet
from competition.results.standings import event_inputs, event_results
from tests import builders
from tests.helpers import from_raw_marks

METHODS = [("mean", 1), ("worldskills", 1), ("median", 1), ("trimmed_mean", 0),
           ("trimmed_mean", 1), ("trimmed_mean", 2)]


@pytest.fixture
def marked_event(app):
    """An event of 30 entries in two divisions and two modules (five criteria, two of
    them measurements), each module of each entry scored by 1 to 7 judges (some sheets
    left in draft), with many equal marks."""
    rng = random.Random(20261202)
    competition = builders.competition("湖北省职业技能大赛")
    event = builders.event(competition, "茶艺师", divisions=("职工组", "学生组"))
    practical = builders.module(event, weight=60, criteria=(
        ("A1", 10, "judgement"), ("A2", 5, "judgement"), ("A3", 4, "measurement")))
    second = builders.module(event, code="B", weight=40, criteria=(
        ("B1", 6, "judgement"), ("B2", 3, "measurement")))
    second.max_score = Decimal(9)
    judges = [builders.user("judge", username=f"judge{n}") for n in range(7)]
    for n in range(30):
        division = event.divisions[n % 2]
        person = PersonData(name=f"选手{n}",
                            id_number=make_id_number("421202", date(1990, 1, 1 + n), 11 + 2 * n,
                                                     "M"))
        entry = entries.register(db.session, event, division, person, today=date(2026, 11, 1),
                                 is_student=division.kind == "student")
        for module, judge in [(m, j) for m in (practical, second)
                              for j in rng.sample(judges, rng.randint(1, 7))]:
            submitted = rng.random() < 0.9
            sheet = ScoreSheet(entry_id=entry.id, module_id=module.id, judge_id=judge.id,
                               status="submitted" if submitted else "draft",
                               submitted_at=utcnow() if submitted else None)
            db.session.add(sheet)
            db.session.flush()
            for criterion in module.criteria:
                # Quarter points from a narrow range: ties at the ends are common.
                points = Decimal(rng.randint(int(criterion.max_points) * 2,
                                             int(criterion.max_points) * 4)) / 4
                db.session.add(Mark(sheet_id=sheet.id, criterion_id=criterion.id,
                                    value=points, points=points))
    waiting = entries.register(
        db.session, event, event.divisions[0],
        PersonData(name="待审", id_number=make_id_number("421202", date(1991, 2, 2), 3, "M")),
        today=date(2026, 11, 1), status="pending")
    sheet = ScoreSheet(entry_id=waiting.id, module_id=practical.id, judge_id=judges[0].id,
                       status="submitted", submitted_at=utcnow())
    db.session.add(sheet)
    db.session.flush()
    db.session.add(Mark(sheet_id=sheet.id, criterion_id=practical.criteria[0].id,
                        value=Decimal(10), points=Decimal(10)))
    db.session.commit()
    return event


@pytest.fixture
def scale_event(app):
    """An event of 24 entries whose judgement criteria are marked on the 0–3 scale
    (maxima 7, 0.7, 2.5, 1 and 0.3), beside a measurement and — as in an event set up
    before WorldSkills required it — one judgement criterion marked in points; each
    module of each entry scored by 1 to 7 judges, some sheets left in draft."""
    rng = random.Random(20261203)
    competition = builders.competition("湖北省职业技能大赛")
    event = builders.event(competition, "美发师")
    first = builders.module(event, weight=70, criteria=(
        ("A1", 7, "judgement"), ("A2", 2, "judgement"), ("A3", 1, "judgement"),
        ("A4", 5, "measurement"), ("A5", 4, "judgement")))
    second = builders.module(event, code="B", weight=30, criteria=(
        ("B1", 1, "judgement"), ("B2", 1, "judgement"), ("B3", 1, "measurement")))
    first.max_score, second.max_score = Decimal(19), Decimal(3)
    maxima = {"A2": Decimal("0.7"), "A3": Decimal("0.3"), "B1": Decimal("2.5"),
              "B2": Decimal("0.3"), "B3": Decimal("0.2")}
    for criterion in (*first.criteria, *second.criteria):
        criterion.max_points = maxima.get(criterion.code, criterion.max_points)
        if criterion.kind == "judgement" and criterion.code != "A5":
            criterion.entry_mode = "scale_0_3"
    first.max_score = sum(c.max_points for c in first.criteria)
    second.max_score = sum(c.max_points for c in second.criteria)
    judges = [builders.user("judge", username=f"judge{n}") for n in range(7)]
    for n in range(24):
        person = PersonData(name=f"选手{n}",
                            id_number=make_id_number("421202", date(1990, 1, 1 + n), 11 + 2 * n,
                                                     "M"))
        entry = entries.register(db.session, event, event.divisions[0], person,
                                 today=date(2026, 11, 1))
        for module, judge in [(m, j) for m in (first, second)
                              for j in rng.sample(judges, rng.randint(1, 7))]:
            submitted = rng.random() < 0.9
            sheet = ScoreSheet(entry_id=entry.id, module_id=module.id, judge_id=judge.id,
                               status="submitted" if submitted else "draft",
                               submitted_at=utcnow() if submitted else None)
            db.session.add(sheet)
            db.session.flush()
            for criterion in module.criteria:
                if criterion.entry_mode == "scale_0_3":
                    value = Decimal(rng.randint(0, 3))
                    points = points_for(CriterionRule(criterion.code, criterion.max_points,
                                                      "scale_0_3"), value)
                else:
                    value = points = criterion.max_points * rng.randint(0, 4) / 4
                db.session.add(Mark(sheet_id=sheet.id, criterion_id=criterion.id,
                                    value=value, points=points))
    db.session.commit()
    return event


@pytest.mark.parametrize(("method", "trim"), METHODS)
def test_the_database_aggregates_the_marks_as_the_engine_does(marked_event, method, trim):
    marked_event.aggregation, marked_event.trim_count = method, trim
    db.session.commit()

    expected = {r.entry_id: (r.exact_total, r.total, r.rank, r.award)
                for r in from_raw_marks(marked_event.id)}
    found = {r.entry_id: (r.exact_total, r.total, r.rank, r.award)
             for r in event_results(db.session, marked_event.id)}

    assert found == expected
    assert len(found) == 30  # the pending entry is not ranked
    assert len({total for total, *_ in found.values()}) > 20  # the marks really differ


def test_the_methods_really_differ_on_these_marks(marked_event):
    """So that the test above could fail: each method ranks these marks differently."""
    totals = set()
    for method, trim in METHODS:
        marked_event.aggregation, marked_event.trim_count = method, trim
        db.session.commit()
        totals.add(tuple(sorted((r.entry_id, r.exact_total)
                                for r in event_results(db.session, marked_event.id))))
    assert len(totals) == 4  # mean = worldskills = trimmed by 0; the other three differ


def test_an_explained_entry_carries_its_judges_marks(marked_event):
    entry_id = db.session.scalars(select(Entry.id).where(Entry.event_id == marked_event.id)
                                  .order_by(Entry.id)).first()
    inputs = event_inputs(db.session, marked_event.id, marks_of=entry_id)
    marks = {e.entry_id: e.marks for e in inputs.entries}
    submitted = db.session.scalar(select(db.func.count()).select_from(Mark).join(ScoreSheet)
                                  .where(ScoreSheet.entry_id == entry_id,
                                         ScoreSheet.status == "submitted"))
    assert len(marks[entry_id]) == submitted > 0
    assert all(not found for other, found in marks.items() if other != entry_id)


@pytest.mark.parametrize(("method", "trim"), METHODS)
def test_the_database_adds_up_0_3_values_as_the_engine_does(scale_event, method, trim):
    """WorldSkills: the database adds each 0–3 criterion's values × its maximum, over 3 ×
    the number of judges, as the engine does; other methods take the points as usual."""
    scale_event.aggregation, scale_event.trim_count = method, trim
    db.session.commit()

    expected = {r.entry_id: (r.exact_total, r.total, r.rank, r.award)
                for r in from_raw_marks(scale_event.id)}
    found = {r.entry_id: (r.exact_total, r.total, r.rank, r.award)
             for r in event_results(db.session, scale_event.id)}

    assert found == expected
    assert len({total for total, *_ in found.values()}) > 18


def test_worldskills_on_these_marks_is_not_the_mean_of_the_rounded_points(scale_event):
    """So that the test above could fail: the values give other totals than the mean of
    the points kept to four decimals (which the mean takes)."""
    totals = {}
    for method in ("mean", "worldskills"):
        scale_event.aggregation = method
        db.session.commit()
        totals[method] = {r.entry_id: r.exact_total
                          for r in event_results(db.session, scale_event.id)}
    differ = [e for e in totals["mean"] if totals["mean"][e] != totals["worldskills"][e]]
    assert len(differ) > 5
    assert all(abs(totals["mean"][e] - totals["worldskills"][e]) < Decimal("0.01")
               for e in differ)
