"""Organizers set up a competition through the pages: competitions, events, schemes, status."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from competition.events.models import Competition, CompetitionOrganizer, Criterion, Event, Module
from competition.extensions import db
from tests import builders


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _ready_competition(organizer):
    competition = builders.competition("咸宁市技能大赛", organizers=(organizer,))
    event = builders.event(competition, "养老护理员")
    builders.module(event, "T", weight=20, kind="theory", criteria=())
    builders.module(event, "A", weight=80, criteria=(("A1", 60, "measurement"),
                                                     ("A2", 40, "judgement")))
    db.session.commit()
    return competition, event


def test_organizer_creates_a_competition_they_then_run(app, client, login_as):
    organizer = login_as("organizer")
    response = client.post("/competitions/new", data={
        "name": "赤壁市第三届职工技能大赛", "edition": "3", "level": "city", "level_class": "2",
        "host": "赤壁市总工会", "starts_on": "2027-05-10", "ends_on": "2027-05-11",
        "venue": "赤壁市职教中心", "name_display": "masked", "evaluator_type": "S",
        "evaluator_code": "0421", "province_code": "42", "site_sequence": "120002",
        "certificate_issuer": "赤壁市职业技能鉴定所",
    }, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "大赛已创建" in page and "赤壁市第三届职工技能大赛" in page
    competition = db.session.scalar(select(Competition))
    assert competition.status == "draft" and competition.level_class == 2
    assert db.session.scalar(select(CompetitionOrganizer.user_id)) == organizer.id


def test_bad_certificate_settings_are_refused_and_nothing_saved(app, client, login_as):
    login_as("organizer")
    response = client.post("/competitions/new", data={
        "name": "大赛", "level": "city", "name_display": "masked", "evaluator_type": "S",
        "evaluator_code": "04a1", "province_code": "42", "site_sequence": "120002",
    })
    assert "必须正好是 4 位数字" in response.get_data(as_text=True)
    assert _count(Competition) == 0


def test_judges_cannot_create_competitions(app, client, login_as):
    login_as("judge")
    assert client.get("/competitions/new").status_code == 403


def test_status_moves_forward_one_step_at_a_time(app, client, login_as):
    organizer = login_as("organizer")
    competition, _ = _ready_competition(organizer)
    url = f"/competitions/{competition.id}/status"

    page = client.post(url, data={"status": "running"}, follow_redirects=True).get_data(
        as_text=True)
    assert "下一步是“报名中”" in page
    db.session.refresh(competition)
    assert competition.status == "draft"

    page = client.post(url, data={"status": "registration"}, follow_redirects=True).get_data(
        as_text=True)
    assert "大赛状态已变为：报名中" in page

    page = client.post(url, data={"status": "draft"}, follow_redirects=True).get_data(
        as_text=True)
    assert "只能向前" in page
    db.session.refresh(competition)
    assert competition.status == "registration"


def test_a_competition_with_an_incomplete_scheme_cannot_open(app, client, login_as):
    organizer = login_as("organizer")
    competition = builders.competition(organizers=(organizer,))
    event = builders.event(competition, "车工")
    builders.module(event, "A", weight=70, criteria=(("A1", 100, "measurement"),))
    db.session.commit()
    page = client.post(f"/competitions/{competition.id}/status",
                       data={"status": "registration"}, follow_redirects=True).get_data(
        as_text=True)
    assert "各模块权重合计为 70，不是 100" in page
    db.session.refresh(competition)
    assert competition.status == "draft"


def test_organizer_builds_an_event_and_its_scheme(app, client, login_as):
    organizer = login_as("organizer")
    competition = builders.competition(organizers=(organizer,))
    lathe = builders.occupation("车工", "6-18-01-01")
    db.session.commit()

    response = client.post(f"/competitions/{competition.id}/events/new", data={
        "occupation_id": lathe.id, "name": "", "divisions": "职工组、学生组",
        "aggregation": "mean", "trim_count": "0", "decimals": "2",
        "tie_break": ["more_decimals", "practical"], "first_prize_pct": "10",
        "second_prize_pct": "20", "third_prize_pct": "30", "appeal_window_hours": "2",
        "notice_days": "5", "grade_min": "3", "grade_max": "2",
    }, follow_redirects=True)
    assert "赛项已创建" in response.get_data(as_text=True)
    event = db.session.scalar(select(Event))
    assert event.name == "车工"
    assert [(d.name, d.kind) for d in event.divisions] == [("职工组", "worker"),
                                                         ("学生组", "student")]

    client.post(f"/events/{event.id}/modules", data={
        "code": "T", "name": "理论知识", "kind": "theory", "weight": "30", "max_score": "100"})
    page = client.post(f"/events/{event.id}/modules", data={
        "code": "A", "name": "实际操作", "kind": "practical", "weight": "60",
        "max_score": "100"}, follow_redirects=True).get_data(as_text=True)
    assert "各模块权重合计为 90，不是 100" in page

    module_a = db.session.scalar(select(Module).where(Module.code == "A"))
    client.post(f"/modules/{module_a.id}/edit", data={
        "code": "A", "name": "实际操作", "kind": "practical", "weight": "70", "max_score": "100"})
    client.post(f"/modules/{module_a.id}/criteria/new", data={
        "code": "A1", "description": "外圆Ø38(0/-0.025)", "max_points": "6",
        "kind": "measurement", "entry_mode": "measured", "unit": "mm", "nominal": "38",
        "tolerance_lower": "-0.025", "tolerance_upper": "0", "deduction_step": "0.01",
        "deduction_points": "1", "deduction_limit": "0.05"})
    page = client.post(f"/modules/{module_a.id}/criteria/new", data={
        "code": "A2", "description": "工件外观", "max_points": "94", "kind": "judgement",
        "entry_mode": "points"}, follow_redirects=True).get_data(as_text=True)
    assert "data-complete=\"scheme\"" in page
    a1 = db.session.scalar(select(Criterion).where(Criterion.code == "A1"))
    assert a1.entry_mode == "measured" and a1.nominal == Decimal(38)
    assert a1.tolerance_lower == Decimal("-0.025")


def test_a_refused_event_change_shows_its_rule_and_writes_nothing(app, client, login_as):
    """The settings are checked before anything is written: a crossed grade range gets the
    rule's message, not a database error from a CHECK constraint flushed half-way."""
    organizer = login_as("organizer")
    competition = builders.competition(organizers=(organizer,))
    event = builders.event(competition, name="养老护理员")
    db.session.commit()
    response = client.post(f"/events/{event.id}/edit", data={
        "occupation_id": event.occupation_id, "name": "养老护理员（改）", "divisions": "职工组",
        "aggregation": "mean", "trim_count": "0", "decimals": "2",
        "tie_break": ["more_decimals"], "first_prize_pct": "10", "second_prize_pct": "20",
        "third_prize_pct": "30", "appeal_window_hours": "2", "notice_days": "5",
        "grade_min": "3", "grade_max": "5",
    })
    assert response.status_code == 200
    assert "最高目标等级不能低于最低目标等级" in response.get_data(as_text=True)
    db.session.expire_all()
    stored = db.session.get(Event, event.id)
    assert (stored.name, stored.grade_min, stored.grade_max) == ("养老护理员", None, None)


def test_a_bad_criterion_is_refused_with_a_message(app, client, login_as):
    organizer = login_as("organizer")
    _, event = _ready_competition(organizer)
    module_a = event.modules[1]
    page = client.post(f"/modules/{module_a.id}/criteria/new", data={
        "code": "A9", "description": "实测", "max_points": "5", "kind": "measurement",
        "entry_mode": "measured", "nominal": "38"}).get_data(as_text=True)
    assert "按实测值评分，但缺少" in page
    assert db.session.scalar(select(Criterion).where(Criterion.code == "A9")) is None
    page = client.post(f"/modules/{module_a.id}/criteria/new", data={
        "code": "A1", "description": "重复", "max_points": "5", "kind": "judgement",
        "entry_mode": "points"}).get_data(as_text=True)
    assert "评分项代码 A1 在模块 A 中重复" in page


def test_once_marking_started_the_scheme_structure_is_frozen(app, client, login_as):
    organizer = login_as("organizer")
    _, event = _ready_competition(organizer)
    event.marking_started_at = datetime.now(UTC)
    db.session.commit()
    a1 = db.session.scalar(select(Criterion).where(Criterion.code == "A1"))

    page = client.post(f"/criteria/{a1.id}/edit", data={
        "code": "A1", "description": "新的描述", "max_points": "50", "kind": "measurement",
        "entry_mode": "points"}, follow_redirects=True).get_data(as_text=True)
    assert "评分已经开始" in page
    db.session.refresh(a1)
    assert a1.max_points == Decimal(60)

    client.post(f"/criteria/{a1.id}/edit", data={
        "code": "A1", "description": "新的描述", "max_points": "60", "kind": "measurement",
        "entry_mode": "points"})
    db.session.refresh(a1)
    assert a1.description == "新的描述"

    page = client.post(f"/criteria/{a1.id}/delete", follow_redirects=True).get_data(
        as_text=True)
    assert "评分已经开始" in page
    assert db.session.get(Criterion, a1.id) is not None


@pytest.mark.parametrize("method, url", [
    ("get", "/competitions/{c}/edit"), ("post", "/competitions/{c}/status"),
    ("get", "/competitions/{c}/events/new"), ("get", "/events/{e}/edit"),
    ("get", "/events/{e}/scheme"), ("post", "/events/{e}/modules"),
    ("get", "/modules/{m}/edit"), ("post", "/modules/{m}/delete"),
    ("get", "/modules/{m}/criteria/new"), ("get", "/criteria/{k}/edit"),
    ("post", "/criteria/{k}/delete"),
])
@pytest.mark.parametrize("visitor", ["other organizer", "judge", "anonymous"])
def test_only_the_competitions_organizers_may_set_it_up(app, client, auth, method, url,
                                                       visitor):
    owner = builders.user("organizer", username="owner")
    competition, event = _ready_competition(owner)
    module_a = event.modules[1]
    ids = dict(c=competition.id, e=event.id, m=module_a.id, k=module_a.criteria[0].id)
    if visitor != "anonymous":
        user = builders.user("organizer" if visitor == "other organizer" else "judge")
        db.session.commit()
        auth.login(user.username)
    response = getattr(client, method)(url.format(**ids))
    if visitor == "anonymous":
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    else:
        assert response.status_code == 403
    assert _count(Module) == 2 and _count(Criterion) == 2
