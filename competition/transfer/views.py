"""Pages that move a whole competition's set-up in and out: its definition exported as
JSON, imported as a new competition, and cloned. The ``transfer`` blueprint.

A bad definition is refused whole: nothing is created, and the page lists every problem
by its path in the document.
"""

from __future__ import annotations

import json
import re
from io import BytesIO

from flask import Blueprint, flash, redirect, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from competition.auth.models import Role
from competition.auth.permissions import role_required
from competition.errors import N_, Problem, translate_problem
from competition.events.access import require_organizer_of
from competition.events.models import Competition, Event, Module, PanelMember
from competition.events.setup import SetupError
from competition.extensions import db
from competition.transfer.definition import (
    clone_competition,
    export_competition,
    import_competition,
)
from competition.transfer.forms import CloneForm, CompetitionImportForm

bp = Blueprint("transfer", __name__)

# Uploads are read whole into memory; a real definition is far smaller.
MAX_UPLOAD_BYTES = 5 * 1024 * 1024


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
    return render_template("transfer/competition_import.html", form=form,
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
    return render_template("transfer/clone.html", source=source, form=form,
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
    """(row, path, message in the user's language) for the problem table."""
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
