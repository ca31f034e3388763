"""Results exports: the organizers' workbook, the public-notice list (公示名单)
and a contestant's score report (成绩单).

What each export shows is gathered here into plain dataclasses (``event_standings``,
``notice_of``, ``score_report_of``), then laid out by builders that take those values
and return bytes (``results_workbook``, ``notice_pdf``, ``score_report_pdf``).

- A division's results are its published snapshot (``Result`` rows) once it is
  published, and the live draft (``results.standings.event_results``) before; a draft
  is marked as such everywhere it is shown.
- Names and personal details are decoded only after the chief judge locks the
  scores (docs/design.md section 5: judges score anonymous codes); before that the
  exports show the anonymous code alone, as the results page does.
- Exports for the public (the notice list, a contestant's own report) never carry
  a full ID number or phone number (docs/design.md section 5, People): the notice list
  shows no ID number at all and names as ``Competition.name_display`` says; the
  score report shows the ID number masked. Only the organizers' workbook is whole.
- Dates are printed in the app's time zone (Asia/Shanghai by default), through
  Flask-Babel, so the builders of PDFs need an app context, as the tickets do.

The workbook's headers and words are Chinese whatever the reader's language: it is
handed on to offices and platforms that expect the Chinese form (like the import
template in ``entries.importer``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import format_date, format_time
from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import KeepTogether, Spacer, Table
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from competition.audit.log import seals
from competition.entries.idcard import mask_id_number
from competition.entries.models import Entry
from competition.errors import N_
from competition.events.awards import award_rule_of
from competition.events.models import Division, Event
from competition.labels import label
from competition.pdf import (
    BRAND,
    FONT_NAME,
    INK,
    PagedDocument,
    Section,
    grid_table,
    label_width,
    layout_table,
    para,
)
from competition.results.models import Publication, PublicationStatus, Result
from competition.results.published import published_division
from competition.results.standings import event_results
from competition.spreadsheet import workbook_bytes

DRAFT = "draft"  # a division's status before it is published
TWO_PLACES = Decimal("0.01")


# --- What the exports show ----------------------------------------------------------

@dataclass(frozen=True)
class ModuleColumn:
    id: int
    code: str
    name: str
    kind: str  # "theory" | "practical"
    weight: Decimal  # percent of the total


@dataclass(frozen=True)
class StandingLine:
    """One entry's result as the organizers see it; personal fields empty before the
    scores are locked."""

    entry_id: int
    rank: int | None
    code: str
    ticket: str
    name: str
    sex: str  # "M" | "F" | ""
    id_number: str
    phone: str
    work_unit: str
    module_scores: tuple[Decimal, ...]  # out of 100, to 2 places, in module order
    penalty: Decimal
    total: Decimal
    award: str | None  # "first" | "second" | "third"
    has_title: bool


@dataclass(frozen=True)
class DivisionStandings:
    division_id: int
    name: str
    status: str  # "draft" | "notice" | "final"
    lines: tuple[StandingLine, ...]

    @property
    def ranked_count(self) -> int:
        return sum(1 for line in self.lines if line.rank is not None)


@dataclass(frozen=True)
class EventStandings:
    competition: str
    event: str
    title_name: str
    decimals: int
    decoded: bool  # names shown: the chief judge has locked the scores
    modules: tuple[ModuleColumn, ...]
    divisions: tuple[DivisionStandings, ...]


def _places(value: Decimal | str, places: Decimal = TWO_PLACES) -> Decimal:
    return Decimal(value).quantize(places, ROUND_HALF_UP)


def _total(value: Decimal, decimals: int) -> Decimal:
    """A total to the event's decimals, as published (the column keeps four places)."""
    return _places(value, Decimal(1).scaleb(-decimals))


def _standing_line(entry: Entry, modules: Sequence[ModuleColumn], scores: dict, penalty,
                   total, rank, award, has_title, *, decoded: bool,
                   decimals: int) -> StandingLine:
    person = entry.contestant
    return StandingLine(
        entry_id=entry.id, rank=rank, code=entry.code or "",
        ticket=(entry.ticket_number or "") if decoded else "",
        name=person.name if decoded else "", sex=person.sex if decoded else "",
        id_number=person.id_number if decoded else "",
        phone=person.phone if decoded else "",
        work_unit=person.work_unit if decoded else "",
        module_scores=tuple(_places(scores.get(m.id, scores.get(str(m.id), 0)))
                            for m in modules),
        penalty=_places(penalty or 0), total=_total(total, decimals), award=award,
        has_title=bool(has_title))


def event_standings(session: Session, event: Event,
                    division_ids: Sequence[int] | None = None) -> EventStandings:
    """Every division's results (or those of ``division_ids``): the published snapshot
    where published, the live draft elsewhere; ranked entries first, by rank."""
    divisions = [d for d in event.divisions if division_ids is None or d.id in division_ids]
    modules = tuple(ModuleColumn(m.id, m.code, m.name, m.kind, Decimal(m.weight))
                    for m in event.modules)
    decoded = event.scores_locked_at is not None
    publications = {p.division_id: p for p in session.scalars(select(Publication).where(
        Publication.division_id.in_([d.id for d in divisions])))}
    entries = {e.id: e for e in session.scalars(
        select(Entry).where(Entry.event_id == event.id)
        .options(joinedload(Entry.contestant)))}
    published_rows = session.scalars(select(Result).where(
        Result.publication_id.in_([p.id for p in publications.values()]))).all() \
        if publications else []
    live = event_results(session, event.id) \
        if any(d.id not in publications for d in divisions) else []
    by_division: dict[int, list[StandingLine]] = {d.id: [] for d in divisions}
    division_of_publication = {p.id: p.division_id for p in publications.values()}
    for row in published_rows:
        entry = entries[row.entry_id]
        by_division[division_of_publication[row.publication_id]].append(_standing_line(
            entry, modules, row.module_scores, row.penalty_points, row.total, row.rank,
            row.award, row.has_title, decoded=decoded, decimals=event.decimals))
    for result in live:
        if result.division_id in by_division and result.division_id not in publications:
            entry = entries[result.entry_id]
            by_division[result.division_id].append(_standing_line(
                entry, modules, result.module_scores, result.penalty_points, result.total,
                result.rank, result.award, result.has_title, decoded=decoded,
                decimals=event.decimals))
    standings = []
    for division in divisions:
        publication = publications.get(division.id)
        lines = sorted(by_division[division.id],
                       key=lambda line: (line.rank is None, line.rank or 0, line.code,
                                         line.entry_id))
        standings.append(DivisionStandings(
            division_id=division.id, name=division.name,
            status=publication.status if publication else DRAFT, lines=tuple(lines)))
    return EventStandings(
        competition=event.competition.name, event=event.name, title_name=event.title_name,
        decimals=event.decimals, decoded=decoded, modules=modules,
        divisions=tuple(standings))


# --- The organizers' workbook ----------------------------------------------------------

AWARD_ZH = {"first": "一等奖", "second": "二等奖", "third": "三等奖"}
SEX_ZH = {"M": "男", "F": "女"}
STATUS_ZH = {DRAFT: "草稿（未发布）", PublicationStatus.NOTICE: "公示中",
             PublicationStatus.FINAL: "最终成绩"}
# Header and width (in characters) of each column before and after the modules.
LEADING_COLUMNS = (("名次", 6), ("加密号", 10), ("准考证号", 16), ("姓名", 10), ("性别", 6),
                   ("身份证号", 21), ("手机号", 14), ("工作单位", 30))
TRAILING_COLUMNS = (("扣分", 8), ("总分", 10), ("奖项", 9), ("称号", 18), ("发布状态", 14))
SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


def _sheet_name(name: str, draft: bool, taken: set[str]) -> str:
    """A sheet (tab) name Excel accepts: no []:*?/\\, at most 31 characters, unique."""
    suffix = "（草稿）" if draft else ""
    base = SHEET_NAME_FORBIDDEN.sub("_", name).strip("'") or "组别"
    base = base[:31 - len(suffix)]
    candidate, number = base + suffix, 2
    while candidate in taken:
        tail = f"_{number}{suffix}"
        candidate, number = base[:31 - len(tail)] + tail, number + 1
    taken.add(candidate)
    return candidate


def results_workbook(standings: EventStandings) -> bytes:
    """The full results as an .xlsx: one sheet per division (a draft division's sheet is
    named “…（草稿）”), a frozen header row, numbers stored as numbers."""
    book = Workbook()
    book.remove(book.active)
    book.properties.title = f"{standings.competition} {standings.event} 成绩表"
    _event_sheets(book, standings, set())
    return workbook_bytes(book)


def competition_workbook(competition: str, events: Iterable[EventStandings]) -> bytes:
    """Every event's results in one .xlsx: a sheet per division as in ``results_workbook``,
    each named after its event and division, event after event."""
    book = Workbook()
    book.remove(book.active)
    book.properties.title = f"{competition} 成绩表"
    taken: set[str] = set()
    for standings in events:
        _event_sheets(book, standings, taken, prefix=f"{standings.event} ")
    if not book.worksheets:
        book.create_sheet("成绩")
    return workbook_bytes(book)


def _event_sheets(book: Workbook, standings: EventStandings, taken: set[str], *,
                  prefix: str = "") -> None:
    """An event's sheets, one per division, each with its modules' columns."""
    module_headers = [(f"{m.code} {m.name}（{_percent(m.weight)}%）", 14)
                      for m in standings.modules]
    columns = [*LEADING_COLUMNS, *module_headers, *TRAILING_COLUMNS]
    total_format = "0" if standings.decimals <= 0 else "0." + "0" * standings.decimals
    for division in standings.divisions or (DivisionStandings(0, "成绩", DRAFT, ()),):
        sheet = book.create_sheet(_sheet_name(prefix + division.name,
                                              division.status == DRAFT, taken))
        sheet.append([header for header, _width in columns])
        for index, (_header, width) in enumerate(columns, start=1):
            cell = sheet.cell(row=1, column=index)
            cell.font = Font(bold=True)
            cell.fill = HEADER_FILL
            cell.alignment = Alignment(vertical="center", wrap_text=True)
            sheet.column_dimensions[get_column_letter(index)].width = width
        sheet.freeze_panes = "A2"
        first_score = len(LEADING_COLUMNS) + 1
        for line in division.lines:
            sheet.append([
                line.rank, line.code, line.ticket, line.name, SEX_ZH.get(line.sex, ""),
                line.id_number, line.phone, line.work_unit, *line.module_scores,
                line.penalty, line.total, AWARD_ZH.get(line.award or "", ""),
                (standings.title_name or "是") if line.has_title else "",
                STATUS_ZH.get(division.status, division.status)])
            row = sheet.max_row
            for offset in range(len(line.module_scores) + 1):
                sheet.cell(row=row, column=first_score + offset).number_format = "0.00"
            sheet.cell(row=row, column=first_score + len(line.module_scores) + 1) \
                .number_format = total_format
            for column in (6, 7):  # ID and phone: text, every digit kept
                sheet.cell(row=row, column=column).number_format = "@"


def _percent(weight: Decimal) -> str:
    return format(Decimal(weight).normalize(), "f")


# --- Dates as printed ------------------------------------------------------------------

def local_datetime(moment: datetime) -> str:
    """A moment in the app's time zone, e.g. 2026年11月22日 09:00."""
    return f"{format_date(moment, 'long')} {format_time(moment, 'HH:mm')}"


# --- The public-notice list (公示名单) -----------------------------------------------------

@dataclass(frozen=True)
class NoticeLine:
    rank: str
    name: str  # in full or masked, as the competition shows names
    work_unit: str
    total: str
    award: str


@dataclass(frozen=True)
class Notice:
    """What the public-notice list prints, as text already in the reader's language."""

    competition: str
    event: str
    division: str
    period: str  # from publication to the end of the notice
    appeal_deadline: str
    final: bool
    issuer: str
    issued_on: str
    lines: tuple[NoticeLine, ...]
    # "what and when: the audit chain's head" at publication and finalization.
    seals: tuple[str, ...] = ()
    corrections: tuple[str, ...] = ()  # 更正: when and why, oldest first
    award_rule: str = ""  # how the award quotas round and what happens to ties, in words


def notice_of(session: Session, division: Division, publication: Publication) -> Notice:
    """The notice list of a published division, from its published results."""
    published = published_division(session, division.id)
    event, competition = published.event, published.competition
    lines = []
    for line in published.lines:
        award = label(line.award, "award")
        if line.has_title and event.title_name:
            award = f"{award} · {event.title_name}" if award else event.title_name
        lines.append(NoticeLine(
            rank=str(line.rank) if line.rank is not None else _("Not ranked"),
            name=line.name, work_unit=line.work_unit,
            total=str(_total(line.total, event.decimals)), award=award))
    return Notice(
        competition=competition.name, event=event.name, division=division.name,
        period=_("%(start)s to %(end)s", start=local_datetime(publication.published_at),
                 end=local_datetime(publication.notice_ends_at)),
        appeal_deadline=local_datetime(publication.appeal_deadline),
        final=publication.status == PublicationStatus.FINAL,
        issuer=competition.host or competition.name,
        issued_on=format_date(publication.published_at, "long"), lines=tuple(lines),
        seals=tuple(seal_lines(session, division.id)),
        corrections=tuple(correction_lines(session, division.id))
        + tuple(countersignature_lines(session, event, division)),
        award_rule=award_rule_line(event))


def award_rule_line(event: Event) -> str:
    """The event's award rule in words, as the notice prints it beside the notice period."""
    return award_rule_of(event)


SEALED_ACTIONS = {"results.publish": N_("Audit chain at publication, %(time)s"),
                  "results.republish": N_("Audit chain at the correction, %(time)s"),
                  "results.finalize": N_("Audit chain when final, %(time)s")}


def correction_lines(session: Session, division_id: int) -> list[str]:
    """The corrections published for the division (更正), each "when: why"."""
    return [_("Correction of %(time)s: %(reason)s", time=local_datetime(seal.occurred_at),
              reason=seal.reason)
            for seal in seals(session, "division", division_id, ("results.republish",))]


def countersignature_lines(session: Session, event: Event, division: Division) -> list[str]:
    """Who of the supervision and arbitration group (监督仲裁组) countersigned, with the
    date, each lot draw that gave the division's entries their stations and codes, and
    the lock of the event's scores — "无" (none) where nobody did. Nothing when the
    competition has no group and nothing was countersigned."""
    from competition.entries.models import Entry as DrawnEntry
    from competition.events.tenancy import has_supervision_group
    from competition.results import countersign

    draws = [(draw_id, countersign.signatures(session, event.id, countersign.LOT_DRAW,
                                              str(draw_id)))
             for draw_id in sorted(set(session.scalars(select(DrawnEntry.draw_id).where(
                 DrawnEntry.division_id == division.id, DrawnEntry.draw_id.is_not(None)))))]
    lock = countersign.signatures(session, event.id, countersign.SCORE_LOCK,
                                  countersign.lock_reference(event.scores_locked_at))
    if not has_supervision_group(session, event.competition_id) \
            and not lock and not any(signed for _draw, signed in draws):
        return []

    def names(signed: list) -> str:
        return "、".join(f"{s.signer.display_name if s.signer else '—'}"
                        f"（{format_date(s.signature.signed_at, 'long')}）"
                        for s in signed) or _("None")

    return [*(_("Lot draw %(id)s countersigned by the supervision and arbitration group: "
                "%(names)s", id=draw_id, names=names(signed)) for draw_id, signed in draws),
            _("Lock of the scores countersigned by the supervision and arbitration group: "
              "%(names)s", names=names(lock))]


def seal_lines(session: Session, division_id: int) -> list[str]:
    """The audit chain's head at the division's publication and finalization, each as
    "what, when: hash", in the reader's language."""
    return [f"{_(SEALED_ACTIONS[seal.action], time=local_datetime(seal.occurred_at))}："
            f"{seal.hash}"
            for seal in seals(session, "division", division_id, tuple(SEALED_ACTIONS))]


PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 18 * mm
TABLE_SIZE = 9.5


def _document(title: str) -> PagedDocument:
    """An A4 document saying "Page n of total" at the foot of every page."""
    return PagedDocument(margin=MARGIN, title=title, page_label=_("Page %(n)s of %(total)s"))


def _facts(facts: Sequence[tuple[str, str]], width: float) -> Table:
    """Labels, muted, and their values beside them, one under the other."""
    indent = label_width((name for name, _value in facts), 10)
    return layout_table([[para(name, "note", size=10, leading=15),
                          para(value, size=10.5, leading=15)] for name, value in facts],
                        [indent, width - indent], row_gap=2)


def _notice_head(notice: Notice, continued: bool) -> list:
    """Competition, event and division, the heading ("continued" on later pages)."""
    heading = _("%(event)s · %(division)s — public notice of results",
                event=notice.event, division=notice.division)
    if continued:
        heading += f"（{_('continued')}）"
    return [para(notice.competition, "lead", align="center"), Spacer(1, 2 * mm),
            para(heading, "title", leading=22, align="center"), Spacer(1, 4 * mm)]


def notice_pdf(notice: Notice) -> bytes:
    """The public-notice list on A4: heading, notice period, appeal deadline and how to
    appeal, then rank, name, work unit, total and award, a table whose header row repeats
    on every page it runs onto; the issuer under the list and the page number on every
    page."""
    title = _("Public notice of results")
    document = _document(f"{notice.event} {notice.division} {title}")
    width = document.width
    story = _notice_head(notice, continued=False)
    facts = [(_("Notice period"), notice.period),
             (_("Appeal deadline"), notice.appeal_deadline)]
    if notice.award_rule:
        facts.append((_("Award rule"), notice.award_rule))
    story += [_facts(facts, width), Spacer(1, 2 * mm), para(_(
        "A contestant who disputes a result may file a written appeal before the appeal "
        "deadline, from their own result page: scan the QR code on the admission ticket "
        "and choose “File an appeal”. Appeals by other means, or after the deadline, "
        "cannot be accepted."), "note", size=9.5, leading=13.5)]
    if notice.final:
        story.append(para(_("The notice period is over; these results are final."),
                          size=9.5, leading=13.5, color=BRAND))
    story.append(Spacer(1, 4 * mm))

    widths = [16 * mm, 28 * mm, 0, 22 * mm, 40 * mm]
    widths[2] = width - sum(widths)
    story.append(grid_table(
        [_("Rank"), _("Full name"), _("Work unit"), _("Total score"), _("Award")],
        [[line.rank, line.name, line.work_unit or "—", line.total, line.award or "—"]
         for line in notice.lines],
        widths, align=("center", "left", "left", "right", "left"), size=TABLE_SIZE))
    if not notice.lines:
        story += [Spacer(1, 3 * mm), para(_("No results yet."), "note", size=10)]

    closing = [Spacer(1, 10 * mm), _closing(notice.issuer, notice.issued_on),
               Spacer(1, 6 * mm)]
    for line in notice.corrections:
        closing += [para(line, size=9.5, leading=13.5), Spacer(1, 2 * mm)]
    closing += [para(line, "fine", size=7, leading=5 * mm) for line in notice.seals]
    story.append(KeepTogether(closing))
    return document.build([Section(story, running_head=_notice_head(notice, continued=True))])


def _closing(issuer: str, issued_on: str) -> Table:
    """The issuer and date at the right, as an official notice ends."""
    return layout_table([[para(issuer, size=11, leading=15, align="right")],
                         [para(issued_on, size=10.5, leading=15, align="right")]],
                        [110 * mm], align="RIGHT")


# --- A contestant's score report (成绩单) ---------------------------------------------------

@dataclass(frozen=True)
class ReportModule:
    name: str
    weight: str  # e.g. "20%"
    score: str  # out of 100
    weighted: str  # what it adds to the total


@dataclass(frozen=True)
class ScoreReport:
    """What a score report prints, as text already in the reader's language."""

    competition: str
    event: str
    division: str
    name: str
    code: str
    ticket: str
    id_number: str  # masked
    work_unit: str
    modules: tuple[ReportModule, ...]
    penalty: str  # "" when none
    total: str
    rank: str  # e.g. "3 / 12"
    award: str
    status: str
    draft: bool
    issuer: str
    printed_at: str


def score_report_of(session: Session, entry: Entry, printed_at: datetime) -> ScoreReport | None:
    """An entry's score report: its published result once its division is published, the
    live draft before (marked as a draft); None when the entry has no result (it is not
    an approved entry of the event)."""
    event = entry.event
    standings = event_standings(session, event, division_ids=[entry.division_id])
    division = standings.divisions[0] if standings.divisions else None
    line = next((x for x in division.lines if x.entry_id == entry.id), None) \
        if division else None
    if line is None:
        return None
    publication = session.scalar(select(Publication).where(
        Publication.division_id == entry.division_id))
    return _score_report(entry, standings, division, line, publication, printed_at)


def score_reports_of(session: Session, event: Event,
                     printed_at: datetime) -> list[ScoreReport]:
    """The score report of every entry of the event that has a result (as
    ``score_report_of`` makes each), division by division in the order of the results."""
    standings = event_standings(session, event)
    publications = {p.division_id: p for p in session.scalars(select(Publication).where(
        Publication.division_id.in_([d.division_id for d in standings.divisions])))}
    entries = {e.id: e for e in session.scalars(
        select(Entry).where(Entry.event_id == event.id).options(joinedload(Entry.contestant)))}
    return [_score_report(entries[line.entry_id], standings, division, line,
                          publications.get(division.division_id), printed_at)
            for division in standings.divisions for line in division.lines]


def _score_report(entry: Entry, standings: EventStandings, division: DivisionStandings,
                  line: StandingLine, publication: Publication | None,
                  printed_at: datetime) -> ScoreReport:
    event = entry.event
    competition = event.competition
    modules = tuple(
        ReportModule(name=f"{m.code} {m.name}", weight=f"{_percent(m.weight)}%",
                     score=f"{score:.2f}", weighted=f"{_places(m.weight * score / 100):.2f}")
        for m, score in zip(standings.modules, line.module_scores, strict=True))
    if line.rank is None:
        rank = _("Not ranked")
    else:
        rank = _("%(rank)s of %(count)s", rank=line.rank, count=division.ranked_count)
    award = label(line.award, "award")
    if line.has_title and event.title_name:
        award = f"{award} · {event.title_name}" if award else event.title_name
    if publication is None:
        status = _("Draft: not yet published")
    elif publication.status == PublicationStatus.FINAL:
        status = _("Final")
    else:
        status = _("On public notice until %(end)s",
                   end=local_datetime(publication.notice_ends_at))
    person = entry.contestant
    decoded = standings.decoded
    return ScoreReport(
        competition=competition.name, event=event.name, division=division.name,
        name=person.name if decoded else "—", code=entry.code or "—",
        ticket=(entry.ticket_number or "—") if decoded else "—",
        id_number=mask_id_number(person.id_number) if decoded else "—",
        work_unit=(person.work_unit or "—") if decoded else "—", modules=modules,
        penalty=f"{line.penalty:.2f}" if line.penalty else "", total=str(line.total),
        rank=rank, award=award or "—", status=status, draft=publication is None,
        issuer=competition.host or competition.name,
        printed_at=local_datetime(printed_at))


def score_report_pdf(report: ScoreReport) -> bytes:
    """One contestant's score report on A4, with a large DRAFT mark across the page while
    the results are not published."""
    document = _document(f"{report.name} {_('Score report')}")
    return document.build([_score_report_section(report, document.width)])


def score_reports_pdf(reports: Sequence[ScoreReport], *, title: str) -> bytes:
    """Several score reports in one PDF, each as ``score_report_pdf`` prints it: on pages
    of its own, counted on their own."""
    document = _document(title)
    return document.build([_score_report_section(report, document.width)
                           for report in reports])


def _score_report_section(report: ScoreReport, width: float) -> Section:
    title = _("Score report")
    if report.draft:
        title += f"（{_('Draft')}）"
    story = [para(report.competition, "lead", align="center"), Spacer(1, 2 * mm),
             para(title, "title", size=20, leading=26, align="center"), Spacer(1, 6 * mm)]

    # The facts two to a row, each label with its value beside it.
    facts = [(_("Full name"), report.name), (_("Anonymous code"), report.code),
             (_("Ticket"), report.ticket), (_("ID number"), report.id_number),
             (_("Work unit"), report.work_unit), (_("Event"), report.event),
             (_("Division"), report.division)]
    half = width / 2
    indent = label_width((name for name, _value in facts), 9)
    cells = [[para(name, "note", size=9, leading=15), para(value, size=11, leading=15)]
             for name, value in facts]
    if len(cells) % 2:
        cells.append(["", ""])
    story += [layout_table([cells[i] + cells[i + 1] for i in range(0, len(cells), 2)],
                           [indent, half - indent] * 2, row_gap=3,
                           style=[("RIGHTPADDING", (1, 0), (1, -1), 2 * mm),
                                  ("TOPPADDING", (0, 0), (0, -1), 2),
                                  ("TOPPADDING", (2, 0), (2, -1), 2)]),
              Spacer(1, 4 * mm)]

    widths = [0, 24 * mm, 32 * mm, 34 * mm]
    widths[0] = width - sum(widths)
    story += [grid_table(
        [_("Module"), _("Weight"), _("Score (of 100)"), _("Weighted score")],
        [[m.name, m.weight, m.score, m.weighted] for m in report.modules], widths,
        align=("left", "right", "right", "right"), size=TABLE_SIZE), Spacer(1, 10 * mm)]

    summary = []
    if report.penalty:
        summary.append((_("Penalties (already deducted)"), f"−{report.penalty}", 12, INK))
    summary += [(_("Total score"), report.total, 18, INK), (_("Rank"), report.rank, 14, INK),
                (_("Award"), report.award, 14, INK),
                (_("Status"), report.status, 12, BRAND if report.draft else INK)]
    indent = label_width((name for name, *_rest in summary), 10, least=40 * mm)
    story.append(layout_table(
        [[para(name, "note", size=10, leading=14), para(value, size=size, leading=size + 3,
                                                         color=color)]
         for name, value, size, color in summary],
        [indent, width - indent], row_gap=8,
        # Each label on its value's first baseline.
        style=[("TOPPADDING", (0, row), (0, row), size - 10)
               for row, (_name, _value, size, _color) in enumerate(summary)]))

    story.append(Spacer(1, 6 * mm))
    if report.draft:
        story += [para(_("This is a draft for checking. The results are not published and "
                         "may still change."), size=9.5, leading=13.5, color=BRAND),
                  Spacer(1, 4 * mm)]
    story += [Spacer(1, 6 * mm),
              _closing(report.issuer, _("Printed %(when)s", when=report.printed_at))]
    running_head = [para(report.competition, "lead", align="center"), Spacer(1, 2 * mm),
                    para(f"{title}（{_('continued')}）", "title", align="center"),
                    Spacer(1, 4 * mm)]
    return Section(story, running_head=running_head,
                   underlay=_draft_mark if report.draft else None)


def _draft_mark(canvas: Canvas) -> None:
    """A large, light diagonal 草稿 across the page, under everything else."""
    canvas.saveState()
    canvas.setFillColorRGB(0.90, 0.80, 0.80)
    canvas.translate(PAGE_WIDTH / 2, PAGE_HEIGHT / 2)
    canvas.rotate(35)
    canvas.setFont(FONT_NAME, 110)
    canvas.drawCentredString(0, -40, _("DRAFT"))
    canvas.restoreState()
