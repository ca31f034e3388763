"""WorldSkills marking without rounding before the published total, and the method refused
for judgement criteria not marked on the 0–3 scale (docs/design.md section 5).

A WorldSkills criterion's points are the mean of the judges' 0–3 values ÷ 3 × its maximum.
Each mark also keeps its points to four decimals (2 of 3 on a maximum of 1 is 0.6667);
the engine adds up the values instead, and keeps every figure a fraction until the total
is published, so a total is never 0.01 off. Both ways of computing results — the engine
from the judges' marks and the database's sums (``results.standings.kept_marks``) — agree.
"""

from datetime import date
from decimal import Decimal as D  # noqa: N817 — short in tables of cases
from fractions import Fraction

import pytest
from markupsafe import escape
from sqlalchemy import func, select

from competition.dbtypes import utcnow
from competition.entries import registrations as entries
from competition.entries.idcard import make_id_number
from competition.entries.validation import PersonData
from competition.errors import Problem, translate_problem
from competition.events.models import Criterion, Event, Module
from competition.events.scheme import CriterionSpec, ModuleSpec, check_aggregation
from competition.events.setup import event_problems, update_event
from competition.extensions import db
from competition.judging.marks import CriterionRule, points_for
from competition.judging.models import ExternalScore, Mark, ScoreSheet
from competition.results.explain import explain
from competition.results.ranking import (
    CriterionInfo,
    EntryInput,
    JudgeMark,
    ModuleInfo,
    Rules,
    compute,
    unrounded_total,
)
from competition.results.standings import event_inputs, event_results
from tests import builders
from tests.helpers import from_raw_marks

WORLDSKILLS = Rules(aggregation="worldskills")


def scale(judge: int, criterion: int, value: int, maximum: D) -> JudgeMark:
    """A judge's 0–3 mark, with the points the sheet keeps for it (four decimals)."""
    points = points_for(CriterionRule(f"C{criterion}", maximum, "scale_0_3"), D(value))
    return JudgeMark(judge, criterion, points, D(value))


# --- By hand: the engine ---------------------------------------------------------------

THEORY = ModuleInfo(id=1, code="T", kind="theory", weight=D(30))
# Module A, out of 10, weighs 70: two judgement criteria of maximum 1 marked 0–3, and a
# measurement of maximum 8.
PRACTICAL = ModuleInfo(id=2, code="A", kind="practical", weight=D(70), max_score=D(10),
                       criteria=(CriterionInfo(11, D(1), "judgement"),
                                 CriterionInfo(12, D(1), "judgement"),
                                 CriterionInfo(13, D(8), "measurement")))


def hand_entry() -> EntryInput:
    marks = [scale(1, 11, 2, D(1)), scale(2, 11, 2, D(1)), scale(3, 11, 2, D(1)),
             scale(1, 12, 2, D(1)), scale(2, 12, 3, D(1)), scale(3, 12, 3, D(1)),
             JudgeMark(1, 13, D("7.5"))]
    return EntryInput(entry_id=1, division_id=1, marks=marks, external={1: D("80.02")})


def test_a_total_the_rounded_points_published_one_hundredth_too_high():
    # A1: judges 2, 2, 2 → (2 + 2 + 2) × 1 ÷ (3 × 3) = 6/9 = 2/3   (points kept: 0.6667 each)
    # A2: judges 2, 3, 3 → (2 + 3 + 3) × 1 ÷ (3 × 3) = 8/9         (0.6667, 1, 1)
    # A3: 7.5. Module A: 2/3 + 8/9 + 7.5 = 14/9 + 7.5 = 163/18 = 9.0555… of 10 → 90.555…
    # Total: 0.3 × 80.02 + 0.7 × 90.555… = 24.006 + 63.388 888… = 87.394 888… → 87.39.
    # From the kept points instead: A1 (3 × 0.6667)/3 = 0.6667, A2 (0.6667 + 1 + 1)/3 =
    # 0.8889, so 9.0556 of 10 → 90.556 → 24.006 + 63.3892 = 87.3952 → 87.40.
    [result] = compute([THEORY, PRACTICAL], WORLDSKILLS, [hand_entry()])
    assert unrounded_total([THEORY, PRACTICAL], hand_entry(), WORLDSKILLS) == \
        Fraction("24.006") + Fraction(7, 10) * Fraction(163, 18) * 10
    assert result.total == D("87.39")
    assert result.exact_total == D("87.394889")
    assert result.module_scores[2].quantize(D("0.0001")) == D("90.5556")  # shown rounded

    # The same marks' points, averaged as they are kept (the plain mean takes points):
    # the 0.01 the values avoid.
    [mean] = compute([THEORY, PRACTICAL], Rules(aggregation="mean"), [hand_entry()])
    assert mean.total == D("87.40") and mean.exact_total == D("87.395200")


def test_the_explanation_shows_the_values_and_the_exact_points():
    x = explain([THEORY, PRACTICAL], WORLDSKILLS, [hand_entry()], 1)
    first, second, measured = x.modules[1].criteria
    assert first.values_sum == 6 and second.values_sum == 8 and measured.values_sum is None
    assert [m.value for m in second.marks] == [D(2), D(3), D(3)]
    assert [m.points for m in second.marks] == [D("0.6667"), D(1), D(1)]
    assert second.points.quantize(D("1E-20")) == (D(8) / 9).quantize(D("1E-20"))
    assert x.total == D("87.39") and x.exact_total == D("87.394889")


def test_the_total_is_published_from_the_exact_value_not_from_six_decimals():
    # Theory 88.86, weight 30 → 26.658.
    # Module A, out of 21, weight 50: A1 (0–3, maximum 16) judges 1, 1, 0 → 2 × 16 ÷ 9 =
    #   32/9; A2 (measurement) 4 → 68/9 of 21 → 6800/189 of 100; × 0.5 = 3400/189.
    # Module B, out of 17, weight 20: B1 (0–3, maximum 13) judges 1, 0, 0 → 13/9; B2
    #   (measurement) 0.5 → 35/18 of 17 → 1750/153 of 100; × 0.2 = 350/153.
    # 3400/189 + 350/153 = (57800 + 7350)/3213 = 65150/3213 = 20.276 999 688 8…
    # Total: 26.658 + 20.276 999 688 8… = 46.934 999 688 8… → 46.93. Rounded first to six
    # decimals it would be 46.935000, then 46.94; the six decimals shown are cut, not
    # rounded up across the boundary the total does not reach.
    theory = ModuleInfo(id=1, code="T", kind="theory", weight=D(30))
    a = ModuleInfo(id=2, code="A", kind="practical", weight=D(50), max_score=D(21),
                   criteria=(CriterionInfo(21, D(16), "judgement"),
                             CriterionInfo(22, D(5), "measurement")))
    b = ModuleInfo(id=3, code="B", kind="practical", weight=D(20), max_score=D(17),
                   criteria=(CriterionInfo(31, D(13), "judgement"),
                             CriterionInfo(32, D(4), "measurement")))
    marks = [scale(1, 21, 1, D(16)), scale(2, 21, 1, D(16)), scale(3, 21, 0, D(16)),
             JudgeMark(1, 22, D(4)),
             scale(1, 31, 1, D(13)), scale(2, 31, 0, D(13)), scale(3, 31, 0, D(13)),
             JudgeMark(1, 32, D("0.5"))]
    entry = EntryInput(entry_id=1, division_id=1, marks=marks, external={1: D("88.86")})
    assert unrounded_total([theory, a, b], entry, WORLDSKILLS) == \
        Fraction("26.658") + Fraction(65150, 3213)
    [result] = compute([theory, a, b], WORLDSKILLS, [entry])
    assert result.total == D("46.93") and result.exact_total == D("46.934999")


# --- By hand: through the database, both ways ---------------------------------------------

@pytest.fixture
def hand_event(app):
    """The hand-computed entry above, as marks on judges' submitted sheets."""
    organizer = builders.user("organizer", username="ws-organizer")
    competition = builders.competition(organizers=(organizer,))
    event = builders.event(competition, "美发师", aggregation="worldskills", trim_count=0)
    theory = builders.module(event, "T", weight=30, kind="theory", criteria=())
    practical = builders.module(event, "A", weight=70, criteria=(
        ("A1", 1, "judgement"), ("A2", 1, "judgement"), ("A3", 8, "measurement")))
    practical.max_score = D(10)
    for criterion in practical.criteria[:2]:
        criterion.entry_mode = "scale_0_3"
    entry = entries.register(
        db.session, event, event.divisions[0],
        PersonData(name="王芳", id_number=make_id_number("421202", date(1995, 3, 8), 22, "F")),
        today=date(2026, 11, 1))
    db.session.add(ExternalScore(entry_id=entry.id, module_id=theory.id, score=D("80.02")))
    a1, a2, a3 = practical.criteria
    for number, (first, second) in enumerate([(2, 2), (2, 3), (2, 3)]):
        judge = builders.user("judge", username=f"ws-judge{number}")
        sheet = ScoreSheet(entry_id=entry.id, module_id=practical.id, judge_id=judge.id,
                           status="submitted", submitted_at=utcnow())
        db.session.add(sheet)
        db.session.flush()
        for criterion, value in ((a1, first), (a2, second)):
            db.session.add(Mark(sheet_id=sheet.id, criterion_id=criterion.id, value=D(value),
                                points=points_for(CriterionRule(criterion.code, D(1),
                                                                "scale_0_3"), D(value))))
        if number == 0:
            db.session.add(Mark(sheet_id=sheet.id, criterion_id=a3.id, value=D("7.5"),
                                points=D("7.5")))
    db.session.commit()
    return event, entry


def test_the_database_and_the_engine_publish_the_hand_computed_total(hand_event):
    event, entry = hand_event
    [found] = event_results(db.session, event.id)  # the database's sums
    [expected] = from_raw_marks(event.id)  # the engine, from every judge's mark
    assert (found.exact_total, found.total) == (expected.exact_total, expected.total) == (
        D("87.394889"), D("87.39"))
    inputs = event_inputs(db.session, event.id, marks_of=entry.id)
    assert sorted(m.value for m in inputs.entries[0].marks if m.value is not None) == [
        2, 2, 2, 2, 3, 3]
    stored = db.session.scalars(select(Mark.points).order_by(Mark.points)).all()
    assert D("0.6667") in stored  # the sheets keep their four decimals


def test_the_explanation_page_shows_each_judges_value(hand_event, client, auth):
    event, entry = hand_event
    auth.login("ws-organizer")
    page = client.get(f"/entries/{entry.id}/explanation").get_data(as_text=True)
    assert 'data-figure="total">87.39<' in page
    assert page.count("data-value") == 6 and page.count("data-formula") == 2


# --- Refused: the WorldSkills method for judgement criteria not marked 0–3 --------------------

EVENT_FORM = {
    "name": "养老护理员", "divisions": "职工组", "trim_count": "1", "decimals": "2",
    "tie_break": ["more_decimals"], "first_prize_pct": "10", "second_prize_pct": "20",
    "third_prize_pct": "30", "appeal_window_hours": "2", "notice_days": "5",
    "grade_min": "", "grade_max": "",
}


def said(app, message: str, **params) -> str:
    """A message as the pages show it, in the language they are shown in."""
    with app.test_request_context():
        return str(escape(translate_problem(Problem(message, params))))


def stored_event(event_id: int) -> Event:
    db.session.expire_all()
    return db.session.get(Event, event_id)


@pytest.fixture
def marked_in_points(app, login_as):
    """An event of the signed-in organizer whose judgement criterion is marked in points."""
    organizer = login_as("organizer")
    competition = builders.competition(organizers=(organizer,))
    event = builders.event(competition, "养老护理员", aggregation="trimmed_mean")
    builders.module(event, "T", weight=20, kind="theory", criteria=())
    builders.module(event, "A", weight=80, criteria=(("A1", 60, "measurement"),
                                                     ("A2", 40, "judgement")))
    db.session.commit()
    return event


def test_worldskills_is_refused_for_a_judgement_criterion_in_points(app, client,
                                                                    marked_in_points):
    event = marked_in_points
    response = client.post(f"/events/{event.id}/edit", data={
        **EVENT_FORM, "occupation_id": event.occupation_id, "aggregation": "worldskills"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200  # the form again, with why
    assert said(app, "The WorldSkills method needs every judgement criterion marked on the "
                     "0–3 scale: mark the criteria listed 0–3 first, or choose another "
                     "method.") in page
    assert said(app, "Criterion %(code)s of module %(module)s is a judgement criterion not "
                     "marked on the 0–3 scale: with the WorldSkills method every judgement "
                     "criterion is marked 0–3.", code="A2", module="A") in page
    stored = stored_event(event.id)
    assert (stored.aggregation, stored.trim_count) == ("trimmed_mean", 1)  # nothing changed

    # Marked 0–3, the criterion lets the event choose the method.
    a2 = db.session.scalar(select(Criterion).where(Criterion.code == "A2"))
    a2.entry_mode = "scale_0_3"
    db.session.commit()
    response = client.post(f"/events/{event.id}/edit", data={
        **EVENT_FORM, "occupation_id": event.occupation_id, "aggregation": "worldskills"})
    assert response.status_code == 302
    assert stored_event(event.id).aggregation == "worldskills"


def test_an_event_without_criteria_may_choose_worldskills_and_holds_its_criteria_to_it(
        app, client, login_as):
    organizer = login_as("organizer")
    competition = builders.competition(organizers=(organizer,))
    event = builders.event(competition, "美发师")
    module = builders.module(event, "A", weight=100, criteria=())
    db.session.commit()
    response = client.post(f"/events/{event.id}/edit", data={
        **EVENT_FORM, "name": "美发师", "occupation_id": event.occupation_id,
        "aggregation": "worldskills"})
    assert response.status_code == 302
    assert stored_event(event.id).aggregation == "worldskills"

    new = f"/modules/{module.id}/criteria/new"
    judgement = {"code": "A1", "description": "造型整体效果", "max_points": "7",
                 "kind": "judgement", "entry_mode": "points"}
    response = client.post(new, data=judgement)
    assert response.status_code == 200
    assert said(app, "With the WorldSkills method every judgement criterion is marked on the "
                     "0–3 scale: mark criterion %(code)s 0–3, or make it a measurement "
                     "criterion.", code="A1") in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Criterion.id))) == 0  # nothing added

    assert client.post(new, data={**judgement, "entry_mode": "scale_0_3"}).status_code == 302
    assert client.post(new, data={"code": "A2", "description": "用时", "max_points": "3",
                                  "kind": "measurement", "entry_mode": "points"}
                       ).status_code == 302
    a1 = db.session.scalar(select(Criterion).where(Criterion.code == "A1"))
    response = client.post(f"/criteria/{a1.id}/edit", data=judgement)
    assert response.status_code == 200
    db.session.expire_all()
    assert db.session.get(Criterion, a1.id).entry_mode == "scale_0_3"  # not changed
    assert [(c.code, c.entry_mode) for c in db.session.scalars(
        select(Criterion).order_by(Criterion.position))] == [("A1", "scale_0_3"),
                                                            ("A2", "points")]


@pytest.fixture
def token(app, runner):
    builders.user("organizer", username="api-organizer")
    db.session.commit()
    result = runner.invoke(args=["users", "token", "api-organizer", "--label", "省平台"])
    assert result.exit_code == 0, result.output
    return {"Authorization": f"Bearer {result.output.strip()}"}


def test_the_api_refuses_a_scheme_or_a_method_that_do_not_fit(app, client, token):
    owner = db.session.scalar(select(builders.User).where(
        builders.User.username == "api-organizer"))
    competition = builders.competition(organizers=(owner,))
    worldskills = builders.event(competition, "美发师", aggregation="worldskills",
                                 trim_count=0)
    in_points = builders.event(competition, "养老护理员", aggregation="mean")
    builders.module(in_points, "A", weight=100, criteria=(("A1", 100, "judgement"),))
    db.session.commit()
    scheme = {"modules": [{"code": "A", "name": "实操", "kind": "practical", "weight": "100",
                           "criteria": [
        {"code": "A1", "description": "造型", "max_points": "70", "kind": "judgement",
         "entry_mode": "scale_0_3"},
        {"code": "A2", "description": "色彩", "max_points": "30", "kind": "judgement",
         "entry_mode": "points"}]}]}

    response = client.put(f"/api/v1/events/{worldskills.id}/scheme", headers=token,
                          json=scheme)
    assert response.status_code == 422
    [problem] = response.get_json()["problems"]
    assert problem["column"] == "entry_mode"
    assert "A2" in problem["message"] and "A1" not in problem["message"]
    assert db.session.scalar(select(func.count(Module.id)).where(
        Module.event_id == worldskills.id)) == 0  # nothing changed

    response = client.patch(f"/api/v1/events/{in_points.id}", headers=token,
                            json={"aggregation": "worldskills"})
    assert response.status_code == 422
    assert len(response.get_json()["problems"]) == 1
    assert stored_event(in_points.id).aggregation == "mean"


def test_a_definition_with_worldskills_and_criteria_in_points_is_refused(app, client, token):
    document = {
        "format": "yisai-competition", "version": 1,
        "competition": {"name": "赤壁市美发职业技能竞赛", "level": "city", "level_class": 2},
        "events": [{
            "occupation": {"name": "美发师", "code": "4-10-03-01"},
            "divisions": [{"name": "职工组"}], "aggregation": "worldskills",
            "modules": [{"code": "A", "name": "实操", "kind": "practical", "weight": 100,
                         "criteria": [
                             {"code": "A1", "description": "造型", "max_points": 70,
                              "kind": "judgement", "entry_mode": "scale_0_3"},
                             {"code": "A2", "description": "色彩", "max_points": 30,
                              "kind": "judgement"}]}],
        }],
    }
    response = client.post("/api/v1/competitions/import", headers=token,
                           json={"document": document})
    assert response.status_code == 422
    assert [p["column"] for p in response.get_json()["problems"]] == [
        "events[0].modules[0].criteria[1].entry_mode"]
    assert db.session.scalar(select(func.count(Event.id))) == 0


def test_an_event_set_up_before_the_rule_is_told_and_may_still_change_other_settings(app):
    competition = builders.competition()
    event = builders.event(competition, "养老护理员", aggregation="worldskills", trim_count=0)
    builders.module(event, "A", weight=100, criteria=(("A1", 100, "judgement"),))
    db.session.commit()
    assert [(p.message, p.params) for p in event_problems(event)] == [
        ("Criterion %(code)s of module %(module)s is a judgement criterion not marked on the "
         "0–3 scale: with the WorldSkills method every judgement criterion is marked 0–3.",
         {"code": "A1", "module": "A"})]
    update_event(db.session, event, venue="咸宁职业技术学院")
    assert event.venue == "咸宁职业技术学院"


def test_the_rule_on_its_own():
    judgement = CriterionSpec("A1", "造型", D(7), "judgement", "points", row=3)
    on_scale = CriterionSpec("A2", "色彩", D(3), "judgement", "scale_0_3")
    measured = CriterionSpec("A3", "用时", D(1), "measurement", "points")
    modules = [ModuleSpec("A", "实操", "practical", D(100), D(11),
                          [judgement, on_scale, measured])]
    assert check_aggregation("mean", modules) == []
    [problem] = check_aggregation("worldskills", modules)
    assert (problem.row, problem.column, problem.params) == (
        3, "entry_mode", {"code": "A1", "module": "A"})
