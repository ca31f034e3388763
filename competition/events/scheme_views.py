"""Marking schemes to and from Excel: the template, an event's scheme as a workbook, and
the upload that replaces the whole scheme.

A bad workbook is refused whole: nothing changes, and the page lists every problem by
row and column.
"""

from __future__ import annotations

import re
from io import BytesIO

from flask import flash, redirect, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_login import login_required

from competition.auth.models import Role
from competition.auth.permissions import role_required
from competition.errors import N_, Problem, translate_problem
from competition.events.access import require_organizer_of
from competition.events.forms import SchemeImportForm
from competition.events.models import Event
from competition.events.scheme_excel import (
    excel_problem,
    export_workbook,
    parse_workbook,
    template_workbook,
)
from competition.events.setup import SetupError, replace_marking_scheme
from competition.events.views import bp
from competition.extensions import db
from competition.spreadsheet import XLSX_MIMETYPE

# Uploads are read whole into memory; a real 评分细则 is far smaller.
MAX_UPLOAD_BYTES = 5 * 1024 * 1024


@bp.get("/events/scheme-template.xlsx")
@role_required(Role.ORGANIZER)
def scheme_template():
    return _download(template_workbook(), _("Marking scheme template") + ".xlsx", XLSX_MIMETYPE)


@bp.get("/events/<int:event_id>/scheme.xlsx")
@login_required
def scheme_export(event_id: int):
    event = db.get_or_404(Event, event_id)
    require_organizer_of(event.competition_id)
    return _download(export_workbook(event), f"{event.name}-{_('Marking scheme')}.xlsx",
                     XLSX_MIMETYPE)


@bp.route("/events/<int:event_id>/scheme/import", methods=["GET", "POST"])
@login_required
def scheme_import(event_id: int):
    """Upload a workbook that replaces the event's whole marking scheme, or is refused whole."""
    event = db.get_or_404(Event, event_id)
    require_organizer_of(event.competition_id)
    form = SchemeImportForm()
    problems: list[Problem] = []
    if form.validate_on_submit():
        try:
            specs = parse_workbook(_read_upload(form.file.data))
            replace_marking_scheme(db.session, event, specs)
        except SetupError as error:
            db.session.rollback()
            flash(error.translated(), "error")
            problems = [excel_problem(problem) for problem in error.problems]
        else:
            flash(_("The marking scheme was imported: %(modules)s modules and %(criteria)s "
                    "criteria.", modules=len(specs),
                    criteria=sum(len(module.criteria) for module in specs)), "success")
            return redirect(url_for("events.event_detail", event_id=event.id))
    return render_template("events/scheme_import.html", event=event, form=form,
                           problems=_problem_rows(problems))


def _download(data: bytes, filename: str, mimetype: str):
    filename = re.sub(r'[\\/:*?"<>|\r\n]+', "_", filename)  # safe on every file system
    return send_file(BytesIO(data), mimetype=mimetype, as_attachment=True,
                     download_name=filename, max_age=0)


def _read_upload(storage) -> bytes:
    data = storage.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise SetupError(N_("The file is larger than %(mb)s MB."),
                         mb=MAX_UPLOAD_BYTES // (1024 * 1024))
    return data


def _problem_rows(problems: list[Problem]) -> list[tuple[int | None, str, str]]:
    """(row, column, message in the user's language) for the problem table."""
    return [(problem.row, problem.column, translate_problem(problem)) for problem in problems]
