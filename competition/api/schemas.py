"""Marshmallow schemas of the API: what goes in and out, and so the OpenAPI document."""

from __future__ import annotations

from flask_smorest.error_handler import ErrorSchema as SmorestErrorSchema
from marshmallow import INCLUDE, Schema, ValidationError, fields, validate

from competition.entries.models import Contestant
from competition.events.models import (
    AggregationMethod,
    AwardRounding,
    AwardTies,
    Competition,
    CompetitionLevel,
    CompetitionStatus,
    CriterionKind,
    Division,
    DivisionKind,
    EntryMode,
    Event,
    Expert,
    ModuleKind,
    NameDisplay,
    Occupation,
)
from competition.events.setup import TIE_BREAK_STEPS
from competition.extensions import db

# The largest value the database's INTEGER columns hold (32-bit on PostgreSQL).
MAX_INT = 2**31 - 1


class DatabaseInt(fields.Int):
    """An integer the database can store (ids, counts, ranks, ages…): a larger one is
    refused with 422 like any other bad value, instead of failing in the database."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.validators.insert(0, validate.Range(-MAX_INT - 1, MAX_INT))


def _existing(model, message: str):
    """A validator: the id names a row of ``model`` (checked before any service adds rows,
    so an unknown id is a 422 on the field, never a foreign-key failure)."""

    def check(value: int) -> None:
        if not 0 < value <= MAX_INT or db.session.get(model, value) is None:
            raise ValidationError(message)

    return check


def _fits(column) -> validate.Length:
    """A validator: a text no longer than ``column`` holds (PostgreSQL refuses a longer
    one when it is written, which would fail the request)."""
    return validate.Length(max=column.type.length)


def _one_of(enum) -> validate.OneOf:
    return validate.OneOf([member.value for member in enum])


class CompetitionSchema(Schema):
    id = DatabaseInt(dump_only=True)
    name = fields.Str(required=True, validate=validate.Length(min=1, max=200))
    edition = DatabaseInt(allow_none=True, validate=validate.Range(min=1))
    level = fields.Str(required=True, validate=_one_of(CompetitionLevel))
    level_class = DatabaseInt(allow_none=True, validate=validate.OneOf([1, 2]))
    host = fields.Str(load_default="", validate=_fits(Competition.host))
    starts_on = fields.Date(allow_none=True)
    ends_on = fields.Date(allow_none=True)
    venue = fields.Str(load_default="", validate=_fits(Competition.venue))
    status = fields.Str(dump_only=True)
    name_display = fields.Str(load_default="masked", validate=_one_of(NameDisplay))
    self_registration = fields.Bool(load_default=False)
    evaluator_type = fields.Str(load_default="S", validate=validate.OneOf(["S", "Y"]))
    evaluator_code = fields.Str(load_default="0000")
    province_code = fields.Str(load_default="42")
    site_sequence = fields.Str(load_default="000001")
    certificate_issuer = fields.Str(load_default="",
                                    validate=_fits(Competition.certificate_issuer))
    promotion_year = DatabaseInt(allow_none=True, load_default=None,
                                 validate=validate.Range(min=2000, max=2100), metadata={
        "description": "The contest year promotions count in for the once-a-year limit; "
                       "null: the year of the first day."})


class CompetitionPatchSchema(CompetitionSchema):
    """Any subset of a competition's fields; use as ``CompetitionPatchSchema(partial=True)``."""


class StatusChangeSchema(Schema):
    status = fields.Str(required=True, validate=_one_of(CompetitionStatus))


class DivisionSchema(Schema):
    id = DatabaseInt(dump_only=True)
    name = fields.Str(required=True, validate=_fits(Division.name))
    kind = fields.Str(load_default="worker", validate=_one_of(DivisionKind))


class EventSchema(Schema):
    id = DatabaseInt(dump_only=True)
    competition_id = DatabaseInt(dump_only=True)
    occupation_id = DatabaseInt(required=True, validate=_existing(
        Occupation, "No occupation of the catalogue has this id."))
    name = fields.Str(load_default="", validate=_fits(Event.name))
    venue = fields.Str(load_default="", validate=_fits(Event.venue))
    grade_min = DatabaseInt(allow_none=True, validate=validate.Range(1, 5))
    grade_max = DatabaseInt(allow_none=True, validate=validate.Range(1, 5))
    aggregation = fields.Str(load_default="mean", validate=_one_of(AggregationMethod))
    trim_count = DatabaseInt(load_default=1, validate=validate.Range(min=0))
    decimals = DatabaseInt(load_default=2, validate=validate.Range(0, 4))
    tie_break = fields.List(fields.Str(validate=validate.OneOf(TIE_BREAK_STEPS)),
                            load_default=lambda: ["more_decimals", "practical", "chief_judge"])
    first_prize_pct = fields.Decimal(load_default=10, as_string=True)
    second_prize_pct = fields.Decimal(load_default=20, as_string=True)
    third_prize_pct = fields.Decimal(load_default=30, as_string=True)
    award_rounding = fields.Str(load_default="cumulative", validate=_one_of(AwardRounding),
                                metadata={"description": (
                                    "How award quotas become places: cumulative (the bands' "
                                    "percentages added up, then rounded half up), per_band "
                                    "(each band's share rounded half up) or never_more (each "
                                    "band's share rounded down).")})
    first_prize_min_entries = DatabaseInt(allow_none=True, validate=validate.Range(min=1),
                                          metadata={"description": (
                                              "The smallest division (ranked entries) with a "
                                              "first prize: smaller ones have none, larger "
                                              "ones at least one. Null: the quota alone "
                                              "decides.")})
    award_ties = fields.Str(load_default="share", validate=_one_of(AwardTies), metadata={
        "description": "Entries tied across a band's edge: share (all get the higher award; "
                       "the chief judge acknowledges the overflow before publication) or "
                       "tie_break (the tie-break chain, then the chief judge's order, "
                       "decides before publication)."})
    title_name = fields.Str(load_default="", validate=_fits(Event.title_name))
    title_top_n = DatabaseInt(allow_none=True, validate=validate.Range(min=1))
    appeal_window_hours = DatabaseInt(load_default=2, validate=validate.Range(min=0))
    notice_days = DatabaseInt(load_default=5, validate=validate.Range(min=0))
    min_age = DatabaseInt(allow_none=True)
    max_age_male = DatabaseInt(allow_none=True)
    max_age_female = DatabaseInt(allow_none=True)
    divisions = fields.List(fields.Nested(DivisionSchema), load_default=list)
    marking_started_at = fields.DateTime(dump_only=True)


class EventPatchSchema(EventSchema):
    """Any subset of an event's settings; use as ``EventPatchSchema(partial=True)``."""


class CriterionSchema(Schema):
    id = DatabaseInt(dump_only=True)
    code = fields.Str(required=True)
    description = fields.Str(required=True)
    max_points = fields.Decimal(required=True, as_string=True)
    kind = fields.Str(required=True, validate=_one_of(CriterionKind))
    entry_mode = fields.Str(load_default="points", validate=_one_of(EntryMode))
    unit = fields.Str(load_default="")
    nominal = fields.Decimal(allow_none=True, as_string=True, load_default=None)
    tolerance_lower = fields.Decimal(allow_none=True, as_string=True, load_default=None)
    tolerance_upper = fields.Decimal(allow_none=True, as_string=True, load_default=None)
    deduction_step = fields.Decimal(allow_none=True, as_string=True, load_default=None)
    deduction_points = fields.Decimal(allow_none=True, as_string=True, load_default=None)
    deduction_limit = fields.Decimal(allow_none=True, as_string=True, load_default=None)


class ModuleSchema(Schema):
    id = DatabaseInt(dump_only=True)
    code = fields.Str(required=True)
    name = fields.Str(required=True)
    kind = fields.Str(required=True, validate=_one_of(ModuleKind))
    weight = fields.Decimal(required=True, as_string=True)
    max_score = fields.Decimal(load_default=100, as_string=True)
    criteria = fields.List(fields.Nested(CriterionSchema), load_default=list)


class SchemeSchema(Schema):
    modules = fields.List(fields.Nested(ModuleSchema), required=True)
    frozen = fields.Bool(dump_only=True)


class ProblemSchema(Schema):
    where = fields.Str(allow_none=True)
    row = DatabaseInt(allow_none=True)
    column = fields.Str(allow_none=True)
    message = fields.Str()


class ErrorSchema(SmorestErrorSchema):
    """Every error answer: 401, 403, 404, and 422 either for a body or query that does not
    match its schema (``errors``, by location and field) or for a broken rule (``message``
    and ``problems``, in the caller's language)."""

    problems = fields.List(fields.Nested(ProblemSchema), metadata={
        "description": "A broken rule's problems (422), each with where it was found."})


class OccupationSchema(Schema):
    id = DatabaseInt(dump_only=True)
    name = fields.Str()
    code = fields.Str(allow_none=True)


class ExpertSchema(Schema):
    id = DatabaseInt(dump_only=True)
    name = fields.Str(required=True, validate=_fits(Expert.name))
    work_unit = fields.Str(load_default="", validate=_fits(Expert.work_unit))
    title = fields.Str(load_default="", validate=_fits(Expert.title))
    phone = fields.Str(load_default="", load_only=True, validate=_fits(Expert.phone))
    examiner_level = fields.Str(load_default="examiner",
                                validate=validate.OneOf(["examiner", "senior_examiner"]))
    certificate_number = fields.Str(allow_none=True, load_default=None,
                                    validate=_fits(Expert.certificate_number))
    certificate_expires_on = fields.Date(allow_none=True, load_default=None)
    certificate_state = fields.Str(dump_only=True)
    occupation_ids = fields.List(DatabaseInt(), required=True, load_only=True)
    occupations = fields.List(fields.Nested(OccupationSchema), dump_only=True)


class PanelMemberSchema(Schema):
    id = DatabaseInt(dump_only=True)
    event_id = DatabaseInt(dump_only=True)
    expert_id = DatabaseInt(required=True)
    role = fields.Str(load_default="judge", validate=validate.OneOf(["judge", "chief"]))
    expert = fields.Nested(ExpertSchema, dump_only=True)
    draw_id = DatabaseInt(dump_only=True, allow_none=True)


class PanelDrawRequestSchema(Schema):
    count = DatabaseInt(required=True, validate=validate.Range(min=1, max=50))


class PanelDrawSchema(Schema):
    id = DatabaseInt()
    seed = fields.Str()
    candidate_ids = fields.List(DatabaseInt())
    chosen_ids = fields.List(DatabaseInt())
    drawn_at = fields.DateTime()


class PromotionRuleSchema(Schema):
    id = DatabaseInt(dump_only=True)
    position = DatabaseInt(dump_only=True)
    preset = fields.Str(dump_only=True)
    division_id = DatabaseInt(allow_none=True, load_default=None)
    name = fields.Str(load_default="")
    rank_from = DatabaseInt(allow_none=True, load_default=None)
    rank_to = DatabaseInt(allow_none=True, load_default=None)
    top_percent = fields.Decimal(allow_none=True, as_string=True, load_default=None)
    min_total = fields.Decimal(allow_none=True, as_string=True, load_default=None)
    min_theory_score = fields.Decimal(allow_none=True, as_string=True, load_default=None)
    min_practical_score = fields.Decimal(allow_none=True, as_string=True, load_default=None)
    min_module_score = fields.Decimal(allow_none=True, as_string=True, load_default=None)
    required_grade = DatabaseInt(allow_none=True, load_default=None)
    max_age_male = DatabaseInt(allow_none=True, load_default=None)
    max_age_female = DatabaseInt(allow_none=True, load_default=None)
    once_per_year = fields.Bool(load_default=True)
    effect = fields.Str(load_default="grant", validate=validate.OneOf(["grant", "step_up"]))
    grant_grade = DatabaseInt(allow_none=True, load_default=None)
    cap_grade = DatabaseInt(allow_none=True, load_default=None)


class PresetRequestSchema(Schema):
    preset = fields.Str(required=True)


class DefinitionDocumentSchema(Schema):
    """Passed through as it is: its layout is described in ``transfer.definition``."""

    class Meta:
        unknown = INCLUDE

    format = fields.Str()
    version = DatabaseInt()
    competition = fields.Dict()
    events = fields.List(fields.Dict())


class DefinitionImportSchema(Schema):
    document = fields.Dict(required=True, metadata={
        "description": "A competition definition as exported by "
                       "GET /api/v1/competitions/{id}/definition."})
    name = fields.Str(allow_none=True, load_default=None,
                      metadata={"description": "A new name for the imported competition."})


class DefinitionImportResultSchema(Schema):
    competition = fields.Nested(CompetitionSchema)
    warnings = fields.List(fields.Str())


class ContestantSchema(Schema):
    """A contestant as organizers see them: ID number and phone in full."""

    id = DatabaseInt(dump_only=True)
    name = fields.Str()
    id_number = fields.Str()
    sex = fields.Str()
    birth_date = fields.Date()
    phone = fields.Str()
    work_unit = fields.Str()
    current_grade = DatabaseInt(allow_none=True)
    current_certificate_no = fields.Str()


class EntrySchema(Schema):
    id = DatabaseInt(dump_only=True)
    event_id = DatabaseInt(dump_only=True)
    division_id = DatabaseInt()
    status = fields.Str()
    attendance = fields.Str()
    source = fields.Str()
    ticket_number = fields.Str(allow_none=True)
    station = DatabaseInt(allow_none=True)
    code = fields.Str(allow_none=True)
    checked_in_at = fields.DateTime(allow_none=True)
    review_note = fields.Str()
    contestant = fields.Nested(ContestantSchema)


class RegistrationSchema(Schema):
    name = fields.Str(required=True)
    id_number = fields.Str(required=True)
    sex = fields.Str(load_default="", validate=validate.OneOf(["", "M", "F"]))
    phone = fields.Str(load_default="")
    work_unit = fields.Str(load_default="", validate=_fits(Contestant.work_unit))
    division_id = DatabaseInt(required=True)
    current_grade = DatabaseInt(allow_none=True, load_default=None)
    current_certificate_no = fields.Str(load_default="",
                                        validate=_fits(Contestant.current_certificate_no))
    is_student = fields.Bool(allow_none=True, load_default=None)


class ReviewSchema(Schema):
    approve = fields.Bool(required=True)
    note = fields.Str(load_default="")


class AttendanceSchema(Schema):
    attendance = fields.Str(required=True, validate=validate.OneOf(
        ["expected", "present", "absent", "withdrawn"]))
    reason = fields.Str(load_default="", validate=validate.Length(max=500), metadata={
        "description": "Required once the event's scores are locked: the change is then a "
                       "correction, recorded and published with this reason."})


class ContestantFileSchema(Schema):
    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary",
                                               "description": ".xlsx or .csv (UTF-8 or GBK)"})


class ImportQuerySchema(Schema):
    dry_run = fields.Bool(load_default=False, metadata={
        "description": "Check the file and report, without importing."})
    ignore_unknown_columns = fields.Bool(load_default=False, metadata={
        "description": "Import a file whose header row has columns that cannot be imported, "
                       "leaving them out; without it such a file is refused (422)."})


class ImportResultSchema(Schema):
    imported = DatabaseInt(metadata={"description": "How many entries were created (0 on a "
                                                   "dry run)."})
    rows = DatabaseInt(metadata={"description": "Contestant rows read from the file."})
    problems = fields.List(fields.Nested(ProblemSchema))
    unknown_columns = fields.List(fields.String(), metadata={
        "description": "Headers of the file's columns that cannot be imported (序号, 编号 "
                       "and 备注 are skipped without being listed)."})


class ImportRefusedSchema(ErrorSchema, ImportResultSchema):
    """A refused import: the file's problems, or (``errors``) a request without a file."""


REASON_REQUIRED = {"description": "Why; kept in the audit log with who and when."}


class CorrectionSchema(Schema):
    """A correction of a registration (更正): only the fields given change."""

    name = fields.Str(validate=validate.Length(max=50))
    work_unit = fields.Str(validate=validate.Length(max=200))
    phone = fields.Str(validate=validate.Length(max=20))
    division_id = DatabaseInt()
    reason = fields.Str(required=True, validate=validate.Length(min=1, max=500),
                        metadata=REASON_REQUIRED)


class CorrectionResultSchema(Schema):
    entry = fields.Nested(EntrySchema)
    warnings = fields.List(fields.Str(), metadata={
        "description": "What the organizer should know, e.g. judges of the panel the new "
                       "work unit recuses."})


class WithdrawalSchema(Schema):
    reason = fields.Str(required=True, validate=validate.Length(min=1, max=500),
                        metadata=REASON_REQUIRED)


class SubstituteSchema(Schema):
    """The substitute (替补) taking a withdrawn entry's place."""

    name = fields.Str(required=True)
    id_number = fields.Str(required=True)
    phone = fields.Str(load_default="")
    work_unit = fields.Str(load_default="", validate=_fits(Contestant.work_unit))
    current_grade = DatabaseInt(allow_none=True, load_default=None)
    current_certificate_no = fields.Str(load_default="",
                                        validate=_fits(Contestant.current_certificate_no))
    reason = fields.Str(required=True, validate=validate.Length(min=1, max=500),
                        metadata=REASON_REQUIRED)
