"""The public results of a division are rendered once per state and language and kept in a
cache shared by every worker and server; every change they show makes the next visitor
see it, whichever server made the change."""

from __future__ import annotations

import contextlib
import uuid
from datetime import timedelta

import pytest
import redis
from sqlalchemy import event as sa_event
from sqlalchemy import select

from competition.auth.models import User
from competition.dbtypes import utcnow
from competition.entries.models import Entry
from competition.events.models import NameDisplay
from competition.extensions import cache, db
from competition.grades.models import Certificate, Promotion
from competition.judging.models import ScoreSheet, SheetStatus
from competition.results import publishing
from competition.results.models import Appeal, Result
from tests.builders import ORGANIZER
from tests.helpers import make_app

REDIS_URL = "redis://127.0.0.1:6379/15"


@contextlib.contextmanager
def statements(engine) -> list[str]:
    seen: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    sa_event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        sa_event.remove(engine, "before_cursor_execute", count)


def page_of(client, division_id: int) -> str:
    response = client.get(f"/results/divisions/{division_id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def first_place() -> str:
    """The full name of the winner (the page masks names unless told otherwise)."""
    result = db.session.scalars(select(Result).where(Result.rank == 1)).first()
    return db.session.get(Entry, result.entry_id).contestant.name


def badge(page: str) -> str:
    return page.split('<span class="badge status-')[1].split('"')[0]


def test_the_second_visitor_gets_the_page_without_it_being_rendered(tea_on_notice, client):
    division_id = tea_on_notice.divisions[0].id
    first = page_of(client, division_id)
    with statements(db.engine) as seen:
        second = page_of(client, division_id)
    assert second == first
    assert len(seen) == 1  # what the page shows, as one row: nothing else is read


def test_a_setting_shown_on_the_page_shows_at_once(tea_on_notice, client):
    division_id = tea_on_notice.divisions[0].id
    competition = tea_on_notice.competition
    name = first_place()
    assert name not in page_of(client, division_id)  # masked, like 张*明
    competition.name_display = NameDisplay.FULL
    db.session.commit()
    assert name in page_of(client, division_id)


def test_finalizing_shows_at_once(published_tea, client):
    division = published_tea.divisions[0]
    division_id = division.id
    assert badge(page_of(client, division_id)) == "published"
    organizer = db.session.scalar(select(User).where(User.username == ORGANIZER))
    publishing.finalize(db.session, organizer, division)
    db.session.commit()
    assert badge(page_of(client, division_id)) == "final"


def test_a_signed_in_visitor_gets_their_own_page(tea_on_notice, client, login_as):
    division_id = tea_on_notice.divisions[0].id
    page_of(client, division_id)
    login_as("organizer", username="visitor", display_name="来访的组织者")
    assert "来访的组织者" in page_of(client, division_id)  # their name in the header


def _redis_or_skip() -> None:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip(f"Redis is not reachable at {REDIS_URL}: the shared cache needs it")


def test_a_change_made_through_one_server_is_never_served_stale_by_another(
        tea_on_notice, database_url):
    _redis_or_skip()
    prefix = f"test-{uuid.uuid4().hex}:"
    servers = [make_app(database_url, REDIS_URL=REDIS_URL, CACHE_KEY_PREFIX=prefix)
               for _ in range(2)]
    division_id = tea_on_notice.divisions[0].id
    competition_id = tea_on_notice.competition_id
    name = first_place()
    db.session.commit()

    def visit(server) -> str:
        with server.app_context():
            response = server.test_client().get(f"/results/divisions/{division_id}")
            assert response.status_code == 200
            return response.get_data(as_text=True)

    first, second = servers
    assert name not in visit(first) and name not in visit(second)  # both cached
    with second.app_context():  # the organizer changes a setting on the second server
        from competition.events.models import Competition

        db.session.get(Competition, competition_id).name_display = NameDisplay.FULL
        db.session.commit()
    assert name in visit(first)
    assert name in visit(second)
    shared = redis.Redis.from_url(REDIS_URL)
    keys = shared.keys(f"{prefix}*")
    assert len(keys) == 2  # one page per state, shared by both servers
    shared.delete(*keys)



def test_the_appeal_form_has_its_own_page(tea_on_notice, client):
    """The contestant's page links to the form, so the page carries no per-visitor token
    and is the same for every visit."""
    entry = db.session.scalars(select(Entry).where(Entry.event_id == tea_on_notice.id)).first()
    token = entry.token
    page = client.get(f"/r/{token}").get_data(as_text=True)
    assert f'href="/r/{token}/appeal"' in page and "csrf_token" not in page
    form = client.get(f"/r/{token}/appeal").get_data(as_text=True)
    assert f'action="/r/{token}/appeal"' in form and 'name="text"' in form


def test_a_closed_appeal_window_is_said_on_the_appeal_page(published_tea, client):
    entry = db.session.scalars(select(Entry).where(Entry.event_id == published_tea.id)).first()
    token = entry.token
    page = client.get(f"/r/{token}/appeal").get_data(as_text=True)
    assert 'id="appeal-closed"' in page and 'name="text"' not in page
    assert f'href="/r/{token}/appeal"' not in client.get(f"/r/{token}").get_data(as_text=True)


# --- A contestant's own page ------------------------------------------------------------

def contestant_page(client, token: str) -> str:
    response = client.get(f"/r/{token}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def ranked_entry(event) -> Entry:
    """An entry of the event that has a rank (its page shows scores, rank and appeals)."""
    return db.session.scalars(select(Entry).join(Result, Result.entry_id == Entry.id)
                              .where(Entry.event_id == event.id, Result.rank.is_not(None))
                              .order_by(Result.rank)).first()


def test_the_second_visit_of_a_contestant_page_is_one_statement(tea_on_notice, client):
    token = ranked_entry(tea_on_notice).token
    first = contestant_page(client, token)
    with statements(db.engine) as seen:
        second = contestant_page(client, token)
    assert second == first
    assert len(seen) == 1  # the page's state, as one row


def test_an_unknown_link_is_not_found_without_a_query(client, app):
    with statements(db.engine) as seen:
        assert client.get("/r/short").status_code == 404
    assert seen == []
    assert client.get("/r/" + "x" * 30).status_code == 404


def _add_appeal(entry: Entry) -> None:
    db.session.add(Appeal(entry_id=entry.id, text="对第二模块的评分有异议（测试）"))


def _give_opinion(entry: Entry) -> None:
    _add_appeal(entry)
    db.session.flush()
    appeal = db.session.scalar(select(Appeal).where(Appeal.entry_id == entry.id))
    appeal.chief_opinion = "裁判长意见：维持原评分（测试）"


def _reopen_for_review(entry: Entry) -> None:
    sheet = db.session.scalars(select(ScoreSheet).where(ScoreSheet.entry_id == entry.id)).first()
    sheet.status, sheet.reopened_for_review = SheetStatus.DRAFT, True


def _unrank_another(entry: Entry) -> None:
    other = db.session.scalars(select(Result).join(Entry, Entry.id == Result.entry_id).where(
        Entry.division_id == entry.division_id, Result.entry_id != entry.id,
        Result.rank.is_not(None))).first()
    other.rank = None


# Every kind of row the page shows, changed behind the app's back (as another server, a
# job or a correction would): the next visit shows the change.
CHANGES = {
    "the person's work unit": (lambda e: setattr(e.contestant, "work_unit", "咸宁测试单位"),
                               "咸宁测试单位"),
    "the station": (lambda e: setattr(e, "station", 987), "987"),
    "the event's venue": (lambda e: setattr(e.event, "venue", "测试实训楼"), "测试实训楼"),
    "a module's name": (lambda e: setattr(e.event.modules[0], "name", "测试模块名"),
                        "测试模块名"),
    "an appeal filed": (_add_appeal, "对第二模块的评分有异议（测试）"),
    "the chief judge's opinion": (_give_opinion, "裁判长意见：维持原评分（测试）"),
    "a sheet reopened for review": (_reopen_for_review, 'id="under-review"'),
    "the number ranked": (_unrank_another, None),
}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_every_change_a_contestant_page_shows_shows_at_once(tea_on_notice, client, app, change):
    entry = ranked_entry(tea_on_notice)
    token = entry.token
    before = contestant_page(client, token)
    alter, seen = CHANGES[change]
    alter(entry)
    db.session.commit()
    after = contestant_page(client, token)
    assert after != before
    if seen is not None:
        assert seen not in before and seen in after
    cache.clear()
    assert contestant_page(client, token) == after  # what a fresh render shows


def test_a_revoked_certificate_shows_at_once(final_tea, client):
    promotion = db.session.scalars(select(Promotion).join(Certificate)).first()
    token = db.session.get(Entry, promotion.entry_id).token
    before = contestant_page(client, token)
    assert 'class="problems"' not in before
    promotion.certificate.revoked_at = utcnow()
    promotion.certificate.revoke_reason = "测试"
    promotion.reverted_at = utcnow()
    db.session.commit()
    assert 'class="problems"' in contestant_page(client, token)


def test_the_appeal_link_goes_when_the_window_closes_with_nothing_changed(
        tea_on_notice, client, monkeypatch):
    token = ranked_entry(tea_on_notice).token
    link = f'href="/r/{token}/appeal"'
    assert link in contestant_page(client, token)
    posted = publishing.publication_of(db.session, tea_on_notice.divisions[0].id)
    later = posted.appeal_deadline + timedelta(seconds=1)
    monkeypatch.setattr(publishing, "utcnow", lambda: later)
    assert link not in contestant_page(client, token)


def test_a_contestant_page_changed_on_one_server_is_never_stale_on_another(
        tea_on_notice, database_url):
    _redis_or_skip()
    prefix = f"test-{uuid.uuid4().hex}:"
    servers = [make_app(database_url, REDIS_URL=REDIS_URL, CACHE_KEY_PREFIX=prefix)
               for _ in range(2)]
    entry = ranked_entry(tea_on_notice)
    token, entry_id = entry.token, entry.id
    db.session.commit()

    def visit(server) -> str:
        with server.app_context():
            return contestant_page(server.test_client(), token)

    first, second = servers
    assert "咸宁测试单位" not in visit(first) + visit(second)
    with second.app_context():
        db.session.get(Entry, entry_id).contestant.work_unit = "咸宁测试单位"
        db.session.commit()
    assert "咸宁测试单位" in visit(first)
    shared = redis.Redis.from_url(REDIS_URL)
    keys = shared.keys(f"{prefix}*")
    assert len(keys) == 2  # the page before and after, each rendered once for both servers
    assert all(0 < shared.ttl(key) <= 3600 for key in keys)
    shared.delete(*keys)
