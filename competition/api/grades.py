"""Promotions and certificates through the JSON API.

- a competition's certificates, with full ID numbers — its organizers;
- one certificate by its number and the code of its QR code — anyone, like the
  verification page: without the right code the answer is 404, the same as for
  a number that does not exist;
- a division's decided promotions with their certificate numbers — organizers.
"""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _
from flask_login import login_required
from flask_smorest import Blueprint, abort
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from competition.api.grades_schemas import (
    CertificateQuerySchema,
    CertificateSchema,
    PromotionOutcomeSchema,
    PromotionSchema,
    PublicCertificateSchema,
)
from competition.api.results_schemas import RefusedSchema
from competition.entries.models import Entry
from competition.events.access import competition_for_organizer, require_organizer_of
from competition.events.models import Division
from competition.extensions import db
from competition.grades import certificates
from competition.grades import promotions as promotion_service
from competition.grades.models import Certificate, Promotion
from competition.skill_grades import grade_label

blp = Blueprint("api_grades", __name__, url_prefix="/api/v1",
                description="Promotions and certificates through the JSON API.")


SIGN_IN = {"schema": RefusedSchema, "description": "Not signed in."}
NOT_ORGANIZER = {"schema": RefusedSchema, "description": "Not an organizer of the competition."}


@blp.route("/competitions/<int:competition_id>/certificates")
@login_required
@blp.response(200, CertificateSchema(many=True))
@blp.alt_response(401, **SIGN_IN)
@blp.alt_response(403, **NOT_ORGANIZER)
@blp.alt_response(404, schema=RefusedSchema, description="No such competition.")
def competition_certificates(competition_id: int):
    """Every certificate of the competition, by event then number, with the holder's full
    ID number, whether it is valid or revoked, and the URL its QR code prints."""
    competition = competition_for_organizer(competition_id)
    return [_organizer_document(c)
            for c in certificates.certificates_of(db.session, competition.id)]


# A certificate number as ``certificates.parse_certificate_number`` reads it: evaluator
# type and code, province, site, year, grade, serial. Any other answers 404.
NUMBER_PARAMETER = {"in": "path", "name": "number", "description": (
    "The 22-character certificate number, as printed."),
    "schema": {"type": "string", "minLength": certificates.NUMBER_LENGTH,
               "maxLength": certificates.NUMBER_LENGTH,
               "pattern": "^[SY][0-9]{4}[1-9][0-9][0-9]{6}[0-9]{2}[1-5][0-9]{6}$"}}


@blp.route("/certificates/<number>", parameters=[NUMBER_PARAMETER])
@blp.doc(security=[])
@blp.arguments(CertificateQuerySchema, location="query")
@blp.response(200, PublicCertificateSchema)
@blp.alt_response(404, schema=RefusedSchema, description="No certificate has this number "
                  "and code (the same answer for a wrong code and an unknown number).")
def verify_certificate(query, number: str):
    """Check a certificate by its number and the code of its QR code (public): valid or
    revoked (with the reason, and the grade it gave withdrawn), the holder's full name and
    ID number masked but its last four characters — enough to check the person in front
    of you — occupation, grade, date, issuer and competition."""
    try:
        certificates.parse_certificate_number(number)
    except ValueError:
        abort(404, message=_("No certificate matches this number and code."))
    found = certificates.certificate_by_number(db.session, number)
    if found is None or not certificates.code_matches(found, query.get("code")):
        abort(404, message=_("No certificate matches this number and code."))
    return _public_document(found, holder=True)


@blp.route("/divisions/<int:division_id>/promotions")
@login_required
@blp.response(200, PromotionSchema(many=True))
@blp.alt_response(401, **SIGN_IN)
@blp.alt_response(403, **NOT_ORGANIZER)
@blp.alt_response(404, schema=RefusedSchema, description="No such division.")
def division_promotions(division_id: int):
    """The division's decided promotions, in the order they were decided, each with the
    number and status of its certificate (null until issued)."""
    division = db.get_or_404(Division, division_id)
    require_organizer_of(division.event.competition_id)
    rows = db.session.execute(
        select(Promotion, Certificate)
        .join(Entry, Entry.id == Promotion.entry_id)
        .outerjoin(Certificate, Certificate.promotion_id == Promotion.id)
        .where(Entry.division_id == division.id)
        .options(selectinload(Promotion.entry).joinedload(Entry.contestant))
        .order_by(Promotion.decided_at, Promotion.id)).all()
    return [{
        "id": p.id, "entry_id": p.entry_id, "contestant_id": p.contestant_id,
        "name": p.entry.contestant.name, "year": p.year, "rule_text": p.rule_text,
        "from_grade": p.from_grade, "from_grade_label": grade_label(p.from_grade),
        "to_grade": p.to_grade, "to_grade_label": grade_label(p.to_grade),
        "decided_at": p.decided_at,
        "certificate_number": c.number if c else None,
        "certificate_status": _status(c) if c else None,
        "reverted_at": p.reverted_at,
    } for p, c in rows]


@blp.route("/divisions/<int:division_id>/promotion-outcomes")
@login_required
@blp.response(200, PromotionOutcomeSchema(many=True))
@blp.alt_response(401, **SIGN_IN)
@blp.alt_response(403, **NOT_ORGANIZER)
@blp.alt_response(404, schema=RefusedSchema, description="No such division.")
def division_outcomes(division_id: int):
    """Every entry's outcome kept when the division's results became final, promoted or
    not, with the grade the rules started from and, for each rule that did not promote,
    the conditions that failed (in the reader's language). Empty before the decision."""
    division = db.get_or_404(Division, division_id)
    require_organizer_of(division.event.competition_id)
    documents = []
    for outcome in sorted(promotion_service.outcomes_of(db.session, division).values(),
                          key=lambda o: o.entry_id):
        basis = outcome.grade_basis or {}
        documents.append({
            "entry_id": outcome.entry_id, "code": outcome.entry.code,
            "name": outcome.entry.contestant.name, "promoted": outcome.promoted,
            "rule_text": outcome.rule_text, "from_grade": outcome.from_grade,
            "to_grade": outcome.to_grade, "to_grade_label": grade_label(outcome.to_grade),
            "grade_basis": {"grade": basis.get("grade"),
                            "grade_label": grade_label(basis.get("grade")),
                            "source": basis.get("source"),
                            "certificate_number": basis.get("certificate_number", "")},
            "misses": [{"rule": rule, "reasons": reasons}
                       for rule, reasons in promotion_service.outcome_texts(outcome)],
            "decided_at": outcome.decided_at,
        })
    return documents


def _status(certificate: Certificate) -> str:
    return "revoked" if certificate.revoked_at else "valid"


def _public_document(certificate: Certificate, *, holder: bool = False) -> dict:
    facts = certificates.public_facts(certificate, holder=holder)
    facts.pop("holder", None)
    return {**facts, "evaluation_method": str(certificates.EVALUATION_METHOD)}


def _organizer_document(certificate: Certificate) -> dict:
    entry = certificate.promotion.entry
    person = entry.contestant
    return {
        **_public_document(certificate),
        "name": person.name, "id": certificate.id, "promotion_id": certificate.promotion_id,
        "entry_id": entry.id, "event_id": entry.event_id, "event": entry.event.name,
        "id_type": person.id_type, "id_number": person.id_number, "sex": person.sex,
        "verify_url": url_for("grades.verify_certificate", number=certificate.number,
                              c=certificate.verification_code, _external=True),
        "revoke_reason": certificate.revoke_reason,
    }
