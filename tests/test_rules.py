"""Promotion rules of an event (presets, editing, order) and the occupation catalogue."""

from __future__ import annotations

from decimal import Decimal

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import func, select, text

from competition.events import promotion_rules as service
from competition.events.models import Division, Occupation, PromotionRule
from competition.events.setup import SetupError
from competition.extensions import db
from tests import builders

SEEDED = {
    "养老护理员": "4-10-01-05", "车工": "6-18-01-01", "铣工": "6-18-01-02", "茶艺师": None,
    "育婴员": "4-10-01-02", "保育师": "4-10-01-03", "家政服务员": "4-10-01-06",
}


def _rules(event) -> list[PromotionRule]:
    return db.session.scalars(select(PromotionRule).where(PromotionRule.event_id == event.id)
                              .order_by(PromotionRule.position)).all()


def _shape(rule: PromotionRule) -> tuple:
    return (rule.division.name if rule.division else None, rule.rank_from, rule.rank_to,
            rule.effect, rule.grant_grade, rule.cap_grade)


def _my_event(organizer, divisions=("职工组", "学生组")):
    competition = builders.competition("咸宁市技能大赛", organizers=(organizer,))
    event = builders.event(competition, "养老护理员", divisions=divisions)
    db.session.commit()
    return event


def _division(event, name) -> Division:
    return next(d for d in event.divisions if d.name == name)


def _rule_form(**values) -> dict:
    form = {"division_id": "", "name": "", "rank_from": "", "rank_to": "", "top_percent": "",
            "min_total": "", "min_module_score": "60", "required_grade": "",
            "max_age_male": "", "max_age_female": "", "once_per_year": "y", "effect": "grant",
            "grant_grade": "", "cap_grade": ""}
    form.update({name: str(value) for name, value in values.items()})
    return form


# --- Presets ------------------------------------------------------------------------

def test_national_preset_gives_each_division_its_own_rules(app):
    organizer = builders.user("organizer")
    event = _my_event(organizer)
    made = service.apply_preset(db.session, event, "national_class1")
    db.session.commit()
    rules = _rules(event)
    assert rules == made
    assert [_shape(r) for r in rules] == [
        ("职工组", 1, 5, "grant", 2, 1),
        ("职工组", 6, 20, "grant", 3, 2),
        ("学生组", 1, 5, "grant", 3, 3),
    ]
    assert [r.position for r in rules] == [0, 1, 2]
    assert {r.preset for r in rules} == {"national_class1"}
    for rule in rules:
        assert rule.min_theory_score == rule.min_practical_score == Decimal(60) \
            and rule.once_per_year
        assert (rule.max_age_male, rule.max_age_female) == (60, 55)


def test_a_preset_for_every_division_makes_one_rule_without_a_division(app):
    event = _my_event(builders.user("organizer"))
    service.apply_preset(db.session, event, "provincial_class2")
    db.session.commit()
    assert [_shape(r) for r in _rules(event)] == [
        (None, 1, 3, "step_up", None, 1),
        (None, 4, 8, "step_up", None, 2),
    ]
    assert _rules(event)[1].required_grade == 5


def test_two_worker_divisions_each_get_the_worker_rules(app):
    event = _my_event(builders.user("organizer"), divisions=("职工组", "技师组"))
    service.apply_preset(db.session, event, "city_class2")
    assert [_shape(r) for r in _rules(event)] == [
        ("职工组", 1, 6, "grant", 3, 3), ("技师组", 1, 6, "grant", 3, 3),
    ]


def test_applying_a_preset_replaces_the_rules_or_adds_to_them(app):
    event = _my_event(builders.user("organizer"))
    service.apply_preset(db.session, event, "national_class1")
    service.apply_preset(db.session, event, "enterprise_school_top30")
    db.session.commit()
    rules = _rules(event)
    assert [(r.preset, r.top_percent) for r in rules] == [("enterprise_school_top30",
                                                           Decimal(30))]
    service.apply_preset(db.session, event, "city_class1", replace=False)
    assert [r.preset for r in _rules(event)] == ["enterprise_school_top30", "city_class1",
                                                 "city_class1"]
    assert [r.position for r in _rules(event)] == [0, 1, 2]


def test_unknown_preset_and_an_event_without_matching_divisions_are_refused(app):
    event = _my_event(builders.user("organizer"), divisions=("教师组",))
    event.divisions[0].kind = "teacher"
    db.session.commit()
    with pytest.raises(SetupError):
        service.apply_preset(db.session, event, "no_such_preset")
    with pytest.raises(SetupError) as refused:
        service.apply_preset(db.session, event, "national_class1")
    assert "neither" in refused.value.message


def test_organizer_applies_a_preset_on_the_page(app, client, login_as):
    event = _my_event(login_as("organizer"))
    page = client.post(f"/events/{event.id}/rules/preset", data={"preset": "national_class1"},
                       follow_redirects=True).get_data(as_text=True)
    assert "已应用预设“国家级一类竞赛”，本赛项现有 3 条规则" in page
    assert "授予 二级/技师，最高 一级/高级技师" in page
    assert "授予 三级/高级工，最高 二级/技师" in page
    assert "本组第6–20名" in page
    assert "理论成绩不低于60分" in page and "实操成绩（各实操模块加权合计）不低于60分" in page
    assert "男性不超过60周岁，女性不超过55周岁" in page
    assert "每人每年仅限通过竞赛晋升一次" in page
    assert "成绩最终确定后、办理晋升时才会执行" in page
    assert "职工组第1–5名：二级/技师" in page
    # The names are stored in the organizer's language, as their own words to edit.
    assert _rules(event)[0].name == "职工组第1–5名：二级/技师"


def test_the_rules_page_shows_step_up_and_top_percent_rules_in_words(app, client, login_as):
    event = _my_event(login_as("organizer"))
    service.apply_preset(db.session, event, "provincial_class2")
    db.session.commit()
    page = client.get(f"/events/{event.id}/rules").get_data(as_text=True)
    assert "晋升一级，最高 一级/高级技师" in page
    assert "已具有五级/初级工或更高等级" in page
    assert "全部组别" in page
    # Names still stored as English ids (a preset applied outside a page) show translated.
    assert "前3名：晋升一级" in page
    service.apply_preset(db.session, event, "enterprise_school_top30")
    db.session.commit()
    page = client.get(f"/events/{event.id}/rules").get_data(as_text=True)
    assert "位列本组前30%" in page and "授予 四级/中级工，最高 三级/高级工" in page


def test_an_unknown_preset_on_the_page_changes_nothing(app, client, login_as):
    event = _my_event(login_as("organizer"))
    service.apply_preset(db.session, event, "city_class1")
    db.session.commit()
    page = client.post(f"/events/{event.id}/rules/preset", data={"preset": "nonsense"},
                       follow_redirects=True).get_data(as_text=True)
    assert "请选择一个预设" in page
    assert [r.preset for r in _rules(event)] == ["city_class1", "city_class1"]


# --- Editing a rule -----------------------------------------------------------------

def test_organizer_adds_a_rule_at_the_end(app, client, login_as):
    event = _my_event(login_as("organizer"))
    service.apply_preset(db.session, event, "city_class1")
    db.session.commit()
    students = _division(event, "学生组")
    assert "全部组别" in client.get(f"/events/{event.id}/rules/new").get_data(as_text=True)
    response = client.post(f"/events/{event.id}/rules/new", data=_rule_form(
        division_id=students.id, name="学生组第11–20名", rank_from=11, rank_to=20,
        grant_grade=4, cap_grade=4, max_age_male=60))
    assert response.status_code == 302
    rules = _rules(event)
    assert len(rules) == 3
    added = rules[-1]
    assert (added.position, added.division_id, added.rank_from, added.rank_to) == (
        2, students.id, 11, 20)
    assert (added.grant_grade, added.cap_grade, added.max_age_male, added.max_age_female) == (
        4, 4, 60, None)
    assert added.preset == "" and added.once_per_year


def test_organizer_edits_a_rule(app, client, login_as):
    event = _my_event(login_as("organizer"))
    service.apply_preset(db.session, event, "city_class1")
    db.session.commit()
    rule = _rules(event)[0]
    page = client.get(f"/events/{event.id}/rules/{rule.id}/edit").get_data(as_text=True)
    assert "编辑晋升规则" in page and 'value="10"' in page
    response = client.post(f"/events/{event.id}/rules/{rule.id}/edit", data=_rule_form(
        division_id=rule.division_id, name="职工组前8名", rank_from=1, rank_to=8,
        effect="step_up", grant_grade=2, cap_grade=2, once_per_year=""))
    assert response.status_code == 302
    db.session.refresh(rule)
    assert (rule.name, rule.rank_to, rule.effect, rule.grant_grade, rule.cap_grade) == (
        "职工组前8名", 8, "step_up", None, 2)
    assert rule.once_per_year is False and rule.max_age_male is None


@pytest.mark.parametrize(("values", "message"), [
    ({"rank_from": 0, "rank_to": 5, "grant_grade": 3}, "起始名次必须不小于 1"),
    ({"rank_from": 6, "rank_to": 5, "grant_grade": 3}, "截止名次（5）"),
    ({"top_percent": 0, "grant_grade": 3}, "前百分比必须大于 0 且不超过 100"),
    ({"top_percent": "100.5", "grant_grade": 3}, "前百分比必须大于 0 且不超过 100"),
    ({"rank_from": 1, "rank_to": 5}, "授予等级的规则必须"),
    ({"rank_from": 1, "rank_to": 5, "grant_grade": 2, "cap_grade": 3},
     "不能低于其授予的等级"),
    ({"grant_grade": 3}, "请说明规则适用于"),
    ({"rank_to": 5, "grant_grade": 3, "min_module_score": 120}, "模块最低成绩必须在 0 到 100 之间"),
    ({"rank_to": 5, "grant_grade": 3, "max_age_female": 0}, "年龄上限必须是大于 0 的整数"),
])
def test_a_bad_rule_is_refused_in_chinese_and_nothing_changes(app, client, login_as, values,
                                                              message):
    event = _my_event(login_as("organizer"))
    service.apply_preset(db.session, event, "city_class1")
    db.session.commit()
    before = [_shape(r) for r in _rules(event)]
    page = client.post(f"/events/{event.id}/rules/new",
                       data=_rule_form(**values)).get_data(as_text=True)
    assert message in page
    rule = _rules(event)[0]
    page = client.post(f"/events/{event.id}/rules/{rule.id}/edit",
                       data=_rule_form(division_id=rule.division_id, **values)).get_data(
        as_text=True)
    assert message in page
    db.session.expire_all()
    assert [_shape(r) for r in _rules(event)] == before


def test_service_refuses_a_bad_grade_and_a_division_of_another_event(app):
    organizer = builders.user("organizer")
    event = _my_event(organizer)
    other = builders.event(event.competition, "车工",
                           occupation=builders.occupation("车工", "6-18-01-01"))
    db.session.commit()
    with pytest.raises(SetupError) as refused:
        service.save_rule(db.session, event, None, rank_to=5, grant_grade=6)
    assert refused.value.message == "Grades run from 1 (the highest) to 5."
    with pytest.raises(SetupError) as refused:
        service.save_rule(db.session, event, None, rank_to=5, grant_grade=3,
                          division_id=other.divisions[0].id)
    assert refused.value.message == "The division does not belong to this event."
    with pytest.raises(SetupError):
        service.save_rule(db.session, event, None, rank_to=5, effect="demote")
    with pytest.raises(TypeError):
        service.save_rule(db.session, event, None, rank_to=5, grant_grade=3, colour="red")
    rule = service.save_rule(db.session, event, None, rank_to=5, grant_grade=3)
    assert (rule.rank_from, rule.rank_to, rule.division_id) == (1, 5, None)
    with pytest.raises(SetupError):
        service.save_rule(db.session, other, rule, rank_to=6)


def test_a_division_of_another_event_is_refused_on_the_page(app, client, login_as):
    event = _my_event(login_as("organizer"))
    other = builders.event(event.competition, "车工",
                           occupation=builders.occupation("车工", "6-18-01-01"))
    db.session.commit()
    client.post(f"/events/{event.id}/rules/new", data=_rule_form(
        division_id=other.divisions[0].id, rank_to=5, grant_grade=3))
    assert _rules(event) == []


# --- Order and deletion ---------------------------------------------------------------

def test_rules_move_up_and_down(app, client, login_as):
    event = _my_event(login_as("organizer"))
    service.apply_preset(db.session, event, "national_class1")
    db.session.commit()
    first, second, third = _rules(event)
    client.post(f"/events/{event.id}/rules/{third.id}/move", data={"direction": "up"})
    db.session.expire_all()
    assert [r.id for r in _rules(event)] == [first.id, third.id, second.id]
    client.post(f"/events/{event.id}/rules/{first.id}/move", data={"direction": "down"})
    db.session.expire_all()
    assert [r.id for r in _rules(event)] == [third.id, first.id, second.id]
    # The first cannot move up, nor the last down.
    client.post(f"/events/{event.id}/rules/{third.id}/move", data={"direction": "up"})
    client.post(f"/events/{event.id}/rules/{second.id}/move", data={"direction": "down"})
    db.session.expire_all()
    assert [r.id for r in _rules(event)] == [third.id, first.id, second.id]
    assert [r.position for r in _rules(event)] == [0, 1, 2]


def test_deleting_a_rule_closes_the_gap(app, client, login_as):
    event = _my_event(login_as("organizer"))
    service.apply_preset(db.session, event, "national_class1")
    db.session.commit()
    first, second, third = _rules(event)
    page = client.post(f"/events/{event.id}/rules/{second.id}/delete",
                       follow_redirects=True).get_data(as_text=True)
    assert "晋升规则已删除" in page
    db.session.expire_all()
    assert [(r.id, r.position) for r in _rules(event)] == [(first.id, 0), (third.id, 1)]


def test_a_rule_of_another_event_is_not_found_under_this_one(app, client, login_as):
    organizer = login_as("organizer")
    event = _my_event(organizer)
    other = builders.event(event.competition, "车工",
                           occupation=builders.occupation("车工", "6-18-01-01"))
    service.apply_preset(db.session, other, "city_class1")
    db.session.commit()
    rule = _rules(other)[0]
    assert client.get(f"/events/{event.id}/rules/{rule.id}/edit").status_code == 404
    assert client.post(f"/events/{event.id}/rules/{rule.id}/delete").status_code == 404
    assert _rules(other) == [rule]


# --- Permissions ----------------------------------------------------------------------

def _rule_urls(event, rule) -> list[tuple[str, str]]:
    base = f"/events/{event.id}/rules"
    return [
        ("get", base), ("get", f"{base}/new"), ("get", f"{base}/{rule.id}/edit"),
        ("post", f"{base}/preset"), ("post", f"{base}/new"),
        ("post", f"{base}/{rule.id}/edit"), ("post", f"{base}/{rule.id}/move"),
        ("post", f"{base}/{rule.id}/delete"),
    ]


@pytest.mark.parametrize("who", ["other_organizer", "judge", "anonymous"])
def test_only_the_competitions_organizers_reach_its_rules(app, client, auth, who):
    owner = builders.user("organizer", username="owner")
    event = _my_event(owner)
    service.apply_preset(db.session, event, "city_class1")
    builders.user("organizer", username="other_organizer")
    builders.user("judge", username="judge")
    db.session.commit()
    rule = _rules(event)[0]
    if who != "anonymous":
        auth.login(who)
    for method, url in _rule_urls(event, rule):
        response = getattr(client, method)(url, data={"preset": "national_class1",
                                                      "direction": "up"})
        if who == "anonymous":
            assert response.status_code == 302 and "/login" in response.location, url
        else:
            assert response.status_code == 403, url
    assert [r.preset for r in _rules(event)] == ["city_class1", "city_class1"]


def test_an_admin_may_set_up_any_competitions_rules(app, client, login_as):
    event = _my_event(builders.user("organizer"))
    login_as("admin")
    client.post(f"/events/{event.id}/rules/preset", data={"preset": "city_class2"})
    assert len(_rules(event)) == 2


# --- Occupation catalogue -------------------------------------------------------------

def _occupation(name: str) -> Occupation | None:
    return db.session.scalar(select(Occupation).where(Occupation.name == name))


def test_occupation_codes_must_be_in_the_national_format(app):
    for code in ("4-10-01-5", "41-0-01-05", "4-10-01-05-1", "4—10—01—05", "A-10-01-05"):
        with pytest.raises(SetupError) as refused:
            service.save_occupation(db.session, None, "评茶员", code)
        assert refused.value.params == {"code": code}
    assert _occupation("评茶员") is None
    occupation = service.save_occupation(db.session, None, " 评茶员 ", " 4-03-02-07 ")
    assert (occupation.name, occupation.code) == ("评茶员", "4-03-02-07")
    service.save_occupation(db.session, occupation, "评茶员", "")
    assert occupation.code is None


def test_occupation_names_and_codes_are_unique(app):
    builders.occupation("车工", "6-18-01-01")
    with pytest.raises(SetupError) as refused:
        service.save_occupation(db.session, None, "车工", None)
    assert refused.value.message == "The catalogue already has an occupation called %(name)s."
    with pytest.raises(SetupError) as refused:
        service.save_occupation(db.session, None, "数控车工", "6-18-01-01")
    assert refused.value.params == {"code": "6-18-01-01", "name": "车工"}
    with pytest.raises(SetupError):
        service.save_occupation(db.session, None, "  ", None)
    # Saving an entry under its own name and code is no clash.
    turner = _occupation("车工")
    service.save_occupation(db.session, turner, "车工", "6-18-01-01")


def test_the_catalogue_lists_occupations_with_their_codes(app, client, login_as):
    builders.occupation("车工", "6-18-01-01")
    builders.occupation("茶艺师", None)
    db.session.commit()
    login_as("organizer")
    page = client.get("/occupations").get_data(as_text=True)
    assert "职业目录" in page and "6-18-01-01" in page and "未确认" in page
    assert "新增职业" not in page and "/edit" not in page


def test_admin_adds_and_renames_an_occupation(app, client, login_as):
    login_as("admin")
    assert "新增职业" in client.get("/occupations").get_data(as_text=True)
    response = client.post("/occupations/new", data={"name": "育婴员", "code": "4-10-01-02"})
    assert response.status_code == 302
    occupation = _occupation("育婴员")
    assert occupation.code == "4-10-01-02"
    client.post(f"/occupations/{occupation.id}/edit", data={"name": "育婴师",
                                                             "code": "4-10-01-02"})
    db.session.refresh(occupation)
    assert occupation.name == "育婴师"


def test_a_bad_code_is_refused_in_chinese_and_changes_nothing(app, client, login_as):
    login_as("admin")
    builders.occupation("车工", "6-18-01-01")
    db.session.commit()
    count = db.session.scalar(select(func.count()).select_from(Occupation))
    page = client.post("/occupations/new", data={"name": "铣工", "code": "6-18-1-2"}).get_data(
        as_text=True)
    assert "职业编码 6-18-1-2 不符合国家职业编码格式" in page
    page = client.post("/occupations/new", data={"name": "铣工", "code": "6-18-01-01"}).get_data(
        as_text=True)
    assert "职业编码 6-18-01-01 已被车工使用" in page
    assert db.session.scalar(select(func.count()).select_from(Occupation)) == count


def test_an_organizer_cannot_change_the_catalogue_every_competition_shares(app, client,
                                                                          login_as):
    occupation = builders.occupation("保育师", "4-10-01-99")
    db.session.commit()
    login_as("organizer")
    assert client.get(f"/occupations/{occupation.id}/edit").status_code == 403
    response = client.post(f"/occupations/{occupation.id}/edit",
                           data={"name": "幼儿保育员", "code": "4-10-01-03"})
    assert response.status_code == 403
    db.session.refresh(occupation)
    assert (occupation.name, occupation.code) == ("保育师", "4-10-01-99")
    assert client.get("/occupations/new").status_code == 403
    assert client.post("/occupations/new", data={"name": "X"}).status_code == 403
    assert _occupation("X") is None


@pytest.mark.parametrize("who", ["judge", "anonymous"])
def test_judges_and_visitors_cannot_open_the_catalogue(app, client, login_as, who):
    occupation = builders.occupation("车工", "6-18-01-01")
    db.session.commit()
    if who == "judge":
        login_as("judge")
    for method, url in [("get", "/occupations"), ("get", "/occupations/new"),
                        ("get", f"/occupations/{occupation.id}/edit"),
                        ("post", f"/occupations/{occupation.id}/edit")]:
        response = getattr(client, method)(url, data={"name": "X", "code": ""})
        if who == "anonymous":
            assert response.status_code == 302 and "/login" in response.location
        else:
            assert response.status_code == 403
    db.session.refresh(occupation)
    assert (occupation.name, occupation.code) == ("车工", "6-18-01-01")


# --- The seeding migration ------------------------------------------------------------

def _catalogue(connection) -> dict[str, str | None]:
    return dict(connection.execute(text("SELECT name, code FROM occupations")).all())


def test_upgrading_seeds_the_occupations_and_downgrading_removes_unused_ones(tmp_path):
    from tests.conftest import make_app

    app = make_app("sqlite:///" + str(tmp_path / "seed.sqlite3"))
    with app.app_context():
        upgrade(revision="0002")
        with db.engine.begin() as connection:
            # Already there by name (with its own code), so it is left as it is.
            connection.execute(text(
                "INSERT INTO occupations (id, name, code) VALUES (1, '车工', NULL)"))
        upgrade()
        with db.engine.connect() as connection:
            assert _catalogue(connection) == {**SEEDED, "车工": None}
            with db.engine.begin() as writing:
                writing.execute(text(
                    "INSERT INTO experts (id, name, work_unit, title, phone, examiner_level, "
                    "created_at) VALUES (1, '张工', '', '', '', 'examiner', "
                    "'2026-11-26 00:00:00')"))
                writing.execute(text(
                    "INSERT INTO expert_occupations (expert_id, occupation_id) "
                    "SELECT 1, id FROM occupations WHERE name = '育婴员'"))
        downgrade(revision="0002")
        with db.engine.connect() as connection:
            # Only what an expert refers to stays.
            assert set(_catalogue(connection)) == {"育婴员"}
        upgrade(revision="0003")
        with db.engine.connect() as connection:
            assert _catalogue(connection) == SEEDED
            assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() \
                == "0003"
        db.engine.dispose()


def test_the_seeded_catalogue_is_what_the_demo_uses():
    from competition.demo import OCCUPATIONS

    assert dict(OCCUPATIONS) == SEEDED
