"""Certificates an employer can rely on.

- The QR code's secret shows who the certificate belongs to — full name, photo, the ID
  number's last four characters — so a copied QR code on a forged paper shows someone
  else; a typed number and name still show only the masked name, and a wrong code
  nothing more than no code.
- Revoking a certificate reverts its promotion (audited), and the verification page, the
  register and the organizers' pages say the grade is withdrawn.
- With a signing key configured every certificate PDF carries a PAdES signature that
  validates over the whole file, and an altered copy does not; a key that cannot be
  used stops the app at start-up, or gives a clear 503 at first use.
- A division's valid certificates print as one PDF, in rank order.
"""

from __future__ import annotations

import io
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from flask_babel import force_locale, format_datetime, gettext
from openpyxl import load_workbook
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import select

from competition.audit.models import AuditEvent
from competition.auth.models import User
from competition.config import ConfigError
from competition.entries.idcard import mask_name
from competition.extensions import db
from competition.grades import certificates
from competition.grades.models import Certificate, Promotion
from competition.integrity import verify_database
from tests import builders
from tests.builders import issued
from tests.conftest import make_app
from tests.helpers import job_file, neutral, read_pdf, text_of

WITHDRAWN = "Revoked; the grade it gave is withdrawn"


def zh(message: str, **params) -> str:
    """A message as the Chinese pages show it (the English id until it is translated)."""
    with force_locale("zh"):
        return gettext(message, **params)


def holder_of(certificate: Certificate):
    return certificate.promotion.entry.contestant


def last_four(id_number: str) -> str:
    return "*" * (len(id_number) - 4) + id_number[-4:]


def qr_url(certificate: Certificate) -> str:
    return f"/v/{certificate.number}?c={certificate.verification_code}"


@pytest.fixture
def photo(app, tmp_path, monkeypatch):
    """Photos stored under a throwaway instance folder; ``photo(person)`` gives one a
    photo and returns its bytes."""
    monkeypatch.setattr(app, "instance_path", str(tmp_path))

    def give(person) -> bytes:
        buffer = io.BytesIO()
        Image.new("RGB", (132, 185), (200, 80, 40)).save(buffer, "PNG")
        (tmp_path / "photos").mkdir(exist_ok=True)
        (tmp_path / "photos" / f"{person.id}.png").write_bytes(buffer.getvalue())
        person.photo_path = f"photos/{person.id}.png"
        db.session.commit()
        return buffer.getvalue()

    return give


# --- Verification with and without the QR code's secret ------------------------------------

def test_the_qr_code_shows_the_full_name_the_photo_and_the_ids_last_four(app, client,
                                                                          photo):
    _, _, [certificate] = issued()
    person = holder_of(certificate)
    image = photo(person)

    page = client.get(qr_url(certificate))
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "private, no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert 'data-status="valid"' in page.text
    assert f"<dd data-holder-name>{person.name}</dd>" in page.text
    assert f'<span class="mono" data-id-number>{last_four(person.id_number)}</span>' \
        in page.text
    assert person.id_number not in page.text and "居民身份证" in page.text
    [src] = re.findall(r'<img class="holder-photo" src="([^"]+)"', page.text)
    assert src == (f"/v/{certificate.number}/photo?c={certificate.verification_code}")

    served = client.get(src)
    assert served.status_code == 200 and served.mimetype == "image/png"
    assert served.data == image
    assert served.headers["Cache-Control"] == "private, no-store"
    assert served.headers["Referrer-Policy"] == "no-referrer"
    assert "ETag" not in served.headers


def test_without_a_photo_on_file_the_page_says_so(app, client):
    _, _, [certificate] = issued()
    page = client.get(qr_url(certificate))
    assert 'data-photo="none"' in page.text and "holder-photo" not in page.text
    assert client.get(f"/v/{certificate.number}/photo?c="
                      f"{certificate.verification_code}").status_code == 404


def test_a_typed_number_and_name_show_only_the_masked_name(app, client, photo):
    _, _, [certificate] = issued()
    person = holder_of(certificate)
    photo(person)
    page = client.post(f"/v/{certificate.number}", data={"name": person.name})
    assert 'data-status="valid"' in page.text
    assert f"<dd data-holder-name>{mask_name(person.name)}</dd>" in page.text
    for hidden in ("data-holder>", "data-id-number", "holder-photo", "/photo",
                   person.id_number[-4:], certificate.verification_code):
        assert hidden not in page.text, hidden
    assert page.headers["Cache-Control"] == "private, no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"


def test_a_forged_qr_code_with_the_right_number_shows_nothing_more(app, client, photo):
    _, _, [certificate, other] = issued(2)
    person = holder_of(certificate)
    photo(person)
    forged = f"/v/{certificate.number}?c={other.verification_code}"
    page = client.get(forged)
    assert page.status_code == 200
    assert 'name="name"' in page.text and "data-status" not in page.text
    for hidden in (person.name, mask_name(person.name), person.id_number[-4:],
                   "holder-photo", "三级/高级工"):
        assert hidden not in page.text, hidden
    # The same page as no code at all, or as a number never issued.
    unknown = certificate.number[:-6] + "000999"
    plain = neutral(client.get(f"/v/{certificate.number}").text, certificate.number)
    assert neutral(page.text, certificate.number) == plain
    assert neutral(client.get(f"/v/{unknown}?c=x").text, unknown) == plain
    # The photo needs the certificate's own code.
    for url in (f"/v/{certificate.number}/photo?c={other.verification_code}",
                f"/v/{certificate.number}/photo", f"/v/{certificate.number}/photo?c=",
                f"/v/{unknown}/photo?c={certificate.verification_code}",
                "/v/not-a-number/photo"):
        assert client.get(url).status_code == 404, url
    # Typing the holder's name is no way to the photo or the ID either.
    typed = client.post(forged, data={"name": person.name})
    assert 'data-status="valid"' in typed.text and "holder-photo" not in typed.text
    assert person.id_number[-4:] not in typed.text


def test_only_a_photo_file_under_the_instance_folder_is_served(app, client, photo,
                                                                tmp_path):
    _, _, [certificate] = issued()
    person = holder_of(certificate)
    photo(person)
    url = f"/v/{certificate.number}/photo?c={certificate.verification_code}"
    for path in ("../../etc/passwd", "/etc/hostname", "photos/missing.png"):
        person.photo_path = path
        db.session.commit()
        assert client.get(url).status_code == 404, path
    (tmp_path / "photos" / "evil.svg").write_text("<svg onload='alert(1)'/>")
    person.photo_path = "photos/evil.svg"
    db.session.commit()
    assert client.get(url).status_code == 404
    assert "holder-photo" not in client.get(qr_url(certificate)).text


# --- Revocation reverts the promotion --------------------------------------------------------

def test_revoking_reverts_the_promotion_in_the_same_transaction_audited(app, client,
                                                                         login_as):
    organizer = login_as("organizer")
    _, _, [certificate] = issued(organizer=organizer)
    promotion_id = certificate.promotion_id
    response = client.post(f"/certificates/{certificate.id}/revoke",
                           data={"reason": "报名材料弄虚作假"}, follow_redirects=True)
    assert response.status_code == 200
    db.session.expire_all()
    certificate = db.session.get(Certificate, certificate.id)
    promotion = db.session.get(Promotion, promotion_id)
    assert promotion.reverted_at is not None
    assert promotion.reverted_at == certificate.revoked_at
    assert promotion.reverted_by_id == organizer.id
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "promotion.revert"))
    assert audit.object_type == "promotion" and audit.object_id == str(promotion.id)
    assert audit.actor_id == organizer.id and audit.reason == "报名材料弄虚作假"
    assert '"grade":3' in audit.old_value.replace(" ", "")
    assert '"grade":null' in audit.new_value.replace(" ", "")
    assert certificate.number in audit.new_value
    assert verify_database(db.session).intact
    # Revoking again is refused and changes nothing.
    reverted_at = promotion.reverted_at
    client.post(f"/certificates/{certificate.id}/revoke", data={"reason": "再次"})
    db.session.expire_all()
    assert db.session.get(Promotion, promotion_id).reverted_at == reverted_at
    assert len(db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "promotion.revert")).all()) == 1


def test_a_refused_revocation_reverts_nothing(app):
    organizer, _, [certificate] = issued()
    with pytest.raises(certificates.CertificateError):
        certificates.revoke(db.session, organizer, certificate, "   ")
    db.session.rollback()
    assert db.session.get(Promotion, certificate.promotion_id).reverted_at is None


def test_a_revoked_certificate_says_the_grade_is_withdrawn_everywhere(app, client, auth,
                                                                     login_as):
    organizer = login_as("organizer")
    _, event, [kept, revoked] = issued(2, organizer=organizer)
    certificates.revoke(db.session, organizer, revoked, "重复颁发")
    db.session.commit()
    with app.test_request_context():
        when = format_datetime(revoked.revoked_at, "short")
    withdrawn = zh(WITHDRAWN)

    # The organizers' list.
    listing = client.get(f"/competitions/{event.competition_id}/certificates").text
    row = listing.split(f'id="certificate-{revoked.id}"')[1].split("</tr>")[0]
    assert withdrawn in row and "重复颁发" in row and when in row
    assert withdrawn not in listing.split(f'id="certificate-{kept.id}"')[1].split("</tr>")[0]

    # The register: status, date and reason.
    sheet = load_workbook(io.BytesIO(client.get(
        f"/competitions/{event.competition_id}/certificates/registry.xlsx").data)).active
    rows = {row[7]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    local = revoked.revoked_at.astimezone(ZoneInfo(app.config["BABEL_DEFAULT_TIMEZONE"])).date()
    assert rows[revoked.number][12:] == (withdrawn, datetime(local.year, local.month,
                                                             local.day), "重复颁发")
    assert rows[kept.number][12:] == ("有效", None, None)

    # The verification page, through the QR code: revoked, withdrawn, when and why.
    client.post("/logout")
    page = client.get(qr_url(revoked)).text
    assert 'data-status="revoked"' in page and 'data-grade="withdrawn"' in page
    assert zh("The grade it gave is withdrawn") in page
    assert zh("This certificate was revoked on %(date)s and the grade it gave, %(grade)s, "
              "is withdrawn: it no longer proves that grade.", date=when,
              grade="三级/高级工") in page
    assert "重复颁发" in page
    # Typed number and name: revoked and withdrawn, but not why.
    typed = client.post(f"/v/{revoked.number}", data={"name": holder_of(revoked).name}).text
    assert 'data-grade="withdrawn"' in typed and "重复颁发" not in typed

    # The PDF of the revoked certificate.
    auth.login(organizer.username)
    text = text_of(read_pdf(client.get(f"/certificates/{revoked.id}.pdf")))
    assert "重复颁发" in text


# --- Signatures ---------------------------------------------------------------------------

def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "测试人社局"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _certificate(subject, issuer, public_key, signing_key, *, ca: bool, days: int = 30):
    now = datetime.now(UTC)
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer)
               .public_key(public_key).serial_number(x509.random_serial_number())
               .not_valid_before(now - timedelta(days=3))
               .not_valid_after(now + timedelta(days=days))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
               .add_extension(x509.KeyUsage(
                   digital_signature=not ca, content_commitment=not ca, key_encipherment=False,
                   data_encipherment=False, key_agreement=False, key_cert_sign=ca,
                   crl_sign=ca, encipher_only=False, decipher_only=False), critical=True))
    return builder.sign(signing_key, hashes.SHA256())


@pytest.fixture(scope="module")
def throwaway_pki(tmp_path_factory):
    """A throwaway root and a signing certificate it issued, as a PKCS#12 file."""
    root_key = ec.generate_private_key(ec.SECP256R1())
    root = _certificate(_name("Throwaway test root"), _name("Throwaway test root"),
                        root_key.public_key(), root_key, ca=True)
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = _certificate(_name("咸宁市职业技能证书签发"), root.subject, key.public_key(),
                        root_key, ca=False)
    folder = tmp_path_factory.mktemp("pki")
    p12 = folder / "signing.p12"
    p12.write_bytes(pkcs12.serialize_key_and_certificates(
        b"signing", key, leaf, [root], serialization.BestAvailableEncryption(b"s3cret-p12")))
    return {"path": str(p12), "password": "s3cret-p12", "root": root, "folder": folder}


@pytest.fixture
def signing_app(app, throwaway_pki):
    app.config.update(CERTIFICATE_SIGNING_KEY=throwaway_pki["path"],
                      CERTIFICATE_SIGNING_PASSWORD=throwaway_pki["password"])
    return app


def _status(data: bytes, root: x509.Certificate):
    from asn1crypto import x509 as asn1_x509
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    reader = PdfFileReader(io.BytesIO(data))
    [signature] = reader.embedded_signatures
    trusted = asn1_x509.Certificate.load(root.public_bytes(serialization.Encoding.DER))
    context = ValidationContext(trust_roots=[trusted], allow_fetching=False)
    # pyHanko validates with an event loop of its own: in a thread of its own, as a
    # browser test earlier in the session may leave one running in this thread.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(validate_pdf_signature, signature, context).result()


def test_a_signed_certificate_validates_over_the_whole_file(signing_app, client, login_as,
                                                             throwaway_pki):
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    organizer = login_as("organizer")
    _, _, [certificate] = issued(organizer=organizer)
    response = client.get(f"/certificates/{certificate.id}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    status = _status(response.data, throwaway_pki["root"])
    assert status.intact and status.valid and status.trusted
    assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    assert status.bottom_line
    assert status.signing_cert.subject.native["common_name"] == "咸宁市职业技能证书签发"
    # Still the certificate, readable as before.
    text = text_of(PdfReader(io.BytesIO(response.data)))
    assert certificate.number in text and holder_of(certificate).name in text
    # The contestant's own copy is signed too.
    client.post("/logout")
    own = client.get(f"/r/{certificate.promotion.entry.token}/certificate.pdf")
    assert _status(own.data, throwaway_pki["root"]).bottom_line


def test_an_altered_copy_does_not_validate(signing_app, client, login_as, throwaway_pki):
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    organizer = login_as("organizer")
    _, _, [certificate] = issued(organizer=organizer)
    signed = client.get(f"/certificates/{certificate.id}.pdf").data

    # A byte changed inside the signed range (the creator in the document's info).
    position = signed.index(b"(competition)")
    assert position < PdfFileReader(io.BytesIO(signed)).embedded_signatures[0].byte_range[1]
    flipped = signed[:position + 1] + b"C" + signed[position + 2:]
    status = _status(flipped, throwaway_pki["root"])
    assert not status.intact and not status.bottom_line

    # An incremental update that paints over the page (e.g. to write another name).
    writer = IncrementalPdfFileWriter(io.BytesIO(signed))
    cover = writer.add_object(generic.StreamObject(
        stream_data=b"1 1 1 rg 100 500 300 60 re f"))
    writer.add_stream_to_page(0, cover)
    altered = io.BytesIO()
    writer.write(altered)
    status = _status(altered.getvalue(), throwaway_pki["root"])
    assert status.coverage != SignatureCoverageLevel.ENTIRE_FILE
    assert not status.docmdp_ok and not status.bottom_line


def test_without_a_signing_key_nothing_is_signed(app, client, login_as):
    from pyhanko.pdf_utils.reader import PdfFileReader

    assert not app.config.get("CERTIFICATE_SIGNING_KEY")
    organizer = login_as("organizer")
    _, _, [certificate] = issued(organizer=organizer)
    data = client.get(f"/certificates/{certificate.id}.pdf").data
    assert PdfFileReader(io.BytesIO(data)).embedded_signatures == []


def test_an_unusable_signing_key_stops_the_app_at_start(database_url, throwaway_pki):
    missing = str(throwaway_pki["folder"] / "missing.p12")
    with pytest.raises(ConfigError, match="CERTIFICATE_SIGNING_KEY.*missing.p12"):
        make_app(database_url, CERTIFICATE_SIGNING_KEY=missing)
    with pytest.raises(ConfigError, match="not its password"):
        make_app(database_url, CERTIFICATE_SIGNING_KEY=throwaway_pki["path"],
                 CERTIFICATE_SIGNING_PASSWORD="wrong")
    not_p12 = throwaway_pki["folder"] / "key.pem"
    not_p12.write_text("-----BEGIN PRIVATE KEY-----\n")
    with pytest.raises(ConfigError, match="PKCS#12"):
        make_app(database_url, CERTIFICATE_SIGNING_KEY=str(not_p12))
    # A certificate that has expired: every signature would read as invalid.
    key = ec.generate_private_key(ec.SECP256R1())
    expired = _certificate(_name("过期"), _name("过期"), key.public_key(), key, ca=False,
                           days=-2)
    old = throwaway_pki["folder"] / "expired.p12"
    old.write_bytes(pkcs12.serialize_key_and_certificates(
        b"old", key, expired, None, serialization.NoEncryption()))
    with pytest.raises(ConfigError, match="not now"):
        make_app(database_url, CERTIFICATE_SIGNING_KEY=str(old))
    app = make_app(database_url, CERTIFICATE_SIGNING_KEY=throwaway_pki["path"],
                   CERTIFICATE_SIGNING_PASSWORD=throwaway_pki["password"])
    assert app.config["CERTIFICATE_SIGNING_KEY"] == throwaway_pki["path"]


def test_a_key_lost_after_the_start_gives_a_clear_page_not_an_unsigned_pdf(
        signing_app, client, login_as, throwaway_pki, caplog):
    organizer = login_as("organizer")
    _, event, [certificate] = issued(organizer=organizer)
    signing_app.config["CERTIFICATE_SIGNING_KEY"] = str(throwaway_pki["folder"] / "gone.p12")
    response = client.get(f"/certificates/{certificate.id}.pdf")
    assert response.status_code == 503
    assert response.mimetype == "text/html"
    assert "gone.p12" not in response.text  # the path is for the log, not the page
    assert zh("The certificate cannot be signed at the moment: the signing key of this "
              "installation cannot be used. Nothing was downloaded; tell the system "
              "administrator.") in response.text
    # A division's certificates are printed by a job: it fails, saying why, and keeps
    # nothing unsigned.
    started = client.post(f"/divisions/{event.divisions[0].id}/certificates/print")
    job = client.get(started.headers["Location"] + ".json").json
    assert job["status"] == "failed" and job["file_url"] is None
    assert "gone.p12" not in job["error"]
    assert job["error"] == zh("The certificates cannot be signed at the moment: the signing "
                              "key of this installation cannot be used. Nothing was kept; "
                              "tell the system administrator.")
    assert "gone.p12" in caplog.text


# --- A division's certificates in one PDF --------------------------------------------------

@pytest.fixture
def final_division(final_tea):
    """The small competition with 茶艺师 final (``builders.tea_competition``,
    certificates issued): the division with the most certificates."""
    from sqlalchemy import func

    from competition.entries.models import Entry
    from competition.events.models import Division

    division_id = db.session.scalars(
        select(Entry.division_id).join(Promotion, Promotion.entry_id == Entry.id)
        .join(Certificate, Certificate.promotion_id == Promotion.id)
        .group_by(Entry.division_id).order_by(func.count().desc())).first()
    return db.session.get(Division, division_id)


def test_a_divisions_valid_certificates_print_as_one_signed_pdf_in_rank_order(
        final_division, client, auth, signing_app, throwaway_pki):
    from competition.results.models import Result

    division = final_division
    issued_here = certificates.printable_certificates(db.session, division)
    assert len(issued_here) >= 3
    organizer = db.session.scalar(select(User).where(User.username == "organizer"))
    left_out = issued_here[1]
    certificates.revoke(db.session, organizer, left_out, "测试撤销")
    db.session.commit()
    expected = [c for c in issued_here if c.id != left_out.id]
    ranks = [db.session.scalar(select(Result.rank).where(
        Result.entry_id == c.promotion.entry_id)) for c in expected]
    assert None not in ranks and ranks == sorted(ranks)

    auth.login(builders.ORGANIZER)
    listing = client.get(f"/competitions/{division.event.competition_id}/certificates").text
    section = listing.split('id="print-divisions"')[1].split("</section>")[0]
    row = section.split(f'id="print-division-{division.id}"')[1].split("</tr>")[0]
    assert f"/divisions/{division.id}/certificates/print" in row
    assert f'<td class="num">{len(expected)}</td><td class="num">1</td>' in row
    assert zh("One PDF per division with every valid certificate, one page each in rank "
              "order. Revoked certificates are left out.") in section

    response = job_file(client, f"/divisions/{division.id}/certificates/print")
    assert response.headers["Cache-Control"] == "private, no-store"
    pdf = read_pdf(response)
    assert len(pdf.pages) == len(expected)
    for page, certificate in zip(pdf.pages, expected, strict=True):
        text = page.extract_text()
        assert certificate.number in text
        assert holder_of(certificate).id_number in text  # the organizers' copy
    assert left_out.number not in text_of(pdf)
    assert _status(response.data, throwaway_pki["root"]).bottom_line


def test_only_the_competitions_organizers_print_a_division(app, client, auth, login_as):
    organizer, event, _ = issued(2)
    division = event.divisions[0]
    url = f"/divisions/{division.id}/certificates/print"
    assert "/login" in client.post(url).headers["Location"]
    login_as("organizer")  # an organizer of another competition
    assert client.post(url).status_code == 403
    client.post("/logout")
    login_as("judge")
    assert client.post(url).status_code == 403
    client.post("/logout")
    auth.login(organizer.username)
    assert len(read_pdf(job_file(client, url)).pages) == 2
    assert client.post("/divisions/999999/certificates/print").status_code == 404


def test_a_division_with_nothing_valid_to_print_says_so(app, client, auth):
    organizer, event, issued_here = issued(2)
    for certificate in issued_here:
        certificates.revoke(db.session, organizer, certificate, "测试撤销")
    db.session.commit()
    auth.login(organizer.username)
    division = event.divisions[0]
    listing = client.get(f"/competitions/{event.competition_id}/certificates").text
    assert f"/divisions/{division.id}/certificates/print" not in listing
    response = client.post(f"/divisions/{division.id}/certificates/print",
                           follow_redirects=True)
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert zh("%(event)s · %(division)s has no valid certificates to print.",
              event=event.name, division=division.name) in response.text
