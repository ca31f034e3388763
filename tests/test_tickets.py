"""Admission tickets (准考证) as PDF: Chinese text, the QR code of the private page, paper sizes.

The PDF is read back with pypdf (text and images) and the QR code is really
decoded with zxing-cpp, not re-rendered.
"""

from __future__ import annotations

import pytest
from reportlab.lib.pagesizes import A4, A5, landscape

from competition import pdf as tickets
from competition.entries import draws
from competition.entries.models import Attendance, RegistrationStatus
from competition.extensions import db
from tests.builders import entries_of, entry, setup_event
from tests.helpers import job_file, private_url, qr_codes, read_pdf, text_of


def test_a_ticket_shows_the_contestant_in_chinese_and_a_qr_code_of_their_page(
        app, client, login_as):
    organizer = login_as("organizer")
    _, event = setup_event(organizer, entries=(0,))
    event.venue = "咸宁职业技术学院实训楼"
    person = entry(event, "张晓明", work_unit="咸宁市社会福利院")
    draws.draw_lots(db.session, event, None, organizer, "A")
    db.session.commit()

    pdf = read_pdf(client.get(f"/entries/{person.id}/ticket.pdf"))
    text = text_of(pdf)
    for expected in ("准考证", "张晓明", "养老护理员", "职工组", "咸宁市第七届",
                     "咸宁职业技术学院实训楼", person.ticket_number, "照片", "男"):
        assert expected in text
    assert f"工位号\n{person.station}" in text
    # A printed ticket leaves the organizers' hands: the ID number is masked.
    assert person.contestant.id_number not in text
    assert person.contestant.id_number[:4] + "**********" in text
    # The anonymous code is for judges only; it is not printed on the ticket.
    assert person.code not in text
    assert qr_codes(pdf.pages[0]) == [private_url(app, person)]
    assert private_url(app, person).startswith("http://localhost/r/")


def test_without_a_draw_the_station_says_drawn_on_the_day(app, client, login_as):
    organizer = login_as("organizer")
    _, event = setup_event(organizer, entries=(1,))
    [person] = entries_of(event)
    text = text_of(read_pdf(client.get(f"/entries/{person.id}/ticket.pdf?size=A5")))
    assert "现场抽签" in text


def test_a4_holds_two_tickets_a_page_and_a5_one(app, client, login_as):
    organizer = login_as("organizer")
    _, event = setup_event(organizer, entries=(3,))
    url = f"/events/{event.id}/tickets/print"
    a4 = read_pdf(job_file(client, url, {"size": "A4"}))
    a5 = read_pdf(job_file(client, url, {"size": "A5"}))
    assert len(a4.pages) == 2 and len(a5.pages) == 3
    assert [round(float(x)) for x in a4.pages[0].mediabox[2:]] == [round(x) for x in A4]
    assert [round(float(x)) for x in a5.pages[0].mediabox[2:]] == [
        round(x) for x in landscape(A5)]
    assert len(qr_codes(a4.pages[0])) == 2 and len(qr_codes(a5.pages[0])) == 1
    # An unknown size falls back to A4.
    odd = read_pdf(job_file(client, url, {"size": "B5"}))
    assert [round(float(x)) for x in odd.pages[0].mediabox[2:]] == [round(x) for x in A4]


def test_the_batch_holds_approved_entries_by_station(app, client, login_as):
    organizer = login_as("organizer")
    _, event = setup_event(organizer, divisions=("职工组", "企业组"), entries=(3, 2))
    pending = entry(event, "待审核", status=RegistrationStatus.PENDING)
    gone = entry(event, "已弃权", attendance=Attendance.WITHDRAWN)
    draws.draw_lots(db.session, event, None, organizer, "A")
    db.session.commit()

    url = f"/events/{event.id}/tickets/print"
    pdf = read_pdf(job_file(client, url, {"size": "A5"}))
    by_station = sorted((e for e in entries_of(event) if e.station), key=lambda e: e.station)
    assert [qr_codes(page)[0] for page in pdf.pages] == [
        private_url(app, e) for e in by_station]
    text = text_of(pdf)
    assert pending.contestant.name not in text and gone.contestant.name not in text

    company = event.divisions[1]
    pdf = read_pdf(job_file(client, url, {"size": "A5", "division_id": company.id}))
    assert len(pdf.pages) == 2
    assert {qr_codes(page)[0] for page in pdf.pages} == {
        private_url(app, e) for e in by_station if e.division_id == company.id}
    assert client.post(url, data={"division_id": 99999}).status_code == 404


def test_an_empty_batch_is_one_page_saying_so(app, client, login_as):
    organizer = login_as("organizer")
    _, event = setup_event(organizer, entries=(0,))
    pdf = read_pdf(job_file(client, f"/events/{event.id}/tickets/print"))
    assert len(pdf.pages) == 1 and "没有可打印的准考证" in text_of(pdf)


def test_a_pending_entry_gets_no_ticket(app, client, login_as):
    organizer = login_as("organizer")
    _, event = setup_event(organizer, entries=(0,))
    pending = entry(event, status=RegistrationStatus.PENDING)
    db.session.commit()
    response = client.get(f"/entries/{pending.id}/ticket.pdf", follow_redirects=True)
    assert response.mimetype == "text/html"
    assert "只有已通过审核的报名才有准考证" in response.get_data(as_text=True)


def test_the_font_is_shipped_with_the_app_and_registered_once():
    import os

    assert os.path.isfile(tickets.FONT_PATH)
    assert tickets.FONT_PATH.startswith(os.path.dirname(os.path.dirname(tickets.__file__)))
    assert tickets.ensure_font() == tickets.ensure_font() == tickets.FONT_NAME


@pytest.mark.parametrize("who", ["other organizer", "judge"])
def test_only_the_competitions_organizers_print_tickets(app, client, login_as, who):
    _, event = setup_event(entries=(1,))
    [person] = entries_of(event)
    login_as("organizer" if who == "other organizer" else "judge")
    assert client.get(f"/entries/{person.id}/ticket.pdf").status_code == 403
    assert client.post(f"/events/{event.id}/tickets/print").status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in(app, client):
    _, event = setup_event(entries=(1,))
    [person] = entries_of(event)
    for response in (client.get(f"/entries/{person.id}/ticket.pdf"),
                     client.post(f"/events/{event.id}/tickets/print")):
        assert response.status_code == 302 and "/login" in response.headers["Location"]
