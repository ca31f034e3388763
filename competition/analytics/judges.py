"""Judge analytics of one event (裁判评分分析): how severe or lenient each judge is, how
consistent, how many of their marks are outliers, how well the panel agrees, and the
flags a chief judge can act on — shown once the scores are locked.

What is analysed: the marks of submitted sheets of the event's approved entries (what
the results count) on its judgement (subjective) criteria, in points — what a mark
earns on its criterion, so a 0–3 WorldSkills step, an all-or-nothing check and points
compare alike. Measurement (objective) criteria are left out: a gauge reading or a
check against a standard has one right value that every judge should enter, so a
difference there is a misreading (the console's "objective" flag), not a judge's
severity, and equal readings would only make the panel look more alike than it is.

The definitions (``agreement`` has the formulas and their sources):

- deviation ``d``: a judge's mark less the mean of the OTHER judges' marks on the same
  entry and criterion, ``x − (S − x)/(n − 1)`` (a mark no other judge gave is left
  out); scaled: ``d`` ÷ the criterion's maximum, so criteria of different maxima
  compare. Severity/leniency: the mean (negative: severe, below the others);
  consistency: the sample standard deviation of the judge's scaled deviations.
- module deviation (points): the judge's mean deviations on the module's judged
  criteria added up — how far a sheet of theirs in that module lies from the others'
  mean, in points.
- outlier: a mark whose ``|d|`` is more than ``OUTLIER_SDS`` standard deviations of all
  the panel's deviations on that criterion (whose mean is 0: √(Σd² / (N − 1))) and more
  than ``OUTLIER_FLOOR`` of the criterion's maximum (so a panel agreeing within a
  fraction of a point flags nothing).
- agreement: Kendall's W and ICC(2,1) over the entries' totals — each judge's points on
  the judged criteria added up — of the entries every judge marked on every judged
  criterion (an entry a judge was recused from is left out).

Performance: a provincial event has 500 entries × 30 criteria × 5 judges = 75,000
marks; no mark is loaded as an object. The database computes each mark's deviation
with window functions (the panel's sum and count per entry and criterion, then the
spread of the deviations per criterion) and returns per judge and criterion a count,
a sum, a sum of squares and the outliers; per judge and entry a total; and the first
``OUTLIERS_LISTED`` outlying marks — the cells and the outliers from one statement
reading the deviations once. With the modules and the judges' names that is four
statements whatever the size of the event, on SQLite and PostgreSQL alike (75,000
marks take under half a second on SQLite).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import (
    CTE,
    ColumnElement,
    CompoundSelect,
    Float,
    Select,
    Subquery,
    and_,
    case,
    cast,
    func,
    literal,
    null,
    select,
    union_all,
)
from sqlalchemy.orm import Session, joinedload

from competition.analytics.agreement import (
    ICC,
    KendallW,
    Summary,
    icc_2_1,
    kendalls_w,
)
from competition.auth.models import User
from competition.entries.models import Entry, RegistrationStatus
from competition.errors import N_, Problem
from competition.events.models import Criterion, CriterionKind, Event, Module, PanelMember
from competition.judging.models import Mark, ScoreSheet, SheetStatus

# An outlier is more than this many standard deviations of the panel's deviations on its
# criterion from the other judges' mean …
OUTLIER_SDS = 2
# … and more than this share of the criterion's maximum.
OUTLIER_FLOOR = 0.10
# A module deviation is flagged from this share of the module's judged maximum …
SEVERITY_SHARE = 0.05
# … when the judge has at least this many deviations on each of its criteria.
MIN_MARKS = 3
# A judge's consistency is flagged when the standard deviation of their scaled
# deviations is this many times the panel's median judge's (with 3 judges or more).
CONSISTENCY_RATIO = 1.5
# A judge's outliers are flagged from this share of their marks: a normal spread puts
# about 4.6 % of marks beyond 2 standard deviations.
OUTLIER_SHARE = 0.05
# The panel's agreement is flagged below this ICC(2,1) ("poor", Koo & Li 2016).
ICC_POOR = 0.5
# How many outlying marks are listed (the largest scaled deviations first).
OUTLIERS_LISTED = 50

# How the page and the report explain the analysis: message ids and their values.
METHOD_NOTES = (
    (N_("Only judgement (subjective) criteria are analysed. Measurement criteria are left "
        "out: their value is read from a gauge or checked against a standard, so every "
        "judge should enter the same one; a difference there is a misreading, which the "
        "console flags, not a judge's severity."), {}),
    (N_("Deviation: a judge's mark less the mean of the other judges' marks on the same "
        "entry and criterion, divided by the criterion's maximum so that criteria of "
        "different maxima compare. A positive mean deviation is lenient (above the other "
        "judges), a negative one severe (below them)."), {}),
    (N_("Consistency: the standard deviation of the judge's scaled deviations (the sample "
        "standard deviation). Small: the judge stays at the same distance from the "
        "others; large: sometimes far above them, sometimes far below."), {}),
    (N_("Outlier: a mark whose deviation is more than %(sds)s standard deviations of all "
        "the panel's deviations on that criterion and more than %(floor)s%% of the "
        "criterion's maximum."),
     {"sds": OUTLIER_SDS, "floor": round(OUTLIER_FLOOR * 100)}),
    (N_("Module deviation: the judge's mean deviations on the module's judged criteria "
        "added up, in points: how far a sheet of theirs in that module lies above or "
        "below the other judges' mean. Flagged from %(share)s%% of the module's judged "
        "maximum, with at least %(marks)s marks on each criterion."),
     {"share": round(SEVERITY_SHARE * 100), "marks": MIN_MARKS}),
    (N_("Agreement of the panel, over the entries' totals (each judge's points on the "
        "judged criteria added up) of the entries every judge marked on every judged "
        "criterion: Kendall's W, corrected for ties (0: no agreement, 1: every judge "
        "orders the entries alike), and ICC(2,1) of Shrout and Fleiss (1979), two-way "
        "random effects, absolute agreement, one judge (below 0.5 poor, 0.5 to 0.75 "
        "moderate, 0.75 to 0.9 good, above 0.9 excellent, after Koo and Li 2016)."), {}),
)


@dataclass(frozen=True)
class CriterionColumn:
    id: int
    code: str
    description: str
    maximum: float


@dataclass(frozen=True)
class ModuleGroup:
    """A module with its judged criteria, in the order of the marking scheme."""

    id: int
    code: str
    name: str
    criteria: tuple[CriterionColumn, ...]

    @property
    def judged_maximum(self) -> float:
        return sum(c.maximum for c in self.criteria)


@dataclass(frozen=True)
class Cell:
    """One judge on one criterion: their deviations (points) and outliers."""

    deviations: Summary
    outliers: int
    maximum: float

    @property
    def marks(self) -> int:
        return self.deviations.count

    @property
    def mean(self) -> float | None:
        """Mean deviation in points."""
        return self.deviations.mean

    @property
    def scaled(self) -> float | None:
        """Mean deviation as a share of the criterion's maximum."""
        mean = self.deviations.mean
        return None if mean is None else mean / self.maximum


@dataclass
class JudgeSummary:
    """One judge of the event, named as the console names them."""

    id: int
    name: str
    cells: dict[int, Cell] = field(default_factory=dict)  # by criterion id
    modules: dict[int, float | None] = field(default_factory=dict)  # module id → points
    scaled: Summary = field(default_factory=lambda: Summary(0, 0.0, 0.0))

    @property
    def marks(self) -> int:
        return self.scaled.count

    @property
    def outliers(self) -> int:
        return sum(cell.outliers for cell in self.cells.values())

    @property
    def mean_scaled(self) -> float | None:
        """Severity (negative) or leniency (positive), as a share of the maxima."""
        return self.scaled.mean

    @property
    def consistency(self) -> float | None:
        """The sample standard deviation of the scaled deviations."""
        return self.scaled.sd


@dataclass(frozen=True)
class OutlierMark:
    """A mark flagged as an outlier, by the entry's anonymous code."""

    code: str
    station: int | None
    judge: str
    module: str
    criterion: str
    maximum: float
    points: float
    others_mean: float
    deviation: float

    @property
    def scaled(self) -> float:
        return self.deviation / self.maximum


@dataclass
class JudgeAnalysis:
    """Everything the analytics page and report show for one event."""

    event: Event
    modules: list[ModuleGroup]
    judges: list[JudgeSummary]
    measured_criteria: int  # measurement criteria left out
    entries: int  # entries with judged marks
    complete_entries: int  # of them, marked by every judge on every judged criterion
    kendall: KendallW | None
    icc: ICC | None
    outliers: list[OutlierMark]  # the first OUTLIERS_LISTED
    outliers_total: int
    flags: list[Problem]

    @property
    def criteria(self) -> list[CriterionColumn]:
        return [c for m in self.modules for c in m.criteria]

    @property
    def marks(self) -> int:
        return sum(j.marks for j in self.judges)


# --- The queries ---------------------------------------------------------------------

def _approved_entries(event_id: int) -> Select:
    """The ids of the event's approved entries. The marks are narrowed to them by
    ``entry_id IN (…)`` rather than a join to the entries: joined, SQLite's planner,
    once it has statistics (ANALYZE), scans every sheet of the installation in entry
    order and probes the entries, two to ten times slower than starting from the
    event's entries as it does without statistics (and as PostgreSQL does either way)."""
    return select(Entry.id).where(Entry.event_id == event_id,
                                  Entry.status == RegistrationStatus.APPROVED)


def _judged_marks(event_id: int) -> Subquery:
    """Every mark of a submitted sheet of an approved entry on a judgement criterion of the
    event, with the panel's sum and count on its entry and criterion."""
    points = cast(Mark.points, Float)
    each = (ScoreSheet.entry_id, Mark.criterion_id)
    return (select(ScoreSheet.judge_id, ScoreSheet.entry_id, Mark.criterion_id,
                   points.label("x"), cast(Criterion.max_points, Float).label("maximum"),
                   func.sum(points).over(partition_by=each).label("s"),
                   func.count().over(partition_by=each).label("n"))
            .join(Mark, Mark.sheet_id == ScoreSheet.id)
            .join(Criterion, Criterion.id == Mark.criterion_id)
            .where(ScoreSheet.entry_id.in_(_approved_entries(event_id)),
                   ScoreSheet.status == SheetStatus.SUBMITTED,
                   Criterion.kind == CriterionKind.JUDGEMENT)
            .subquery("panel"))


def _deviations(event_id: int) -> tuple[CTE, ColumnElement[bool]]:
    """Each mark with another judge beside it, its deviation ``d`` and the spread of the
    panel's deviations on its criterion (Σd², count); and the outlier condition
    (``|d| > OUTLIER_SDS × √(Σd²/(N − 1))``, squared to need no square root, and
    ``|d| > OUTLIER_FLOOR × max``)."""
    panel = _judged_marks(event_id)
    n = cast(panel.c.n, Float)
    d = (n * panel.c.x - panel.c.s) / (n - 1)
    marks = (select(panel.c.judge_id, panel.c.entry_id, panel.c.criterion_id, panel.c.x,
                    panel.c.s, panel.c.n, panel.c.maximum, d.label("d"))
             .where(panel.c.n > 1).subquery("deviations"))
    spread = select(
        marks, func.sum(marks.c.d * marks.c.d).over(partition_by=marks.c.criterion_id)
        .label("dd"), func.count().over(partition_by=marks.c.criterion_id).label("dn"),
    ).cte("spread")
    outlier = and_(spread.c.dn > 1,
                   spread.c.d * spread.c.d * (spread.c.dn - 1)
                   > literal(float(OUTLIER_SDS ** 2), Float) * spread.c.dd,
                   func.abs(spread.c.d) > literal(OUTLIER_FLOOR, Float) * spread.c.maximum)
    return spread, outlier


def _cells_and_outliers(event_id: int) -> CompoundSelect:
    """One statement for both readings of the deviations, told apart by its first column
    (``kind``): per judge and criterion (0) the count, Σd, Σd² and outliers; and (1) the
    first ``OUTLIERS_LISTED`` outlying marks — their mark ``x``, the panel's sum ``s``
    and count ``n``, the deviation ``d``, the entry's code and station and ``place``, the
    order in which they are listed (the largest scaled deviation first). Both halves read
    the deviations as one common table expression, which SQLite (3.35 and later) and
    PostgreSQL (12 and later) compute once: as two statements, the window functions ran
    twice, two fifths of the analysis' time."""
    spread, outlier = _deviations(event_id)
    cells = (select(literal(0).label("kind"), spread.c.judge_id, spread.c.criterion_id,
                    func.count(), func.sum(spread.c.d), func.sum(spread.c.d * spread.c.d),
                    func.sum(case((outlier, 1), else_=0)), null().label("code"),
                    null().label("station"), null().label("place"))
             .group_by(spread.c.judge_id, spread.c.criterion_id))
    place = func.row_number().over(order_by=(
        (func.abs(spread.c.d) / spread.c.maximum).desc(), Entry.station, Entry.id,
        spread.c.criterion_id, spread.c.judge_id))
    ranked = (select(spread.c.judge_id, spread.c.criterion_id, spread.c.x, spread.c.s,
                     spread.c.n, spread.c.d, Entry.code, Entry.station, place.label("place"))
              .join(Entry, Entry.id == spread.c.entry_id).where(outlier).subquery("ranked"))
    listed = select(literal(1), ranked.c.judge_id, ranked.c.criterion_id, ranked.c.x,
                    ranked.c.s, ranked.c.n, ranked.c.d, ranked.c.code, ranked.c.station,
                    ranked.c.place).where(ranked.c.place <= OUTLIERS_LISTED)
    return union_all(cells, listed)


def _modules(session: Session, event_id: int) -> tuple[list[ModuleGroup], int]:
    """The modules with judged criteria, and how many measurement criteria there are."""
    modules = session.scalars(select(Module).where(Module.event_id == event_id)
                              .options(joinedload(Module.criteria))
                              .order_by(Module.position, Module.id)).unique().all()
    groups, measured = [], 0
    for module in modules:
        judged = tuple(CriterionColumn(c.id, c.code, c.description, float(c.max_points))
                       for c in sorted(module.criteria, key=lambda c: (c.position, c.id))
                       if c.kind == CriterionKind.JUDGEMENT)
        measured += sum(1 for c in module.criteria if c.kind != CriterionKind.JUDGEMENT)
        if judged:
            groups.append(ModuleGroup(module.id, module.code, module.name, judged))
    return groups, measured


def _judges(session: Session, event_id: int, judge_ids: set[int]) -> list[tuple[int, str]]:
    """The judges' ids and names (as the console shows them), in the panel's order."""
    if not judge_ids:
        return []
    rows = session.execute(
        select(User.id, User.display_name, PanelMember.id)
        .outerjoin(PanelMember, and_(PanelMember.expert_id == User.expert_id,
                                     PanelMember.event_id == event_id))
        .where(User.id.in_(judge_ids))).all()
    rows.sort(key=lambda row: (row[2] is None, row[2] or 0, row[1], row[0]))
    return [(judge_id, name) for judge_id, name, _member in rows]


# --- The analysis --------------------------------------------------------------------

def analyse(session: Session, event: Event) -> JudgeAnalysis:
    """The judge analytics of the event, from four statements whatever its size."""
    modules, measured = _modules(session, event.id)
    criteria = {c.id: (m, c) for m in modules for c in m.criteria}

    # Per judge and criterion: count, Σd, Σd², outliers; and the outliers listed.
    cells: dict[int, dict[int, Cell]] = defaultdict(dict)
    outlying = []
    for kind, judge_id, criterion_id, *figures, code, station, place in session.execute(
            _cells_and_outliers(event.id)):
        if kind == 1:
            outlying.append((place, judge_id, criterion_id, *figures, code, station))
        elif criterion_id in criteria:
            count, total, squares, outliers = figures
            cells[judge_id][criterion_id] = Cell(
                Summary(int(count), float(total), float(squares)), int(outliers),
                criteria[criterion_id][1].maximum)

    # Per judge and entry: the number of judged marks and their points added up.
    totals: dict[int, dict[int, tuple[int, float]]] = defaultdict(dict)
    for judge_id, entry_id, count, points in session.execute(
            select(ScoreSheet.judge_id, ScoreSheet.entry_id, func.count(),
                   func.sum(cast(Mark.points, Float)))
            .join(Mark, Mark.sheet_id == ScoreSheet.id)
            .join(Criterion, Criterion.id == Mark.criterion_id)
            .where(ScoreSheet.entry_id.in_(_approved_entries(event.id)),
                   ScoreSheet.status == SheetStatus.SUBMITTED,
                   Criterion.kind == CriterionKind.JUDGEMENT)
            .group_by(ScoreSheet.judge_id, ScoreSheet.entry_id)):
        totals[judge_id][entry_id] = (int(count), float(points))

    named = _judges(session, event.id, set(cells) | set(totals))
    names = dict(named)
    judges = [_summary(judge_id, name, cells.get(judge_id, {}), modules)
              for judge_id, name in named]

    listed = []
    for _place, judge_id, criterion_id, x, s, n, d, code, station in sorted(outlying):
        module, criterion = criteria[criterion_id]
        listed.append(OutlierMark(
            code=code or "—", station=station, judge=names.get(judge_id, "—"),
            module=module.code, criterion=criterion.code, maximum=criterion.maximum,
            points=float(x), others_mean=(float(s) - float(x)) / (int(n) - 1),
            deviation=float(d)))

    table, entries = _totals_table([judge.id for judge in judges], totals,
                                   len(criteria))
    analysis = JudgeAnalysis(
        event=event, modules=modules, judges=judges, measured_criteria=measured,
        entries=entries, complete_entries=len(table),
        kendall=kendalls_w(table), icc=icc_2_1(table), outliers=listed,
        outliers_total=sum(j.outliers for j in judges), flags=[])
    analysis.flags = flags(analysis)
    return analysis


def _summary(judge_id: int, name: str, cells: dict[int, Cell],
             modules: list[ModuleGroup]) -> JudgeSummary:
    judge = JudgeSummary(id=judge_id, name=name, cells=cells)
    for module in modules:
        found = [cells[c.id].mean for c in module.criteria if c.id in cells]
        judge.modules[module.id] = sum(found) if found else None
    for cell in cells.values():
        judge.scaled = judge.scaled + cell.deviations.scaled(1 / cell.maximum)
    return judge


def _totals_table(judge_ids: list[int], totals: dict[int, dict[int, tuple[int, float]]],
                  criteria: int) -> tuple[list[list[float]], int]:
    """The entries' totals, one row per entry marked by every judge on every judged
    criterion and one column per judge (in ``judge_ids``' order); and how many entries
    have judged marks at all."""
    entry_ids = sorted({entry_id for by_entry in totals.values() for entry_id in by_entry})
    table = []
    for entry_id in entry_ids:
        row = [totals[j].get(entry_id) for j in judge_ids]
        if all(cell is not None and cell[0] == criteria for cell in row):
            table.append([cell[1] for cell in row])
    return table, len(entry_ids)


# --- Flags ---------------------------------------------------------------------------

def flags(analysis: JudgeAnalysis) -> list[Problem]:
    """What a chief judge can act on: a panel that agrees poorly, a judge severe or
    lenient in a module, a judge whose marks swing widely, a judge with many outliers."""
    found: list[Problem] = []
    if analysis.icc is not None and analysis.icc.value < ICC_POOR:
        found.append(Problem(N_("The panel agrees poorly on the entries' totals: "
                                "ICC(2,1) = %(icc)s. Check that the judges read the marking "
                                "scheme alike."), {"icc": fixed(analysis.icc.value, 2)}))
    severity = []
    for judge in analysis.judges:
        for module in analysis.modules:
            points = judge.modules.get(module.id)
            counts = [judge.cells[c.id].marks if c.id in judge.cells else 0
                      for c in module.criteria]
            if points is None or min(counts) < MIN_MARKS:
                continue
            share = points / module.judged_maximum
            if abs(share) >= SEVERITY_SHARE:
                message = (N_("%(judge)s marks module %(module)s %(points)s points lower than "
                              "the other judges on average (%(share)s%% of its judged "
                              "maximum of %(maximum)s).") if points < 0 else
                           N_("%(judge)s marks module %(module)s %(points)s points higher "
                              "than the other judges on average (%(share)s%% of its judged "
                              "maximum of %(maximum)s)."))
                severity.append((-abs(share), Problem(message, {
                    "judge": judge.name, "module": module.code,
                    "points": fixed(abs(points), 2), "share": fixed(abs(share) * 100, 1),
                    "maximum": plain(module.judged_maximum)})))
    found += [problem for _key, problem in sorted(severity, key=lambda pair: pair[0])]
    spreads = [j.consistency for j in analysis.judges if j.consistency is not None]
    if len(spreads) >= 3:
        median = statistics.median(spreads)
        for judge in analysis.judges:
            if judge.consistency is not None and median > 0 \
                    and judge.consistency >= CONSISTENCY_RATIO * median:
                found.append(Problem(
                    N_("%(judge)s's marks swing widely: their deviations have a standard "
                       "deviation of %(sd)s%% of the maxima, against %(median)s%% for the "
                       "panel's median judge."),
                    {"judge": judge.name, "sd": fixed(judge.consistency * 100, 1),
                     "median": fixed(median * 100, 1)}))
    for judge in analysis.judges:
        if judge.outliers and judge.outliers >= OUTLIER_SHARE * judge.marks:
            found.append(Problem(
                N_("%(judge)s gave %(count)s outlying marks (%(share)s%% of their judged "
                   "marks): check them in the list of outliers."),
                {"judge": judge.name, "count": judge.outliers,
                 "share": fixed(judge.outliers / judge.marks * 100, 1)}))
    return found


# --- How figures are shown -----------------------------------------------------------

def fixed(value: float | None, places: int) -> str:
    """A figure to ``places`` decimals ("—" for none); never "-0.0"."""
    if value is None:
        return "—"
    text = f"{value:.{places}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def signed(value: float | None, places: int) -> str:
    """A deviation with its sign: "+1.5", "-0.8", "0.0" ("—" for none)."""
    text = fixed(value, places)
    if text == "—" or float(text) <= 0:
        return text
    return "+" + text


def percent(share: float | None, places: int = 1) -> str:
    """A share as a signed percentage, without the sign "%": 0.032 → "+3.2"."""
    return signed(None if share is None else share * 100, places)


def plain(number: float) -> str:
    """A maximum as written in the scheme: 40, 7.5."""
    return f"{number:.2f}".rstrip("0").rstrip(".")


# Heat map shades by the size of a mean scaled deviation: below 2.5 % none, then light,
# medium and strong from 2.5 %, 5 % and 10 %.
HEAT_STEPS = (0.025, 0.05, 0.10)


def heat_level(share: float | None) -> int:
    """0 (no shade) to 3 (strongest) for a mean scaled deviation."""
    if share is None:
        return 0
    return sum(1 for step in HEAT_STEPS if abs(share) >= step)


def heat_class(share: float | None) -> str:
    """The heat map cell's class: its shade, and its side (above or below the others)."""
    level = heat_level(share)
    if level == 0:
        return "heat-0"
    return f"heat-{'hi' if share > 0 else 'lo'} heat-{level}"
