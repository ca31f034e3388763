"""``flask backup`` and ``flask restore``: the demo, scored, published, final and
with certificates, restored into an empty database is equal table by table, and its audit
log verifies; a restore refuses a database holding data (unless --force), another schema
revision and a damaged file, and then changes nothing."""

from __future__ import annotations

import json
import os
import zipfile
from decimal import Decimal

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from competition.auth.models import User
from competition.backup import SEEDED_BY_MIGRATIONS
from competition.extensions import db
from tests import builders
from tests.conftest import make_app


def rows_of(session, table) -> list[tuple]:
    order = list(table.primary_key.columns) or list(table.columns)
    return [tuple(row) for row in session.execute(select(table).order_by(*order))]


def every_table(session) -> dict[str, list[tuple]]:
    return {table.name: rows_of(session, table) for table in db.metadata.sorted_tables}


def run(target_app, *args):
    """A CLI command on ``target_app``'s database. (The runner reuses an app context that
    is already pushed, so the target's own context is pushed here.)"""
    with target_app.app_context():
        result = target_app.test_cli_runner().invoke(args=list(args))
        db.session.remove()
    return result


def empty_postgresql(url: str) -> str:
    """The restore database beside the tests' own (``<name>_restore``), created when
    missing and emptied: no tables at all."""
    tests = make_url(url)
    restore = tests.set(database=f"{tests.database}_restore")
    server = create_engine(tests.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                           {"name": restore.database}):
            conn.execute(text(f'CREATE DATABASE "{restore.database}"'))
    server.dispose()
    url = restore.render_as_string(hide_password=False)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return url


def targets(database_url: str, tmp_path) -> list[str]:
    found = ["sqlite:///" + str(tmp_path / "restored.sqlite3")]
    if database_url.startswith("postgresql"):
        found.append(empty_postgresql(database_url))
    return found


def test_the_demo_restores_into_an_empty_database_equal_table_by_table(
        staged_demo, runner, database_url, tmp_path):
    path = str(tmp_path / "demo.zip")

    backed_up = runner.invoke(args=["backup", path])

    assert backed_up.exit_code == 0, backed_up.output
    assert "Backed up" in backed_up.output and "schema revision" in backed_up.output
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"  # ID numbers inside: owner only
    db.session.rollback()
    source = every_table(db.session)
    assert all(source[name] for name in ("certificates", "promotions", "results",
                                         "publications", "marks", "audit_events"))
    assert sum(map(len, source.values())) > 5000

    for url in targets(database_url, tmp_path):  # SQLite; and PostgreSQL when testing on it
        restored_app = make_app(url)
        result = run(restored_app, "restore", path)
        assert result.exit_code == 0, result.output
        assert "Audit log intact" in result.output
        with restored_app.app_context():
            restored = every_table(db.session)
            for name, rows in source.items():
                assert restored[name] == rows, f"{name} differs after restore into {url}"
            # New rows continue after the restored IDs (PostgreSQL's sequences were moved).
            user = builders.user("organizer", username="after-restore")
            db.session.commit()
            assert user.id == max(row[0] for row in source["users"]) + 1
            db.session.remove()
            db.engine.dispose()
        verified = run(restored_app, "audit", "verify")
        assert verified.exit_code == 0, verified.output
        assert f"Audit log intact: {len(source['audit_events'])} records" in verified.output


def small_backup(runner, tmp_path) -> str:
    organizer = builders.user("organizer", username="kept")
    builders.competition("咸宁市第七届技能大赛", organizers=(organizer,))
    db.session.commit()
    path = str(tmp_path / "small.zip")
    assert runner.invoke(args=["backup", path]).exit_code == 0
    return path


def usernames() -> list[str]:
    db.session.rollback()
    return sorted(db.session.scalars(select(User.username)))


def test_a_database_holding_data_is_refused_unless_forced(app, runner, tmp_path):
    path = small_backup(runner, tmp_path)
    builders.user("judge", username="added-later")
    db.session.commit()

    refused = runner.invoke(args=["restore", path])

    assert refused.exit_code == 1
    assert "The database is not empty" in refused.output and "--force" in refused.output
    assert usernames() == ["added-later", "kept"]

    forced = runner.invoke(args=["restore", path, "--force"])

    assert forced.exit_code == 0, forced.output
    assert usernames() == ["kept"]


def test_a_file_waiting_for_its_confirmation_is_restored_byte_for_byte(app, runner, tmp_path):
    """Uploaded files wait in the database (``uploads.PendingUpload``): their bytes go
    into the backup as base64 and come back unchanged."""
    from competition.uploads import PendingUpload, UploadStore

    organizer = builders.user("organizer", username="kept")
    content = bytes(range(256)) * 3
    token = UploadStore.for_app("experts").save(organizer.id, 0, "专家.xlsx", content)
    db.session.commit()
    path = str(tmp_path / "pending.zip")
    assert runner.invoke(args=["backup", path]).exit_code == 0

    target = fresh_target(tmp_path)
    restored = run(target, "restore", path)

    assert restored.exit_code == 0, restored.output
    with target.app_context():
        row = db.session.get(PendingUpload, token)
        assert (row.user_id, row.scope_id, row.kind, row.filename, row.data) == (
            organizer.id, 0, "experts", "专家.xlsx", content)
        db.session.remove()
        db.engine.dispose()


def rewrite(path: str, change) -> None:
    """Rewrite the archive with ``change(name, data) -> data`` applied to each member."""
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, change(name, data))


def fresh_target(tmp_path):
    return make_app("sqlite:///" + str(tmp_path / "target.sqlite3"))


def test_another_schema_revision_is_refused(app, runner, tmp_path):
    path = small_backup(runner, tmp_path)

    def older(name, data):
        if name != "manifest.json":
            return data
        manifest = json.loads(data)
        manifest["alembic_revision"] = "0005"
        return json.dumps(manifest)

    current = json.loads(zipfile.ZipFile(path).read("manifest.json"))["alembic_revision"]
    rewrite(path, older)
    refused = runner.invoke(args=["restore", path, "--force"])

    assert refused.exit_code == 1
    assert f"schema is at revision 0005 but this database is at {current}" in refused.output
    assert usernames() == ["kept"]


@pytest.mark.parametrize("damage, message", [
    ("table", "The backup's table users is damaged"),
    ("not-a-backup", "is not a backup made by `flask backup`"),
])
def test_a_damaged_file_restores_nothing(app, runner, tmp_path, damage, message):
    path = small_backup(runner, tmp_path)
    if damage == "table":
        rewrite(path, lambda name, data: data.replace(b"kept", b"evil")
                if name == "users.jsonl" else data)
    else:
        with open(path, "wb") as file:
            file.write(b"PK\x03\x04 not really a zip")
    target = fresh_target(tmp_path)

    refused = run(target, "restore", path)

    assert refused.exit_code == 1
    assert message in refused.output
    with target.app_context():
        holding = [t.name for t in db.metadata.sorted_tables
                   if t.name not in SEEDED_BY_MIGRATIONS and db.session.scalar(
                       select(func.count()).select_from(t))] if damage == "table" else []
        db.engine.dispose()
    assert holding == []



def test_a_backup_from_an_unknown_schema_revision_is_refused(app, runner, tmp_path):
    path = small_backup(runner, tmp_path)

    def newer(name, data):
        if name != "manifest.json":
            return data
        manifest = json.loads(data)
        manifest["alembic_revision"] = "9999"
        return json.dumps(manifest)

    rewrite(path, newer)
    refused = run(fresh_target(tmp_path), "restore", path)

    assert refused.exit_code == 1
    assert "schema revision 9999 is unknown to this version of the app" in refused.output


def test_a_forged_backup_is_refused_before_anything_is_kept(final_tea, runner, tmp_path):
    """A backup whose marks were edited, with its checksums made to match: the restore
    checks the audit log and every row against it before committing, refuses, and the
    target database holds no data."""
    import hashlib

    path = str(tmp_path / "forged.zip")
    assert runner.invoke(args=["backup", path]).exit_code == 0
    manifest = json.loads(zipfile.ZipFile(path).read("manifest.json"))
    marks = next(t for t in manifest["tables"] if t["name"] == "marks")
    points = marks["columns"].index("points")
    forged_member = {}

    def forge(name, data):
        if name == "marks.jsonl":
            lines = data.decode().splitlines()
            first = json.loads(lines[0])
            first[points] = str(Decimal(first[points]) + 3)
            lines[0] = json.dumps(first, ensure_ascii=False, separators=(",", ":"))
            data = ("\n".join(lines) + "\n").encode()
            forged_member["sha256"] = hashlib.sha256(data).hexdigest()
            return data
        if name == "manifest.json":
            return data  # rewritten below, once the forged member's checksum is known
        return data

    rewrite(path, forge)
    marks["sha256"] = forged_member["sha256"]
    rewrite(path, lambda name, data: json.dumps(manifest).encode()
            if name == "manifest.json" else data)
    target = fresh_target(tmp_path)

    refused = run(target, "restore", path)

    assert refused.exit_code == 1
    assert "disagrees with its own audit log" in refused.output and "marks " in refused.output
    with target.app_context():
        for table in db.metadata.sorted_tables:
            if table.name in SEEDED_BY_MIGRATIONS or table.name == "alembic_version":
                continue  # as the migrations leave a new database
            assert db.session.execute(select(func.count()).select_from(table)).scalar() == 0
        db.session.remove()
        db.engine.dispose()
