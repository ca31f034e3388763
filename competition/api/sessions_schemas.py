"""Schemas of the sessions API: sessions (场次), late additions to a draw, the timetable."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate

from competition.api.schemas import DatabaseInt
from competition.entries.sessions import FIRST_YEAR, LAST_YEAR, MAX_NAME, MAX_STATIONS

IN_YEARS = f"In the years {FIRST_YEAR} to {LAST_YEAR}."


def _in_years(value) -> None:
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValidationError(f"Give a time in the years {FIRST_YEAR} to {LAST_YEAR}.")


def _session_time(**kwargs) -> fields.DateTime:
    return fields.DateTime(validate=_in_years, **kwargs)


class EventSessionSchema(Schema):
    id = DatabaseInt(dump_only=True)
    event_id = DatabaseInt(dump_only=True)
    position = DatabaseInt(dump_only=True)
    name = fields.Str(required=True, validate=validate.Length(min=1, max=MAX_NAME))
    starts_at = _session_time(required=True, metadata={
        "description": "ISO 8601; a time without an offset is China time (the app's zone). "
                       + IN_YEARS})
    ends_at = _session_time(required=True, metadata={"description": IN_YEARS})
    reporting_at = _session_time(allow_none=True, load_default=None, metadata={
        "description": "检录时间; null: 30 minutes before the start. " + IN_YEARS})
    reporting_time = fields.DateTime(dump_only=True, metadata={
        "description": "When contestants report: reporting_at, or 30 minutes before the "
                       "start."})
    room = fields.Str(load_default="", validate=validate.Length(max=200))
    stations = DatabaseInt(required=True, validate=validate.Range(min=1, max=MAX_STATIONS))
    placed = DatabaseInt(dump_only=True, metadata={"description": "Entries placed in it."})


class EventSessionPatchSchema(EventSessionSchema):
    """Any subset of a session's fields; use with ``partial=True``."""


class AdditionRequestSchema(Schema):
    note = fields.Str(load_default="", validate=validate.Length(max=200))


class PlacedEntrySchema(Schema):
    entry_id = DatabaseInt()
    session_id = DatabaseInt(allow_none=True)
    station = DatabaseInt()
    code = fields.Str()


class LotDrawSchema(Schema):
    id = DatabaseInt()
    event_id = DatabaseInt()
    kind = fields.Str(metadata={"description": "draw, addition or substitution"})
    seed = fields.Str()
    drawn_at = fields.DateTime()
    inputs = fields.Dict(metadata={"description": "Everything that recomputes the draw "
                                                  "from its seed (lots.verify_places or "
                                                  "lots.verify)."})
    verified = fields.Bool(metadata={"description": "Recomputing gives the recorded result."})
    placed = fields.List(fields.Nested(PlacedEntrySchema))


class TimetableRowSchema(Schema):
    event_id = DatabaseInt()
    event = fields.Str()
    session = fields.Nested(EventSessionSchema)
