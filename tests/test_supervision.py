"""The supervision and arbitration group (监督仲裁组): its accounts, its read-only view of
its one competition, the appeal decided by the group after the chief judge's opinion,
and its countersignatures of the lot draws and the lock, named on the notice list.

The world is the small competition of ``builders.tea_competition`` with 茶艺师 scored and
locked (``locked_tea``); its organizers open the group's accounts. The rule of who decides
an appeal lives in one function (``publication.may_decide``) that the pages and the API
both use.
"""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from competition.accounts import management as accounts
from competition.audit.models import AuditEvent
from competition.auth.models import Role, User
from competition.auth.permissions import SUPERVISOR_WRITES
from competition.dbtypes import utcnow
from competition.entries.idcard import mask_id_number
from competition.entries.models import Entry, LotDraw
from competition.errors import Refused
from competition.events import tenancy
from competition.events.models import Competition
from competition.extensions import db
from competition.judging.models import ScoreSheet
from competition.results import countersign, publishing
from competition.results.exports import countersignature_lines
from competition.results.models import Appeal, Countersignature, Result
from tests import builders
from tests.helpers import digest

NEW_PASSWORD = "supervise-2026-ok"


# --- Helpers ---------------------------------------------------------------------------

def _user(username: str) -> User:
    return db.session.scalar(select(User).where(User.username == username))


def _sign_in(client, username: str, password: str = builders.PASSWORD):
    client.post("/logout")
    response = client.post("/login", data={"username": username, "password": password})
    assert response.status_code == 302, username
    return response


def _supervisor(competition: Competition, username: str = "jiandu",
                name: str = "监督员王立") -> User:
    user = builders.user("supervisor", username=username, competition_id=competition.id,
                         display_name=name)
    db.session.commit()
    return user


def _published_appeal(event, client, text="我对实操评分有异议") -> tuple[Entry, Appeal]:
    """The event's first division published now; its last-placed contestant appeals from
    their own page."""
    division = event.divisions[0]
    if publishing.publication_of(db.session, division.id) is None:
        publishing.publish(db.session, _user("organizer"), division)
        db.session.commit()
    last = db.session.scalars(select(Result).order_by(Result.rank.desc())).first()
    entry = db.session.get(Entry, last.entry_id)
    client.post("/logout")
    response = client.post(f"/r/{entry.token}/appeal", data={"text": text})
    assert response.status_code == 302
    appeal = db.session.scalar(select(Appeal).where(Appeal.entry_id == entry.id,
                                                    Appeal.status == "pending"))
    assert appeal is not None
    return entry, appeal


# --- Accounts ------------------------------------------------------------------------------

def test_organizers_open_list_and_disable_supervisors_accounts(locked_tea, client):
    contest = locked_tea.competition
    other_organizer = builders.user("organizer", username="other_org")
    other = builders.competition(organizers=(other_organizer,))
    db.session.commit()

    _sign_in(client, "organizer")
    page = client.get(f"/competitions/{contest.id}/supervisors")
    assert page.status_code == 200 and 'id="open-supervisor"' in page.text
    # The competition has no group yet: its appeals go to the chief judge.
    assert not tenancy.has_supervision_group(db.session, contest.id)
    opened = client.post(f"/competitions/{contest.id}/supervisors",
                         data={"display_name": "  监督员  王立 "})
    assert opened.status_code == 200 and opened.headers["Cache-Control"] == "no-store"
    username = re.search(r'id="username">([^<]+)<', opened.text).group(1)
    password = re.search(r'id="one-time-password">([^<]+)<', opened.text).group(1)
    supervisor = _user(username)
    assert username == f"s{contest.id}-1" and supervisor.display_name == "监督员 王立"
    assert supervisor.role == Role.SUPERVISOR and supervisor.competition_id == contest.id
    assert supervisor.must_change_password and supervisor.expert_id is None
    assert tenancy.has_supervision_group(db.session, contest.id)
    created = db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "user.create", AuditEvent.object_id == str(supervisor.id)))
    assert created.actor_id == _user("organizer").id and password not in created.new_value
    listing = client.get(f"/competitions/{contest.id}/supervisors").text
    assert "监督员 王立" in listing and username in listing
    # The competition page names the group's members.
    detail = client.get(f"/competitions/{contest.id}").text
    assert re.search(r'id="supervision-group">[^<]*监督员 王立', detail)
    # A name is needed.
    refused = client.post(f"/competitions/{contest.id}/supervisors", data={"display_name": " "})
    assert refused.status_code == 200
    assert db.session.scalar(select(User.id).where(User.username == f"s{contest.id}-2")) is None

    # The supervisor signs in with the one-time password and must choose their own.
    supervisor_client = client.application.test_client()
    supervisor_client.post("/login", data={"username": username, "password": password})
    assert supervisor_client.get("/").headers["Location"].endswith("/account/password")
    changed = supervisor_client.post("/account/password", data={
        "current": password, "new": NEW_PASSWORD, "repeat": NEW_PASSWORD})
    assert changed.status_code == 302
    home = supervisor_client.get("/")
    assert home.status_code == 200 and contest.name in home.text and other.name not in home.text

    # Another competition's organizer may neither see nor disable them.
    _sign_in(client, "other_org")
    assert client.get(f"/competitions/{contest.id}/supervisors").status_code == 403
    assert client.post(f"/competitions/{contest.id}/supervisors/{supervisor.id}/active"
                       ).status_code == 403
    assert client.post(f"/competitions/{other.id}/supervisors/{supervisor.id}/active"
                       ).status_code == 404
    with pytest.raises(Refused):
        accounts.open_supervisor_account(db.session, _user("other_org"), contest, "某人")
    db.session.rollback()

    # The competition's organizer disables the account: it is signed out at once.
    _sign_in(client, "organizer")
    assert client.post(f"/competitions/{contest.id}/supervisors/{supervisor.id}/active"
                       ).status_code == 302
    db.session.expire_all()
    assert not supervisor.active and not tenancy.has_supervision_group(db.session, contest.id)
    assert supervisor_client.get("/").headers["Location"].startswith("/login")
    assert supervisor_client.post("/login", data={
        "username": username, "password": NEW_PASSWORD}).status_code == 200  # refused
    # ... and resets a password: a one-time password once more.
    reset = client.post(f"/competitions/{contest.id}/supervisors/{supervisor.id}/reset")
    assert reset.status_code == 200 and 'id="one-time-password"' in reset.text


# --- Reading, never writing ---------------------------------------------------------------

def _read_urls(event, entry, draw, appeal) -> list[str]:
    return [
        "/", f"/competitions/{event.competition_id}", f"/events/{event.id}",
        f"/events/{event.id}/panel", f"/events/{event.id}/entries", f"/entries/{entry.id}",
        f"/events/{event.id}/draw", f"/draws/{draw.id}",
        f"/judge/events/{event.id}/console", f"/judge/events/{event.id}/console/data",
        f"/judge/events/{event.id}/console/audit", f"/judge/events/{event.id}/console/decode",
        f"/events/{event.id}/results", f"/entries/{entry.id}/explanation",
        f"/events/{event.id}/appeals", f"/appeals/{appeal.id}/decide",
        f"/api/v1/competitions/{event.competition_id}",
        f"/api/v1/competitions/{event.competition_id}/events", f"/api/v1/events/{event.id}",
        f"/api/v1/events/{event.id}/scheme", f"/api/v1/events/{event.id}/entries",
        f"/api/v1/events/{event.id}/panel", f"/api/v1/events/{event.id}/results",
        f"/api/v1/events/{event.id}/appeals",
    ]


def test_a_supervisor_reads_their_competition_and_writes_nothing(locked_tea, client):
    event = locked_tea
    entry, appeal = _published_appeal(event, client)
    draw = LotDraw(event_id=event.id, seed="0" * 64, drawn_by_id=_user("organizer").id,
                   inputs={})
    db.session.add(draw)
    db.session.commit()
    supervisor = _supervisor(event.competition)
    person = entry.contestant
    _sign_in(client, supervisor.username)

    for url in _read_urls(event, entry, draw, appeal):
        response = client.get(url)
        assert response.status_code == 200, url
    # Names as the organizers' pages show them; ID numbers and phones masked.
    for url in (f"/events/{event.id}/entries", f"/entries/{entry.id}"):
        text = client.get(url).text
        assert person.name in text and person.id_number not in text
        assert mask_id_number(person.id_number) in text
        assert not person.phone or person.phone not in text
        assert entry.token not in text  # no private link, no admission ticket
    api = client.get(f"/api/v1/events/{event.id}/entries").get_json()
    mine = next(e for e in api if e["id"] == entry.id)
    assert mine["contestant"]["name"] == person.name
    assert mine["contestant"]["id_number"] == mask_id_number(person.id_number)
    assert mine["contestant"]["birth_date"] is None
    # The read-only pages offer no button that changes anything.
    console = client.get(f"/judge/events/{event.id}/console").text
    assert "/console/lock" not in console and "/console/penalties" not in console
    panel = client.get(f"/events/{event.id}/panel").text
    assert "/panel/draw" not in panel and "/conflicts" not in panel
    detail = client.get(f"/competitions/{event.competition_id}").text
    assert "/status" not in detail and "/edit" not in detail
    assert 'action="/divisions/' not in client.get(f"/events/{event.id}/results").text
    # The organizers' other pages stay theirs.
    for url in (f"/events/{event.id}/edit", f"/events/{event.id}/checkin",
                f"/entries/{entry.id}/ticket.pdf",
                f"/competitions/{event.competition_id}/signin-cards",
                f"/competitions/{event.competition_id}/supervisors",
                "/experts", "/judge",
                f"/judge/events/{event.id}/console/sheets/1/reopen"):
        assert client.get(url).status_code == 403, url

    # Every write of the pages and the API is refused, and changes nothing.
    before = digest()
    sheet = db.session.scalar(select(ScoreSheet).where(ScoreSheet.entry_id == entry.id))
    for method, url, body in (
            ("POST", f"/divisions/{entry.division_id}/finalize", None),
            ("POST", f"/competitions/{event.competition_id}/status", {"status": "final"}),
            ("POST", f"/events/{event.id}/draw", {"division_id": 0, "code_prefix": "X"}),
            ("POST", f"/events/{event.id}/panel/draw", {"count": 1}),
            ("POST", f"/judge/events/{event.id}/console/penalties", {"points": "1"}),
            ("POST", f"/appeals/{appeal.id}/opinion", {"opinion": "监督员代写"}),
            ("POST", f"/appeals/{appeal.id}/reopen", {"sheets": [sheet.id], "reason": "x"}),
            ("POST", f"/r/{entry.token}/appeal", {"text": "代为申诉"}),
            ("POST", f"/entries/{entry.id}/attendance", {"attendance": "absent"}),
            # The organizers' print runs and exports (jobs).
            ("POST", f"/events/{event.id}/tickets/print", {"size": "A4"}),
            ("POST", f"/events/{event.id}/results/export", None),
            ("PATCH", f"/api/v1/competitions/{event.competition_id}", {"name": "改名"}),
            ("PUT", f"/api/v1/events/{event.id}/scheme", {"modules": []}),
            ("POST", f"/api/v1/entries/{entry.id}/attendance", {"attendance": "absent"}),
            ("POST", f"/api/v1/appeals/{appeal.id}/opinion", {"opinion": "代写"}),
            ("DELETE", "/api/v1/panel-members/1", None)):
        if url.startswith("/api/"):
            response = client.open(url, method=method, json=body or {})
        else:
            response = client.open(url, method=method, data=body or {})
        assert response.status_code == 403, (method, url, response.status_code)
    db.session.expire_all()
    assert digest() == before


def test_the_guard_refuses_every_write_but_the_supervisors_own(app, client):
    """Structural: every state-changing route of the app, pages and API, answers a
    supervisor 403 before its view runs — but the explicit list of their own acts."""
    competition = builders.competition()
    supervisor = _supervisor(competition)
    _sign_in(client, supervisor.username)
    before = digest()
    checked = 0
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"GET", "HEAD", "OPTIONS"}):
            if rule.endpoint in SUPERVISOR_WRITES:
                continue
            url = re.sub(r"<(?:int:)?(\w+)>", lambda m: "1" if "int:" in m.group(0)
                         else "x" * 43, rule.rule)
            response = client.open(url, method=method, data={})
            assert response.status_code == 403, (method, rule.rule, response.status_code)
            checked += 1
    assert checked > 60
    db.session.expire_all()
    assert digest() == before


def test_a_supervisor_sees_nothing_of_another_competition(locked_tea, client):
    other_organizer = builders.user("organizer", username="other_org")
    other = builders.competition(organizers=(other_organizer,))
    other_event = builders.event(other, name="车工")
    builders.module(other_event)
    db.session.commit()
    supervisor = _supervisor(locked_tea.competition)
    outsider = _supervisor(other, username="outsider", name="外赛监督员")
    _sign_in(client, supervisor.username)
    for url in (f"/competitions/{other.id}", f"/events/{other_event.id}",
                f"/events/{other_event.id}/panel", f"/events/{other_event.id}/entries",
                f"/judge/events/{other_event.id}/console",
                f"/judge/events/{other_event.id}/console/audit",
                f"/events/{other_event.id}/results", f"/events/{other_event.id}/appeals",
                f"/api/v1/competitions/{other.id}", f"/api/v1/events/{other_event.id}",
                f"/api/v1/events/{other_event.id}/entries"):
        assert client.get(url).status_code == 403, url
    assert other.name not in client.get("/").text
    # ... and the other competition's supervisor nothing of this one.
    _sign_in(client, outsider.username)
    for url in (f"/competitions/{locked_tea.competition_id}", f"/events/{locked_tea.id}",
                f"/judge/events/{locked_tea.id}/console", f"/api/v1/events/{locked_tea.id}"):
        assert client.get(url).status_code == 403, url
    lock = client.post(f"/events/{locked_tea.id}/countersign-lock", data={})
    assert lock.status_code == 403
    assert db.session.scalar(select(Countersignature.id)) is None


# --- Appeals: the chief judge's opinion, the group's decision --------------------------------

def test_the_group_decides_after_the_chief_judges_opinion(locked_tea, client):
    event = locked_tea
    supervisor = _supervisor(event.competition)
    entry, appeal = _published_appeal(event, client)
    sheets = db.session.scalars(select(ScoreSheet).where(ScoreSheet.entry_id == entry.id)
                                ).all()
    chief = _user(builders.CHIEF)

    # The chief judge no longer decides: pages, API and the service refuse.
    _sign_in(client, builders.CHIEF)
    page = client.get(f"/appeals/{appeal.id}/decide").text
    assert 'id="record-opinion"' in page and 'id="appeal-decision"' not in page
    assert client.post(f"/appeals/{appeal.id}/decide",
                       data={"accept": "accept", "reason": "自行受理"}).status_code == 403
    assert client.post(f"/api/v1/appeals/{appeal.id}/decision",
                       json={"accept": True, "reason": "自行受理"}).status_code == 403
    with pytest.raises(Refused):
        publishing.decide_appeal(db.session, chief, appeal, accept=True, reason="自行受理")
    db.session.rollback()
    # A pending appeal reopens nothing.
    client.post(f"/appeals/{appeal.id}/reopen",
                data={"sheets": [s.id for s in sheets], "reason": "复核"})
    db.session.expire_all()
    assert {s.status for s in sheets} == {"submitted"}

    # The group decides only after reading the chief judge's opinion.
    _sign_in(client, supervisor.username)
    early = client.post(f"/api/v1/appeals/{appeal.id}/decision",
                        json={"accept": False, "reason": "维持原成绩"})
    assert early.status_code == 422
    assert 'id="appeal-decision"' not in client.get(f"/appeals/{appeal.id}/decide").text

    # The chief judge writes the opinion (API), then rewrites it (page): both audited.
    _sign_in(client, builders.CHIEF)
    written = client.post(f"/api/v1/appeals/{appeal.id}/opinion",
                          json={"opinion": "经查看录像，评分无误。"})
    assert written.status_code == 200, written.get_json()
    assert written.get_json()["chief_opinion"] == "经查看录像，评分无误。"
    assert client.post(f"/api/v1/appeals/{appeal.id}/opinion",
                       json={"opinion": " "}).status_code == 422
    assert client.post(f"/appeals/{appeal.id}/opinion",
                       data={"opinion": "经查看录像，评分无误，建议维持。"}).status_code == 302
    opinions = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "appeal.opinion").order_by(AuditEvent.id)).all()
    assert len(opinions) == 2 and "评分无误。" in opinions[1].old_value
    assert all(o.actor_id == chief.id for o in opinions)
    # Organizers and judges write no opinion.
    _sign_in(client, "organizer")
    assert client.post(f"/appeals/{appeal.id}/opinion",
                       data={"opinion": "组委会意见"}).status_code == 403
    assert client.post(f"/api/v1/appeals/{appeal.id}/opinion",
                       json={"opinion": "组委会意见"}).status_code == 403

    # The supervisor rejects it on the page, with a reason.
    _sign_in(client, supervisor.username)
    page = client.get(f"/appeals/{appeal.id}/decide").text
    assert "建议维持" in page and 'id="appeal-decision"' in page
    decided = client.post(f"/appeals/{appeal.id}/decide",
                          data={"accept": "reject", "reason": "评分符合细则，驳回申诉"})
    assert decided.status_code == 302
    db.session.expire_all()
    assert appeal.status == "rejected" and appeal.decided_by_id == supervisor.id
    decision = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "appeal.decide"))
    assert decision.actor_id == supervisor.id and "supervision_group" in decision.new_value
    # A rejected appeal reopens nothing either.
    _sign_in(client, builders.CHIEF)
    client.post(f"/appeals/{appeal.id}/reopen",
                data={"sheets": [s.id for s in sheets], "reason": "复核"})
    db.session.expire_all()
    assert {s.status for s in sheets} == {"submitted"}

    # The contestant reads the opinion and the group's decision, with its reason.
    client.post("/logout")
    own = client.get(f"/r/{entry.token}").text
    assert "经查看录像，评分无误，建议维持。" in own and "评分符合细则，驳回申诉" in own
    assert 'class="muted appeal-decision"' in own
    body = client.get(f"/api/v1/contestant/{entry.token}/result").get_json()
    assert body["appeals"][0]["decided_by"] == "supervision_group"
    assert body["appeals"][0]["chief_opinion"] == "经查看录像，评分无误，建议维持。"

    # A second appeal: opinion, then the group accepts through the API; only now the
    # chief judge reopens the sheets.
    client.post(f"/r/{entry.token}/appeal", data={"text": "请再次复核第二模块"})
    second = db.session.scalar(select(Appeal).where(Appeal.status == "pending"))
    _sign_in(client, builders.CHIEF)
    assert client.post(f"/appeals/{second.id}/opinion",
                       data={"opinion": "第二模块确有漏记"}).status_code == 302
    _sign_in(client, supervisor.username)
    accepted = client.post(f"/api/v1/appeals/{second.id}/decision",
                           json={"accept": True, "reason": "受理，复核第二模块"})
    assert accepted.status_code == 200, accepted.get_json()
    assert accepted.get_json()["decided_by"] == "supervision_group"
    _sign_in(client, builders.CHIEF)
    client.post(f"/appeals/{second.id}/reopen",
                data={"sheets": [sheets[0].id], "reason": "按仲裁决定复核"})
    db.session.expire_all()
    assert sheets[0].status == "draft" and sheets[0].reopened_for_review


def test_without_a_group_the_chief_judge_decides_as_before(locked_tea, client):
    # A disabled supervisor is no group; an active one of another competition neither.
    disabled = _supervisor(locked_tea.competition)
    disabled.active = False
    _supervisor(builders.competition(), username="elsewhere")
    assert not tenancy.has_supervision_group(db.session, locked_tea.competition_id)
    entry, appeal = _published_appeal(locked_tea, client)
    chief = _user(builders.CHIEF)
    assert publishing.may_decide(db.session, chief, appeal)
    # No opinion without a group: the chief judge decides directly.
    _sign_in(client, builders.CHIEF)
    assert client.post(f"/api/v1/appeals/{appeal.id}/opinion",
                       json={"opinion": "意见"}).status_code == 422
    assert 'id="appeal-decision"' in client.get(f"/appeals/{appeal.id}/decide").text
    response = client.post(f"/api/v1/appeals/{appeal.id}/decision",
                           json={"accept": True, "reason": "受理"})
    assert response.status_code == 200 and response.get_json()["decided_by"] == "chief_judge"
    db.session.expire_all()
    assert appeal.status == "accepted" and appeal.decided_by_id == chief.id


# --- Countersignatures ----------------------------------------------------------------------

def _notice_text(client, division_id: int) -> str:
    pdf = client.get(f"/divisions/{division_id}/notice.pdf")
    assert pdf.status_code == 200
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)


def test_countersigning_the_draw_and_the_lock_and_the_notice_list(locked_tea, client):
    event = locked_tea
    division = event.divisions[0]
    organizer = _user("organizer")
    draw = LotDraw(event_id=event.id, division_id=division.id, seed="1" * 64,
                   drawn_by_id=organizer.id, inputs={})
    db.session.add(draw)
    db.session.flush()
    for entry in db.session.scalars(select(Entry).where(Entry.division_id == division.id)):
        entry.draw_id = draw.id
    publishing.publish(db.session, organizer, division)
    db.session.commit()

    # Without a group the notice names no countersignature.
    assert countersignature_lines(db.session, event, division) == []
    supervisor = _supervisor(event.competition, name="监督员王立")
    second = _supervisor(event.competition, username="jiandu2", name="监督员李敏")
    # With one, it says nobody countersigned yet (无).
    text = _notice_text(client, division.id)
    assert text.count("无") >= 2 and "监督员王立" not in text

    # The supervisor countersigns the lock on the console, with a note ...
    _sign_in(client, supervisor.username)
    console = client.get(f"/judge/events/{event.id}/console").text
    assert "data-countersign-button" in console
    assert client.post(f"/events/{event.id}/countersign-lock",
                       data={"note": "核对无误"}).status_code == 302
    # ... once only; the draw from its record.
    client.post(f"/events/{event.id}/countersign-lock", data={})
    record_page = client.get(f"/draws/{draw.id}").text
    assert "data-countersign-button" in record_page
    assert client.post(f"/draws/{draw.id}/countersign", data={}).status_code == 302
    assert "data-countersign-button" not in client.get(f"/draws/{draw.id}").text
    assert "监督员王立" in client.get(f"/draws/{draw.id}").text
    signed = db.session.scalars(select(Countersignature).order_by(Countersignature.id)).all()
    assert [(s.subject, s.user_id, s.note) for s in signed] == [
        ("score_lock", supervisor.id, "核对无误"), ("lot_draw", supervisor.id, "")]
    assert signed[0].reference == countersign.lock_reference(event.scores_locked_at)
    assert signed[1].reference == str(draw.id)
    actions = [a.action for a in db.session.scalars(select(AuditEvent).where(
        AuditEvent.action.like("countersign.%")).order_by(AuditEvent.id))]
    assert actions == ["countersign.score_lock", "countersign.lot_draw"]
    # The second member signs the lock from the results page.
    _sign_in(client, second.username)
    results = client.get(f"/events/{event.id}/results").text
    assert "data-countersign-button" in results and "监督员王立" in results
    assert client.post(f"/events/{event.id}/countersign-lock?back=results",
                       data={}).status_code == 302

    # Nobody else countersigns.
    for username in ("organizer", builders.CHIEF):
        _sign_in(client, username)
        assert client.post(f"/draws/{draw.id}/countersign").status_code == 403
        assert client.post(f"/events/{event.id}/countersign-lock").status_code == 403
    assert len(db.session.scalars(select(Countersignature)).all()) == 3

    # The notice list names who countersigned, with the dates.
    lines = countersignature_lines(db.session, event, division)
    assert len(lines) == 2
    assert "监督员王立" in lines[0] and "监督员李敏" not in lines[0]
    assert "监督员王立" in lines[1] and "监督员李敏" in lines[1]
    text = _notice_text(client, division.id).replace("\n", "")
    assert "监督员王立" in text and "监督员李敏" in text
    assert str(utcnow().year) in text

    # A lock made again (after a reopening) needs signing again.
    event.scores_locked_at = event.scores_locked_at + timedelta(hours=1)
    db.session.commit()
    lines = countersignature_lines(db.session, event, division)
    assert "监督员王立" in lines[0] and "监督员" not in lines[1] and "无" in lines[1]
    _sign_in(client, supervisor.username)
    assert "data-countersign-button" in client.get(f"/judge/events/{event.id}/console").text
    assert client.post(f"/events/{event.id}/countersign-lock").status_code == 302
    assert "监督员王立" in countersignature_lines(db.session, event, division)[1]
