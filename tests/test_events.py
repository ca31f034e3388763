"""The organizer's dashboard and competition pages, and who may open them."""

import pytest

from competition.extensions import db
from tests import builders


def _two_competitions():
    mine_owner = builders.user("organizer", username="mine")
    other_owner = builders.user("organizer", username="other")
    mine = builders.competition("咸宁市第七届技能大赛", organizers=(mine_owner,))
    theirs = builders.competition("赤壁市职工技能竞赛", organizers=(other_owner,))
    event = builders.event(mine, "养老护理员", divisions=("职工组", "学生组"))
    builders.module(event, "T", weight=20, kind="theory", criteria=())
    builders.module(event, "A", weight=80, criteria=(("A1", 5, "measurement"),
                                                     ("A2", 8, "judgement")))
    db.session.commit()
    return mine, theirs


def test_organizer_dashboard_lists_only_their_competitions(app, auth):
    _two_competitions()
    page = auth.login("mine").get_data(as_text=True)
    assert "咸宁市第七届技能大赛" in page
    assert "赤壁市职工技能竞赛" not in page


def test_admin_dashboard_lists_every_competition(app, auth):
    _two_competitions()
    builders.user("admin", username="root")
    db.session.commit()
    page = auth.login("root").get_data(as_text=True)
    assert "咸宁市第七届技能大赛" in page and "赤壁市职工技能竞赛" in page


def test_competition_and_event_pages_show_the_marking_scheme(app, client, auth):
    mine, _ = _two_competitions()
    auth.login("mine")
    page = client.get(f"/competitions/{mine.id}").get_data(as_text=True)
    assert "养老护理员" in page and "职工组、学生组" in page
    event_id = mine.events[0].id
    page = client.get(f"/events/{event_id}").get_data(as_text=True)
    assert "评分细则" in page and "A2" in page and "主观评分" in page


@pytest.mark.parametrize("who", ["other", "judge"])
def test_others_cannot_open_a_competition(app, client, auth, who):
    mine, _ = _two_competitions()
    if who == "judge":
        builders.user("judge", username="judge")
        db.session.commit()
    auth.login(who)
    assert client.get(f"/competitions/{mine.id}").status_code == 403
    assert client.get(f"/events/{mine.events[0].id}").status_code == 403


def test_judge_dashboard_shows_no_competition_list(app, auth):
    _two_competitions()
    builders.user("judge", username="judge")
    db.session.commit()
    page = auth.login("judge").get_data(as_text=True)
    assert "我的赛项" in page
    assert "咸宁市第七届技能大赛" not in page
