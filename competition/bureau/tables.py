"""The bureau's figures as the tables the page shows and the workbook holds, in the
user's language: the page draws a chart beside each table from the same numbers, and
the workbook has one sheet per table, so neither can show a figure the other lacks."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _

from competition.bureau.statistics import GRADES, Choices, Filters, Statistics
from competition.entries.models import Attendance
from competition.events.models import CompetitionLevel
from competition.experts.pool import CertificateState
from competition.labels import label
from competition.results.models import AppealStatus
from competition.skill_grades import grade_label


@dataclass(frozen=True)
class Row:
    label: str
    values: tuple[int, ...]


@dataclass(frozen=True)
class Table:
    """One table of figures: a column of labels, then columns of counts.

    ``chart`` is how the page draws it (``bar``, ``doughnut`` or ``stacked``: a bar per
    row with one segment per column), from the columns ``charted`` (their indexes
    among ``columns``)."""

    key: str
    title: str
    label_header: str
    columns: tuple[str, ...]
    rows: tuple[Row, ...]
    total: Row | None = None
    chart: str = "bar"
    charted: tuple[int, ...] = (0,)
    note: str = ""

    def chart_data(self) -> dict:
        """What static/js/bureau.js draws: the rows' labels and one series per charted
        column."""
        return {"type": self.chart, "labels": [row.label for row in self.rows],
                "series": [{"label": self.columns[index],
                            "values": [row.values[index] for row in self.rows]}
                           for index in self.charted]}


def _total(rows: list[Row], text: str) -> Row:
    width = len(rows[0].values) if rows else 0
    return Row(text, tuple(sum(row.values[i] for row in rows) for i in range(width)))


def tables(figures: Statistics) -> list[Table]:
    """Every table of the page and the workbook, in the order shown."""
    count = _("Count")
    total = _("Total")
    status = _("Status")
    levels = [Row(label(level.value, "competition_level"),
                  (figures.competitions_by_level[level.value],)) for level in CompetitionLevel]
    attendance = [Row(label(state.value, "attendance"), (figures.attendance[state.value],))
                  for state in (Attendance.PRESENT, Attendance.ABSENT, Attendance.WITHDRAWN,
                                Attendance.EXPECTED)]
    grades = [Row(grade_label(grade), (figures.promoted_by_grade[grade],
                                       figures.reverted_by_grade[grade]))
              for grade in GRADES]
    occupations = [Row(row.name, (*(row.by_grade[grade] for grade in GRADES), row.total))
                   for row in figures.by_occupation]
    expert_states = (
        (CertificateState.EXPIRED, _("Expired")),
        (CertificateState.EXPIRING, _("Expiring within %(days)s days",
                                      days=figures.expiry_warning_days)),
        (CertificateState.VALID, _("Valid for longer")),
        (CertificateState.MISSING, _("No certificate")))
    experts = [Row(text, (figures.experts[state.value],)) for state, text in expert_states]
    return [
        Table("competitions", _("Competitions held"), _("Level"), (count,),
              tuple(levels), _total(levels, total)),
        Table("contestants", _("Contestants and work units"), _("Figure"), (count,), (
            Row(_("Registrations"), (figures.registrations,)),
            Row(_("Contestants (people)"), (figures.contestants,)),
            Row(_("Work units"), (figures.work_units,))),
            note=_("A person registered in several events or competitions counts once "
                   "among the contestants (by ID number).")),
        Table("attendance", _("Attendance"), status, (count,), tuple(attendance),
              _total(attendance, total), chart="doughnut"),
        Table("promotions_by_grade", _("Promotions by grade reached"), _("Grade"),
              (_("In force"), _("Reverted")), tuple(grades), _total(grades, total),
              note=_("A promotion is reverted when its certificate is revoked.")),
        Table("promotions_by_occupation", _("Promotions by occupation"), _("Occupation"),
              (*(grade_label(grade) for grade in GRADES), total), tuple(occupations),
              _total(occupations, total) if occupations else None, chart="stacked",
              charted=tuple(range(len(GRADES))),
              note=_("Promotions in force, by the grade reached.")),
        Table("certificates", _("Certificates"), status, (count,), (
            Row(_("Issued"), (figures.certificates_issued,)),
            Row(_("Revoked"), (figures.certificates_revoked,)),
            Row(_("Valid"), (figures.certificates_valid,)))),
        Table("appeals", _("Appeals"), status, (count,), (
            Row(_("Appeals filed"), (figures.appeals_filed,)),
            Row(label(AppealStatus.ACCEPTED.value, "appeal_status"),
                (figures.appeals[AppealStatus.ACCEPTED.value],)),
            Row(label(AppealStatus.REJECTED.value, "appeal_status"),
                (figures.appeals[AppealStatus.REJECTED.value],)),
            Row(label(AppealStatus.PENDING.value, "appeal_status"),
                (figures.appeals[AppealStatus.PENDING.value],)))),
        Table("experts", _("Expert pool by examiner certificate"), status, (_("Experts"),),
              tuple(experts), _total(experts, total), chart="doughnut",
              note=_("The whole pool on %(day)s, whatever the year; only the occupation "
                     "filter applies.", day=figures.today.isoformat())),
    ]


def scope_text(filters: Filters, choices: Choices | None = None) -> str:
    """The filters in words, e.g. "2026 · every competition · 茶艺师 · every division"."""
    names = {}
    if choices is not None:
        names = {"competition": dict(choices.competitions),
                 "occupation": dict(choices.occupations),
                 "division": {d[0]: f"{d[3]} · {d[4]}" for d in choices.divisions}}

    def named(kind: str, value: int | None, every: str) -> str:
        if value is None:
            return every
        return names.get(kind, {}).get(value) or f"#{value}"

    return " · ".join((
        _("Year %(year)s", year=filters.year),
        named("competition", filters.competition_id, _("Every competition")),
        named("occupation", filters.occupation_id, _("Every occupation")),
        named("division", filters.division_id, _("Every division"))))
