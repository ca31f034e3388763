"""No full ID number or phone number in any page or export that is not the organizers'.

The demo is taken through every stage (scored, on public notice, final with
certificates); then every public page and public export is fetched — as an
anonymous visitor, with each contestant's private link — and searched for every
contestant's ID number and phone (also with the ID's last letter in lower case,
and in the PDFs' extracted text).
"""

import io

from pypdf import PdfReader
from sqlalchemy import select

from competition.entries.models import Contestant, Entry
from competition.extensions import db
from competition.grades.models import Certificate
from competition.results.models import Publication


def _text(response) -> str:
    assert response.status_code == 200, response.request.path
    if response.mimetype == "application/pdf":
        reader = PdfReader(io.BytesIO(response.data))
        return "\n".join(page.extract_text() for page in reader.pages)
    return response.get_data(as_text=True)


def test_public_pages_and_exports_never_show_a_full_id_number_or_phone(staged_demo, client):

    urls = ["/results"]
    for publication in db.session.scalars(select(Publication)):
        urls += [f"/results/divisions/{publication.division_id}",
                 f"/divisions/{publication.division_id}/notice.pdf",
                 f"/api/v1/divisions/{publication.division_id}/results"]
    for entry in db.session.scalars(select(Entry)):
        urls += [f"/r/{entry.token}", f"/api/v1/contestant/{entry.token}/result"]
        if db.session.scalar(select(Publication.id).where(
                Publication.division_id == entry.division_id)):
            urls.append(f"/r/{entry.token}/score-report.pdf")
    for certificate in db.session.scalars(select(Certificate)):
        token = certificate.promotion.entry.token
        urls += [f"/v/{certificate.number}?c={certificate.verification_code}",
                 f"/v/{certificate.number}",
                 f"/api/v1/certificates/{certificate.number}?code="
                 f"{certificate.verification_code}",
                 f"/r/{token}/certificate.pdf"]
    assert len(urls) > 60

    secrets = set()
    for person in db.session.scalars(select(Contestant)):
        secrets |= {person.id_number, person.id_number.lower()}
        if person.phone:
            secrets.add(person.phone)
    for url in urls:
        text = _text(client.get(url))
        leaked = [secret for secret in secrets if secret in text]
        assert not leaked, f"{url} shows {leaked}"
