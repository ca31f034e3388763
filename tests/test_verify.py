"""Checking a certificate: the QR code of its PDF opens /v/<number>?c=<code>, which says
whether it is valid; without the code the holder's name is asked, and an unknown number,
a wrong code and a wrong name all get the same answer. The API follows the same rules."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from competition.entries.idcard import mask_name
from competition.extensions import db
from competition.grades import certificates
from competition.grades.models import Certificate
from tests.builders import issued
from tests.conftest import PHONE
from tests.helpers import neutral, qr_codes, read_pdf, text_of


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def test_the_qr_code_of_the_pdf_opens_a_page_that_says_valid(app, client, login_as):
    organizer = login_as("organizer")
    _, event, [certificate] = issued(organizer=organizer)
    person = certificate.promotion.entry.contestant
    pdf = read_pdf(client.get(f"/certificates/{certificate.id}.pdf"))
    [url] = qr_codes(pdf.pages[0])
    assert url == (f"http://localhost/v/{certificate.number}"
                   f"?c={certificate.verification_code}")
    assert "扫码核验证书真伪" in text_of(pdf)

    client.post("/logout")
    page = client.get(path_of(url))
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "private, no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    for expected in ("证书核验", certificate.number, 'data-status="valid"', "有效",
                     "养老护理员", "三级/高级工",
                     "2026年12月1日", "咸宁市人力资源和社会保障局", "竞赛选拔",
                     event.competition.name):
        assert expected in page.text, expected
    # The QR code's holder sees the full name and the ID's last four characters
    # (tests/test_certificate_trust.py); never the whole ID number, nor a form asking
    # for the name.
    assert person.name in page.text
    assert person.id_number not in page.text
    assert 'name="name"' not in page.text


def test_without_the_code_only_the_holders_name_opens_it(app, client):
    _, event, [certificate] = issued()
    person = certificate.promotion.entry.contestant
    url = f"/v/{certificate.number}"

    for asked in (url, f"{url}?c=wrong-code", f"{url}?c="):
        page = client.get(asked)
        assert page.status_code == 200
        assert 'name="name"' in page.text and "持证人姓名" in page.text
        for hidden in ('data-status', "三级/高级工", "养老护理员", event.competition.name,
                       mask_name(person.name)):
            assert hidden not in page.text

    wrong = client.post(url, data={"name": "王大锤"})
    assert wrong.status_code == 200
    assert 'data-outcome="no-match"' in wrong.text
    assert "未查到与该证书编号和姓名相符的证书" in wrong.text
    assert "三级/高级工" not in wrong.text

    # The name as printed, typed with stray spaces, opens it.
    right = client.post(url, data={"name": f" {person.name[0]} {person.name[1:]} "})
    assert 'data-status="valid"' in right.text and "三级/高级工" in right.text
    assert mask_name(person.name) in right.text


def test_an_unknown_number_a_wrong_code_and_a_wrong_name_look_the_same(app, client):
    _, _, [certificate] = issued()
    person = certificate.promotion.entry.contestant
    real = certificate.number
    unknown = real[:-6] + "000999"  # well formed, never issued

    def seen(number, query="", **kwargs):
        method = client.post if "data" in kwargs else client.get
        response = method(f"/v/{number}{query}", **kwargs)
        assert response.status_code == 200
        return neutral(response.text, number)

    assert seen(unknown) == seen(real) == seen(real, "?c=nope") == seen(unknown, "?c=nope")
    assert seen(unknown, data={"name": person.name}) == seen(real, data={"name": "王大锤"})
    assert client.get(f"/v/{unknown}?c={certificate.verification_code}").text.count(
        'name="name"') == 1
    # What cannot be a number is turned away at once.
    for garbage in ("S42014200012326300001", "X" * 22, "S420142000123263000000"):
        assert client.get(f"/v/{garbage}").status_code == 404


def test_a_revoked_certificate_shows_as_revoked_on_the_page_and_the_pdf(app, client,
                                                                       login_as):
    organizer = login_as("organizer")
    _, _, [certificate] = issued(organizer=organizer)
    client.post(f"/certificates/{certificate.id}/revoke", data={"reason": "弄虚作假"})
    db.session.expire_all()
    certificate = db.session.get(Certificate, certificate.id)
    assert certificate.revoked_at is not None

    text = text_of(read_pdf(client.get(f"/certificates/{certificate.id}.pdf")))
    assert "已撤销" in text and "弄虚作假" in text
    client.post("/logout")
    page = client.get(f"/v/{certificate.number}?c={certificate.verification_code}")
    assert 'data-status="revoked"' in page.text and "已撤销" in page.text
    assert 'data-grade="withdrawn"' in page.text and 'data-status="valid"' not in page.text
    # The reason is shown to whoever holds the QR code, never to someone who typed the
    # number and name (tests/test_certificate_trust.py).
    client.post("/logout")
    typed = client.post(f"/v/{certificate.number}",
                        data={"name": certificate.promotion.entry.contestant.name})
    assert 'data-status="revoked"' in typed.text and "弄虚作假" not in typed.text


# --- API -------------------------------------------------------------------------------------

def test_the_api_verifies_only_with_the_right_code(app, client):
    _, event, [certificate] = issued()
    person = certificate.promotion.entry.contestant
    url = f"/api/v1/certificates/{certificate.number}"
    found = client.get(f"{url}?code={certificate.verification_code}")
    assert found.status_code == 200
    body = found.get_json()
    # The code proves the link came from the certificate: enough to check the person.
    assert body == {
        "number": certificate.number, "name": person.name, "id_type": "居民身份证",
        "id_number": "*" * (len(person.id_number) - 4) + person.id_number[-4:],
        "revoke_reason": "",
        "occupation": "养老护理员", "occupation_code": "4-10-01-05", "grade": 3,
        "grade_label": "三级/高级工", "issued_on": "2026-12-01",
        "issuer": "咸宁市人力资源和社会保障局", "evaluation_method": "竞赛选拔",
        "competition": event.competition.name, "status": "valid", "revoked_at": None,
    }
    refusals = [client.get(u) for u in (
        url, f"{url}?code=wrong", f"/api/v1/certificates/{certificate.number[:-6]}000999"
        f"?code={certificate.verification_code}", "/api/v1/certificates/garbage")]
    assert {r.status_code for r in refusals} == {404}
    assert len({r.get_json()["message"] for r in refusals}) == 1


def test_the_api_lists_certificates_and_promotions_for_organizers(app, client, login_as):
    organizer = login_as("organizer")
    _, event, [first, second] = issued(2, organizer=organizer)
    certificates.revoke(db.session, organizer, second, "重复颁发")
    db.session.commit()
    listed = client.get(f"/api/v1/competitions/{event.competition_id}/certificates")
    assert listed.status_code == 200
    by_number = {c["number"]: c for c in listed.get_json()}
    assert set(by_number) == {first.number, second.number}
    person = first.promotion.entry.contestant
    one = by_number[first.number]
    assert one["id_number"] == person.id_number and one["name"] == person.name
    assert one["status"] == "valid" and one["verify_url"].endswith(
        f"/v/{first.number}?c={first.verification_code}")
    assert by_number[second.number]["status"] == "revoked"
    assert by_number[second.number]["revoke_reason"] == "重复颁发"

    division = event.divisions[0]
    promotions = client.get(f"/api/v1/divisions/{division.id}/promotions").get_json()
    assert [(p["to_grade_label"], p["certificate_number"], p["certificate_status"])
            for p in promotions] == [("三级/高级工", first.number, "valid"),
                                     ("三级/高级工", second.number, "revoked")]

    client.post("/logout")
    for url in (f"/api/v1/competitions/{event.competition_id}/certificates",
                f"/api/v1/divisions/{division.id}/promotions"):
        assert client.get(url).status_code == 401
    login_as("organizer")  # another competition's organizer
    for url in (f"/api/v1/competitions/{event.competition_id}/certificates",
                f"/api/v1/divisions/{division.id}/promotions"):
        assert client.get(url).status_code == 403


# --- On a phone --------------------------------------------------------------------------------

@pytest.mark.browser
def test_on_a_phone_the_holders_name_opens_the_certificate(app, live_server, page):
    _, _, [certificate] = issued()
    person = certificate.promotion.entry.contestant
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server}/v/{certificate.number}")
    page.get_by_label("持证人姓名").fill(person.name)
    page.get_by_role("button", name="核验").click()
    page.wait_for_selector('[data-status="valid"]')
    assert page.locator("dl.facts").inner_text().count("三级/高级工") == 1
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
