"""Certificates: list, PDF, revocation, registry export.

Organizers of a competition see its certificates with full ID numbers, print
them (one at a time, or a division's or the whole competition's valid ones in one PDF in
rank order, made by a job: ``certificate_jobs``),
revoke one with a reason (which reverts the promotion) and download the register
a provincial skills-evaluation platform records. A contestant downloads their
own from their private link (``/r/<token>``), with the ID number masked.

Every PDF served is signed (PAdES) when the installation has a signing key
(``signing``); if that key cannot be used, the download is refused with a 503
page saying so, never served unsigned.
"""

from __future__ import annotations

import io
import logging
from collections import Counter
from datetime import date

from flask import (
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    send_file,
    url_for,
)
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from competition.entries.access import entry_by_token
from competition.errors import DomainError
from competition.events.access import competition_for_organizer, require_organizer_of
from competition.events.models import Division
from competition.extensions import db
from competition.grades import certificate_jobs, certificate_pdf, certificates, signing
from competition.grades.certificate_forms import RevokeForm
from competition.grades.models import Certificate
from competition.grades.views import bp
from competition.jobs.queue import start_job
from competition.web import flash_domain_error

log = logging.getLogger(__name__)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.get("/competitions/<int:competition_id>/certificates")
@login_required
def certificates_index(competition_id: int):
    """The competition's certificates: number, holder, grade, date, status; PDF and revoke."""
    competition = competition_for_organizer(competition_id)
    issued = certificates.certificates_of(db.session, competition.id)
    return render_template("grades/certificates.html", competition=competition,
                           certificates=issued, form=RevokeForm(),
                           revoked=sum(1 for c in issued if c.revoked_at),
                           divisions=_divisions(issued))


def _divisions(issued: list[Certificate]) -> list[tuple[Division, int, int]]:
    """The divisions with certificates, in the order of the list, with how many are valid
    (printed together) and how many revoked (left out)."""
    valid: Counter[int] = Counter()
    revoked: Counter[int] = Counter()
    divisions: dict[int, Division] = {}
    for certificate in issued:
        division = certificate.promotion.entry.division
        divisions.setdefault(division.id, division)
        (revoked if certificate.revoked_at else valid)[division.id] += 1
    return [(division, valid[key], revoked[key]) for key, division in divisions.items()]


@bp.post("/divisions/<int:division_id>/certificates/print")
@login_required
def print_certificates(division_id: int):
    """Print every valid certificate of a division as a job: one PDF, one page each in
    rank order, with full ID numbers (organizers). Revoked certificates are left out."""
    division = db.get_or_404(Division, division_id)
    event = division.event
    require_organizer_of(event.competition_id)
    if not certificates.printable_certificates(db.session, division):
        flash(_("%(event)s · %(division)s has no valid certificates to print.",
                event=event.name, division=division.name), "warning")
        return redirect(url_for("grades.certificates_index", competition_id=event.competition_id))
    job = start_job(certificate_jobs.DIVISION_CERTIFICATES, event.competition_id,
                    {"division_id": division.id}, scope=f"{event.name} · {division.name}")
    return redirect(url_for("jobs.job", job_id=job.id))


@bp.post("/competitions/<int:competition_id>/certificates/print")
@login_required
def print_competition_certificates(competition_id: int):
    """Print every valid certificate of the competition as one job, event by event."""
    competition = competition_for_organizer(competition_id)
    if not certificate_jobs.competition_printable(db.session, competition.id):
        flash(_("%(competition)s has no valid certificates to print.",
                competition=competition.name), "warning")
        return redirect(url_for("grades.certificates_index", competition_id=competition.id))
    job = start_job(certificate_jobs.COMPETITION_CERTIFICATES, competition.id,
                    {"competition_id": competition.id}, scope=competition.name)
    return redirect(url_for("jobs.job", job_id=job.id))


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
        return redirect(url_for("grades.certificates_index", competition_id=competition_id))
    try:
        certificates.revoke(db.session, current_user, certificate, form.reason.data)
    except DomainError as error:
        flash_domain_error(error)
    else:
        flash(_("Certificate %(number)s is revoked.", number=certificate.number), "success")
    return redirect(url_for("grades.certificates_index", competition_id=competition_id))


@bp.get("/competitions/<int:competition_id>/certificates/registry.xlsx")
@login_required
def registry(competition_id: int):
    """The register of certificates for the provincial platform (.xlsx, full ID numbers)."""
    competition = competition_for_organizer(competition_id)
    data = certificates.registry_xlsx(certificates.certificates_of(db.session, competition.id))
    response = send_file(io.BytesIO(data), mimetype=XLSX, as_attachment=True,
                         download_name=f"{competition.name}-{_('Certificates')}-{date.today():%Y%m%d}.xlsx")
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _certificate_for_organizer(certificate_id: int) -> Certificate:
    certificate = certificates.certificate_by_id(db.session, certificate_id)
    if certificate is None:
        abort(404)
    require_organizer_of(certificate.promotion.entry.event.competition_id)
    return certificate


def _pdf(certificate: Certificate, *, mask_id: bool):
    pdf = certificate_pdf.build_pdf(
        certificate_jobs.certificate_sheet(certificate, mask_id=mask_id))
    return _pdf_response(pdf, f"{_('Certificate')}-{certificate.number}.pdf")


def _pdf_response(pdf: bytes, filename: str):
    """The PDF, signed when the installation signs its certificates."""
    try:
        with force_locale("zh"):
            reason = _("Vocational skill grade certificate")
        pdf = signing.sign_if_configured(pdf, reason=reason)
    except signing.SigningError as error:
        log.error("certificate PDF not served: %s", error)
        response = make_response(render_template("error.html", status=503, message=_(
            "The certificate cannot be signed at the moment: the signing key of this "
            "installation cannot be used. Nothing was downloaded; tell the system "
            "administrator.")), 503)
        response.headers["Cache-Control"] = "private, no-store"
        return response
    response = send_file(io.BytesIO(pdf), mimetype="application/pdf", as_attachment=False,
                         download_name=filename)
    response.headers["Cache-Control"] = "private, no-store"
    return response

