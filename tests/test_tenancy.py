"""Two competitions on one installation, each with its own organizer, and an expert who
judges in both: what one organizer can do to the other's people, judges and cards
(nothing), and how sessions end."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from competition.accounts import signin
from competition.audit.models import AuditEvent
from competition.auth.models import AccessToken, User
from competition.dbtypes import utcnow
from competition.entries import registrations as entries
from competition.entries.idcard import make_id_number
from competition.entries.models import Contestant, Entry
from competition.entries.validation import PersonData
from competition.events import tenancy
from competition.events.models import Competition, Event, Expert, Occupation, PanelRole
from competition.experts import pool as expert_service
from competition.extensions import db
from tests import builders

PERSON = make_id_number("421202", date(1985, 3, 4), 12, "F")


@dataclass
class Scene:
    org_a: User
    org_b: User
    competition_a: Competition
    competition_b: Competition
    event_a: Event
    event_b: Event
    expert: Expert
    expert_user: User
    entry_a: Entry


def _expert(name: str, unit: str, created_by: User | None = None) -> Expert:
    expert = expert_service.create_expert(
        db.session, created_by=created_by, occupation_ids=[builders.occupation().id],
        name=name, work_unit=unit, certificate_number=f"KP-{name}",
        certificate_expires_on=date.today() + timedelta(days=900))
    return expert


@pytest.fixture
def scene(app) -> Scene:
    org_a = builders.user("organizer", username="org_a")
    org_b = builders.user("organizer", username="org_b")
    competition_a = builders.competition("甲大赛", organizers=(org_a,),
                                         ends_on=date.today() + timedelta(days=30))
    competition_b = builders.competition("乙大赛", organizers=(org_b,),
                                         ends_on=date.today() + timedelta(days=30))
    event_a = builders.event(competition_a)
    event_b = builders.event(competition_b)
    for event in (event_a, event_b):
        builders.module(event)
    expert = _expert("田慧", "咸宁职业技术学院")
    expert_user = builders.user("judge", username="tian", expert_id=expert.id)
    for event in (event_a, event_b):
        expert_service.add_panel_member(db.session, event, expert, today=date.today(),
                                        role=PanelRole.CHIEF)
    entry_a = entries.register(
        db.session, event_a, event_a.divisions[0],
        PersonData(name="张秀英", id_number=PERSON, phone="13907150001", work_unit="咸宁市福利院"),
        today=date.today())
    entry_a.station, entry_a.code = 1, "A001"
    db.session.commit()
    return Scene(org_a, org_b, competition_a, competition_b, event_a, event_b, expert,
                 expert_user, entry_a)


def _client_of(app, username: str, password: str = builders.PASSWORD):
    client = app.test_client()
    response = client.post("/login", data={"username": username, "password": password})
    assert response.status_code == 302, username
    return client


# --- People: registrations belong to one competition ------------------------------------

def test_the_same_id_number_in_another_competition_is_another_registration(scene):
    """Organizer B registering A's contestant's ID number under another name learns
    nothing of A's registration and changes nothing of it."""
    entry_b = entries.register(
        db.session, scene.event_b, scene.event_b.divisions[0],
        PersonData(name="李四", id_number=PERSON, phone="13800000000", work_unit="乙单位"),
        today=date.today())
    db.session.commit()
    db.session.expire_all()
    a = db.session.get(Entry, scene.entry_a.id).contestant
    b = db.session.get(Entry, entry_b.id).contestant
    assert a.id != b.id
    assert (a.name, a.phone, a.work_unit) == ("张秀英", "13907150001", "咸宁市福利院")
    assert (b.name, b.competition_id) == ("李四", scene.competition_b.id)
    assert db.session.scalar(select(func.count(Contestant.id)).where(
        Contestant.id_number == PERSON)) == 2


def test_another_organizer_cannot_read_or_change_a_registration(app, scene):
    client = _client_of(app, "org_b")
    entry = scene.entry_a
    for url in (f"/entries/{entry.id}", f"/events/{scene.event_a.id}/entries",
                f"/api/v1/events/{scene.event_a.id}/entries",
                f"/events/{scene.event_a.id}/checkin/lookup?q=张"):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "张秀英" not in response.get_data(as_text=True)
    response = client.post(f"/api/v1/entries/{entry.id}/attendance",
                           json={"attendance": "withdrawn"})
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(Entry, entry.id).attendance == "expected"


# --- Judges: a card or an organizer-opened account acts in its competition only ---------

def test_a_card_of_one_competition_never_acts_in_another(app, scene):
    """Organizer B issues a card for the expert who is also A's chief judge and opens it:
    the session is B's only — A's console, decoding and judging are refused."""
    [(_, secret)] = signin.issue_cards(db.session, scene.org_b, scene.competition_b,
                                       [scene.expert_user.id])
    db.session.commit()
    client = app.test_client()
    assert client.post(f"/s/{secret}").status_code == 302
    assert client.get(f"/judge/events/{scene.event_b.id}/console").status_code == 200
    for url in (f"/judge/events/{scene.event_a.id}/console",
                f"/judge/events/{scene.event_a.id}/console/decode",
                f"/judge/events/{scene.event_a.id}/console/audit"):
        assert client.get(url).status_code == 403, url
    response = client.post(f"/judge/events/{scene.event_a.id}/console/lock",
                           data={"confirm": "y"})
    assert response.status_code == 403
    assert db.session.get(Event, scene.event_a.id).scores_locked_at is None
    # The same person signed in with their own password acts in both.
    own = _client_of(app, "tian")
    assert own.get(f"/judge/events/{scene.event_a.id}/console").status_code == 200
    # Issuing the card is on record, under the organizer who did it.
    issued = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "card.issue"))
    assert [(e.actor_id, e.object_id) for e in issued] == [
        (scene.org_b.id, str(scene.expert_user.id))]


def test_a_revoked_or_expired_card_ends_its_session(app, scene):
    [(_, secret)] = signin.issue_cards(db.session, scene.org_b, scene.competition_b,
                                       [scene.expert_user.id])
    db.session.commit()
    client = app.test_client()
    client.post(f"/s/{secret}")
    assert client.get("/").status_code == 200
    token = signin.find_card(db.session, secret)
    signin.revoke_card(db.session, token, actor=scene.org_b)
    db.session.commit()
    assert client.get("/").status_code == 302  # to the sign-in page
    revoked = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "card.revoke"))
    assert revoked.actor_id == scene.org_b.id

    later = utcnow() + timedelta(hours=signin.CARD_SESSION_HOURS + 1)
    [(_, secret)] = signin.issue_cards(db.session, scene.org_b, scene.competition_b,
                                       [scene.expert_user.id])
    token = signin.find_card(db.session, secret)
    card = signin.card_session(token)
    assert signin.card_session_scope(db.session, card, scene.expert_user) \
        == scene.competition_b.id
    assert signin.card_session_scope(db.session, card, scene.expert_user, now=later) is None


def test_accounts_an_organizer_opens_act_in_that_competition_only(app, scene):
    """为裁判开通账号 in B: the expert without an account for B gets one, scoped to B, with
    a printed one-time password and card; signing in with it never reaches A."""
    other = _expert("熊春华", "咸宁市中心医院")
    expert_service.add_panel_member(db.session, scene.event_b, other, today=date.today())
    db.session.commit()
    client = _client_of(app, "org_b")
    page = client.get(f"/competitions/{scene.competition_b.id}/signin-cards")
    assert "为裁判开通账号" in page.get_data(as_text=True)
    response = client.post(f"/competitions/{scene.competition_b.id}/judge-accounts")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Cache-Control"] == "no-store"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages)
    opened = db.session.scalar(select(User).where(User.expert_id == other.id))
    assert opened.competition_id == scene.competition_b.id
    assert opened.must_change_password
    assert opened.username in text and "熊春华" in text
    password = text.rsplit("一次性密码：", 1)[1].split()[0]
    assert len(password) == 10
    assert db.session.scalar(select(func.count(AccessToken.id)).where(
        AccessToken.user_id == opened.id, AccessToken.revoked_at.is_(None))) == 1
    created = db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "user.create", AuditEvent.object_id == str(opened.id)))
    assert created.actor_id == scene.org_b.id and password not in created.new_value

    # The one-time password works once: the judge must choose a new one first.
    judge = _client_of(app, opened.username, password)
    assert judge.get("/").headers["Location"].endswith("/account/password")
    response = judge.post("/account/password", data={
        "current": password, "new": "my-own-secret-9", "repeat": "my-own-secret-9"})
    assert response.status_code == 302
    assert judge.get("/").status_code == 200
    # Add the expert to A's panel too: the B account still does not reach it.
    expert_service.add_panel_member(db.session, scene.event_a, other, today=date.today())
    db.session.commit()
    assert tenancy.panel_role(db.session, db.session.get(User, opened.id),
                              scene.event_a.id) is None
    assert "甲大赛" not in judge.get("/").get_data(as_text=True)


def test_another_organizer_cannot_touch_a_competitions_judge_accounts(app, scene):
    scoped = builders.user("judge", username="scoped_a", competition_id=scene.competition_a.id)
    db.session.commit()
    stamp = scoped.session_stamp
    client = _client_of(app, "org_b")
    base = f"/competitions/{scene.competition_a.id}/judge-accounts"
    for url in (base, f"{base}/{scoped.id}/reset", f"{base}/{scoped.id}/active",
                f"{base}/link"):
        assert client.post(url, data={"user_id": scoped.id,
                                      "expert_id": scene.expert.id}).status_code == 403, url
    # Through B's own competition the account is not found either.
    other_base = f"/competitions/{scene.competition_b.id}/judge-accounts"
    assert client.post(f"{other_base}/{scoped.id}/reset").status_code == 404
    assert client.post(f"{other_base}/{scoped.id}/active").status_code == 404
    db.session.expire_all()
    after = db.session.get(User, scoped.id)
    assert (after.active, after.session_stamp, after.expert_id) == (True, stamp, None)


# --- The pool and the catalogue -------------------------------------------------------------

def test_an_expert_judging_elsewhere_is_changed_only_by_an_admin(app, scene):
    mine = _expert("柯美玲", "通山县人民医院", created_by=scene.org_b)
    db.session.commit()
    client = _client_of(app, "org_b")
    assert client.get(f"/experts/{mine.id}/edit").status_code == 200
    # A puts the expert on A's panel: B may no longer change the record A relies on.
    expert_service.add_panel_member(db.session, scene.event_a, mine, today=date.today())
    db.session.commit()
    form = {"name": "柯美玲", "work_unit": "乙单位", "examiner_level": "examiner",
            "occupations": [builders.occupation().id], "certificate_number": "KP-柯美玲",
            "certificate_expires_on": (date.today() + timedelta(days=900)).isoformat()}
    assert client.post(f"/experts/{mine.id}/edit", data=form).status_code == 403
    assert client.post(f"/experts/{scene.expert.id}/edit", data=form).status_code == 403
    db.session.expire_all()
    assert db.session.get(Expert, mine.id).work_unit == "通山县人民医院"
    assert db.session.get(Expert, scene.expert.id).work_unit == "咸宁职业技术学院"
    # The pool page offers no edit link for them.
    pool = client.get("/experts").get_data(as_text=True)
    assert f"/experts/{mine.id}/edit" not in pool
    admin = builders.user("admin", username="root")
    db.session.commit()
    assert _client_of(app, "root").post(f"/experts/{mine.id}/edit",
                                        data=form).status_code == 302
    db.session.expire_all()
    assert db.session.get(Expert, mine.id).work_unit == "乙单位"
    assert admin.id


def test_organizers_cannot_change_the_occupation_catalogue(app, scene):
    occupation = builders.occupation()
    db.session.commit()
    client = _client_of(app, "org_b")
    response = client.post(f"/occupations/{occupation.id}/edit",
                           data={"name": "改名", "code": "9-99-99-99"})
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(Occupation, occupation.id).code == "4-10-01-05"


# --- Sessions end ------------------------------------------------------------------------------

def _cookies(client) -> dict[str, str]:
    return {cookie.key: cookie.value for cookie in client._cookies.values()}


def test_signing_out_ends_every_copy_of_the_session(app, scene):
    client = app.test_client()
    client.post("/login", data={"username": "org_a", "password": builders.PASSWORD,
                                "remember": "y"})
    stolen = _cookies(client)
    assert "remember_token" in stolen
    client.post("/logout")
    for name in ("session", "remember_token"):
        thief = app.test_client()
        thief.set_cookie(name, stolen[name])
        assert thief.get("/").status_code == 302, name


def test_a_new_password_or_a_disabled_account_ends_other_sessions(app, scene):
    elsewhere = _client_of(app, "org_a")
    here = _client_of(app, "org_a")
    response = here.post("/account/password", data={
        "current": builders.PASSWORD, "new": "another-secret-7", "repeat": "another-secret-7"})
    assert response.status_code == 302
    assert here.get("/").status_code == 200  # this device stays signed in
    assert elsewhere.get("/").status_code == 302
    change = db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "user.password_change"))
    assert change.actor_id == scene.org_a.id

    builders.user("admin", username="root")
    db.session.commit()
    admin = _client_of(app, "root")
    assert admin.post(f"/admin/users/{scene.org_a.id}/active").status_code == 302
    assert here.get("/").status_code == 302
    assert app.test_client().post("/login", data={
        "username": "org_a", "password": "another-secret-7"}).status_code == 200  # refused
    assert db.session.scalar(select(AuditEvent.actor_id).where(
        AuditEvent.action == "user.disable")) == db.session.scalar(
        select(User.id).where(User.username == "root"))


# --- Admins keep the accounts ---------------------------------------------------------------

def test_an_admin_creates_an_organizer_who_sees_only_their_competition(app, scene):
    builders.user("admin", username="root")
    db.session.commit()
    admin = _client_of(app, "root")
    response = admin.post("/admin/users/new", data={
        "username": "org_c", "display_name": "丙组委会", "role": "organizer",
        "competitions": [scene.competition_a.id], "expert": 0})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    password = html.split('id="one-time-password">')[1].split("<")[0]
    created = db.session.scalar(select(User).where(User.username == "org_c"))
    assert created.role == "organizer" and created.must_change_password
    assert tenancy.organized_competition_ids(db.session, created) == {scene.competition_a.id}

    organizer = _client_of(app, "org_c", password)
    organizer.post("/account/password", data={
        "current": password, "new": "org-c-secret-1", "repeat": "org-c-secret-1"})
    home = organizer.get("/").get_data(as_text=True)
    assert "甲大赛" in home and "乙大赛" not in home
    assert organizer.get(f"/competitions/{scene.competition_b.id}").status_code == 403

    # A reset gives a new one-time password and ends the organizer's sessions.
    reset = admin.post(f"/admin/users/{created.id}/reset")
    assert "one-time-password" in reset.get_data(as_text=True)
    assert organizer.get("/").status_code == 302
    listed = admin.get("/admin/users?q=org_").get_data(as_text=True)
    assert "org_c" in listed and "org_a" in listed and "tian" not in listed


def test_the_command_line_ties_a_judge_to_an_expert(app, runner, scene):
    expert = _expert("周建国", "赤壁市第一中学")
    db.session.commit()
    result = runner.invoke(args=["users", "create", "zhou", "--role", "judge",
                                 "--expert", str(expert.id), "--password", "judge-secret-1"])
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.username == "zhou"))
    assert user.expert_id == expert.id and user.competition_id is None
    again = runner.invoke(args=["users", "create", "zhou2", "--role", "judge",
                                "--expert", str(expert.id), "--password", "judge-secret-1"])
    assert again.exit_code != 0 and "already has" in again.output


def test_an_expert_acts_in_a_competition_through_one_account_only(app, scene):
    """Once A's organizers link an account of A to the expert, the expert's own account no
    longer acts in A (one judge never holds two sheets for an entry), and still does in B."""
    from competition.accounts import management as accounts

    scoped = builders.user("judge", username="tian_a", competition_id=scene.competition_a.id)
    accounts.link_expert(db.session, scene.org_a, scene.competition_a, scoped, scene.expert)
    db.session.commit()
    assert tenancy.panel_role(db.session, scoped, scene.event_a.id) == PanelRole.CHIEF
    assert tenancy.panel_role(db.session, scoped, scene.event_b.id) is None
    own = db.session.get(User, scene.expert_user.id)
    assert tenancy.panel_role(db.session, own, scene.event_a.id) is None
    assert tenancy.panel_role(db.session, own, scene.event_b.id) == PanelRole.CHIEF
    assert signin.accounts_for(db.session, scene.competition_a.id, {scene.expert.id}) == {
        scene.expert.id: scoped}
    linked = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.link_expert"))
    assert linked.actor_id == scene.org_a.id
