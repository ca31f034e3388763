"""Schemas of the results API: live results, published results, appeals, a contestant's own.

Numbers travel as strings ("86.67") so no decimal is bent by floating point on
the way. Nothing a member of the public can read carries an ID number or a
phone; names there are shown as the organizer chose (``name_display``).
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

PUBLICATION_STATES = ["draft", "notice", "final"]
AWARDS = ["first", "second", "third"]
APPEAL_STATES = ["pending", "accepted", "rejected"]
DECIDERS = ["supervision_group", "chief_judge"]


def _decimal(**kwargs) -> fields.Decimal:
    return fields.Decimal(as_string=True, allow_nan=False, **kwargs)


class PublicationStateSchema(Schema):
    """Where a division's results stand: draft → notice (公示) → final."""

    status = fields.Str(validate=validate.OneOf(PUBLICATION_STATES), metadata={
        "description": "draft (seen only by organizers and the chief judge), notice (on "
                       "public notice, 公示; appeals until appeal_deadline) or final "
                       "(frozen)."})
    published_at = fields.DateTime(allow_none=True)
    appeal_deadline = fields.DateTime(allow_none=True, metadata={
        "description": "Appeals (申诉) are taken until then."})
    notice_ends_at = fields.DateTime(allow_none=True, metadata={
        "description": "The public notice runs until then; the results may be made final "
                       "after it once no appeal is pending."})
    finalized_at = fields.DateTime(allow_none=True)


class PublicationSchema(PublicationStateSchema):
    """The answer to publishing or finalizing a division's results."""

    division_id = fields.Int()
    division = fields.Str()
    event_id = fields.Int()


class ModuleInfoSchema(Schema):
    id = fields.Int()
    code = fields.Str()
    name = fields.Str()
    kind = fields.Str(validate=validate.OneOf(["theory", "practical"]))
    weight = _decimal(metadata={"description": "Its weight in the total, in percent."})


class ModuleScoreSchema(Schema):
    module_id = fields.Int()
    code = fields.Str()
    score = _decimal(metadata={"description": "Out of 100, penalties on the module "
                                              "deducted, to 2 decimals (or the event's "
                                              "decimals when it keeps more)."})


class ScoresSchema(Schema):
    """An entry's scores as computed (live) or published."""

    module_scores = fields.List(fields.Nested(ModuleScoreSchema))
    penalty_points = _decimal(metadata={"description": "Penalties (扣分) on the total."})
    total = _decimal(metadata={"description": "Weighted total out of 100, to the event's "
                                              "decimals."})
    rank = fields.Int(allow_none=True, metadata={
        "description": "Standard competition ranking (1, 2, 2, 4) within the division; "
                       "null when not ranked (absent or withdrawn)."})
    award = fields.Str(allow_none=True, validate=validate.OneOf(AWARDS), metadata={
        "description": "first (一等奖), second (二等奖), third (三等奖) or null."})
    title = fields.Str(allow_none=True, metadata={
        "description": "The title the entry earns (e.g. 咸宁市技术能手), or null."})


class LiveResultSchema(ScoresSchema):
    entry_id = fields.Int()
    station = fields.Int(allow_none=True, metadata={"description": "工位号"})
    code = fields.Str(allow_none=True, metadata={"description": "The anonymous code (加密号)."})
    name = fields.Str(allow_none=True, metadata={
        "description": "The contestant's full name, once the chief judge has locked the "
                       "scores; null before (codes only)."})
    work_unit = fields.Str(allow_none=True, metadata={
        "description": "Shown with the name: null before the scores are locked."})


class AwardBandSchema(Schema):
    """One award band of a division against its quota."""

    band = fields.Str(validate=validate.OneOf(AWARDS))
    places = fields.Int(metadata={"description": "The band's places (its quota)."})
    awarded = fields.List(fields.Int(), metadata={
        "description": "The entries (ids) awarded the band, by rank."})
    tied = fields.List(fields.Int(), metadata={
        "description": "Entries tied across the band's edge, all awarded it; empty: none."})
    excess = fields.Int(metadata={
        "description": "How many more entries got this band or a higher one than the places "
                       "of the bands up to it allow."})


class AwardsSchema(Schema):
    """A division's awards against its quotas, and what publication still needs."""

    division_id = fields.Int()
    rule = fields.Str(metadata={"description": "The event's award rule in words."})
    award_rounding = fields.Str(validate=validate.OneOf(["cumulative", "per_band",
                                                         "never_more"]))
    first_prize_min_entries = fields.Int(allow_none=True)
    award_ties = fields.Str(validate=validate.OneOf(["share", "tie_break"]))
    ranked = fields.Int(metadata={"description": "Ranked entries of the division."})
    bands = fields.List(fields.Nested(AwardBandSchema))
    overflow = fields.Str(allow_none=True, metadata={
        "description": "The overflow, canonically (null: none): what the chief judge "
                       "acknowledges in share mode."})
    needs_order = fields.Bool(metadata={
        "description": "tie_break mode: entries are still tied at a band's edge; the chief "
                       "judge must decide their order before publication."})
    needs_acknowledgement = fields.Bool(metadata={
        "description": "share mode: tied entries exceed a quota; the chief judge must "
                       "acknowledge the overflow before publication."})
    acknowledged_at = fields.DateTime(allow_none=True, metadata={
        "description": "When the chief judge acknowledged the current overflow."})
    may_publish = fields.Bool(metadata={
        "description": "Nothing about the awards stands in the way of publication."})


class AwardAcknowledgementSchema(Schema):
    overflow = fields.Str(required=True, validate=validate.Length(min=1, max=500), metadata={
        "description": "The overflow as the chief judge saw it (``overflow`` of the "
                       "division's awards): refused when it is no longer the current one."})


class LiveDivisionSchema(Schema):
    id = fields.Int()
    name = fields.Str()
    kind = fields.Str()
    publication = fields.Nested(PublicationStateSchema)
    awards = fields.Nested(AwardsSchema)
    results = fields.List(fields.Nested(LiveResultSchema), metadata={
        "description": "Ranked entries first, by rank; then those not ranked."})


class EventResultsSchema(Schema):
    event_id = fields.Int()
    event = fields.Str()
    competition = fields.Str()
    locked = fields.Bool(metadata={"description": "The chief judge locked the scores; names "
                                                  "are shown only then."})
    scores_locked_at = fields.DateTime(allow_none=True)
    modules = fields.List(fields.Nested(ModuleInfoSchema))
    divisions = fields.List(fields.Nested(LiveDivisionSchema))


class PublishedResultSchema(ScoresSchema):
    """One line of a published result list. Never an ID number or a phone."""

    name = fields.Str(metadata={"description": "In full or masked (张*明), as the organizer "
                                               "chose for the competition."})
    work_unit = fields.Str()


class DivisionResultsSchema(Schema):
    division_id = fields.Int()
    division = fields.Str()
    event_id = fields.Int()
    event = fields.Str()
    competition = fields.Str()
    publication = fields.Nested(PublicationStateSchema)
    modules = fields.List(fields.Nested(ModuleInfoSchema))
    results = fields.List(fields.Nested(PublishedResultSchema))


class AppealSchema(Schema):
    """An appeal as the chief judge and the organizers see it."""

    id = fields.Int()
    entry_id = fields.Int()
    division_id = fields.Int()
    station = fields.Int(allow_none=True)
    code = fields.Str(allow_none=True)
    name = fields.Str(allow_none=True, metadata={
        "description": "The contestant's name, once the scores are locked."})
    text = fields.Str(metadata={"description": "What the contestant wrote."})
    filed_at = fields.DateTime()
    status = fields.Str(validate=validate.OneOf(APPEAL_STATES))
    decided_at = fields.DateTime(allow_none=True)
    decision_reason = fields.Str(metadata={"description": "The reason the contestant sees."})
    chief_opinion = fields.Str(allow_none=True, metadata={
        "description": "The chief judge's written opinion, when the competition's "
                       "supervision and arbitration group decides the appeal."})
    chief_opinion_at = fields.DateTime(allow_none=True)
    decided_by = fields.Str(allow_none=True, validate=validate.OneOf(DECIDERS), metadata={
        "description": "supervision_group (监督仲裁组) or chief_judge; null while pending."})


class AppealOpinionSchema(Schema):
    opinion = fields.Str(required=True, validate=validate.Length(max=4000), metadata={
        "description": "The chief judge's written opinion; the contestant sees it with "
                       "the decision."})


class AppealDecisionSchema(Schema):
    accept = fields.Bool(required=True)
    reason = fields.Str(required=True, validate=validate.Length(max=4000), metadata={
        "description": "Why; the contestant sees it on their page."})


class OwnAppealSchema(Schema):
    """An appeal as the contestant who filed it sees it."""

    id = fields.Int()
    text = fields.Str()
    filed_at = fields.DateTime()
    status = fields.Str(validate=validate.OneOf(APPEAL_STATES))
    decided_at = fields.DateTime(allow_none=True)
    decision_reason = fields.Str()
    chief_opinion = fields.Str(allow_none=True)
    chief_opinion_at = fields.DateTime(allow_none=True)
    decided_by = fields.Str(allow_none=True, validate=validate.OneOf(DECIDERS), metadata={
        "description": "supervision_group (监督仲裁组) or chief_judge; null while pending."})


class OwnPromotionSchema(Schema):
    """The grade the final results promoted the contestant to, and its certificate."""

    from_grade = fields.Int(allow_none=True, metadata={"description": "1 (highest) to 5."})
    to_grade = fields.Int()
    grade_label = fields.Str(metadata={"description": "e.g. 二级/技师"})
    rule = fields.Str(metadata={"description": "The rule that applied, in words."})
    certificate_number = fields.Str(allow_none=True)
    issued_on = fields.Date(allow_none=True)
    revoked = fields.Bool()
    verification_url = fields.Str(allow_none=True, metadata={
        "description": "The certificate's verification page, with its secret code."})


class ReasonsSchema(Schema):
    rule = fields.Str()
    reasons = fields.List(fields.Str())


class ContestantResultSchema(Schema):
    """A contestant's own page (选手本人), by the secret in their link or QR code."""

    name = fields.Str()
    competition = fields.Str()
    event = fields.Str()
    division = fields.Str()
    registration_status = fields.Str(validate=validate.OneOf(
        ["pending", "approved", "rejected"]))
    attendance = fields.Str(validate=validate.OneOf(
        ["expected", "present", "absent", "withdrawn"]))
    ticket_number = fields.Str(allow_none=True)
    station = fields.Int(allow_none=True)
    publication = fields.Nested(PublicationStateSchema)
    modules = fields.List(fields.Nested(ModuleInfoSchema))
    result = fields.Nested(ScoresSchema, allow_none=True, metadata={
        "description": "Null until the division's results are published, and for an entry "
                       "not in them."})
    may_appeal = fields.Bool(metadata={
        "description": "An appeal may be filed now (on the contestant's page)."})
    appeals = fields.List(fields.Nested(OwnAppealSchema))
    promotion = fields.Nested(OwnPromotionSchema, allow_none=True, metadata={
        "description": "Null until the results are final, and when they promote no one "
                       "to a grade for this entry."})
    promotion_reasons = fields.List(fields.Nested(ReasonsSchema), metadata={
        "description": "Once the results are final and the entry was not promoted: for "
                       "each rule, the conditions that failed, in the reader's language."})


class RefusedSchema(Schema):
    """A refusal: 401, 403, 404, or 422 with the broken rule in the caller's language."""

    code = fields.Int()
    status = fields.Str()
    message = fields.Str()
    problems = fields.List(fields.Dict(), metadata={
        "description": "422 only: every problem found, when there are several."})
    errors = fields.Dict(metadata={
        "description": "422 only: the fields of the body or query that do not match their "
                       "schema, by location."})
