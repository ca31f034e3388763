"""Paper fallback pages: blank sheets to print, typing a filled sheet in, confirming it.

For the organizers of the competition and the event's chief judge.
The rules are in ``judging.paper_sheets``; these pages only show codes and stations,
never contestants' names, since the chief judge uses them before sign-off.
"""

from __future__ import annotations

import io

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from competition.auth.models import User
from competition.entries.models import Entry
from competition.events.access import organizes
from competition.events.models import Event, Module
from competition.extensions import db
from competition.judging import paper_pdf, paper_sheets
from competition.judging.models import ScoreSheet, SheetSource
from competition.judging.paper_forms import (
    DiscardForm,
    PaperChoiceForm,
    PrintForm,
    field_name,
    marks_form,
    plain,
)
from competition.judging.scoring import JudgingError, scoreable_entries, scored_modules
from competition.judging.views import bp
from competition.web import flash_domain_error


def _event_for_clerk(event_id: int) -> Event:
    """The event, if the current user may handle its paper sheets (403 otherwise)."""
    event = db.get_or_404(Event, event_id)
    if not paper_sheets.may_handle_paper(db.session, current_user, event):
        abort(403)
    return event


def _sheet_for_clerk(sheet_id: int) -> tuple[ScoreSheet, Event]:
    sheet = db.get_or_404(ScoreSheet, sheet_id)
    if sheet.source != SheetSource.PAPER:
        abort(404)
    module = db.session.get(Module, sheet.module_id)
    return sheet, _event_for_clerk(module.event_id)


def _page_context(event: Event) -> dict:
    return {"event": event, "show_event_nav": organizes(current_user, event.competition_id),
            "field_name": field_name, "plain": plain, "sheet_line": paper_pdf.sheet_line}


@bp.get("/events/<int:event_id>/paper-sheets.pdf", endpoint="paper_sheets")
@login_required
def paper_sheets_pdf(event_id: int):
    """Blank sheets, one A4 page per station and module (``?module_id=`` and ``&station=``
    for fewer), by module then station."""
    event = _event_for_clerk(event_id)
    modules = scored_modules(event)
    module_id = request.args.get("module_id", type=int)
    if module_id:
        modules = [m for m in modules if m.id == module_id]
        if not modules:
            abort(404)
    entries = scoreable_entries(db.session, event.id)
    station = (request.args.get("station") or "").strip()
    name = f"{event.name}-{_('Score sheet (paper)')}"
    if station:
        if not station.isdigit():
            abort(404)
        entries = [e for e in entries if e.station == int(station)]
        name += "-" + _("Station %(n)s", n=station)
    if module_id:
        name += f"-{modules[0].code}"
    sheets = [paper_pdf.blank_sheet(entry, module, _entry_link(event, entry, module))
              for module in modules for entry in entries]
    pdf = paper_pdf.build_pdf(sheets, title=f"{event.name} · {_('Score sheet (paper)')}")
    response = send_file(io.BytesIO(pdf), mimetype="application/pdf",
                         download_name=f"{name}.pdf", as_attachment=False)
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _entry_link(event: Event, entry: Entry, module: Module) -> str:
    return url_for("judging.paper_entry", event_id=event.id, entry_id=entry.id,
                   module_id=module.id, _external=True)


@bp.route("/events/<int:event_id>/paper", methods=["GET", "POST"], endpoint="paper_entry")
@login_required
def paper_entry(event_id: int):
    """Type in a judge's filled paper sheet; below, the paper sheets waiting for confirmation."""
    event = _event_for_clerk(event_id)
    modules = scored_modules(event)
    entries = scoreable_entries(db.session, event.id)
    judges = paper_sheets.panel_judges(db.session, event)
    choice = PaperChoiceForm(request.args, modules=modules, entries=entries, judges=judges)
    choice.validate()
    if choice.ref.data:
        found = paper_pdf.parse_sheet_ref(choice.ref.data)
        if found is None:
            flash(_("“%(ref)s” is not a sheet id; it looks like E12-M3.", ref=choice.ref.data),
                  "error")
        else:
            return redirect(url_for("judging.paper_entry", event_id=event.id,
                                    entry_id=found[0], module_id=found[1],
                                    judge_id=choice.judge_id.data or None))
    module = next((m for m in modules if m.id == choice.module_id.data), None)
    entry = next((e for e in entries if e.id == choice.entry_id.data), None)
    judge = next((u for u in judges if u.id == choice.judge_id.data), None)
    if (request.args.get("entry_id") and entry is None) or \
            (request.args.get("module_id") and module is None):
        flash(_("That sheet is not one of this event's sheets being scored."), "error")

    form, existing, blocked = None, None, None
    if module and entry and judge:
        existing = db.session.scalar(select(ScoreSheet).where(
            ScoreSheet.entry_id == entry.id, ScoreSheet.module_id == module.id,
            ScoreSheet.judge_id == judge.id))
        try:
            paper_sheets.check_can_enter(db.session, current_user, entry, module, judge)
        except JudgingError as error:
            blocked = error.translated()
        else:
            form = marks_form(module.criteria, _("Save the paper sheet"))
            if form.validate_on_submit():
                try:
                    paper_sheets.enter_paper_sheet(db.session, current_user, entry, module, judge,
                                            form.values(module.criteria))
                    db.session.flush()  # a sheet typed in at the same moment collides here
                except JudgingError as error:
                    flash_domain_error(error)
                except IntegrityError:
                    # Someone typed in the same judge's sheet at the same moment.
                    db.session.rollback()
                    flash(_("This sheet was typed in by someone else just now."), "error")
                else:
                    flash(_("The paper sheet of %(judge)s for %(code)s · %(module)s is typed "
                            "in. It counts once a different person has confirmed it.",
                            judge=judge.display_name, code=entry.code, module=module.code),
                          "success")
                    return redirect(url_for("judging.paper_entry", event_id=event.id,
                                            module_id=module.id, judge_id=judge.id))
    elif request.method == "POST":
        abort(400)

    sheets = paper_sheets.paper_sheets(db.session, event)
    return render_template(
        "judging/paper_entry.html", **_page_context(event), choice=choice, form=form,
        module=module, entry=entry, judge=judge, existing=existing, blocked=blocked,
        sheets=sheets, mismatches=paper_sheets.last_mismatches(db.session, sheets),
        users=_users(sheets),
        print_form=PrintForm(formdata=None, modules=modules))


def _users(sheets: list[ScoreSheet]) -> dict[int, User]:
    ids = {i for s in sheets for i in (s.entered_by_id, s.confirmed_by_id) if i}
    if not ids:
        return {}
    return {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))}


@bp.route("/paper-sheets/<int:sheet_id>/confirm", methods=["GET", "POST"],
          endpoint="paper_confirm")
@login_required
def paper_confirm(sheet_id: int):
    """The second, blind entry of a paper sheet, by someone other than its typist."""
    sheet, event = _sheet_for_clerk(sheet_id)
    back = url_for("judging.paper_entry", event_id=event.id)
    if sheet.confirmed_by_id is not None:
        flash(_("This paper sheet is already confirmed."), "info")
        return redirect(back)
    if sheet.entered_by_id == current_user.id:
        flash(_("You typed in this paper sheet: a different person must confirm it."),
              "error")
        return redirect(back)
    module = db.session.get(Module, sheet.module_id)
    form = marks_form(module.criteria, _("Confirm"))
    differing: list[str] = []
    if form.validate_on_submit():
        try:
            result = paper_sheets.confirm_paper_sheet(db.session, current_user, sheet,
                                               form.values(module.criteria))
        except JudgingError as error:
            flash_domain_error(error)
        else:
            if result.confirmed:
                flash(_("Confirmed: both entries agree. The sheet of %(judge)s for %(code)s · "
                        "%(module)s is submitted and counts.", judge=sheet.judge.display_name,
                        code=sheet.entry.code, module=module.code), "success")
                return redirect(back)
            differing = result.differing
            flash(_("Not confirmed: your entry differs from the first one in %(codes)s. "
                    "Check those marks on the paper sheet; if the first entry is wrong, its "
                    "typist corrects it.", codes="、".join(differing)), "error")
    return render_template("judging/paper_sheet.html", **_page_context(event), sheet=sheet,
                           module=module, form=form, mode="confirm", differing=differing,
                           discard_form=DiscardForm(formdata=None))


@bp.route("/paper-sheets/<int:sheet_id>/correct", methods=["GET", "POST"],
          endpoint="paper_correct")
@login_required
def paper_correct(sheet_id: int):
    """The typist corrects their own entry before it is confirmed."""
    sheet, event = _sheet_for_clerk(sheet_id)
    back = url_for("judging.paper_entry", event_id=event.id)
    if sheet.confirmed_by_id is not None:
        flash(_("This paper sheet is already confirmed."), "info")
        return redirect(back)
    if sheet.entered_by_id != current_user.id:
        flash(_("Only the person who typed in this paper sheet can correct it."), "error")
        return redirect(back)
    module = db.session.get(Module, sheet.module_id)
    form = marks_form(module.criteria, _("Save the correction"),
                      values=paper_sheets.values_of(db.session, sheet))
    if form.validate_on_submit():
        try:
            changed = paper_sheets.correct_paper_sheet(db.session, current_user, sheet,
                                                form.values(module.criteria))
        except JudgingError as error:
            flash_domain_error(error)
        else:
            flash(_("Correction saved: %(n)s marks changed. The sheet waits for "
                    "confirmation.", n=changed), "success")
            return redirect(back)
    differing = paper_sheets.last_mismatches(db.session, [sheet]).get(sheet.id, [])
    return render_template("judging/paper_sheet.html", **_page_context(event), sheet=sheet,
                           module=module, form=form, mode="correct", differing=differing,
                           discard_form=DiscardForm(formdata=None))


@bp.post("/paper-sheets/<int:sheet_id>/discard", endpoint="paper_discard")
@login_required
def paper_discard(sheet_id: int):
    """Take back a paper sheet typed in by mistake, with a reason, before it is confirmed."""
    sheet, event = _sheet_for_clerk(sheet_id)
    back = url_for("judging.paper_entry", event_id=event.id)
    form = DiscardForm()
    if not form.validate_on_submit():
        flash(_("Give the reason for discarding the paper sheet."), "error")
        return redirect(request.referrer or back)
    try:
        paper_sheets.discard_paper_sheet(db.session, current_user, sheet, form.reason.data)
    except JudgingError as error:
        flash_domain_error(error)
        return redirect(back)
    flash(_("The paper sheet is discarded; the log keeps what it held and why."), "success")
    return redirect(back)

