"""The sheet an organizer prints after opening judges' accounts: for each judge their
username, one-time password and sign-in card (a QR code that signs them in on a tablet),
one judge to a block, cut apart and handed out. Laid out with ReportLab's Platypus.
"""

from __future__ import annotations

import io
from collections.abc import Iterable

from flask_babel import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    Image,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from competition.auth.accounts import OpenedAccount
from competition.entries.tickets import ensure_font, qr_image
from competition.events.models import Competition

QR_SIZE = 38 * mm


def _styles(font: str) -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName=font, fontSize=10.5, leading=15, wordWrap="CJK")
    return {
        "title": ParagraphStyle("title", parent=base, fontSize=15, leading=21),
        "note": ParagraphStyle("note", parent=base, fontSize=9, leading=13,
                               textColor=(0.36, 0.40, 0.44)),
        "name": ParagraphStyle("name", parent=base, fontSize=14, leading=19),
        "body": base,
        "secret": ParagraphStyle("secret", parent=base, fontName="Courier-Bold", fontSize=13,
                                 leading=18),
    }


def _qr_flowable(url: str) -> Image:
    buffer = io.BytesIO()
    qr_image(url).save(buffer, format="PNG")
    buffer.seek(0)
    return Image(buffer, width=QR_SIZE, height=QR_SIZE)


def judge_accounts_pdf(competition: Competition,
                       judges: Iterable[tuple[OpenedAccount, str, str]]) -> bytes:
    """``judges``: each opened account with its card's sign-in link and the sign-in page's
    address. Text is in the current user's language."""
    font = ensure_font()
    styles = _styles(font)
    buffer = io.BytesIO()
    document = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=15 * mm,
                                 rightMargin=15 * mm, topMargin=15 * mm, bottomMargin=15 * mm,
                                 title=_("Judges' accounts"), author=competition.name)
    story = [
        Paragraph(competition.name + " · " + _("Judges' accounts"), styles["title"]),
        Paragraph(_("Hand each judge their own block. Scanning the QR code signs the judge "
                    "in on a tablet for this competition; the username and one-time password "
                    "sign in anywhere, and the judge must then choose a new password. Keep "
                    "this sheet out of sight and destroy it after the competition."),
                  styles["note"]),
        Spacer(1, 6 * mm),
    ]
    for opened, card_url, signin_url in judges:
        details = [
            Paragraph(opened.expert.name, styles["name"]),
            Paragraph(opened.expert.work_unit or "", styles["body"]),
            Spacer(1, 3 * mm),
            Paragraph(f"{_('Username')}：", styles["body"]),
            Paragraph(opened.user.username, styles["secret"]),
            Paragraph(f"{_('One-time password')}：", styles["body"]),
            Paragraph(opened.password, styles["secret"]),
            Paragraph(_("Sign in at %(address)s", address=signin_url), styles["note"]),
        ]
        block = Table([[details, _qr_flowable(card_url)]],
                      colWidths=[document.width - QR_SIZE - 8 * mm, QR_SIZE + 8 * mm])
        block.setStyle(TableStyle([
            ("BOX", (0, 0), (-1, -1), 0.6, (0.6, 0.6, 0.6)),
            ("LINEBELOW", (0, 0), (-1, -1), 0.6, (0.6, 0.6, 0.6), None, (3, 3)),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("TOPPADDING", (0, 0), (-1, -1), 4 * mm),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 4 * mm),
        ]))
        story += [KeepTogether(block), Spacer(1, 5 * mm)]
    document.build(story)
    return buffer.getvalue()
