"""The bureau's statistics page (/bureau) and its workbook, for bureau accounts (人社局)
and admins: figures across every competition of a year, never a person's data; and one
competition's report (赛事总结报告, PDF), which its own organizers may download too.

The filters come from the query string, as the API's do (``year``, ``competition_id``,
``occupation_id``, ``division_id``); a value the year does not offer is left out.
"""

from __future__ import annotations

import re
from io import BytesIO

from flask import Blueprint, abort, render_template, request, send_file
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import SelectField

from competition.auth.models import Role
from competition.auth.permissions import role_required
from competition.bureau import report
from competition.bureau import statistics as stats
from competition.bureau.excel import statistics_workbook
from competition.bureau.tables import scope_text, tables
from competition.dbtypes import utcnow
from competition.events.access import organizes
from competition.events.models import Competition
from competition.extensions import db
from competition.spreadsheet import XLSX_MIMETYPE
from competition.timeutil import local_today

bp = Blueprint("bureau", __name__)

# The largest id the database holds (32-bit INTEGER on PostgreSQL).
MAX_ID = 2**31 - 1


def _number(value: object) -> int | None:
    """A positive whole number from the query string, or None for anything else."""
    try:
        number = int(str(value))
    except ValueError:
        return None
    return number if 0 < number <= MAX_ID else None


class StatisticsFilterForm(FlaskForm):
    """The filters of the page, read from the query string."""

    class Meta:
        csrf = False

    year = SelectField(_l("Year"), coerce=_number, validate_choice=False)
    competition_id = SelectField(_l("Competition"), coerce=_number, validate_choice=False)
    occupation_id = SelectField(_l("Occupation"), coerce=_number, validate_choice=False)
    division_id = SelectField(_l("Division"), coerce=_number, validate_choice=False)


def _filters() -> tuple[stats.Filters, stats.Choices]:
    """The filters the query string asks for, narrowed to what the year offers, and what
    the year offers."""
    this_year = local_today().year
    year = _number(request.args.get("year"))
    if year is None or not stats.FIRST_YEAR <= year <= stats.LAST_YEAR:
        year = this_year
    choices = stats.choices(db.session, year, this_year=this_year)
    asked = stats.Filters(year, _number(request.args.get("competition_id")),
                          _number(request.args.get("occupation_id")),
                          _number(request.args.get("division_id")))
    return choices.narrowed(asked), choices


def _form(filters: stats.Filters, choices: stats.Choices) -> StatisticsFilterForm:
    form = StatisticsFilterForm(formdata=None, year=filters.year,
                                competition_id=filters.competition_id,
                                occupation_id=filters.occupation_id,
                                division_id=filters.division_id)
    form.year.choices = [(year, str(year)) for year in choices.years]
    form.competition_id.choices = [("", _("Any")), *choices.competitions]
    form.occupation_id.choices = [("", _("Any")), *choices.occupations]
    form.division_id.choices = [("", _("Any")), *(
        (division_id, f"{event} · {division}" if filters.competition_id
         else f"{competition} · {event} · {division}")
        for division_id, competition_id, competition, event, division in choices.divisions
        if filters.competition_id in (None, competition_id))]
    return form


def query_of(filters: stats.Filters) -> dict[str, int]:
    """The query string that asks for ``filters``."""
    return {name: value for name, value in (
        ("year", filters.year), ("competition_id", filters.competition_id),
        ("occupation_id", filters.occupation_id), ("division_id", filters.division_id))
        if value is not None}


@bp.get("/bureau")
@role_required(Role.BUREAU)
def dashboard():
    """Every figure of the year's competitions, each table beside its chart."""
    filters, choices = _filters()
    figures = stats.statistics(db.session, filters, today=local_today())
    return render_template("bureau/dashboard.html", form=_form(filters, choices),
                           figures=figures, tables=tables(figures),
                           scope=scope_text(filters, choices), query=query_of(filters))


@bp.get("/bureau/statistics.xlsx")
@role_required(Role.BUREAU)
def workbook():
    """The page's tables as one workbook, one sheet per table."""
    filters, choices = _filters()
    figures = stats.statistics(db.session, filters, today=local_today())
    data = statistics_workbook(tables(figures), scope_text(filters, choices))
    return send_file(BytesIO(data), mimetype=XLSX_MIMETYPE, as_attachment=True,
                     download_name=f"{_('Statistics')}-{filters.year}.xlsx", max_age=0)


@bp.get("/bureau/competitions/<int:competition_id>/report.pdf")
@login_required
def competition_report(competition_id: int):
    """One competition's report as a printable A4 PDF: for bureau accounts, admins and
    the competition's own organizers (403 for anyone else, 404 for no such competition)."""
    competition = db.get_or_404(Competition, competition_id)
    if current_user.role != Role.BUREAU and not organizes(current_user, competition.id):
        abort(403)
    figures = report.competition_report(db.session, competition)
    data = report.report_pdf(figures, printed_at=format_datetime(utcnow(), "yyyy-MM-dd HH:mm"))
    name = re.sub(r'[\\/:*?"<>|\r\n]+', "_",
                  f"{_('Competition report')}-{competition.name}.pdf")
    response = send_file(BytesIO(data), mimetype="application/pdf", download_name=name,
                         max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response
