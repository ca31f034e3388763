"""The competition's timetable (赛程安排) as a PDF to pin on the wall: every session of
every event by date and time, with its reporting time, room and entries placed.

Laid out with ReportLab's Platypus on A4 landscape through the PDF toolkit
(``competition.pdf``): its paragraph styles in the CJK font and its ruled table, whose
header row repeats on every page. Text is in the current user's language.
"""

from __future__ import annotations

from flask_babel import format_date, format_time
from flask_babel import gettext as _
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.platypus import Spacer

from competition.entries.sessions import TimetableRow
from competition.events.models import Competition
from competition.pdf import PagedDocument, Section, grid_table, para


def build_pdf(competition: Competition, rows: list[TimetableRow]) -> bytes:
    """The timetable of ``rows`` (already in order) as one PDF."""
    title = f"{competition.name} · {_('Timetable')}"
    document = PagedDocument(pagesize=landscape(A4), margin=12 * mm, title=title,
                             author=competition.name)
    story = [para(title, "title", leading=22), Spacer(1, 4 * mm)]
    if not rows:
        story.append(para(_("No sessions have been set up yet."), leading=14))
        return document.build([Section(story)])
    header = [_("Date"), _("Time"), _("Reporting time"), _("Event"), _("Session"),
              _("Room or workshop"), _("Entries / stations")]
    data = []
    for row in rows:
        sitting = row.sitting
        data.append([
            format_date(sitting.starts_at, "medium"),
            f"{format_time(sitting.starts_at, 'HH:mm')}–{format_time(sitting.ends_at, 'HH:mm')}",
            format_time(row.reporting_at, "HH:mm"),
            row.event.name, sitting.name, sitting.room or "—",
            f"{row.placed} / {sitting.stations}",
        ])
    widths = [34 * mm, 30 * mm, 24 * mm, 50 * mm, 26 * mm, 72 * mm, 32 * mm]
    story += [grid_table(header, data, widths, size=10.5), Spacer(1, 4 * mm),
              para(_("Contestants report at the reporting time with their admission "
                     "ticket and ID card."), "note", leading=12)]
    return document.build([Section(story)])
