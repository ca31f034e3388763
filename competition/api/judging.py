"""API the judges' tablets use: assignments, a sheet, saving marks, submitting.

Every route needs a signed-in judge (the session of the pages or a bearer
token). Entries are shown by station and anonymous code only. The judging
rules are the service's (``competition.judging.scoring``: ``check_may_score``
and its parts, the same for the tablet's pages); this module answers each of
its typed refusals with the HTTP status a device acts on:

- 200: done; a save answers which changes were written (``applied``) and which
  were not because the mark changed on the server meanwhile (``conflicts``);
- 401: not signed in;
- 403: the caller may not score this entry — not a judge of its event, recused
  (回避), or another judge's sheet; nothing the device can fix by retrying. Writes
  check this before they read the body or the Idempotency-Key, so the caller is
  refused the same whatever they sent;
- 409: the sheet is submitted (locked) or the event's scores are locked; the
  answer holds the sheet's state, and nothing was written;
- 422: a bad mark (every problem listed), a missing or reused Idempotency-Key,
  or a refused submission (criteria without a mark).

Writes carry an ``Idempotency-Key`` header: a retry with the same key and body
gets the first answer again and writes nothing (``judging.idempotency``).
"""

from __future__ import annotations

from functools import wraps

from flask import abort, jsonify, request
from flask_login import current_user
from flask_smorest import Blueprint
from sqlalchemy.orm import joinedload

from competition.api.judging_schemas import (
    AssignmentSchema,
    IdempotencyHeaderSchema,
    MarkChangesSchema,
    RefusalSchema,
    SaveResultSchema,
    SheetQuerySchema,
    SheetSchema,
    SubmitResultSchema,
)
from competition.auth.models import Role
from competition.auth.permissions import role_required
from competition.entries.models import Entry
from competition.events.models import Module
from competition.extensions import db
from competition.judging import idempotency, scoring, tablet
from competition.judging.models import ScoreSheet
from competition.judging.scoring import (
    MarkChange,
    MayNotScore,
    ScoresLocked,
    ScoringRefused,
    SheetConflict,
)

blp = Blueprint("api_judging", __name__, url_prefix="/api/v1",
                description="What the judges' tablets use: assignments, sheets, marks.")


@blp.errorhandler(MayNotScore)
def _may_not_score(error: MayNotScore):
    """Not a judge of the entry's event, recused, or another judge's sheet: 403."""
    return _refused(403, error)


@blp.errorhandler(ScoresLocked)
def _scores_locked(error: ScoresLocked):
    """The event's scores are locked: 409 with the sheet's state."""
    return _refused(409, error)


def _refused(status: int, error: ScoringRefused):
    db.session.rollback()
    sheet = db.session.get(ScoreSheet, error.sheet_id) if error.sheet_id else None
    return _refusal_response(status, error.translated(), sheet)


@blp.errorhandler(SheetConflict)
def _sheet_conflict(error: SheetConflict):
    """The sheet was submitted (on this or another device): 409 with its state."""
    db.session.rollback()
    sheet_id = (request.view_args or {}).get("sheet_id")
    sheet = db.session.get(ScoreSheet, sheet_id) if sheet_id else None
    return _refusal_response(409, error.translated(), sheet)


def _refusal_response(status: int, message: str, sheet: ScoreSheet | None):
    names = {403: "Forbidden", 409: "Conflict"}
    return jsonify(code=status, status=names.get(status, ""), message=message,
                   sheet=tablet.sheet_ref(sheet) if sheet else None), status


# --- Reading ---------------------------------------------------------------------------

@blp.route("/judge/assignments")
@role_required(Role.JUDGE)
@blp.response(200, AssignmentSchema(many=True))
def assignments():
    """The caller's events as a judge: per module, the entries to score (station and
    anonymous code only; recused entries left out) and the state of each sheet."""
    return tablet.assignment_documents(db.session, current_user)


@blp.route("/judge/sheets")
@role_required(Role.JUDGE)
@blp.arguments(SheetQuerySchema, location="query")
@blp.response(200, SheetSchema)
@blp.alt_response(403, schema=RefusalSchema, description="Not yours to score.")
@blp.alt_response(409, schema=RefusalSchema, description="The event's scores are locked.")
def open_sheet(query):
    """The caller's sheet for an entry and a module, started as a draft the first time."""
    entry = db.get_or_404(Entry, query["entry_id"],
                          options=[joinedload(Entry.event), joinedload(Entry.contestant)])
    module = db.get_or_404(Module, query["module_id"])
    sheet = scoring.open_sheet(db.session, current_user, entry, module)
    return tablet.sheet_document(db.session, sheet)


@blp.route("/judge/sheets/<int:sheet_id>")
@role_required(Role.JUDGE)
@blp.response(200, SheetSchema)
@blp.alt_response(403, schema=RefusalSchema, description="Another judge's sheet.")
def get_sheet(sheet_id: int):
    """The sheet as the server holds it now (a device re-reads it after a conflict)."""
    sheet = _own_sheet(sheet_id)
    return tablet.sheet_document(db.session, sheet)


# --- Writing -----------------------------------------------------------------------------

def sheet_of_caller_required(view):
    """Only the judge whose sheet it is, on the event's panel and not recused, gets past
    (403) — before the body or the Idempotency-Key is read, so a caller without the right
    is refused whatever they sent."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        # The sheet is read once, under its lock, for the checks here and the change.
        sheet = scoring.locked_sheet(db.session, kwargs["sheet_id"])
        if sheet is None:
            abort(404)
        scoring.check_own_sheet(current_user, sheet)
        scoring.check_on_panel(db.session, current_user, sheet.entry, sheet)
        return view(*args, **kwargs)

    return wrapped


@blp.route("/judge/sheets/<int:sheet_id>/marks", methods=["POST"])
@role_required(Role.JUDGE)
@sheet_of_caller_required
@blp.arguments(IdempotencyHeaderSchema, location="headers", as_kwargs=True)
@blp.arguments(MarkChangesSchema)
@blp.response(200, SaveResultSchema)
@blp.alt_response(401, schema=RefusalSchema, description="Not signed in.")
@blp.alt_response(403, schema=RefusalSchema, description="Not yours to score.")
@blp.alt_response(409, schema=RefusalSchema,
                  description="The sheet is submitted, or the event's scores are locked.")
def save_marks(data, sheet_id: int, key: str):
    """Save marks on a draft sheet. Each change names the value the device last saw
    saved (``previous``); when the server holds another value now, that change is
    not written but returned in ``conflicts``. One bad value refuses the whole save
    (422, every problem listed)."""
    sheet = scoring.locked_sheet(db.session, sheet_id)  # the caller's: sheet_of_caller_required
    changes = [MarkChange(c["criterion_id"], c["value"], c["previous"])
               for c in data["changes"]]

    def work():
        result = scoring.save_marks(db.session, current_user, sheet, changes)
        marks = tablet.marks_document(result.marks.values())
        return {
            "sheet": tablet.sheet_ref(result.sheet),
            "applied": result.applied,
            "conflicts": [{"criterion_id": c["criterion_id"],
                           "server_value": tablet.plain(c["server_value"]),
                           "your_value": tablet.plain(c["your_value"])} for c in result.conflicts],
            "marks": marks,
            "total": tablet.total_of(marks),
        }, 200

    return _once(key, data, work)


@blp.route("/judge/sheets/<int:sheet_id>/submit", methods=["POST"])
@role_required(Role.JUDGE)
@sheet_of_caller_required
@blp.arguments(IdempotencyHeaderSchema, location="headers", as_kwargs=True)
@blp.response(200, SubmitResultSchema)
@blp.alt_response(401, schema=RefusalSchema, description="Not signed in.")
@blp.alt_response(403, schema=RefusalSchema, description="Not yours to score.")
@blp.alt_response(409, schema=RefusalSchema, description="The event's scores are locked.")
def submit_sheet(sheet_id: int, key: str):
    """Submit the sheet: it is locked, and only the chief judge can reopen it. Refused
    (422) while a criterion has no mark. Submitting a submitted sheet changes nothing."""
    sheet = scoring.locked_sheet(db.session, sheet_id)  # the caller's: sheet_of_caller_required

    def work():
        submitted = scoring.submit_sheet(db.session, current_user, sheet)
        return {"sheet": tablet.sheet_ref(submitted),
                "total": tablet.total_of(tablet.marks_of(db.session, submitted))}, 200

    return _once(key, {}, work)


def _once(key: str, payload: dict, work):
    """Run ``work`` once for this Idempotency-Key and answer; the request's commit keeps the
    key with the work (``CompetitionApp.dispatch_request``), whatever the status."""
    digest = idempotency.request_hash(request.method, request.path, payload)
    answer = idempotency.run_once(db.session, key=key, user_id=current_user.id,
                                  digest=digest, work=work)
    headers = {"Idempotent-Replayed": "true"} if answer.replayed else {}
    return answer.body, answer.status_code, headers


# --- Who may score what ----------------------------------------------------------------

# A sheet's entry with its person and event, and its module, loaded with it: the checks
# and the service read them all, and holding them keeps them in the session's identity
# map (it holds objects weakly), so ``session.get`` finds them without a query.
_SHEET_WITH_CONTEXT = (
    joinedload(ScoreSheet.entry).joinedload(Entry.event),
    joinedload(ScoreSheet.entry).joinedload(Entry.contestant),
    joinedload(ScoreSheet.module),
)


def _own_sheet(sheet_id: int) -> ScoreSheet:
    sheet = db.get_or_404(ScoreSheet, sheet_id, options=_SHEET_WITH_CONTEXT)
    scoring.check_own_sheet(current_user, sheet)
    return sheet
