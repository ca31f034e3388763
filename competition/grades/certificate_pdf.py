"""A skill-grade certificate (职业技能等级证书) as an A4 PDF, always in Chinese.

It prints what a provincial platform records for a certificate: name, ID type
and number, occupation (name and code), grade as ``三级/高级工``, the 22-character
number, issuer, date of issue, the evaluation method (竞赛选拔) and the
competition, a photo (or an empty framed box to glue one in) and a QR code of
the verification page (``/v/<number>?c=<code>``), where anyone holding the
paper can check it. A revoked certificate carries a large 已撤销 across it and
the date and reason underneath.

The text is taken from the translation catalogue under the Chinese locale, so
the certificate reads the same whichever language the organizer uses. Fonts,
the photo box and QR codes come from the PDF toolkit (``competition.pdf``).
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import force_locale, format_date, format_datetime
from flask_babel import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas

from competition.entries.idcard import shown_id_number
from competition.grades.certificates import EVALUATION_METHOD, id_type_label
from competition.grades.models import Certificate
from competition.labels import label
from competition.pdf import PHOTO_HEIGHT, PHOTO_WIDTH, ensure_font, photo_box, qr_image, wrap_text
from competition.skill_grades import grade_label

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 14 * mm
QR_SIZE = 36 * mm
INK = (0.11, 0.14, 0.16)
BRAND = (0.70, 0.15, 0.12)
MUTED = (0.36, 0.40, 0.44)
GOLD = (0.62, 0.49, 0.20)


@dataclass(frozen=True)
class CertificateSheet:
    """What one certificate prints, as Chinese text."""

    title: str
    name: str
    sex: str
    id_type: str
    id_number: str
    occupation: str
    occupation_code: str
    grade: str
    number: str
    issuer: str
    issued_on: str
    method: str
    competition: str
    verify_url: str
    revoked: str = ""  # the revocation line; empty while the certificate is valid
    photo: bytes | str | None = None


def sheet_for(certificate: Certificate, verify_url: str, *, mask_id: bool = False,
              photo: bytes | str | None = None) -> CertificateSheet:
    """The printed text of a certificate (needs an app context); ``mask_id`` for copies
    that leave the organizers' hands."""
    entry = certificate.promotion.entry
    person = entry.contestant
    event = entry.event
    occupation = event.occupation
    with force_locale("zh"):
        revoked = ""
        if certificate.revoked_at is not None:
            revoked = _("Revoked on %(date)s, and the grade it gave is withdrawn. "
                        "Reason: %(reason)s",
                        date=format_datetime(certificate.revoked_at, "short"),
                        reason=certificate.revoke_reason)
        return CertificateSheet(
            title=_("Vocational skill grade certificate"),
            name=person.name, sex=label(person.sex, "sex"),
            id_type=id_type_label(person.id_type),
            id_number=shown_id_number(person.id_number, whole=not mask_id),
            occupation=occupation.name, occupation_code=occupation.code or "—",
            grade=grade_label(certificate.grade), number=certificate.number,
            issuer=certificate.issuer, issued_on=format_date(certificate.issued_on, "long"),
            method=str(EVALUATION_METHOD), competition=event.competition.name,
            verify_url=verify_url, revoked=revoked, photo=photo)


def _labels() -> dict[str, str]:
    with force_locale("zh"):
        return {
            "name": _("Full name"),
            "sex": _("Sex"),
            "id_type": _("ID document type"),
            "id_number": _("ID document number"),
            "occupation": _("Occupation"),
            "occupation_code": _("Occupation code"),
            "grade": _("Skill grade"),
            "method": _("Evaluation method"),
            "competition": _("Competition"),
            "number": _("Certificate number"),
            "issuer": _("Issued by"),
            "issued_on": _("Date of issue"),
            "photo": _("Photo"),
            "scan": _("Scan to verify this certificate"),
            "stamp": _("REVOKED"),
            "attest": _("This certifies that the holder, selected through the competition "
                        "below, has reached the vocational skill grade stated."),
        }


def build_pdf(sheet: CertificateSheet) -> bytes:
    """One certificate on one A4 page, portrait."""
    return build_bundle([sheet], title=f"{sheet.title} {sheet.number}")


def build_bundle(sheets: Iterable[CertificateSheet], *, title: str) -> bytes:
    """Certificates for printing, one A4 page each, in the order given (at least one)."""
    sheets = list(sheets)
    if not sheets:
        raise ValueError("a bundle needs at least one certificate")
    font = ensure_font()
    labels = _labels()
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, pageCompression=1)
    canvas.setTitle(title)
    canvas.setCreator("competition")
    for sheet in sheets:
        draw_certificate(canvas, sheet, labels, font)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def draw_certificate(canvas: Canvas, sheet: CertificateSheet,
                     labels: dict[str, str] | None = None, font: str | None = None) -> None:
    """Draw one certificate on the canvas's current A4 page (the caller ends the page)."""
    font = font or ensure_font()
    labels = labels or _labels()
    _frame(canvas)

    # Title and the attestation under it.
    top = PAGE_HEIGHT - MARGIN - 26 * mm
    canvas.setFillColorRGB(*BRAND)
    canvas.setFont(font, 30)
    canvas.drawCentredString(PAGE_WIDTH / 2, top, sheet.title)
    canvas.setFillColorRGB(*MUTED)
    y = top - 14 * mm
    for line in wrap_text(labels["attest"], 10.5, PAGE_WIDTH - 2 * MARGIN - 30 * mm):
        canvas.setFont(font, 10.5)
        canvas.drawCentredString(PAGE_WIDTH / 2, y, line)
        y -= 15

    # The photo at the upper right; the facts to its left and below.
    left = MARGIN + 16 * mm
    right = PAGE_WIDTH - MARGIN - 16 * mm
    photo_x = right - PHOTO_WIDTH
    photo_top = y - 6 * mm
    canvas.setStrokeColorRGB(*INK)
    canvas.setFillColorRGB(*INK)
    photo_box(canvas, sheet.photo, labels["photo"], photo_x, photo_top - PHOTO_HEIGHT, font)

    rows = [
        ("name", sheet.name, 18),
        ("sex", sheet.sex, 12),
        ("id_type", sheet.id_type, 12),
        ("id_number", sheet.id_number, 12),
        ("occupation", sheet.occupation, 14),
        ("occupation_code", sheet.occupation_code, 12),
        ("grade", sheet.grade, 16),
        ("method", sheet.method, 12),
        ("competition", sheet.competition, 12),
        ("number", sheet.number, 14),
        ("issuer", sheet.issuer, 12),
        ("issued_on", sheet.issued_on, 12),
    ]
    label_x = left
    value_x = left + 30 * mm
    y = photo_top - 8 * mm
    for key, value, size in rows:
        # Rows beside the photo stop short of it; the ones below use the full width.
        limit = photo_x - 6 * mm if y > photo_top - PHOTO_HEIGHT - 4 * mm else right
        canvas.setFillColorRGB(*MUTED)
        canvas.setFont(font, 10.5)
        canvas.drawString(label_x, y, labels[key])
        canvas.setFillColorRGB(*INK)
        canvas.setFont(font, size)
        lines = wrap_text(value, size, limit - value_x) or [""]
        for i, line in enumerate(lines[:3]):
            if i:
                y -= size + 4
            canvas.drawString(value_x, y, line)
        y -= max(24, size + 12)

    # The QR code of the verification page, bottom right, with its caption.
    qr_x = right - QR_SIZE
    qr_y = MARGIN + 22 * mm
    canvas.drawImage(ImageReader(qr_image(sheet.verify_url)), qr_x, qr_y, QR_SIZE, QR_SIZE)
    canvas.setFillColorRGB(*MUTED)
    canvas.setFont(font, 8)
    canvas.drawCentredString(qr_x + QR_SIZE / 2, qr_y - 4 * mm, labels["scan"])
    url_lines = wrap_text(sheet.verify_url, 6.5, qr_x - left - 8 * mm)
    canvas.setFont(font, 6.5)
    line_y = qr_y + 4 * mm + 8 * (len(url_lines[:3]) - 1)
    for line in url_lines[:3]:
        canvas.drawString(left, line_y, line)
        line_y -= 8

    if sheet.revoked:
        _revoked(canvas, font, labels["stamp"], sheet.revoked, left, right)


def _frame(canvas: Canvas) -> None:
    canvas.saveState()
    canvas.setStrokeColorRGB(*GOLD)
    canvas.setLineWidth(2.2)
    canvas.rect(MARGIN, MARGIN, PAGE_WIDTH - 2 * MARGIN, PAGE_HEIGHT - 2 * MARGIN)
    canvas.setLineWidth(0.6)
    inset = 3 * mm
    canvas.rect(MARGIN + inset, MARGIN + inset, PAGE_WIDTH - 2 * (MARGIN + inset),
                PAGE_HEIGHT - 2 * (MARGIN + inset))
    canvas.restoreState()


def _revoked(canvas: Canvas, font: str, stamp: str, line: str, left: float,
             right: float) -> None:
    """已撤销 in large red letters across the page, and the date and reason below."""
    canvas.saveState()
    canvas.setFillColorRGB(*BRAND)
    canvas.setStrokeColorRGB(*BRAND)
    canvas.translate(PAGE_WIDTH / 2, PAGE_HEIGHT / 2)
    canvas.rotate(30)
    canvas.setFillAlpha(0.55)
    canvas.setFont(font, 96)
    canvas.drawCentredString(0, -30, stamp)
    canvas.setLineWidth(4)
    canvas.setStrokeAlpha(0.55)
    width = canvas.stringWidth(stamp, font, 96) + 20 * mm
    canvas.rect(-width / 2, -50, width, 130)
    canvas.restoreState()
    canvas.saveState()
    canvas.setFillColorRGB(*BRAND)
    canvas.setFont(font, 11)
    y = MARGIN + 12 * mm
    for text in wrap_text(line, 11, right - left)[:2]:
        canvas.drawString(left, y, text)
        y -= 14
    canvas.restoreState()
