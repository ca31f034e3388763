"""Blank paper score sheets (纸质评分表) as PDF: one A4 page per station and module.

The fallback when tablets cannot be used: a judge marks the printed
sheet by hand, and the office types it in (``judging.paper_sheets``). A sheet names
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

Laid out with ReportLab's Platypus through the PDF toolkit (``competition.pdf``): the
criteria are a table whose header row repeats when a long marking scheme runs onto a
further page, and every page of a sheet carries its head, the lines to sign and
"Page n of total". ``blank_sheet`` turns an entry and a module into text in the reader's
language (it needs an app context for translations); ``build_pdf`` only lays out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from flask_babel import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import Spacer

from competition.entries.models import Entry
from competition.events.models import Criterion, EntryMode, Module
from competition.pdf import (
    INK,
    MUTED,
    PagedDocument,
    Section,
    grid_table,
    label_width,
    layout_table,
    para,
    qr_flowable,
    tallest_row,
    text_width,
)

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 15 * mm
QR_SIZE = 24 * mm
BOX_HEIGHT = 14 * mm  # the station and code boxes
# Column widths; the description takes the rest.
CODE_WIDTH, MAX_WIDTH, MARK_WIDTH = 16 * mm, 15 * mm, 48 * mm
MARK_PADDING = 1.25 * mm  # above and below the marking cell's content
# Font size, smallest row height: shrunk in steps until a module fits one page.
DENSITIES = ((9.5, 10 * mm), (8.5, 8.5 * mm), (7.5, 7 * mm))

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
    """The blank sheets as one PDF, each starting on its own A4 page (a very long marking
    scheme continues on further pages, its header row, the sheet's head and the lines to
    sign repeated, rather than shrink below a legible size)."""
    labels = _labels()
    document = PagedDocument(margin=MARGIN, title=title or labels["title"],
                             page_label=labels["page"], number_align="right")
    sections = [_section(document, sheet, labels) for sheet in sheets]
    if not sections:
        document = PagedDocument(margin=MARGIN, title=title or labels["title"])
        sections = [Section([para(labels["none"], size=12)])]
    return document.build(sections)


def _section(document: PagedDocument, sheet: BlankSheet, labels: dict[str, str]) -> Section:
    """One sheet: its head and the criteria table, the lines to sign at the foot of every
    page, and the sheet named on the page line. The densest layout needed is chosen for
    the sheet to fit one page."""
    width = document.width
    section = Section(
        story=[], running_head=_head(sheet, labels, width, continued=True),
        foot=_foot(labels, width),
        note=f"{sheet.event} · {sheet.module} · {labels['station']} {sheet.station} · "
             f"{sheet.code} · {sheet.ref}")
    head = _head(sheet, labels, width)
    room = document.room(section) - sum(part.wrap(width, PAGE_HEIGHT)[1] for part in head)
    for size, min_row in DENSITIES:
        table = _criteria(sheet.lines, labels, width, size, min_row)
        if table.wrap(width, PAGE_HEIGHT)[1] <= room:
            break
    else:
        # A description longer than a whole page breaks across pages.
        if sheet.lines and tallest_row(table, width) > document.room(section, continued=True):
            table = _criteria(sheet.lines, labels, width, size, min_row, split_rows=True)
    section.story = [*head, table]
    return section


def _head(sheet: BlankSheet, labels: dict[str, str], width: float,
          continued: bool = False) -> list:
    """Competition, event and title, the module, the QR code with the text id under it,
    then station and code in boxes large enough to read at a glance, and how to fill the
    sheet in."""
    heading = f"{sheet.event} · {labels['title']}"
    if continued:
        heading += f"（{labels['continued']}）"
    text_width = width - QR_SIZE - 4 * mm
    module_label = label_width([labels["module"]], 9, least=16 * mm)
    text = [
        para(sheet.competition, "note", size=10, leading=13),
        Spacer(1, 1.5 * mm),
        para(heading, "title", size=16, leading=20),
        Spacer(1, 2 * mm),
        layout_table([[para(labels["module"], "note", size=9, leading=15),
                       para(sheet.module, "heading", size=12, leading=15)]],
                     [module_label, text_width - module_label],
                     style=[("TOPPADDING", (0, 0), (0, 0), 3)]),  # on the value's baseline
    ]
    code = [qr_flowable(sheet.link, QR_SIZE, box_size=6),
            para(f"{labels['sheet']} {sheet.ref}", "fine", size=8, align="center")]
    top = layout_table([[text, "", code]], [text_width, 4 * mm, QR_SIZE])

    box_width = (width - 4 * mm) / 2
    box_label = label_width([labels["station"], labels["code"]], 9, least=23 * mm)

    def box(key: str, value: str):
        return layout_table(
            [[para(labels[key], "note", size=9), para(value, "title", size=20, leading=23)]],
            [box_label + 3 * mm, box_width - box_label - 3 * mm], heights=[BOX_HEIGHT],
            valign="MIDDLE", style=[("BOX", (0, 0), (-1, -1), 0.8, INK),
                                    ("LEFTPADDING", (0, 0), (0, 0), 3 * mm)])

    boxes = layout_table([[box("station", sheet.station), "", box("code", sheet.code)]],
                         [box_width, 4 * mm, box_width])
    return [top, Spacer(1, 3 * mm), boxes, Spacer(1, 3 * mm),
            para(labels["howto"], "fine", size=8, leading=10), Spacer(1, 2 * mm)]


def _criteria(lines: tuple[SheetLine, ...], labels: dict[str, str], width: float,
              size: float, min_row: float, split_rows: bool = False):
    """The criteria, one row each at least ``min_row`` tall: code, description (and the
    nominal size and tolerance of a measured value), maximum, and where the judge marks."""
    desc_width = width - CODE_WIDTH - MAX_WIDTH - MARK_WIDTH
    rows = []
    for line in lines:
        description = [para(line.description, "cell", size=size, leading=size + 3)]
        if line.rule:
            description.append(para(line.rule, "note", size=size - 1.5, leading=size + 1.5))
        rows.append([line.code, description, line.max_points,
                     _mark(labels, line, size, min_row - 2 * MARK_PADDING)])
    return grid_table(
        [labels["criterion_code"], labels["criterion"], labels["max"], labels["mark"]], rows,
        [CODE_WIDTH, desc_width, MAX_WIDTH, MARK_WIDTH],
        align=("left", "left", "center", "center"), size=size, min_row_height=min_row,
        split_rows=split_rows,
        style=[("LEFTPADDING", (3, 1), (3, -1), 0), ("RIGHTPADDING", (3, 1), (3, -1), 0),
               ("TOPPADDING", (3, 1), (3, -1), MARK_PADDING),
               ("BOTTOMPADDING", (3, 1), (3, -1), MARK_PADDING)])


def _mark(labels: dict[str, str], line: SheetLine, size: float, height: float):
    """Where the judge marks, ``height`` tall: the choices 0 1 2 3 or yes / no to circle,
    or a box to write in: points, or the gauge reading followed by its unit."""
    choice = size + 2.5
    if line.entry_mode == EntryMode.SCALE_0_3:
        return layout_table([[para(c, size=choice, align="center") for c in "0123"]],
                            [MARK_WIDTH / 4] * 4, heights=[height], valign="MIDDLE")
    if line.entry_mode == EntryMode.PASS_FAIL:
        return layout_table(
            [["", para(labels["yes"], size=choice, align="center"),
              para(labels["no"], size=choice, align="center"), ""]],
            [MARK_WIDTH * 0.1, MARK_WIDTH * 0.4, MARK_WIDTH * 0.4, MARK_WIDTH * 0.1],
            heights=[height], valign="MIDDLE")
    box_height = min(height, 8 * mm)
    if line.entry_mode == EntryMode.MEASURED:
        box_width = MARK_WIDTH - 14 * mm
        reading = para(labels["reading"], "note", size=size - 1.5, leading=size)
        unit = para(line.unit, size=size)
    else:
        box_width, reading, unit = MARK_WIDTH - 16 * mm, "", ""
    box = layout_table([[reading]], [box_width], heights=[box_height],
                       style=[("BOX", (0, 0), (-1, -1), 0.6, INK),
                              ("LEFTPADDING", (0, 0), (-1, -1), 1.2 * mm),
                              ("TOPPADDING", (0, 0), (-1, -1), 0.5)])
    return layout_table([["", box, unit]],
                        [3 * mm, box_width, MARK_WIDTH - 3 * mm - box_width],
                        heights=[height], valign="MIDDLE",
                        style=[("LEFTPADDING", (2, 0), (2, 0), 1.5 * mm)])


def _foot(labels: dict[str, str], width: float) -> list:
    """The judge's signature and the date and time, each on a line, and under them lines
    for whoever types the sheet in and whoever confirms it."""
    half = width / 2
    signed = []
    widths = []
    for key in ("signature", "when"):
        room = text_width(labels[key], 10) + 2 * mm
        signed += [para(labels[key], size=10, leading=12), "", ""]
        widths += [room, half - room - 6 * mm, 6 * mm]
    signature = layout_table([signed], widths, heights=[12 * mm], valign="BOTTOM",
                             style=[("LINEBELOW", (1, 0), (1, 0), 0.6, INK),
                                    ("LINEBELOW", (4, 0), (4, 0), 0.6, INK)])
    office = [para(labels["office"], "note", size=8, leading=10)]
    widths = [text_width(labels["office"], 8) + 4 * mm]
    for key in ("typed_by", "confirmed_by"):
        room = text_width(labels[key], 8) + 2 * mm
        office += [para(labels[key], "note", size=8, leading=10), "", ""]
        widths += [room, max(52 * mm - room, 20 * mm), 8 * mm]
    office.append("")
    widths.append(max(width - sum(widths), 0))
    office_row = layout_table([office], widths, heights=[9 * mm], valign="BOTTOM",
                              style=[("LINEBELOW", (2, 0), (2, 0), 0.6, MUTED),
                                     ("LINEBELOW", (5, 0), (5, 0), 0.6, MUTED)])
    return [signature, office_row]
