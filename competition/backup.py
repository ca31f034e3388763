"""Backing up the whole database to one file, and restoring it (``flask backup``/``restore``).

The format is ours and the same on every database: a ZIP archive holding
``manifest.json`` (the format version, the Alembic revision of the schema, and
per table its columns, row count and SHA-256) and one ``<table>.jsonl`` per
table, one JSON array per row, in the columns' order. Values are written as
text where JSON has no type for them (decimals as strings, timestamps in ISO
8601 UTC with microseconds, dates in ISO 8601), so nothing is rounded on the
way: the audit log's hashes, which cover those values, still verify after a
restore.

Why not ``pg_dump``/the SQLite backup API: one format moves a competition
from the default SQLite file to PostgreSQL (and back), needs no client tools
of the right major version on the machine that restores, and can be checked
(row counts, checksums, schema revision) before anything is written. The
databases this app keeps are small (thousands of rows per competition), so a
logical dump costs seconds.

Consistency: the backup reads every table in one read-only transaction — a
snapshot on PostgreSQL (REPEATABLE READ), the shared lock on SQLite — so a
backup taken while judges are scoring is still one moment's state. The file
is written under a temporary name and renamed when complete, so a backup that
is interrupted never leaves a file that looks whole.

A restore writes everything in one transaction: it deletes what is there
(children first), inserts every table (parents first) and, on PostgreSQL,
moves each ID sequence past the highest restored ID. It stops before writing
anything when the archive is damaged, when its schema revision differs from
the target's, or when the target holds data and ``force`` was not given.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import (
    Date,
    DateTime,
    Engine,
    Integer,
    LargeBinary,
    Numeric,
    Table,
    func,
    inspect,
    select,
    text,
)
from sqlalchemy.engine import Connection

from competition.dbtypes import UTCDateTime

FORMAT = "competition-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
BATCH = 500
# Rows the migrations themselves add to a new database (the occupation catalogue,
# migration 0003): a freshly migrated database holding only these counts as empty.
SEEDED_BY_MIGRATIONS = frozenset({"occupations"})


class BackupError(RuntimeError):
    """The backup cannot be made or restored; the message says why and what to do."""


@dataclass(frozen=True)
class Summary:
    revision: str
    tables: int
    rows: int


# --- Values ---------------------------------------------------------------------------

def _encoder(column) -> Callable[[object], object]:
    kind = column.type
    if isinstance(kind, UTCDateTime | DateTime):
        return lambda v: None if v is None else _utc(v).isoformat(timespec="microseconds")
    if isinstance(kind, Date):
        return lambda v: None if v is None else v.isoformat()
    if isinstance(kind, Numeric) and not isinstance(kind, Integer):
        return lambda v: None if v is None else str(v)
    if isinstance(kind, LargeBinary):
        return lambda v: None if v is None else base64.b64encode(bytes(v)).decode("ascii")
    return lambda v: v


def _decoder(column) -> Callable[[object], object]:
    kind = column.type
    if isinstance(kind, UTCDateTime | DateTime):
        return lambda v: None if v is None else _utc(datetime.fromisoformat(v))
    if isinstance(kind, Date):
        return lambda v: None if v is None else date.fromisoformat(v)
    if isinstance(kind, Numeric) and not isinstance(kind, Integer):
        return lambda v: None if v is None else Decimal(v)
    if isinstance(kind, LargeBinary):
        return lambda v: None if v is None else base64.b64decode(v)
    return lambda v: v


def _utc(moment: datetime) -> datetime:
    # SQLite hands back naive timestamps; every one was written in UTC.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


# --- Backing up ------------------------------------------------------------------------

def _snapshot(engine: Engine) -> Connection:
    """A connection in one read-only transaction that sees a single moment."""
    if engine.dialect.name == "postgresql":
        connection = engine.connect().execution_options(isolation_level="REPEATABLE READ")
        connection.begin()
        connection.execute(text("SET TRANSACTION READ ONLY"))
        return connection
    connection = engine.connect()
    connection.begin()
    if engine.dialect.name == "sqlite":
        # pysqlite begins transactions only before writes; this one must cover the reads.
        connection.exec_driver_sql("BEGIN")
    return connection


def schema_revision(connection: Connection) -> str | None:
    """The Alembic revision the database's schema is at (None: not migrated)."""
    if not inspect(connection).has_table("alembic_version"):
        return None
    revisions = connection.execute(text("SELECT version_num FROM alembic_version")).scalars()
    revisions = list(revisions)
    if len(revisions) != 1:
        raise BackupError(f"The database records {len(revisions)} schema revisions; "
                          "expected exactly one.")
    return revisions[0]


def write_backup(engine: Engine, tables: list[Table], path: str) -> Summary:
    """Write every row of ``tables`` (parents first) to the archive at ``path``."""
    folder = os.path.dirname(os.path.abspath(path))
    handle, partial = tempfile.mkstemp(prefix=".backup-", suffix=".partial", dir=folder)
    os.close(handle)
    connection = _snapshot(engine)
    try:
        revision = schema_revision(connection)
        if revision is None:
            raise BackupError("The database has no schema yet (run `flask db upgrade`); "
                              "there is nothing to back up.")
        listed, total = [], 0
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for table in tables:
                columns = [column.name for column in table.columns]
                rows, digest = _write_table(connection, table, archive)
                listed.append({"name": table.name, "columns": columns, "rows": rows,
                               "sha256": digest})
                total += rows
            manifest = {
                "format": FORMAT, "format_version": FORMAT_VERSION,
                "alembic_revision": revision, "database": engine.dialect.name,
                "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "tables": listed,
            }
            archive.writestr(MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1))
        os.replace(partial, path)
    finally:
        connection.rollback()
        connection.close()
        if os.path.exists(partial):
            os.remove(partial)
    return Summary(revision=revision, tables=len(tables), rows=total)


def _write_table(connection: Connection, table: Table, archive: zipfile.ZipFile
                 ) -> tuple[int, str]:
    encoders = [_encoder(column) for column in table.columns]
    order = list(table.primary_key.columns) or list(table.columns)
    digest = hashlib.sha256()
    count = 0
    with archive.open(f"{table.name}.jsonl", "w") as member:
        result = connection.execution_options(yield_per=BATCH).execute(
            select(table).order_by(*order))
        for row in result:
            line = json.dumps([encode(value) for encode, value in zip(encoders, row,
                                                                         strict=True)],
                              ensure_ascii=False, separators=(",", ":")).encode("utf-8")
            member.write(line + b"\n")
            digest.update(line + b"\n")
            count += 1
    return count, digest.hexdigest()


# --- Restoring -------------------------------------------------------------------------

def read_manifest(path: str) -> dict:
    """The archive's manifest, after checking it is one of our backups."""
    try:
        with zipfile.ZipFile(path) as archive:
            manifest = json.loads(archive.read(MANIFEST))
    except FileNotFoundError:
        raise BackupError(f"There is no file {path}.") from None
    except (zipfile.BadZipFile, KeyError, ValueError):
        raise BackupError(f"{path} is not a backup made by `flask backup`.") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{path} is not a backup made by `flask backup`.")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(f"{path} is in backup format {manifest.get('format_version')}; "
                          f"this version of the app reads format {FORMAT_VERSION}.")
    return manifest


def _rows(archive: zipfile.ZipFile, listed: dict, table: Table) -> Iterator[list[dict]]:
    """The table's rows from the archive in batches, checking the member's checksum."""
    names = listed["columns"]
    unknown = set(names) - set(table.columns.keys())
    if unknown:
        raise BackupError(f"The backup's table {table.name} has columns this database "
                          f"lacks: {', '.join(sorted(unknown))}.")
    decoders = [_decoder(table.columns[name]) for name in names]
    digest = hashlib.sha256()
    count = 0
    batch: list[dict] = []
    with archive.open(f"{table.name}.jsonl") as member:
        for line in io.BufferedReader(member):
            digest.update(line)
            values = json.loads(line)
            batch.append({name: decode(value)
                          for name, decode, value in zip(names, decoders, values, strict=True)})
            count += 1
            if len(batch) == BATCH:
                yield batch
                batch = []
    if batch:
        yield batch
    if digest.hexdigest() != listed["sha256"] or count != listed["rows"]:
        raise BackupError(f"The backup's table {table.name} is damaged (its checksum or row "
                          "count does not match the manifest); nothing was restored.")


def holding_data(connection: Connection, tables: list[Table]) -> list[str]:
    """The tables that hold rows, other than those the migrations fill."""
    return [table.name for table in tables if table.name not in SEEDED_BY_MIGRATIONS
            and connection.execute(select(func.count()).select_from(table)).scalar()]


def restore_backup(engine: Engine, tables: list[Table], path: str, *, force: bool = False,
                   create_schema: Callable[[str], None] | None = None,
                   check: Callable[[Connection], list[str]] | None = None) -> Summary:
    """Replace the database's content by the archive's, in one transaction.

    ``create_schema(revision)`` builds the schema when the target has none yet
    (the CLI runs the migrations up to the backup's revision). ``check(connection)``
    looks at the restored rows before the transaction commits (the CLI checks the audit
    log and every row against it): any problem it names refuses the backup, and the
    database keeps what it held before (nothing, when it was empty).
    """
    manifest = read_manifest(path)
    revision = manifest["alembic_revision"]
    listed = {entry["name"]: entry for entry in manifest["tables"]}
    with engine.connect() as connection:
        current = schema_revision(connection)
        empty_database = current is None and not inspect(connection).get_table_names()
    if current is None:
        if not empty_database:
            raise BackupError("The database holds tables but no schema revision; restore "
                              "into an empty database or one built by `flask db upgrade`.")
        if create_schema is None:
            raise BackupError("The database has no schema; run `flask db upgrade` first.")
        create_schema(revision)
        current = revision
    if current != revision:
        raise BackupError(f"The backup's schema is at revision {revision} but this database "
                          f"is at {current}. Restore with the app version that made the "
                          "backup, or bring the database to the same revision "
                          f"(`flask db upgrade {revision}` or `flask db downgrade "
                          f"{revision}`) first.")
    missing = {table.name for table in tables} ^ set(listed)
    if missing:
        raise BackupError("The backup's tables differ from this database's: "
                          + ", ".join(sorted(missing)) + ".")

    total = 0
    with engine.begin() as connection, zipfile.ZipFile(path) as archive:
        occupied = holding_data(connection, tables)
        if occupied and not force:
            raise BackupError("The database is not empty (it holds "
                              + ", ".join(occupied[:5]) + ("…" if len(occupied) > 5 else "")
                              + "). Restore into an empty database, or add --force to "
                              "replace everything in it by the backup.")
        for table in reversed(tables):
            connection.execute(table.delete())
        for table in tables:
            for batch in _rows(archive, listed[table.name], table):
                connection.execute(table.insert(), batch)
                total += len(batch)
        if connection.dialect.name == "postgresql":
            _move_sequences(connection, tables)
        problems = check(connection) if check is not None else []
        if problems:
            raise BackupError("The backup disagrees with its own audit log, so nothing was "
                              "restored:\n  " + "\n  ".join(problems[:20]))
    return Summary(revision=revision, tables=len(tables), rows=total)


def _move_sequences(connection: Connection, tables: list[Table]) -> None:
    """Each ID sequence continues after the highest restored ID."""
    for table in tables:
        keys = list(table.primary_key.columns)
        if len(keys) != 1 or not isinstance(keys[0].type, Integer):
            continue
        sequence = connection.execute(text("SELECT pg_get_serial_sequence(:t, :c)"),
                                      {"t": table.name, "c": keys[0].name}).scalar()
        if sequence is None:
            continue
        highest = connection.execute(select(func.max(keys[0]))).scalar()
        connection.execute(text("SELECT setval(:s, :v, :called)"),
                           {"s": sequence, "v": highest or 1, "called": highest is not None})
