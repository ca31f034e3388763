"""The public results of a division are rendered once per state and language and kept in a
cache shared by every worker and server; every change they show makes the next visitor
see it, whichever server made the change."""

from __future__ import annotations

import contextlib
import uuid

import pytest
import redis
from sqlalchemy import event as sa_event
from sqlalchemy import select

from competition.auth.models import User
from competition.entries.models import Entry
from competition.events.models import NameDisplay
from competition.extensions import db
from competition.results import publishing
from competition.results.models import Result
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
    cache = redis.Redis.from_url(REDIS_URL)
    keys = cache.keys(f"{prefix}*")
    assert len(keys) == 2  # one page per state, shared by both servers
    cache.delete(*keys)



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
