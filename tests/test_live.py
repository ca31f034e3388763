"""Live updates: the pages that follow an event's scores hear of every committed change
at once, by server-sent events, and nothing of a change rolled back or of another event;
only those who may read the page may follow it, and a process serves a bounded number of
streams (the rest keep polling)."""

from __future__ import annotations

import queue
import threading
import uuid

import pytest
import redis
from sqlalchemy import select

from competition import live
from competition.auth.models import User
from competition.entries.models import Entry
from competition.extensions import db
from competition.judging import scoring
from competition.judging.models import ScoreSheet
from tests.builders import CHIEF, JUDGES, ORGANIZER, OTHER_CHIEF
from tests.helpers import make_app

REDIS_URL = "redis://127.0.0.1:6379/15"


class Listener:
    """Reads a streaming response on a thread of its own, chunk by chunk."""

    def __init__(self, app, response, channel: str) -> None:
        self.app, self.response, self.channel = app, response, channel
        self.chunks: queue.Queue[str] = queue.Queue()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        for chunk in self.response.response:
            self.chunks.put(chunk.decode())
            if self.stop.is_set():
                break
        self.response.close()

    def next_event(self, timeout: float = 5) -> str | None:
        """The next named event ("ready", "changed") with its data, or None."""
        try:
            while True:
                chunk = self.chunks.get(timeout=timeout)
                if chunk.startswith("event: "):
                    return chunk.strip()
        except queue.Empty:
            return None

    def close(self) -> None:
        self.stop.set()
        self.app.extensions["live"]["broker"].publish(self.channel, "closing")
        self.thread.join(timeout=5)
        assert not self.thread.is_alive()


def follow(app, client, url: str, event_id: int) -> Listener:
    response = client.get(url, buffered=False)
    assert response.status_code == 200
    assert response.mimetype == "text/event-stream"
    listener = Listener(app, response, live.event_channel(event_id))
    assert listener.next_event() == "event: ready\ndata: {}"
    return listener


def account(username: str) -> User:
    return db.session.scalar(select(User).where(User.username == username))


def reopen_a_sheet(event) -> None:
    judge = account(JUDGES[0])
    sheet = db.session.scalars(select(ScoreSheet).join(Entry, Entry.id == ScoreSheet.entry_id)
                               .where(ScoreSheet.judge_id == judge.id,
                                      Entry.event_id == event.id)).first()
    scoring.reopen_sheet(db.session, account(CHIEF), sheet, "复核第一项")


@pytest.mark.parametrize("page", ["console", "screen", "results"])
def test_a_page_following_an_event_hears_of_a_committed_change_at_once(
        scored_tea, app, client, auth, page):
    urls = {"console": f"/judge/events/{scored_tea.id}/console/stream",
            "screen": f"/events/{scored_tea.id}/screen/stream",
            "results": f"/events/{scored_tea.id}/results/stream"}
    auth.login(CHIEF)
    listener = follow(app, client, urls[page], scored_tea.id)
    try:
        reopen_a_sheet(scored_tea)
        db.session.commit()
        assert listener.next_event() == f"event: changed\ndata: event:{scored_tea.id}"
    finally:
        listener.close()


def test_nothing_is_said_of_a_change_rolled_back_or_of_another_event(
        scored_tea, app, client, auth):
    auth.login(CHIEF)
    listener = follow(app, client, f"/judge/events/{scored_tea.id}/console/stream",
                      scored_tea.id)
    try:
        reopen_a_sheet(scored_tea)
        db.session.rollback()
        live.announce(db.session, scored_tea.id + 1000)  # some other event
        db.session.commit()
        assert listener.next_event(timeout=1) is None
    finally:
        listener.close()


def test_changes_closer_together_than_the_gap_are_told_as_one(scored_tea, app, client, auth):
    auth.login(CHIEF)
    listener = follow(app, client, f"/judge/events/{scored_tea.id}/console/stream",
                      scored_tea.id)
    told = f"event: changed\ndata: event:{scored_tea.id}"
    try:
        live.announce(db.session, scored_tea.id)
        db.session.commit()
        assert listener.next_event() == told  # after a quiet moment: at once
        for _ in range(5):  # a busy panel saving
            live.announce(db.session, scored_tea.id)
            db.session.commit()
        assert listener.next_event(timeout=live.MIN_GAP_SECONDS + 2) == told
        assert listener.next_event(timeout=live.MIN_GAP_SECONDS + 0.5) is None
    finally:
        listener.close()


@pytest.mark.parametrize("who, status", [
    (OTHER_CHIEF, 403),  # the chief judge of another event
    (JUDGES[0], 403),  # a judge of this one
    (None, 302),  # nobody signed in: to the sign-in page
])
def test_only_those_who_read_the_console_may_follow_it(scored_tea, client, auth, who,
                                                       status):
    if who:
        auth.login(who)
    response = client.get(f"/judge/events/{scored_tea.id}/console/stream")
    assert response.status_code == status
    assert response.mimetype != "text/event-stream"


def test_another_competitions_organizer_may_not_follow_its_results(scored_tea, client,
                                                                   login_as):
    login_as("organizer", username="someone_else")
    for url in (f"/events/{scored_tea.id}/results/stream",
                f"/events/{scored_tea.id}/screen/stream"):
        assert client.get(url).status_code in (403, 404)


def test_a_process_serves_a_bounded_number_of_streams(scored_tea, app, client, auth):
    app.extensions["live"]["streams"] = threading.BoundedSemaphore(1)
    auth.login(ORGANIZER)
    url = f"/events/{scored_tea.id}/results/stream"
    first = follow(app, client, url, scored_tea.id)
    refused = client.get(url)
    assert refused.status_code == 503 and refused.headers["Retry-After"] == "60"
    first.close()  # the page went away: its place is free again
    follow(app, client, url, scored_tea.id).close()


def test_a_change_on_one_server_reaches_a_page_streaming_from_another(
        scored_tea, database_url):
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip(f"Redis is not reachable at {REDIS_URL}: live updates between servers "
                    "need it")
    prefix = f"test-{uuid.uuid4().hex}:"
    streaming, saving = (make_app(database_url, REDIS_URL=REDIS_URL, CACHE_KEY_PREFIX=prefix)
                         for _ in range(2))
    event_id = scored_tea.id
    db.session.commit()
    client = streaming.test_client()
    with streaming.app_context():
        client.post("/login", data={"username": CHIEF, "password": "correct-horse-42"})
        listener = follow(streaming, client, f"/judge/events/{event_id}/console/stream",
                          event_id)
    try:
        with saving.app_context():
            from competition.events.models import Event

            reopen_a_sheet(db.session.get(Event, event_id))
            db.session.commit()
        assert listener.next_event() == f"event: changed\ndata: event:{event_id}"
    finally:
        listener.close()
