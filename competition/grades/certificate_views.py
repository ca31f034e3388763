"""Certificates: list, PDF, revocation, registry export.

Organizers of a competition see its certificates with full ID numbers, print
them, revoke one with a reason and download the register a provincial
skills-evaluation platform records. A contestant downloads their own from
their private link (``/r/<token>``), with the ID number masked.
"""

from __future__ import annotations

import io
import os
from datetime import date

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from competition.auth.permissions import require_organizer_of
from competition.entries.models import Contestant
from competition.errors import DomainError
from competition.events.models import Competition
from competition.extensions import db
from competition.grades import certificate_pdf, certificates
from competition.grades.certificate_forms import RevokeForm
from competition.grades.models import Certificate
from competition.web import entry_by_token, flash_domain_error

bp = Blueprint("certificates", __name__)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.get("/competitions/<int:competition_id>/certificates")
@login_required
def index(competition_id: int):
    """The competition's certificates: number, holder, grade, date, status; PDF and revoke."""
    competition = db.get_or_404(Competition, competition_id)
    require_organizer_of(competition.id)
    issued = certificates.certificates_of(db.session, competition.id)
    return render_template("grades/certificates.html", competition=competition,
                           certificates=issued, form=RevokeForm(),
                           revoked=sum(1 for c in issued if c.revoked_at))


@bp.get("/certificates/<int:certificate_id>.pdf")
@login_required
def pdf(certificate_id: int):
    """One certificate as printed, with the full ID number (organizers)."""
    certificate = _certificate_for_organizer(certificate_id)
    return _pdf(certificate, mask_id=False)


@bp.get("/r/<token>/certificate.pdf")
def my_pdf(token: str):
    """The contestant's own certificate, by the secret of their private link; the ID
    number is masked, since the link may be forwarded."""
    entry = entry_by_token(token)
    certificate = certificates.certificate_of_entry(db.session, entry.id)
    if certificate is None:
        abort(404)
    return _pdf(certificate, mask_id=True)


@bp.post("/certificates/<int:certificate_id>/revoke")
@login_required
def revoke(certificate_id: int):
    """Revoke a certificate, with the reason (organizers). It shows as revoked wherever
    it is checked from then on."""
    certificate = _certificate_for_organizer(certificate_id)
    competition_id = certificate.promotion.entry.event.competition_id
    form = RevokeForm()
    if not form.validate_on_submit():
        flash(_("Give the reason for revoking the certificate."), "error")
        return redirect(url_for("certificates.index", competition_id=competition_id))
    try:
        certificates.revoke(db.session, current_user, certificate, form.reason.data)
    except DomainError as error:
        flash_domain_error(error)
    else:
        db.session.commit()
        flash(_("Certificate %(number)s is revoked.", number=certificate.number), "success")
    return redirect(url_for("certificates.index", competition_id=competition_id))


@bp.get("/competitions/<int:competition_id>/certificates/registry.xlsx")
@login_required
def registry(competition_id: int):
    """The register of certificates for the provincial platform (.xlsx, full ID numbers)."""
    competition = db.get_or_404(Competition, competition_id)
    require_organizer_of(competition.id)
    data = certificates.registry_xlsx(certificates.certificates_of(db.session, competition.id))
    response = send_file(io.BytesIO(data), mimetype=XLSX, as_attachment=True,
                         download_name=f"certificates-{competition.id}-{date.today():%Y%m%d}.xlsx")
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _certificate_for_organizer(certificate_id: int) -> Certificate:
    certificate = certificates.certificate_by_id(db.session, certificate_id)
    if certificate is None:
        abort(404)
    require_organizer_of(certificate.promotion.entry.event.competition_id)
    return certificate




def _pdf(certificate: Certificate, *, mask_id: bool):
    url = url_for("verify.certificate", number=certificate.number,
                  c=certificate.verification_code, _external=True)
    sheet = certificate_pdf.sheet_for(
        certificate, url, mask_id=mask_id,
        photo=_photo_path(certificate.promotion.entry.contestant))
    response = send_file(io.BytesIO(certificate_pdf.build_pdf(sheet)),
                         mimetype="application/pdf", as_attachment=False,
                         download_name=f"certificate-{certificate.number}.pdf")
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _photo_path(contestant: Contestant) -> str | None:
    """A contestant's photo file, if one is stored under the instance folder."""
    if not contestant.photo_path:
        return None
    root = os.path.realpath(current_app.instance_path)
    path = os.path.realpath(os.path.join(root, contestant.photo_path))
    if os.path.commonpath([root, path]) != root or not os.path.isfile(path):
        return None
    return path
