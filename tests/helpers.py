"""Helpers shared by the test modules: the app factory, a live server, snapshots of the
tables, and small readers of what the app returns (PDF text, QR codes).

Test modules import from here (or from ``tests.builders``), never from one another.
"""

from __future__ import annotations

import contextlib
import io
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import Integer, select, text, update

from competition import create_app
from competition.extensions import db


def make_app(database_url: str, **overrides):
    """The app in testing mode on ``database_url``, CSRF and sign-in throttling off."""
    config = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        # One app serves the whole run from one address: throttling is tested on its own.
        "RATELIMIT_ENABLED": False,
        "SERVER_NAME": None,
    }
    config.update(overrides)
    return create_app(config)


@contextlib.contextmanager
def serve(app) -> Iterator[str]:
    """Serve ``app`` over HTTP on a free loopback port in a thread; yields its base URL.
    The server looks for the shutdown request every 50 ms, so stopping it is quick."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def sign_in(page, live_server: str, username: str, password: str) -> None:
    """Sign in through the login page in the browser ``page``."""
    page.goto(f"{live_server}/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()


def user_named(username: str):
    """The account called ``username``."""
    from competition.auth.models import User

    return db.session.scalar(select(User).where(User.username == username))


def demo_competition():
    """The demo competition (``competition.demo``), found by its name."""
    from competition.demo import DEMO_COMPETITION_NAME
    from competition.events.models import Competition

    return db.session.scalar(select(Competition).where(
        Competition.name == DEMO_COMPETITION_NAME))


def panel_count(event) -> int:
    """How many experts sit on the event's panel."""
    from sqlalchemy import func

    from competition.events.models import PanelMember

    return db.session.scalar(select(func.count()).select_from(PanelMember)
                             .where(PanelMember.event_id == event.id))


# --- What the app returns -----------------------------------------------------------------

def read_pdf(response):
    """The PDF of a 200 response, opened with pypdf."""
    from pypdf import PdfReader

    assert response.status_code == 200, response.status_code
    assert response.mimetype == "application/pdf"
    return PdfReader(io.BytesIO(response.data))


def job_file(client, url: str, data: dict | None = None):
    """Start a print run or export with its button's form at ``url`` and return the
    response of the finished job's file (in tests a job runs as soon as the request that
    starts it commits: ``JOBS_RUN_AT_ONCE``)."""
    started = client.post(url, data=data or {})
    assert started.status_code == 302, (url, started.status_code)
    job = client.get(started.headers["Location"] + ".json").json
    assert job["status"] == "done", job
    return client.get(job["file_url"])


def text_of(pdf) -> str:
    """The text of every page of a pypdf document."""
    return "\n".join(page.extract_text() for page in pdf.pages)


def qr_codes(page) -> list[str]:
    """Every QR code in the page's images, decoded."""
    import zxingcpp

    found = []
    for image in page.images:
        found += [b.text for b in zxingcpp.read_barcodes(image.image)
                  if b.format == zxingcpp.BarcodeFormat.QRCode]
    return found


def private_url(app, entry) -> str:
    """The contestant's private page, as the QR code of their ticket gives it."""
    from flask import url_for

    with app.test_request_context():
        return url_for("public.contestant_page", token=entry.token, _external=True)


def neutral(html: str, number: str) -> str:
    """The page without what the visitor typed (the number, the name echoed in the form,
    their own URL in the language links) and the CSRF token, to compare what they learn."""
    html = html.replace(number, "NUMBER")
    html = re.sub(r"next=[^\"]*", "", html)
    return re.sub(r'value="[^"]*"', "", html)


def digest() -> str:
    """Everything the database holds, as one hash."""
    import hashlib

    found = hashlib.sha256()
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(select(table).order_by(*table.primary_key.columns)):
            found.update(repr(tuple(row)).encode())
    return found.hexdigest()


def kept_uploads(**where) -> list:
    """The uploaded files waiting for their confirmation (``uploads.PendingUpload``),
    oldest first; ``where`` filters by column (``kind="theory"``)."""
    from competition.uploads import PendingUpload

    db.session.expire_all()
    return list(db.session.scalars(select(PendingUpload).filter_by(**where)
                                   .order_by(PendingUpload.created_at, PendingUpload.token)))


def upload(client, event_id: int, data: bytes, filename: str):
    """Upload a contestant list to the event's import page."""
    return client.post(f"/events/{event_id}/import",
                       data={"file": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")


def from_raw_marks(event_id: int) -> list:
    """The engine's ranking from every submitted mark, aggregated in Python (a 0–3
    criterion's marks carry the judge's value, as ``event_inputs`` loads them); imported
    scores, penalties and the chief judge's order as loaded."""
    from decimal import Decimal

    from competition.judging.models import Mark, ScoreSheet
    from competition.results.ranking import EntryInput, JudgeMark, compute
    from competition.results.standings import event_inputs, scale_criteria

    inputs = event_inputs(db.session, event_id)
    on_scale = scale_criteria(inputs.event)
    raw = db.session.execute(
        select(ScoreSheet.entry_id, ScoreSheet.judge_id, Mark.criterion_id, Mark.points,
               Mark.value)
        .join(Mark, Mark.sheet_id == ScoreSheet.id)
        .where(ScoreSheet.status == "submitted")).all()
    plain = [EntryInput(entry_id=e.entry_id, division_id=e.division_id, ranked=e.ranked,
                        external=e.external, penalties=e.penalties,
                        chief_order=e.chief_order,
                        marks=[JudgeMark(judge, criterion, Decimal(points),
                                         Decimal(value) if criterion in on_scale else None)
                               for entry_id, judge, criterion, points, value in raw
                               if entry_id == e.entry_id])
             for e in inputs.entries]
    return compute(inputs.modules, inputs.rules, plain)


def empty_tables() -> None:
    """Delete every row, children first. (DELETE on a few small tables is far quicker
    than TRUNCATE, which costs a fixed ~0.1 s per call on PostgreSQL.)"""
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(table.delete())
    db.session.commit()


# --- Snapshots of the tables ------------------------------------------------------------

@dataclass(frozen=True)
class Snapshot:
    """Every row of every table, as ``take_snapshot`` read them."""

    rows: dict[str, list[dict]]


def take_snapshot() -> Snapshot:
    """Read every row of the app's tables (committed data, in primary-key order)."""
    rows = {}
    for table in db.metadata.sorted_tables:
        order = list(table.primary_key.columns) or list(table.columns)
        rows[table.name] = [dict(row) for row in
                            db.session.execute(select(table).order_by(*order)).mappings()]
    return Snapshot(rows)


def restore_or_build(snapshots: dict, name: str, build):
    """The tables as ``build()`` leaves them, and what it returned (IDs, names: plain
    values, not rows). The first call for ``name`` runs ``build`` on empty tables, keeps
    its rows in ``snapshots`` and empties the tables again; every call then puts the rows
    back (``restore_snapshot``) and commits."""
    if name not in snapshots:
        result = build()
        db.session.commit()
        snapshots[name] = (take_snapshot(), result)
        db.session.remove()
        empty_tables()
    snapshot, result = snapshots[name]
    restore_snapshot(snapshot)
    return result


def restore_snapshot(snapshot: Snapshot) -> None:
    """Put the rows of ``snapshot`` back into empty tables, with their own IDs, and commit.

    Tables go parents first. A foreign key that closes a cycle between tables
    (``use_alter``) is filled in by an UPDATE once every row is in. New rows get IDs
    after the restored ones: SQLite numbers after the largest ID, and each PostgreSQL
    sequence is set to its table's largest ID (a test may have moved it back, as
    ``flask restore`` does)."""
    later: list[tuple] = []
    for table in db.metadata.sorted_tables:
        rows = snapshot.rows[table.name]
        if not rows:
            continue
        cyclic = [fk.parent.name for fk in table.foreign_keys if fk.use_alter]
        if cyclic:
            keys = [column.name for column in table.primary_key.columns]
            for row in rows:
                values = {name: row[name] for name in cyclic if row[name] is not None}
                if values:
                    later.append((table, {key: row[key] for key in keys}, values))
            rows = [{**row, **dict.fromkeys(cyclic)} for row in rows]
        db.session.execute(table.insert(), rows)
    for table, key, values in later:
        db.session.execute(update(table).where(
            *(table.c[name] == value for name, value in key.items())).values(values))
    if db.session.get_bind().dialect.name == "postgresql":
        for table in db.metadata.sorted_tables:
            keys = list(table.primary_key.columns)
            if not snapshot.rows[table.name] or len(keys) != 1 \
                    or not isinstance(keys[0].type, Integer):
                continue
            highest = max(row[keys[0].name] for row in snapshot.rows[table.name])
            # setval(NULL, …) is NULL: a key without a sequence is left alone.
            db.session.execute(text("SELECT setval(pg_get_serial_sequence(:t, :c), :v)"),
                               {"t": table.name, "c": keys[0].name, "v": highest})
    db.session.commit()
