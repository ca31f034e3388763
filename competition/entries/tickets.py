"""Admission tickets (准考证) as PDF, one or a batch, on A4 or A5 paper.

A ticket is the size of an A5 sheet lying on its side (210 × 148 mm): on A5
paper one ticket fills a page; on A4 two tickets share a page, one above the
other, with a dashed line to cut along. Each ticket shows the competition,
event, division, the contestant's name and sex, the ID number masked
(``mask_id_number``: a printed ticket leaves the organizers' hands), ticket
number, station (or “drawn on the day”), time and venue — with sessions (场次), the
session's name, date, start and end, reporting time (检录时间) and room — a photo box, and a QR
code of the contestant's private page (``/r/<token>``), where they later see
their result (docs/design.md section 1).

The font, the QR code, the photo box and text wrapping come from the PDF toolkit
(``competition.pdf``); this module lays out the ticket.

``ticket_for`` turns an entry into plain text in the user's language (it needs
an app context for translations and time zones); ``build_pdf`` only lays out.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from flask_babel import format_date, format_datetime, format_time
from flask_babel import gettext as _
from reportlab.lib.pagesizes import A4, A5, landscape
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas

from competition.entries.idcard import mask_id_number
from competition.entries.models import Entry
from competition.labels import label
from competition.pdf import (
    FONT_NAME,
    INK,
    MUTED,
    PHOTO_HEIGHT,
    PHOTO_WIDTH,
    ensure_font,
    fitting_size,
    photo_box,
    qr_image,
    wrap_text,
)

SIZES = ("A4", "A5")
TICKET_WIDTH, TICKET_HEIGHT = landscape(A5)  # 210 × 148 mm
MARGIN = 8 * mm
QR_SIZE = 34 * mm
BRAND = (0.70, 0.15, 0.12)


@dataclass(frozen=True)
class Ticket:
    """What one ticket prints, as text already in the reader's language."""

    competition: str
    event: str
    division: str
    name: str
    sex: str
    id_number: str  # masked
    ticket_number: str
    station: str
    time: str
    venue: str
    private_url: str
    work_unit: str = ""
    photo: bytes | str | None = None  # image bytes or a file path; a box when missing
    session: str = ""  # the session's name (第1场), empty without sessions
    reporting: str = ""  # 检录时间, with a session


def ticket_for(entry: Entry, private_url: str, *, photo: bytes | str | None = None) -> Ticket:
    """The ticket of an entry; ``private_url`` is the absolute URL of its private page."""
    event = entry.event
    competition = event.competition
    person = entry.contestant
    venue = event.venue or competition.venue or ""
    time, session_name, reporting = (
        _event_time(event.starts_at, competition.starts_on, competition.ends_on), "", "")
    sitting = entry.session
    if sitting is not None:
        from competition.entries.sessions import reporting_time

        session_name = sitting.name
        time = (f"{format_date(sitting.starts_at, 'long')} "
                f"{format_time(sitting.starts_at, 'HH:mm')}–"
                f"{format_time(sitting.ends_at, 'HH:mm')}")
        reporting = (f"{format_date(reporting_time(sitting), 'long')} "
                     f"{format_time(reporting_time(sitting), 'HH:mm')}")
        venue = " · ".join(part for part in (venue, sitting.room) if part)
    return Ticket(
        competition=competition.name, event=event.name, division=entry.division.name,
        name=person.name, sex=label(person.sex, "sex"),
        id_number=mask_id_number(person.id_number),
        ticket_number=entry.ticket_number or "—",
        station=str(entry.station) if entry.station is not None else _("drawn on the day"),
        time=time, venue=venue or "—", private_url=private_url,
        work_unit=person.work_unit or "", photo=photo, session=session_name,
        reporting=reporting)


def _event_time(starts_at, starts_on: date | None, ends_on: date | None) -> str:
    if starts_at is not None:
        return format_datetime(starts_at, "medium")
    if starts_on and ends_on and ends_on != starts_on:
        return f"{format_date(starts_on, 'long')} – {format_date(ends_on, 'long')}"
    if starts_on:
        return format_date(starts_on, "long")
    return "—"


def build_pdf(tickets: Iterable[Ticket], size: str = "A4", *, title: str = "") -> bytes:
    """The tickets as one PDF: one per A5 page, or two per A4 page."""
    if size not in SIZES:
        raise ValueError(f"unknown ticket size {size!r}")
    ensure_font()
    labels = _labels()
    buffer = io.BytesIO()
    page_size = A4 if size == "A4" else landscape(A5)
    canvas = Canvas(buffer, pagesize=page_size, pageCompression=1)
    canvas.setTitle(title or labels["ticket"])
    canvas.setCreator("competition")
    per_page = 2 if size == "A4" else 1
    page_height = page_size[1]
    count = 0
    for count, ticket in enumerate(tickets, start=1):
        slot = (count - 1) % per_page
        if count > 1 and slot == 0:
            canvas.showPage()
        if size == "A4" and slot == 0:
            _cut_line(canvas, page_height / 2)
        # On A4 the first ticket takes the upper half, the second the lower.
        origin_y = page_height - TICKET_HEIGHT * (slot + 1) if size == "A4" else 0
        _draw_ticket(canvas, ticket, labels, 0, origin_y)
    if count == 0:
        canvas.setFont(FONT_NAME, 12)
        canvas.drawString(MARGIN * 2, page_height - MARGIN * 3, labels["none"])
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _labels() -> dict[str, str]:
    return {
        "ticket": _("Admission ticket"),
        "name": _("Full name"),
        "sex": _("Sex"),
        "id_number": _("ID number"),
        "work_unit": _("Work unit"),
        "event": _("Event"),
        "division": _("Division"),
        "ticket_number": _("Ticket"),
        "station": _("Station"),
        "session": _("Session"),
        "reporting": _("Reporting time"),
        "time": _("Time"),
        "venue": _("Venue"),
        "photo": _("Photo"),
        "scan": _("Scan to see your status and, later, your result"),
        "bring": _("Bring this ticket and your ID card to the contest."),
        "none": _("There are no tickets to print."),
    }


def _draw_ticket(canvas: Canvas, ticket: Ticket, labels: dict[str, str], x0: float,
                 y0: float) -> None:
    width, height = TICKET_WIDTH, TICKET_HEIGHT
    left, right = x0 + MARGIN, x0 + width - MARGIN
    top, bottom = y0 + height - MARGIN, y0 + MARGIN
    canvas.saveState()
    canvas.setStrokeColorRGB(*INK)
    canvas.setLineWidth(0.8)
    canvas.roundRect(left, bottom, right - left, top - bottom, 3 * mm)

    # Heading: the competition's name (shrunk, then wrapped, to fit) and 准考证.
    y = top - 9 * mm
    canvas.setFillColorRGB(*INK)
    inner = right - left - 10 * mm
    font_size = fitting_size(ticket.competition, inner, 14, 10)
    for line in _wrap(ticket.competition, font_size, inner)[:2]:
        canvas.setFont(FONT_NAME, font_size)
        canvas.drawCentredString((left + right) / 2, y, line)
        y -= font_size + 3
    canvas.setFillColorRGB(*BRAND)
    canvas.setFont(FONT_NAME, 20)
    canvas.drawCentredString((left + right) / 2, y - 6, labels["ticket"])
    canvas.setFillColorRGB(*INK)
    rule_y = y - 13
    canvas.setLineWidth(0.5)
    canvas.line(left + 5 * mm, rule_y, right - 5 * mm, rule_y)

    # The right column: photo box, then the QR code with its caption.
    column_x = right - 5 * mm - QR_SIZE
    photo_x = column_x + (QR_SIZE - PHOTO_WIDTH) / 2
    photo_top = rule_y - 4 * mm
    photo_box(canvas, ticket.photo, labels["photo"], photo_x, photo_top - PHOTO_HEIGHT)
    qr_top = photo_top - PHOTO_HEIGHT - 3 * mm
    canvas.drawImage(ImageReader(qr_image(ticket.private_url)), column_x, qr_top - QR_SIZE,
                     QR_SIZE, QR_SIZE)
    canvas.setFont(FONT_NAME, 6.5)
    canvas.setFillColorRGB(*MUTED)
    caption_y = qr_top - QR_SIZE - 2.5 * mm
    for line in _wrap(labels["scan"], 6.5, QR_SIZE + 6 * mm)[:2]:
        canvas.drawCentredString(column_x + QR_SIZE / 2, caption_y, line)
        caption_y -= 8

    # The left column: the facts, label then value, wrapping long values.
    rows = [
        ("name", ticket.name, 14),
        ("sex", ticket.sex, 10.5),
        ("id_number", ticket.id_number, 10.5),
        ("work_unit", ticket.work_unit, 10.5),
        ("event", ticket.event, 10.5),
        ("division", ticket.division, 10.5),
        ("ticket_number", ticket.ticket_number, 12),
        ("session", ticket.session, 12),
        ("station", ticket.station, 14),
        ("time", ticket.time, 10.5),
        ("reporting", ticket.reporting, 10.5),
        ("venue", ticket.venue, 10.5),
    ]
    label_x = left + 6 * mm
    value_x = label_x + 22 * mm
    value_width = column_x - 6 * mm - value_x
    lines = [(key, _wrap(value, size, value_width)[:2], size)
             for key, value, size in rows
             if value or key not in ("work_unit", "session", "reporting")]
    y = rule_y - 8 * mm
    # Spread the rows over the height left above the footnote.
    room = y - (bottom + 10 * mm)
    extra_lines = sum(len(wrapped) - 1 for _, wrapped, _ in lines)
    step = max(16.0, min(26.0, room / (len(lines) + extra_lines * 0.6)))
    for key, wrapped, size in lines:
        canvas.setFillColorRGB(*MUTED)
        canvas.setFont(FONT_NAME, 9)
        canvas.drawString(label_x, y, labels[key])
        canvas.setFillColorRGB(*INK)
        canvas.setFont(FONT_NAME, size)
        for i, line in enumerate(wrapped):
            if i:
                y -= size + 3
            canvas.drawString(value_x, y, line)
        y -= step

    canvas.setFont(FONT_NAME, 8)
    canvas.setFillColorRGB(*MUTED)
    canvas.drawString(label_x, bottom + 4 * mm, labels["bring"])
    canvas.restoreState()


def _cut_line(canvas: Canvas, y: float) -> None:
    canvas.saveState()
    canvas.setStrokeColorRGB(*MUTED)
    canvas.setLineWidth(0.4)
    canvas.setDash(3, 3)
    canvas.line(4 * mm, y, A4[0] - 4 * mm, y)
    canvas.restoreState()


def _wrap(text: str, size: float, width: float) -> list[str]:
    return wrap_text(text, size, width) or [""]
