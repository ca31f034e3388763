"""Theory scores imported from a computer-based exam (.xlsx).

Upload → preview of every score that will change (entry, name, old, new) →
confirm, as the contestant import does: a file with any problem stores nothing
and lists every problem; the preview shows how the header row was read, and a
file with columns that cannot be imported is stored only when the confirmation
ticks “leave them out”; a clean one is kept in the database (``UploadStore``, as
theory scores) until the organizer confirms, on whichever server, and is then checked
again and stored all or nothing in the request's one transaction. The page also lists
the theory scores held.
"""

from __future__ import annotations

import os
import re
from io import BytesIO

from flask import flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from competition.entries.models import Entry, RegistrationStatus
from competition.errors import DomainError, translate_problem
from competition.events.access import event_for_organizer
from competition.events.models import Event
from competition.extensions import db
from competition.results.theory_forms import TheoryConfirmForm, TheoryUploadForm
from competition.results.theory_import import (
    NAME,
    TICKET,
    XLSX_MIMETYPE,
    TheoryPreview,
    format_score,
    held_scores,
    import_file,
    preview_file,
    template_workbook,
    theory_modules,
)
from competition.results.views import bp
from competition.spreadsheet import MAX_BYTES, MAX_ROWS
from competition.uploads import UploadStore
from competition.web import flash_domain_error


def _store() -> UploadStore:
    """Kept apart from the contestant import's files: a token names one kind of file."""
    return UploadStore.for_app("theory")


@bp.get("/events/<int:event_id>/theory-scores/template.xlsx")
@login_required
def theory_template(event_id: int):
    """The workbook to fill in, with the event's entries (准考证号, 姓名) listed."""
    event = event_for_organizer(event_id)
    if not theory_modules(event):
        flash(_("%(event)s has no theory module that takes imported scores (a theory module "
                "without criteria in the marking scheme).", event=event.name), "error")
        return redirect(url_for("results.theory_import", event_id=event.id))
    name = event.name + "-" + _("Theory scores import template") + ".xlsx"
    filename = re.sub(r'[\\/:*?"<>|\r\n]+', "_", name)
    return send_file(BytesIO(template_workbook(db.session, event)), mimetype=XLSX_MIMETYPE,
                     as_attachment=True, download_name=filename, max_age=0)


@bp.route("/events/<int:event_id>/theory-scores", methods=["GET", "POST"])
@login_required
def theory_import(event_id: int):
    """The theory scores held; upload a file and preview it; confirm the preview."""
    event = event_for_organizer(event_id)
    if request.method == "POST" and "upload" in request.form:
        return _confirm(event)
    form = TheoryUploadForm()
    if not form.validate_on_submit():
        return _page(event, form)
    storage = form.file.data
    data = storage.read(MAX_BYTES + 1)
    filename = os.path.basename(storage.filename or "")
    try:
        preview = preview_file(db.session, event, data)
    except DomainError as error:
        flash_domain_error(error)
        return redirect(url_for("results.theory_import", event_id=event.id))
    if not preview.ok:
        flash(_("The file has %(n)s problems; nothing was imported.",
                n=len(preview.problems)), "error")
        return _page(event, form, preview=preview, filename=filename)
    token = _store().save(current_user.id, event.id, filename, data)
    confirm = TheoryConfirmForm(formdata=None, upload=token, filename=filename[:200])
    return _page(event, TheoryUploadForm(formdata=None), preview=preview, filename=filename,
                 confirm=confirm)


def _confirm(event: Event):
    """Store the file checked in the preview, all or nothing, with one commit."""
    form = TheoryConfirmForm()
    store = _store()
    token = form.upload.data if form.validate_on_submit() else ""
    kept = store.claim(current_user.id, event.id, token)
    if kept is None:
        flash(_("The uploaded file is no longer kept (it was imported already, or more than an "
                "hour has passed): upload it again."), "error")
        return redirect(url_for("results.theory_import", event_id=event.id))
    data = kept[1]
    filename = os.path.basename(form.filename.data or "")
    try:
        changes = import_file(db.session, event, current_user, filename, data,
                              ignore_unknown_columns=form.ignore_unknown_columns.data)
    except DomainError as error:
        store.release(current_user.id, event.id, token)
        if not error.problems:
            flash_domain_error(error)
            return redirect(url_for("results.theory_import", event_id=event.id))
        db.session.rollback()
        flash(error.translated(), "error")
        return _page(event, TheoryUploadForm(formdata=None),
                     preview=TheoryPreview(rows=[], problems=error.problems))
    store.release(current_user.id, event.id, token)
    changed = [change for change in changes if change.changed]
    flash(_("%(n)s theory scores were imported: %(new)s new, %(changed)s changed, "
            "%(same)s unchanged.", n=len(changes),
            new=sum(1 for c in changed if c.old is None),
            changed=sum(1 for c in changed if c.old is not None),
            same=len(changes) - len(changed)), "success")
    return redirect(url_for("results.theory_import", event_id=event.id))


def _page(event: Event, form: TheoryUploadForm, *, preview: TheoryPreview | None = None,
          filename: str = "", confirm: TheoryConfirmForm | None = None):
    modules = theory_modules(event)
    entries = db.session.scalars(
        select(Entry).where(Entry.event_id == event.id,
                            Entry.status == RegistrationStatus.APPROVED)
        .options(joinedload(Entry.contestant))
        .order_by(Entry.ticket_number, Entry.id)).all()
    held = held_scores(db.session, event)
    divisions = {d.id: d.name for d in event.divisions}
    rows = [(entry.ticket_number or "—", entry.contestant.name, divisions.get(entry.division_id),
             [format_score(held[(entry.id, m.id)].score) if (entry.id, m.id) in held else ""
              for m in modules])
            for entry in entries]
    scored = sum(1 for *_, scores in rows if scores and all(scores))
    problems = [(p.row, p.column, translate_problem(p)) for p in preview.problems] \
        if preview else []
    changes = [(c.row, c.entry.ticket_number or "—", c.entry.contestant.name, c.module.name,
                format_score(c.old), format_score(c.new)) for c in preview.changed] \
        if preview and confirm else []
    return render_template(
        "results/theory_import.html", event=event, modules=modules, form=form,
        preview=preview, problems=problems, changes=changes, filename=filename,
        confirm=confirm, held_rows=rows,
        columns_read=preview.recognized() if preview else [],
        unknown_columns=preview.unknown_columns if preview else [], scored=scored,
        ticket_header=TICKET, name_header=NAME, max_rows=MAX_ROWS,
        max_mb=MAX_BYTES // (1024 * 1024), locked=event.scores_locked_at is not None)
