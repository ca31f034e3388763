"""Rules that each live in one function, whoever asks: the pages, the API, the services.

- whether results may become final (``results.publishing.check_final_ready``): finalizing,
  deciding promotions and the status board's to-do list agree;
- whether a judge may score a sheet (``judging.scoring.check_may_score``): the tablet's
  page and the JSON API refuse with the same message;
- the appeal window (``results.publishing.appeal_window``): the contestant's page, the
  API and filing an appeal agree at the deadline;
- what the public and supervisors see of a person (``entries.idcard``): every public list
  masks names alike, the supervisors' page and API mask ID numbers and phones alike;
- the in-file duplicates of a contestant list (``entries.registrations.batch_problems``): the
  same problems, worded alike, found by the import's preview or by ``register_many``.
"""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import date, timedelta
from html import unescape

import pytest
from sqlalchemy import select

from competition import board
from competition.auth.models import User
from competition.dbtypes import utcnow
from competition.entries import idcard, importer
from competition.entries import registrations as registration
from competition.entries.idcard import make_id_number
from competition.entries.models import Conflict, Entry
from competition.errors import translate_problem
from competition.events.models import Competition, NameDisplay
from competition.extensions import db
from competition.grades import certificates
from competition.grades import promotions as grades
from competition.grades.models import Certificate
from competition.grades.promotions import PromotionError
from competition.judging import scoring as judging
from competition.results import exports, publishing
from competition.results.models import Appeal, Publication
from competition.results.publishing import PublicationError
from competition.results.standings import screen_standings
from tests import builders


def _user(username: str) -> User:
    return db.session.scalar(select(User).where(User.username == username))


def _entries(event) -> list[Entry]:
    return list(db.session.scalars(select(Entry).where(Entry.event_id == event.id)
                                   .order_by(Entry.station)))


def _sign_in(client, username: str) -> None:
    client.post("/logout")
    response = client.post("/login", data={"username": username,
                                           "password": builders.PASSWORD},
                           follow_redirects=True)
    assert response.status_code == 200


# --- Results may become final: one rule ----------------------------------------------

def _refusals(division, now):
    """What finalizing and deciding the promotions say, each in its own transaction."""
    organizer = _user(builders.ORGANIZER)
    with pytest.raises(PublicationError) as finalizing:
        publishing.finalize(db.session, organizer, division, now=now)
    db.session.rollback()
    with pytest.raises(PromotionError) as deciding:
        grades.decide_promotions(db.session, organizer, division, now)
    db.session.rollback()
    return finalizing.value, deciding.value


def _board_kinds(event) -> set[str]:
    competition = db.session.get(Competition, event.competition_id)
    found = board.competition_board(db.session, competition, [event], [])
    return {item.kind for item in found.todo}


def test_finalizing_and_promotions_are_refused_alike_while_the_notice_runs(tea_on_notice):
    division = tea_on_notice.divisions[0]
    finalizing, deciding = _refusals(division, utcnow())
    assert finalizing.message == deciding.message == "The public notice runs until %(end)s."
    assert finalizing.params == deciding.params
    assert "finalize" not in _board_kinds(tea_on_notice)


def test_a_pending_appeal_holds_finalizing_promotions_and_the_to_do_alike(published_tea):
    division = published_tea.divisions[0]
    entry = _entries(published_tea)[-1]
    appeal = Appeal(entry_id=entry.id, text="请复核实操评分", filed_at=utcnow())
    db.session.add(appeal)
    db.session.commit()

    finalizing, deciding = _refusals(division, utcnow())
    assert finalizing.message == deciding.message == \
        "%(n)s appeals are still waiting for a decision."
    assert finalizing.params == deciding.params == {"n": 1}
    assert "finalize" not in _board_kinds(published_tea)

    publishing.decide_appeal(db.session, _user(builders.CHIEF), appeal, accept=False,
                              reason="评分无误")
    db.session.commit()
    assert "finalize" in _board_kinds(published_tea)
    assert publishing.check_final_ready(db.session, division).status == "notice"
    publishing.finalize(db.session, _user(builders.ORGANIZER), division)
    db.session.commit()
    assert publishing.publication_of(db.session, division.id).status == "final"


# --- A judge may score: one rule, typed refusals ---------------------------------------

def _page_and_api(client, username: str, entry: Entry, module) -> tuple[str, dict, int]:
    """The tablet page's flashed refusal, and the API's answer, for opening the sheet."""
    _sign_in(client, username)
    page = client.get(f"/judge/entries/{entry.id}/modules/{module.id}", follow_redirects=True)
    answer = client.get(f"/api/v1/judge/sheets?entry_id={entry.id}&module_id={module.id}")
    return unescape(page.get_data(as_text=True)), answer.get_json(), answer.status_code


def _scored_module(event):
    return judging.scored_modules(event)[0]


def test_a_judge_of_another_event_is_refused_alike_by_the_page_and_the_api(app, scored_tea,
                                                                          client):
    entry, module = _entries(scored_tea)[0], _scored_module(scored_tea)
    page, answer, status = _page_and_api(client, builders.OTHER_JUDGE, entry, module)
    assert status == 403
    assert scored_tea.name in answer["message"] and answer["message"] in page
    with pytest.raises(judging.NotOnPanel) as refused:
        judging.check_may_score(db.session, _user(builders.OTHER_JUDGE), entry, module)
    with app.test_request_context():
        assert refused.value.translated() == answer["message"]


def _recuse(judge_name: str, entry: Entry) -> None:
    judge = _user(judge_name)
    db.session.add(Conflict(competition_id=entry.event.competition_id,
                            expert_id=judge.expert_id, contestant_id=entry.contestant_id))
    db.session.commit()


def test_a_recused_judge_is_refused_alike_by_the_page_and_the_api(scored_tea, client):
    entry, module = _entries(scored_tea)[0], _scored_module(scored_tea)
    _recuse(builders.JUDGES[0], entry)
    page, answer, status = _page_and_api(client, builders.JUDGES[0], entry, module)
    assert status == 403
    assert entry.code in answer["message"] and answer["message"] in page


def test_locked_scores_are_refused_alike_by_the_page_and_the_api(locked_tea, client):
    entry, module = _entries(locked_tea)[0], _scored_module(locked_tea)
    page, answer, status = _page_and_api(client, builders.JUDGES[0], entry, module)
    assert status == 409
    assert locked_tea.name in answer["message"] and answer["message"] in page
    assert answer["sheet"]["status"] == "submitted"  # the judge's sheet, as it stands


def test_who_the_judge_is_is_checked_before_the_lock_on_both(locked_tea, client):
    """Recused from an entry of a locked event: both say recused (403), not locked."""
    entry, module = _entries(locked_tea)[1], _scored_module(locked_tea)
    _recuse(builders.JUDGES[1], entry)
    page, answer, status = _page_and_api(client, builders.JUDGES[1], entry, module)
    assert status == 403
    assert entry.code in answer["message"] and answer["message"] in page
    with pytest.raises(judging.Recused):
        judging.check_may_score(db.session, _user(builders.JUDGES[1]), entry, module)


# --- The appeal window: one rule -------------------------------------------------------

def _appeal_answers(client, entry: Entry) -> tuple[bool, bool]:
    """Whether the contestant's page offers the appeal (a link to its form), and the API's
    ``may_appeal``."""
    page = client.get(f"/r/{entry.token}").get_data(as_text=True)
    api = client.get(f"/api/v1/contestant/{entry.token}/result").get_json()
    return f'href="/r/{entry.token}/appeal"' in page, api["may_appeal"]


def test_the_page_the_api_and_filing_agree_at_the_appeal_deadline(tea_on_notice, client,
                                                                   monkeypatch):
    moment = utcnow().replace(microsecond=0)
    monkeypatch.setattr(publishing, "utcnow", lambda: moment)
    posted = publishing.publication_of(db.session, tea_on_notice.divisions[0].id)
    first, second = _entries(tea_on_notice)[:2]

    posted.appeal_deadline = moment  # the deadline is this very moment: still open
    db.session.commit()
    assert _appeal_answers(client, first) == (True, True)
    assert publishing.appeal_window(posted).closes_at == moment
    client.post(f"/r/{first.token}/appeal", data={"text": "对名次有异议"})
    assert db.session.scalar(select(Appeal).where(Appeal.entry_id == first.id)) is not None

    posted = db.session.get(Publication, posted.id)
    posted.appeal_deadline = moment - timedelta(seconds=1)  # a second ago: closed
    db.session.commit()
    assert _appeal_answers(client, second) == (False, False)
    page = client.post(f"/r/{second.token}/appeal", data={"text": "对名次有异议"},
                       follow_redirects=True)
    assert "申诉期已于" in page.get_data(as_text=True)  # the appeal window closed at …
    assert db.session.scalar(select(Appeal).where(Appeal.entry_id == second.id)) is None
    with pytest.raises(PublicationError, match="appeal window closed"):
        publishing.file_appeal(db.session, second, "对名次有异议")


# --- What the public and supervisors see of a person -----------------------------------

def _public_names(client, event) -> dict[str, list[str]]:
    """The names of one division on every public list: the page, the API, the notice and
    the big screen (by rank)."""
    division = event.divisions[0]
    posted = publishing.publication_of(db.session, division.id)
    api = client.get(f"/api/v1/divisions/{division.id}/results").get_json()
    page = unescape(client.get(f"/results/divisions/{division.id}").get_data(as_text=True))
    notice = exports.notice_of(db.session, division, posted)
    screen = screen_standings(db.session, event)["divisions"][0]["rows"]
    return {"api": [line["name"] for line in api["results"]],
            "notice": [line.name for line in notice.lines],
            "screen": [row["name"] for row in screen], "page": page}


@pytest.mark.parametrize("display", [NameDisplay.MASKED, NameDisplay.FULL])
def test_every_public_list_shows_names_as_the_competition_chose(published_tea, client,
                                                                 display):
    competition = db.session.get(Competition, published_tea.competition_id)
    competition.name_display = display
    db.session.commit()
    people = [entry.contestant.name for entry in _entries(published_tea)]  # rank order
    expected = [idcard.public_name(name, display) for name in people]

    shown = _public_names(client, published_tea)
    assert shown["api"] == shown["notice"] == shown["screen"] == expected
    assert all(name in shown["page"] for name in expected)
    if display == NameDisplay.MASKED:
        assert not any(name in shown["page"] for name in people)
        assert expected[0] == "林*琴"


def test_full_names_are_the_competitions_choice_of_full():
    assert idcard.FULL_NAMES == NameDisplay.FULL
    assert idcard.public_name("欧阳建峰", NameDisplay.MASKED) == "欧**峰"
    assert idcard.public_name("欧阳建峰", "") == "欧**峰"  # anything but full is masked


def test_supervisors_read_the_same_masked_numbers_on_the_page_and_the_api(scored_tea,
                                                                          client):
    builders.user("supervisor", username="watcher", competition_id=scored_tea.competition_id)
    db.session.commit()
    _sign_in(client, "watcher")
    page = client.get(f"/events/{scored_tea.id}/entries").get_data(as_text=True)
    api = {line["id"]: line["contestant"] for line in
           client.get(f"/api/v1/events/{scored_tea.id}/entries").get_json()}
    for entry in _entries(scored_tea):
        person = entry.contestant
        masked_id = idcard.shown_id_number(person.id_number, whole=False)
        masked_phone = idcard.shown_phone(person.phone, whole=False)
        assert api[entry.id]["id_number"] == masked_id and masked_id in page
        assert api[entry.id]["phone"] == masked_phone and masked_phone in page
        assert person.id_number not in page and person.phone not in page


def test_a_certificate_holder_is_checked_by_the_last_four_characters(app, final_tea):
    certificate = db.session.scalars(select(Certificate)).first()
    person = certificate.promotion.entry.contestant
    with app.test_request_context():
        facts = certificates.public_facts(certificate, holder=True)
        anyone = certificates.public_facts(certificate)
    assert facts["id_number"] == idcard.mask_id_but_last_four(person.id_number)
    assert facts["id_number"].endswith(person.id_number[-4:])
    assert anyone["name"] == idcard.mask_name(person.name) and "id_number" not in anyone


# --- In-file duplicates of a contestant list ----------------------------------------

TODAY = date(2026, 6, 1)
WANG = make_id_number("421202", date(1988, 5, 17), 122, "F")
LI = make_id_number("421281", date(1979, 11, 2), 351, "M")


def _csv(rows) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(["姓名", "身份证号", "赛项", "组别"])
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def _as_compared(problems) -> list[tuple]:
    return sorted((p.row, p.message, tuple(sorted(p.params.items())), translate_problem(p))
                  for p in problems)


def test_in_file_duplicates_read_the_same_from_the_preview_and_the_service(app):
    organizer = builders.user("organizer")
    competition = builders.competition("咸宁市第七届技能大赛", organizers=(organizer,))
    builders.event(competition, "养老护理员")
    builders.event(competition, "车工", occupation=builders.occupation("车工", "6-18-01-01"))
    db.session.commit()
    data = _csv([("王芳", WANG, "养老护理员", "职工组"),  # row 2
                 ("王芳", WANG, "养老护理员", "职工组"),  # row 3: the same person again
                 ("李强", LI, "养老护理员", "职工组"),  # row 4
                 ("李四", LI, "车工", "职工组")])  # row 5: row 4's ID under another name

    preview = importer.preview_file(db.session, competition, "名单.csv", data, TODAY)
    assert [(p.row, p.column) for p in preview.problems] == [
        (2, "身份证号"), (3, "身份证号"), (5, "身份证号")]
    with pytest.raises(registration.RegistrationError) as refused:
        registration.register_many(
            db.session, [registration.Registration(row.event, row.division, replace(row.person))
                         for row in preview.rows],
            today=TODAY, row_numbers=[row.number for row in preview.rows])
    db.session.rollback()

    with pytest.raises(registration.RegistrationError) as importing:
        importer.import_file(db.session, competition, "名单.csv", data, TODAY)
    db.session.rollback()

    with app.test_request_context():  # read as the organizer reads them, in Chinese
        found = _as_compared(preview.problems)
        assert _as_compared(refused.value.problems) == found
        assert _as_compared(importing.value.problems) == found
        texts = [translate_problem(p) for p in preview.problems]
    assert "3" in texts[0] and "2" in texts[1]  # the file's rows, as the organizer sees them
    assert "4" in texts[2] and "李强" in texts[2]
