"""The judge's tablet: the list of entries to score, and the score sheet.

Judges see stations and anonymous codes only, never a name or work unit.
Recused entries are not offered (``scoring.assignments``) and the service
refuses a sheet for them. The sheet page is rendered with the server's marks;
static/js/sheet.js then saves every change through the JSON API
(``competition.api.judging``) with an Idempotency-Key, keeps changes the
server has not confirmed yet in the tablet's localStorage, and shows which
marks are saved and which are waiting — so a judge on poor Wi-Fi never loses
a mark and never overwrites one changed elsewhere without being asked.

Both pages may be kept on the tablet (``copies``): asked for a copy
(``X-Judge-Prefetch: 1``), the sheet page shows the sheet without opening it — a
sheet not opened yet is shown as not started, without an id, and sheet.js opens it
when it first saves.
"""

from __future__ import annotations

from contextlib import nullcontext
from decimal import Decimal

from flask import Response, make_response, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from competition.auth.models import Role
from competition.auth.permissions import role_required
from competition.entries.models import Entry
from competition.errors import status_of
from competition.events.models import Event, Module
from competition.extensions import db
from competition.judging import scoring, tablet
from competition.judging.copies import flashes_left_alone, is_prefetch, kept_on_device
from competition.judging.scoring import JudgingError
from competition.judging.views import bp
from competition.web import flash_domain_error

SHEET_STATES = {
    "not_started": _l("Not started"),
    "draft": _l("Draft"),
    "submitted": _l("Submitted"),
    "review": _l("Re-score (appeal)"),
}


@bp.get("/judge")
@role_required(Role.JUDGE)
def assignments():
    """The judge's events and modules, and the entries to score by station and code;
    ``?session_id=`` shows one session's entries only."""
    documents = tablet.assignment_documents(db.session, current_user)
    session_id = request.args.get("session_id", type=int)
    if session_id:
        for document in documents:
            for module in document["modules"]:
                module["entries"] = [e for e in module["entries"]
                                     if e["session_id"] == session_id]
                module["submitted"] = sum(1 for e in module["entries"]
                                          if e["state"] == "submitted")
    with flashes_left_alone() if is_prefetch() else nullcontext():
        page = render_template("judging/assignments.html", assignments=documents,
                               states=SHEET_STATES, session_id=session_id)
    return kept_on_device(make_response(page))


@bp.get("/judge/entries/<int:entry_id>/modules/<int:module_id>")
@role_required(Role.JUDGE)
def sheet(entry_id: int, module_id: int):
    """One entry's sheet for one module, started as a draft the first time it is opened;
    a copy for the tablet to keep shows it as it is, opening nothing."""
    entry = db.get_or_404(Entry, entry_id)
    module = db.get_or_404(Module, module_id)
    if is_prefetch():
        return _kept_copy(entry, module)
    try:
        opened = scoring.open_sheet(db.session, current_user, entry, module)
    except JudgingError as error:
        flash_domain_error(error)
        return redirect(url_for("judging.assignments"))
    document = tablet.sheet_document(db.session, opened)
    page = _sheet_page(document, scoring.last_reopening(db.session, opened), entry, module)
    return kept_on_device(make_response(page), sheet_version=opened.version)


def _kept_copy(entry: Entry, module: Module):
    """The sheet page as the tablet keeps it: the judge's sheet if they have one, else a
    sheet not started. Nothing is written and no flashed message is taken; a sheet the
    judge may not score is refused with the status its reason has, and not kept."""
    try:
        existing = tablet.kept_sheet(db.session, current_user, entry, module)
    except JudgingError as error:
        return Response(status=status_of(error))  # no page: it would take flashed messages
    with flashes_left_alone():
        if existing is None:
            page = _sheet_page(tablet.unopened_sheet_document(entry, module), None,
                               entry, module)
        else:
            page = _sheet_page(tablet.sheet_document(db.session, existing),
                               scoring.last_reopening(db.session, existing), entry, module)
    return kept_on_device(make_response(page),
                          sheet_version=existing.version if existing else 0)


def _sheet_page(document: dict, reopened, entry: Entry, module: Module) -> str:
    for criterion in document["criteria"]:
        criterion["band"] = _tolerance_band(criterion)
    return render_template("judging/sheet.html", sheet=document, reopened=reopened,
                           event=db.session.get(Event, entry.event_id),
                           next_entry=_next_entry(entry, module), states=SHEET_STATES)


def _tolerance_band(criterion: dict) -> tuple[str, str] | None:
    """The readings that earn the maximum, for a measured-value criterion."""
    if criterion["entry_mode"] != "measured" or criterion["nominal"] is None \
            or criterion["tolerance_lower"] is None or criterion["tolerance_upper"] is None:
        return None
    nominal = Decimal(criterion["nominal"])
    return (tablet.plain(nominal + Decimal(criterion["tolerance_lower"])),
            tablet.plain(nominal + Decimal(criterion["tolerance_upper"])))


def _next_entry(entry: Entry, module: Module) -> dict | None:
    """The entry at the next station the judge scores in this module, to move on quickly."""
    for assignment in tablet.assignment_documents(db.session, current_user):
        if assignment["event_id"] != entry.event_id:
            continue
        for listed in assignment["modules"]:
            if listed["id"] != module.id:
                continue
            ids = [e["entry_id"] for e in listed["entries"]]
            if entry.id in ids and ids.index(entry.id) + 1 < len(ids):
                return listed["entries"][ids.index(entry.id) + 1]
    return None
