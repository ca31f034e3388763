"""Command-line tools: ``flask users create``, ``flask demo``, ``flask backup``/``restore``,
``flask jobs worker``."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import func, select

from competition.accounts.users import AccountError, create_user
from competition.auth.models import Role
from competition.extensions import db

users_cli = AppGroup("users", help="Manage accounts.")


@users_cli.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--name", "display_name", default="", help="Name shown in the app.")
@click.option("--expert", "expert_id", type=int, default=None,
              help="A judge's expert in the pool (its id), whose panels the account judges.")
@click.option("--competition", "competition_id", type=int, default=None,
              help="With --role organizer: the competition the account runs (its id). "
                   "With --role judge: the one competition the account acts in.")
@click.password_option(help="At least 8 characters; asked for when not given.")
def create_user_command(username: str, role: str, display_name: str, expert_id: int | None,
                        competition_id: int | None, password: str) -> None:
    """Add an account that can sign in."""
    try:
        user = create_user(db.session, username=username, password=password, role=role,
                           display_name=display_name, expert_id=expert_id,
                           competition_id=competition_id)
    except AccountError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(f"Created {user.role} {user.username!r} (id {user.id}).")


@users_cli.command("token")
@click.argument("username")
@click.option("--label", default="", help="What the token is for, e.g. the platform's name.")
def create_token_command(username: str, label: str) -> None:
    """Print a new bearer token for the JSON API (shown only once)."""
    from competition.auth.credentials import issue_api_token
    from competition.auth.models import User

    user = db.session.scalar(select(User).where(func.lower(User.username) == username.lower()))
    if user is None:
        raise click.ClickException(f"no user called {username!r}")
    secret = issue_api_token(db.session, user, label)
    db.session.commit()
    click.echo(secret)


@click.command("demo")
@click.option("--if-empty", is_flag=True,
              help="Seed only a database that holds no competition yet.")
def demo_command(if_empty: bool) -> None:
    """Seed the demo competition (safe to run again: it adds nothing twice)."""
    from competition.demo import DEMO_ACCOUNTS, DEMO_COMPETITION_NAME, seed_demo
    from competition.demo_stages import advance_demo
    from competition.events.models import Competition

    if if_empty and db.session.scalar(select(func.count(Competition.id))):
        click.echo("The database already holds competitions; the demo was not added.")
    elif seed_demo(db.session):
        db.session.commit()
        advance_demo(db.session)
        db.session.commit()
        click.echo(f"Seeded the demo competition {DEMO_COMPETITION_NAME}: 茶艺师 final with "
                   "certificates, 养老护理员 职工组 on public notice, 车工 part-way through "
                   "scoring.")
    else:
        click.echo("The demo competition is already there; nothing added.")
    if db.session.scalar(select(Competition.id).where(Competition.name == DEMO_COMPETITION_NAME)):
        from competition.auth.models import Role, User

        # An admin made before the demo (or a password changed since) is not printed with
        # the demo's password. Checking every account's hash would take seconds; the
        # admin is the one a real installation creates first.
        users = {u.username: u for u in db.session.scalars(select(User).where(
            User.username.in_([a.username for a in DEMO_ACCOUNTS])))}
        usable = [a for a in DEMO_ACCOUNTS if a.username in users and (
            a.role != Role.ADMIN or users[a.username].check_password(a.password))]
        if usable:
            click.echo("Demo accounts (username / password — role):")
        for account in usable:
            click.echo(f"  {account.username:<10} / {account.password:<20} — "
                       f"{account.description}")
        changed = [a.username for a in DEMO_ACCOUNTS if a not in usable]
        if changed:
            click.echo("These demo accounts have another password now (not shown): "
                       + ", ".join(changed))


audit_cli = AppGroup("audit", help="The tamper-evident audit log.")


@audit_cli.command("verify")
def verify_audit_command() -> None:
    """Check the audit log's chain, every row results are computed from against it, and
    what is derived; exit 1 naming every row that disagrees."""
    _report_integrity()


@audit_cli.command("baseline")
def baseline_audit_command() -> None:
    """Once, after upgrading from a version whose log did not record every row results are
    computed from: record those rows as they are now."""
    from competition.audit.state import record_baseline

    recorded = record_baseline(db.session)
    db.session.commit()
    if not recorded:
        click.echo("Every table the results depend on is already tracked; nothing recorded.")
    for table, rows in recorded.items():
        click.echo(f"Recorded the current state of {rows} rows of {table}.")


def _report_integrity() -> None:
    from competition.integrity import verify_database

    verdict = verify_database(db.session)
    if not verdict.intact:
        click.echo(f"The database disagrees with the audit log ({len(verdict.problems)} "
                   "problems):", err=True)
        for problem in verdict.problems:
            click.echo(f"  {problem}", err=True)
        raise SystemExit(1)
    click.echo(f"Audit log intact: {verdict.records} records; every row that decides a "
               "result agrees with it.")


@click.command("forget-retries")
@click.option("--days", default=7, show_default=True, help="Keep the keys of the last N days.")
def forget_retries_command(days: int) -> None:
    """Delete the tablets' idempotency keys older than N days (run daily from cron)."""
    from datetime import timedelta

    from competition.dbtypes import utcnow
    from competition.judging.idempotency import forget_before

    removed = forget_before(db.session, utcnow() - timedelta(days=days))
    db.session.commit()
    click.echo(f"Removed {removed} idempotency keys older than {days} days.")


@click.command("backup")
@click.argument("path", required=False, type=click.Path(dir_okay=False, writable=True))
def backup_command(path: str | None) -> None:
    """Write the whole database to one file (default: backup-<date-time>.zip here)."""
    from datetime import datetime

    from competition.backup import BackupError, write_backup

    path = path or f"backup-{datetime.now():%Y%m%d-%H%M%S}.zip"
    try:
        summary = write_backup(db.engine, db.metadata.sorted_tables, path)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Backed up {summary.rows} rows of {summary.tables} tables "
               f"(schema revision {summary.revision}) to {path}.")


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--force", is_flag=True,
              help="Replace everything the database holds by the backup.")
def restore_command(path: str, force: bool) -> None:
    """Restore a file made by `flask backup` into this database (empty unless --force)."""
    from flask_migrate import upgrade

    from competition.backup import BackupError, restore_backup

    db.session.remove()
    try:
        summary = restore_backup(db.engine, db.metadata.sorted_tables, path, force=force,
                                 create_schema=_schema_builder(upgrade),
                                 check=_restored_problems)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Restored {summary.rows} rows of {summary.tables} tables "
               f"(schema revision {summary.revision}).")
    head = _migrations_head()
    if head != summary.revision:
        click.echo(f"This version of the app expects schema revision {head}: run "
                   "`flask db upgrade` next.")
    _report_integrity()


def _restored_problems(connection) -> list[str]:
    """What ``flask audit verify`` would find in the restored rows, before they commit."""
    from sqlalchemy.orm import Session

    from competition.integrity import verify_database

    with Session(bind=connection) as session:
        return verify_database(session).problems


def _schema_builder(upgrade):
    """Build an empty database's schema with the migrations, up to the backup's revision."""
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError
    from flask import current_app

    from competition.backup import BackupError

    def build(revision: str) -> None:
        config = current_app.extensions["migrate"].migrate.get_config()
        try:
            ScriptDirectory.from_config(config).get_revision(revision)
        except CommandError:
            raise BackupError(f"The backup's schema revision {revision} is unknown to this "
                              "version of the app; restore it with the version that made "
                              "it.") from None
        upgrade(revision=revision)

    return build


def _migrations_head() -> str | None:
    from alembic.script import ScriptDirectory
    from flask import current_app

    config = current_app.extensions["migrate"].migrate.get_config()
    return ScriptDirectory.from_config(config).get_current_head()


jobs_cli = AppGroup("jobs", help="Print runs and exports made in the background.")


@jobs_cli.command("worker")
@click.option("--queue", "queue_name", default=None,
              help="The RQ queue to take jobs from (default: JOBS_QUEUE, competition-jobs).")
@click.option("--burst", is_flag=True, help="Stop once the queue is empty.")
@click.option("--simple", is_flag=True,
              help="Run each job in this process instead of a child forked for it.")
def jobs_worker_command(queue_name: str | None, burst: bool, simple: bool) -> None:
    """Run the jobs queued in Redis (REDIS_URL), one at a time, until stopped."""
    import logging

    from flask import current_app

    from competition.jobs.worker import NoQueue, run_worker

    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO,
                            format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        run_worker(current_app._get_current_object(), queue_name=queue_name, burst=burst,
                   simple=simple)
    except NoQueue as error:
        raise click.ClickException(str(error)) from error


def register_cli(app: Flask) -> None:
    app.cli.add_command(users_cli)
    app.cli.add_command(demo_command)
    app.cli.add_command(audit_cli)
    app.cli.add_command(forget_retries_command)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    app.cli.add_command(jobs_cli)
