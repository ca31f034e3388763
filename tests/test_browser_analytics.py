"""In Chromium: the chief judge of the demo's 养老护理员 (scores locked) opens the judge
analytics from the console, and every figure the page shows — each judge's marks,
mean deviation, consistency, outliers and module deviations, every heat map cell and its
shade, Kendall's W, ICC(2,1) and the outlying marks — equals what this test computes on
its own, exactly (in fractions), from the Mark rows in the database."""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from fractions import Fraction

import pytest
from sqlalchemy import select

from competition.auth.models import User
from competition.entries.models import Contestant, Entry
from competition.events.models import Event, Module
from competition.extensions import db
from competition.judging.models import Mark, ScoreSheet
from tests.helpers import sign_in

pytestmark = pytest.mark.browser

TABLET = {"width": 1024, "height": 768}


@dataclass
class Expected:
    """The figures of the analytics page, computed here from the marks."""

    names: dict[int, str]
    marks: dict[int, int] = field(default_factory=dict)  # judge → deviations
    mean: dict[int, float] = field(default_factory=dict)  # judge → mean scaled (share)
    sd: dict[int, float | None] = field(default_factory=dict)
    outliers: dict[int, int] = field(default_factory=dict)
    modules: dict[tuple[int, int], float | None] = field(default_factory=dict)
    cells: dict[tuple[int, int], float] = field(default_factory=dict)  # (judge, crit)
    outlier_rows: list[tuple] = field(default_factory=list)
    w: float | None = None
    icc: float | None = None
    measured: int = 0
    entries: int = 0  # entries with judged marks
    complete: int = 0  # of them, marked by every judge on every judged criterion


def _ranks(values: list) -> list[Fraction]:
    """Mean ranks, lowest first, by counting: rank = below + (equal + 1) / 2."""
    return [sum(1 for v in values if v < x) + Fraction(sum(1 for v in values if v == x) + 1, 2)
            for x in values]


def _expected(event: Event) -> Expected:
    criteria = {c.id: c for m in event.modules for c in m.criteria}
    judged = {i for i, c in criteria.items() if c.kind == "judgement"}
    rows = db.session.execute(
        select(ScoreSheet.judge_id, ScoreSheet.entry_id, Mark.criterion_id, Mark.points)
        .join(Mark, Mark.sheet_id == ScoreSheet.id)
        .join(Entry, Entry.id == ScoreSheet.entry_id)
        .where(Entry.event_id == event.id, Entry.status == "approved",
               ScoreSheet.status == "submitted")).all()
    rows = [(j, e, c, Fraction(p)) for j, e, c, p in rows if c in judged]
    judges = sorted({j for j, *_rest in rows})
    found = Expected(names={u.id: u.display_name for u in db.session.scalars(
        select(User).where(User.id.in_(judges)))},
        measured=len(criteria) - len(judged))
    codes = dict(db.session.execute(select(Entry.id, Entry.code).where(
        Entry.event_id == event.id)).all())

    panel = defaultdict(list)
    for j, e, c, x in rows:
        panel[(e, c)].append((j, x))
    deviations = []  # (judge, entry, criterion, mark, others' mean, d)
    for (e, c), marks in panel.items():
        for j, x in marks:
            others = [y for k, y in marks if k != j]
            if others:
                mean = sum(others) / len(others)
                deviations.append((j, e, c, x, mean, x - mean))
    squares = defaultdict(Fraction)
    counts = defaultdict(int)
    for _j, _e, c, _x, _m, d in deviations:
        squares[c] += d * d
        counts[c] += 1
    scaled = defaultdict(list)
    by_cell = defaultdict(list)
    for j, e, c, x, mean, d in deviations:
        maximum = Fraction(criteria[c].max_points)
        scaled[j].append(d / maximum)
        by_cell[(j, c)].append(d)
        # Outlier: |d| > 2 SD of the criterion's deviations (mean 0) and > 10 % of max.
        if counts[c] > 1 and d * d > 4 * squares[c] / (counts[c] - 1) \
                and abs(d) > maximum / 10:
            found.outlier_rows.append((codes[e], f"{criteria[c].module.code}·{criteria[c].code}",
                                       found.names[j], float(x), float(mean), float(d)))
            found.outliers[j] = found.outliers.get(j, 0) + 1
    for j in judges:
        found.marks[j] = len(scaled[j])
        found.mean[j] = float(sum(scaled[j]) / len(scaled[j]))
        found.sd[j] = statistics.stdev([float(s) for s in scaled[j]]) \
            if len(scaled[j]) > 1 else None
        found.outliers.setdefault(j, 0)
        for c in judged:
            if by_cell[(j, c)]:
                found.cells[(j, c)] = float(sum(by_cell[(j, c)]) / len(by_cell[(j, c)])
                                            / Fraction(criteria[c].max_points))
        for module in event.modules:
            means = [sum(by_cell[(j, c.id)]) / len(by_cell[(j, c.id)])
                     for c in module.criteria if c.id in judged and by_cell[(j, c.id)]]
            found.modules[(j, module.id)] = float(sum(means)) if means else None

    # Totals of the entries every judge marked on every judged criterion.
    totals = defaultdict(lambda: defaultdict(list))
    for j, e, _c, x in rows:
        totals[e][j].append(x)
    table = [[sum(totals[e][j]) for j in judges] for e in sorted(totals)
             if all(len(totals[e][j]) == len(judged) for j in judges)]
    n, m = len(table), len(judges)
    found.entries, found.complete = len(totals), n
    # Kendall's W with ties: 12 S / (m²(n³ − n) − m Σ(t³ − t)).
    ranks = [_ranks([row[j] for row in table]) for j in range(m)]
    sums = [sum(ranks[j][i] for j in range(m)) for i in range(n)]
    s = sum((r - Fraction(m * (n + 1), 2)) ** 2 for r in sums)
    ties = 0
    for j in range(m):
        column = [row[j] for row in table]
        ties += sum(column.count(v) ** 3 - column.count(v) for v in set(column))
    found.w = float(12 * s / (m * m * (n ** 3 - n) - m * ties))
    # ICC(2,1), Shrout & Fleiss: from the two-way ANOVA's mean squares.
    grand = sum(sum(row) for row in table) / (n * m)
    bms = m * sum((sum(row) / m - grand) ** 2 for row in table) / (n - 1)
    jms = n * sum((sum(row[j] for row in table) / n - grand) ** 2 for j in range(m)) / (m - 1)
    total = sum((x - grand) ** 2 for row in table for x in row)
    ems = (total - bms * (n - 1) - jms * (m - 1)) / ((n - 1) * (m - 1))
    found.icc = float((bms - ems) / (bms + (m - 1) * ems + m * (jms - ems) / n))
    return found


def _number(text: str) -> float | None:
    text = text.strip()
    return None if text in ("—", "") else float(text.replace("+", ""))


def _shown(text: str, expected: float | None, places: int) -> None:
    """The figure shown is the expected one, to the decimals shown."""
    value = _number(text)
    if expected is None:
        assert value is None, text
        return
    assert value is not None, text
    assert abs(value - expected) <= 0.5 * 10 ** -places + 1e-9, (text, expected)
    assert len(text.strip().split(".")[-1]) == places, text


def test_every_figure_of_the_judge_analytics_is_computed_from_the_marks(staged_demo,
                                                                      live_server, page):
    event = db.session.scalar(select(Event).where(Event.name == "养老护理员"))
    assert event.scores_locked_at is not None
    expected = _expected(event)
    modules = {m.id: m for m in db.session.scalars(select(Module).where(
        Module.event_id == event.id))}
    errors = []
    page.on("console", lambda message: errors.append(message.text)
            if message.type == "error" else None)
    page.set_viewport_size(TABLET)
    sign_in(page, live_server, "chief1", "demo-chief1-2026")
    page.get_by_role("link", name="裁判长控制台").click()
    page.locator('a[data-link="judge-analytics"]').click()
    page.locator('table[data-table="heatmap"]').wait_for()
    assert page.url.endswith(f"/judge/events/{event.id}/analytics")

    # The panel's agreement and what it was computed on.
    _shown(page.locator('[data-figure="kendall-w"]').inner_text(), expected.w, 2)
    _shown(page.locator('[data-figure="icc"]').inner_text(), expected.icc, 2)
    assert page.locator('[data-figure="judges"]').inner_text() == str(len(expected.names))
    assert page.locator('dd[data-figure="marks"]').inner_text() == \
        str(sum(expected.marks.values()))
    assert page.locator('[data-figure="measured"]').inner_text() == str(expected.measured)
    assert page.locator('[data-figure="entries-used"]').inner_text() == str(expected.complete)
    assert page.locator('[data-figure="entries"]').inner_text() == str(expected.entries)

    # Each judge, named as the console names them.
    rows = page.locator('table[data-table="judges"] tbody tr')
    assert rows.count() == len(expected.names)
    for index in range(rows.count()):
        row = rows.nth(index)
        judge = int(row.get_attribute("data-judge"))
        assert row.locator("th").inner_text() == expected.names[judge]
        assert row.locator('[data-figure="marks"]').inner_text() == str(expected.marks[judge])
        _shown(row.locator('[data-figure="mean"]').inner_text(), expected.mean[judge] * 100, 1)
        sd = expected.sd[judge]
        _shown(row.locator('[data-figure="sd"]').inner_text(),
               None if sd is None else sd * 100, 1)
        assert row.locator('[data-figure="outliers"]').inner_text() == \
            str(expected.outliers[judge])
        cells = row.locator('[data-figure="module"]')
        assert cells.count() == sum(1 for m in modules.values()
                                    if any(c.kind == "judgement" for c in m.criteria))
        for number in range(cells.count()):
            cell = cells.nth(number)
            module_id = int(cell.get_attribute("data-module"))
            _shown(cell.inner_text(), expected.modules[(judge, module_id)], 2)

    # Every heat map cell: its figure, and its shade by the figure's size and side.
    cells = page.locator('table[data-table="heatmap"] tbody td[data-criterion]')
    assert cells.count() == len(expected.names) * sum(
        1 for m in modules.values() for c in m.criteria if c.kind == "judgement")
    for index in range(cells.count()):
        cell = cells.nth(index)
        judge = int(cell.locator("xpath=..").get_attribute("data-judge"))
        criterion = int(cell.get_attribute("data-criterion"))
        share = expected.cells.get((judge, criterion))
        _shown(cell.locator(".heat-value").inner_text(),
               None if share is None else share * 100, 1)
        classes = cell.get_attribute("class").split()
        level = 0 if share is None else sum(1 for step in (0.025, 0.05, 0.10)
                                            if abs(share) >= step)
        if level == 0:
            assert "heat-0" in classes, (classes, share)
        else:
            assert f"heat-{level}" in classes and \
                ("heat-hi" if share > 0 else "heat-lo") in classes, (classes, share)

    # The outlying marks, by anonymous code.
    shown = []
    listed = page.locator('table[data-table="outliers"] tbody tr')
    for index in range(listed.count()):
        texts = [t.strip() for t in listed.nth(index).locator("td").all_inner_texts()]
        shown.append(texts)
    assert len(shown) == min(50, len(expected.outlier_rows))
    remaining = list(expected.outlier_rows)
    for code, criterion, judge, mark, others, deviation in shown:
        match = next(row for row in remaining if row[:3] == (code, criterion, judge)
                     and abs(row[3] - _number(mark)) < 0.006
                     and abs(row[4] - _number(others)) < 0.006
                     and abs(row[5] - _number(deviation)) < 0.006)
        remaining.remove(match)

    # Codes only: no contestant's name anywhere; no script or style refused.
    names = db.session.scalars(select(Contestant.name).join(Entry).where(
        Entry.event_id == event.id)).all()
    content = page.content()
    assert names and not any(name in content for name in names)
    assert not errors, errors
    # The page's link gives the printable report.
    href = page.locator('a[data-link="analytics-pdf"]').get_attribute("href")
    report = page.context.request.get(f"{live_server}{href}")
    assert report.status == 200 and report.headers["content-type"] == "application/pdf"
    assert report.body().startswith(b"%PDF")

