"""Builders for test data, in one place. Each flushes and returns the new row, unless it
says otherwise: some build a whole scene (and commit), ``tea_competition`` a small scored
competition that the fixtures of conftest.py build once and restore for each test."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from competition.accounts.users import create_user
from competition.auth.models import User  # noqa: F401 (tests use builders.User)
from competition.entries.idcard import FEMALE, MALE, make_id_number
from competition.entries.models import (
    Attendance,
    Contestant,
    Entry,
    EntrySource,
    IdType,
    RegistrationStatus,
)
from competition.events.models import (
    Competition,
    CompetitionOrganizer,
    CompetitionStatus,
    Criterion,
    Division,
    Event,
    Expert,
    Module,
    Occupation,
    PanelMember,
    PanelRole,
    PromotionRule,
    RuleEffect,
)
from competition.extensions import db
from competition.grades.models import Certificate, Promotion
from competition.judging.models import ExternalScore
from competition.skill_grades import Grade

PASSWORD = "correct-horse-42"
_counter = itertools.count(1)


def user(role: str = "organizer", username: str | None = None, **kwargs) -> User:
    username = username or f"{role}{next(_counter)}"
    return create_user(db.session, username=username, password=PASSWORD, role=role,
                       display_name=kwargs.pop("display_name", username.title()), **kwargs)


def occupation(name: str = "养老护理员", code: str | None = "4-10-01-05") -> Occupation:
    found = db.session.scalar(select(Occupation).where(Occupation.name == name))
    if found:
        return found
    row = Occupation(name=name, code=code)
    db.session.add(row)
    db.session.flush()
    return row


def competition(name: str | None = None, organizers: tuple[User, ...] = (),
                **kwargs) -> Competition:
    row = Competition(
        name=name or f"测试大赛{next(_counter)}", level=kwargs.pop("level", "city"),
        starts_on=kwargs.pop("starts_on", date(2026, 11, 20)),
        ends_on=kwargs.pop("ends_on", date(2026, 11, 22)),
        host=kwargs.pop("host", "咸宁市人力资源和社会保障局"), **kwargs,
    )
    db.session.add(row)
    db.session.flush()
    for organizer in organizers:
        db.session.add(CompetitionOrganizer(competition_id=row.id, user_id=organizer.id))
    db.session.flush()
    return row


def event(competition_row: Competition, name: str = "养老护理员",
          divisions: tuple[str, ...] = ("职工组",), **kwargs) -> Event:
    row = Event(competition=competition_row, name=name,
                occupation=kwargs.pop("occupation", None) or occupation(), **kwargs)
    db.session.add(row)
    db.session.flush()
    for position, division_name in enumerate(divisions):
        kind = "student" if "学生" in division_name else "worker"
        db.session.add(Division(event_id=row.id, name=division_name, kind=kind,
                                position=position))
    db.session.flush()
    return row


def module(event_row: Event, code: str = "A", weight: int = 80, kind: str = "practical",
           criteria: tuple[tuple[str, int, str], ...] = (("A1", 10, "judgement"),),
           name: str | None = None) -> Module:
    row = Module(event=event_row, code=code, name=name or f"模块{code}", kind=kind,
                 weight=Decimal(weight), position=len(event_row.modules))
    db.session.add(row)
    db.session.flush()
    for position, (criterion_code, maximum, criterion_kind) in enumerate(criteria):
        db.session.add(Criterion(module=row, code=criterion_code, description=criterion_code,
                                 max_points=Decimal(maximum), kind=criterion_kind,
                                 position=position))
    db.session.flush()
    return row


# --- The demo -----------------------------------------------------------------------------

def demo_seeded() -> None:
    """The demo competition as ``flask demo`` seeds it, before any scoring."""
    from competition.demo import seed_demo

    seed_demo(db.session)
    db.session.flush()


def demo_staged() -> None:
    """The demo taken through its stages (``seed_demo`` + ``advance_demo``); commits."""
    from competition.demo import seed_demo
    from competition.demo_stages import advance_demo

    seed_demo(db.session)
    db.session.commit()
    advance_demo(db.session)
    db.session.commit()


# --- Events with entries registered through the registration service -------------------

_serial = itertools.count(1)


def entry(event_row: Event, name: str | None = None, division: int = 0, work_unit: str = "",
          **kwargs) -> Entry:
    """An entry registered through the registration service, with a valid ID number;
    ``kwargs`` are set on the entry afterwards (status, attendance …)."""
    from competition.entries import registrations as registration
    from competition.entries.validation import PersonData

    number = next(_serial)
    person = PersonData(name=name or f"选手{number}", work_unit=work_unit,
                        id_number=make_id_number("421202", date(1980, 1, 1 + number % 28),
                                                 (number * 2 + 1) % 1000, "M"))
    row = registration.register(db.session, event_row, event_row.divisions[division], person,
                                today=date(2026, 5, 1))
    for key, value in kwargs.items():
        setattr(row, key, value)
    db.session.flush()
    return row


def setup_event(organizer: User | None = None, divisions: tuple[str, ...] = ("职工组",),
                entries: tuple[int, ...] = (3,)) -> tuple[User, Event]:
    """An event of a competition with ``entries[i]`` approved entries in division i;
    commits."""
    organizer = organizer or user("organizer")
    contest = competition("咸宁市第七届“咸宁工匠”职业技能大赛", organizers=(organizer,))
    row = event(contest, "养老护理员", divisions=divisions)
    for index, count in enumerate(entries):
        for _ in range(count):
            entry(row, division=index)
    db.session.commit()
    return organizer, row


def entries_of(event_row: Event) -> list[Entry]:
    """The event's entries in the order they were added."""
    return list(db.session.scalars(select(Entry).where(Entry.event_id == event_row.id)
                                   .order_by(Entry.id)))


def half_prepared_competition(organizer: User):
    """A competition in registration whose set-up is half done: its contest starts next
    week, 车工's practical module B has no criteria and module A's criteria add up to
    90 of 100, the panel has no chief judge, one judge has no account and the other's
    certificate runs out before the contest ends, and one entry has no station; commits.
    Returns the competition, the event, the two judges' experts and the entry."""
    from competition.timeutil import local_today

    today = local_today()
    contest = competition(
        organizers=(organizer,), starts_on=today + timedelta(days=7),
        ends_on=today + timedelta(days=8), status=CompetitionStatus.REGISTRATION)
    lathe = event(contest, "车工", occupation=occupation("车工", "6-18-01-01"))
    module(lathe, "T", weight=20, kind="theory", criteria=())
    module(lathe, "A", weight=50, criteria=(("A1", 60, "measurement"),
                                            ("A2", 30, "judgement")))
    module(lathe, "B", weight=30, criteria=())
    judges = []
    for n, (name, expires) in enumerate((("聂卫星", today + timedelta(days=900)),
                                         ("邵志华", today + timedelta(days=7)))):
        person = Expert(name=name, work_unit=f"单位{n}", certificate_expires_on=expires)
        db.session.add(person)
        db.session.flush()
        db.session.add(PanelMember(event_id=lathe.id, expert_id=person.id, role="judge"))
        judges.append(person)
    user("judge", username="niewx", expert_id=judges[0].id, competition_id=contest.id)
    contestant = Contestant(competition_id=contest.id, name="王建国",
                            id_number="420000199001010011", sex="M",
                            birth_date=date(1990, 1, 1))
    db.session.add(contestant)
    db.session.flush()
    row = Entry(event_id=lathe.id, division_id=lathe.divisions[0].id,
                contestant_id=contestant.id)
    db.session.add(row)
    db.session.commit()
    return contest, lathe, judges, row


# --- Promotions and certificates ----------------------------------------------------------

ISSUED = date(2026, 12, 1)  # the day certificates of ``issued`` are issued


def promote(row: Entry, to_grade: int = 3, from_grade: int | None = None,
            year: int = 2026) -> Promotion:
    """A decided promotion, as the promotion engine records it."""
    promotion = Promotion(entry_id=row.id, contestant_id=row.contestant_id, year=year,
                          from_grade=from_grade, to_grade=to_grade,
                          rule_text="第1–5名：三级/高级工")
    db.session.add(promotion)
    db.session.flush()
    return promotion


def certified_event(count: int = 3, organizer: User | None = None, **settings):
    """An event whose ``count`` entries are each promoted to grade 3, the competition
    numbered S 4201 42 000123 and issued by 咸宁市人力资源和社会保障局; commits.
    Returns the organizer, the event and the promotions."""
    organizer, row = setup_event(organizer, entries=(count,))
    contest = row.competition
    contest.evaluator_type = settings.pop("evaluator_type", "S")
    contest.evaluator_code = settings.pop("evaluator_code", "4201")
    contest.province_code = settings.pop("province_code", "42")
    contest.site_sequence = settings.pop("site_sequence", "000123")
    contest.certificate_issuer = settings.pop("issuer", "咸宁市人力资源和社会保障局")
    contest.host = settings.pop("host", contest.host)
    promotions = [promote(entry_row) for entry_row in entries_of(row)]
    db.session.commit()
    return organizer, row, promotions


def issued(count: int = 1, organizer: User | None = None):
    """``certified_event`` with a certificate issued on ``ISSUED`` for each promotion;
    commits. Returns the organizer, the event and the certificates by serial."""
    from competition.grades.certificates import issue_certificate

    organizer, row, promotions = certified_event(count, organizer=organizer)
    for promotion in promotions:
        issue_certificate(db.session, promotion, issued_on=ISSUED, actor=organizer)
    db.session.commit()
    rows = list(db.session.scalars(select(Certificate).order_by(Certificate.serial)))
    return organizer, row, rows


# --- Awards decided by one imported exam ---------------------------------------------------

@dataclass
class Scene:
    """An event whose results are decided by one imported exam (``tied_scene``)."""

    event: Event
    division: Division
    organizer: User
    chief: User
    entries: list[Entry]  # by position
    exam_id: int

    def set_scores(self, *scores) -> None:
        for entry_row, score in zip(self.entries, scores, strict=True):
            db.session.execute(ExternalScore.__table__.update().where(
                ExternalScore.entry_id == entry_row.id).values(score=Decimal(score)))
        db.session.commit()


# Ten entries; 2–5 tied at 90: four would share the second prize.
TIED = (95, 90, 90, 90, 90, 85, 80, 75, 70, 65)


def tied_scene(**settings) -> Scene:
    """An event (电工, ``settings`` on it) of one division whose single module is an
    imported exam, with a chief judge and ten entries scored ``TIED``, its scores locked
    an hour ago; commits."""
    from competition.dbtypes import utcnow

    organizer = user("organizer")
    contest = competition(organizers=(organizer,))
    row = event(contest, name="电工", **settings)
    exam = module(row, code="T", weight=100, kind="theory", criteria=())
    db.session.refresh(row)
    division = row.divisions[0]
    person = Expert(name="裁判长甲", work_unit="咸宁职业技术学院")
    db.session.add(person)
    db.session.flush()
    db.session.add(PanelMember(event_id=row.id, expert_id=person.id, role="chief"))
    chief = user("judge", expert_id=person.id)
    entries = []
    for number, score in enumerate(TIED, start=1):
        contestant = Contestant(competition_id=contest.id, name=f"选手{number}",
                                id_type=IdType.OTHER, id_number=f"P{number:07d}", sex="M",
                                birth_date=date(1990, 1, number))
        entry_row = Entry(event=row, division_id=division.id, contestant=contestant,
                          code=f"DG-{100 + number}", station=number)
        db.session.add(entry_row)
        db.session.flush()
        db.session.add(ExternalScore(entry_id=entry_row.id, module_id=exam.id,
                                     score=Decimal(score)))
        entries.append(entry_row)
    row.scores_locked_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    return Scene(row, division, organizer, chief, entries, exam.id)


# --- Experts, panels, contestants and marks ----------------------------------------------

def expert(name: str, work_unit: str = "咸宁市中心医院", *, expires_in: int | None = 800,
           occupations=None, phone: str = "13812345678", **kwargs) -> Expert:
    """An expert of the pool whose examiner certificate expires ``expires_in`` days from
    today (None: no certificate), for ``occupations`` (default: 养老护理员)."""
    row = Expert(
        name=name, work_unit=work_unit, phone=phone,
        certificate_number=None if expires_in is None else f"KP{next(_counter):06d}",
        certificate_expires_on=None if expires_in is None
        else date.today() + timedelta(days=expires_in),
        occupations=list(occupations if occupations is not None else [occupation()]),
        **kwargs,
    )
    db.session.add(row)
    db.session.flush()
    return row


def event_ending_in(organizer_name: str = "org", *, ends_in: int = 30) -> tuple[User, Event]:
    """An event (养老护理员) of a competition that ends ``ends_in`` days from today, and its
    organizer ``organizer_name``."""
    organizer = user("organizer", username=organizer_name)
    contest = competition(
        "咸宁市第七届职业技能大赛", organizers=(organizer,),
        starts_on=date.today() + timedelta(days=ends_in - 2),
        ends_on=date.today() + timedelta(days=ends_in))
    return organizer, event(contest, "养老护理员")


def panel_member(event_row: Event, username: str, name: str, role: str = PanelRole.JUDGE,
                 work_unit: str = "咸宁市茶叶协会") -> User:
    """An expert on the event's panel as ``role`` (chief or judge), with a judge's account
    ``username`` tied to the expert."""
    person = expert(name, work_unit, occupations=(event_row.occupation,), title="高级技师")
    db.session.add(PanelMember(event_id=event_row.id, expert_id=person.id, role=role))
    account = user("judge", username=username, display_name=name, expert_id=person.id)
    db.session.flush()
    return account


def placed_entry(event_row: Event, name: str, *, division: int = 0, sex: str = FEMALE,
                 birth_date: date = date(1990, 3, 15), work_unit: str = "", phone: str = "",
                 current_grade: int | None = None, station: int | None = None,
                 code: str | None = None, ticket_number: str | None = None,
                 **kwargs) -> Entry:
    """An approved entry of a new contestant with a valid ID number (region 421202),
    placed at ``station`` with the anonymous ``code`` when given."""
    number = next(_counter)
    sequence = (number * 2) % 1000 + (1 if sex == MALE else 0)
    contestant = Contestant(
        competition_id=event_row.competition_id, name=name, id_type=IdType.RESIDENT_ID,
        id_number=make_id_number("421202", birth_date, sequence, sex), sex=sex,
        birth_date=birth_date, phone=phone, work_unit=work_unit,
        current_grade=current_grade,
        current_certificate_no=f"S0421421200012{current_grade}{number:06d}"
        if current_grade else "")
    row = Entry(event=event_row, division_id=event_row.divisions[division].id,
                contestant=contestant, status=RegistrationStatus.APPROVED,
                attendance=kwargs.pop("attendance", Attendance.EXPECTED),
                source=kwargs.pop("source", EntrySource.IMPORT), station=station, code=code,
                ticket_number=ticket_number, **kwargs)
    db.session.add(row)
    db.session.flush()
    return row


def theory_scores(event_row: Event, scores: dict[int, Decimal] | Decimal) -> None:
    """Scores of the modules marked outside the sheets (the theory exam), as imported:
    ``scores`` by entry ID, or one score for every entry being scored."""
    from competition.judging import scoring as judging

    for module_row in event_row.modules:
        if module_row.criteria:
            continue
        for entry_row in judging.scoreable_entries(db.session, event_row.id):
            score = scores if isinstance(scores, Decimal) else scores[entry_row.id]
            db.session.add(ExternalScore(entry_id=entry_row.id, module_id=module_row.id,
                                         score=Decimal(score)))
    db.session.flush()


def submitted_sheets(event_row: Event, judge: User,
                     marks: Callable[[Entry, Criterion], Decimal]) -> None:
    """The judge scores every entry offered to them on every module of sheets, through
    the judging service, and submits: ``marks(entry, criterion)`` gives each mark."""
    from competition.judging import scoring as judging
    from competition.judging.scoring import MarkChange

    assignment = next(a for a in judging.assignments(db.session, judge)
                      if a.event.id == event_row.id)
    for module_row in judging.scored_modules(event_row):
        for entry_row in assignment.entries:
            sheet = judging.open_sheet(db.session, judge, entry_row, module_row)
            judging.save_marks(db.session, judge, sheet, [
                MarkChange(c.id, marks(entry_row, c)) for c in module_row.criteria])
            judging.submit_sheet(db.session, judge, sheet)


# --- A small scored competition ------------------------------------------------------------
#
# One competition run by "organizer" (beside an "admin"): the event 茶艺师 (one division,
# 职工组) with six contestants scored by a chief judge and three judges, and a second event,
# 车工, with three contestants and a panel of its own (a chief judge and two judges), not
# scored yet. Every account signs in with PASSWORD.

ADMIN = "admin"
ORGANIZER = "organizer"
CHIEF = "chief"  # chief judge of 茶艺师
JUDGES = ("judge_a", "judge_b", "judge_c")  # the judges of 茶艺师
OTHER_CHIEF = "other_chief"  # chief judge of 车工, the other event
OTHER_JUDGES = ("other_judge", "other_judge_2")  # the judges of 车工
OTHER_JUDGE = OTHER_JUDGES[0]
TEA_TITLE = "咸宁市技术能手"  # the title of the top 3 of 茶艺师
TEA_THEORY = Decimal(80)  # every contestant's theory exam score

# 茶艺师's contestants by station: name, sex, work unit, grade held (declared, not
# checked), and what the middle judge gives in modules A and B (of 100). The other two
# judges give 1 point more and 1 less on each judged criterion, so the trimmed mean is
# the middle judge's mark. Station order is rank order: 1 has no grade and wins; 2 holds
# 四级/中级工; 3 scores under 60 in A but 61.50 in the practical modules weighted
# together; 4 to 6 stay under 60 there.
TEA_CONTESTANTS = (
    ("林雅琴", FEMALE, "咸宁温泉谷度假酒店", None, 95, 95),
    ("郑晓雯", FEMALE, "咸宁市茗香茶艺馆", 4, 85, 86),
    ("唐婉婷", FEMALE, "通山县九宫山茶社", 4, 58, 66),
    ("孔丽", FEMALE, "崇阳县鹿门茶庄", None, 55, 50),
    ("梁逸飞", MALE, "赤壁市青砖茶文化体验馆", None, 45, 45),
    ("彭嘉怡", FEMALE, "赤壁市羊楼洞茶业股份有限公司", 3, 40, 35),
)
TEA_JUDGES = (("詹丽君", "赤壁市茶文化研究会"), ("游春燕", "湖北省农业科学院果树茶叶研究所"),
              ("尹志明", "湖北三峡职业技术学院"))  # name and work unit, as JUDGES
TEA_JUDGE_NAMES = tuple(name for name, _ in TEA_JUDGES)
# Module A's criteria share its mark 40:30:30 (A3 a measurement all judges read alike),
# module B's 60:40.
_TEA_MODULES = (("A", "规定茶艺", 45, (("A1", 40, "judgement"), ("A2", 30, "judgement"),
                                      ("A3", 30, "measurement"))),
                ("B", "自创茶艺", 35, (("B1", 60, "judgement"), ("B2", 40, "judgement"))))


def _tea_mark(module_mark: int, criterion: Criterion, criteria: list[Criterion],
              offset: int) -> Decimal:
    """A criterion's share of ``module_mark`` (the middle judge's), moved by ``offset``
    for a judged criterion and kept within 0 … its maximum."""
    first, second, *_ = criteria
    shares = {first.id: round(module_mark * first.max_points / 100)}
    if len(criteria) == 3:
        shares[second.id] = round(module_mark * second.max_points / 100)
        shares[criteria[2].id] = module_mark - shares[first.id] - shares[second.id]
    else:
        shares[second.id] = module_mark - shares[first.id]
    value = shares[criterion.id] + (offset if criterion.kind == "judgement" else 0)
    return Decimal(max(0, min(int(criterion.max_points), value)))


def tea_competition(stage: str = "locked") -> dict[str, int]:
    """The small scored competition at ``stage``: "scored" (every sheet submitted and
    the theory scores imported), "locked" (the chief judge locked the scores), "notice"
    (just published for public notice: appeals may be filed), "published" (on public
    notice since ten days ago: the appeal window is closed and the notice period over)
    or "final" (promotions decided, certificates issued).
    Returns the IDs: competition, event (茶艺师), other_event (车工). Only flushes."""
    from competition.dbtypes import utcnow
    from competition.judging import scoring as judging
    from competition.results import publishing

    if stage not in ("scored", "locked", "notice", "published", "final"):
        raise ValueError(f"unknown stage {stage!r}")
    user("admin", username=ADMIN, display_name="系统管理员")
    organizer = user("organizer", username=ORGANIZER, display_name="大赛组委会赛务组")
    contest = competition(
        "咸宁市第八届职业技能大赛", organizers=(organizer,), edition=8, level_class=1,
        host="咸宁市人力资源和社会保障局、咸宁市总工会", venue="咸宁职业技术学院",
        status=CompetitionStatus.RUNNING, evaluator_code="0421", site_sequence="120001",
        certificate_issuer="咸宁市职业技能鉴定指导中心")
    tea = event(contest, "茶艺师", occupation=occupation("茶艺师", None), position=1,
                starts_at=datetime(2026, 11, 22, 1, 0, tzinfo=UTC), venue="茶艺实训室",
                aggregation="trimmed_mean", trim_count=1, grade_min=Grade.SENIOR_WORKER,
                grade_max=Grade.TECHNICIAN, title_name=TEA_TITLE, title_top_n=3,
                appeal_window_hours=2, notice_days=5)
    module(tea, "T", 20, "theory", criteria=(), name="理论知识")
    for code, name, weight, criteria in _TEA_MODULES:
        module(tea, code, weight, criteria=criteria, name=name)
    db.session.add(PromotionRule(
        event_id=tea.id, division_id=tea.divisions[0].id, position=1, preset="city_class1",
        name="职工组前10名，理论与实操均不低于60分，晋升二级/技师", rank_from=1, rank_to=10,
        min_theory_score=Decimal(60), min_practical_score=Decimal(60), once_per_year=True,
        effect=RuleEffect.GRANT, grant_grade=Grade.TECHNICIAN, cap_grade=Grade.TECHNICIAN))
    planned = {}
    for station, (name, sex, unit, grade, a, b) in enumerate(TEA_CONTESTANTS, start=1):
        row = placed_entry(tea, name, sex=sex, work_unit=unit, current_grade=grade,
                           phone=f"1390715{station:04d}", station=station,
                           code=f"CY-{100 + station}", ticket_number=f"XN20263{station:03d}")
        planned[row.id] = {"A": a, "B": b}
    panel_member(tea, CHIEF, "雷晓云", PanelRole.CHIEF)
    judges = [panel_member(tea, username, name, work_unit=unit)
              for username, (name, unit) in zip(JUDGES, TEA_JUDGES, strict=True)]

    lathe = event(contest, "车工", occupation=occupation("车工", "6-18-01-01"), position=2)
    module(lathe, "T", 30, "theory", criteria=(), name="理论知识")
    module(lathe, "A", 70, criteria=(("A1", 50, "judgement"), ("A2", 50, "judgement")),
           name="实际操作")
    for station, name in enumerate(("王建国", "李卫东", "张志刚"), start=1):
        placed_entry(lathe, name, sex=MALE, work_unit="咸宁市宏达机械制造有限公司",
                     station=station, code=f"CG-{100 + station}",
                     ticket_number=f"XN20262{station:03d}")
    panel_member(lathe, OTHER_CHIEF, "高国栋", PanelRole.CHIEF, work_unit="咸宁职业技术学院")
    panel_member(lathe, OTHER_JUDGES[0], "聂卫星", work_unit="武汉船用机械有限责任公司")
    panel_member(lathe, OTHER_JUDGES[1], "邵志华", work_unit="咸宁市产品质量监督检验所")

    ids = {"competition": contest.id, "event": tea.id, "other_event": lathe.id}
    theory_scores(tea, TEA_THEORY)
    for offset, judge in zip((1, 0, -1), judges, strict=True):
        submitted_sheets(tea, judge, lambda row, criterion, offset=offset: _tea_mark(
            planned[row.id][criterion.module.code], criterion, criterion.module.criteria,
            offset))
    if stage == "scored":
        return ids
    judging.lock_event(db.session, db.session.scalar(select(User).where(
        User.username == CHIEF)), tea)
    if stage == "locked":
        return ids
    publishing.publish(db.session, organizer, tea.divisions[0],
                        now=utcnow() - timedelta(days=0 if stage == "notice" else 10))
    if stage == "final":
        publishing.finalize(db.session, organizer, tea.divisions[0])
    db.session.flush()
    return ids
