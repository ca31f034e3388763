"""Certificates printed as a job: a division's valid certificates, or a whole competition's,
one A4 page each in rank order, with full ID numbers (for the organizers' printer).

Each chunk of ``JOBS_PDF_CHUNK`` certificates is drawn as one ReportLab document and
joined to the file as it is made. When the installation signs its certificates
(``signing``), the whole bundle is signed once it is complete; if the key cannot be used,
the job fails saying so and nothing unsigned is kept.
"""

from __future__ import annotations

import io
from datetime import date

from flask import current_app, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from competition.errors import N_
from competition.events.models import Competition, Division, Event
from competition.grades import certificate_pdf, certificates, signing
from competition.grades.certificates import CertificateError
from competition.grades.models import Certificate
from competition.jobs.registry import register
from competition.jobs.runner import JobRun, join_pdf

DIVISION_CERTIFICATES = "certificates.division"
COMPETITION_CERTIFICATES = "certificates.competition"
NONE_IN_DIVISION = N_("%(event)s · %(division)s has no valid certificates to print.")
NONE_IN_COMPETITION = N_("%(competition)s has no valid certificates to print.")


def register_jobs() -> None:
    register(DIVISION_CERTIFICATES, division_certificates,
             label=_l("Certificates for printing"))
    register(COMPETITION_CERTIFICATES, competition_certificates,
             label=_l("Certificates of the whole competition for printing"))


def certificate_sheet(certificate: Certificate, *,
                      mask_id: bool) -> certificate_pdf.CertificateSheet:
    """A certificate as printed, its QR code the absolute address of its check."""
    url = url_for("grades.verify_certificate", number=certificate.number,
                  c=certificate.verification_code, _external=True)
    return certificate_pdf.sheet_for(
        certificate, url, mask_id=mask_id,
        photo=certificates.photo_file(certificate.promotion.entry.contestant,
                                      current_app.instance_path))


def competition_printable(session, competition_id: int) -> list[Certificate]:
    """The valid certificates of every division of the competition, event by event and
    division by division, each division's in rank order."""
    divisions = session.scalars(select(Division).join(Event, Event.id == Division.event_id)
                                .where(Event.competition_id == competition_id)
                                .order_by(Event.position, Event.id, Division.position,
                                          Division.id)).all()
    return [certificate for division in divisions
            for certificate in certificates.printable_certificates(session, division)]


def division_certificates(run: JobRun) -> None:
    division = run.session.get(Division, run.params["division_id"])
    event = division.event
    printable = certificates.printable_certificates(run.session, division)
    if not printable:
        raise CertificateError(NONE_IN_DIVISION, event=event.name, division=division.name)
    with force_locale("zh"):
        title = f"{event.name} · {division.name} · {_('Vocational skill grade certificate')}"
    name = f"{event.name}-{division.name}-{_('Certificates')}-{date.today():%Y%m%d}.pdf"
    _bundle(run, printable, title, name)


def competition_certificates(run: JobRun) -> None:
    competition = run.session.get(Competition, run.params["competition_id"])
    printable = competition_printable(run.session, competition.id)
    if not printable:
        raise CertificateError(NONE_IN_COMPETITION, competition=competition.name)
    with force_locale("zh"):
        title = f"{competition.name} · {_('Vocational skill grade certificate')}"
    name = f"{competition.name}-{_('Certificates')}-{date.today():%Y%m%d}.pdf"
    _bundle(run, printable, title, name)


def _bundle(run: JobRun, printable: list[Certificate], title: str, name: str) -> None:
    run.set_total(len(printable))
    chunks = (certificate_pdf.build_bundle(
        run.counted(certificate_sheet(c, mask_id=False) for c in chunk), title=title)
        for chunk in run.in_chunks(printable))
    if not signing.configured(current_app.config):
        run.write_pdf(name, chunks, title=title)
        return
    whole = io.BytesIO()
    join_pdf(chunks, whole, title=title)
    with force_locale("zh"):
        reason = _("Vocational skill grade certificate")
    try:
        signed = signing.sign_if_configured(whole.getvalue(), reason=reason)
    except signing.SigningError as error:
        raise CertificateError(N_(
            "The certificates cannot be signed at the moment: the signing key of this "
            "installation cannot be used. Nothing was kept; tell the system "
            "administrator.")) from error
    run.output(name, "application/pdf").write(signed)
