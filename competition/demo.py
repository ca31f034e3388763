"""The demo competition: 咸宁市第七届“咸宁工匠”职业技能大赛, ready to be judged.

``seed_demo`` builds a city class-1 contest (docs/design.md section 5) with three
events — 养老护理员 (职工组 and 学生组), 车工 and 茶艺师 — their marking schemes
from ``demo_data/marking_schemes.json``, about 40 contestants with valid GB 11643
ID numbers, drawn stations and anonymous codes, an expert pool with panels, and
the accounts listed in ``DEMO_ACCOUNTS``. It stops before scoring: no score
sheets, results or certificates.

Everything random comes from one ``random.Random`` with a fixed seed, so every
run builds the same demo (entry tokens excepted: they are secrets).
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from competition.accounts.users import create_user
from competition.auth.models import Role, User
from competition.entries.idcard import FEMALE, MALE, make_id_number, parse_id_number
from competition.entries.models import (
    Attendance,
    Contestant,
    Entry,
    EntrySource,
    IdType,
    RegistrationStatus,
)
from competition.events.models import (
    AggregationMethod,
    Competition,
    CompetitionLevel,
    CompetitionStatus,
    Criterion,
    CriterionKind,
    Division,
    DivisionKind,
    EntryMode,
    Event,
    ExaminerLevel,
    Expert,
    Module,
    Occupation,
    PanelMember,
    PanelRole,
    PromotionRule,
    RuleEffect,
)
from competition.skill_grades import Grade

DEMO_COMPETITION_NAME = "咸宁市第七届“咸宁工匠”职业技能大赛"
MARKING_SCHEMES_PATH = Path(__file__).parent / "demo_data" / "marking_schemes.json"
RANDOM_SEED = 20261120

# China Standard Time has no daylight saving, so a fixed offset is exact.
CHINA_TIME = timezone(timedelta(hours=8), "CST")
COMPETITION_STARTS_ON = date(2026, 11, 20)
COMPETITION_ENDS_ON = date(2026, 11, 22)

# 国家职业分类大典 codes as the marking-scheme notes give them; 茶艺师 is unconfirmed
# there, so it stays empty rather than guessed.
OCCUPATIONS: tuple[tuple[str, str | None], ...] = (
    ("养老护理员", "4-10-01-05"),
    ("车工", "6-18-01-01"),
    ("铣工", "6-18-01-02"),
    ("茶艺师", None),
    ("育婴员", "4-10-01-02"),
    ("保育师", "4-10-01-03"),
    ("家政服务员", "4-10-01-06"),
)

# GB/T 2260 region codes of 咸宁市: 咸安区, 嘉鱼县, 通城县, 崇阳县, 通山县, 赤壁市.
XIANNING_REGIONS: dict[str, str] = {
    "咸安": "421202",
    "嘉鱼": "421221",
    "通城": "421222",
    "崇阳": "421223",
    "通山": "421224",
    "赤壁": "421281",
}


@dataclass(frozen=True)
class DemoAccount:
    """A sign-in of the demo, printed by ``flask demo`` and shown on the login page."""

    username: str
    password: str
    role: str
    description: str


@dataclass(frozen=True)
class _EventPlan:
    occupation: str
    position: int
    code_prefix: str  # anonymous codes (加密号) look like YL-384
    starts_at: datetime
    venue: str
    aggregation: str
    trim_count: int
    divisions: tuple[tuple[str, str], ...]  # (name, kind)


@dataclass(frozen=True)
class _Person:
    name: str
    sex: str
    work_unit: str
    current_grade: int | None = None


@dataclass(frozen=True)
class _ExpertPlan:
    username: str | None  # None: in the pool, on no panel and without an account
    name: str
    work_unit: str
    title: str
    examiner_level: str
    certificate_number: str
    certificate_expires_on: date
    occupations: tuple[str, ...]
    event: str | None
    panel_role: str | None


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=CHINA_TIME)


EVENT_PLANS: tuple[_EventPlan, ...] = (
    _EventPlan("养老护理员", 1, "YL-", _at(date(2026, 11, 20), 8, 30),
               "咸宁职业技术学院 护理实训中心", AggregationMethod.TRIMMED_MEAN, 1,
               (("职工组", DivisionKind.WORKER), ("学生组", DivisionKind.STUDENT))),
    _EventPlan("车工", 2, "CG-", _at(date(2026, 11, 21), 8, 0),
               "咸宁职业技术学院 机电实训中心", AggregationMethod.MEAN, 0,
               (("职工组", DivisionKind.WORKER),)),
    _EventPlan("茶艺师", 3, "CY-", _at(date(2026, 11, 22), 9, 0),
               "咸宁职业技术学院 茶艺实训室", AggregationMethod.TRIMMED_MEAN, 1,
               (("职工组", DivisionKind.WORKER),)),
)

# Contestants by (event, division). Two of the 养老护理员 workers come from the
# same 咸宁市社会福利院 as judge3, so recusal (回避) shows in the demo.
CONTESTANTS: dict[tuple[str, str], tuple[_Person, ...]] = {
    ("养老护理员", "职工组"): (
        _Person("刘秀英", FEMALE, "咸宁市社会福利院", 4),
        _Person("陈丽华", FEMALE, "咸宁市社会福利院", 3),
        _Person("王春梅", FEMALE, "咸安区康养中心", 4),
        _Person("张桂芳", FEMALE, "咸安区康养中心"),
        _Person("李红霞", FEMALE, "赤壁市社会福利院", 4),
        _Person("周小燕", FEMALE, "赤壁市蒲圻街道养老服务中心"),
        _Person("吴玉兰", FEMALE, "嘉鱼县中心敬老院", 3),
        _Person("黄美玲", FEMALE, "通城县社会福利中心", 4),
        _Person("胡晓丽", FEMALE, "崇阳县天城镇敬老院"),
        _Person("徐志强", MALE, "通山县社会福利院", 4),
        _Person("孙海燕", FEMALE, "咸宁泉都颐养中心", 3),
        _Person("朱文娟", FEMALE, "咸安区康养中心", 4),
        _Person("何建军", MALE, "赤壁市社会福利院"),
        _Person("欧阳慧敏", FEMALE, "咸宁泉都颐养中心", 4),
    ),
    ("养老护理员", "学生组"): (
        _Person("李思雨", FEMALE, "咸宁职业技术学院"),
        _Person("王梓涵", FEMALE, "咸宁职业技术学院"),
        _Person("张欣怡", FEMALE, "咸宁职业技术学院", 4),
        _Person("刘雨婷", FEMALE, "湖北科技学院"),
        _Person("陈浩然", MALE, "咸宁职业技术学院"),
        _Person("杨佳怡", FEMALE, "咸宁市职业教育（集团）学校", 4),
        _Person("赵子轩", MALE, "咸宁市职业教育（集团）学校"),
        _Person("黄诗琪", FEMALE, "湖北科技学院"),
    ),
    ("车工", "职工组"): (
        _Person("王建国", MALE, "湖北三环锻造有限公司咸宁分公司", 3),
        _Person("李卫东", MALE, "湖北三环锻造有限公司咸宁分公司", 4),
        _Person("张志刚", MALE, "咸宁市宏达机械制造有限公司", 3),
        _Person("刘伟", MALE, "赤壁市精工机械有限公司", 4),
        _Person("陈国强", MALE, "嘉鱼县恒通精密机械厂"),
        _Person("杨明", MALE, "通山县鑫源机电有限公司", 4),
        _Person("赵红兵", MALE, "咸宁市宏达机械制造有限公司"),
        _Person("周勇", MALE, "崇阳县金鼎机械有限公司", 4),
        _Person("吴俊杰", MALE, "赤壁市精工机械有限公司", 3),
        _Person("程晓敏", FEMALE, "咸宁南玻光电玻璃有限公司", 4),
    ),
    ("茶艺师", "职工组"): (
        _Person("邓雅琴", FEMALE, "咸宁市茗香茶艺馆", 4),
        _Person("罗晓雯", FEMALE, "赤壁市羊楼洞茶业股份有限公司", 3),
        _Person("方静", FEMALE, "咸宁温泉谷度假酒店"),
        _Person("谢婉婷", FEMALE, "通山县九宫山茶社", 4),
        _Person("彭丽", FEMALE, "崇阳县鹿门茶庄"),
        _Person("曾梦瑶", FEMALE, "咸宁市茗香茶艺馆", 4),
        _Person("邹逸飞", MALE, "赤壁市青砖茶文化体验馆"),
        _Person("夏颖", FEMALE, "赤壁市羊楼洞茶业股份有限公司", 4),
    ),
}

_CHIEF = PanelRole.CHIEF
_JUDGE = PanelRole.JUDGE
_SENIOR = ExaminerLevel.SENIOR_EXAMINER
_EXAMINER = ExaminerLevel.EXAMINER

# The expert pool (专家库). 考评员证 are valid three years from issue; one runs
# out in December 2026, just after the contest.
EXPERTS: tuple[_ExpertPlan, ...] = (
    _ExpertPlan("chief1", "余丽萍", "咸宁市中心医院", "主任护师", _SENIOR,
                "KP4220240153", date(2027, 6, 30), ("养老护理员", "育婴员"),
                "养老护理员", _CHIEF),
    _ExpertPlan("judge1", "田慧", "湖北职业技术学院护理学院", "副教授", _SENIOR,
                "KP4220250021", date(2028, 3, 31), ("养老护理员",), "养老护理员", _JUDGE),
    _ExpertPlan("judge2", "熊春华", "咸宁市养老服务指导中心", "高级技师", _EXAMINER,
                "KP4220240188", date(2027, 9, 30), ("养老护理员", "家政服务员"),
                "养老护理员", _JUDGE),
    _ExpertPlan("judge3", "柯美玲", "咸宁市社会福利院", "高级技师", _EXAMINER,
                "KP4220250064", date(2028, 5, 31), ("养老护理员",), "养老护理员", _JUDGE),
    _ExpertPlan("judge4", "饶建平", "赤壁市人民医院", "副主任护师", _EXAMINER,
                "KP4220240207", date(2027, 11, 30), ("养老护理员",), "养老护理员", _JUDGE),
    _ExpertPlan("judge5", "汪小红", "咸宁市第一人民医院", "主管护师", _EXAMINER,
                "KP4220250112", date(2028, 8, 31), ("养老护理员", "保育师"),
                "养老护理员", _JUDGE),
    _ExpertPlan(None, "龚晓玲", "嘉鱼县人民医院", "副主任护师", _EXAMINER,
                "KP4220250139", date(2028, 9, 30), ("养老护理员",), None, None),
    _ExpertPlan("chief2", "高国栋", "咸宁职业技术学院机电工程学院", "正高级讲师", _SENIOR,
                "KP4220240031", date(2027, 4, 30), ("车工", "铣工"), "车工", _CHIEF),
    _ExpertPlan("judge6", "聂卫星", "武汉船用机械有限责任公司", "高级技师", _EXAMINER,
                "KP4220250078", date(2028, 4, 30), ("车工",), "车工", _JUDGE),
    _ExpertPlan("judge7", "邵志华", "咸宁市产品质量监督检验所", "高级工程师", _EXAMINER,
                "KP4220240246", date(2027, 12, 31), ("车工", "铣工"), "车工", _JUDGE),
    _ExpertPlan("judge8", "钱国平", "湖北工业职业技术学院", "高级讲师", _EXAMINER,
                "KP4220250095", date(2028, 6, 30), ("车工",), "车工", _JUDGE),
    _ExpertPlan(None, "谭永红", "赤壁市中等职业技术学校", "技师", _EXAMINER,
                "KP4220250151", date(2028, 10, 31), ("车工", "铣工"), None, None),
    _ExpertPlan("chief3", "雷晓云", "咸宁市茶叶协会", "高级技师", _SENIOR,
                "KP4220240117", date(2027, 8, 31), ("茶艺师",), "茶艺师", _CHIEF),
    _ExpertPlan("judge9", "詹丽君", "赤壁市茶文化研究会", "技师", _EXAMINER,
                "KP4220250046", date(2028, 2, 29), ("茶艺师",), "茶艺师", _JUDGE),
    _ExpertPlan("judge10", "游春燕", "湖北省农业科学院果树茶叶研究所", "副研究员", _EXAMINER,
                "KP4220231205", date(2026, 12, 15), ("茶艺师",), "茶艺师", _JUDGE),
    _ExpertPlan("judge11", "尹志明", "湖北三峡职业技术学院", "高级讲师", _EXAMINER,
                "KP4220250103", date(2028, 7, 31), ("茶艺师",), "茶艺师", _JUDGE),
)


def _demo_accounts() -> tuple[DemoAccount, ...]:
    accounts = [
        DemoAccount("admin", "demo-admin-2026", Role.ADMIN, "管理员 admin"),
        DemoAccount("organizer", "demo-organizer-2026", Role.ORGANIZER,
                    "组委会赛务 organizer"),
    ]
    for plan in EXPERTS:
        if plan.username is None:
            continue
        if plan.panel_role == PanelRole.CHIEF:
            description = f"{plan.event}裁判长 chief judge: {plan.name}"
        else:
            description = f"{plan.event}裁判员 judge: {plan.name}"
        colleagues = sum(
            person.work_unit == plan.work_unit
            for (event, _division), people in CONTESTANTS.items() if event == plan.event
            for person in people
        )
        if colleagues:
            description += f"（与{colleagues}名选手同单位，须回避 recusal）"
        accounts.append(DemoAccount(plan.username, f"demo-{plan.username}-2026", Role.JUDGE,
                                    description))
    return tuple(accounts)


DEMO_ACCOUNTS: tuple[DemoAccount, ...] = _demo_accounts()
_ACCOUNT_DISPLAY_NAMES = {"admin": "系统管理员", "organizer": "大赛组委会赛务组"}

# 车工 practical module: which criteria are gauge readings and which are go/no-go
# checks (the marking-scheme notes: "each 0.01 over tolerance costs 1 point;
# threads/tapers checked by gauge, out of tolerance scores 0").
_MEASURED_CRITERIA = {("车工", "A", code) for code in ("A1", "A2", "A3", "A4")}
_PASS_FAIL_CRITERIA = {("车工", "A", code) for code in ("A5", "A6", "A7", "A8", "A9")}
_DEDUCTION_STEP = Decimal("0.01")  # mm
_DEDUCTION_POINTS = Decimal(1)

_NUMBER = r"[+-]?\d+(?:\.\d+)?"
# Drawing notation: Ø38(0/-0.025) — nominal, then upper and lower deviation.
_DEVIATIONS = re.compile(rf"(?P<nominal>\d+(?:\.\d+)?)\((?P<a>{_NUMBER})/(?P<b>{_NUMBER})\)")
# Drawing notation: 40±0.05 — a symmetric tolerance.
_SYMMETRIC = re.compile(r"(?P<nominal>\d+(?:\.\d+)?)±(?P<t>\d+(?:\.\d+)?)")


def parse_tolerance(description: str) -> tuple[Decimal, Decimal, Decimal]:
    """Nominal size, lower and upper deviation of a dimension in drawing notation.

    ``外圆Ø38(0/-0.025)`` gives (38, -0.025, 0); ``内孔Ø24(+0.021/0)`` gives
    (24, 0, 0.021); ``台阶长度40±0.05`` gives (40, -0.05, 0.05).
    """
    if match := _DEVIATIONS.search(description):
        a, b = Decimal(match["a"]), Decimal(match["b"])
        return Decimal(match["nominal"]), min(a, b), max(a, b)
    if match := _SYMMETRIC.search(description):
        tolerance = Decimal(match["t"])
        return Decimal(match["nominal"]), -tolerance, tolerance
    raise ValueError(f"no dimension with a tolerance in {description!r}")


def load_marking_schemes() -> dict[str, dict[str, Any]]:
    """The demo marking schemes by occupation name, as kept in the package."""
    with MARKING_SCHEMES_PATH.open(encoding="utf-8") as file:
        data = json.load(file)
    return {event["occupation"]: event for event in data["events"]}


def seed_demo(session: Session) -> bool:
    """Add the demo competition unless it is there already (found by its name).

    Returns True when it was added, False when nothing was added. Only flushes:
    the caller commits. Occupations, experts, contestants and accounts that
    exist already (by name, certificate number, ID number and username) are
    reused, so the demo can sit beside other data.
    """
    existing = session.scalar(
        select(Competition.id).where(Competition.name == DEMO_COMPETITION_NAME)
    )
    if existing is not None:
        return False

    rng = random.Random(RANDOM_SEED)
    occupations = _ensure_occupations(session)
    competition = _add_competition(session)
    schemes = load_marking_schemes()
    events = {
        plan.occupation: _add_event(session, competition, plan, occupations[plan.occupation],
                                    schemes[plan.occupation])
        for plan in EVENT_PLANS
    }
    session.flush()
    for plan in EVENT_PLANS:
        _add_promotion_rules(events[plan.occupation])
        _add_entries(session, rng, plan, events[plan.occupation])
    experts = _add_experts(session, rng, occupations, events)
    _add_accounts(session, competition, experts)
    session.flush()
    return True


def _ensure_occupations(session: Session) -> dict[str, Occupation]:
    found = {
        occupation.name: occupation
        for occupation in session.scalars(
            select(Occupation).where(Occupation.name.in_([name for name, _ in OCCUPATIONS]))
        )
    }
    for name, code in OCCUPATIONS:
        if name not in found:
            found[name] = Occupation(name=name, code=code)
            session.add(found[name])
    return found


def _add_competition(session: Session) -> Competition:
    """A city class-1 contest (市级一类大赛), the 7th 咸宁工匠 edition, under way."""
    competition = Competition(
        name=DEMO_COMPETITION_NAME,
        edition=7,
        level=CompetitionLevel.CITY,
        level_class=1,
        host="咸宁市人力资源和社会保障局、咸宁市总工会",
        starts_on=COMPETITION_STARTS_ON,
        ends_on=COMPETITION_ENDS_ON,
        venue="咸宁职业技术学院",
        status=CompetitionStatus.RUNNING,
        # Certificate number parts (docs/design.md section 5): S = social evaluator,
        # 42 = Hubei.
        evaluator_type="S",
        evaluator_code="0421",
        province_code="42",
        site_sequence="120001",
        certificate_issuer="咸宁市职业技能鉴定指导中心",
    )
    session.add(competition)
    return competition


def _add_event(session: Session, competition: Competition, plan: _EventPlan,
               occupation: Occupation, scheme: dict[str, Any]) -> Event:
    event = Event(
        competition=competition,
        occupation=occupation,
        name=plan.occupation,
        position=plan.position,
        starts_at=plan.starts_at,
        venue=plan.venue,
        # Winners reach 三级/高级工 (students) or 二级/技师 (workers); 1 is highest.
        grade_min=Grade.SENIOR_WORKER,
        grade_max=Grade.TECHNICIAN,
        aggregation=plan.aggregation,
        trim_count=plan.trim_count,
        title_name="咸宁市技术能手",
        title_top_n=3,
        appeal_window_hours=2,
        notice_days=5,
    )
    session.add(event)
    for position, (name, kind) in enumerate(plan.divisions, start=1):
        event.divisions.append(Division(name=name, kind=kind, position=position))
    for position, module_data in enumerate(scheme["modules"], start=1):
        module = Module(
            code=module_data["code"],
            name=module_data["name"],
            kind=module_data["kind"],
            weight=Decimal(str(module_data["weight"])),
            max_score=Decimal(str(module_data["max"])),
            position=position,
        )
        event.modules.append(module)
        for criterion_position, criterion_data in enumerate(module_data["criteria"], start=1):
            module.criteria.append(
                _criterion(plan.occupation, module.code, criterion_data, criterion_position)
            )
    return event


def _criterion(occupation: str, module_code: str, data: dict[str, Any],
               position: int) -> Criterion:
    """One line of the marking scheme, with the entry mode its kind calls for.

    Judgement and most measurement criteria are entered as points. The 车工
    dimensions are gauge readings: 1 point per 0.01 mm out of tolerance, and 0
    once out by more than the deduction limit, set where one point would still
    be left ((max − 1) steps; docs/design.md section 5, measured-value criteria).
    Its gauge checks (超差不得分, 通止规, 样板, 涂色) are all or nothing.
    """
    criterion = Criterion(
        code=data["code"],
        description=data["description"],
        max_points=Decimal(str(data["max"])),
        kind=data["kind"],
        entry_mode=EntryMode.POINTS,
        position=position,
    )
    key = (occupation, module_code, data["code"])
    if key in _MEASURED_CRITERIA:
        if data["kind"] != CriterionKind.MEASUREMENT:
            raise ValueError(f"{key} is measured, so its kind must be measurement")
        nominal, lower, upper = parse_tolerance(data["description"])
        criterion.entry_mode = EntryMode.MEASURED
        criterion.unit = "mm"
        criterion.nominal = nominal
        criterion.tolerance_lower = lower
        criterion.tolerance_upper = upper
        criterion.deduction_step = _DEDUCTION_STEP
        criterion.deduction_points = _DEDUCTION_POINTS
        criterion.deduction_limit = (criterion.max_points - 1) * _DEDUCTION_STEP
    elif key in _PASS_FAIL_CRITERIA:
        criterion.entry_mode = EntryMode.PASS_FAIL
    return criterion


def _add_promotion_rules(event: Event) -> None:
    """The city class-1 preset (docs/design.md section 5, the Tianjin example): the top
    10 of 职工组 are granted 二级/技师 and the top 10 of 学生组 三级/高级工, each
    module at least 60 of 100, once a year through competitions, never above 技师."""
    for position, division in enumerate(event.divisions, start=1):
        if division.kind == DivisionKind.STUDENT:
            grant, label = Grade.SENIOR_WORKER, "三级/高级工"
        else:
            grant, label = Grade.TECHNICIAN, "二级/技师"
        event.promotion_rules.append(PromotionRule(
            division_id=division.id,
            position=position,
            name=f"{division.name}前10名，理论与实操均不低于60分，晋升{label}",
            preset="city_class1",
            rank_from=1,
            rank_to=10,
            min_theory_score=Decimal(60),
            min_practical_score=Decimal(60),
            once_per_year=True,
            effect=RuleEffect.GRANT,
            grant_grade=grant,
            cap_grade=Grade.TECHNICIAN,
        ))


def _add_entries(session: Session, rng: random.Random, plan: _EventPlan, event: Event) -> None:
    """Register the event's contestants, imported and approved, with stations and
    anonymous codes drawn by lot: stations a permutation of 1..n, codes three
    distinct digits after the event's prefix."""
    people = [
        (division, person)
        for division in event.divisions
        for person in CONTESTANTS[(plan.occupation, division.name)]
    ]
    stations = rng.sample(range(1, len(people) + 1), len(people))
    codes = rng.sample(range(100, 1000), len(people))
    for sequence, ((division, person), station, code) in enumerate(
        zip(people, stations, codes, strict=True), start=1
    ):
        student = division.kind == DivisionKind.STUDENT
        contestant = _contestant(session, rng, person, event.competition_id,
                                 student=student)
        session.add(Entry(
            event=event,
            division_id=division.id,
            contestant=contestant,
            status=RegistrationStatus.APPROVED,
            attendance=Attendance.EXPECTED,
            source=EntrySource.IMPORT,
            ticket_number=f"XN2026{plan.position}{sequence:03d}",
            station=station,
            code=f"{plan.code_prefix}{code}",
        ))


def _contestant(session: Session, rng: random.Random, person: _Person,
                competition_id: int, *, student: bool) -> Contestant:
    """The person as a contestant of the competition, found by ID number or added.

    Students are 18 to 22 on the first day of the contest; workers 26 to 54.
    Birth date and sex are read back from the ID number, so they always agree.
    """
    if student:
        earliest = _years_before(COMPETITION_STARTS_ON, 23) + timedelta(days=1)
        latest = _years_before(COMPETITION_STARTS_ON, 18)
    else:
        earliest, latest = date(1972, 1, 1), date(1999, 12, 31)
    birth = date.fromordinal(rng.randint(earliest.toordinal(), latest.toordinal()))
    # GB 11643-1999 顺序码: the last digit is odd for men, even for women.
    last_digit = rng.choice((1, 3, 5, 7, 9) if person.sex == MALE else (0, 2, 4, 6, 8))
    sequence = rng.randrange(100) * 10 + last_digit
    region = _region(rng, person.work_unit)
    info = parse_id_number(make_id_number(region, birth, sequence, person.sex))
    phone = _phone(rng)
    certificate_no = (_certificate_number(rng, person.current_grade)
                      if person.current_grade is not None else "")

    contestant = session.scalar(select(Contestant).where(
        Contestant.competition_id == competition_id,
        Contestant.id_type == IdType.RESIDENT_ID, Contestant.id_number == info.number
    ))
    if contestant is None:
        contestant = Contestant(
            competition_id=competition_id,
            name=person.name,
            id_type=IdType.RESIDENT_ID,
            id_number=info.number,
            sex=info.sex,
            birth_date=info.birth_date,
            phone=phone,
            work_unit=person.work_unit,
            current_grade=person.current_grade,
            current_certificate_no=certificate_no,
        )
        session.add(contestant)
    return contestant


def _phone(rng: random.Random) -> str:
    """An 11-digit mainland mobile number with a 13x, 15x or 18x prefix."""
    prefix = rng.choice(("130", "133", "135", "137", "138", "139", "150", "151", "153",
                         "158", "159", "180", "186", "187", "189"))
    return f"{prefix}{rng.randrange(10**8):08d}"


def _region(rng: random.Random, work_unit: str) -> str:
    """The county of the work unit when it names one, else any county of 咸宁市."""
    for county, code in XIANNING_REGIONS.items():
        if county in work_unit:
            return code
    return rng.choice(list(XIANNING_REGIONS.values()))


def _certificate_number(rng: random.Random, grade: int) -> str:
    """An earlier skill-grade certificate number in the 22-character form of
    docs/design.md section 5: type letter, evaluator code, province 42, site sequence,
    two-digit year, grade, six-digit serial."""
    evaluator = rng.choice(("0421", "0386", "1102"))
    site = rng.choice(("120001", "120003", "110002"))
    year = rng.randint(19, 24)
    return f"S{evaluator}42{site}{year:02d}{grade}{rng.randrange(1, 10**6):06d}"


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _add_experts(session: Session, rng: random.Random, occupations: dict[str, Occupation],
                 events: dict[str, Event]) -> dict[str, Expert]:
    """The expert pool and the panels: per event one chief judge and its judges.

    Returns the experts who get an account, by username.
    """
    with_accounts: dict[str, Expert] = {}
    for plan in EXPERTS:
        phone = _phone(rng)
        expert = session.scalar(
            select(Expert).where(Expert.certificate_number == plan.certificate_number)
        )
        if expert is None:
            expert = Expert(
                name=plan.name,
                work_unit=plan.work_unit,
                title=plan.title,
                phone=phone,
                examiner_level=plan.examiner_level,
                certificate_number=plan.certificate_number,
                certificate_expires_on=plan.certificate_expires_on,
                occupations=[occupations[name] for name in plan.occupations],
            )
            session.add(expert)
        if plan.event is not None and plan.panel_role is not None:
            session.add(PanelMember(event=events[plan.event], expert=expert,
                                    role=plan.panel_role))
        if plan.username is not None:
            with_accounts[plan.username] = expert
    session.flush()
    return with_accounts


def _add_accounts(session: Session, competition: Competition,
                  experts: dict[str, Expert]) -> None:
    """The demo accounts, unless the usernames are taken; the organizer runs the
    demo competition, and each judge's account is tied to their expert record."""
    for account in DEMO_ACCOUNTS:
        user = session.scalar(
            select(User).where(func.lower(User.username) == account.username.lower())
        )
        if user is None:
            expert = experts.get(account.username)
            expert_id = None
            if expert is not None and session.scalar(
                select(User.id).where(User.expert_id == expert.id)
            ) is None:
                expert_id = expert.id
            user = create_user(
                session,
                username=account.username,
                password=account.password,
                role=account.role,
                display_name=expert.name if expert is not None
                else _ACCOUNT_DISPLAY_NAMES[account.username],
                expert_id=expert_id,
            )
        if account.role == Role.ORGANIZER:
            competition.organizers.append(user)
