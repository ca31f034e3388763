"""Contestants imported from Excel or CSV: the template, the preview and the import.

The page sits under an event (that is where its link is), but one file covers
the whole competition: each row names its own event. The flow is upload →
preview → confirm. An upload with any problem imports nothing and lists every
problem; a clean one is kept in the database (``UploadStore``), where any app
server finds it, until the organizer confirms, and is then imported all or
nothing with one commit. The preview shows how the header row was read; a file
with columns that cannot be imported is imported only when the confirmation
ticks “leave them out”.
"""

from __future__ import annotations

import os
import re
from io import BytesIO

from flask import flash, redirect, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from competition.entries.import_forms import ImportConfirmForm, ImportUploadForm
from competition.entries.importer import (
    COLUMNS,
    MAX_BYTES,
    MAX_ROWS,
    XLSX_MIMETYPE,
    ImportPreview,
    import_file,
    preview_file,
    template_workbook,
)
from competition.entries.registrations import RegistrationError
from competition.entries.views import bp, event_for_organizer, local_today
from competition.errors import translate_problem
from competition.events.access import require_organizer_of
from competition.events.models import Competition, Event
from competition.extensions import db
from competition.uploads import UploadStore


@bp.get("/competitions/<int:competition_id>/contestants-template.xlsx")
@login_required
def import_template(competition_id: int):
    """The workbook to fill in, with this competition's events and divisions explained."""
    require_organizer_of(competition_id)
    competition = db.get_or_404(Competition, competition_id)
    db.session.scalars(select(Event).where(Event.competition_id == competition_id)
                       .options(selectinload(Event.divisions))).all()
    filename = re.sub(r'[\\/:*?"<>|\r\n]+', "_", f"{competition.name}-选手导入模板.xlsx")
    return send_file(BytesIO(template_workbook(competition)), mimetype=XLSX_MIMETYPE,
                     as_attachment=True, download_name=filename, max_age=0)


@bp.route("/events/<int:event_id>/import", methods=["GET", "POST"])
@login_required
def import_entries(event_id: int):
    """Upload a file and see what it would import; nothing is saved here."""
    event = event_for_organizer(event_id)
    form = ImportUploadForm()
    if not form.validate_on_submit():
        return _page(event, form)
    storage = form.file.data
    data = storage.read(MAX_BYTES + 1)
    filename = storage.filename or ""
    preview = preview_file(db.session, event.competition, filename, data, local_today())
    if not preview.ok:
        flash(_("The file has %(n)s problems; nothing was imported.",
                n=len(preview.problems)), "error")
        return _page(event, form, preview=preview, filename=filename)
    token = UploadStore.for_app().save(current_user.id, event.competition_id, filename, data)
    confirm = ImportConfirmForm(formdata=None, upload=token)
    return _page(event, ImportUploadForm(formdata=None), preview=preview, filename=filename,
                 confirm=confirm)


@bp.post("/events/<int:event_id>/import/confirm")
@login_required
def import_confirm(event_id: int):
    """Import the file checked in the preview, all or nothing, with one commit."""
    event = event_for_organizer(event_id)
    form = ImportConfirmForm()
    store = UploadStore.for_app()
    token = form.upload.data if form.validate_on_submit() else ""
    kept = store.claim(current_user.id, event.competition_id, token)
    if kept is None:
        flash(_("The uploaded file is no longer kept (it was imported already, or more than an "
                "hour has passed): upload it again."), "error")
        return redirect(url_for("entries.import_entries", event_id=event.id))
    filename, data = kept
    try:
        entries = import_file(db.session, event.competition, filename, data, local_today(),
                              actor_id=current_user.id,
                              ignore_unknown_columns=form.ignore_unknown_columns.data)
    except RegistrationError as error:
        db.session.rollback()
        store.release(current_user.id, event.competition_id, token)
        flash(error.translated(), "error")
        return _page(event, ImportUploadForm(formdata=None),
                     preview=ImportPreview(rows=[], problems=error.problems))
    store.release(current_user.id, event.competition_id, token)
    flash(_("%(n)s contestants were imported.", n=len(entries)), "success")
    return redirect(url_for("entries.entry_list", event_id=event.id))


def _page(event: Event, form: ImportUploadForm, *, preview: ImportPreview | None = None,
          filename: str = "", confirm: ImportConfirmForm | None = None):
    events = db.session.scalars(
        select(Event).where(Event.competition_id == event.competition_id)
        .options(selectinload(Event.divisions)).order_by(Event.position, Event.id)).all()
    problems = [(p.row, p.column, translate_problem(p)) for p in preview.problems] \
        if preview else []
    return render_template(
        "entries/import.html", event=event, events=events, form=form, preview=preview,
        problems=problems, filename=os.path.basename(filename), confirm=confirm,
        columns_read=preview.recognized() if preview else [],
        unknown_columns=preview.unknown_columns if preview else [],
        columns=COLUMNS, max_rows=MAX_ROWS, max_mb=MAX_BYTES // (1024 * 1024))
