"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from competition.dbtypes import render_migration_item
from competition.extensions import db
from tests import builders


def _differences(connection):
    context = MigrationContext.configure(connection, opts={
        "compare_type": True, "render_item": render_migration_item,
    })
    return compare_metadata(context, db.metadata)


def test_models_and_migrations_agree(app):
    """The test database was built by ``flask db upgrade``; autogenerate finds nothing to add."""
    with db.engine.connect() as connection:
        assert _differences(connection) == []
        version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    assert version == _single_head()


def _single_head() -> str:
    """The newest migration; there must be exactly one (two heads would not upgrade)."""
    from alembic.script import ScriptDirectory
    from flask import current_app

    config = current_app.extensions["migrate"].migrate.get_config()
    return ScriptDirectory.from_config(config).get_current_head()


def test_every_model_table_exists(app):
    tables = set(inspect(db.engine).get_table_names())
    assert set(db.metadata.tables) <= tables
    assert {"competitions", "events", "criteria", "entries", "score_sheets", "marks",
            "publications", "promotions", "certificates", "audit_events"} <= tables


def test_database_enforces_one_chief_judge_per_event(app):
    from competition.events.models import Expert, PanelMember

    competition = builders.competition()
    event = builders.event(competition)
    experts = [Expert(name=f"专家{i}") for i in range(2)]
    db.session.add_all(experts)
    db.session.flush()
    db.session.add(PanelMember(event_id=event.id, expert_id=experts[0].id, role="chief"))
    db.session.flush()
    db.session.add(PanelMember(event_id=event.id, expert_id=experts[1].id, role="chief"))
    try:
        db.session.flush()
        raised = False
    except IntegrityError:
        raised = True
    db.session.rollback()
    assert raised


def test_database_refuses_an_entry_in_another_events_division(app):
    from datetime import date

    from competition.entries.models import Contestant, Entry

    competition = builders.competition()
    nursing = builders.event(competition, "养老护理员")
    turning = builders.event(competition, "车工",
                             occupation=builders.occupation("车工", "6-18-01-01"))
    person = Contestant(competition_id=competition.id, name="张三",
                        id_number="11010519491231002X", sex="F",
                        birth_date=date(1949, 12, 31))
    db.session.add(person)
    db.session.flush()
    db.session.add(Entry(event_id=turning.id, division_id=nursing.divisions[0].id,
                         contestant_id=person.id))
    try:
        db.session.flush()
        raised = False
    except IntegrityError:
        raised = True
    db.session.rollback()
    assert raised


def test_downgrade_and_upgrade_again_on_an_empty_database(tmp_path):
    """``flask db upgrade`` works on an empty SQLite file, and the migration reverses."""
    from tests.conftest import make_app

    app = make_app("sqlite:///" + str(tmp_path / "fresh.sqlite3"))
    with app.app_context():
        upgrade()
        assert "marks" in inspect(db.engine).get_table_names()
        downgrade(revision="base")
        assert inspect(db.engine).get_table_names() == ["alembic_version"]
        upgrade()
        with db.engine.connect() as connection:
            assert _differences(connection) == []
        db.engine.dispose()


def test_upgrading_and_downgrading_keeps_the_data(tmp_path):
    """SQLite rebuilds a table to change it; rows that refer to it must survive."""
    from tests.conftest import make_app

    app = make_app("sqlite:///" + str(tmp_path / "data.sqlite3"))
    with app.app_context():
        upgrade(revision="0001")
        with db.engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO occupations (id, name, code) VALUES (1, '车工', '6-18-01-01')"))
            connection.execute(text(
                "INSERT INTO competitions (id, name, level, host, venue, status, name_display, "
                "self_registration, evaluator_type, evaluator_code, province_code, "
                "site_sequence, certificate_issuer, created_at) VALUES (1, '大赛', 'city', '', "
                "'', 'draft', 'masked', 0, 'S', '0000', '42', '000001', '', "
                "'2026-11-26 00:00:00')"))
            connection.execute(text(
                "INSERT INTO events (id, competition_id, occupation_id, name, position, venue, "
                "aggregation, trim_count, decimals, tie_break, first_prize_pct, "
                "second_prize_pct, third_prize_pct, title_name, appeal_window_hours, "
                "notice_days) VALUES (1, 1, 1, '车工', 0, '', 'mean', 0, 2, '[]', 10, 20, 30, "
                "'', 2, 5)"))
            connection.execute(text(
                "INSERT INTO divisions (id, event_id, name, kind, position) "
                "VALUES (1, 1, '职工组', 'worker', 0)"))
        upgrade()
        downgrade(revision="0001")
        upgrade()
        with db.engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM divisions")).scalar() == 1
            assert connection.execute(text("SELECT count(*) FROM events")).scalar() == 1
        db.engine.dispose()


def test_a_person_in_two_competitions_becomes_a_registration_in_each(tmp_path):
    """Contestants become rows of one competition: a person entered in two competitions is
    split in two, each competition's entries and conflicts following its own row; a row
    with no entry belongs to no competition and goes."""
    from tests.conftest import make_app

    app = make_app("sqlite:///" + str(tmp_path / "split.sqlite3"))
    with app.app_context():
        upgrade(revision="0006")
        with db.engine.begin() as connection:
            run = connection.execute
            run(text("INSERT INTO occupations (id, name, code) VALUES (900, '测试工种', NULL)"))
            for n in (1, 2):
                run(text(
                    "INSERT INTO competitions (id, name, level, host, venue, status, "
                    "name_display, self_registration, evaluator_type, evaluator_code, "
                    "province_code, site_sequence, certificate_issuer, created_at) VALUES "
                    "(:n, :name, 'city', '', '', 'draft', 'masked', 0, 'S', '0000', '42', "
                    "'000001', '', '2026-11-26 00:00:00')"), {"n": n, "name": f"大赛{n}"})
                run(text(
                    "INSERT INTO events (id, competition_id, occupation_id, name, position, "
                    "venue, aggregation, trim_count, decimals, tie_break, first_prize_pct, "
                    "second_prize_pct, third_prize_pct, title_name, appeal_window_hours, "
                    "notice_days) VALUES (:n, :n, 900, '车工', 0, '', 'mean', 0, 2, '[]', "
                    "10, 20, 30, '', 2, 5)"), {"n": n})
                run(text("INSERT INTO divisions (id, event_id, name, kind, position) "
                         "VALUES (:n, :n, '职工组', 'worker', 0)"), {"n": n})
            for cid, number in ((1, "11010519491231002X"), (2, "110105194912310029")):
                run(text(
                    "INSERT INTO contestants (id, name, id_type, id_number, sex, birth_date, "
                    "phone, work_unit, current_certificate_no, created_at) VALUES "
                    "(:id, '张三', 'resident_id', :number, 'F', '1949-12-31', "
                    "'13900000000', '某单位', '', '2026-11-26 00:00:00')"),
                    {"id": cid, "number": number})
            for n in (1, 2):
                run(text(
                    "INSERT INTO entries (id, event_id, division_id, contestant_id, status, "
                    "attendance, source, token, registered_at, review_note) VALUES "
                    "(:n, :n, :n, 1, 'approved', 'expected', 'manual', :token, "
                    "'2026-11-26 00:00:00', '')"), {"n": n, "token": f"token{n}"})
            run(text("INSERT INTO experts (id, name, work_unit, title, phone, examiner_level, "
                     "created_at) VALUES (1, '专家', '', '', '', 'examiner', "
                     "'2026-11-26 00:00:00')"))
            run(text("INSERT INTO conflicts (id, competition_id, expert_id, contestant_id, "
                     "reason, declared_at) VALUES (1, 2, 1, 1, '', '2026-11-26 00:00:00')"))
            run(text("INSERT INTO users (id, username, display_name, password_hash, role, "
                     "active, created_at) VALUES (1, 'admin', '管理员', 'x', 'admin', 1, "
                     "'2026-11-26 00:00:00')"))
        upgrade(revision="0007")
        with db.engine.connect() as connection:
            rows = connection.execute(text(
                "SELECT e.id, c.competition_id, c.name, c.phone FROM entries e "
                "JOIN contestants c ON c.id = e.contestant_id ORDER BY e.id")).all()
            assert [tuple(r) for r in rows] == [(1, 1, "张三", "13900000000"),
                                                (2, 2, "张三", "13900000000")]
            assert connection.execute(text("SELECT count(*) FROM contestants")).scalar() == 2
            conflict_competition = connection.execute(text(
                "SELECT c.competition_id FROM conflicts f "
                "JOIN contestants c ON c.id = f.contestant_id")).scalar()
            assert conflict_competition == 2
            stamp = connection.execute(text("SELECT session_stamp FROM users")).scalar()
            assert len(stamp) == 32
        db.engine.dispose()


def _plain_chain(connection, broken_at: int | None = None) -> None:
    """Three audit records chained with plain SHA-256, as versions before 0008 wrote them."""
    import hashlib

    previous = "0" * 64
    for n in (1, 2, 3):
        fields = [previous, f"2026-11-26T08:00:0{n}.000000", "", "event.lock", "event", str(n),
                  "", "", '{"locked":true}', ""]
        digest = hashlib.sha256("\x1f".join(fields).encode()).hexdigest()
        new_value = '{"locked":false}' if n == broken_at else '{"locked":true}'
        connection.execute(text(
            "INSERT INTO audit_events (id, occurred_at, action, object_type, object_id, "
            "old_value, new_value, reason, prev_hash, hash) VALUES (:id, :at, 'event.lock', "
            "'event', :oid, '', :new, '', :prev, :hash)"),
            {"id": n, "at": f"2026-11-26 08:00:0{n}.000000", "oid": str(n), "new": new_value,
             "prev": previous, "hash": digest})
        previous = digest


def test_the_audit_chain_is_keyed_on_upgrade_and_a_broken_one_is_refused(tmp_path):
    import pytest

    from competition.audit.log import verify_chain
    from tests.conftest import make_app

    app = make_app("sqlite:///" + str(tmp_path / "keyed.sqlite3"))
    with app.app_context():
        upgrade(revision="0007")
        with db.engine.begin() as connection:
            _plain_chain(connection)
        upgrade(revision="0008")
        assert verify_chain(db.session) is None
        db.session.remove()
        db.engine.dispose()

    app = make_app("sqlite:///" + str(tmp_path / "broken.sqlite3"))
    with app.app_context():
        upgrade(revision="0007")
        with db.engine.begin() as connection:
            _plain_chain(connection, broken_at=2)
        with pytest.raises(SystemExit):  # Flask-Migrate reports the error and exits
            upgrade(revision="0008")
        with db.engine.connect() as connection:
            assert connection.execute(text("SELECT version_num FROM alembic_version")
                                      ).scalar() == "0007"
            hashes = connection.execute(text("SELECT hash FROM audit_events")).scalars().all()
        assert len(hashes) == 3 and all(len(h) == 64 for h in hashes)
        db.engine.dispose()
