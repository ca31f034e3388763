"""Certificates (职业技能等级证书): their 22-character numbers, serials without gaps (also
when issued in parallel), revocation, the register for the provincial platform and who
may see what."""

from __future__ import annotations

import io
import threading
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from competition.audit.models import AuditEvent
from competition.extensions import db
from competition.grades import certificates
from competition.grades.certificates import (
    CertificateError,
    certificate_number,
    certificate_series,
    issue_certificate,
    issue_for_division,
    parse_certificate_number,
)
from competition.grades.models import Certificate, CertificateSerial, Promotion
from tests import builders
from tests.builders import ISSUED, certified_event, entry
from tests.helpers import read_pdf, text_of

# --- The number (pure) ---------------------------------------------------------------

def test_a_number_is_series_then_year_grade_and_serial():
    series = certificate_series("S", "4201", "42", "000123")
    assert series == "S420142000123"
    number = certificate_number(series, 2026, 3, 17)
    assert number == "S420142000123" + "26" + "3" + "000017"
    assert len(number) == 22
    parts = parse_certificate_number(number)
    assert (parts.evaluator_type, parts.evaluator_code, parts.province_code,
            parts.site_sequence, parts.year, parts.grade, parts.serial) == (
        "S", "4201", "42", "000123", 26, 3, 17)
    assert parts.series == series and str(parts) == number
    assert certificate_number("Y999911000001", 26, 1, 999999) == "Y99991100000126" + "1999999"


@pytest.mark.parametrize("parts", [
    ("X", "4201", "42", "000123"),  # evaluator type is S or Y
    ("s", "4201", "42", "000123"),
    ("S", "420", "42", "000123"),
    ("S", "42A1", "42", "000123"),
    ("S", "4201", "4", "000123"),
    ("S", "4201", "04", "000123"),  # no province code starts with 0
    ("S", "4201", "42", "12345"),
    ("S", "4201", "42", "１２３４５６"),  # full-width digits
])
def test_a_bad_setting_makes_no_series(parts):
    with pytest.raises(ValueError):
        certificate_series(*parts)


@pytest.mark.parametrize("year, grade, serial", [(2026, 0, 1), (2026, 6, 1), (2026, 3, 0),
                                                 (2026, 3, 1_000_000), (-1, 3, 1)])
def test_a_number_needs_a_grade_from_1_to_5_and_a_serial_from_1(year, grade, serial):
    with pytest.raises(ValueError):
        certificate_number("S420142000123", year, grade, serial)


@pytest.mark.parametrize("garbage", [
    "", "S420142000123263000017x", "S42014200012326300001", "X420142000123263000017",
    "S420142000123266000017", "S420142000123260000017", "S420142000123263000000",
    "S420104000123263000017", "s420142000123263000017", "S4201420001232630000١٧",
    "S42014200012326300001 ", "../../etc/passwd", "' OR 1=1 --", "S" * 22, "1" * 22,
])
def test_parse_rejects_anything_but_a_well_formed_number(garbage):
    with pytest.raises(ValueError):
        parse_certificate_number(garbage)


# --- Issuing ---------------------------------------------------------------------------

def test_a_certificate_takes_its_number_from_the_competition_settings(app):
    organizer, event, [promotion, *_] = certified_event(1, evaluator_type="Y",
                                                        evaluator_code="0716",
                                                        site_sequence="000009")
    certificate = issue_certificate(db.session, promotion, issued_on=ISSUED, actor=organizer)
    db.session.commit()
    assert certificate.number == "Y071642000009" + "26" + "3" + "000001"
    stored = db.session.scalar(select(Certificate))
    assert (stored.series, stored.year, stored.grade, stored.serial) == (
        "Y071642000009", 2026, 3, 1)
    assert stored.issuer == "咸宁市人力资源和社会保障局"
    assert stored.issued_on == ISSUED
    assert len(stored.verification_code) >= 16
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "certificate.issue"))
    assert audit.actor_id == organizer.id and audit.object_id == str(stored.id)
    assert stored.number in audit.new_value and audit.event_id == event.id


def test_without_an_issuer_the_host_issues_and_without_either_none_is_issued(app):
    organizer, event, [first, second] = certified_event(2, issuer="", host="")
    competition = event.competition
    with pytest.raises(CertificateError, match="issues the certificates"):
        issue_certificate(db.session, first, issued_on=ISSUED, actor=organizer)
    db.session.rollback()
    competition.host = "咸宁市人民政府"
    assert issue_certificate(db.session, first, issued_on=ISSUED,
                             actor=organizer).issuer == "咸宁市人民政府"
    competition.site_sequence = "12"
    with pytest.raises(CertificateError, match="numbering"):
        issue_certificate(db.session, second, issued_on=ISSUED, actor=organizer)


def test_serials_have_no_gaps_per_year_and_grade_and_a_rollback_gives_one_back(app):
    organizer, event, promotions = certified_event(6)
    a, b, c, d, e, f = promotions
    d.to_grade = 2
    db.session.commit()

    def issue(promotion, on=ISSUED):
        return issue_certificate(db.session, promotion, issued_on=on, actor=organizer)

    assert [issue(p).serial for p in (a, b)] == [1, 2]
    assert issue(d).serial == 1  # grade 2 counts on its own
    assert issue(e, date(2027, 1, 4)).number.endswith("27" + "3" + "000001")
    db.session.commit()
    # A certificate whose transaction is rolled back gives its serial back.
    assert issue(c).serial == 3
    db.session.rollback()
    assert issue(f).serial == 3
    assert issue(c).serial == 4
    db.session.commit()
    serials = db.session.execute(select(Certificate.year, Certificate.grade, Certificate.serial)
                                 .order_by(Certificate.year, Certificate.grade,
                                           Certificate.serial)).all()
    assert serials == [(2026, 2, 1), (2026, 3, 1), (2026, 3, 2), (2026, 3, 3), (2026, 3, 4),
                       (2027, 3, 1)]
    counters = {(s.year, s.grade): s.last_serial
                for s in db.session.scalars(select(CertificateSerial))}
    assert counters == {(2026, 2): 1, (2026, 3): 4, (2027, 3): 1}
    with pytest.raises(CertificateError, match="already has certificate"):
        issue(a)


def test_issuing_for_a_division_covers_each_promotion_once(app):
    organizer, event, promotions = certified_event(3)
    division = event.divisions[0]
    issue_certificate(db.session, promotions[1], issued_on=ISSUED, actor=organizer)
    issued = issue_for_division(db.session, organizer, division, ISSUED)
    db.session.commit()
    assert sorted(c.promotion_id for c in issued) == sorted([promotions[0].id,
                                                             promotions[2].id])
    assert sorted(c.serial for c in db.session.scalars(select(Certificate))) == [1, 2, 3]
    assert issue_for_division(db.session, organizer, division, ISSUED) == []
    # An entry of the division without a promotion gets nothing.
    entry(event)
    db.session.commit()
    assert issue_for_division(db.session, organizer, division, ISSUED) == []
    assert db.session.scalar(select(func.count(Certificate.id))) == 3


def test_parallel_issuing_hands_out_unique_consecutive_serials(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time, so there is no race to test; "
                    "run with TEST_DATABASE_URL=postgresql+psycopg://… to test row locks")
    count = 12
    organizer, event, promotions = certified_event(count)
    ids, organizer_id = [p.id for p in promotions], organizer.id
    start = threading.Barrier(count)
    errors: list[BaseException] = []

    def worker(promotion_id: int, fail: bool) -> None:
        with app.app_context():
            try:
                promotion = db.session.get(Promotion, promotion_id)
                actor = db.session.get(builders.User, organizer_id)
                start.wait(timeout=10)
                issue_certificate(db.session, promotion, issued_on=ISSUED, actor=actor)
                if fail:  # a transaction that fails after taking its serial
                    db.session.rollback()
                else:
                    db.session.commit()
            except BaseException as error:  # noqa: BLE001 - reported below
                errors.append(error)
                db.session.rollback()
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(pid, i % 4 == 3))
               for i, pid in enumerate(ids)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    db.session.expire_all()
    serials = sorted(db.session.scalars(select(Certificate.serial)))
    committed = count - count // 4
    assert serials == list(range(1, committed + 1))
    assert db.session.scalar(select(CertificateSerial.last_serial)) == committed
    numbers = list(db.session.scalars(select(Certificate.number)))
    assert len(set(numbers)) == committed


# --- Revoking ------------------------------------------------------------------------------

def test_an_organizer_revokes_a_certificate_with_a_reason_once(app, client, login_as):
    organizer = login_as("organizer")
    _, event, [promotion] = certified_event(1, organizer=organizer)
    certificate = issue_certificate(db.session, promotion, issued_on=ISSUED, actor=organizer)
    db.session.commit()
    url = f"/certificates/{certificate.id}/revoke"
    page = client.post(url, data={"reason": "  "}, follow_redirects=True)
    assert "请填写撤销证书的原因" in page.text
    assert db.session.get(Certificate, certificate.id).revoked_at is None

    page = client.post(url, data={"reason": "报名材料弄虚作假"}, follow_redirects=True)
    assert f"证书 {certificate.number} 已撤销" in page.text
    assert "已撤销" in page.text and "报名材料弄虚作假" in page.text
    db.session.expire_all()
    stored = db.session.get(Certificate, certificate.id)
    assert stored.revoked_at is not None and stored.revoked_by_id == organizer.id
    assert stored.revoke_reason == "报名材料弄虚作假"
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "certificate.revoke"))
    assert audit.reason == "报名材料弄虚作假" and audit.object_id == str(certificate.id)

    page = client.post(url, data={"reason": "再次撤销"}, follow_redirects=True)
    assert "已被撤销，不能重复撤销" in page.text
    assert db.session.get(Certificate, certificate.id).revoke_reason == "报名材料弄虚作假"
    with pytest.raises(CertificateError):
        certificates.revoke(db.session, organizer, stored, "")


# --- The organizers' pages -----------------------------------------------------------------

def test_the_list_and_the_pdf_show_the_full_id_number_to_organizers(app, client, login_as):
    organizer = login_as("organizer")
    _, event, [promotion] = certified_event(1, organizer=organizer)
    certificate = issue_certificate(db.session, promotion, issued_on=ISSUED, actor=organizer)
    db.session.commit()
    person = promotion.entry.contestant
    page = client.get(f"/competitions/{event.competition_id}/certificates")
    assert page.status_code == 200
    for expected in (certificate.number, person.name, person.id_number, "三级/高级工", "有效",
                     "证书登记表"):
        assert expected in page.text
    text = text_of(read_pdf(client.get(f"/certificates/{certificate.id}.pdf")))
    for expected in ("职业技能等级证书", person.name, "居民身份证", person.id_number,
                     "养老护理员", "4-10-01-05", "三级/高级工", certificate.number,
                     "咸宁市人力资源和社会保障局", "2026年12月1日", "竞赛选拔", "照片",
                     event.competition.name[:6]):
        assert expected in text, expected
    assert "已撤销" not in text


def test_a_contestant_downloads_their_own_certificate_with_the_id_number_masked(app, client):
    organizer, event, [promotion, other] = certified_event(2)
    certificate = issue_certificate(db.session, promotion, issued_on=ISSUED, actor=organizer)
    db.session.commit()
    person = promotion.entry.contestant
    text = text_of(read_pdf(client.get(f"/r/{promotion.entry.token}/certificate.pdf")))
    assert certificate.number in text and person.name in text
    assert person.id_number not in text
    assert person.id_number[:4] + "**********" in text
    # No certificate yet, or no such link: nothing.
    assert client.get(f"/r/{other.entry.token}/certificate.pdf").status_code == 404
    assert client.get(f"/r/{'x' * 30}/certificate.pdf").status_code == 404
    assert client.get("/r/short/certificate.pdf").status_code == 404


def test_the_register_holds_what_the_provincial_platform_records(app, client, login_as):
    organizer = login_as("organizer")
    _, event, [first, second] = certified_event(2, organizer=organizer)
    one = issue_certificate(db.session, first, issued_on=ISSUED, actor=organizer)
    two = issue_certificate(db.session, second, issued_on=ISSUED, actor=organizer)
    certificates.revoke(db.session, organizer, two, "重复颁发")
    first.entry.contestant.name = "=HYPERLINK(\"x\")"  # never a formula in the sheet
    db.session.commit()

    response = client.get(f"/competitions/{event.competition_id}/certificates/registry.xlsx")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0][:13] == ["姓名", "证件类型", "证件号码", "性别", "职业编码", "职业名称",
                            "职业技能等级", "证书编号", "发证日期", "评价方式", "评价机构",
                            "竞赛名称", "状态"]
    assert len(rows[0]) == 15  # then the date of and the reason for a revocation
    by_number = {row[7]: row for row in rows[1:]}
    assert set(by_number) == {one.number, two.number}
    person = first.entry.contestant
    row = by_number[one.number]
    # Kept as text behind the quote every export puts before a would-be formula.
    assert row[:8] == ['\'=HYPERLINK("x")', "居民身份证", person.id_number, "男", "4-10-01-05",
                       "养老护理员", "三级/高级工", one.number]
    assert row[8].date() == ISSUED
    assert row[9:] == ["竞赛选拔", "咸宁市人力资源和社会保障局", event.competition.name,
                       "有效", None, None]
    assert sheet.cell(2, 1).data_type == "s"
    # Revoked, the grade withdrawn: tests/test_certificate_trust.py checks the row.
    assert by_number[two.number][12] != "有效" and by_number[two.number][14] == "重复颁发"


@pytest.mark.parametrize("method, url", [
    ("get", "/competitions/{competition}/certificates"),
    ("get", "/competitions/{competition}/certificates/registry.xlsx"),
    ("get", "/certificates/{certificate}.pdf"),
    ("post", "/certificates/{certificate}/revoke"),
])
def test_only_the_competitions_organizers_reach_its_certificates(app, client, auth, method,
                                                                 url):
    organizer, event, [promotion] = certified_event(1)
    certificate = issue_certificate(db.session, promotion, issued_on=ISSUED, actor=organizer)
    stranger = builders.user("organizer")
    judge = builders.user("judge")
    db.session.commit()
    url = url.format(competition=event.competition_id, certificate=certificate.id)
    data = {"reason": "测试"} if method == "post" else None

    anonymous = getattr(client, method)(url, data=data)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    for user in (stranger, judge):
        auth.login(user.username)
        assert getattr(client, method)(url, data=data).status_code == 403
        auth.logout()
    assert db.session.get(Certificate, certificate.id).revoked_at is None
    auth.login(organizer.username)
    assert getattr(client, method)(url, data=data).status_code in (200, 302)
    missing = url.replace(f"/{certificate.id}", "/999999").replace(
        f"/{event.competition_id}/", "/999999/")
    assert getattr(client, method)(missing, data=data).status_code == 404
