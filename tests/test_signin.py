"""Sign-in cards: organizers issue a QR code per judge; scanning it signs the judge in."""

import hashlib
import itertools

import pytest
from sqlalchemy import func, select

from competition.accounts import signin
from competition.auth.credentials import issue_api_token
from competition.auth.models import AccessToken
from competition.events.models import Expert, PanelMember
from competition.extensions import db
from tests import builders


class Scene:
    """A competition with a chief judge, two judges with accounts and one without."""

    def __init__(self):
        self.organizer = builders.user("organizer", username="zuwei")
        self.competition = builders.competition("咸宁市技能大赛", organizers=(self.organizer,))
        self.event = builders.event(self.competition, "养老护理员")
        self.chief = self._member("caipanzhang", "余丽萍", "chief")
        self.tian = self._member("judge_tian", "田慧", "judge")
        self.xiong = self._member("judge_xiong", "熊春华", "judge")
        self._member(None, "无账号专家", "judge")
        self.stranger = builders.user("organizer", username="bieren")
        self.other = builders.competition("另一个大赛", organizers=(self.stranger,))
        db.session.commit()

    def _member(self, username, name, role):
        expert = Expert(name=name, work_unit=f"{name}的单位")
        db.session.add(expert)
        db.session.flush()
        db.session.add(PanelMember(event_id=self.event.id, expert_id=expert.id, role=role))
        if username is None:
            return None
        return builders.user("judge", username=username, display_name=name,
                             expert_id=expert.id)


@pytest.fixture
def scene(app):
    return Scene()


@pytest.fixture
def secrets_made(monkeypatch):
    """Make the cards' secrets known to the test: secret-1, secret-2, …"""
    made = []
    counter = itertools.count(1)

    def token_urlsafe(_nbytes):
        made.append(f"card-secret-{next(counter):02d}-" + "x" * 30)
        return made[-1]

    monkeypatch.setattr(signin.secrets, "token_urlsafe", token_urlsafe)
    return made


def cards_url(scene, suffix=""):
    return f"/competitions/{scene.competition.id}/signin-cards{suffix}"


def active_tokens():
    return db.session.scalars(select(AccessToken).where(
        AccessToken.purpose == "signin", AccessToken.revoked_at.is_(None))).all()


def test_issuing_prints_one_card_per_judge_and_stores_only_hashes(
        scene, client, auth, secrets_made):
    auth.login("zuwei")
    page = client.get(cards_url(scene)).get_data(as_text=True)
    assert "裁判登录卡" in page and "田慧" in page and "无账号专家" in page
    assert "尚无账号" in page
    response = client.post(cards_url(scene, "/issue"))
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    assert html.count('class="signin-card"') == 3
    assert html.count("<svg") == 3
    for name in ("余丽萍", "田慧", "熊春华"):
        assert name in html
    assert "无账号专家" not in html
    tokens = active_tokens()
    assert len(tokens) == 3 and len(secrets_made) == 3
    assert {t.user_id for t in tokens} == {scene.chief.id, scene.tian.id, scene.xiong.id}
    hashes = {hashlib.sha256(s.encode()).hexdigest() for s in secrets_made}
    assert {t.token_hash for t in tokens} == hashes
    for token in tokens:
        assert token.label == f"competition:{scene.competition.id}"
        assert token.created_by_id == scene.organizer.id
    # The secrets themselves are nowhere in the database.
    stored = " ".join(f"{t.token_hash} {t.label}" for t in db.session.scalars(
        select(AccessToken)))
    assert not any(secret in stored for secret in secrets_made)
    page = client.get(cards_url(scene)).get_data(as_text=True)
    assert page.count("尚未使用") == 3


def test_scanning_a_card_asks_first_then_signs_the_judge_in(scene, client, secrets_made):
    signin.issue_cards(db.session, scene.organizer, scene.competition, [scene.tian.id])
    db.session.commit()
    secret = secrets_made[0]
    response = client.get(f"/s/{secret}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "以 田慧 的身份登录？" in html and "养老护理员" in html
    assert response.headers["Referrer-Policy"] == "no-referrer"
    # Opening the link (a prefetcher, a preview) signs no one in.
    assert client.get("/").status_code == 302
    assert db.session.scalar(select(AccessToken)).last_used_at is None
    response = client.post(f"/s/{secret}")
    assert response.status_code == 302
    from flask import current_app, url_for
    target = ("judging.assignments" if "judging.assignments" in current_app.view_functions
              else "events.dashboard")
    with current_app.test_request_context():
        assert response.headers["Location"].endswith(url_for(target))
    # A card's session never leaves a "remember me" cookie that would outlive it.
    assert not any("remember_token=" in value
                   for value in response.headers.getlist("Set-Cookie"))
    home = client.get("/", follow_redirects=True).get_data(as_text=True)
    assert "田慧" in home
    db.session.expire_all()
    token = db.session.scalar(select(AccessToken))
    assert token.last_used_at is not None
    assert scene.tian.last_login_at is not None


def test_a_revoked_or_unknown_card_signs_no_one_in(scene, client, auth, secrets_made):
    signin.issue_cards(db.session, scene.organizer, scene.competition)
    db.session.commit()
    tian_secret = secrets_made[1]  # the chief is listed first
    token = db.session.scalar(select(AccessToken).where(AccessToken.user_id == scene.tian.id))
    auth.login("zuwei")
    response = client.post(cards_url(scene, f"/{token.id}/revoke"), follow_redirects=True)
    assert "田慧 的登录卡已作废" in response.get_data(as_text=True)
    auth.logout()
    for method in (client.get, client.post):
        response = method(f"/s/{tian_secret}")
        assert response.status_code == 404
        assert "这张登录卡无法使用" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302  # still signed out
    assert client.get("/s/not-a-card-at-all-0123456789").status_code == 404
    # The other judges' cards still work.
    assert client.get(f"/s/{secrets_made[2]}").status_code == 200


def test_issuing_again_revokes_the_earlier_cards(scene, client, auth, secrets_made):
    auth.login("zuwei")
    client.post(cards_url(scene, "/issue"))
    client.post(cards_url(scene, "/issue"), data={"user_id": scene.tian.id})
    first_tian, second_tian = secrets_made[1], secrets_made[3]
    assert len(active_tokens()) == 3
    assert db.session.scalar(select(func.count(AccessToken.id))) == 4
    auth.logout()
    assert client.get(f"/s/{first_tian}").status_code == 404
    assert client.get(f"/s/{second_tian}").status_code == 200
    assert client.get(f"/s/{secrets_made[0]}").status_code == 200  # the chief's: untouched


@pytest.mark.parametrize("username", ["judge_tian", "bieren"])
def test_only_the_competitions_organizers_issue_and_revoke(
        scene, client, auth, secrets_made, username):
    signin.issue_cards(db.session, scene.organizer, scene.competition, [scene.xiong.id])
    db.session.commit()
    token = db.session.scalar(select(AccessToken))
    auth.login(username)
    assert client.get(cards_url(scene)).status_code == 403
    assert client.post(cards_url(scene, "/issue")).status_code == 403
    assert client.post(cards_url(scene, f"/{token.id}/revoke")).status_code == 403
    assert len(active_tokens()) == 1
    auth.logout()
    assert client.post(cards_url(scene, "/issue")).status_code == 302  # to sign in
    assert len(active_tokens()) == 1


def test_a_card_of_another_competition_cannot_be_revoked_here(scene, client, auth):
    signin.issue_cards(db.session, scene.organizer, scene.competition, [scene.xiong.id])
    db.session.commit()
    token = db.session.scalar(select(AccessToken))
    auth.login("bieren")
    response = client.post(f"/competitions/{scene.other.id}/signin-cards/{token.id}/revoke")
    assert response.status_code == 404
    assert len(active_tokens()) == 1


def test_a_competition_without_judge_accounts_has_nothing_to_issue(scene, client, auth):
    auth.login("bieren")
    response = client.post(f"/competitions/{scene.other.id}/signin-cards/issue",
                           follow_redirects=True)
    assert "本大赛的裁判还没有账号" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(AccessToken.id))) == 0


def test_a_card_is_no_api_token_and_an_api_token_is_no_card(scene, client, secrets_made):
    signin.issue_cards(db.session, scene.organizer, scene.competition, [scene.tian.id])
    api_secret = issue_api_token(db.session, scene.tian)
    db.session.commit()
    response = client.get("/api/v1/occupations",
                          headers={"Authorization": f"Bearer {secrets_made[0]}"})
    assert response.status_code == 401
    assert client.get(f"/s/{api_secret}").status_code == 404


def test_a_disabled_account_cannot_sign_in_with_its_card(scene, client, secrets_made):
    signin.issue_cards(db.session, scene.organizer, scene.competition, [scene.tian.id])
    scene.tian.active = False
    db.session.commit()
    assert client.post(f"/s/{secrets_made[0]}").status_code == 404


def test_a_chief_judge_lands_on_the_start_page_with_the_console(scene, client, secrets_made):
    signin.issue_cards(db.session, scene.organizer, scene.competition, [scene.chief.id])
    db.session.commit()
    response = client.post(f"/s/{secrets_made[0]}")
    assert response.headers["Location"].endswith("/")
    page = client.get("/").get_data(as_text=True)
    assert "余丽萍" in page and "裁判长控制台" in page
