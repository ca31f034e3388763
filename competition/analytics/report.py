"""The judge analytics of an event as a printable A4 report (PDF), laid out with
ReportLab's Platypus and the app's embedded CJK font (``competition.pdf``).

It prints what the page shows (``judges.JudgeAnalysis``): the panel's agreement, the
flags, each judge's severity, consistency and outliers, the heat map of judges ×
criteria (shaded as on the page, the figure in every cell), the outlying marks by
anonymous code, and how it is all computed. Needs an app context (the words are
translated for the reader).
"""

from __future__ import annotations

from collections.abc import Sequence

from flask_babel import gettext as _
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Spacer

from competition.analytics.judges import (
    JudgeAnalysis,
    fixed,
    heat_level,
    percent,
    plain,
    signed,
)
from competition.errors import translate_problem
from competition.pdf import (
    BRAND,
    PagedDocument,
    Section,
    grid_table,
    label_width,
    layout_table,
    para,
)

MARGIN = 15 * mm
TABLE_SIZE = 8.5
# Criteria per heat map table: more run on into another table below.
HEAT_COLUMNS = 12
# The heat map's shades, as on the page (static/css/analytics.css): above the other
# judges (lenient) in blue, below them (severe) in orange, by ``heat_level``.
HEAT_COLOURS = {
    "hi": {1: (0.89, 0.93, 0.98), 2: (0.74, 0.84, 0.95), 3: (0.55, 0.72, 0.91)},
    "lo": {1: (0.99, 0.92, 0.85), 2: (0.97, 0.81, 0.65), 3: (0.95, 0.68, 0.42)},
}


def _facts(facts: Sequence[tuple[str, str]], width: float):
    indent = label_width((name for name, _value in facts), 9.5)
    return layout_table([[para(name, "note", size=9.5, leading=14),
                          para(value, size=10, leading=14)] for name, value in facts],
                        [indent, width - indent], row_gap=2)


def _heading(text: str) -> list:
    """A section's heading, kept on the page of what follows it."""
    return [para(text, "heading", spaceBefore=5 * mm, spaceAfter=2 * mm, keepWithNext=1)]


def analytics_pdf(analysis: JudgeAnalysis, *, notes: Sequence[str], icc_words: str,
                  printed_at: str) -> bytes:
    """The report's bytes."""
    event = analysis.event
    title = _("Judge analytics")
    document = PagedDocument(margin=MARGIN, title=f"{title} · {event.name}",
                             page_label=_("Page %(n)s of %(total)s"))
    width = document.width
    story: list = [para(event.competition.name, "lead", align="center"), Spacer(1, 2 * mm),
                   para(f"{title} · {event.name}", "title", align="center"),
                   Spacer(1, 5 * mm)]
    kendall, icc = analysis.kendall, analysis.icc
    story.append(_facts([
        (_("Judges"), str(len(analysis.judges))),
        (_("Judged marks analysed"), str(analysis.marks)),
        (_("Entries in the agreement"),
         _("%(used)s of %(scored)s", used=analysis.complete_entries,
           scored=analysis.entries)),
        (_("Measurement criteria left out"), str(analysis.measured_criteria)),
        ("Kendall's W", fixed(kendall.w, 2) if kendall else _("Not enough marks")),
        ("ICC(2,1)", f"{fixed(icc.value, 2)} · {icc_words}" if icc
         else _("Not enough marks")),
    ], width))

    story += _heading(_("Flags to act on"))
    if analysis.flags:
        story += [para(f"• {translate_problem(flag)}", size=10, leading=14.5)
                  for flag in analysis.flags]
    else:
        story.append(para(_("Nothing to flag: no judge stands out from the panel."),
                          "note"))

    story += _heading(_("Judges"))
    story.append(_judges_table(analysis, width))

    story += _heading(_("Heat map: mean deviation by judge and criterion, in per cent of "
                        "the criterion's maximum"))
    story += _heat_tables(analysis, width)
    story.append(para(_("Blue: above the other judges (lenient); orange: below them "
                        "(severe); the deeper the shade, the larger the deviation."),
                      "note"))

    story += _heading(_("Outlying marks"))
    story += _outliers(analysis, width)

    story += _heading(_("How the figures are computed"))
    story += [para(f"{number}. {note}", "note") for number, note in
              enumerate(notes, start=1)]
    story += [Spacer(1, 6 * mm), para(_("Printed %(when)s", when=printed_at), "note",
                                      align="right")]
    running_head = [para(event.competition.name, "lead", align="center"),
                    para(f"{title} · {event.name}（{_('continued')}）", "heading",
                         align="center", spaceAfter=2 * mm)]
    return document.build([Section(story, running_head=running_head,
                                   note=f"{event.name} · {title}")])


def _judges_table(analysis: JudgeAnalysis, width: float):
    modules = analysis.modules
    module_width = min(18 * mm, (width - 124 * mm) / max(1, len(modules)))
    fixed_widths = [16 * mm, 26 * mm, 26 * mm, 16 * mm] + [module_width] * len(modules)
    widths = [width - sum(fixed_widths), *fixed_widths]
    header = [_("Judge"), _("Marks"), _("Mean deviation (per cent of maximum)"),
              _("Consistency (standard deviation, per cent)"),
              _("Outliers")] + [_("Module %(code)s (points)", code=m.code) for m in modules]
    rows = [[judge.name, str(judge.marks), percent(judge.mean_scaled),
             fixed(None if judge.consistency is None else judge.consistency * 100, 1),
             str(judge.outliers)] + [signed(judge.modules.get(m.id), 2) for m in modules]
            for judge in analysis.judges]
    return grid_table(header, rows, widths, size=TABLE_SIZE,
                      align=("left",) + ("right",) * (len(widths) - 1))


def _heat_tables(analysis: JudgeAnalysis, width: float) -> list:
    columns = [(m, c) for m in analysis.modules for c in m.criteria]
    # As many tables as it takes, the criteria shared out evenly between them.
    tables_needed = -(-len(columns) // HEAT_COLUMNS)
    size = -(-len(columns) // max(1, tables_needed))
    tables = []
    for start in range(0, len(columns), size):
        chunk = columns[start:start + size]
        cell_width = min(14 * mm, (width - 30 * mm) / len(chunk))
        widths = [width - cell_width * len(chunk)] + [cell_width] * len(chunk)
        header = [_("Judge")] + [f"{m.code}·{c.code}\n/{plain(c.maximum)}" for m, c in chunk]
        rows, shades = [], []
        for row, judge in enumerate(analysis.judges, start=1):
            line = [judge.name]
            for column, (_module, criterion) in enumerate(chunk, start=1):
                cell = judge.cells.get(criterion.id)
                share = cell.scaled if cell else None
                line.append(percent(share))
                level = heat_level(share)
                if level:
                    side = "hi" if share > 0 else "lo"
                    shades.append(("BACKGROUND", (column, row), (column, row),
                                   HEAT_COLOURS[side][level]))
            rows.append(line)
        tables += [grid_table(header, rows, widths, size=TABLE_SIZE, style=shades,
                              align=("left",) + ("right",) * len(chunk)),
                   Spacer(1, 2 * mm)]
    return tables


def _outliers(analysis: JudgeAnalysis, width: float) -> list:
    if not analysis.outliers:
        return [para(_("No outlying marks."), "note")]
    fixed_widths = [22 * mm, 30 * mm, 20 * mm, 24 * mm, 22 * mm]
    widths = [*fixed_widths[:2], width - sum(fixed_widths), *fixed_widths[2:]]
    header = [_("Anonymous code"), _("Criterion"), _("Judge"), _("Mark"),
              _("Others' mean"), _("Deviation")]
    rows = [[mark.code, f"{mark.module}·{mark.criterion}", mark.judge, fixed(mark.points, 2),
             fixed(mark.others_mean, 2), signed(mark.deviation, 2)]
            for mark in analysis.outliers]
    story = [grid_table(header, rows, widths, size=TABLE_SIZE,
                        align=("left", "left", "left", "right", "right", "right"))]
    if analysis.outliers_total > len(analysis.outliers):
        story.append(KeepTogether(para(
            _("The %(shown)s largest of %(total)s outlying marks are listed.",
              shown=len(analysis.outliers), total=analysis.outliers_total),
            "note", color=BRAND)))
    return story
