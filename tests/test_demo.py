"""The demo competition: what ``seed_demo`` puts in the database, and that it adds it once."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select

import competition
from competition.auth.credentials import authenticate
from competition.auth.models import Role, User
from competition.demo import (
    DEMO_ACCOUNTS,
    DEMO_COMPETITION_NAME,
    MARKING_SCHEMES_PATH,
    load_marking_schemes,
    parse_tolerance,
    seed_demo,
)
from competition.entries.idcard import parse_id_number
from competition.entries.models import Contestant, Entry
from competition.events.models import (
    Competition,
    Criterion,
    Division,
    Event,
    Expert,
    Module,
    Occupation,
    PanelMember,
    PanelRole,
)
from competition.extensions import db


def _seeded() -> Competition:
    assert seed_demo(db.session) is True
    db.session.commit()
    return db.session.scalars(
        select(Competition).where(Competition.name == DEMO_COMPETITION_NAME)
    ).one()


def _row_counts() -> dict[str, int]:
    return {
        table.name: db.session.scalar(select(func.count()).select_from(table))
        for table in db.metadata.sorted_tables
    }


def _age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def test_seed_builds_the_competition(app):
    competition = _seeded()

    assert competition.name == "咸宁市第七届“咸宁工匠”职业技能大赛"
    assert (competition.level, competition.level_class, competition.edition) == ("city", 1, 7)
    assert competition.status == "running"
    assert competition.starts_on.year == 2026
    assert competition.ends_on >= competition.starts_on
    assert (competition.evaluator_type, competition.province_code) == ("S", "42")
    assert len(competition.evaluator_code) == 4 and len(competition.site_sequence) == 6
    assert competition.certificate_issuer

    assert [event.name for event in competition.events] == ["养老护理员", "车工", "茶艺师"]
    assert db.session.scalar(select(func.count(Division.id))) == 4
    divisions = {(d.event.name, d.name): d.kind for e in competition.events for d in e.divisions}
    assert divisions == {
        ("养老护理员", "职工组"): "worker",
        ("养老护理员", "学生组"): "student",
        ("车工", "职工组"): "worker",
        ("茶艺师", "职工组"): "worker",
    }
    for event in competition.events:
        assert event.title_name == "咸宁市技术能手" and event.title_top_n == 3
        assert (event.appeal_window_hours, event.notice_days) == (2, 5)
        assert event.grade_max <= event.grade_min  # grade 1 is the highest
    aggregation = {event.name: (event.aggregation, event.trim_count)
                   for event in competition.events}
    assert aggregation["养老护理员"] == ("trimmed_mean", 1)
    assert aggregation["车工"][0] == "mean"
    assert aggregation["茶艺师"][0] == "trimmed_mean"


def test_occupations_keep_their_codes(app):
    _seeded()
    codes = dict(db.session.execute(select(Occupation.name, Occupation.code)).all())
    assert codes == {
        "养老护理员": "4-10-01-05", "车工": "6-18-01-01", "铣工": "6-18-01-02", "茶艺师": None,
        "育婴员": "4-10-01-02", "保育师": "4-10-01-03", "家政服务员": "4-10-01-06",
    }


def test_existing_occupations_are_reused(app):
    db.session.add(Occupation(name="养老护理员", code="4-10-01-05"))
    db.session.commit()
    _seeded()
    assert db.session.scalar(select(func.count(Occupation.id))) == 7


def test_marking_schemes(app):
    competition = _seeded()
    for event in competition.events:
        assert sum(module.weight for module in event.modules) == Decimal(100), event.name
        for module in event.modules:
            if module.kind == "practical":
                # Every practical module's criteria add up to its maximum.
                assert sum(c.max_points for c in module.criteria) == module.max_score
            else:
                assert module.criteria == []
    modules = {(m.event.name, m.code): (m.kind, m.weight)
               for m in db.session.scalars(select(Module))}
    assert modules[("养老护理员", "T")] == ("theory", Decimal(20))
    assert modules[("车工", "A")] == ("practical", Decimal(70))
    assert modules[("茶艺师", "B")] == ("practical", Decimal(35))


def test_lathe_dimensions_are_measured_and_gauges_pass_fail(app):
    _seeded()
    lathe = {
        c.code: c for c in db.session.scalars(
            select(Criterion).join(Module).join(Event).where(Event.name == "车工")
        )
    }
    expected = {
        "A1": (Decimal(38), Decimal("-0.025"), Decimal(0)),
        "A2": (Decimal(30), Decimal("-0.04"), Decimal(0)),
        "A3": (Decimal(24), Decimal(0), Decimal("0.021")),
        "A4": (Decimal(40), Decimal("-0.05"), Decimal("0.05")),
    }
    for code, (nominal, lower, upper) in expected.items():
        criterion = lathe[code]
        assert criterion.entry_mode == "measured", code
        assert criterion.kind == "measurement"
        assert (criterion.nominal, criterion.tolerance_lower, criterion.tolerance_upper) == (
            nominal, lower, upper)
        assert criterion.unit == "mm"
        assert criterion.deduction_step == Decimal("0.01")
        assert criterion.deduction_points == Decimal(1)
        # Beyond the limit the criterion scores 0; within it a point is still left.
        assert 0 < criterion.deduction_limit < criterion.max_points * criterion.deduction_step
    for code in ("A5", "A6", "A7", "A8", "A9"):
        assert lathe[code].entry_mode == "pass_fail", code
    other_modes = Counter(c.entry_mode for c in db.session.scalars(select(Criterion))
                          if c.module.event.name != "车工")
    assert set(other_modes) == {"points"}


def test_promotion_rules_follow_the_city_class1_preset(app):
    competition = _seeded()
    rules = {
        (event.name, rule.division.name): rule
        for event in competition.events for rule in event.promotion_rules
    }
    assert set(rules) == {("养老护理员", "职工组"), ("养老护理员", "学生组"),
                          ("车工", "职工组"), ("茶艺师", "职工组")}
    for (_event, division), rule in rules.items():
        assert (rule.rank_from, rule.rank_to) == (1, 10)
        assert rule.effect == "grant"
        assert rule.grant_grade == (3 if division == "学生组" else 2)
        assert rule.min_theory_score == rule.min_practical_score == Decimal(60)
        assert rule.once_per_year is True
        assert rule.cap_grade == 2


def test_contestants_have_valid_id_numbers(app):
    competition = _seeded()
    contestants = db.session.scalars(select(Contestant)).all()
    assert 36 <= len(contestants) <= 44
    for contestant in contestants:
        info = parse_id_number(contestant.id_number)
        assert info.number == contestant.id_number
        assert info.sex == contestant.sex, contestant.name
        assert info.birth_date == contestant.birth_date, contestant.name
        assert contestant.id_number.startswith("4212")  # 湖北省咸宁市
        assert re.fullmatch(r"1[358]\d{9}", contestant.phone)
        assert contestant.work_unit
        if contestant.current_grade is not None:
            assert len(contestant.current_certificate_no) == 22
    assert {c.sex for c in contestants} == {"M", "F"}
    assert len({c.name for c in contestants}) == len(contestants)

    students = db.session.scalars(
        select(Contestant).join(Entry).join(Division, Division.id == Entry.division_id)
        .where(Division.kind == "student")
    ).all()
    assert students
    for student in students:
        assert 18 <= _age_on(student.birth_date, competition.starts_on) <= 22


def test_entries_are_approved_with_stations_and_codes(app):
    competition = _seeded()
    tickets = []
    for event in competition.events:
        entries = db.session.scalars(select(Entry).where(Entry.event_id == event.id)).all()
        assert entries
        assert sorted(e.station for e in entries) == list(range(1, len(entries) + 1))
        codes = [e.code for e in entries]
        assert len(set(codes)) == len(codes)
        prefixes = {code[:3] for code in codes}
        assert len(prefixes) == 1 and all(re.fullmatch(r"[A-Z]{2}-\d{3}", c) for c in codes)
        for entry in entries:
            assert (entry.status, entry.attendance, entry.source) == (
                "approved", "expected", "import")
            assert entry.division.event_id == event.id
            assert entry.ticket_number.startswith("XN2026")
            tickets.append(entry.ticket_number)
    assert len(set(tickets)) == len(tickets)
    per_division = Counter(
        (e.event.name, e.division.name) for e in db.session.scalars(select(Entry))
    )
    assert per_division == {("养老护理员", "职工组"): 14, ("养老护理员", "学生组"): 8,
                            ("车工", "职工组"): 10, ("茶艺师", "职工组"): 8}


def test_each_event_has_one_chief_and_judges_of_its_occupation(app):
    competition = _seeded()
    for event in competition.events:
        roles = Counter(member.role for member in event.panel)
        assert roles[PanelRole.CHIEF] == 1, event.name
        assert roles[PanelRole.JUDGE] >= 3, event.name
        for member in event.panel:
            assert event.occupation in member.expert.occupations
            assert member.expert.certificate_number
            assert member.expert.certificate_expires_on > competition.ends_on
            account = db.session.scalar(select(User).where(User.expert_id == member.expert_id))
            assert account is not None and account.role == Role.JUDGE
    judges = Counter(m.event.name for m in db.session.scalars(select(PanelMember))
                     if m.role == PanelRole.JUDGE)
    assert judges["养老护理员"] == 5
    assert db.session.scalar(select(func.count(Expert.id))) > db.session.scalar(
        select(func.count(PanelMember.id)))  # a reserve is left in the pool


def test_a_judge_shares_a_work_unit_with_a_contestant(app):
    """So that recusal (回避) can be seen in the demo."""
    _seeded()
    conflicts = db.session.execute(
        select(Expert.name, Contestant.name, Event.name)
        .join(PanelMember, PanelMember.expert_id == Expert.id)
        .join(Event, Event.id == PanelMember.event_id)
        .join(Entry, Entry.event_id == Event.id)
        .join(Contestant, Contestant.id == Entry.contestant_id)
        .where(PanelMember.role == PanelRole.JUDGE, Expert.work_unit == Contestant.work_unit)
    ).all()
    assert conflicts
    assert {event for _, _, event in conflicts} == {"养老护理员"}


def test_every_demo_account_signs_in(app):
    competition = _seeded()
    usernames = [account.username for account in DEMO_ACCOUNTS]
    assert usernames[:3] == ["admin", "organizer", "chief1"]
    assert {f"judge{n}" for n in range(1, 12)} | {"chief2", "chief3"} <= set(usernames)
    for account in DEMO_ACCOUNTS:
        assert len(account.password) >= 8
        assert account.description
        user = authenticate(db.session, account.username, account.password)
        assert user is not None, account.username
        assert user.role == account.role
        if account.role == Role.JUDGE:
            assert user.expert is not None
        assert authenticate(db.session, account.username, "wrong-password") is None
    organizer = db.session.scalar(select(User).where(User.username == "organizer"))
    assert competition.organizers == [organizer]


def test_chief_accounts_chair_their_events(app):
    competition = _seeded()
    chiefs = {
        event.name: next(m.expert for m in event.panel if m.role == PanelRole.CHIEF)
        for event in competition.events
    }
    for username, event_name in [("chief1", "养老护理员"), ("chief2", "车工"),
                                 ("chief3", "茶艺师")]:
        user = db.session.scalar(select(User).where(User.username == username))
        assert user.expert_id == chiefs[event_name].id


def test_seeding_again_adds_nothing(app):
    _seeded()
    before = _row_counts()
    assert seed_demo(db.session) is False
    db.session.commit()
    assert _row_counts() == before


def test_seed_only_flushes(app):
    assert seed_demo(db.session) is True
    db.session.rollback()
    assert db.session.scalar(select(func.count(Competition.id))) == 0
    assert db.session.scalar(select(func.count(User.id))) == 0


def test_the_demo_is_the_same_every_time(app):
    _seeded()
    first = sorted(db.session.execute(
        select(Contestant.id_number, Contestant.phone, Entry.station, Entry.code)
        .join(Entry, Entry.contestant_id == Contestant.id)
    ).all())
    db.session.execute(delete(Entry))
    for model in (PanelMember, Competition, Contestant):
        db.session.execute(delete(model))
    db.session.commit()
    _seeded()
    second = sorted(db.session.execute(
        select(Contestant.id_number, Contestant.phone, Entry.station, Entry.code)
        .join(Entry, Entry.contestant_id == Contestant.id)
    ).all())
    assert first == second


@pytest.mark.parametrize(("description", "expected"), [
    ("外圆Ø38(0/-0.025)，每超差0.01扣1分", ("38", "-0.025", "0")),
    ("内孔Ø24(+0.021/0)，每超差0.01扣1分", ("24", "0", "0.021")),
    ("台阶长度40±0.05，超差按量扣分", ("40", "-0.05", "0.05")),
    ("总长116(0/-0.2)，超差不得分", ("116", "-0.2", "0")),
])
def test_parse_tolerance(description, expected):
    assert parse_tolerance(description) == tuple(Decimal(v) for v in expected)


def test_parse_tolerance_needs_a_dimension():
    with pytest.raises(ValueError, match="no dimension"):
        parse_tolerance("工件外观无夹伤、碰伤，酌情扣分")


def test_marking_schemes_are_kept_in_the_package():
    """The app never reads /work/shared at run time; the copy keeps its source note."""
    package = Path(competition.__file__).parent
    assert MARKING_SCHEMES_PATH.is_relative_to(package)
    with MARKING_SCHEMES_PATH.open(encoding="utf-8") as file:
        data = json.load(file)
    assert "茶艺师" in data["source_note"]
    schemes = load_marking_schemes()
    assert list(schemes) == ["养老护理员", "车工", "茶艺师"]
    assert schemes["茶艺师"]["occupation_code"] is None


def test_every_demo_event_passes_the_set_up_rules(app):
    from competition.events import setup

    competition = _seeded()
    assert setup.readiness_problems(db.session, competition) == []


def test_flask_demo_prints_no_password_the_admin_does_not_have(app, runner):
    from tests import builders

    builders.user("admin", username="admin")  # a real admin, made before the demo
    db.session.commit()
    output = runner.invoke(args=["demo"]).output
    assert "demo-admin-2026" not in output
    assert "admin" in output.split("another password now")[1]
    assert "demo-organizer-2026" in output
