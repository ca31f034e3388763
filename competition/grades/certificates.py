"""Skill-grade certificates (职业技能等级证书): their numbers, issuing and revoking them.

The 22-character number, as provincial rules publish it (docs/design.md section 5;
e.g. 湖北省人社厅《职业技能等级证书编码规则》), every part a setting of the
competition::

    S 4201 42 000001 26 3 000123
    │ │    │  │      │  │ └ serial, 6 digits, per series, year and grade, without gaps
    │ │    │  │      │  └ grade, 1 (一级/高级技师) … 5 (五级/初级工)
    │ │    │  │      └ year of issue, 2 digits
    │ │    │  └ site sequence of the evaluator (评价机构备案序号), 6 digits
    │ │    └ province code (湖北 42), 2 digits
    │ └ evaluator code, 4 digits
    └ evaluator type: S social evaluation organisation, Y employer

The first 13 characters are the *series*. Serials are handed out by locking the
series' ``CertificateSerial`` row for the rest of the transaction, so two
organizers issuing at once never get the same serial, and a rolled-back issue
gives its serial back: the register has no gaps.
"""

from __future__ import annotations

import hmac
import os
import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from flask_babel import force_locale, to_user_timezone
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from competition.audit.log import record
from competition.auth.models import User
from competition.dbtypes import utcnow
from competition.entries.idcard import mask_id_but_last_four, mask_name
from competition.entries.models import Contestant, Entry
from competition.errors import N_, DomainError, Message
from competition.events.models import Competition, Division, Event
from competition.grades.models import Certificate, CertificateSerial, Promotion
from competition.labels import label
from competition.results.models import Result
from competition.skill_grades import grade_label
from competition.spreadsheet import workbook_bytes

NUMBER_LENGTH = 22
SERIES_LENGTH = 13
MAX_SERIAL = 999_999
EVALUATOR_TYPES = ("S", "Y")  # S: social evaluation organisation; Y: employer (用人单位)
EVALUATION_METHOD = _l("Competition selection")  # 评价方式：竞赛选拔
ID_TYPES = {"resident_id": _l("Resident identity card"), "other": _l("Other ID document")}

_NUMBER = re.compile(r"(?P<evaluator_type>[SY])(?P<evaluator_code>\d{4})"
                     r"(?P<province_code>\d{2})(?P<site_sequence>\d{6})"
                     r"(?P<year>\d{2})(?P<grade>[1-5])(?P<serial>\d{6})")


class CertificateError(DomainError):
    """A certificate that may not be issued or revoked as asked."""


@dataclass(frozen=True)
class CertificateNumber:
    """The parts of a certificate number."""

    evaluator_type: str
    evaluator_code: str
    province_code: str
    site_sequence: str
    year: int  # two digits, 0–99
    grade: int
    serial: int

    @property
    def series(self) -> str:
        return (self.evaluator_type + self.evaluator_code + self.province_code
                + self.site_sequence)

    def __str__(self) -> str:
        return f"{self.series}{self.year:02d}{self.grade}{self.serial:06d}"


# --- The number (pure) -----------------------------------------------------------------

def series_problem(evaluator_type: str, evaluator_code: str, province_code: str,
                   site_sequence: str) -> Message | None:
    """What is wrong with the parts of a series, as a translatable message (or None)."""
    if evaluator_type not in EVALUATOR_TYPES:
        return Message(N_("the evaluator type must be S or Y, not %(value)s"),
                       value=repr(evaluator_type))
    for name, value, length in ((N_("evaluator code"), evaluator_code, 4),
                                (N_("province code"), province_code, 2),
                                (N_("site sequence"), site_sequence, 6)):
        if not (isinstance(value, str) and len(value) == length and value.isascii()
                and value.isdigit()):
            return Message(N_("the %(what)s must be %(n)s digits, not %(value)s"),
                           what=Message(name), n=length, value=repr(value))
    if province_code[0] == "0":
        return Message(N_("the province code %(value)s is not a province"),
                       value=repr(province_code))
    return None


def certificate_series(evaluator_type: str, evaluator_code: str, province_code: str,
                       site_sequence: str) -> str:
    """The 13-character series; ``ValueError`` when a part is not as the rule says."""
    problem = series_problem(evaluator_type, evaluator_code, province_code, site_sequence)
    if problem is not None:
        raise ValueError(str(problem))
    return evaluator_type + evaluator_code + province_code + site_sequence


def certificate_number(series: str, year: int, grade: int, serial: int) -> str:
    """The 22-character number; ``year`` may be given in full (2026) or as two digits."""
    if len(series) != SERIES_LENGTH:
        raise ValueError(f"a series has {SERIES_LENGTH} characters, not {len(series)}")
    certificate_series(series[0], series[1:5], series[5:7], series[7:13])
    if not 0 <= year <= 9999:
        raise ValueError(f"bad year {year}")
    if grade not in range(1, 6):
        raise ValueError(f"grade must be 1 to 5, not {grade}")
    if not 1 <= serial <= MAX_SERIAL:
        raise ValueError(f"serial must be 1 to {MAX_SERIAL}, not {serial}")
    return f"{series}{year % 100:02d}{grade}{serial:06d}"


def parse_certificate_number(text: str) -> CertificateNumber:
    """The parts of a number, each checked; ``ValueError`` for anything else.

    Pure, so a page can turn garbage away before asking the database."""
    if not isinstance(text, str) or len(text) != NUMBER_LENGTH:
        raise ValueError("a certificate number has 22 characters")
    match = _NUMBER.fullmatch(text)
    if match is None or not text.isascii():
        raise ValueError("not a certificate number")
    parts = match.groupdict()
    if parts["province_code"][0] == "0":
        raise ValueError("not a province code")
    if int(parts["serial"]) == 0:
        raise ValueError("serials start at 1")
    return CertificateNumber(
        evaluator_type=parts["evaluator_type"], evaluator_code=parts["evaluator_code"],
        province_code=parts["province_code"], site_sequence=parts["site_sequence"],
        year=int(parts["year"]), grade=int(parts["grade"]), serial=int(parts["serial"]))


def competition_series(competition: Competition) -> str:
    """The series set for a competition; a ``CertificateError`` names a bad setting."""
    parts = (competition.evaluator_type, competition.evaluator_code,
             competition.province_code, competition.site_sequence)
    problem = series_problem(*parts)
    if problem is None:
        return certificate_series(*parts)
    raise CertificateError(
        N_("The certificate numbering of %(competition)s is not complete: the evaluator "
           "type is S or Y, the evaluator code 4 digits, the province code 2 digits and "
           "the site sequence 6 digits (%(problem)s)."),
        competition=competition.name, problem=problem)


def issuer_of(competition: Competition) -> str:
    """Who issues the certificates: the set issuer, else the host of the competition."""
    return (competition.certificate_issuer or competition.host or "").strip()


def id_type_label(id_type: str) -> str:
    return str(ID_TYPES.get(id_type, id_type))


# --- Issuing and revoking --------------------------------------------------------------

def _next_serial(session: Session, series: str, year: int, grade: int) -> int:
    """Take the next serial of (series, year, grade), holding its row until the transaction
    ends: a concurrent issuer waits, and a rollback gives the serial back."""
    dialect = session.get_bind().dialect.name
    values = {"series": series, "year": year, "grade": grade, "last_serial": 0}
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:  # pragma: no cover - the app runs on PostgreSQL and SQLite only
        raise RuntimeError(f"no race-safe insert for {dialect}")
    # Create the counter if it is missing; a concurrent creator makes this a no-op.
    # On SQLite the statement also takes the database's write lock until commit.
    session.execute(insert(CertificateSerial).values(**values).on_conflict_do_nothing())
    counter = session.scalar(
        select(CertificateSerial).where(CertificateSerial.series == series,
                                        CertificateSerial.year == year,
                                        CertificateSerial.grade == grade)
        .with_for_update().execution_options(populate_existing=True))
    if counter.last_serial >= MAX_SERIAL:
        raise CertificateError(N_("The serials of series %(series)s for %(year)s, grade "
                                  "%(grade)s are used up."),
                               series=series, year=year, grade=grade)
    counter.last_serial += 1
    return counter.last_serial


def issue_certificate(session: Session, promotion: Promotion, *, issued_on: date,
                      actor: User) -> Certificate:
    """Issue the certificate that records a promotion, numbered by the competition's
    settings, with the next serial of its series, year of issue and grade. Audited."""
    existing = session.scalar(select(Certificate).where(
        Certificate.promotion_id == promotion.id))
    if existing is not None:
        raise CertificateError(N_("This promotion already has certificate %(number)s."),
                               number=existing.number)
    entry = session.scalar(select(Entry).where(Entry.id == promotion.entry_id).options(
        joinedload(Entry.contestant),
        selectinload(Entry.event).selectinload(Event.competition)))
    competition = entry.event.competition
    series = competition_series(competition)
    issuer = issuer_of(competition)
    if not issuer:
        raise CertificateError(N_("Set who issues the certificates of %(competition)s (the "
                                  "issuer, or at least the host) first."),
                               competition=competition.name)
    grade = promotion.to_grade
    serial = _next_serial(session, series, issued_on.year, grade)
    certificate = Certificate(
        promotion_id=promotion.id,
        number=certificate_number(series, issued_on.year, grade, serial),
        series=series, year=issued_on.year, grade=grade, serial=serial,
        issuer=issuer, issued_on=issued_on)
    session.add(certificate)
    session.flush()
    record(session, actor_id=actor.id, action="certificate.issue", object_type="certificate",
           object_id=certificate.id, event_id=entry.event_id,
           new={"number": certificate.number, "promotion_id": promotion.id,
                "contestant_id": promotion.contestant_id, "grade": grade,
                "issued_on": issued_on.isoformat(), "issuer": issuer})
    return certificate


def issue_for_division(session: Session, actor: User, division: Division,
                       issued_on: date) -> list[Certificate]:
    """Issue a certificate for every promotion of the division that has none yet, in the
    order of the results (rank, then station), so serials follow the ranking."""
    promotions = session.scalars(
        select(Promotion).join(Entry, Entry.id == Promotion.entry_id)
        .outerjoin(Result, Result.entry_id == Promotion.entry_id)
        .outerjoin(Certificate, Certificate.promotion_id == Promotion.id)
        .where(Entry.division_id == division.id, Certificate.id.is_(None))
        .order_by(Result.rank.is_(None), Result.rank, Entry.station, Promotion.id)).all()
    return [issue_certificate(session, promotion, issued_on=issued_on, actor=actor)
            for promotion in promotions]


def revoke(session: Session, actor: User, certificate: Certificate, reason: str) -> None:
    """Revoke a certificate (e.g. the promotion was obtained by fraud): a reason is
    required, and a certificate is revoked once. The number stays taken.

    Revoking reverts the promotion the certificate records, in the same transaction: the
    promotion keeps its row (what was decided stays on record) but is marked reverted,
    and the person no longer holds the grade it gave (the grade service counts reverted
    promotions as not held). Both are audited."""
    reason = (reason or "").strip()
    if not reason:
        raise CertificateError(N_("Give the reason for revoking the certificate."))
    if certificate.revoked_at is not None:
        raise CertificateError(N_("Certificate %(number)s is already revoked."),
                               number=certificate.number)
    actor_id = actor.id  # read first: loading it may flush, and the changes go together
    promotion = certificate.promotion
    entry = session.get(Entry, promotion.entry_id)
    now = utcnow()
    certificate.revoke_reason = reason
    certificate.revoked_by_id = actor_id
    certificate.revoked_at = now
    reverted = promotion.reverted_at is None
    if reverted:
        promotion.reverted_at = now
        promotion.reverted_by_id = actor_id
    session.flush()
    record(session, actor_id=actor_id, action="certificate.revoke",
           object_type="certificate", object_id=certificate.id, event_id=entry.event_id,
           old={"number": certificate.number, "status": "valid"},
           new={"number": certificate.number, "status": "revoked"}, reason=reason)
    if reverted:
        record(session, actor_id=actor_id, action="promotion.revert",
               object_type="promotion", object_id=promotion.id, event_id=entry.event_id,
               old={"contestant_id": promotion.contestant_id, "grade": promotion.to_grade,
                    "reverted_at": None},
               new={"contestant_id": promotion.contestant_id, "grade": promotion.from_grade,
                    "reverted_at": now.isoformat(), "certificate": certificate.number},
               reason=reason)


# --- Reading -----------------------------------------------------------------------------

def _loaded():
    return (selectinload(Certificate.promotion).selectinload(Promotion.entry)
            .joinedload(Entry.contestant),
            selectinload(Certificate.promotion).selectinload(Promotion.entry)
            .selectinload(Entry.event).selectinload(Event.occupation),
            selectinload(Certificate.promotion).selectinload(Promotion.entry)
            .selectinload(Entry.event).selectinload(Event.competition),
            selectinload(Certificate.promotion).selectinload(Promotion.entry)
            .selectinload(Entry.division))


def certificates_of(session: Session, competition_id: int) -> list[Certificate]:
    """Every certificate of a competition's promotions, by event, then number."""
    return list(session.scalars(
        select(Certificate).join(Promotion, Promotion.id == Certificate.promotion_id)
        .join(Entry, Entry.id == Promotion.entry_id).join(Event, Event.id == Entry.event_id)
        .where(Event.competition_id == competition_id)
        .options(*_loaded())
        .order_by(Event.position, Event.id, Certificate.number)))


def printable_certificates(session: Session, division: Division) -> list[Certificate]:
    """The certificates of a division to print: the valid ones (revoked ones left out),
    in the order of the results (rank, then station), as they were numbered."""
    return list(session.scalars(
        select(Certificate).join(Promotion, Promotion.id == Certificate.promotion_id)
        .join(Entry, Entry.id == Promotion.entry_id)
        .outerjoin(Result, Result.entry_id == Promotion.entry_id)
        .where(Entry.division_id == division.id, Certificate.revoked_at.is_(None))
        .options(*_loaded())
        .order_by(Result.rank.is_(None), Result.rank, Entry.station.is_(None),
                  Entry.station, Certificate.number)))


def certificate_by_number(session: Session, number: str) -> Certificate | None:
    return session.scalar(select(Certificate).where(Certificate.number == number)
                          .options(*_loaded()))


def certificate_by_id(session: Session, certificate_id: int) -> Certificate | None:
    return session.scalar(select(Certificate).where(Certificate.id == certificate_id)
                          .options(*_loaded()))


def certificate_of_entry(session: Session, entry_id: int) -> Certificate | None:
    return session.scalar(select(Certificate).join(
        Promotion, Promotion.id == Certificate.promotion_id)
        .where(Promotion.entry_id == entry_id).options(*_loaded()))


# --- Verification ----------------------------------------------------------------------

def code_matches(certificate: Certificate, code: str | None) -> bool:
    return bool(code) and hmac.compare_digest(code.encode(),
                                              certificate.verification_code.encode())


def _normal(name: str) -> str:
    """A name as typed: full-width forms folded, spaces and middle dots ignored."""
    name = unicodedata.normalize("NFKC", name or "")
    return "".join(ch for ch in name if not ch.isspace() and ch not in "·•・.").casefold()


def name_matches(certificate: Certificate, name: str | None) -> bool:
    holder = certificate.promotion.entry.contestant.name
    return bool(_normal(name)) and hmac.compare_digest(_normal(name).encode(),
                                                       _normal(holder).encode())


def public_facts(certificate: Certificate, *, holder: bool = False) -> dict:
    """What verification shows: the name masked, never the ID number.

    ``holder``: for whoever holds the paper certificate and its QR code (the code
    matched), enough to check the person in front of them against it — the full name,
    the ID number but its last four characters masked, and why it was revoked."""
    entry = certificate.promotion.entry
    event = entry.event
    person = entry.contestant
    facts = {
        "number": certificate.number,
        "name": mask_name(person.name),
        "occupation": event.occupation.name,
        "occupation_code": event.occupation.code or "",
        "grade": certificate.grade,
        "grade_label": grade_label(certificate.grade),
        "issued_on": certificate.issued_on,
        "issuer": certificate.issuer,
        "competition": event.competition.name,
        "status": "revoked" if certificate.revoked_at else "valid",
        "revoked_at": certificate.revoked_at,
        "holder": holder,
    }
    if holder:
        facts.update(name=person.name, id_type=id_type_label(person.id_type),
                     id_number=mask_id_but_last_four(person.id_number),
                     revoke_reason=certificate.revoke_reason if certificate.revoked_at
                     else "")
    return facts


def photo_file(contestant: Contestant, root: str) -> str | None:
    """A contestant's photo file, if one is stored under ``root`` (the instance folder)."""
    if not contestant.photo_path:
        return None
    root = os.path.realpath(root)
    path = os.path.realpath(os.path.join(root, contestant.photo_path))
    if os.path.commonpath([root, path]) != root or not os.path.isfile(path):
        return None
    return path


def status_text(certificate: Certificate) -> str:
    """Valid, or revoked with the grade it gave withdrawn, in the current language."""
    if certificate.revoked_at is None:
        return str(_l("Valid"))
    return str(_l("Revoked; the grade it gave is withdrawn"))


# The columns a provincial skills-evaluation platform records for a certificate issued
# through a competition (职业技能等级认定 信息登记), and how to read each from a certificate.
REGISTRY_COLUMNS = (
    (_l("Full name"), 12), (_l("ID document type"), 14), (_l("ID document number"), 22),
    (_l("Sex"), 6), (_l("Occupation code"), 14), (_l("Occupation name"), 18),
    (_l("Skill grade"), 14), (_l("Certificate number"), 26), (_l("Date of issue"), 12),
    (_l("Evaluation method"), 12), (_l("Evaluation organisation"), 28),
    (_l("Competition name"), 36), (_l("Status"), 22), (_l("Date of revocation"), 12),
    (_l("Reason for revocation"), 30),
)


def registry_xlsx(certificates: list[Certificate]) -> bytes:
    """The register of certificates as an .xlsx sheet, one row per certificate, in Chinese
    like the platform's own template. Full ID numbers: for organizers only. A revoked
    certificate says so, that the grade it gave is withdrawn, when and why."""
    workbook = Workbook()
    sheet = workbook.active
    with force_locale("zh"):
        sheet.title = str(_l("Certificates"))[:31]
        sheet.append([str(title) for title, _ in REGISTRY_COLUMNS])
        for certificate in certificates:
            entry = certificate.promotion.entry
            person, event = entry.contestant, entry.event
            sheet.append([
                person.name, id_type_label(person.id_type), person.id_number,
                label(person.sex, "sex"), event.occupation.code or "", event.occupation.name,
                grade_label(certificate.grade), certificate.number, certificate.issued_on,
                str(EVALUATION_METHOD), certificate.issuer, event.competition.name,
                status_text(certificate),
                to_user_timezone(certificate.revoked_at).date()
                if certificate.revoked_at else None,
                certificate.revoke_reason if certificate.revoked_at else None])
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if cell.data_type == "f":  # a name or issuer starting with =: text, not a formula
                cell.data_type = "s"
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for index, (_, width) in enumerate(REGISTRY_COLUMNS, start=1):
        sheet.column_dimensions[sheet.cell(1, index).column_letter].width = width
    for column in (9, 14):  # date of issue, date of revocation
        for row in sheet.iter_rows(min_row=2, min_col=column, max_col=column):
            row[0].number_format = "yyyy-mm-dd"
    sheet.freeze_panes = "A2"
    return workbook_bytes(workbook)

