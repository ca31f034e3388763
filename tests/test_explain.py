"""The explanation of an entry's result: pure (against the engine, by hand and generated),
the page, and who may open it."""

from decimal import Decimal as D  # noqa: N817 — short in tables of cases

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from competition.entries.models import Entry
from competition.extensions import db
from competition.results.explain import explain
from competition.results.ranking import (
    HUNDRED,
    ZERO,
    CriterionInfo,
    EntryInput,
    JudgeMark,
    ModuleInfo,
    Rules,
    compute,
)
from competition.results.standings import event_results
from tests import builders

THEORY = ModuleInfo(id=1, code="T", kind="theory", weight=D(30))
PRACTICAL = ModuleInfo(id=2, code="A", kind="practical", weight=D(70), max_score=D(20),
                       criteria=(CriterionInfo(11, D(10), "judgement"),
                                 CriterionInfo(12, D(10), "measurement")))
MODULES = [THEORY, PRACTICAL]


def entry(entry_id, theory, judgement, measured="10", **kw):
    marks = [JudgeMark(j, 11, D(v)) for j, v in enumerate(judgement, start=1)]
    marks.append(JudgeMark(9, 12, D(measured)))
    return EntryInput(entry_id=entry_id, division_id=1, marks=marks,
                      external={1: D(theory)}, **kw)


def test_every_step_of_a_total_computed_by_hand():
    # Trimmed mean of 5, 7, 8, 9, 10 → 8 (judges 1 and 5 dropped); + 10 → 18 of 20 → 90;
    # a 2-point penalty on module A → 16 of 20 → 80. Total 0.3×80 + 0.7×80 − 1.5 = 78.5.
    rules = Rules(aggregation="trimmed_mean")
    mine = entry(1, "80", ["5", "7", "8", "9", "10"], penalties=[(2, D(2)), (None, D("1.5"))])
    x = explain(MODULES, rules, [mine], 1)
    theory, practical = x.modules
    assert theory.imported and theory.score == D(80) and theory.contribution == D(24)
    assert not theory.score_missing
    judgement, measurement = practical.criteria
    assert judgement.method == judgement.applied == "trimmed_mean"
    assert [(m.judge_id, m.counted) for m in judgement.marks] == [
        (1, False), (2, True), (3, True), (4, True), (5, False)]
    assert judgement.points == D(8) and measurement.points == D(10)
    assert measurement.method == "mean"
    assert practical.raw_points == D(18) and practical.scaled == D(90)
    assert practical.penalties == (D(2),) and practical.deduction == D(10)
    assert practical.score == D(80) and practical.contribution == D(56)
    assert x.weighted_sum == D(80) and x.total_penalties == (D("1.5"),)
    assert x.exact_total == D("78.5") and x.total == D("78.50")
    assert x.rank == 1 and x.ranked_count == 1 and x.ties == ()


def test_too_few_marks_to_trim_take_the_median_and_say_so():
    x = explain(MODULES, Rules(aggregation="trimmed_mean"), [entry(1, "80", ["4", "8"])], 1)
    criterion = x.modules[1].criteria[0]
    assert criterion.method == "trimmed_mean" and criterion.applied == "median"
    assert criterion.points == D(6) and all(m.counted for m in criterion.marks)
    x = explain(MODULES, Rules(aggregation="median"), [entry(1, "80", ["9", "1", "5"])], 1)
    assert [(m.points, m.counted) for m in x.modules[1].criteria[0].marks] == [
        (D(1), False), (D(5), True), (D(9), False)]


def test_ties_say_which_step_decided():
    rules = Rules(decimals=1, tie_break=("more_decimals", "practical", "chief_judge"))
    a = entry(1, "81.17", ["8"])  # 87.351 → 87.4
    b = entry(2, "81.2", ["8"])   # 87.36 → 87.4: ahead on more decimals
    c = entry(3, "81.0", ["8"], chief_order=2)  # 87.3, equal to d on everything but the order
    d = entry(4, "81.0", ["8"], chief_order=1)
    e = entry(5, "70", ["8"])
    entries = [a, b, c, d, e]
    [tie] = explain(MODULES, rules, entries, 1).ties
    assert tie.other_entry_id == 2 and tie.outcome == "behind"
    assert tie.decided_by == "more_decimals" and tie.steps[0].mine == D("87.351")
    [tie] = explain(MODULES, rules, entries, 3).ties
    assert (tie.other_entry_id, tie.outcome, tie.decided_by) == (4, "behind", "chief_judge")
    assert [s.outcome for s in tie.steps] == ["equal", "equal", "behind"]
    plain = Rules(decimals=1, tie_break=())
    x = explain(MODULES, plain, entries, 1)
    assert x.rank == 1 and [(t.other_entry_id, t.outcome) for t in x.ties] == [(2, "shared")]


def test_an_entry_that_is_not_ranked():
    x = explain(MODULES, Rules(), [entry(1, "80", ["8"]), entry(2, "0", [], ranked=False)], 2)
    assert not x.ranked and x.rank is None and x.ties == () and x.ranked_count == 1
    nothing_imported = EntryInput(entry_id=3, division_id=1)
    x = explain(MODULES, Rules(), [nothing_imported], 3)
    assert x.modules[0].score_missing and x.modules[0].score == 0 and x.total == 0


# --- Generated cases: the explanation never disagrees with the engine ------------------

points = st.integers(min_value=0, max_value=1000).map(lambda n: D(n) / 100)


@st.composite
def events(draw):
    rules = Rules(
        aggregation=draw(st.sampled_from(["mean", "trimmed_mean", "median", "worldskills"])),
        trim_count=draw(st.integers(0, 2)), decimals=draw(st.integers(0, 3)),
        tie_break=tuple(draw(st.lists(st.sampled_from(
            ["more_decimals", "practical", "theory", "chief_judge"]), max_size=4,
            unique=True))),
        title_top_n=draw(st.one_of(st.none(), st.integers(1, 3))))
    modules = [ModuleInfo(id=1, code="T", kind="theory", weight=D(draw(st.integers(1, 40))))]
    for number in range(draw(st.integers(1, 2))):
        criteria = tuple(CriterionInfo(100 * (number + 2) + c, D(10),
                                       draw(st.sampled_from(["judgement", "measurement"])))
                         for c in range(draw(st.integers(1, 3))))
        modules.append(ModuleInfo(id=number + 2, code=f"P{number}", kind="practical",
                                  weight=D(draw(st.integers(1, 60))),
                                  max_score=D(10) * len(criteria), criteria=criteria))
    judges = draw(st.integers(1, 5))
    entries = []
    for entry_id in range(1, draw(st.integers(1, 7)) + 1):
        marks = [JudgeMark(j, c.id, min(draw(points), c.max_points))
                 for m in modules[1:] for c in m.criteria for j in range(1, judges + 1)
                 if draw(st.booleans()) or j == 1]
        penalties = draw(st.lists(st.tuples(st.sampled_from([None, 1, 2]), points),
                                  max_size=2))
        external = {1: draw(points) * 10} if draw(st.booleans()) else {}
        entries.append(EntryInput(
            entry_id=entry_id, division_id=draw(st.integers(1, 2)), marks=marks,
            external=external, penalties=[(m, p) for m, p in penalties if m != 3],
            chief_order=draw(st.one_of(st.none(), st.integers(1, 3))),
            ranked=draw(st.booleans()) or entry_id == 1))
    return modules, rules, entries


@settings(max_examples=150, deadline=None)
@given(events())
def test_the_explanation_agrees_with_the_engine(case):
    modules, rules, entries = case
    results = {r.entry_id: r for r in compute(modules, rules, entries)}
    for item in entries:
        x = explain(modules, rules, entries, item.entry_id)
        result = results[item.entry_id]
        assert (x.exact_total, x.total, x.rank, x.award, x.has_title) == (
            result.exact_total, result.total, result.rank, result.award, result.has_title)
        assert {m.module_id: m.score for m in x.modules} == result.module_scores
        for step in x.modules:
            if not step.imported:
                # The criteria's points as shown add up to the module's (each of them
                # rounded at the 28th digit, the module's sum rounded once).
                assert abs(step.raw_points - sum((c.points for c in step.criteria), ZERO)) \
                    < D("1e-20")
                assert step.scaled == step.raw_points / step.max_score * HUNDRED
            assert step.score == max(ZERO, step.scaled - step.deduction)
        # The shown steps add up to the exact total.
        on_total = sum(x.total_penalties, ZERO)
        assert max(ZERO, x.weighted_sum - on_total).quantize(D("0.000001")) == x.exact_total
        # Every tie comparison agrees with the ranks.
        for tie in x.ties:
            other = results[tie.other_entry_id]
            assert other.total == result.total
            if tie.outcome == "ahead":
                assert result.rank < other.rank
            elif tie.outcome == "behind":
                assert result.rank > other.rank
            else:
                assert result.rank == other.rank


# --- The page -------------------------------------------------------------------------

def _entries(event):
    return db.session.scalars(select(Entry).where(Entry.event_id == event.id)
                              .order_by(Entry.station)).all()


def test_the_organizer_reads_every_step_after_the_lock(locked_tea, client, auth):
    results = {r.entry_id: r for r in event_results(db.session, locked_tea.id)}
    entry = _entries(locked_tea)[1]
    auth.login(builders.ORGANIZER)
    page = client.get(f"/entries/{entry.id}/explanation").get_data(as_text=True)
    result = results[entry.id]
    assert entry.contestant.name in page and entry.code in page
    assert f'data-figure="total">{result.total}<' in page
    assert f'data-figure="rank">{result.rank}<' in page
    # Each judge by name, and the trimmed mean of three judges drops two marks per line.
    for name in builders.TEA_JUDGE_NAMES:
        assert name in page
    assert "已去掉" in page and "加权合计" in page
    assert entry.contestant.id_number not in page


def test_before_the_lock_the_entry_is_shown_by_its_code(locked_tea, client, auth):
    locked_tea.scores_locked_at = None
    db.session.commit()
    entry = _entries(locked_tea)[0]
    auth.login(builders.CHIEF)
    response = client.get(f"/entries/{entry.id}/explanation")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert entry.code in page and entry.contestant.name not in page


def test_only_organizers_and_the_chief_judge_open_it(locked_tea, client, auth):
    url = f"/entries/{_entries(locked_tea)[0].id}/explanation"
    response = client.get(url)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    for username, status in ((builders.JUDGES[0], 403), (builders.OTHER_CHIEF, 403),
                             (builders.CHIEF, 200), (builders.ORGANIZER, 200)):
        auth.login(username)
        assert client.get(url).status_code == status, username
        auth.logout()


def test_an_organizer_of_another_competition_is_refused(locked_tea, client, login_as):
    login_as("organizer")
    entry = _entries(locked_tea)[0]
    assert client.get(f"/entries/{entry.id}/explanation").status_code == 403
