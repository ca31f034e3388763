"""Live updates: pages that follow an event (the chief judge's console, the organizers'
results, the big screen) are told the moment its scores change, by server-sent events.

A change is *announced* inside the transaction that makes it (``announce``) and sent
when that transaction commits, never before and never for one rolled back: a page that
hears "changed" and asks again finds the change. The message says only which event
changed, nothing of the scores: the page fetches what it shows through its usual data
URL, with its usual access checks.

Messages go through Redis publish/subscribe when ``REDIS_URL`` is set, so a save on one
app server reaches a page streaming from another; without Redis (``make run``, the
tests) through a broker inside the process. A stream holds one server thread while it
is open, so each process serves at most ``LIVE_STREAMS`` of them at once and answers
the next with 503: the page then keeps polling as before. In production the streams
have an app server of their own (docs/production.md), so open pages never take the
threads that judges' saves need.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Iterable, Iterator

import redis
from flask import Flask, Response, current_app, has_app_context
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

# A comment line this often keeps proxies from closing an idle stream and lets the
# server notice a page that has gone.
HEARTBEAT_SECONDS = 15
# A stream ends after this long and the browser opens a new one (after RETRY_MS): no
# thread is held for ever by a page left open overnight.
LIFETIME_SECONDS = 300
RETRY_MS = 2000
# A stream says ``changed`` at most this often: the saves of a busy panel that come
# closer together are told as one, so a page asks again a few times a second at most,
# however many judges are saving. A change after a quiet moment is told at once.
MIN_GAP_SECONDS = 0.5

_PENDING = "live_channels"


def event_channel(event_id: int) -> str:
    return f"event:{event_id}"


def announce(session: Session, event_id: int) -> None:
    """Tell the pages following ``event_id`` that its scores changed, once ``session``
    commits."""
    session.info.setdefault(_PENDING, set()).add(event_channel(event_id))


class LocalBroker:
    """Publish/subscribe between the threads of one process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._listeners: dict[str, set[queue.SimpleQueue]] = {}

    def publish(self, channel: str, message: str) -> None:
        with self._lock:
            listeners = list(self._listeners.get(channel, ()))
        for inbox in listeners:
            inbox.put(message)

    def subscribe(self, channels: Iterable[str]) -> LocalSubscription:
        """Listen to ``channels`` from now on."""
        inbox: queue.SimpleQueue = queue.SimpleQueue()
        channels = list(channels)
        with self._lock:
            for channel in channels:
                self._listeners.setdefault(channel, set()).add(inbox)
        return LocalSubscription(self, channels, inbox)

    def _unsubscribe(self, channels: list[str], inbox: queue.SimpleQueue) -> None:
        with self._lock:
            for channel in channels:
                self._listeners.get(channel, set()).discard(inbox)


class LocalSubscription:
    def __init__(self, broker: LocalBroker, channels: list[str],
                 inbox: queue.SimpleQueue) -> None:
        self._broker, self._channels, self._inbox = broker, channels, inbox

    def get(self, timeout: float) -> str | None:
        """The next message, or None after ``timeout`` seconds of silence."""
        try:
            return self._inbox.get(timeout=timeout)
        except queue.Empty:
            return None

    def close(self) -> None:
        self._broker._unsubscribe(self._channels, self._inbox)


class RedisBroker:
    """Publish/subscribe through Redis, between every process of every app server."""

    def __init__(self, url: str, prefix: str) -> None:
        self._redis = redis.Redis.from_url(url, socket_connect_timeout=2)
        self._prefix = prefix

    def publish(self, channel: str, message: str) -> None:
        try:
            self._redis.publish(self._prefix + channel, message)
        except redis.RedisError:
            # The change is saved; open pages see it at their next poll.
            log.warning("live update of %s not sent: Redis is unreachable", channel)

    def subscribe(self, channels: Iterable[str]) -> RedisSubscription:
        """Listen to ``channels`` from now on."""
        pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        pubsub.subscribe(*(self._prefix + channel for channel in channels))
        return RedisSubscription(pubsub)


class RedisSubscription:
    def __init__(self, pubsub: redis.client.PubSub) -> None:
        self._pubsub = pubsub

    def get(self, timeout: float) -> str | None:
        """The next message, or None after ``timeout`` seconds of silence."""
        message = self._pubsub.get_message(timeout=timeout)
        if message is None or message["type"] != "message":
            return None
        data = message["data"]
        return data.decode() if isinstance(data, bytes) else data

    def close(self) -> None:
        self._pubsub.close()


# One broker for every app of the process: the tests' app and the app their browser
# talks to share it, as the threads of the development server do.
_local = LocalBroker()


def init_app(app: Flask) -> None:
    url = app.config.get("REDIS_URL")
    app.extensions["live"] = {
        "broker": RedisBroker(url, app.config.get("CACHE_KEY_PREFIX", "competition:") + "live:")
        if url else _local,
        "streams": threading.BoundedSemaphore(app.config["LIVE_STREAMS"]),
    }


def _publish_pending(session: Session) -> None:
    channels = session.info.pop(_PENDING, None)
    if not channels or not has_app_context() or "live" not in current_app.extensions:
        return
    broker = current_app.extensions["live"]["broker"]
    for channel in sorted(channels):
        broker.publish(channel, channel)


def _forget_pending(session: Session) -> None:
    session.info.pop(_PENDING, None)


sa_event.listen(Session, "after_commit", _publish_pending)
sa_event.listen(Session, "after_rollback", _forget_pending)


def _changes(subscription: LocalSubscription | RedisSubscription) -> Iterator[str]:
    """``changed`` for the messages of ``subscription``, at most once every
    MIN_GAP_SECONDS (the last message's data), a comment after HEARTBEAT_SECONDS of
    silence; ends after LIFETIME_SECONDS."""
    ends_at = time.monotonic() + LIFETIME_SECONDS
    told_at = float("-inf")
    untold: str | None = None
    while time.monotonic() < ends_at:
        wait = (max(0.0, told_at + MIN_GAP_SECONDS - time.monotonic())
                if untold is not None else HEARTBEAT_SECONDS)
        message = subscription.get(wait)
        if message is not None:
            untold = message
        now = time.monotonic()
        if untold is not None and now - told_at >= MIN_GAP_SECONDS:
            yield f"event: changed\ndata: {untold}\n\n"
            told_at, untold = now, None
        elif message is None and untold is None:
            yield ": still here\n\n"


def stream(channels: Iterable[str]) -> Response:
    """A server-sent events response that says ``changed`` whenever one of ``channels``
    announces a change; 503 when this process already serves ``LIVE_STREAMS`` streams."""
    live = current_app.extensions["live"]
    slots: threading.BoundedSemaphore = live["streams"]
    if not slots.acquire(blocking=False):
        response = Response("live updates are busy here; poll instead", status=503,
                            mimetype="text/plain")
        response.headers["Retry-After"] = "60"
        return response
    broker = live["broker"]
    channels = list(channels)

    def events() -> Iterator[str]:
        # Subscribed before "ready": a change made once the page heard "ready" is told.
        subscription = broker.subscribe(channels)
        try:
            yield f"retry: {RETRY_MS}\n\n"
            yield "event: ready\ndata: {}\n\n"
            yield from _changes(subscription)
        finally:
            subscription.close()

    released = threading.Event()

    def release() -> None:  # once, when the server closes the response however it ends
        if not released.is_set():
            released.set()
            slots.release()

    response = Response(events(), mimetype="text/event-stream")
    response.call_on_close(release)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Accel-Buffering"] = "no"  # nginx: pass each event on at once
    return response
