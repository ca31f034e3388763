"""Results exports: the organizers' workbook, the public-notice list (公示名单)
and a contestant's score report (成绩单).

What each export shows is gathered here into plain dataclasses (``event_standings``,
``notice_of``, ``score_report_of``), then laid out by builders that take those values
and return bytes (``results_workbook``, ``notice_pdf``, ``score_report_pdf``).

- A division's results are its published snapshot (``Result`` rows) once it is
  published, and the live draft (``results.service.event_results``) before; a draft
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

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import format_date, format_time
from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from competition.audit.log import seals
from competition.entries.idcard import mask_id_number, mask_name
from competition.entries.models import Entry
from competition.entries.tickets import ensure_font, wrap_text
from competition.events.models import Division, Event, NameDisplay
from competition.events.scheme import N_
from competition.labels import label
from competition.results.models import Publication, PublicationStatus, Result
from competition.results.service import event_results
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
    module_headers = [(f"{m.code} {m.name}（{_percent(m.weight)}%）", 14)
                      for m in standings.modules]
    columns = [*LEADING_COLUMNS, *module_headers, *TRAILING_COLUMNS]
    total_format = "0" if standings.decimals <= 0 else "0." + "0" * standings.decimals
    taken: set[str] = set()
    for division in standings.divisions or (DivisionStandings(0, "成绩", DRAFT, ()),):
        sheet = book.create_sheet(_sheet_name(division.name, division.status == DRAFT, taken))
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
    return workbook_bytes(book)


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
    """The notice list of a published division, from its published ``Result`` rows."""
    event = session.get(Event, division.event_id)
    competition = event.competition
    masked = competition.name_display != NameDisplay.FULL
    rows = session.execute(
        select(Result, Entry).join(Entry, Entry.id == Result.entry_id)
        .where(Result.publication_id == publication.id)
        .options(joinedload(Entry.contestant))
        .order_by(Result.rank.is_(None), Result.rank, Entry.code, Entry.id)).all()
    lines = []
    for result, entry in rows:
        name = entry.contestant.name
        award = label(result.award, "award")
        if result.has_title and event.title_name:
            award = f"{award} · {event.title_name}" if award else event.title_name
        lines.append(NoticeLine(
            rank=str(result.rank) if result.rank is not None else _("Not ranked"),
            name=mask_name(name) if masked else name, work_unit=entry.contestant.work_unit,
            total=str(_total(result.total, event.decimals)), award=award))
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
    from competition.results.service import award_rule_of

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
FOOT = 14 * mm  # room kept at the bottom of every page for its number
INK = (0.11, 0.14, 0.16)
MUTED = (0.36, 0.40, 0.44)
SHADE = (0.93, 0.94, 0.96)
BRAND = (0.70, 0.15, 0.12)
TABLE_SIZE = 9.5
ROW_PAD = 2.2 * mm
HEADER_ROW = 8 * mm


@dataclass
class _Column:
    key: str
    width: float
    align: str = "left"  # "left" | "center" | "right"


@dataclass
class _Table:
    columns: list[_Column]
    headers: dict[str, str]
    rows: list[dict[str, list[str]]] = field(default_factory=list)
    heights: list[float] = field(default_factory=list)


def _table(font: str, columns: list[_Column], headers: dict[str, str],
           rows: Sequence[dict[str, str]]) -> _Table:
    table = _Table(columns, headers)
    for row in rows:
        wrapped = {c.key: wrap_text(row[c.key], TABLE_SIZE, c.width - 3 * mm, font) or [""]
                   for c in columns}
        table.rows.append(wrapped)
        lines = max(len(w) for w in wrapped.values())
        table.heights.append(lines * (TABLE_SIZE + 3) + 2 * ROW_PAD - 3)
    return table


def _draw_table_head(canvas: Canvas, font: str, table: _Table, y: float) -> float:
    left = MARGIN
    width = sum(c.width for c in table.columns)
    canvas.setFillColorRGB(*SHADE)
    canvas.rect(left, y - HEADER_ROW, width, HEADER_ROW, stroke=0, fill=1)
    canvas.setFillColorRGB(*INK)
    canvas.setLineWidth(0.8)
    canvas.rect(left, y - HEADER_ROW, width, HEADER_ROW)
    canvas.setFont(font, 9)
    x = left
    for column in table.columns:
        _draw_cell_text(canvas, column, table.headers[column.key], x, y - HEADER_ROW / 2 - 3)
        x += column.width
    return y - HEADER_ROW


def _draw_cell_text(canvas: Canvas, column: _Column, text: str, x: float, y: float) -> None:
    if column.align == "center":
        canvas.drawCentredString(x + column.width / 2, y, text)
    elif column.align == "right":
        canvas.drawRightString(x + column.width - 1.5 * mm, y, text)
    else:
        canvas.drawString(x + 1.5 * mm, y, text)


def _draw_table_row(canvas: Canvas, font: str, table: _Table, index: int, y: float) -> float:
    height = table.heights[index]
    left = MARGIN
    canvas.setLineWidth(0.4)
    canvas.rect(left, y - height, sum(c.width for c in table.columns), height)
    canvas.setFont(font, TABLE_SIZE)
    x = left
    for column in table.columns:
        if x > left:
            canvas.line(x, y, x, y - height)
        for i, part in enumerate(table.rows[index][column.key]):
            _draw_cell_text(canvas, column, part, x, y - ROW_PAD - TABLE_SIZE + 2
                            - i * (TABLE_SIZE + 3))
        x += column.width
    return y - height


def _page_number(canvas: Canvas, font: str, number: int, total: int) -> None:
    canvas.setFont(font, 8.5)
    canvas.setFillColorRGB(*MUTED)
    canvas.drawCentredString(PAGE_WIDTH / 2, MARGIN / 2 + 2,
                             _("Page %(n)s of %(total)s", n=number, total=total))
    canvas.setFillColorRGB(*INK)


def _label_width(font: str, text: str, size: float) -> float:
    """Room for a label before its value: at least 20 mm, more for a long (English) one."""
    return max(20 * mm, pdfmetrics.stringWidth(text, font, size) + 4 * mm)


def _paragraph(canvas: Canvas, font: str, text: str, size: float, y: float,
               color=INK, indent: float = 0) -> float:
    canvas.setFont(font, size)
    canvas.setFillColorRGB(*color)
    for line in wrap_text(text, size, PAGE_WIDTH - 2 * MARGIN - indent, font):
        canvas.drawString(MARGIN + indent, y, line)
        y -= size + 4
    canvas.setFillColorRGB(*INK)
    return y


def _notice_head(canvas: Canvas, font: str, notice: Notice, continued: bool) -> float:
    """Competition, event and division, the heading; on the first page also the notice
    period, the appeal deadline and how to appeal. Returns where the table starts."""
    y = PAGE_HEIGHT - MARGIN - 4
    canvas.setFillColorRGB(*MUTED)
    canvas.setFont(font, 11)
    for line in wrap_text(notice.competition, 11, PAGE_WIDTH - 2 * MARGIN, font)[:2]:
        canvas.drawCentredString(PAGE_WIDTH / 2, y, line)
        y -= 15
    canvas.setFillColorRGB(*INK)
    heading = _("%(event)s · %(division)s — public notice of results",
                event=notice.event, division=notice.division)
    if continued:
        heading += f"（{_('continued')}）"
    for line in wrap_text(heading, 16, PAGE_WIDTH - 2 * MARGIN, font)[:2]:
        canvas.setFont(font, 16)
        canvas.drawCentredString(PAGE_WIDTH / 2, y - 8, line)
        y -= 22
    y -= 10
    if continued:
        return y
    facts = [(_("Notice period"), notice.period),
             (_("Appeal deadline"), notice.appeal_deadline)]
    if notice.award_rule:
        facts.append((_("Award rule"), notice.award_rule))
    indent = max(_label_width(font, name, 10) for name, _value in facts)
    for name, value in facts:
        canvas.setFont(font, 10)
        canvas.setFillColorRGB(*MUTED)
        canvas.drawString(MARGIN, y, name)
        canvas.setFillColorRGB(*INK)
        y = _paragraph(canvas, font, value, 10.5, y, indent=indent) - 2
    y = _paragraph(canvas, font, _(
        "A contestant who disputes a result may file a written appeal before the appeal "
        "deadline, from their own result page: scan the QR code on the admission ticket "
        "and choose “File an appeal”. Appeals by other means, or after the deadline, "
        "cannot be accepted."), 9.5, y - 2, color=MUTED)
    if notice.final:
        y = _paragraph(canvas, font, _("The notice period is over; these results are "
                                       "final."), 9.5, y, color=BRAND)
    return y - 4


def notice_pdf(notice: Notice) -> bytes:
    """The public-notice list on A4: heading, notice period, appeal deadline and how to
    appeal, then rank, name, work unit, total and award; the issuer under the list and
    the page number on every page."""
    font = ensure_font()
    content_width = PAGE_WIDTH - 2 * MARGIN
    columns = [_Column("rank", 16 * mm, "center"), _Column("name", 28 * mm),
               _Column("work_unit", 0), _Column("total", 22 * mm, "right"),
               _Column("award", 40 * mm)]
    columns[2].width = content_width - sum(c.width for c in columns)
    headers = {"rank": _("Rank"), "name": _("Full name"), "work_unit": _("Work unit"),
               "total": _("Total score"), "award": _("Award")}
    table = _table(font, columns, headers, [
        {"rank": line.rank, "name": line.name, "work_unit": line.work_unit or "—",
         "total": line.total, "award": line.award or "—"} for line in notice.lines])
    closing_height = (26 + 5 * len(notice.seals) + 6 * len(notice.corrections)) * mm

    # Lay the rows out on pages first, so every page can say how many there are.
    probe = Canvas(io.BytesIO(), pagesize=A4)
    first_top = _notice_head(probe, font, notice, continued=False)
    later_top = _notice_head(probe, font, notice, continued=True)
    pages: list[list[int]] = [[]]
    room = first_top - HEADER_ROW - (MARGIN + FOOT)
    for index, height in enumerate(table.heights):
        if pages[-1] and height > room:
            pages.append([])
            room = later_top - HEADER_ROW - (MARGIN + FOOT)
        pages[-1].append(index)
        room -= height
    closing_on_new_page = room < closing_height
    total_pages = len(pages) + (1 if closing_on_new_page else 0)

    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, pageCompression=1)
    canvas.setTitle(f"{notice.event} {notice.division} {_('Public notice of results')}")
    canvas.setCreator("competition")
    y = 0.0
    for number, rows in enumerate(pages, start=1):
        if number > 1:
            canvas.showPage()
        y = _notice_head(canvas, font, notice, continued=number > 1)
        y = _draw_table_head(canvas, font, table, y)
        for index in rows:
            y = _draw_table_row(canvas, font, table, index, y)
        if not notice.lines:
            y = _paragraph(canvas, font, _("No results yet."), 10, y - 14, color=MUTED)
        _page_number(canvas, font, number, total_pages)
    if closing_on_new_page:
        canvas.showPage()
        y = _notice_head(canvas, font, notice, continued=True)
        _page_number(canvas, font, total_pages, total_pages)
    _closing(canvas, font, notice.issuer, notice.issued_on, y - 10 * mm)
    y -= 24 * mm
    for line in notice.corrections:
        y = _paragraph(canvas, font, line, 9.5, y, color=INK) - 2 * mm
    _seals(canvas, font, notice.seals, y)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _closing(canvas: Canvas, font: str, issuer: str, issued_on: str, y: float) -> None:
    """The issuer and date at the right, as an official notice ends."""
    right = PAGE_WIDTH - MARGIN
    canvas.setFillColorRGB(*INK)
    canvas.setFont(font, 11)
    for line in wrap_text(issuer, 11, 110 * mm, font)[:3]:
        canvas.drawRightString(right, y, line)
        y -= 15
    canvas.setFont(font, 10.5)
    canvas.drawRightString(right, y, issued_on)


def _seals(canvas: Canvas, font: str, seals: tuple[str, ...], y: float) -> None:
    """The audit chain's heads, small, under the closing: anyone holding this paper can
    later ask that the log still leads to them (docs/audit.md)."""
    canvas.setFillColorRGB(*MUTED)
    canvas.setFont(font, 7)
    for line in seals:
        canvas.drawString(MARGIN, y, line)
        y -= 5 * mm


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
    competition = event.competition
    standings = event_standings(session, event, division_ids=[entry.division_id])
    division = standings.divisions[0] if standings.divisions else None
    line = next((x for x in division.lines if x.entry_id == entry.id), None) \
        if division else None
    if line is None:
        return None
    publication = session.scalar(select(Publication).where(
        Publication.division_id == entry.division_id))
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
    """One contestant's score report on one A4 page, with a large DRAFT mark across the
    page while the results are not published."""
    font = ensure_font()
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, pageCompression=1)
    canvas.setTitle(f"{report.name} {_('Score report')}")
    canvas.setCreator("competition")
    if report.draft:
        _draft_mark(canvas, font)
    content_width = PAGE_WIDTH - 2 * MARGIN

    y = PAGE_HEIGHT - MARGIN - 4
    canvas.setFillColorRGB(*MUTED)
    canvas.setFont(font, 11)
    for line in wrap_text(report.competition, 11, content_width, font)[:2]:
        canvas.drawCentredString(PAGE_WIDTH / 2, y, line)
        y -= 15
    canvas.setFillColorRGB(*INK)
    canvas.setFont(font, 20)
    title = _("Score report")
    if report.draft:
        title += f"（{_('Draft')}）"
    canvas.drawCentredString(PAGE_WIDTH / 2, y - 12, title)
    y -= 40

    facts = [(_("Full name"), report.name), (_("Anonymous code"), report.code),
             (_("Ticket"), report.ticket), (_("ID number"), report.id_number),
             (_("Work unit"), report.work_unit), (_("Event"), report.event),
             (_("Division"), report.division)]
    half = content_width / 2
    indent = max(_label_width(font, name, 9) for name, _value in facts)
    for index, (name, value) in enumerate(facts):
        x = MARGIN + (index % 2) * half
        canvas.setFont(font, 9)
        canvas.setFillColorRGB(*MUTED)
        canvas.drawString(x, y, name)
        canvas.setFillColorRGB(*INK)
        canvas.setFont(font, 11)
        canvas.drawString(x + indent, y, (wrap_text(value, 11, half - indent - 2 * mm, font)
                                          or [""])[0])
        if index % 2 == 1 or index == len(facts) - 1:
            y -= 18
    y -= 8

    columns = [_Column("module", 0), _Column("weight", 24 * mm, "right"),
               _Column("score", 32 * mm, "right"), _Column("weighted", 34 * mm, "right")]
    columns[0].width = content_width - sum(c.width for c in columns)
    headers = {"module": _("Module"), "weight": _("Weight"), "score": _("Score (of 100)"),
               "weighted": _("Weighted score")}
    table = _table(font, columns, headers, [
        {"module": m.name, "weight": m.weight, "score": m.score, "weighted": m.weighted}
        for m in report.modules])
    y = _draw_table_head(canvas, font, table, y)
    for index in range(len(table.rows)):
        y = _draw_table_row(canvas, font, table, index, y)
    y -= 10 * mm

    summary = []
    if report.penalty:
        summary.append((_("Penalties (already deducted)"), f"−{report.penalty}", 12, INK))
    summary += [(_("Total score"), report.total, 18, INK), (_("Rank"), report.rank, 14, INK),
                (_("Award"), report.award, 14, INK),
                (_("Status"), report.status, 12, BRAND if report.draft else INK)]
    indent = max(40 * mm, *(_label_width(font, name, 10) for name, *_rest in summary))
    for name, value, size, color in summary:
        canvas.setFont(font, 10)
        canvas.setFillColorRGB(*MUTED)
        canvas.drawString(MARGIN, y, name)
        canvas.setFillColorRGB(*color)
        lines = wrap_text(value, size, content_width - indent, font) or [""]
        canvas.setFont(font, size)
        for i, part in enumerate(lines):
            canvas.drawString(MARGIN + indent, y - i * (size + 3), part)
        y -= max(size + 10, len(lines) * (size + 3) + 8)
    canvas.setFillColorRGB(*INK)

    y -= 6 * mm
    if report.draft:
        y = _paragraph(canvas, font, _("This is a draft for checking. The results are not "
                                       "published and may still change."), 9.5, y,
                       color=BRAND) - 6
    _closing(canvas, font, report.issuer, _("Printed %(when)s", when=report.printed_at),
             max(y - 6 * mm, MARGIN + FOOT + 20 * mm))
    _page_number(canvas, font, 1, 1)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _draft_mark(canvas: Canvas, font: str) -> None:
    """A large, light diagonal 草稿 across the page, under everything else."""
    canvas.saveState()
    canvas.setFillColorRGB(0.90, 0.80, 0.80)
    canvas.translate(PAGE_WIDTH / 2, PAGE_HEIGHT / 2)
    canvas.rotate(35)
    canvas.setFont(font, 110)
    canvas.drawCentredString(0, -40, _("DRAFT"))
    canvas.restoreState()
