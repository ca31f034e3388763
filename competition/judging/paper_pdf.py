"""Blank paper score sheets (纸质评分表) as PDF: one A4 page per station and module.

The fallback when tablets cannot be used: a judge marks the printed
sheet by hand, and the office types it in (``judging.paper``). A sheet names
the competition, event, module, station and anonymous code (加密号) — never
the contestant, who stays anonymous to judges until the scores are locked
(docs/design.md section 5). Each criterion of the module is a row with its code,
description and maximum, and where the judge writes: a box for points; the
choices 0 1 2 3 to circle on the WorldSkills judgement scale; 是 / 否 for an
all-or-nothing criterion; a box for the gauge reading of a measured value,
with the nominal size and tolerance printed. At the foot: the judge's
signature and the date and time, and boxes for whoever types the sheet in
and whoever confirms it. A QR code and a short text id (``E12-M3``: entry
and module) find the sheet again on the paper entry page.

The font is the CJK font the admission tickets register (``entries.tickets``).
``blank_sheet`` turns an entry and a module into text in the reader's
language (it needs an app context for translations); ``build_pdf`` only lays out.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from flask_babel import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas

from competition.entries.models import Entry
from competition.entries.tickets import ensure_font, qr_image, wrap_text
from competition.events.models import Criterion, EntryMode, Module

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 15 * mm
QR_SIZE = 24 * mm
FOOTER_HEIGHT = 34 * mm
HEADER_ROW = 8 * mm
# Column widths; the description takes the rest.
CODE_WIDTH, MAX_WIDTH, MARK_WIDTH = 16 * mm, 15 * mm, 48 * mm
# Font size, smallest row height: shrunk in steps until a module fits one page.
DENSITIES = ((9.5, 10 * mm), (8.5, 8.5 * mm), (7.5, 7 * mm))
INK = (0.11, 0.14, 0.16)
MUTED = (0.36, 0.40, 0.44)
SHADE = (0.93, 0.94, 0.96)

SHEET_REF = re.compile(r"\bE(\d{1,9})-M(\d{1,9})\b", re.IGNORECASE)
LINK_REF = re.compile(r"[?&]entry_id=(\d{1,9})&module_id=(\d{1,9})\b")


@dataclass(frozen=True)
class SheetLine:
    """One criterion as printed."""

    code: str
    description: str
    max_points: str
    entry_mode: str
    rule: str = ""  # for a measured value: nominal size and tolerance
    unit: str = ""


@dataclass(frozen=True)
class BlankSheet:
    """What one blank sheet prints, as text already in the reader's language."""

    competition: str
    event: str
    module: str
    station: str
    code: str
    ref: str  # the text id, e.g. E12-M3
    link: str  # what the QR code holds: the paper entry page for this entry and module
    lines: tuple[SheetLine, ...]


def sheet_ref(entry_id: int, module_id: int) -> str:
    return f"E{entry_id}-M{module_id}"


def parse_sheet_ref(text: str) -> tuple[int, int] | None:
    """(entry id, module id) from a typed text id like ``E12-M3`` or a scanned QR link."""
    text = (text or "").strip()
    found = SHEET_REF.search(text) or LINK_REF.search(text)
    return (int(found.group(1)), int(found.group(2))) if found else None


def _number(value: Decimal, signed: bool = False) -> str:
    text = format(Decimal(value).normalize(), "f")
    if signed and Decimal(value) > 0:
        return "+" + text
    return text


def sheet_line(criterion: Criterion) -> SheetLine:
    rule = ""
    if criterion.entry_mode == EntryMode.MEASURED and criterion.nominal is not None:
        rule = _("Nominal %(nominal)s %(unit)s, tolerance %(lower)s / %(upper)s",
                 nominal=_number(criterion.nominal), unit=criterion.unit or "",
                 lower=_number(criterion.tolerance_lower or 0, signed=True),
                 upper=_number(criterion.tolerance_upper or 0, signed=True))
    return SheetLine(code=criterion.code, description=criterion.description,
                     max_points=_number(criterion.max_points), entry_mode=criterion.entry_mode,
                     rule=rule, unit=criterion.unit or "")


def blank_sheet(entry: Entry, module: Module, link: str) -> BlankSheet:
    """The blank sheet of one entry and module; ``link`` is what the QR code holds."""
    event = entry.event
    return BlankSheet(
        competition=event.competition.name, event=event.name,
        module=f"{module.code} {module.name}", station=str(entry.station or "—"),
        code=entry.code or "—", ref=sheet_ref(entry.id, module.id), link=link,
        lines=tuple(sheet_line(c) for c in module.criteria))


def _labels() -> dict[str, str]:
    return {
        "title": _("Score sheet (paper)"),
        "module": _("Module"),
        "station": _("Station"),
        "code": _("Anonymous code"),
        "criterion_code": _("Code"),
        "criterion": _("Criterion"),
        "max": _("Max"),
        "mark": _("Mark"),
        "yes": _("Yes"),
        "no": _("No"),
        "reading": _("Reading"),
        "howto": _("Write the points in the box. For 0–3 and yes/no criteria circle one "
                   "choice; for a measured value write the gauge reading. Cross out and "
                   "initial a correction; do not erase."),
        "signature": _("Judge's signature"),
        "when": _("Date and time"),
        "office": _("For the office"),
        "typed_by": _("Typed in by"),
        "confirmed_by": _("Confirmed by"),
        "sheet": _("Sheet"),
        "continued": _("continued"),
        "page": _("Page %(n)s of %(total)s"),
        "none": _("There are no sheets to print."),
    }


def build_pdf(sheets: Iterable[BlankSheet], *, title: str = "") -> bytes:
    """The blank sheets as one PDF, each on its own A4 page (a very long marking scheme
    continues on a second page rather than shrink below a legible size)."""
    font = ensure_font()
    labels = _labels()
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, pageCompression=1)
    canvas.setTitle(title or labels["title"])
    canvas.setCreator("competition")
    count = 0
    for count, sheet in enumerate(sheets, start=1):
        if count > 1:
            canvas.showPage()
        _draw_sheet(canvas, font, sheet, labels)
    if count == 0:
        canvas.setFont(font, 12)
        canvas.drawString(MARGIN, PAGE_HEIGHT - MARGIN - 12, labels["none"])
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _draw_sheet(canvas: Canvas, font: str, sheet: BlankSheet, labels: dict[str, str]) -> None:
    left, right = MARGIN, PAGE_WIDTH - MARGIN
    desc_width = right - left - CODE_WIDTH - MAX_WIDTH - MARK_WIDTH
    top = _draw_head(canvas, font, sheet, labels)
    bottom = MARGIN + FOOTER_HEIGHT
    size, min_row, rows = _fit(font, sheet.lines, desc_width, top - HEADER_ROW - bottom)
    pages = _paginate(rows, top - HEADER_ROW - bottom)
    for number, page_rows in enumerate(pages, start=1):
        if number > 1:
            canvas.showPage()
            top = _draw_head(canvas, font, sheet, labels, continued=True)
        y = _draw_table_head(canvas, font, labels, top)
        for line, wrapped, rule_lines, height in page_rows:
            _draw_row(canvas, font, labels, line, wrapped, rule_lines, size, y, height)
            y -= height
        _draw_foot(canvas, font, sheet, labels, number, len(pages))


def _draw_head(canvas: Canvas, font: str, sheet: BlankSheet, labels: dict[str, str],
               continued: bool = False) -> float:
    """Competition, event, title, the module, station and code, the QR code. Returns the y
    where the table starts."""
    left, right = MARGIN, PAGE_WIDTH - MARGIN
    top = PAGE_HEIGHT - MARGIN
    canvas.setFillColorRGB(*MUTED)
    canvas.setFont(font, 10)
    text_right = right - QR_SIZE - 4 * mm
    for i, line in enumerate(_wrap(font, sheet.competition, 10, text_right - left)[:2]):
        canvas.drawString(left, top - 8 - i * 13, line)
    y = top - 8 - 13 * min(2, len(_wrap(font, sheet.competition, 10, text_right - left)))
    canvas.setFillColorRGB(*INK)
    canvas.setFont(font, 16)
    heading = f"{sheet.event} · {labels['title']}"
    if continued:
        heading += f"（{labels['continued']}）"
    canvas.drawString(left, y - 10, heading)
    y -= 10 + 16

    # The QR code at the top right, with the text id under it.
    qr_y = top - QR_SIZE
    canvas.drawImage(ImageReader(qr_image(sheet.link, box_size=6)), right - QR_SIZE, qr_y,
                     QR_SIZE, QR_SIZE)
    canvas.setFont(font, 8)
    canvas.setFillColorRGB(*MUTED)
    canvas.drawCentredString(right - QR_SIZE / 2, qr_y - 9, f"{labels['sheet']} {sheet.ref}")
    canvas.setFillColorRGB(*INK)

    # Module across, then station and code in boxes large enough to read at a glance.
    canvas.setFont(font, 9)
    canvas.setFillColorRGB(*MUTED)
    canvas.drawString(left, y - 4, labels["module"])
    canvas.setFillColorRGB(*INK)
    module_lines = _wrap(font, sheet.module, 12, text_right - left - 16 * mm)[:2]
    canvas.setFont(font, 12)
    for i, line in enumerate(module_lines):
        canvas.drawString(left + 16 * mm, y - 4 - i * 15, line)
    y -= 4 + 15 * len(module_lines) + 2
    y = min(y, qr_y - 14)
    box_height = 14 * mm
    box_width = (right - left - 4 * mm) / 2
    for i, (key, value) in enumerate((("station", sheet.station), ("code", sheet.code))):
        x = left + i * (box_width + 4 * mm)
        canvas.setLineWidth(0.8)
        canvas.rect(x, y - box_height, box_width, box_height)
        canvas.setFont(font, 9)
        canvas.setFillColorRGB(*MUTED)
        canvas.drawString(x + 3 * mm, y - box_height / 2 - 3, labels[key])
        canvas.setFillColorRGB(*INK)
        canvas.setFont(font, 20)
        canvas.drawString(x + 26 * mm, y - box_height / 2 - 7, value)
    y -= box_height + 5 * mm
    canvas.setFont(font, 8)
    canvas.setFillColorRGB(*MUTED)
    for line in _wrap(font, labels["howto"], 8, right - left):
        canvas.drawString(left, y, line)
        y -= 10
    canvas.setFillColorRGB(*INK)
    return y - 2 * mm


def _fit(font: str, lines: tuple[SheetLine, ...], desc_width: float, room: float):
    """The densest layout needed for the rows to fit ``room``, and the rows laid out."""
    for size, min_row in DENSITIES:
        rows = _rows(font, lines, desc_width, size, min_row)
        if sum(r[3] for r in rows) <= room:
            break
    return size, min_row, rows


def _rows(font: str, lines, desc_width: float, size: float, min_row: float):
    rows = []
    for line in lines:
        wrapped = _wrap(font, line.description, size, desc_width - 4 * mm)
        rule_lines = _wrap(font, line.rule, size - 1.5, desc_width - 4 * mm) if line.rule else []
        needed = len(wrapped) * (size + 3) + len(rule_lines) * (size + 1.5) + 3 * mm
        rows.append((line, wrapped, rule_lines, max(min_row, needed)))
    return rows


def _paginate(rows, room: float) -> list[list]:
    pages: list[list] = [[]]
    used = 0.0
    for row in rows:
        if pages[-1] and used + row[3] > room:
            pages.append([])
            used = 0.0
        pages[-1].append(row)
        used += row[3]
    return pages


def _draw_table_head(canvas: Canvas, font: str, labels: dict[str, str], top: float) -> float:
    left, right = MARGIN, PAGE_WIDTH - MARGIN
    canvas.setFillColorRGB(*SHADE)
    canvas.rect(left, top - HEADER_ROW, right - left, HEADER_ROW, stroke=0, fill=1)
    canvas.setFillColorRGB(*INK)
    canvas.setLineWidth(0.8)
    canvas.rect(left, top - HEADER_ROW, right - left, HEADER_ROW)
    canvas.setFont(font, 9)
    baseline = top - HEADER_ROW / 2 - 3
    x_max = right - MARK_WIDTH - MAX_WIDTH
    canvas.drawString(left + 2 * mm, baseline, labels["criterion_code"])
    canvas.drawString(left + CODE_WIDTH + 2 * mm, baseline, labels["criterion"])
    canvas.drawCentredString(x_max + MAX_WIDTH / 2, baseline, labels["max"])
    canvas.drawCentredString(right - MARK_WIDTH / 2, baseline, labels["mark"])
    return top - HEADER_ROW


def _draw_row(canvas: Canvas, font: str, labels: dict[str, str], line: SheetLine,
              wrapped: list[str], rule_lines: list[str], size: float, y: float,
              height: float) -> None:
    left, right = MARGIN, PAGE_WIDTH - MARGIN
    x_max = right - MARK_WIDTH - MAX_WIDTH
    x_mark = right - MARK_WIDTH
    canvas.setLineWidth(0.5)
    canvas.rect(left, y - height, right - left, height)
    for x in (left + CODE_WIDTH, x_max, x_mark):
        canvas.line(x, y, x, y - height)
    text_y = y - 2 * mm - size
    canvas.setFont(font, size)
    canvas.drawString(left + 2 * mm, text_y, line.code)
    canvas.drawCentredString(x_max + MAX_WIDTH / 2, text_y, line.max_points)
    for i, part in enumerate(wrapped):
        canvas.drawString(left + CODE_WIDTH + 2 * mm, text_y - i * (size + 3), part)
    if rule_lines:
        canvas.setFont(font, size - 1.5)
        canvas.setFillColorRGB(*MUTED)
        rule_y = text_y - len(wrapped) * (size + 3)
        for i, part in enumerate(rule_lines):
            canvas.drawString(left + CODE_WIDTH + 2 * mm, rule_y - i * (size + 1.5), part)
        canvas.setFillColorRGB(*INK)
    _draw_mark_cell(canvas, font, labels, line, x_mark, y, height, size)


def _draw_mark_cell(canvas: Canvas, font: str, labels: dict[str, str], line: SheetLine,
                    x: float, y: float, height: float, size: float) -> None:
    middle = y - height / 2
    choice_size = size + 2.5
    if line.entry_mode == EntryMode.SCALE_0_3:
        canvas.setFont(font, choice_size)
        step = MARK_WIDTH / 4
        for i, choice in enumerate(("0", "1", "2", "3")):
            canvas.drawCentredString(x + step * (i + 0.5), middle - choice_size / 3, choice)
        return
    if line.entry_mode == EntryMode.PASS_FAIL:
        canvas.setFont(font, choice_size)
        canvas.drawCentredString(x + MARK_WIDTH * 0.3, middle - choice_size / 3, labels["yes"])
        canvas.drawCentredString(x + MARK_WIDTH * 0.7, middle - choice_size / 3, labels["no"])
        return
    # A box to write in: points, or the gauge reading followed by its unit.
    box_height = min(height - 2.5 * mm, 8 * mm)
    box_width = MARK_WIDTH - 14 * mm if line.entry_mode == EntryMode.MEASURED \
        else MARK_WIDTH - 16 * mm
    box_x = x + 3 * mm
    canvas.setLineWidth(0.6)
    canvas.rect(box_x, middle - box_height / 2, box_width, box_height)
    if line.entry_mode == EntryMode.MEASURED:
        canvas.setFont(font, size - 1.5)
        canvas.setFillColorRGB(*MUTED)
        canvas.drawString(box_x + 1.2 * mm, middle + box_height / 2 - size + 0.5,
                          labels["reading"])
        canvas.setFillColorRGB(*INK)
        canvas.setFont(font, size)
        canvas.drawString(box_x + box_width + 1.5 * mm, middle - size / 3, line.unit)


def _draw_foot(canvas: Canvas, font: str, sheet: BlankSheet, labels: dict[str, str],
               number: int, total: int) -> None:
    left, right = MARGIN, PAGE_WIDTH - MARGIN
    y = MARGIN + FOOTER_HEIGHT - 10 * mm
    canvas.setFont(font, 10)
    half = (right - left) / 2
    for i, key in enumerate(("signature", "when")):
        x = left + i * half
        canvas.drawString(x, y, labels[key])
        label_width = pdfmetrics.stringWidth(labels[key], font, 10)
        canvas.setLineWidth(0.6)
        canvas.line(x + label_width + 2 * mm, y - 1.5, x + half - 6 * mm, y - 1.5)
    y -= 11 * mm
    canvas.setFont(font, 8)
    canvas.setFillColorRGB(*MUTED)
    canvas.drawString(left, y, labels["office"])
    office_x = left + pdfmetrics.stringWidth(labels["office"], font, 8) + 4 * mm
    for i, key in enumerate(("typed_by", "confirmed_by")):
        x = office_x + i * 60 * mm
        canvas.drawString(x, y, labels[key])
        label_width = pdfmetrics.stringWidth(labels[key], font, 8)
        canvas.line(x + label_width + 2 * mm, y - 1.5, x + 52 * mm, y - 1.5)
    canvas.setFont(font, 7.5)
    canvas.drawString(left, MARGIN, f"{sheet.event} · {sheet.module} · {labels['station']} "
                                    f"{sheet.station} · {sheet.code} · {sheet.ref}")
    canvas.drawRightString(right, MARGIN, labels["page"] % {"n": number, "total": total})
    canvas.setFillColorRGB(*INK)




def _wrap(font: str, text: str, size: float, width: float) -> list[str]:
    return wrap_text(text, size, width, font)
