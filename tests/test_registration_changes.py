"""Registrations change on the day: corrections (更正), withdrawals (退赛), substitutes (替补).

A correction of the name, work unit, phone or division needs a reason and is in the audit
log; after the lock it republishes published results, a division no longer changes, and
final results are never corrected. A work unit a judge who already scored the contestant
must be recused from is refused. A substitute takes a withdrawn entry's division, session
and station with a new code drawn and recorded like a draw, until marking starts.
Another competition's organizer is refused and nothing changes; bad input changes nothing.
"""

from __future__ import annotations

import io
import itertools
from datetime import UTC, date, datetime, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from competition.audit.models import AuditEvent
from competition.auth.credentials import issue_api_token
from competition.auth.models import User
from competition.corrections import registration_changes as corrections
from competition.entries import draws
from competition.entries import registrations as registration
from competition.entries.idcard import make_id_number
from competition.entries.models import (
    Attendance,
    Contestant,
    DrawKind,
    Entry,
    EventSession,
    LotDraw,
)
from competition.entries.registrations import RegistrationError
from competition.entries.validation import PersonData
from competition.events.models import Division, Event, Expert, PanelMember
from competition.extensions import db
from competition.judging.models import ScoreSheet, SheetStatus
from competition.results import publishing
from competition.results.models import Publication, Result
from tests import builders

_serial = itertools.count(1)
TODAY = date(2026, 5, 1)


def _person(name: str | None = None, work_unit: str = "咸宁市中心医院") -> PersonData:
    number = next(_serial)
    return PersonData(name=name or f"选手{number}", work_unit=work_unit, phone="13800000000",
                      id_number=make_id_number("421202", date(1985, 2, 1 + number % 27),
                                               (number * 2 + 1) % 1000, "M"))


def _world(entries: int = 4):
    """A competition with an event of two divisions, lots drawn, every entry in one
    session; its organizer, and another competition's organizer."""
    organizer = builders.user("organizer")
    other = builders.user("organizer")
    builders.competition(organizers=(other,))
    competition = builders.competition(organizers=(organizer,))
    event = builders.event(competition, divisions=("职工组", "教师组"))
    for _ in range(entries):
        registration.register(db.session, event, event.divisions[0], _person(), today=TODAY)
    draws.draw_lots(db.session, event, None, organizer, "A")
    sitting = EventSession(event_id=event.id, name="第1场", stations=entries,
                           starts_at=datetime(2026, 11, 20, 1, tzinfo=UTC),
                           ends_at=datetime(2026, 11, 20, 4, tzinfo=UTC))
    db.session.add(sitting)
    db.session.flush()
    for entry in _entries(event):
        entry.session_id = sitting.id
    db.session.commit()
    return organizer, other, event


def _entries(event) -> list[Entry]:
    return list(db.session.scalars(select(Entry).where(Entry.event_id == event.id)
                                   .order_by(Entry.id)))


def _snapshot(event) -> list[tuple]:
    db.session.expire_all()
    return [(e.id, e.division_id, e.attendance, e.session_id, e.station, e.code,
             e.contestant.name, e.contestant.work_unit, e.contestant.phone)
            for e in _entries(event)]


def _records(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                                   .order_by(AuditEvent.id)))


def _sign_in(client, user: User) -> None:
    response = client.post("/login", data={"username": user.username,
                                           "password": builders.PASSWORD})
    assert response.status_code == 302


def _api(client, user: User) -> dict:
    token = issue_api_token(db.session, user)
    db.session.commit()
    return {"Authorization": f"Bearer {token}"}


# --- Corrections ------------------------------------------------------------------------

def test_a_correction_changes_the_registration_and_is_audited(app):
    organizer, _, event = _world()
    entry = _entries(event)[0]
    old_name = entry.contestant.name
    teachers = event.divisions[1]
    warnings = corrections.correct_registration(
        db.session, entry, actor=organizer, reason="录入错别字", today=TODAY, name="张晓明",
        work_unit="咸宁市第一人民医院", phone="13912345678", division=teachers)
    db.session.commit()
    assert warnings == []
    db.session.expire_all()
    entry = db.session.get(Entry, entry.id)
    assert (entry.contestant.name, entry.contestant.work_unit, entry.contestant.phone,
            entry.division_id) == ("张晓明", "咸宁市第一人民医院", "13912345678", teachers.id)
    [corrected] = _records("registration.correct")
    assert corrected.actor_id == organizer.id and corrected.reason == "录入错别字"
    assert old_name in corrected.old_value and "张晓明" in corrected.new_value
    # Phones are recorded masked; the record is kept out of the chief judge's event log.
    assert "13912345678" not in corrected.new_value and "139****5678" in corrected.new_value
    assert corrected.event_id is None
    # The entry row's change of division is recorded on flush, as every entry's is.
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.action == "state.write", AuditEvent.object_type == "entries",
        AuditEvent.object_id == str(entry.id), AuditEvent.new_value.contains(
            f'"division_id":{teachers.id}')))


@pytest.mark.parametrize("given, message", [
    ({"name": "张晓明", "reason": "  "}, "Give the reason"),
    ({"name": "", "reason": "错字"}, "refused"),
    ({"phone": "12345", "reason": "错字"}, "refused"),
    ({"work_unit": "单" * 201, "reason": "错字"}, "refused"),
    ({"reason": "错字"}, "Nothing to correct"),
])
def test_bad_corrections_change_nothing(app, given, message):
    organizer, _, event = _world()
    before = _snapshot(event)
    entry = _entries(event)[0]
    with pytest.raises(RegistrationError, match=message):
        corrections.correct_registration(db.session, entry, actor=organizer, today=TODAY,
                                         **given)
    db.session.rollback()
    assert _snapshot(event) == before
    assert _records("registration.correct") == []


def test_a_division_of_another_event_is_refused(app):
    organizer, _, event = _world()
    other_event = builders.event(event.competition, name="车工")
    before = _snapshot(event)
    with pytest.raises(RegistrationError, match="refused") as refused:
        corrections.correct_registration(db.session, _entries(event)[0], actor=organizer,
                                         reason="改组", today=TODAY,
                                         division=other_event.divisions[0])
    assert refused.value.problems[0].column == "division"
    db.session.rollback()
    assert _snapshot(event) == before


def _judge_of(event, work_unit: str, name: str = "裁判甲") -> User:
    expert = Expert(name=name, work_unit=work_unit)
    db.session.add(expert)
    db.session.flush()
    db.session.add(PanelMember(event_id=event.id, expert_id=expert.id, role="judge"))
    return builders.user("judge", expert_id=expert.id)


def test_a_work_unit_a_judge_who_scored_must_be_recused_from_is_refused(app):
    organizer, _, event = _world()
    entry = _entries(event)[0]
    judge = _judge_of(event, "咸宁市 第一人民医院")
    module = builders.module(event)
    db.session.add(ScoreSheet(entry_id=entry.id, module_id=module.id, judge_id=judge.id,
                              entered_by_id=judge.id))
    db.session.commit()
    before = _snapshot(event)
    with pytest.raises(RegistrationError, match="裁判甲 already scored"):
        corrections.correct_registration(db.session, entry, actor=organizer, reason="调动",
                                         today=TODAY, work_unit="咸宁市第一人民医院")
    db.session.rollback()
    assert _snapshot(event) == before


def test_a_work_unit_of_a_judge_on_the_panel_is_corrected_with_a_warning(app):
    organizer, _, event = _world()
    _judge_of(event, "咸宁市第一人民医院", name="裁判乙")
    db.session.commit()
    entry = _entries(event)[0]
    warnings = corrections.correct_registration(
        db.session, entry, actor=organizer, reason="调动", today=TODAY,
        work_unit="咸宁市第一人民医院")
    db.session.commit()
    assert [w.params["judges"] for w in warnings] == ["裁判乙"]
    assert db.session.get(Entry, entry.id).contestant.work_unit == "咸宁市第一人民医院"


@pytest.fixture
def on_notice(tea_on_notice):
    """The small competition's 茶艺师 (``builders.tea_competition``), locked and its
    职工组 on public notice."""
    organizer = db.session.scalar(select(User).where(User.username == builders.ORGANIZER))
    return organizer, tea_on_notice, tea_on_notice.divisions[0]


def _published_entry(division) -> Entry:
    published = publishing.publication_of(db.session, division.id)
    return db.session.get(Entry, db.session.scalars(
        select(Result.entry_id).where(Result.publication_id == published.id)
        .order_by(Result.rank)).first())


def test_after_the_lock_a_name_is_corrected_by_republishing(on_notice, client):
    organizer, tea, workers = on_notice
    tea.competition.name_display = "full"
    entry = _published_entry(workers)
    before = publishing.publication_of(db.session, workers.id).notice_ends_at
    db.session.commit()
    corrections.correct_registration(db.session, entry, actor=organizer, reason="姓名录入有误",
                                     today=TODAY, name="欧阳更正")
    db.session.commit()
    republished = _records("results.republish")[-1]
    assert republished.reason == "姓名录入有误"
    assert db.session.get(Publication, publishing.publication_of(
        db.session, workers.id).id).notice_ends_at > before
    page = client.get(f"/results/divisions/{workers.id}").get_data(as_text=True)
    assert "欧阳更正" in page and "姓名录入有误" in page


def test_after_the_lock_a_division_no_longer_changes(on_notice):
    organizer, tea, workers = on_notice
    entry = _published_entry(workers)
    other = Division(event_id=tea.id, name="学生组", kind="student", position=1)
    db.session.add(other)
    db.session.flush()
    with pytest.raises(RegistrationError) as refused:
        corrections.correct_registration(db.session, entry, actor=organizer, reason="改组",
                                         today=TODAY, division=other)
    assert "locked" in refused.value.problems[0].message
    db.session.rollback()
    assert db.session.get(Entry, entry.id).division_id == workers.id


def test_final_results_are_not_corrected(final_tea):
    organizer = db.session.scalar(select(User).where(User.username == builders.ORGANIZER))
    final = db.session.scalar(select(Publication).join(Division).where(
        Division.event_id == final_tea.id, Publication.status == "final"))
    entry = _published_entry(db.session.get(Division, final.division_id))
    name = entry.contestant.name
    with pytest.raises(RegistrationError, match="final"):
        corrections.correct_registration(db.session, entry, actor=organizer, reason="错字",
                                         today=TODAY, name="改名字")
    db.session.rollback()
    assert db.session.get(Entry, entry.id).contestant.name == name


# --- Withdrawal and substitutes --------------------------------------------------------

def test_a_withdrawal_needs_a_reason_and_is_audited(app):
    organizer, _, event = _world()
    entry = _entries(event)[1]
    with pytest.raises(RegistrationError, match="reason"):
        corrections.withdraw(db.session, entry, actor=organizer, reason="")
    db.session.rollback()
    corrections.withdraw(db.session, entry, actor=organizer, reason="因病退赛")
    db.session.commit()
    assert db.session.get(Entry, entry.id).attendance == Attendance.WITHDRAWN
    [withdrawn] = _records("registration.withdraw")
    assert withdrawn.reason == "因病退赛" and withdrawn.actor_id == organizer.id
    with pytest.raises(RegistrationError, match="already withdrawn"):
        corrections.withdraw(db.session, entry, actor=organizer, reason="再次")


def test_a_substitute_takes_the_withdrawn_place(app):
    organizer, _, event = _world()
    withdrawn = _entries(event)[1]
    corrections.withdraw(db.session, withdrawn, actor=organizer, reason="因病退赛")
    db.session.commit()
    others = [row for row in _snapshot(event) if row[0] != withdrawn.id]
    place = (withdrawn.division_id, withdrawn.session_id, withdrawn.station)
    old = (withdrawn.code, withdrawn.token, withdrawn.ticket_number)

    substitute = corrections.substitute(db.session, withdrawn, _person("替补选手"),
                                        actor=organizer, reason="组委会批准替补", today=TODAY)
    db.session.commit()
    db.session.expire_all()
    substitute = db.session.get(Entry, substitute.id)
    withdrawn = db.session.get(Entry, withdrawn.id)
    assert (substitute.division_id, substitute.session_id, substitute.station) == place
    assert substitute.replaces_entry_id == withdrawn.id and withdrawn.station is None
    assert substitute.code and substitute.code not in {row[5] for row in _snapshot(event)
                                                       if row[0] != substitute.id}
    assert substitute.code != old[0]
    assert substitute.token != old[1] and substitute.ticket_number != old[2]
    # Nobody else's station or code moved.
    assert [row for row in _snapshot(event) if row[0] not in (withdrawn.id, substitute.id)] \
        == others
    # The code was drawn like a draw, recorded, and recomputes from its seed.
    draw = db.session.get(LotDraw, substitute.draw_id)
    assert draw.kind == DrawKind.SUBSTITUTION
    record = draws.draw_record(db.session, draw)
    assert record.reproducible and record.current
    [audited] = _records("registration.substitute")
    assert audited.reason == "组委会批准替补" and audited.object_id == str(withdrawn.id)
    # Once replaced, never twice.
    with pytest.raises(RegistrationError, match="already been replaced"):
        corrections.substitute(db.session, withdrawn, _person(), actor=organizer,
                               reason="再替补", today=TODAY)


def test_substitutes_are_refused_when_they_may_not_take_the_place(app):
    organizer, _, event = _world()
    entry = _entries(event)[0]
    before = _snapshot(event)
    with pytest.raises(RegistrationError, match="withdrawal first"):
        corrections.substitute(db.session, entry, _person(), actor=organizer,
                               reason="替补", today=TODAY)
    db.session.rollback()
    corrections.withdraw(db.session, entry, actor=organizer, reason="弃权")
    judge = _judge_of(event, "某单位")
    module = builders.module(event)
    db.session.add(ScoreSheet(entry_id=entry.id, module_id=module.id, judge_id=judge.id,
                              entered_by_id=judge.id, status=SheetStatus.SUBMITTED,
                              submitted_at=datetime.now(UTC)))
    db.session.commit()
    before = _snapshot(event)
    count = db.session.scalar(select(func.count(Contestant.id)))
    with pytest.raises(RegistrationError, match="submitted score sheets"):
        corrections.substitute(db.session, entry, _person(), actor=organizer,
                               reason="替补", today=TODAY)
    db.session.rollback()
    db.session.execute(ScoreSheet.__table__.delete())
    event = db.session.get(Event, event.id)
    event.marking_started_at = datetime.now(UTC) - timedelta(minutes=5)
    db.session.commit()
    with pytest.raises(RegistrationError, match="Marking has started"):
        corrections.substitute(db.session, entry, _person(), actor=organizer,
                               reason="替补", today=TODAY)
    db.session.rollback()
    assert _snapshot(event) == before
    assert db.session.scalar(select(func.count(Contestant.id))) == count


# --- The pages ---------------------------------------------------------------------------

def test_the_entry_page_corrects_withdraws_and_substitutes(app, client):
    organizer, _, event = _world()
    entry = _entries(event)[0]
    _sign_in(client, organizer)
    page = client.get(f"/entries/{entry.id}").get_data(as_text=True)
    assert f'action="/entries/{entry.id}/correct"' in page
    response = client.post(f"/entries/{entry.id}/correct", data={
        "name": "李更正", "work_unit": "咸宁市中心医院", "phone": "13800000000",
        "division_id": entry.division_id, "reason": "身份证上的姓名"})
    assert response.status_code == 302
    page = client.get(f"/entries/{entry.id}").get_data(as_text=True)
    assert "李更正" in page and "身份证上的姓名" in page
    # The ticket is made on demand: it shows the new name.
    pdf = client.get(f"/entries/{entry.id}/ticket.pdf?size=A5").data
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "李更正" in text

    # Without a reason: refused, nothing changes.
    client.post(f"/entries/{entry.id}/withdraw", data={"reason": ""})
    assert db.session.get(Entry, entry.id).attendance != Attendance.WITHDRAWN
    client.post(f"/entries/{entry.id}/withdraw", data={"reason": "弃权"})
    db.session.expire_all()
    assert db.session.get(Entry, entry.id).attendance == Attendance.WITHDRAWN
    person = _person("王替补")
    response = client.post(f"/entries/{entry.id}/substitute", data={
        "name": person.name, "id_number": person.id_number, "phone": "",
        "work_unit": "咸宁市中心医院", "current_grade": "", "reason": "替补上场"})
    assert response.status_code == 302
    substitute = db.session.scalar(select(Entry).where(Entry.replaces_entry_id == entry.id))
    assert substitute.contestant.name == "王替补"
    assert response.headers["Location"].endswith(f"/entries/{substitute.id}")


def test_another_competitions_organizer_and_a_supervisor_change_nothing(app, client):
    organizer, other, event = _world()
    supervisor = builders.user("supervisor", competition_id=event.competition_id)
    entry = _entries(event)[0]
    corrections.withdraw(db.session, _entries(event)[1], actor=organizer, reason="弃权")
    db.session.commit()
    withdrawn = _entries(event)[1]
    before = _snapshot(event)
    for user in (other, supervisor):
        _sign_in(client, user)
        assert client.post(f"/entries/{entry.id}/correct", data={
            "name": "篡改", "division_id": entry.division_id,
            "reason": "x"}).status_code == 403
        assert client.post(f"/entries/{entry.id}/withdraw",
                           data={"reason": "x"}).status_code == 403
        assert client.post(f"/entries/{withdrawn.id}/substitute", data={
            "name": "篡改", "id_number": _person().id_number,
            "reason": "x"}).status_code == 403
        headers = _api(client, user)
        assert client.post(f"/api/v1/entries/{entry.id}/correction", headers=headers,
                           json={"name": "篡改", "reason": "x"}).status_code == 403
        assert client.post(f"/api/v1/entries/{entry.id}/withdrawal", headers=headers,
                           json={"reason": "x"}).status_code == 403
        assert client.post(f"/api/v1/entries/{withdrawn.id}/substitute", headers=headers,
                           json={"name": "篡改", "id_number": _person().id_number,
                                 "reason": "x"}).status_code == 403
        client.post("/logout")
    assert _snapshot(event) == before
    assert _records("registration.correct") == []


# --- The API -----------------------------------------------------------------------------

def test_the_api_corrects_withdraws_and_substitutes(app, client):
    organizer, _, event = _world()
    entry = _entries(event)[0]
    headers = _api(client, organizer)
    response = client.post(f"/api/v1/entries/{entry.id}/correction", headers=headers,
                           json={"name": "赵更正", "reason": "错别字"})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["entry"]["contestant"]["name"] == "赵更正" and body["warnings"] == []

    before = _snapshot(event)
    # Refused with a translated message, nothing changed: no reason, a bad phone,
    # a division of no event of it, nothing to correct.
    for bad in ({"name": "钱"}, {"phone": "123", "reason": "x"},
                {"division_id": 999999, "reason": "x"}, {"reason": "x"}):
        response = client.post(f"/api/v1/entries/{entry.id}/correction", headers=headers,
                               json=bad)
        assert response.status_code == 422, bad
    response = client.post(f"/api/v1/entries/{entry.id}/correction", headers=headers,
                           json={"phone": "123", "reason": "x"})
    assert response.get_json()["problems"][0]["message"] == "手机号格式不正确。"
    assert _snapshot(event) == before

    response = client.post(f"/api/v1/entries/{entry.id}/substitute", headers=headers,
                           json={"name": "孙", "id_number": _person().id_number,
                                 "reason": "替补"})
    assert response.status_code == 422
    assert _snapshot(event) == before

    response = client.post(f"/api/v1/entries/{entry.id}/withdrawal", headers=headers,
                           json={"reason": "弃权"})
    assert response.status_code == 200 and response.get_json()["attendance"] == "withdrawn"
    station = db.session.get(Entry, entry.id).station
    response = client.post(f"/api/v1/entries/{entry.id}/substitute", headers=headers,
                           json={"name": "孙替补", "id_number": _person().id_number,
                                 "reason": "替补"})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["station"] == station and body["contestant"]["name"] == "孙替补"
    db.session.expire_all()
    assert db.session.get(Entry, entry.id).station is None
