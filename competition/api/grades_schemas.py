"""Schemas of the grades API: promotions (晋升) and certificates (证书).

Only the organizers' documents carry a full ID number; the public verification
document names the holder masked (张*明), like the verification page.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

CERTIFICATE_STATES = ["valid", "revoked"]


class GradeFields(Schema):
    grade = fields.Int(validate=validate.Range(1, 5), metadata={
        "description": "1 (一级/高级技师, the highest) … 5 (五级/初级工)."})
    grade_label = fields.Str(metadata={"description": "As printed, e.g. 三级/高级工."})


class PublicCertificateSchema(GradeFields):
    """What anyone holding the certificate (its number and code) may check."""

    number = fields.Str(metadata={"description": "The 22-character certificate number."})
    name = fields.Str(metadata={"description": "The holder's full name."})
    id_type = fields.Str(metadata={"description": "The kind of ID, as printed."})
    id_number = fields.Str(metadata={
        "description": "The holder's ID number, masked but its last four characters."})
    revoke_reason = fields.Str(metadata={"description": "Why it was revoked; empty while "
                                                        "valid."})
    occupation = fields.Str()
    occupation_code = fields.Str()
    issued_on = fields.Date()
    issuer = fields.Str()
    evaluation_method = fields.Str(metadata={"description": "竞赛选拔."})
    competition = fields.Str()
    status = fields.Str(validate=validate.OneOf(CERTIFICATE_STATES))
    revoked_at = fields.DateTime(allow_none=True)


class CertificateSchema(PublicCertificateSchema):
    """A certificate as its competition's organizers see it."""

    id = fields.Int()
    promotion_id = fields.Int()
    entry_id = fields.Int()
    event_id = fields.Int()
    event = fields.Str()
    id_type = fields.Str(metadata={"description": "resident_id (居民身份证) or other."})
    id_number = fields.Str(metadata={"description": "In full: organizers only."})
    sex = fields.Str()
    verify_url = fields.Str(metadata={"description": "The URL the QR code prints."})
    revoke_reason = fields.Str()


class CertificateQuerySchema(Schema):
    code = fields.Str(load_default="", metadata={
        "description": "The verification code printed in the certificate's QR code "
                       "(the c= of its URL)."})


class PromotionSchema(Schema):
    """A decided promotion and the certificate that records it, if issued."""

    id = fields.Int()
    entry_id = fields.Int()
    contestant_id = fields.Int()
    name = fields.Str()
    year = fields.Int()
    rule_text = fields.Str(metadata={"description": "The rule as it read when it applied."})
    from_grade = fields.Int(allow_none=True)
    from_grade_label = fields.Str()
    to_grade = fields.Int()
    to_grade_label = fields.Str()
    decided_at = fields.DateTime()
    certificate_number = fields.Str(allow_none=True)
    certificate_status = fields.Str(allow_none=True,
                                    validate=validate.OneOf(CERTIFICATE_STATES))
    reverted_at = fields.DateTime(allow_none=True, metadata={
        "description": "When the promotion was withdrawn because its certificate was "
                       "revoked; null while it holds."})


class MissSchema(Schema):
    """One rule that did not promote the entry, and every condition of it that failed."""

    rule = fields.Str(metadata={"description": "The rule as it read; empty when no rule "
                                               "applies to the division."})
    reasons = fields.List(fields.Str(), metadata={
        "description": "The failed conditions, in the reader's language."})


class GradeBasisSchema(Schema):
    grade = fields.Int(allow_none=True)
    grade_label = fields.Str()
    source = fields.Str(allow_none=True, metadata={
        "description": "granted (here) | registry (declared, certificate issued here) | "
                       "checked (declared, checked by an organizer) | declared"})
    certificate_number = fields.Str()


class PromotionOutcomeSchema(Schema):
    """What the rules decided for one entry when its results became final, and why."""

    entry_id = fields.Int()
    code = fields.Str(allow_none=True)
    name = fields.Str()
    promoted = fields.Bool()
    rule_text = fields.Str()
    from_grade = fields.Int(allow_none=True)
    to_grade = fields.Int(allow_none=True)
    to_grade_label = fields.Str()
    grade_basis = fields.Nested(GradeBasisSchema)
    misses = fields.List(fields.Nested(MissSchema))
    decided_at = fields.DateTime()
