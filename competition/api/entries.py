"""API of registration: entries, approval of self-registrations, check-in."""

from __future__ import annotations

from flask.views import MethodView
from flask_babel import gettext
from flask_login import current_user
from flask_smorest import Blueprint
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from competition.api.schemas import (
    AttendanceSchema,
    ContestantFileSchema,
    CorrectionResultSchema,
    CorrectionSchema,
    EntrySchema,
    ImportQuerySchema,
    ImportRefusedSchema,
    ImportResultSchema,
    RegistrationSchema,
    ReviewSchema,
    SubstituteSchema,
    WithdrawalSchema,
)
from competition.api.setup import organizer_required, readers_required
from competition.corrections import registration_changes as corrections
from competition.entries import importer, registrations
from competition.entries.idcard import shown_id_number, shown_phone
from competition.entries.models import Entry
from competition.entries.validation import PersonData
from competition.errors import N_, translate_problem
from competition.events import tenancy
from competition.events.models import Competition, Division, Event
from competition.extensions import db
from competition.spreadsheet import unknown_columns_problem
from competition.timeutil import local_today

blp = Blueprint("api_entries", __name__, url_prefix="/api/v1",
                description="Registration, approval and check-in (organizers).")


@blp.route("/events/<int:event_id>/entries")
class EventEntries(MethodView):
    decorators = [readers_required]

    @blp.response(200, EntrySchema(many=True))
    def get(self, event_id: int):
        """Every entry of the event, with the contestants' full details for its organizers;
        its supervision and arbitration group reads ID numbers and phones masked, and no
        birth date."""
        entries = db.session.scalars(
            select(Entry).where(Entry.event_id == event_id)
            .options(joinedload(Entry.contestant)).order_by(Entry.id)).all()
        event = db.session.get(Event, event_id)
        if tenancy.sees_contacts(db.session, current_user, event.competition_id):
            return entries
        return [_masked(entry) for entry in entries]

    @blp.arguments(RegistrationSchema)
    @blp.response(201, EntrySchema)
    def post(self, data, event_id: int):
        """Register one contestant; refused (422) with every problem."""
        event = db.session.get(Event, event_id)
        division = db.session.get(Division, data.pop("division_id"))
        is_student = data.pop("is_student")
        entry = registrations.register(db.session, event, division, PersonData(**data),
                                 today=local_today(), is_student=is_student)
        return entry


def _masked(entry: Entry) -> dict:
    """An entry as the competition's supervisors read it: ID number and phone masked."""
    person = entry.contestant
    return {
        **{name: getattr(entry, name) for name in (
            "id", "event_id", "division_id", "status", "attendance", "source",
            "ticket_number", "station", "code", "checked_in_at", "review_note")},
        "contestant": {
            "id": person.id, "name": person.name, "sex": person.sex, "birth_date": None,
            "id_number": shown_id_number(person.id_number, whole=False),
            "phone": shown_phone(person.phone, whole=False),
            "work_unit": person.work_unit, "current_grade": person.current_grade,
            "current_certificate_no": person.current_certificate_no,
        },
    }


@blp.route("/entries/<int:entry_id>/review", methods=["POST"])
@organizer_required
@blp.arguments(ReviewSchema)
@blp.response(200, EntrySchema)
def review_entry(data, entry_id: int):
    """Approve or reject a pending self-registration (a rejection needs a note)."""
    entry = db.session.get(Entry, entry_id)
    registrations.review(db.session, entry, approve=data["approve"], reviewer=current_user,
                   note=data["note"])
    return entry


@blp.route("/entries/<int:entry_id>/attendance", methods=["POST"])
@organizer_required
@blp.arguments(AttendanceSchema)
@blp.response(200, EntrySchema)
def check_in(data, entry_id: int):
    """检录: mark an approved entry present, absent or withdrawn. After the event's scores
    are locked this is a correction: ``reason`` is required, and published results are
    republished with it."""
    entry = db.session.get(Entry, entry_id)
    corrections.change_attendance(db.session, entry, data["attendance"], actor=current_user,
                                  reason=data.get("reason", ""))
    return entry


@blp.route("/entries/<int:entry_id>/correction", methods=["POST"])
@organizer_required
@blp.arguments(CorrectionSchema)
@blp.response(200, CorrectionResultSchema)
def correct_entry(data, entry_id: int):
    """更正: correct the contestant's name, work unit or phone, or the entry's division, with
    a reason kept in the audit log. After the lock, published results are republished
    with it; a division no longer changes, and final results are never corrected (422)."""
    entry = db.session.get(Entry, entry_id)
    division = None
    if "division_id" in data:
        division = db.session.get(Division, data["division_id"])
        if division is None or division.event_id != entry.event_id:
            raise registrations.RegistrationError(N_("Choose a division of %(event)s."),
                                            event=entry.event.name)
    warnings = corrections.correct_registration(
        db.session, entry, actor=current_user, reason=data["reason"], today=local_today(),
        name=data.get("name"), work_unit=data.get("work_unit"), phone=data.get("phone"),
        division=division)
    return {"entry": entry,
            "warnings": [gettext(w.message, **w.params) for w in warnings]}


@blp.route("/entries/<int:entry_id>/withdrawal", methods=["POST"])
@organizer_required
@blp.arguments(WithdrawalSchema)
@blp.response(200, EntrySchema)
def withdraw_entry(data, entry_id: int):
    """退赛, with a reason kept in the audit log; after the lock a correction that
    republishes published results."""
    entry = db.session.get(Entry, entry_id)
    corrections.withdraw(db.session, entry, actor=current_user, reason=data["reason"])
    return entry


@blp.route("/entries/<int:entry_id>/substitute", methods=["POST"])
@organizer_required
@blp.arguments(SubstituteSchema)
@blp.response(201, EntrySchema)
def substitute_entry(data, entry_id: int):
    """替补: register a substitute in the place of this withdrawn entry — its division,
    session and station, a new code, ticket number and private link. Refused (422) once
    marking has started or when the withdrawn contestant submitted sheets."""
    entry = db.session.get(Entry, entry_id)
    reason = data.pop("reason")
    substitute = corrections.substitute(db.session, entry, PersonData(**data),
                                        actor=current_user, reason=reason,
                                        today=local_today())
    return substitute


@blp.route("/competitions/<int:competition_id>/contestants/import", methods=["POST"])
@organizer_required
@blp.arguments(ImportQuerySchema, location="query")
@blp.arguments(ContestantFileSchema, location="files")
@blp.response(200, ImportResultSchema)
@blp.alt_response(422, schema=ImportRefusedSchema,
                  description="The file has problems, or no file was sent; nothing was "
                              "imported.")
def import_contestants(query, files, competition_id: int):
    """Import contestants from a file, all or nothing: one bad row imports no row and
    the answer lists every problem with its row and column. ``dry_run`` only checks.
    A file with columns that cannot be imported (``unknown_columns``) is refused unless
    ``ignore_unknown_columns`` is true."""
    competition = db.session.get(Competition, competition_id)
    upload = files["file"]
    data = upload.read()
    preview = importer.preview_file(db.session, competition, upload.filename or "", data,
                                    local_today())
    found = list(preview.problems)
    if preview.unknown_columns and not query["ignore_unknown_columns"]:
        found = importer.sort_problems([unknown_columns_problem(preview.header), *found])
    problems = [{"row": p.row, "column": p.column or None, "where": None,
                 "message": translate_problem(p)} for p in found]
    answer = {"imported": 0, "rows": len(preview.rows), "problems": problems,
              "unknown_columns": preview.unknown_columns}
    if problems or not preview.rows:
        db.session.rollback()
        return answer, 422
    if query["dry_run"]:
        db.session.rollback()
        return answer
    entries = importer.import_rows(db.session, competition, preview.rows, today=local_today(),
                                   actor_id=current_user.id)
    return {**answer, "imported": len(entries)}
