"""The bureau's statistics (人社局) through the JSON API: the figures of the /bureau page
for the same filters, for bureau accounts and admins. Figures only: no person's data.
"""

from __future__ import annotations

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from competition.api.results_schemas import RefusedSchema
from competition.api.schemas import DatabaseInt
from competition.auth.models import Role
from competition.auth.permissions import role_required
from competition.bureau import statistics as stats
from competition.entries.models import Attendance
from competition.events.models import CompetitionLevel
from competition.extensions import db
from competition.labels import label
from competition.results.models import AppealStatus
from competition.skill_grades import grade_label
from competition.timeutil import local_today

blp = Blueprint("api_bureau", __name__, url_prefix="/api/v1",
                description="The bureau's statistics (人社局) across competitions and years.")


def _id(description: str) -> DatabaseInt:
    return DatabaseInt(validate=validate.Range(min=1), metadata={"description": description})


class StatisticsQuerySchema(Schema):
    year = fields.Int(load_default=lambda: local_today().year,
                      validate=validate.Range(stats.FIRST_YEAR, stats.LAST_YEAR),
                      metadata={"description": "The year the competitions' first day falls "
                                               "in; this year when left out."})
    competition_id = _id("Only this competition.")
    occupation_id = _id("Only the events of this occupation (职业); the expert pool too.")
    division_id = _id("Only this division (组别).")


class LevelCountSchema(Schema):
    level = fields.Str(validate=validate.OneOf([level.value for level in CompetitionLevel]))
    label = fields.Str()
    count = fields.Int()


class CompetitionsSchema(Schema):
    total = fields.Int()
    by_level = fields.List(fields.Nested(LevelCountSchema))


class ContestantsSchema(Schema):
    registrations = fields.Int(metadata={"description": "Approved entries."})
    contestants = fields.Int(metadata={
        "description": "People, told apart by ID type and number: one person in several "
                       "events or competitions counts once."})
    work_units = fields.Int(metadata={"description": "Distinct work units (工作单位)."})


class GradeCountSchema(Schema):
    grade = fields.Int(validate=validate.Range(1, 5))
    grade_label = fields.Str()
    promoted = fields.Int(metadata={"description": "Promotions in force."})
    reverted = fields.Int(metadata={"description": "Reverted when the certificate was "
                                                   "revoked."})


class OccupationGradeSchema(Schema):
    grade = fields.Int(validate=validate.Range(1, 5))
    grade_label = fields.Str()
    promoted = fields.Int()


class OccupationPromotionsSchema(Schema):
    occupation_id = fields.Int()
    occupation = fields.Str()
    occupation_code = fields.Str(allow_none=True)
    promoted = fields.Int()
    by_grade = fields.List(fields.Nested(OccupationGradeSchema))


class PromotionsSchema(Schema):
    promoted = fields.Int(metadata={"description": "Promotions in force."})
    reverted = fields.Int()
    by_grade = fields.List(fields.Nested(GradeCountSchema))
    by_occupation = fields.List(fields.Nested(OccupationPromotionsSchema), metadata={
        "description": "Occupations with promotions in force, the most first."})


class CertificatesSchema(Schema):
    issued = fields.Int()
    revoked = fields.Int()
    valid = fields.Int()


class AppealsSchema(Schema):
    filed = fields.Int()
    pending = fields.Int()
    accepted = fields.Int()
    rejected = fields.Int()


class ExpertsSchema(Schema):
    total = fields.Int()
    expired = fields.Int()
    expiring = fields.Int(metadata={"description": "Valid, but expiring within "
                                                   "expiring_within_days days."})
    valid = fields.Int(metadata={"description": "Valid for longer."})
    missing = fields.Int(metadata={"description": "No examiner certificate on record."})
    expiring_within_days = fields.Int()


class StatisticsSchema(Schema):
    year = fields.Int()
    competition_id = fields.Int(allow_none=True)
    occupation_id = fields.Int(allow_none=True)
    division_id = fields.Int(allow_none=True)
    today = fields.Date(metadata={"description": "The day the expert pool is counted on."})
    competitions = fields.Nested(CompetitionsSchema)
    contestants = fields.Nested(ContestantsSchema)
    attendance = fields.Nested(Schema.from_dict(
        {state.value: fields.Int() for state in Attendance}, name="AttendanceCounts"),
        metadata={"description": "Approved entries by check-in (检录)."})
    promotions = fields.Nested(PromotionsSchema)
    certificates = fields.Nested(CertificatesSchema)
    appeals = fields.Nested(AppealsSchema)
    experts = fields.Nested(ExpertsSchema, metadata={
        "description": "The whole expert pool on ``today``, whatever the year; only the "
                       "occupation filter applies."})


@blp.route("/bureau/statistics")
@role_required(Role.BUREAU)
@blp.arguments(StatisticsQuerySchema, location="query")
@blp.response(200, StatisticsSchema)
@blp.alt_response(401, schema=RefusedSchema, description="Not signed in.")
@blp.alt_response(403, schema=RefusedSchema, description="Neither a bureau account nor an "
                                                         "administrator.")
def statistics(query):
    """The figures of the bureau's page for the competitions whose first day falls in the
    year, narrowed by the filters (all must hold; a filter naming nothing of that year
    counts nothing): competitions by level, registrations, contestants and work units,
    attendance, promotions by grade and by occupation, certificates, appeals, and the
    expert pool by the state of its examiner certificates."""
    filters = stats.Filters(query["year"], query.get("competition_id"),
                            query.get("occupation_id"), query.get("division_id"))
    return document(stats.statistics(db.session, filters, today=local_today()))


def document(figures: stats.Statistics) -> dict:
    """The figures as the API sends them."""
    filters = figures.filters
    return {
        "year": filters.year, "competition_id": filters.competition_id,
        "occupation_id": filters.occupation_id, "division_id": filters.division_id,
        "today": figures.today,
        "competitions": {"total": figures.competitions, "by_level": [
            {"level": level, "label": label(level, "competition_level"), "count": count}
            for level, count in figures.competitions_by_level.items()]},
        "contestants": {"registrations": figures.registrations,
                        "contestants": figures.contestants,
                        "work_units": figures.work_units},
        "attendance": dict(figures.attendance),
        "promotions": {
            "promoted": figures.promoted, "reverted": figures.reverted,
            "by_grade": [{"grade": grade, "grade_label": grade_label(grade),
                          "promoted": figures.promoted_by_grade[grade],
                          "reverted": figures.reverted_by_grade[grade]}
                         for grade in stats.GRADES],
            "by_occupation": [{
                "occupation_id": row.occupation_id, "occupation": row.name,
                "occupation_code": row.code, "promoted": row.total,
                "by_grade": [{"grade": grade, "grade_label": grade_label(grade),
                              "promoted": row.by_grade[grade]} for grade in stats.GRADES]}
                for row in figures.by_occupation]},
        "certificates": {"issued": figures.certificates_issued,
                         "revoked": figures.certificates_revoked,
                         "valid": figures.certificates_valid},
        "appeals": {"filed": figures.appeals_filed,
                    **{status.value: figures.appeals[status.value] for status in AppealStatus}},
        "experts": {"total": figures.experts_total, **figures.experts,
                    "expiring_within_days": figures.expiry_warning_days},
    }
