"""Pages that move a set-up in and out: marking schemes to and from Excel, and whole
competition definitions exported, imported and cloned.

A bad file is refused whole: nothing changes, and the page lists every problem
— by row and column for a workbook, by path for a definition.
"""

from __future__ import annotations

import json
import re
from io import BytesIO

from flask import flash, redirect, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from competition.auth.models import Role
from competition.auth.permissions import role_required
from competition.errors import N_, Problem, translate_problem
from competition.events.access import require_organizer_of
from competition.events.definition import (
    clone_competition,
    export_competition,
    import_competition,
)
from competition.events.models import Competition, Event, Module, PanelMember
from competition.events.scheme_excel import (
    excel_problem,
    export_workbook,
    parse_workbook,
    template_workbook,
)
from competition.events.setup import SetupError, replace_marking_scheme
from competition.events.transfer_forms import (
    CloneForm,
    CompetitionImportForm,
    SchemeImportForm,
)
from competition.events.views import bp
from competition.extensions import db
from competition.spreadsheet import XLSX_MIMETYPE

# Uploads are read whole into memory; a real 评分细则 or definition is far smaller.
MAX_UPLOAD_BYTES = 5 * 1024 * 1024


# --- Marking schemes and Excel ------------------------------------------------------

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


# --- Competition definitions --------------------------------------------------------

@bp.get("/competitions/<int:competition_id>/definition.json")
@login_required
def competition_export(competition_id: int):
    require_organizer_of(competition_id)
    competition = db.get_or_404(Competition, competition_id)
    _load_setup(competition_id)
    document = json.dumps(export_competition(competition), ensure_ascii=False, indent=2)
    return _download(document.encode("utf-8"), f"{competition.name}.json", "application/json")


@bp.route("/competitions/import", methods=["GET", "POST"])
@role_required(Role.ORGANIZER)
def competition_import():
    """Any organizer may import a definition; the new competition, in draft, is theirs."""
    form = CompetitionImportForm()
    problems: list[Problem] = []
    if form.validate_on_submit():
        try:
            document = _read_json(_read_upload(form.file.data))
            competition, warnings = import_competition(
                db.session, document, current_user._get_current_object(),
                name=form.name.data or None)
        except SetupError as error:
            db.session.rollback()
            flash(error.translated(), "error")
            problems = error.problems
        else:
            _flash_created(competition, warnings)
            return redirect(url_for("events.competition_detail", competition_id=competition.id))
    return render_template("events/competition_import.html", form=form,
                           problems=_problem_rows(problems))


@bp.route("/competitions/<int:competition_id>/clone", methods=["GET", "POST"])
@login_required
def competition_clone(competition_id: int):
    """A copy of the set-up under a new name, in draft, run by whoever made it."""
    require_organizer_of(competition_id)
    source = db.get_or_404(Competition, competition_id)
    form = CloneForm()
    problems: list[Problem] = []
    if not form.is_submitted():
        form.name.data = _("%(name)s (copy)", name=source.name)
    if form.validate_on_submit():
        _load_setup(competition_id)
        try:
            competition, warnings = clone_competition(
                db.session, source, current_user._get_current_object(), form.name.data)
        except SetupError as error:
            db.session.rollback()
            flash(error.translated(), "error")
            problems = error.problems
        else:
            _flash_created(competition, warnings)
            return redirect(url_for("events.competition_detail", competition_id=competition.id))
    return render_template("events/transfer_clone.html", source=source, form=form,
                           problems=_problem_rows(problems))


# --- Helpers ------------------------------------------------------------------------

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


def _read_json(data: bytes) -> object:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SetupError(N_("The file is not a competition definition: it is not UTF-8 "
                            "text.")) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise SetupError(N_("The file is not valid JSON (line %(line)s, column %(column)s)."),
                         line=error.lineno, column=error.colno) from None


def _problem_rows(problems: list[Problem]) -> list[tuple[int | None, str, str]]:
    """(row, column or path, message in the user's language) for the problem tables."""
    return [(problem.row, problem.column, translate_problem(problem)) for problem in problems]


def _flash_created(competition: Competition, warnings: list[str]) -> None:
    flash(_("%(name)s was created as a new competition in draft.", name=competition.name),
          "success")
    for warning in warnings:
        flash(warning, "warning")


def _load_setup(competition_id: int) -> None:
    """Load every event's set-up in a few queries rather than one per row."""
    db.session.scalars(
        select(Event).where(Event.competition_id == competition_id).options(
            selectinload(Event.occupation), selectinload(Event.divisions),
            selectinload(Event.modules).selectinload(Module.criteria),
            selectinload(Event.promotion_rules),
            selectinload(Event.panel).selectinload(PanelMember.expert),
        )
    ).all()
