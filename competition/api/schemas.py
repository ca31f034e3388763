"""Marshmallow schemas of the API: what goes in and out, and so the OpenAPI document."""

from __future__ import annotations

from marshmallow import INCLUDE, Schema, fields, validate

from competition.events.models import (
    AggregationMethod,
    CompetitionLevel,
    CompetitionStatus,
    CriterionKind,
    DivisionKind,
    EntryMode,
    ModuleKind,
    NameDisplay,
)
from competition.events.service import TIE_BREAK_STEPS


def _one_of(enum) -> validate.OneOf:
    return validate.OneOf([member.value for member in enum])


class CompetitionSchema(Schema):
    id = fields.Int(dump_only=True)
    name = fields.Str(required=True, validate=validate.Length(min=1, max=200))
    edition = fields.Int(allow_none=True, validate=validate.Range(min=1))
    level = fields.Str(required=True, validate=_one_of(CompetitionLevel))
    level_class = fields.Int(allow_none=True, validate=validate.OneOf([1, 2]))
    host = fields.Str(load_default="")
    starts_on = fields.Date(allow_none=True)
    ends_on = fields.Date(allow_none=True)
    venue = fields.Str(load_default="")
    status = fields.Str(dump_only=True)
    name_display = fields.Str(load_default="masked", validate=_one_of(NameDisplay))
    self_registration = fields.Bool(load_default=False)
    evaluator_type = fields.Str(load_default="S", validate=validate.OneOf(["S", "Y"]))
    evaluator_code = fields.Str(load_default="0000")
    province_code = fields.Str(load_default="42")
    site_sequence = fields.Str(load_default="000001")
    certificate_issuer = fields.Str(load_default="")


class CompetitionPatchSchema(CompetitionSchema):
    """Any subset of a competition's fields; use as ``CompetitionPatchSchema(partial=True)``."""


class StatusChangeSchema(Schema):
    status = fields.Str(required=True, validate=_one_of(CompetitionStatus))


class DivisionSchema(Schema):
    id = fields.Int(dump_only=True)
    name = fields.Str(required=True)
    kind = fields.Str(load_default="worker", validate=_one_of(DivisionKind))


class EventSchema(Schema):
    id = fields.Int(dump_only=True)
    competition_id = fields.Int(dump_only=True)
    occupation_id = fields.Int(required=True)
    name = fields.Str(load_default="")
    venue = fields.Str(load_default="")
    grade_min = fields.Int(allow_none=True, validate=validate.Range(1, 5))
    grade_max = fields.Int(allow_none=True, validate=validate.Range(1, 5))
    aggregation = fields.Str(load_default="mean", validate=_one_of(AggregationMethod))
    trim_count = fields.Int(load_default=1, validate=validate.Range(min=0))
    decimals = fields.Int(load_default=2, validate=validate.Range(0, 4))
    tie_break = fields.List(fields.Str(validate=validate.OneOf(TIE_BREAK_STEPS)),
                            load_default=lambda: ["more_decimals", "practical", "chief_judge"])
    first_prize_pct = fields.Decimal(load_default=10, as_string=True)
    second_prize_pct = fields.Decimal(load_default=20, as_string=True)
    third_prize_pct = fields.Decimal(load_default=30, as_string=True)
    title_name = fields.Str(load_default="")
    title_top_n = fields.Int(allow_none=True, validate=validate.Range(min=1))
    appeal_window_hours = fields.Int(load_default=2, validate=validate.Range(min=0))
    notice_days = fields.Int(load_default=5, validate=validate.Range(min=0))
    min_age = fields.Int(allow_none=True)
    max_age_male = fields.Int(allow_none=True)
    max_age_female = fields.Int(allow_none=True)
    divisions = fields.List(fields.Nested(DivisionSchema), load_default=list)
    marking_started_at = fields.DateTime(dump_only=True)


class EventPatchSchema(EventSchema):
    """Any subset of an event's settings; use as ``EventPatchSchema(partial=True)``."""


class CriterionSchema(Schema):
    id = fields.Int(dump_only=True)
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
    id = fields.Int(dump_only=True)
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
    row = fields.Int(allow_none=True)
    column = fields.Str(allow_none=True)
    message = fields.Str()


class OccupationSchema(Schema):
    id = fields.Int(dump_only=True)
    name = fields.Str()
    code = fields.Str(allow_none=True)


class ExpertSchema(Schema):
    id = fields.Int(dump_only=True)
    name = fields.Str(required=True)
    work_unit = fields.Str(load_default="")
    title = fields.Str(load_default="")
    phone = fields.Str(load_default="", load_only=True)
    examiner_level = fields.Str(load_default="examiner",
                                validate=validate.OneOf(["examiner", "senior_examiner"]))
    certificate_number = fields.Str(allow_none=True, load_default=None)
    certificate_expires_on = fields.Date(allow_none=True, load_default=None)
    certificate_state = fields.Str(dump_only=True)
    occupation_ids = fields.List(fields.Int(), required=True, load_only=True)
    occupations = fields.List(fields.Nested(OccupationSchema), dump_only=True)


class PanelMemberSchema(Schema):
    id = fields.Int(dump_only=True)
    event_id = fields.Int(dump_only=True)
    expert_id = fields.Int(required=True)
    role = fields.Str(load_default="judge", validate=validate.OneOf(["judge", "chief"]))
    expert = fields.Nested(ExpertSchema, dump_only=True)
    draw_id = fields.Int(dump_only=True, allow_none=True)


class PanelDrawRequestSchema(Schema):
    count = fields.Int(required=True, validate=validate.Range(min=1, max=50))


class PanelDrawSchema(Schema):
    id = fields.Int()
    seed = fields.Str()
    candidate_ids = fields.List(fields.Int())
    chosen_ids = fields.List(fields.Int())
    drawn_at = fields.DateTime()


class PromotionRuleSchema(Schema):
    id = fields.Int(dump_only=True)
    position = fields.Int(dump_only=True)
    preset = fields.Str(dump_only=True)
    division_id = fields.Int(allow_none=True, load_default=None)
    name = fields.Str(load_default="")
    rank_from = fields.Int(allow_none=True, load_default=None)
    rank_to = fields.Int(allow_none=True, load_default=None)
    top_percent = fields.Decimal(allow_none=True, as_string=True, load_default=None)
    min_total = fields.Decimal(allow_none=True, as_string=True, load_default=None)
    min_module_score = fields.Decimal(allow_none=True, as_string=True, load_default=None)
    required_grade = fields.Int(allow_none=True, load_default=None)
    max_age_male = fields.Int(allow_none=True, load_default=None)
    max_age_female = fields.Int(allow_none=True, load_default=None)
    once_per_year = fields.Bool(load_default=True)
    effect = fields.Str(load_default="grant", validate=validate.OneOf(["grant", "step_up"]))
    grant_grade = fields.Int(allow_none=True, load_default=None)
    cap_grade = fields.Int(allow_none=True, load_default=None)


class PresetRequestSchema(Schema):
    preset = fields.Str(required=True)


class DefinitionDocumentSchema(Schema):
    """Passed through as it is: its layout is described in ``events.definition``."""

    class Meta:
        unknown = INCLUDE

    format = fields.Str()
    version = fields.Int()
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

    id = fields.Int(dump_only=True)
    name = fields.Str()
    id_number = fields.Str()
    sex = fields.Str()
    birth_date = fields.Date()
    phone = fields.Str()
    work_unit = fields.Str()
    current_grade = fields.Int(allow_none=True)
    current_certificate_no = fields.Str()


class EntrySchema(Schema):
    id = fields.Int(dump_only=True)
    event_id = fields.Int(dump_only=True)
    division_id = fields.Int()
    status = fields.Str()
    attendance = fields.Str()
    source = fields.Str()
    ticket_number = fields.Str(allow_none=True)
    station = fields.Int(allow_none=True)
    code = fields.Str(allow_none=True)
    checked_in_at = fields.DateTime(allow_none=True)
    review_note = fields.Str()
    contestant = fields.Nested(ContestantSchema)


class RegistrationSchema(Schema):
    name = fields.Str(required=True)
    id_number = fields.Str(required=True)
    sex = fields.Str(load_default="", validate=validate.OneOf(["", "M", "F"]))
    phone = fields.Str(load_default="")
    work_unit = fields.Str(load_default="")
    division_id = fields.Int(required=True)
    current_grade = fields.Int(allow_none=True, load_default=None)
    current_certificate_no = fields.Str(load_default="")
    is_student = fields.Bool(allow_none=True, load_default=None)


class ReviewSchema(Schema):
    approve = fields.Bool(required=True)
    note = fields.Str(load_default="")


class AttendanceSchema(Schema):
    attendance = fields.Str(required=True, validate=validate.OneOf(
        ["expected", "present", "absent", "withdrawn"]))


class ContestantFileSchema(Schema):
    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary",
                                               "description": ".xlsx or .csv (UTF-8 or GBK)"})


class ImportQuerySchema(Schema):
    dry_run = fields.Bool(load_default=False, metadata={
        "description": "Check the file and report, without importing."})


class ImportResultSchema(Schema):
    imported = fields.Int(metadata={"description": "How many entries were created (0 on a "
                                                   "dry run)."})
    rows = fields.Int(metadata={"description": "Contestant rows read from the file."})
    problems = fields.List(fields.Nested(ProblemSchema))
