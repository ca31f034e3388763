"""The toolkit every PDF of the app is drawn with: the embedded Chinese font, colours,
text wrapping, QR codes and the one-inch photo box.

Chinese needs an embedded font: ReportLab embeds TrueType (glyf) fonts only,
not CFF/OpenType ones, so the app ships WenQuanYi Micro Hei (文泉驿微米黑, Apache
License 2.0, ``competition/fonts/``) and never relies on the system's fonts. It is
Droid Sans Fallback with Droid Sans's Latin letters and digits added; Droid Sans
Fallback alone has no Latin glyphs, so ticket numbers and URLs would not print. A QR code
is a raster image (``qrcode``), so it prints sharp on any printer and can be read
back from the PDF.

Layouts that flow (tables, lists, sheets that may run onto more pages) are built with
ReportLab's Platypus from the shared kit at the end of this module: paragraph styles in
the CJK font, ruled tables whose header row repeats on every page, unruled label and
value grids, QR codes as flowables, and ``PagedDocument``, which adds running heads,
feet (such as the lines judges sign on) and "Page n of total" to every page. Fixed
artistic layouts (the admission ticket, the certificate) draw on the canvas directly.

The layouts themselves (admission tickets, score sheets, result lists, certificates,
judges' account sheets, timetables) live with their stages.
"""

from __future__ import annotations

import functools
import io
import itertools
import os
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from xml.sax.saxutils import escape

import qrcode
from PIL import Image as PILImage
from qrcode.constants import ERROR_CORRECT_M
from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    Image,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
    Table,
    TableStyle,
)

FONT_NAME = "WenQuanYiMicroHei"
FONT_PATH = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                         "fonts", "wqy-microhei.ttc")
PHOTO_WIDTH, PHOTO_HEIGHT = 25 * mm, 35 * mm  # a one-inch ID photo (一寸照)
INK = (0.11, 0.14, 0.16)
MUTED = (0.36, 0.40, 0.44)


def ensure_font() -> str:
    """Register the CJK font with ReportLab once per process, and return its name."""
    if FONT_NAME not in pdfmetrics.getRegisteredFontNames():
        # The collection's first face is the proportional one (the second is monospaced).
        pdfmetrics.registerFont(TTFont(FONT_NAME, FONT_PATH, subfontIndex=0))
    return FONT_NAME


def photo_box(canvas: Canvas, photo: bytes | str | None, word: str, x: float, y: float,
              font: str = FONT_NAME) -> None:
    """A one-inch photo in a frame; an empty frame saying ``word`` (照片) to glue one in."""
    canvas.saveState()
    canvas.setLineWidth(0.6)
    canvas.rect(x, y, PHOTO_WIDTH, PHOTO_HEIGHT)
    if photo is not None:
        try:
            source = ImageReader(io.BytesIO(photo) if isinstance(photo, bytes) else photo)
            canvas.drawImage(source, x, y, PHOTO_WIDTH, PHOTO_HEIGHT,
                             preserveAspectRatio=True, anchor="c")
            canvas.restoreState()
            return
        except (OSError, ValueError):
            pass  # an unreadable photo leaves the box to glue one in
    canvas.setFillColorRGB(*MUTED)
    canvas.setFont(font, 11)
    canvas.drawCentredString(x + PHOTO_WIDTH / 2, y + PHOTO_HEIGHT / 2 - 4, word)
    canvas.restoreState()


# The mask pattern of every QR code the app prints. Any of the eight makes a valid code
# (ISO/IEC 18004); left to choose, the library builds the code eight times and scores
# each mask against large blocks, stripes and finder-like runs, which was most of an
# admission ticket's time (bench/RESULTS.md). Over the app's URLs mask 4 scores on average
# 12 % more penalty points than the best mask would; the codes decode all the same.
QR_MASK = 4
_INK = bytes.maketrans(b"\x00\x01", b"\xff\x00")  # a module: 1 dark → black, 0 → white


@functools.lru_cache(maxsize=2048)
def qr_modules(url: str) -> tuple[int, bytes]:
    """The URL's QR code as its side and one grey byte per module (0 black, 255 white),
    with a quiet zone of two modules; kept per URL, as reprints draw the same codes."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=2, mask_pattern=QR_MASK)
    code.add_data(url)
    code.make(fit=True)
    matrix = code.get_matrix()
    return len(matrix), bytes(itertools.chain.from_iterable(matrix)).translate(_INK)


def qr_image(url: str, box_size: int = 8) -> PILImage.Image:
    """The URL as a QR code image, ``box_size`` pixels a module, in grey (mode L): black
    modules on white. Medium error correction survives a crease or a smudge."""
    side, modules = qr_modules(url)
    return PILImage.frombytes("L", (side, side), modules).resize(
        (side * box_size, side * box_size), PILImage.Resampling.NEAREST)


def fitting_size(text: str, width: float, largest: float, smallest: float,
                 font: str = FONT_NAME) -> float:
    """The largest font size, from ``largest`` down to ``smallest`` in half points, at
    which ``text`` fits ``width`` on one line (``smallest`` when none does)."""
    size = largest
    while size > smallest and pdfmetrics.stringWidth(text, font, size) > width:
        size -= 0.5
    return size


def wrap_text(text: str, size: float, width: float, font: str = FONT_NAME) -> list[str]:
    """Break text into lines that fit ``width``: anywhere in Chinese, at spaces in words."""
    lines: list[str] = []
    line = ""
    for char in text or "":
        if not line or pdfmetrics.stringWidth(line + char, font, size) <= width:
            line += char
            continue
        head, space, tail = line.rpartition(" ")
        if space and head and char != " ":
            lines.append(head)
            line = tail + char
        else:
            lines.append(line.rstrip())
            line = char.lstrip()
    if line:
        lines.append(line)
    return lines


# --- Flowing layouts (Platypus) ----------------------------------------------------------
#
# Tables, lists and notes flow with ReportLab's Platypus: a table breaks across pages with
# its header row repeated, a cell wraps its text, and every page can carry a running head,
# a foot (such as the lines judges sign on) and "Page n of total". The layouts call
# ``paragraph_styles`` and ``para`` for text, ``grid_table`` for ruled tables,
# ``layout_table`` for unruled grids of label and value, and ``PagedDocument`` to build.

SHADE = (0.93, 0.94, 0.96)  # the background of a table's header row
BRAND = (0.70, 0.15, 0.12)  # what must catch the eye: a draft, a final result
RULE_WIDTH, HEAD_RULE_WIDTH = 0.4, 0.8
CELL_PADDING = 1.5 * mm  # left and right, inside a table's cells
PAGE_LINE_SIZE = 8  # the page number and the note beside it


@functools.cache
def paragraph_styles(font: str = FONT_NAME) -> Mapping[str, ParagraphStyle]:
    """The paragraph styles every flowing layout shares, all in the CJK font and wrapping
    as Chinese does (anywhere between characters; Latin words stay whole): ``body``,
    ``title``, ``heading``, ``lead`` (muted, above a title), ``note`` (muted, small),
    ``fine`` (muted, smallest), ``cell`` and ``head`` (a table's body and header cells).
    Derive a variant with ``para(..., size=..., color=..., align=...)``."""
    if font == FONT_NAME:
        ensure_font()
    body = ParagraphStyle("body", fontName=font, fontSize=10.5, leading=15, wordWrap="CJK",
                          textColor=INK)
    return MappingProxyType({
        "body": body,
        "title": ParagraphStyle("title", parent=body, fontSize=16, leading=21),
        "heading": ParagraphStyle("heading", parent=body, fontSize=12, leading=16),
        "lead": ParagraphStyle("lead", parent=body, fontSize=11, leading=15, textColor=MUTED),
        "note": ParagraphStyle("note", parent=body, fontSize=9, leading=12.5,
                               textColor=MUTED),
        "fine": ParagraphStyle("fine", parent=body, fontSize=7.5, leading=10,
                               textColor=MUTED),
        "cell": ParagraphStyle("cell", parent=body, fontSize=9.5, leading=12.5),
        "head": ParagraphStyle("head", parent=body, fontSize=9, leading=12),
    })


ALIGNMENTS = {"left": TA_LEFT, "center": TA_CENTER, "right": TA_RIGHT}


def para(text: str, style: str | ParagraphStyle = "body", *, size: float | None = None,
         leading: float | None = None, color=None, align: str | None = None,
         **overrides) -> Paragraph:
    """Plain text as a paragraph: markup characters (<, &) are printed as they are and line
    breaks kept. ``style`` is a name of ``paragraph_styles`` or a style; ``size`` (with a
    leading to match unless given), ``color`` and ``align`` ("left", "center", "right")
    derive a variant."""
    base = paragraph_styles()[style] if isinstance(style, str) else style
    if size is not None:
        overrides.update(fontSize=size, leading=leading or size * base.leading / base.fontSize)
    elif leading is not None:
        overrides["leading"] = leading
    if color is not None:
        overrides["textColor"] = color
    if align is not None:
        overrides["alignment"] = ALIGNMENTS[align]
    if overrides:
        base = ParagraphStyle(f"{base.name}*", parent=base, **overrides)
    return Paragraph(escape(text or "").replace("\n", "<br/>"), base)


def text_width(text: str, size: float, font: str = FONT_NAME) -> float:
    """How wide ``text`` prints on one line."""
    if font == FONT_NAME:
        ensure_font()
    return pdfmetrics.stringWidth(text, font, size)


def grid_table(header: Sequence[str | Flowable], rows: Iterable[Sequence[str | Flowable]],
               widths: Sequence[float], *, align: Sequence[str] | None = None,
               size: float | None = None, min_row_height: float = 0,
               split_rows: bool = False, style: Iterable[tuple] = ()) -> Table:
    """A ruled table with a shaded header row that is repeated on every page the table
    runs onto. Text cells become wrapping paragraphs (``cell`` style, or ``size``), aligned
    per column as ``align`` says; other flowables are placed as they are, and cells are
    centred vertically. A body row is at least ``min_row_height`` tall. A row taller than
    a page cannot be placed: with ``split_rows`` a row may break across pages (its cells
    then sit at the top, as ReportLab splits only those). ``style`` adds TableStyle
    commands (a row's index counts the header as 0)."""
    align = tuple(align or ("left",) * len(widths))
    cell = paragraph_styles()["cell"]

    def cells(values, base, heading=False):
        return [para(value, base, size=None if heading else size, align=side)
                if isinstance(value, str) else value
                for value, side in zip(values, align, strict=True)]

    data = [cells(header, "head", heading=True)]
    data += [cells(row, cell) for row in rows]
    table = Table(data, colWidths=list(widths), repeatRows=1, hAlign="LEFT",
                  minRowHeights=[0] + [min_row_height] * (len(data) - 1),
                  splitInRow=int(split_rows))
    table.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), RULE_WIDTH, INK),
        ("BOX", (0, 0), (-1, 0), HEAD_RULE_WIDTH, INK),
        ("BACKGROUND", (0, 0), (-1, 0), SHADE),
        ("VALIGN", (0, 0), (-1, -1), "TOP" if split_rows else "MIDDLE"),
        ("LEFTPADDING", (0, 0), (-1, -1), CELL_PADDING),
        ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PADDING),
        ("TOPPADDING", (0, 0), (-1, -1), 4.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4.5),
        *style,
    ]))
    return table


def tallest_row(table: Table, width: float) -> float:
    """The height of the table's tallest row, laid out ``width`` wide."""
    table.wrap(width, 1e6)
    return max(table._rowHeights)


def layout_table(rows: Sequence[Sequence], widths: Sequence[float], *,
                 heights: Sequence[float] | None = None, row_gap: float = 0,
                 valign: str = "TOP", style: Iterable[tuple] = (),
                 align: str = "LEFT") -> Table:
    """An unruled grid (label and value pairs, blocks side by side): no padding but
    ``row_gap`` under each row; rows as tall as their content, or ``heights``; ``style``
    adds TableStyle commands."""
    table = Table([list(row) for row in rows], colWidths=list(widths),
                  rowHeights=list(heights) if heights else None, hAlign=align)
    table.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), valign),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("RIGHTPADDING", (0, 0), (-1, -1), 0),
        ("TOPPADDING", (0, 0), (-1, -1), 0),
        ("BOTTOMPADDING", (0, 0), (-1, -1), row_gap),
        *style,
    ]))
    return table


def label_width(labels: Iterable[str], size: float, least: float = 20 * mm) -> float:
    """Room for labels before their values: ``least``, more for a long (English) one."""
    return max(least, *(text_width(text, size) + 4 * mm for text in labels))


def qr_flowable(url: str, size: float, box_size: int = 8) -> Image:
    """The URL's QR code (``qr_image``) as a ``size`` square flowable."""
    buffer = io.BytesIO()
    qr_image(url, box_size=box_size).save(buffer, format="PNG")
    buffer.seek(0)
    return Image(buffer, width=size, height=size)


@dataclass
class Section:
    """Pages that belong together: one sheet, one list. ``running_head`` is drawn at the
    top of every page of the section after its first (the first page opens with
    ``story``); ``foot`` at the foot of every page, above the page line; ``note`` at the
    left of the page line; ``underlay`` draws on the canvas under each page's content."""

    story: list[Flowable]
    running_head: list[Flowable] = field(default_factory=list)
    foot: list[Flowable] = field(default_factory=list)
    note: str = ""
    underlay: Callable[[Canvas], None] | None = None


class PagedDocument:
    """Sections on pages of one size and margin, built with Platypus. With a
    ``page_label`` (a %-format with ``n`` and ``total``), every page says which it is —
    counted within its section, or through the document with ``count="document"`` —
    centred at the foot, or at the right with ``number_align="right"``."""

    HEAD_GAP = 3 * mm  # between a running head and the page's content
    FOOT_GAP = 4 * mm  # between the page's content and its foot

    def __init__(self, *, pagesize=A4, margin: float = 15 * mm, title: str = "",
                 author: str = "", page_label: str | None = None,
                 number_align: str = "center", count: str = "section") -> None:
        self.pagesize = pagesize
        self.margin = margin
        self.width = pagesize[0] - 2 * margin
        self.title, self.author = title, author
        self.page_label, self.number_align, self.count = page_label, number_align, count

    @property
    def page_line_y(self) -> float:
        """The baseline of the page number, in the bottom margin."""
        return self.margin / 2 - 2

    def _block(self, flowables: list[Flowable]) -> tuple[Flowable, float] | None:
        if not flowables:
            return None
        block = layout_table([[flowables]], [self.width])
        return block, block.wrap(self.width, self.pagesize[1])[1]

    def room(self, section: Section, continued: bool = False) -> float:
        """How tall the content of the section's first page may be, or of its later pages
        (under the running head)."""
        foot = self._block(section.foot)
        head = self._block(section.running_head) if continued else None
        return (self.pagesize[1] - 2 * self.margin - (foot[1] + self.FOOT_GAP if foot else 0)
                - (head[1] + self.HEAD_GAP if head else 0))

    def build(self, sections: Iterable[Section]) -> bytes:
        ensure_font()
        buffer = io.BytesIO()
        document = BaseDocTemplate(buffer, pagesize=self.pagesize, leftMargin=self.margin,
                                   rightMargin=self.margin, topMargin=self.margin,
                                   bottomMargin=self.margin, title=self.title,
                                   author=self.author, creator="competition",
                                   pageCompression=1)
        story: list[Flowable] = []
        templates = []
        for index, section in enumerate(sections):
            first, later = self._templates(index, section)
            templates += [first, later]
            if index:
                story += [NextPageTemplate(first.id), PageBreak()]
            story += [NextPageTemplate(later.id), *section.story]
        document.addPageTemplates(templates)
        document.build(story, canvasmaker=functools.partial(_PagedCanvas, stamp=self._stamp))
        return buffer.getvalue()

    def _templates(self, index: int, section: Section) -> tuple[PageTemplate, PageTemplate]:
        page_width, page_height = self.pagesize
        head, foot = self._block(section.running_head), self._block(section.foot)
        bottom = self.margin + (foot[1] + self.FOOT_GAP if foot else 0)
        top = page_height - self.margin
        later_top = top - (head[1] + self.HEAD_GAP if head else 0)

        def on_page(canvas: Canvas, _document, continued: bool) -> None:
            canvas.section = index if self.count == "section" else 0
            if section.underlay is not None:
                section.underlay(canvas)
            if continued and head:
                head[0].drawOn(canvas, self.margin, top - head[1])
            if foot:
                foot[0].drawOn(canvas, self.margin, self.margin)
            if section.note:
                self._note(canvas, section.note)

        def frame(name: str, upper: float) -> Frame:
            return Frame(self.margin, bottom, self.width, upper - bottom, leftPadding=0,
                         rightPadding=0, topPadding=0, bottomPadding=0, id=name)

        return (PageTemplate(f"s{index}", [frame(f"s{index}", top)], pagesize=self.pagesize,
                             onPage=functools.partial(on_page, continued=False)),
                PageTemplate(f"s{index}+", [frame(f"s{index}+", later_top)],
                             pagesize=self.pagesize,
                             onPage=functools.partial(on_page, continued=True)))

    def _note(self, canvas: Canvas, note: str) -> None:
        """The note at the left of the page line, smaller if need be to leave the number
        its room."""
        room = self.width - (text_width(self.page_label % {"n": 88, "total": 88},
                                        PAGE_LINE_SIZE) + 6 * mm if self.page_label else 0)
        size = fitting_size(note, room, PAGE_LINE_SIZE, 4)
        canvas.saveState()
        canvas.setFillColorRGB(*MUTED)
        canvas.setFont(FONT_NAME, size)
        canvas.drawString(self.margin, self.page_line_y, note)
        canvas.restoreState()

    def _stamp(self, canvas: Canvas, number: int, total: int) -> None:
        if not self.page_label:
            return
        text = self.page_label % {"n": number, "total": total}
        canvas.saveState()
        canvas.setFillColorRGB(*MUTED)
        canvas.setFont(FONT_NAME, PAGE_LINE_SIZE)
        if self.number_align == "right":
            canvas.drawRightString(self.pagesize[0] - self.margin, self.page_line_y, text)
        else:
            canvas.drawCentredString(self.pagesize[0] / 2, self.page_line_y, text)
        canvas.restoreState()


class _PagedCanvas(Canvas):
    """A canvas that holds every page back until the document is complete, so that each
    can then be stamped with its number and its section's page count."""

    def __init__(self, *args, stamp: Callable[[Canvas, int, int], None], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._stamp = stamp
        self._held: list[dict] = []
        self.section = 0

    def showPage(self) -> None:  # noqa: N802 (ReportLab's name)
        self._held.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        totals = Counter(state["section"] for state in self._held)
        numbers: Counter = Counter()
        for state in self._held:
            self.__dict__.update(state)
            numbers[self.section] += 1
            self._stamp(self, numbers[self.section], totals[self.section])
            super().showPage()
        super().save()
