"""The expert pool (专家库), judge panels (裁判组), random draws and declared conflicts (回避)."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from competition.entries.models import Conflict, Contestant, Entry, RegistrationStatus
from competition.events.models import Expert, PanelDraw, PanelMember
from competition.events.setup import SetupError
from competition.experts import pool
from competition.experts.pool import EXPIRY_WARNING_DAYS, CertificateState
from competition.extensions import db
from tests import builders
from tests.builders import event_ending_in, expert
from tests.helpers import panel_count

TODAY = date.today()
_serial = itertools.count(1)


# --- Builders of this file ------------------------------------------------------------

def entry(event, name: str, work_unit: str, **kwargs) -> Entry:
    number = next(_serial)
    person = Contestant(competition_id=event.competition_id, name=name,
                        id_number=f"X{number:017d}", sex="F",
                        birth_date=date(1985, 5, 1), work_unit=work_unit)
    db.session.add(person)
    db.session.flush()
    row = Entry(event_id=event.id, division_id=event.divisions[0].id, contestant_id=person.id,
                **kwargs)
    db.session.add(row)
    db.session.flush()
    return row


def chiefs(event) -> list[str]:
    return list(db.session.scalars(
        select(Expert.name).join(PanelMember, PanelMember.expert_id == Expert.id)
        .where(PanelMember.event_id == event.id, PanelMember.role == "chief")))


# --- Certificate states ---------------------------------------------------------------

@pytest.mark.parametrize(("expires_on", "state"), [
    (None, CertificateState.MISSING),
    (TODAY - timedelta(days=1), CertificateState.EXPIRED),
    (TODAY, CertificateState.EXPIRING),
    (TODAY + timedelta(days=EXPIRY_WARNING_DAYS), CertificateState.EXPIRING),
    (TODAY + timedelta(days=EXPIRY_WARNING_DAYS + 1), CertificateState.VALID),
])
def test_certificate_state(expires_on, state):
    assert pool.certificate_state(expires_on, TODAY) == state


def test_pool_lists_states_masks_phones_and_filters(app, client, login_as):
    login_as("organizer")
    nursing = builders.occupation()
    tea = builders.occupation("茶艺师", "4-03-02-07")
    expert("余丽萍", expires_in=800, phone="13812345678")
    expert("田慧", expires_in=30)
    expert("熊春华", expires_in=-3)
    expert("雷晓云", expires_in=800, occupations=[tea])
    db.session.commit()

    page = client.get("/experts").get_data(as_text=True)
    assert "专家库" in page
    assert "138****5678" in page and "13812345678" not in page
    assert "有效" in page and "即将到期" in page and "已过期" in page
    assert "养老护理员" in page and "茶艺师" in page

    soon = client.get("/experts?state=expiring").get_data(as_text=True)
    assert "田慧" in soon and "余丽萍" not in soon and "熊春华" not in soon
    expired = client.get("/experts?state=expired").get_data(as_text=True)
    assert "熊春华" in expired and "田慧" not in expired
    tea_only = client.get(f"/experts?occupation={tea.id}").get_data(as_text=True)
    assert "雷晓云" in tea_only and "余丽萍" not in tea_only
    assert nursing.id != tea.id


def test_organizer_adds_and_edits_an_expert(app, client, login_as):
    login_as("organizer")
    nursing = builders.occupation()
    db.session.commit()
    expiry = TODAY + timedelta(days=700)
    response = client.post("/experts/new", data={
        "name": "汪小红", "work_unit": "咸宁市第一人民医院", "title": "主管护师",
        "phone": "13912345678", "occupations": [str(nursing.id)],
        "examiner_level": "senior_examiner", "certificate_number": "KP-2025-001",
        "certificate_expires_on": expiry.isoformat(),
    }, follow_redirects=True)
    assert "已将汪小红加入专家库" in response.get_data(as_text=True)
    added = db.session.scalar(select(Expert).where(Expert.name == "汪小红"))
    assert added.certificate_expires_on == expiry and added.examiner_level == "senior_examiner"
    assert [o.name for o in added.occupations] == ["养老护理员"]

    form = client.get(f"/experts/{added.id}/edit").get_data(as_text=True)
    assert "13912345678" in form  # whole on the edit form only

    response = client.post("/experts/new", data={
        "name": "重复", "occupations": [str(nursing.id)], "examiner_level": "examiner",
        "certificate_number": "KP-2025-001", "certificate_expires_on": expiry.isoformat(),
    })
    assert "考评员证书 KP-2025-001 已属于汪小红" in response.get_data(as_text=True)
    response = client.post("/experts/new", data={
        "name": "无职业", "examiner_level": "examiner"})
    assert "请至少选择一个" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Expert)) == 1


# --- Assigning judges -------------------------------------------------------------------

@pytest.mark.parametrize(("expires_in", "message"), [
    (-5, "的考评员证书已于 {date} 过期，不能担任裁判"),
    (10, "的考评员证书将于 {date} 到期，早于大赛结束日期 {end}，不能担任裁判"),
    (None, "没有登记考评员证书，不能担任裁判"),
])
def test_assignment_refused_without_a_certificate_valid_through_the_end(
        app, client, auth, expires_in, message):
    _, event = event_ending_in(ends_in=30)
    person = expert("柯美玲", expires_in=expires_in)
    db.session.commit()
    auth.login("org")
    response = client.post(f"/events/{event.id}/panel/members",
                           data={"expert_id": person.id, "role": "judge"})
    page = response.get_data(as_text=True)
    expected = message.format(
        date=person.certificate_expires_on.isoformat() if expires_in is not None else "",
        end=event.competition.ends_on.isoformat())
    assert "柯美玲" + expected in page
    assert panel_count(event) == 0


def test_assignment_accepts_a_certificate_valid_on_the_last_day(app):
    _, event = event_ending_in(ends_in=30)
    person = expert("柯美玲", expires_in=30)
    member = pool.add_panel_member(db.session, event, person, today=TODAY)
    assert member.role == "judge" and panel_count(event) == 1


def test_only_experts_of_the_occupation_are_offered_or_accepted(app, client, auth):
    _, event = event_ending_in()
    expert("田慧")
    tea_master = expert("詹丽君", occupations=[builders.occupation("茶艺师", "4-03-02-07")])
    db.session.commit()
    auth.login("org")
    page = client.get(f"/events/{event.id}/panel").get_data(as_text=True)
    assert "田慧" in page and "詹丽君" not in page
    response = client.post(f"/events/{event.id}/panel/members",
                           data={"expert_id": tea_master.id, "role": "judge"})
    assert "詹丽君不在养老护理员的专家库中" in response.get_data(as_text=True)
    assert panel_count(event) == 0


def test_one_chief_judge_per_event(app, client, auth):
    _, event = event_ending_in()
    first, second = expert("余丽萍"), expert("高国栋")
    db.session.commit()
    auth.login("org")
    client.post(f"/events/{event.id}/panel/members", data={"expert_id": first.id, "role": "chief"})
    assert chiefs(event) == ["余丽萍"]
    response = client.post(f"/events/{event.id}/panel/members",
                           data={"expert_id": second.id, "role": "chief"}, follow_redirects=True)
    assert "高国栋已加入裁判组，担任裁判长" in response.get_data(as_text=True)
    assert chiefs(event) == ["高国栋"] and panel_count(event) == 2

    member = db.session.scalar(select(PanelMember).where(PanelMember.expert_id == first.id))
    response = client.post(f"/events/{event.id}/panel/members/{member.id}/chief",
                           follow_redirects=True)
    assert "余丽萍现为裁判长" in response.get_data(as_text=True)
    db.session.expire_all()
    assert chiefs(event) == ["余丽萍"]


def test_the_panel_page_shows_judges_work_units_and_certificates(app, client, auth):
    _, event = event_ending_in()
    chief = expert("余丽萍", "咸宁市中心医院", expires_in=60)
    pool.add_panel_member(db.session, event, chief, today=TODAY, role="chief")
    db.session.commit()
    auth.login("org")
    page = client.get(f"/events/{event.id}/panel").get_data(as_text=True)
    assert "裁判长" in page and "余丽萍" in page and "咸宁市中心医院" in page
    assert chief.certificate_expires_on.isoformat() in page and "即将到期" in page


def test_removing_a_judge_is_refused_once_marking_started(app, client, auth):
    _, event = event_ending_in()
    judge, other = expert("田慧"), expert("熊春华")
    first = pool.add_panel_member(db.session, event, judge, today=TODAY)
    second = pool.add_panel_member(db.session, event, other, today=TODAY)
    db.session.commit()
    auth.login("org")
    response = client.post(f"/events/{event.id}/panel/members/{second.id}/remove",
                           follow_redirects=True)
    assert "已将熊春华移出裁判组" in response.get_data(as_text=True)
    assert panel_count(event) == 1

    event.marking_started_at = datetime.now(UTC)
    db.session.commit()
    response = client.post(f"/events/{event.id}/panel/members/{first.id}/remove")
    assert "可能已经打分，不能移出裁判组" in response.get_data(as_text=True)
    assert panel_count(event) == 1


# --- The random draw --------------------------------------------------------------------

def _draw_fixture():
    """A pool where only some experts qualify for the event's draw."""
    organizer, event = event_ending_in()
    entry(event, "王芳", "咸宁市社会福利院")
    entry(event, "李娟", "赤壁市人民医院")
    entry(event, "被拒", "通山县人民医院", status=RegistrationStatus.REJECTED)
    qualified = [expert("田慧", "湖北职业技术学院"), expert("汪小红", "咸宁市第一人民医院"),
                 expert("龚晓玲", "嘉鱼县人民医院"), expert("谭永红", "通山县人民医院")]
    expert("过期", "某单位", expires_in=-1)  # certificate expired
    expert("快到期", "某单位", expires_in=5)  # expires before the competition ends
    expert("同单位", " 咸宁市 社会福利院")  # a contestant's own work unit
    declared = expert("已回避", "咸宁市养老服务指导中心")
    db.session.add(Conflict(competition_id=event.competition_id, expert_id=declared.id,
                            work_unit="赤壁市人民医院", reason="曾任该院护士长"))
    named = expert("点名回避", "咸宁职业技术学院")
    db.session.add(Conflict(competition_id=event.competition_id, expert_id=named.id,
                            contestant_id=event_contestant(event, "王芳"), reason="亲属"))
    # A conflict declared in another competition does not count here.
    elsewhere = builders.competition("赤壁市职工技能竞赛")
    qualified.append(expert("饶建平", "咸宁市中医院"))
    db.session.add(Conflict(competition_id=elsewhere.id, expert_id=qualified[-1].id,
                            work_unit="赤壁市人民医院", reason="另一大赛"))
    on_panel = expert("已在组", "咸宁市中心医院")
    pool.add_panel_member(db.session, event, on_panel, today=TODAY, role="chief")
    expert("茶艺", "某单位", occupations=[builders.occupation("茶艺师", "4-03-02-07")])
    db.session.commit()
    return organizer, event, qualified


def event_contestant(event, name: str) -> int:
    return db.session.scalar(select(Contestant.id).join(Entry).where(
        Entry.event_id == event.id, Contestant.name == name))


def test_draw_candidates_exclude_conflicts_same_unit_and_short_certificates(app):
    _, event, qualified = _draw_fixture()
    candidates = pool.draw_candidates(db.session, event, today=TODAY)
    assert [e.name for e in candidates] == [e.name for e in qualified]


def test_random_draw_is_recorded_and_reproducible(app, client, auth):
    organizer, event, qualified = _draw_fixture()
    auth.login("org")
    response = client.post(f"/events/{event.id}/panel/draw", data={"count": 3},
                           follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "已从 5 名符合条件的专家中随机抽取 3 名裁判" in page

    draw = db.session.scalar(select(PanelDraw).where(PanelDraw.event_id == event.id))
    assert draw.drawn_by_id == organizer.id and len(draw.seed) == 32
    assert draw.candidate_ids == sorted(e.id for e in qualified)
    assert draw.chosen_ids == random.Random(draw.seed).sample(draw.candidate_ids, 3)
    drawn = db.session.scalars(select(PanelMember).where(PanelMember.draw_id == draw.id)).all()
    assert sorted(m.expert_id for m in drawn) == sorted(draw.chosen_ids)
    assert all(m.role == "judge" for m in drawn)
    assert chiefs(event) == ["已在组"]
    # The record is shown on the panel page.
    assert draw.seed in page and "抽取记录" in page and "候选专家" in page


def test_a_draw_larger_than_the_qualified_pool_is_refused(app, client, auth):
    _, event, _ = _draw_fixture()
    auth.login("org")
    response = client.post(f"/events/{event.id}/panel/draw", data={"count": 6})
    assert "养老护理员仅有 5 名符合条件的专家可供抽取，少于要求的 6 名" in \
        response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(PanelDraw)) == 0
    assert panel_count(event) == 1


def test_draw_sample_is_a_function_of_the_seed():
    ids = [4, 9, 2, 7, 11]
    assert pool.draw_sample("ab" * 16, ids, 3) == pool.draw_sample("ab" * 16, ids[::-1], 3)
    assert pool.draw_sample("ab" * 16, ids, 3) == random.Random("ab" * 16).sample(
        sorted(ids), 3)


# --- Conflicts ----------------------------------------------------------------------------

def test_declare_and_remove_conflicts(app, client, auth):
    _, event = event_ending_in()
    wang = entry(event, "王芳", "咸宁市社会福利院")
    judge = expert("田慧", "湖北职业技术学院")
    pool.add_panel_member(db.session, event, judge, today=TODAY)
    db.session.commit()
    auth.login("org")
    url = f"/events/{event.id}/conflicts"

    response = client.post(url, data={"expert_id": judge.id, "contestant_id": wang.contestant_id,
                                      "work_unit": "", "reason": "师生关系"},
                           follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "田慧的回避事项已登记" in page and "师生关系" in page and "王芳" in page
    response = client.post(url, data={"expert_id": judge.id, "contestant_id": "0",
                                      "work_unit": "赤壁市人民医院", "reason": "曾在该院工作"},
                           follow_redirects=True)
    assert "赤壁市人民医院" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Conflict)) == 2

    for bad in ({"contestant_id": wang.contestant_id, "work_unit": "某单位"},
                {"contestant_id": "0", "work_unit": ""}):
        response = client.post(url, data={"expert_id": judge.id, "reason": "x", **bad})
        assert "二者只能选其一" in response.get_data(as_text=True)
    response = client.post(url, data={"expert_id": judge.id, "contestant_id": "0",
                                      "work_unit": "赤壁市人民医院", "reason": "again"})
    assert "田慧的这项回避已经登记" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Conflict)) == 2

    conflict = db.session.scalar(select(Conflict).where(Conflict.work_unit == "赤壁市人民医院"))
    response = client.post(f"{url}/{conflict.id}/remove", follow_redirects=True)
    assert "回避事项已删除" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Conflict)) == 1


def test_a_conflict_needs_a_panel_member_and_an_entered_contestant(app):
    _, event = event_ending_in()
    outsider = expert("龚晓玲")
    judge = expert("田慧")
    pool.add_panel_member(db.session, event, judge, today=TODAY)
    other_event = builders.event(event.competition, "育婴员")
    stranger = entry(other_event, "张伟", "某单位")
    with pytest.raises(SetupError, match="not on the panel"):
        pool.declare_conflict(db.session, event, outsider, work_unit="某单位",
                                 reason="r", declared_by=None)
    with pytest.raises(SetupError, match="Choose a contestant entered"):
        pool.declare_conflict(db.session, event, judge, contestant_id=stranger.contestant_id,
                                 reason="r", declared_by=None)
    with pytest.raises(SetupError, match="reason"):
        pool.declare_conflict(db.session, event, judge, work_unit="某单位", reason=" ",
                                 declared_by=None)
    assert db.session.scalar(select(func.count()).select_from(Conflict)) == 0


def test_is_recused(app):
    _, event = event_ending_in()
    own = entry(event, "王芳", "咸宁市社会福利院")
    named = entry(event, "李娟", "赤壁市人民医院")
    by_unit = entry(event, "陈静", "嘉鱼县人民医院")
    free = entry(event, "刘洋", "通城县人民医院")
    no_unit = entry(event, "赵敏", "")
    judge = expert("柯美玲", "咸宁市 社会福利院")
    db.session.add_all([
        Conflict(competition_id=event.competition_id, expert_id=judge.id,
                 contestant_id=named.contestant_id, reason="亲属"),
        Conflict(competition_id=event.competition_id, expert_id=judge.id,
                 work_unit="嘉鱼县人民医院 ", reason="兼职"),
        Conflict(competition_id=builders.competition("另一大赛").id, expert_id=judge.id,
                 work_unit="通城县人民医院", reason="另一大赛"),
    ])
    db.session.flush()
    assert pool.is_recused(db.session, judge, own)  # own work unit, however spaced
    assert pool.is_recused(db.session, judge, named)
    assert pool.is_recused(db.session, judge, by_unit)
    assert not pool.is_recused(db.session, judge, free)
    assert not pool.is_recused(db.session, judge, no_unit)
    unattached = expert("无单位", "")
    assert not pool.is_recused(db.session, unattached, no_unit)


# --- Who may open these pages -------------------------------------------------------------

def _panel_urls(event, member, conflict):
    return [
        ("get", f"/events/{event.id}/panel", None),
        ("post", f"/events/{event.id}/panel/members", {"expert_id": member.expert_id,
                                                       "role": "judge"}),
        ("post", f"/events/{event.id}/panel/members/{member.id}/chief", {}),
        ("post", f"/events/{event.id}/panel/members/{member.id}/remove", {}),
        ("post", f"/events/{event.id}/panel/draw", {"count": 1}),
        ("post", f"/events/{event.id}/conflicts", {"expert_id": member.expert_id,
                                                   "work_unit": "某单位", "reason": "r"}),
        ("post", f"/events/{event.id}/conflicts/{conflict.id}/remove", {}),
    ]


def _permission_fixture():
    _, event = event_ending_in()
    member = pool.add_panel_member(db.session, event, expert("田慧"), today=TODAY)
    conflict = pool.declare_conflict(db.session, event, member.expert, work_unit="某单位",
                                        reason="r", declared_by=None)
    expert("汪小红")
    other = builders.user("organizer", username="other")
    builders.competition("赤壁市职工技能竞赛", organizers=(other,))
    builders.user("judge", username="judge")
    db.session.commit()
    return event, member, conflict


@pytest.mark.parametrize("who", ["other", "judge"])
def test_others_get_403_on_the_panel(app, client, auth, who):
    event, member, conflict = _permission_fixture()
    auth.login(who)
    for method, url, data in _panel_urls(event, member, conflict):
        assert getattr(client, method)(url, data=data).status_code == 403, url
    assert panel_count(event) == 1 and chiefs(event) == []
    assert db.session.scalar(select(func.count()).select_from(Conflict)) == 1
    assert db.session.scalar(select(func.count()).select_from(PanelDraw)) == 0


def test_anonymous_visitors_are_sent_to_sign_in(app, client):
    event, member, conflict = _permission_fixture()
    urls = [*_panel_urls(event, member, conflict), ("get", "/experts", None),
            ("get", "/experts/new", None), ("get", f"/experts/{member.expert_id}/edit", None)]
    for method, url, data in urls:
        response = getattr(client, method)(url, data=data)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url


def test_judges_cannot_open_the_pool(app, client, auth):
    event, member, _ = _permission_fixture()
    auth.login("judge")
    assert client.get("/experts").status_code == 403
    assert client.get("/experts/new").status_code == 403
    assert client.get(f"/experts/{member.expert_id}/edit").status_code == 403


def test_admins_manage_any_panel(app, client, auth):
    event, member, _ = _permission_fixture()
    builders.user("admin", username="root")
    db.session.commit()
    auth.login("root")
    assert client.get(f"/events/{event.id}/panel").status_code == 200
    client.post(f"/events/{event.id}/panel/members/{member.id}/chief")
    assert chiefs(event) == ["田慧"]
