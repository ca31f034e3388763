"""The competition report for the bureau (赛事总结报告): one competition in figures, as a
printable A4 PDF in the reader's language.

What it holds, per event (赛项) of the competition:

- the approved entries per occupation, event and division, by check-in (检录);
- the distribution of the published totals of the ranked entries, in bands of ten
  points, drawn as a bar chart (ReportLab graphics) with the count above each bar;
- the awards and titles of the published results, the promotions by the grade reached
  (in force, and reverted when their certificate was revoked), the certificates issued
  and revoked;
- the appeals filed and their outcomes;
- the judges' agreement (Kendall's W and ICC(2,1)) as the judge analytics compute it
  (``analytics.judges.analyse``), once the event's scores are locked;
- per division, when its results became final and the audit chain's head then (the hash
  of its ``results.finalize`` record, as the public-notice list prints it); the
  competition is final when every division with entries is, and its chain head is the
  one at the last finalization.

Figures only: no contestant's or judge's name, ID number or phone. Each figure comes from
one aggregate query over the competition (GROUP BY or conditional counts), plus the judge
analytics' four statements per locked event. Needs an app context (the words are
translated for the reader). No function here commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Spacer
from sqlalchemy import String, and_, case, cast, func, select
from sqlalchemy.orm import Session, joinedload

from competition.analytics.judges import JudgeAnalysis, analyse, fixed
from competition.analytics.views import icc_words
from competition.audit.models import AuditEvent
from competition.bureau.statistics import GRADES
from competition.entries.models import Attendance, Entry, RegistrationStatus
from competition.events.models import Competition, Division, Event, Occupation
from competition.grades.models import Certificate, Promotion
from competition.labels import label
from competition.pdf import (
    FONT_NAME,
    INK,
    MUTED,
    PagedDocument,
    Section,
    grid_table,
    label_width,
    layout_table,
    para,
    text_width,
)
from competition.results.exports import local_datetime
from competition.results.models import Appeal, AppealStatus, Award, Publication, Result
from competition.skill_grades import grade_label

# The bands of the totals' histogram (a total is out of 100): [0, 10), [10, 20) … [90, 100],
# the last holding 100 too.
BAND_WIDTH = 10
BANDS = tuple(range(0, 100, BAND_WIDTH))
# The audit record whose hash is the chain's head when a division's results became final.
FINALIZE_ACTION = "results.finalize"
# The check-in states in the order the tables show them.
ATTENDANCE = (Attendance.PRESENT, Attendance.ABSENT, Attendance.WITHDRAWN, Attendance.EXPECTED)
AWARDS = (Award.FIRST, Award.SECOND, Award.THIRD)
APPEAL_OUTCOMES = (AppealStatus.ACCEPTED, AppealStatus.REJECTED, AppealStatus.PENDING)

MARGIN = 15 * mm
TABLE_SIZE = 8.5
HASH_SIZE = 7.5
# The histogram's bars: a blue no other ink of the report uses.
BAR_COLOUR = (0.16, 0.42, 0.71)
CHART_HEIGHT = 50 * mm


# --- The figures ----------------------------------------------------------------------------

@dataclass(frozen=True)
class DivisionFigures:
    """The approved entries of one division, by check-in state."""

    division_id: int
    occupation: str
    event: str
    division: str
    attendance: dict[str, int]

    @property
    def entries(self) -> int:
        return sum(self.attendance.values())


@dataclass(frozen=True)
class Distribution:
    """The published totals of an event's ranked entries: the count in each band of
    ``BANDS``, their mean, the lowest and the highest."""

    bands: tuple[int, ...]
    mean: float | None = None
    lowest: float | None = None
    highest: float | None = None

    @property
    def ranked(self) -> int:
        return sum(self.bands)


@dataclass
class EventFigures:
    """Everything the report shows for one event; ``analysis`` (the judge analytics) once
    its scores are locked."""

    id: int
    name: str
    occupation: str  # the occupation's name
    distribution: Distribution = field(default_factory=lambda: Distribution((0,) * len(BANDS)))
    awards: dict[str, int] = field(default_factory=lambda: dict.fromkeys(AWARDS, 0))
    titles: int = 0
    promoted: dict[int, int] = field(default_factory=lambda: dict.fromkeys(GRADES, 0))
    reverted: dict[int, int] = field(default_factory=lambda: dict.fromkeys(GRADES, 0))
    certificates_issued: int = 0
    certificates_revoked: int = 0
    appeals: dict[str, int] = field(default_factory=lambda: dict.fromkeys(AppealStatus, 0))
    analysis: JudgeAnalysis | None = None

    @property
    def appeals_filed(self) -> int:
        return sum(self.appeals.values())


@dataclass(frozen=True)
class Finalization:
    """A division's results: when they became final and the audit chain's head then
    (None for both while they are not final)."""

    division_id: int
    event: str
    division: str
    finalized_at: datetime | None
    chain_head: str | None


@dataclass(frozen=True)
class CompetitionReport:
    """The report's figures for one competition."""

    competition: Competition
    divisions: list[DivisionFigures]
    events: list[EventFigures]
    finalizations: list[Finalization]

    @property
    def awaiting(self) -> list[Finalization]:
        """The divisions with entries whose results are not final yet."""
        with_entries = {d.division_id for d in self.divisions if d.entries}
        return [f for f in self.finalizations
                if f.division_id in with_entries and f.finalized_at is None]

    @property
    def final(self) -> list[Finalization]:
        return [f for f in self.finalizations if f.finalized_at is not None]

    @property
    def last_finalization(self) -> Finalization | None:
        """The competition's finalization: the last division's, once none is awaited."""
        if self.awaiting or not self.final:
            return None
        return max(self.final, key=lambda f: f.finalized_at)


def _occupation_name(name: str, code: str | None) -> str:
    return f"{name}（{code}）" if code else name


def _events(session: Session, competition_id: int) -> list[Event]:
    return list(session.scalars(select(Event).where(Event.competition_id == competition_id)
                                .options(joinedload(Event.occupation))
                                .order_by(Event.position, Event.id)))


def _divisions(session: Session, competition_id: int) -> list[DivisionFigures]:
    """Every division of the competition with its approved entries by check-in state."""
    query = (select(Occupation.name, Occupation.code, Event.name, Division.id, Division.name,
                    *(func.count(case((Entry.attendance == state.value, Entry.id)))
                      for state in ATTENDANCE))
             .select_from(Division).join(Event, Event.id == Division.event_id)
             .join(Occupation, Occupation.id == Event.occupation_id)
             .outerjoin(Entry, and_(Entry.division_id == Division.id,
                                    Entry.status == RegistrationStatus.APPROVED))
             .where(Event.competition_id == competition_id)
             .group_by(Occupation.name, Occupation.code, Event.position, Event.id, Event.name,
                       Division.position, Division.id, Division.name)
             .order_by(Event.position, Event.id, Division.position, Division.id))
    return [DivisionFigures(division_id, _occupation_name(name, code), event, division,
                            {state.value: count for state, count in
                             zip(ATTENDANCE, counts, strict=True)})
            for name, code, event, division_id, division, *counts in session.execute(query)]


def _results(session: Session, competition_id: int, events: dict[int, EventFigures]) -> None:
    """The published results of each event: the ranked totals in bands, their mean,
    lowest and highest, the awards and the titles."""
    total, ranked = Result.total, Result.rank.is_not(None)
    bands = [func.count(case((and_(ranked, total >= low, total < low + BAND_WIDTH)
                              if low + BAND_WIDTH < 100 else and_(ranked, total >= low),
                              Result.id)))
             for low in BANDS]
    awards = [func.count(case((Result.award == award.value, Result.id))) for award in AWARDS]
    query = (select(Entry.event_id, *bands, func.avg(case((ranked, total))),
                    func.min(case((ranked, total))), func.max(case((ranked, total))),
                    *awards, func.count(case((Result.has_title.is_(True), Result.id))))
             .select_from(Result).join(Entry, Entry.id == Result.entry_id)
             .join(Event, Event.id == Entry.event_id)
             .where(Event.competition_id == competition_id).group_by(Entry.event_id))
    for event_id, *counts in session.execute(query):
        figures = events[event_id]
        band_counts = counts[:len(BANDS)]
        mean, lowest, highest = (None if value is None else float(value)
                                 for value in counts[len(BANDS):len(BANDS) + 3])
        award_counts = counts[len(BANDS) + 3:-1]
        figures.distribution = Distribution(tuple(band_counts), mean, lowest, highest)
        figures.awards = dict(zip(AWARDS, award_counts, strict=True))
        figures.titles = counts[-1]


def _promotions(session: Session, competition_id: int, events: dict[int, EventFigures]) -> None:
    """Promotions of each event by the grade reached: in force, and reverted."""
    query = (select(Entry.event_id, Promotion.to_grade, func.count(Promotion.id),
                    func.count(Promotion.reverted_at))
             .select_from(Promotion).join(Entry, Entry.id == Promotion.entry_id)
             .join(Event, Event.id == Entry.event_id)
             .where(Event.competition_id == competition_id)
             .group_by(Entry.event_id, Promotion.to_grade))
    for event_id, grade, decided, reverted in session.execute(query):
        events[event_id].promoted[grade] = decided - reverted
        events[event_id].reverted[grade] = reverted


def _certificates(session: Session, competition_id: int,
                  events: dict[int, EventFigures]) -> None:
    """Certificates of each event: issued, and revoked of them."""
    query = (select(Entry.event_id, func.count(Certificate.id),
                    func.count(Certificate.revoked_at))
             .select_from(Certificate).join(Promotion, Promotion.id == Certificate.promotion_id)
             .join(Entry, Entry.id == Promotion.entry_id)
             .join(Event, Event.id == Entry.event_id)
             .where(Event.competition_id == competition_id).group_by(Entry.event_id))
    for event_id, issued, revoked in session.execute(query):
        events[event_id].certificates_issued = issued
        events[event_id].certificates_revoked = revoked


def _appeals(session: Session, competition_id: int, events: dict[int, EventFigures]) -> None:
    """Appeals of each event by their state."""
    query = (select(Entry.event_id, Appeal.status, func.count(Appeal.id))
             .select_from(Appeal).join(Entry, Entry.id == Appeal.entry_id)
             .join(Event, Event.id == Entry.event_id)
             .where(Event.competition_id == competition_id)
             .group_by(Entry.event_id, Appeal.status))
    for event_id, status, count in session.execute(query):
        events[event_id].appeals[AppealStatus(status)] = count


def _finalizations(session: Session, competition_id: int) -> list[Finalization]:
    """Every division: when its results became final and the hash of that record of the
    audit log (the chain's head just after it)."""
    sealed = and_(AuditEvent.action == FINALIZE_ACTION, AuditEvent.object_type == "division",
                  AuditEvent.object_id == cast(Division.id, String))
    query = (select(Division.id, Event.name, Division.name, Publication.finalized_at,
                    AuditEvent.hash)
             .select_from(Division).join(Event, Event.id == Division.event_id)
             .outerjoin(Publication, Publication.division_id == Division.id)
             .outerjoin(AuditEvent, sealed)
             .where(Event.competition_id == competition_id)
             .order_by(Event.position, Event.id, Division.position, Division.id))
    return [Finalization(division_id, event, division, finalized_at, chain_head)
            for division_id, event, division, finalized_at, chain_head
            in session.execute(query)]


def competition_report(session: Session, competition: Competition) -> CompetitionReport:
    """The report's figures for ``competition``: seven statements, and the judge
    analytics of each event whose scores are locked."""
    rows = _events(session, competition.id)
    events = {row.id: EventFigures(row.id, row.name, row.occupation.name) for row in rows}
    _results(session, competition.id, events)
    _promotions(session, competition.id, events)
    _certificates(session, competition.id, events)
    _appeals(session, competition.id, events)
    for row in rows:
        if row.scores_locked_at is not None:
            events[row.id].analysis = analyse(session, row)
    return CompetitionReport(competition, _divisions(session, competition.id),
                             list(events.values()), _finalizations(session, competition.id))


# --- The PDF ---------------------------------------------------------------------------------

def _heading(text: str) -> list:
    """A section's heading, kept on the page of what follows it."""
    return [para(text, "heading", spaceBefore=5 * mm, spaceAfter=2 * mm, keepWithNext=1)]


def _facts(facts: Sequence[tuple[str, str]], width: float):
    """Label and value pairs, one a line."""
    indent = label_width((name for name, _value in facts), 9.5)
    return layout_table([[para(name, "note", size=9.5, leading=14),
                          para(value, size=10, leading=14)] for name, value in facts],
                        [indent, width - indent], row_gap=2)


def _counts_table(header: Sequence[str], rows: list[list[str]], label_widths: Sequence[float],
                  width: float, total: list[str] | None = None):
    """A ruled table of labels then counts, the counts sharing what the labels leave."""
    counts = len(header) - len(label_widths)
    widths = [*label_widths, *([(width - sum(label_widths)) / counts] * counts)]
    body = [*rows, total] if total else rows
    style = [("BACKGROUND", (0, len(body)), (-1, len(body)), (0.97, 0.97, 0.98))] if total \
        else []
    return grid_table(header, body, widths, size=TABLE_SIZE, style=style,
                      align=("left",) * len(label_widths) + ("right",) * counts)


def _summed(rows: Sequence[Sequence[int]]) -> list[int]:
    return [sum(column) for column in zip(*rows, strict=True)] if rows else []


def _participants(report: CompetitionReport, width: float) -> list:
    if not report.divisions:
        return [para(_("The competition has no events yet."), "note")]
    header = [_("Occupation"), _("Event"), _("Division"), _("Entries"),
              *(label(state.value, "attendance") for state in ATTENDANCE)]
    values = [[d.entries, *(d.attendance[state.value] for state in ATTENDANCE)]
              for d in report.divisions]
    rows = [[d.occupation, d.event, d.division, *map(str, counts)]
            for d, counts in zip(report.divisions, values, strict=True)]
    total = [_("Total"), "", "", *map(str, _summed(values))]
    return [_counts_table(header, rows, [40 * mm, 32 * mm, 24 * mm], width, total),
            para(_("Approved entries; one person in two events counts in each."), "note",
                 spaceBefore=1 * mm)]


def _band_label(low: int) -> str:
    return f"{low}–{low + BAND_WIDTH}"


def histogram(distribution: Distribution, width: float) -> Drawing:
    """The totals' bands as a bar chart, the count printed above each bar that has one."""
    drawing = Drawing(width, CHART_HEIGHT)
    chart = VerticalBarChart()
    chart.x, chart.y = 12 * mm, 9 * mm
    chart.width, chart.height = width - 16 * mm, CHART_HEIGHT - 14 * mm
    chart.data = [list(distribution.bands)]
    chart.bars[0].fillColor = colors.Color(*BAR_COLOUR)
    chart.bars[0].strokeColor = None
    chart.barSpacing, chart.groupSpacing = 0, 6
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueMax = max(1, max(distribution.bands)) * 1.2
    chart.valueAxis.valueStep = max(1, -(-max(1, max(distribution.bands)) // 5))
    chart.categoryAxis.categoryNames = [_band_label(low) for low in BANDS]
    for axis_labels in (chart.categoryAxis.labels, chart.valueAxis.labels):
        axis_labels.fontName, axis_labels.fontSize = FONT_NAME, 7.5
        axis_labels.fillColor = colors.Color(*MUTED)
    chart.categoryAxis.strokeColor = chart.valueAxis.strokeColor = colors.Color(*MUTED)
    chart.barLabelFormat = lambda count: str(count) if count else ""
    chart.barLabels.fontName, chart.barLabels.fontSize = FONT_NAME, 8
    chart.barLabels.fillColor = colors.Color(*INK)
    chart.barLabels.nudge = 5
    drawing.add(chart)
    return drawing


def _distributions(report: CompetitionReport, width: float) -> list:
    story: list = []
    for event in report.events:
        named = event.name if event.occupation == event.name \
            else f"{event.name} · {event.occupation}"
        title = para(named, size=10.5, spaceBefore=2 * mm, spaceAfter=1 * mm)
        distribution = event.distribution
        if not distribution.ranked:
            story += [title, para(_("No published results yet."), "note")]
            continue
        note = _("%(n)s ranked entries: mean %(mean)s, lowest %(lowest)s, highest "
                 "%(highest)s.", n=distribution.ranked, mean=fixed(distribution.mean, 2),
                 lowest=fixed(distribution.lowest, 2), highest=fixed(distribution.highest, 2))
        story.append(KeepTogether([title, histogram(distribution, width),
                                   para(note, "note")]))
    story.append(para(_("Totals out of 100 of the published results, in bands of %(width)s "
                        "points: each band holds its lower bound, the last one 100 too. "
                        "Absent and withdrawn entries are not ranked and are left out.",
                        width=BAND_WIDTH), "note", spaceBefore=2 * mm))
    return story


def _promotion_rows(events: Sequence[EventFigures]) -> list[tuple[str, str, list[int]]]:
    """Each event's promotions by the grade reached, from the highest grade: (event,
    grade, [in force, reverted]) for each grade it promoted to, "None" for an event that
    promoted nobody."""
    rows = []
    for event in events:
        reached = [(grade_label(grade), [event.promoted[grade], event.reverted[grade]])
                   for grade in reversed(GRADES)
                   if event.promoted[grade] or event.reverted[grade]]
        rows += [(event.name, grade, counts) for grade, counts in reached] \
            or [(event.name, _("None"), [0, 0])]
    return rows


def _awards(report: CompetitionReport, width: float) -> list:
    events = report.events
    award_values = [[*(e.awards[a] for a in AWARDS), e.titles] for e in events]
    awards = _counts_table(
        [_("Event"), *(label(a.value, "award") for a in AWARDS), _("Title")],
        [[e.name, *map(str, counts)] for e, counts in zip(events, award_values, strict=True)],
        [50 * mm], width, [_("Total"), *map(str, _summed(award_values))])
    grades = _promotion_rows(events)
    promotions = _counts_table(
        [_("Event"), _("Grade reached"), _("In force"), _("Reverted")],
        [[name, grade, *map(str, counts)] for name, grade, counts in grades],
        [50 * mm, 60 * mm], width,
        [_("Total"), "", *map(str, _summed([counts for _n, _g, counts in grades]))])
    certificate_values = [[e.certificates_issued, e.certificates_revoked,
                           e.certificates_issued - e.certificates_revoked] for e in events]
    certificates = _counts_table(
        [_("Event"), _("Issued"), _("Revoked"), _("Valid")],
        [[e.name, *map(str, counts)]
         for e, counts in zip(events, certificate_values, strict=True)],
        [50 * mm], width, [_("Total"), *map(str, _summed(certificate_values))])
    return [para(_("Awards of the published results"), size=10.5, spaceAfter=1 * mm),
            awards, Spacer(1, 3 * mm),
            para(_("Promotions by grade reached"), size=10.5, spaceAfter=1 * mm), promotions,
            para(_("A promotion is reverted when its certificate is revoked."), "note",
                 spaceBefore=1 * mm),
            Spacer(1, 2 * mm), para(_("Certificates"), size=10.5, spaceAfter=1 * mm),
            certificates]


def _appeals_table(report: CompetitionReport, width: float):
    values = [[e.appeals_filed, *(e.appeals[status] for status in APPEAL_OUTCOMES)]
              for e in report.events]
    return _counts_table(
        [_("Event"), _("Appeals filed"),
         *(label(status.value, "appeal_status") for status in APPEAL_OUTCOMES)],
        [[e.name, *map(str, counts)] for e, counts in zip(report.events, values, strict=True)],
        [50 * mm], width, [_("Total"), *map(str, _summed(values))])


def _agreement(report: CompetitionReport, width: float):
    header = [_("Event"), _("Judges"), _("Entries in the agreement"), "Kendall's W",
              "ICC(2,1)"]
    widths = [50 * mm, 20 * mm, 34 * mm, 26 * mm]
    widths.append(width - sum(widths))
    rows, spans = [], []
    for row, event in enumerate(report.events, start=1):
        analysis = event.analysis
        if analysis is None:
            rows.append([event.name, para(_("The scores are not locked yet: no figures."),
                                          "cell", size=TABLE_SIZE), "", "", ""])
            spans.append(("SPAN", (1, row), (-1, row)))
            continue
        icc = (f"{fixed(analysis.icc.value, 2)} · {icc_words(analysis)}" if analysis.icc
               else _("Not enough marks"))
        rows.append([event.name, str(len(analysis.judges)),
                     _("%(used)s of %(scored)s", used=analysis.complete_entries,
                       scored=analysis.entries),
                     fixed(analysis.kendall.w, 2) if analysis.kendall
                     else _("Not enough marks"), icc])
    return grid_table(header, rows, widths, size=TABLE_SIZE, style=spans,
                      align=("left", "right", "right", "right", "left"))


def _audit(report: CompetitionReport, width: float) -> list:
    last = report.last_finalization
    if last is not None:
        headline = _("The results of every division are final. The audit chain's head when "
                     "the last became final (%(time)s):", time=local_datetime(last.finalized_at))
        story = [para(headline), para(last.chain_head or "—", size=HASH_SIZE + 1,
                                      spaceBefore=1 * mm, spaceAfter=2 * mm)]
    else:
        story = [para(_("Not finalized: the results of %(final)s of %(divisions)s divisions "
                        "with entries are final.", final=len(report.final),
                        divisions=len(report.final) + len(report.awaiting)),
                      spaceAfter=2 * mm)]
    if not report.finalizations:
        return story
    hash_width = text_width("0" * 64, HASH_SIZE) + 4 * mm
    widths = [0.0, 34 * mm, hash_width]
    widths[0] = width - sum(widths)
    rows = [[f"{f.event} · {f.division}",
             local_datetime(f.finalized_at) if f.finalized_at else _("Not final"),
             para(f.chain_head or "—", size=HASH_SIZE)] for f in report.finalizations]
    story += [grid_table([_("Division"), _("Final at"), _("Audit chain's head")], rows,
                         widths, size=TABLE_SIZE),
              para(_("The head is the hash of the audit log's record of the finalization, "
                     "as printed on the public-notice list: a log rewritten later no longer "
                     "leads to it."), "note", spaceBefore=1 * mm)]
    return story


def _dates(competition: Competition) -> str:
    days = [day.isoformat() for day in (competition.starts_on, competition.ends_on) if day]
    return " – ".join(dict.fromkeys(days)) or "—"


def report_pdf(report: CompetitionReport, *, printed_at: str) -> bytes:
    """The report's bytes: A4, in the reader's language."""
    competition = report.competition
    title = _("Competition report")
    document = PagedDocument(margin=MARGIN, title=f"{title} · {competition.name}",
                             page_label=_("Page %(n)s of %(total)s"))
    width = document.width
    story: list = [para(competition.name, "title", align="center"), Spacer(1, 2 * mm),
                   para(title, "lead", align="center"), Spacer(1, 5 * mm),
                   _facts([(_("Level"), label(competition.level, "competition_level")),
                           (_("Dates"), _dates(competition)),
                           (_("Host"), competition.host or "—"),
                           (_("Events"), str(len(report.events)))], width)]
    story += _heading(_("1. Participants by occupation and division"))
    story += _participants(report, width)
    story += _heading(_("2. Distribution of the totals"))
    story += _distributions(report, width)
    story += _heading(_("3. Awards, promotions and certificates"))
    story += _awards(report, width)
    story += _heading(_("4. Appeals"))
    story.append(_appeals_table(report, width))
    story += _heading(_("5. Agreement of the judges"))
    story += [_agreement(report, width),
              para(_("Over the entries' totals on the judged criteria, as the judge analytics "
                     "compute them once the scores are locked: Kendall's W (0: no agreement, "
                     "1: every judge orders the entries alike) and ICC(2,1)."), "note",
                   spaceBefore=1 * mm)]
    story += _heading(_("6. Audit chain at finalization"))
    story += _audit(report, width)
    story += [Spacer(1, 6 * mm), para(_("Figures only: no person's name, ID number or phone "
                                        "appears in this report."), "note"),
              para(_("Printed %(when)s", when=printed_at), "note", align="right")]
    running_head = [para(f"{competition.name} · {title}（{_('continued')}）", "lead",
                         align="center", spaceAfter=2 * mm)]
    return document.build([Section(story, running_head=running_head,
                                   note=f"{competition.name} · {title}")])
