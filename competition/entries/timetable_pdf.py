"""The competition's timetable (赛程安排) as a PDF to pin on the wall: every session of
every event by date and time, with its reporting time, room and entries placed.

Laid out with ReportLab's Platypus on A4 landscape, in the CJK font the tickets
register (``tickets.ensure_font``). Text is in the current user's language.
"""

from __future__ import annotations

import io

from flask_babel import format_date, format_time
from flask_babel import gettext as _
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from competition.entries.sessions import TimetableRow
from competition.entries.tickets import ensure_font
from competition.events.models import Competition

GRID = (0.6, 0.6, 0.6)
HEAD = (0.93, 0.93, 0.93)


def build_pdf(competition: Competition, rows: list[TimetableRow]) -> bytes:
    """The timetable of ``rows`` (already in order) as one PDF."""
    font = ensure_font()
    base = ParagraphStyle("base", fontName=font, fontSize=10.5, leading=14, wordWrap="CJK")
    title = ParagraphStyle("title", parent=base, fontSize=16, leading=22)
    note = ParagraphStyle("note", parent=base, fontSize=9, leading=12,
                          textColor=(0.36, 0.40, 0.44))
    buffer = io.BytesIO()
    document = SimpleDocTemplate(buffer, pagesize=landscape(A4), leftMargin=12 * mm,
                                 rightMargin=12 * mm, topMargin=12 * mm, bottomMargin=12 * mm,
                                 title=f"{competition.name} · {_('Timetable')}",
                                 author=competition.name)
    story = [Paragraph(f"{competition.name} · {_('Timetable')}", title), Spacer(1, 4 * mm)]
    if not rows:
        story.append(Paragraph(_("No sessions have been set up yet."), base))
        document.build(story)
        return buffer.getvalue()
    header = [_("Date"), _("Time"), _("Reporting time"), _("Event"), _("Session"),
              _("Room or workshop"), _("Entries / stations")]
    data = [[Paragraph(text, base) for text in header]]
    for row in rows:
        sitting = row.sitting
        data.append([Paragraph(text, base) for text in (
            format_date(sitting.starts_at, "medium"),
            f"{format_time(sitting.starts_at, 'HH:mm')}–{format_time(sitting.ends_at, 'HH:mm')}",
            format_time(row.reporting_at, "HH:mm"),
            row.event.name, sitting.name, sitting.room or "—",
            f"{row.placed} / {sitting.stations}",
        )])
    widths = [34 * mm, 30 * mm, 24 * mm, 50 * mm, 26 * mm, 72 * mm, 32 * mm]
    table = Table(data, colWidths=widths, repeatRows=1)
    table.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.5, GRID),
        ("BACKGROUND", (0, 0), (-1, 0), HEAD),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]))
    story += [table, Spacer(1, 4 * mm),
              Paragraph(_("Contestants report at the reporting time with their admission "
                          "ticket and ID card."), note)]
    document.build(story)
    return buffer.getvalue()
