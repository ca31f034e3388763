"""Schemas of the judges' tablet API: what goes in and out, and so the OpenAPI document.

Nothing here names a contestant: entries are their station (工位号) and
anonymous code (加密号) only. Numbers travel as strings ("7.5", "38.012") so no
decimal is bent by floating point on the way.
"""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from competition.api.schemas import DatabaseInt
from competition.judging.idempotency import HEADER, MAX_KEY_LENGTH

SHEET_STATES = ["not_started", "draft", "submitted", "review"]


def _decimal(**kwargs) -> fields.Decimal:
    return fields.Decimal(as_string=True, allow_nan=False, **kwargs)


class IdempotencyHeaderSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    key = fields.Str(required=True, data_key=HEADER,
                     validate=validate.Length(min=1, max=MAX_KEY_LENGTH),
                     metadata={"description": "A new random key (a UUID) for every change, "
                                              "made before the first attempt and sent again "
                                              "unchanged with every retry of it."})


class SheetRefSchema(Schema):
    """Where a sheet stands: enough for a device to know it changed."""

    id = fields.Int()
    status = fields.Str(validate=validate.OneOf(["draft", "submitted"]))
    version = fields.Int(metadata={"description": "Raised on every change of the sheet."})
    submitted_at = fields.Str(allow_none=True, metadata={"format": "date-time"})


class AssignedEntrySchema(Schema):
    entry_id = fields.Int()
    station = fields.Int(allow_none=True)
    code = fields.Str(metadata={"description": "The anonymous code (加密号)."})
    state = fields.Str(validate=validate.OneOf(SHEET_STATES))
    sheet_id = fields.Int(allow_none=True)
    version = fields.Int(allow_none=True)


class AssignedModuleSchema(Schema):
    id = fields.Int()
    code = fields.Str()
    name = fields.Str()
    max_score = _decimal()
    criteria = fields.Int(metadata={"description": "How many criteria its sheet has."})
    submitted = fields.Int(metadata={"description": "How many of the caller's sheets of "
                                                    "this module are submitted."})
    entries = fields.List(fields.Nested(AssignedEntrySchema))


class AssignmentSchema(Schema):
    event_id = fields.Int()
    event = fields.Str()
    competition = fields.Str()
    locked = fields.Bool(metadata={"description": "The chief judge locked the scores."})
    modules = fields.List(fields.Nested(AssignedModuleSchema))


class SheetQuerySchema(Schema):
    entry_id = DatabaseInt(required=True)
    module_id = DatabaseInt(required=True)


class SheetCriterionSchema(Schema):
    id = fields.Int()
    code = fields.Str()
    description = fields.Str()
    max_points = _decimal()
    kind = fields.Str()
    entry_mode = fields.Str(metadata={
        "description": "points (0 to the maximum, 2 decimals), pass_fail (1 earns the "
                       "maximum, 0 nothing), scale_0_3 (0–3 earns value/3 of the maximum) "
                       "or measured (the gauge reading; points by the tolerance rule)."})
    unit = fields.Str()
    nominal = _decimal(allow_none=True)
    tolerance_lower = _decimal(allow_none=True)
    tolerance_upper = _decimal(allow_none=True)
    deduction_step = _decimal(allow_none=True)
    deduction_points = _decimal(allow_none=True)
    deduction_limit = _decimal(allow_none=True)


class MarkValueSchema(Schema):
    value = _decimal(metadata={"description": "What the judge entered."})
    points = _decimal(metadata={"description": "What it earns on the criterion."})


class SheetEntrySchema(Schema):
    id = fields.Int()
    station = fields.Int(allow_none=True)
    code = fields.Str()


class SheetModuleSchema(Schema):
    id = fields.Int()
    code = fields.Str()
    name = fields.Str()
    max_score = _decimal()


class SheetSchema(SheetRefSchema):
    entry = fields.Nested(SheetEntrySchema)
    module = fields.Nested(SheetModuleSchema)
    criteria = fields.List(fields.Nested(SheetCriterionSchema))
    marks = fields.Dict(keys=fields.Str(), values=fields.Nested(MarkValueSchema),
                        metadata={"description": "By criterion id."})
    total = _decimal()


class MarkChangeSchema(Schema):
    criterion_id = DatabaseInt(required=True)
    value = _decimal(required=True, allow_none=True,
                     metadata={"description": "The new value; null clears the mark."})
    previous = _decimal(load_default=None, allow_none=True, metadata={
        "description": "The value this device last saw saved on the server (null: none). "
                       "When the server holds something else, the change is not written "
                       "but returned in conflicts."})


class MarkChangesSchema(Schema):
    changes = fields.List(fields.Nested(MarkChangeSchema), required=True,
                          validate=validate.Length(min=1, max=500))

    @validates_schema
    def one_change_per_criterion(self, data, **kwargs):
        ids = [change["criterion_id"] for change in data.get("changes", [])]
        if len(ids) != len(set(ids)):
            raise ValidationError("Send at most one change per criterion.", "changes")


class MarkConflictSchema(Schema):
    criterion_id = fields.Int()
    server_value = _decimal(allow_none=True)
    your_value = _decimal(allow_none=True)


class SaveResultSchema(Schema):
    sheet = fields.Nested(SheetRefSchema)
    applied = fields.List(fields.Int(), metadata={"description": "Criteria written."})
    conflicts = fields.List(fields.Nested(MarkConflictSchema), metadata={
        "description": "Changes not written: the mark changed on the server meanwhile."})
    marks = fields.Dict(keys=fields.Str(), values=fields.Nested(MarkValueSchema))
    total = _decimal()


class SubmitResultSchema(Schema):
    sheet = fields.Nested(SheetRefSchema)
    total = _decimal()


class RefusalSchema(Schema):
    """403 (not your sheet, not on the panel, recused) or 409 (submitted or locked)."""

    code = fields.Int()
    status = fields.Str()
    message = fields.Str(metadata={"description": "Why, in the judge's language."})
    sheet = fields.Nested(SheetRefSchema, allow_none=True)
