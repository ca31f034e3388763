"""The sheet an organizer prints after opening judges' accounts: for each judge their
username, one-time password and sign-in card (a QR code that signs them in on a tablet),
one judge to a block, cut apart and handed out. Laid out with ReportLab's Platypus
through the PDF toolkit (``competition.pdf``).
"""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import gettext as _
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Spacer, Table, TableStyle

from competition.accounts.management import OpenedAccount
from competition.events.models import Competition
from competition.pdf import MUTED, PagedDocument, Section, para, qr_flowable

QR_SIZE = 38 * mm


def _secret(text: str):
    """A username or password, in a typewriter face that tells 0 from O and 1 from l."""
    return para(text, fontName="Courier-Bold", size=13, leading=18)


def judge_accounts_pdf(competition: Competition,
                       judges: Iterable[tuple[OpenedAccount, str, str]]) -> bytes:
    """``judges``: each opened account with its card's sign-in link and the sign-in page's
    address. Text is in the current user's language."""
    document = PagedDocument(margin=15 * mm, title=_("Judges' accounts"),
                             author=competition.name)
    story = [
        para(competition.name + " · " + _("Judges' accounts"), "title", size=15, leading=21),
        para(_("Hand each judge their own block. Scanning the QR code signs the judge "
               "in on a tablet for this competition; the username and one-time password "
               "sign in anywhere, and the judge must then choose a new password. Keep "
               "this sheet out of sight and destroy it after the competition."),
             "note", leading=13),
        Spacer(1, 6 * mm),
    ]
    for opened, card_url, signin_url in judges:
        details = [
            para(opened.expert.name, size=14, leading=19),
            para(opened.expert.work_unit or ""),
            Spacer(1, 3 * mm),
            para(f"{_('Username')}："),
            _secret(opened.user.username),
            para(f"{_('One-time password')}："),
            _secret(opened.password),
            para(_("Sign in at %(address)s", address=signin_url), "note", leading=13),
        ]
        block = Table([[details, qr_flowable(card_url, QR_SIZE)]],
                      colWidths=[document.width - QR_SIZE - 8 * mm, QR_SIZE + 8 * mm])
        block.setStyle(TableStyle([
            ("BOX", (0, 0), (-1, -1), 0.6, MUTED),
            ("LINEBELOW", (0, 0), (-1, -1), 0.6, MUTED, None, (3, 3)),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("TOPPADDING", (0, 0), (-1, -1), 4 * mm),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 4 * mm),
        ]))
        story += [KeepTogether(block), Spacer(1, 5 * mm)]
    return document.build([Section(story)])
