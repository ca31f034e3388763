"""A whole competition exported to one JSON document, imported from it, and cloned."""

from __future__ import annotations

import copy
import json
from datetime import date
from io import BytesIO

import pytest
from sqlalchemy import func, select

from competition.auth.models import User
from competition.demo import DEMO_COMPETITION_NAME
from competition.events.models import (
    Competition,
    CompetitionOrganizer,
    Criterion,
    Division,
    Event,
    Expert,
    Module,
    Occupation,
    PanelMember,
    PromotionRule,
)
from competition.events.setup import SetupError
from competition.extensions import db
from competition.transfer.definition import (
    clone_competition,
    export_competition,
    import_competition,
)
from tests import builders

# Every demo expert's certificate is valid on this day (one runs out in December 2026).
BEFORE_THE_DEMO = date(2026, 11, 1)
DEMO_ORGANIZER_PASSWORD = "demo-organizer-2026"


@pytest.fixture
def demo(seeded_demo) -> Competition:
    """The demo competition, beside an organizer ("other") and a judge ("judge") of none."""
    builders.user("organizer", username="other")
    builders.user("judge", username="judge")
    db.session.commit()
    return db.session.scalar(select(Competition).where(
        Competition.name == DEMO_COMPETITION_NAME))


def counts() -> dict[str, int]:
    return {model.__name__: db.session.scalar(select(func.count()).select_from(model))
            for model in (Competition, CompetitionOrganizer, Event, Division, Module, Criterion,
                          PromotionRule, PanelMember, Occupation, Expert)}


def user(username: str) -> User:
    return db.session.scalar(select(User).where(User.username == username))


def upload(client, document, name: str = "", filename: str = "大赛.json"):
    data = document if isinstance(document, bytes) else \
        json.dumps(document, ensure_ascii=False).encode("utf-8")
    return client.post("/competitions/import",
                       data={"file": (BytesIO(data), filename), "name": name},
                       content_type="multipart/form-data")


# --- Export and import --------------------------------------------------------------

def test_export_then_import_gives_an_equal_competition(demo):
    source = demo
    document = export_competition(source)
    assert document["format"] == "yisai-competition" and document["version"] == 1
    assert "id" not in document["competition"] and "status" not in document["competition"]
    json.dumps(document)  # serialisable as it is
    lathe = next(e for e in document["events"] if e["name"] == "车工")
    assert lathe["occupation"] == {"name": "车工", "code": "6-18-01-01"}
    measured = lathe["modules"][1]["criteria"][0]
    assert (measured["entry_mode"], measured["tolerance_lower"], measured["deduction_step"]) \
        == ("measured", "-0.025", "0.01")
    assert lathe["starts_at"] == "2026-11-21T00:00:00+00:00"
    assert lathe["panel"][0]["role"] == "chief"

    before = counts()
    copy_, warnings = import_competition(db.session, document, user("other"),
                                         name="咸宁市第八届“咸宁工匠”职业技能大赛",
                                         today=BEFORE_THE_DEMO)
    db.session.commit()
    assert warnings == []
    assert copy_.status == "draft"
    assert [u.username for u in copy_.organizers] == ["other"]
    after = counts()
    assert after["Competition"] == before["Competition"] + 1
    assert after["Occupation"] == before["Occupation"]  # matched by name
    assert after["Expert"] == before["Expert"]  # experts are never created
    assert after["PanelMember"] == 2 * before["PanelMember"]

    again = export_competition(db.session.get(Competition, copy_.id))
    assert again["competition"].pop("name") == "咸宁市第八届“咸宁工匠”职业技能大赛"
    document["competition"].pop("name")
    assert again == document


def test_a_document_with_several_errors_lists_every_path_and_creates_nothing(demo):
    document = export_competition(demo)
    bad = copy.deepcopy(document)
    bad["competition"]["level"] = "galactic"
    bad["competition"]["ends_on"] = "2026-11-31"
    bad["events"][1]["modules"][0]["weight"] = "abc"
    bad["events"][0]["modules"][1]["criteria"][0]["max_points"] = "-1"
    bad["events"][0]["modules"][1]["criteria"][2]["code"] = "A1"
    bad["events"][1]["modules"][1]["criteria"][0]["nominal"] = None
    bad["events"][2]["divisions"][0]["kind"] = "children"
    bad["events"][0]["promotion_rules"][0]["grant_grade"] = 7
    bad["events"][0]["panel"][1]["role"] = "chief"
    bad["events"][2]["name"] = "车工"
    before = counts()
    with pytest.raises(SetupError) as refused:
        import_competition(db.session, bad, user("other"))
    db.session.rollback()
    paths = {problem.column for problem in refused.value.problems}
    assert paths == {
        "competition.level",
        "competition.ends_on",
        "events[1].modules[0].weight",
        "events[0].modules[1].criteria[0].max_points",
        "events[0].modules[1].criteria[2].code",
        "events[1].modules[1].criteria[0].nominal",
        "events[2].divisions[0].kind",
        "events[0].promotion_rules[0].grant_grade",
        "events[0].panel[1].role",
        "events[2].name",
    }
    assert refused.value.params == {"n": 10}
    assert counts() == before


def test_a_broken_scheme_sum_is_reported_at_the_modules(demo):
    document = export_competition(demo)
    document["events"][0]["modules"][0]["weight"] = "10"
    document["events"][0]["modules"][1]["criteria"][0]["max_points"] = "6"
    with pytest.raises(SetupError) as refused:
        import_competition(db.session, document, user("other"))
    assert {p.column for p in refused.value.problems} == {
        "events[0].modules", "events[0].modules[1].criteria"}


@pytest.mark.parametrize("document, path", [
    ([], ""),
    ({"format": "something-else", "version": 1}, "format"),
    ({"format": "yisai-competition", "version": 2}, "version"),
    ({"format": "yisai-competition", "version": 1, "competition": "x"}, "competition"),
])
def test_a_document_of_another_kind_is_refused(app, document, path):
    with pytest.raises(SetupError) as refused:
        import_competition(db.session, document, builders.user("organizer"))
    assert path in {p.column for p in refused.value.problems}


def test_a_small_hand_written_document_takes_the_defaults(app):
    document = {
        "format": "yisai-competition", "version": 1,
        "competition": {"name": "赤壁市家政服务职业技能竞赛", "level": "city", "level_class": 2},
        "events": [{
            "occupation": {"name": "家政服务员", "code": "4-10-01-06"},
            "divisions": [{"name": "职工组"}],
            "starts_at": "2027-05-10T08:30",
            "modules": [{"code": "T", "name": "理论", "kind": "theory", "weight": 30},
                        {"code": "A", "name": "实操", "kind": "practical", "weight": 70,
                         "max_score": 100,
                         "criteria": [{"code": "A1", "description": "整理", "max_points": 100,
                                       "kind": "judgement"}]}],
        }],
    }
    competition, warnings = import_competition(db.session, document, builders.user("organizer"))
    event = competition.events[0]
    assert (event.name, event.aggregation, event.decimals, event.notice_days) == (
        "家政服务员", "mean", 2, 5)
    assert event.starts_at.isoformat() == "2027-05-10T00:30:00+00:00"  # China time
    assert [m.code for m in event.modules] == ["T", "A"]
    assert event.modules[1].criteria[0].entry_mode == "points"
    assert competition.level_class == 2 and warnings == []


def test_new_occupations_are_added_and_missing_experts_are_warned_about(demo, app):
    document = export_competition(demo)
    document["events"][2]["occupation"] = {"name": "评茶员", "code": "4-03-02-99"}
    document["events"][0]["panel"].append(
        {"expert": {"name": "章三", "certificate_number": "KP9999", "work_unit": "外市医院"},
         "role": "judge"})
    with app.test_request_context():  # warnings come in the user's language
        competition, warnings = import_competition(db.session, document, user("other"),
                                                   name="副本", today=BEFORE_THE_DEMO)
    occupation = db.session.scalar(select(Occupation).where(Occupation.name == "评茶员"))
    assert occupation.code == "4-03-02-99"
    assert competition.events[2].occupation_id == occupation.id
    # The tea experts are not in the pool for the new occupation, so they are left out too.
    assert len(warnings) == 1 + len(document["events"][2]["panel"])
    assert "章三（外市医院）不在专家库中，未加入裁判组" in warnings[0]
    assert not any(m.expert.name == "章三" for m in competition.events[0].panel)


def test_clone_is_export_plus_import(demo):
    source = demo
    clone, _ = clone_competition(db.session, source, user("other"), "克隆大赛",
                                 today=BEFORE_THE_DEMO)
    first, second = export_competition(source), export_competition(clone)
    assert second["competition"]["name"] == "克隆大赛"
    second["competition"]["name"] = first["competition"]["name"]
    assert first == second


# --- Pages --------------------------------------------------------------------------

def test_organizer_downloads_the_definition(demo, client, auth):
    source = demo
    auth.login("organizer", DEMO_ORGANIZER_PASSWORD)
    response = client.get(f"/competitions/{source.id}/definition.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    assert json.loads(response.data) == export_competition(source)


def test_any_organizer_imports_a_definition_as_their_own_draft(demo, client, auth):
    document = export_competition(demo)
    auth.login("other")
    response = upload(client, document, name="通山县养老护理员技能竞赛")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "已创建新大赛“通山县养老护理员技能竞赛”，状态为草稿" in page
    imported = db.session.scalar(select(Competition).where(
        Competition.name == "通山县养老护理员技能竞赛"))
    assert imported.status == "draft"
    assert [u.username for u in imported.organizers] == ["other"]
    assert [e.name for e in imported.events] == ["养老护理员", "车工", "茶艺师"]


def test_a_bad_upload_shows_every_problem_with_its_path(demo, client, auth):
    document = export_competition(demo)
    document["events"][1]["modules"][0]["weight"] = "abc"
    document["events"][0]["divisions"][1]["name"] = "职工组"
    before = counts()
    auth.login("other")
    response = upload(client, document)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "大赛定义中有" in page and "未导入任何内容" in page
    assert "<th>位置</th><th>问题</th>" in page
    assert "<code>events[1].modules[0].weight</code>" in page and "“abc”不是数字" in page
    assert "<code>events[0].divisions[1].name</code>" in page and "组别名称 职工组 重复" in page
    assert counts() == before


@pytest.mark.parametrize("data, message", [
    (b"{not json", "文件不是有效的 JSON（第 1 行，第 2 列）"),
    (b"\xff\xfe\x00", "不是 UTF-8 文本"),
    (b'{"format": "excel"}', "这不是大赛定义文件"),
])
def test_a_file_that_is_not_a_definition_gets_a_clear_message(app, client, login_as, data,
                                                              message):
    login_as("organizer")
    response = upload(client, data)
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Competition)) == 0


def test_clone_through_the_page(demo, client, auth):
    source = demo
    auth.login("organizer", DEMO_ORGANIZER_PASSWORD)
    form = client.get(f"/competitions/{source.id}/clone").get_data(as_text=True)
    assert f"{DEMO_COMPETITION_NAME}（副本）" in form
    response = client.post(f"/competitions/{source.id}/clone",
                           data={"name": "咸宁市第八届“咸宁工匠”职业技能大赛"})
    assert response.status_code == 302
    clone = db.session.scalar(select(Competition).where(
        Competition.name == "咸宁市第八届“咸宁工匠”职业技能大赛"))
    assert response.headers["Location"].endswith(f"/competitions/{clone.id}")
    assert clone.status == "draft"
    assert [u.username for u in clone.organizers] == ["organizer"]
    assert [e.name for e in clone.events] == ["养老护理员", "车工", "茶艺师"]
    assert sum(len(m.criteria) for e in clone.events for m in e.modules) == \
        sum(len(m.criteria) for e in source.events for m in e.modules)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "咸宁市第八届“咸宁工匠”职业技能大赛" in page


def test_clone_needs_a_name(demo, client, auth):
    source = demo
    before = counts()
    auth.login("organizer", DEMO_ORGANIZER_PASSWORD)
    response = client.post(f"/competitions/{source.id}/clone", data={"name": ""})
    assert response.status_code == 200
    assert counts() == before


# --- Who may ------------------------------------------------------------------------

@pytest.mark.parametrize("who", ["other", "judge"])
def test_others_cannot_export_or_clone_or_import_a_scheme(demo, client, auth, who):
    source = demo
    event_id = source.events[0].id
    before = counts()
    auth.login(who)
    assert client.get(f"/competitions/{source.id}/definition.json").status_code == 403
    assert client.get(f"/competitions/{source.id}/clone").status_code == 403
    assert client.post(f"/competitions/{source.id}/clone",
                       data={"name": "偷来的副本"}).status_code == 403
    assert client.get(f"/events/{event_id}/scheme/import").status_code == 403
    assert client.get(f"/events/{event_id}/scheme.xlsx").status_code == 403
    assert counts() == before


def test_judges_cannot_import_a_competition(demo, client, auth):
    document = export_competition(demo)
    auth.login("judge")
    assert client.get("/competitions/import").status_code == 403
    assert upload(client, document, name="裁判的大赛").status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(demo, client):
    source = demo
    for method, url in (("get", f"/competitions/{source.id}/definition.json"),
                        ("get", "/competitions/import"),
                        ("post", "/competitions/import"),
                        ("post", f"/competitions/{source.id}/clone")):
        response = getattr(client, method)(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
