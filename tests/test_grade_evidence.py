"""Promotions a bureau can defend: the practical score as the rules write it, grades
with their evidence, the contest year, and reasons kept with every decision.

Each world is one division of the national class-1 preset (workers ranked 1–5 are
granted 二级/技师, holders of 技师 go up to 一级/高级技师; theory and practical
scores at least 60), scored outside the sheets: theory 20%, and three practical
modules weighted 20, 20 and 40.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from html import unescape

import pytest
from sqlalchemy import func, select

from competition.auth.models import User
from competition.dbtypes import utcnow
from competition.entries.models import Contestant, Entry, IdType
from competition.events.models import Competition, Division, Event
from competition.events.promotion_rules import apply_preset
from competition.extensions import db
from competition.grades import held, promotions
from competition.grades import rules as engine
from competition.grades.models import Certificate, GradeCheck, Promotion, PromotionOutcome
from competition.grades.promotions import PromotionError
from competition.judging.models import ExternalScore
from competition.results import publishing
from tests import builders

TECHNICIAN, SENIOR_TECHNICIAN, SENIOR_WORKER = 2, 1, 3


@dataclass
class World:
    competition: Competition
    event: Event
    division: Division
    organizer: User
    entries: dict[str, Entry]


def _world(people: list[tuple], *, starts_on: date = date(2026, 11, 20),
           organizer: User | None = None, name: str | None = None,
           publish_days_ago: int = 10) -> World:
    """``people``: (name, id number, declared grade, certificate number, theory,
    practical scores ×3), in rank order."""
    organizer = organizer or builders.user("organizer")
    competition = builders.competition(name=name, organizers=(organizer,),
                                       starts_on=starts_on,
                                       ends_on=starts_on + timedelta(days=1))
    event = builders.event(competition, name="电工", occupation=builders.occupation(
        "电工", "6-31-01-03"))
    modules = [builders.module(event, code="T", weight=20, kind="theory", criteria=()),
               builders.module(event, code="A", weight=20, criteria=()),
               builders.module(event, code="B", weight=20, criteria=()),
               builders.module(event, code="C", weight=40, criteria=())]
    db.session.refresh(event)
    division = event.divisions[0]
    apply_preset(db.session, event, "national_class1")
    entries = {}
    for position, (person, number, grade, certificate, *scores) in enumerate(people):
        contestant = Contestant(
            competition_id=competition.id, name=person, id_type=IdType.OTHER,
            id_number=number, sex="M", birth_date=date(1985, 5, 1), current_grade=grade,
            current_certificate_no=certificate)
        entry = Entry(event=event, division_id=division.id, contestant=contestant,
                      code=f"{competition.id}-{position + 1:03d}", station=position + 1)
        db.session.add(entry)
        db.session.flush()
        for module, score in zip(modules, scores, strict=True):
            db.session.add(ExternalScore(entry_id=entry.id, module_id=module.id,
                                         score=Decimal(score)))
        entries[person] = entry
    db.session.flush()
    moment = utcnow() - timedelta(days=publish_days_ago)
    event.scores_locked_at = moment
    publishing.publish(db.session, organizer, division, now=moment)
    db.session.commit()
    return World(competition, event, division, organizer, entries)


def _outcomes(world: World) -> dict[str, object]:
    """name → the grade promoted to, or why the first rule (ranks 1–5) did not."""
    return {line.contestant.name: line.outcome.promotion.to_grade if line.outcome.promotion
            else [r.message % r.params for r in line.outcome.misses[0].reasons]
            for line in promotions.preview(db.session, world.division)}


def _decide(world: World, now: datetime | None = None) -> list[Promotion]:
    decided = promotions.decide_promotions(db.session, world.organizer, world.division,
                                           now or utcnow())
    db.session.commit()
    return decided


# --- The practical score --------------------------------------------------------------

def test_the_practical_score_is_the_practical_modules_weighted_together():
    # Weights 20, 20, 30; scores 70, 55, 69: (1400 + 1100 + 2070) ÷ 70 = 65.2857… → 65.29.
    step = Decimal("0.01")
    assert engine.kind_score([(20, Decimal(70)), (20, Decimal(55)), (30, Decimal(69))],
                             step) == Decimal("65.29")
    # One module: its own score. No module of the kind: no score (the condition is moot).
    assert engine.kind_score([(20, Decimal("55.5"))], step) == Decimal("55.50")
    assert engine.kind_score([], step) is None


def test_one_practical_module_below_60_does_not_block_but_the_strict_option_does(app):
    # Practical: (20×70 + 20×55 + 40×69) ÷ 80 = (1400 + 1100 + 2760) ÷ 80 = 65.75.
    world = _world([("周强", "E001", None, "", 80, 70, 55, 69),
                    ("吴磊", "E002", None, "", 80, 60, 50, 55)])
    # 吴磊: (1200 + 1000 + 2200) ÷ 80 = 55.00 < 60.
    assert _outcomes(world) == {"周强": TECHNICIAN,
                                "吴磊": ["Practical score 55.00 < 60"]}
    rule = world.event.promotion_rules[0]
    rule.min_module_score = Decimal(60)
    db.session.commit()
    assert _outcomes(world)["周强"] == ["模块B score 55.00 < 60"]


# --- Grades granted here and declared -------------------------------------------------

def _granted_technician(number: str) -> tuple[World, Certificate]:
    """An earlier competition (2025) that granted 技师 to 方明 (ID ``number``) and
    issued the certificate."""
    earlier = _world([("方明", number, None, "", 90, 90, 90, 90)], starts_on=date(2025, 6, 1),
                     name="2025年电工技能竞赛")
    earlier.competition.evaluator_code = "0001"
    earlier.competition.site_sequence = "000001"
    publishing.finalize(db.session, earlier.organizer, earlier.division)
    db.session.commit()
    promotion = db.session.scalar(select(Promotion).where(
        Promotion.entry_id == earlier.entries["方明"].id))
    assert promotion.to_grade == TECHNICIAN and promotion.certificate is not None
    return earlier, promotion.certificate


def test_a_grade_granted_here_is_never_lowered_by_a_stale_declaration(app):
    """A 技师 recorded as 三级 in a stale unit list wins again: 高级技师, not a
    second 技师 certificate."""
    _granted_technician("F100")
    later = _world([("方明", "F100", SENIOR_WORKER, "", 90, 90, 90, 90)],
                   starts_on=date(2026, 11, 20))
    line = promotions.preview(db.session, later.division)[0]
    assert line.basis.grade == TECHNICIAN and line.basis.source == held.GRANTED
    assert line.outcome.promotion.to_grade == SENIOR_TECHNICIAN and not line.needs_check
    (promotion,) = _decide(later)
    assert (promotion.from_grade, promotion.to_grade) == (TECHNICIAN, SENIOR_TECHNICIAN)
    # The declaration stays what the person declared.
    assert later.entries["方明"].contestant.current_grade == SENIOR_WORKER


def test_a_declared_grade_a_promotion_depends_on_must_be_checked(app, client, auth):
    """Claiming 技师 would lead to 高级技师; unchecked, finalizing is refused and names
    the contestant; checked and not confirmed, the claim is ignored (技师 granted)."""
    world = _world([("孙亮", "S200", TECHNICIAN, "S000142110002204150363",
                     90, 90, 90, 90),
                    ("郑浩", "S201", None, "", 85, 85, 85, 85)])
    line = promotions.preview(db.session, world.division)[0]
    assert line.basis.source == held.DECLARED and line.needs_check
    assert line.outcome.promotion.to_grade == SENIOR_TECHNICIAN

    auth.login(world.organizer.username)
    page = unescape(client.get(f"/divisions/{world.division.id}/promotions")
                    .get_data(as_text=True))
    assert "自报等级，待核验" in page and "孙亮" in page.split('id="unconfirmed-grades"')[1]

    with pytest.raises(PromotionError, match="孙亮"):
        _decide(world)
    db.session.rollback()
    assert db.session.scalar(select(func.count(PromotionOutcome.id))) == 0

    # The organizer looks at the paper certificate: it cannot be confirmed.
    url = f"/entries/{world.entries['孙亮'].id}/grade-check"
    form = unescape(client.get(url).get_data(as_text=True))
    assert "核验自报等级" in form and "S000142110002204150363" in form
    response = client.post(url, data={"confirmed": "no", "note": ""})
    assert "请说明自报等级无法核实的原因" in unescape(response.get_data(as_text=True))
    assert db.session.scalar(select(func.count(GradeCheck.id))) == 0
    client.post(url, data={"confirmed": "no", "note": "证书编号查无此证"})
    check = db.session.scalar(select(GradeCheck))
    assert (check.confirmed, check.grade, check.note) == (False, TECHNICIAN, "证书编号查无此证")
    line = promotions.preview(db.session, world.division)[0]
    assert line.basis.grade is None and line.outcome.promotion.to_grade == TECHNICIAN

    # Seen after all: confirmed, the claim counts.
    client.post(url, data={"confirmed": "yes", "note": "现场查验原件"})
    assert db.session.scalar(select(func.count(GradeCheck.id))) == 1
    line = promotions.preview(db.session, world.division)[0]
    assert line.basis.source == held.CHECKED and not line.needs_check
    decided = _decide(world)
    assert [(p.from_grade, p.to_grade) for p in decided] == [
        (TECHNICIAN, SENIOR_TECHNICIAN), (None, TECHNICIAN)]
    kept = promotions.promotion_outcome(db.session, world.entries["孙亮"].id)
    assert kept.grade_basis == {"grade": TECHNICIAN, "source": "checked",
                                "certificate_number": "S000142110002204150363"}


def test_a_declared_certificate_issued_here_confirms_itself(app):
    _, certificate = _granted_technician("R300")
    later = _world([("方明", "R300", TECHNICIAN, certificate.number, 90, 90, 90, 90)])
    line = promotions.preview(db.session, later.division)[0]
    assert line.basis.source == held.GRANTED  # the grant itself is found first
    # Someone else quoting that number is not confirmed by it.
    other = _world([("冒名", "X999", TECHNICIAN, certificate.number, 90, 90, 90, 90)])
    line = promotions.preview(db.session, other.division)[0]
    assert line.basis.source == held.DECLARED and line.needs_check


def test_a_revoked_grant_no_longer_counts(app):
    _, certificate = _granted_technician("V400")
    promotion = certificate.promotion
    promotion.reverted_at = utcnow()
    db.session.commit()
    later = _world([("方明", "V400", None, "", 90, 90, 90, 90)])
    line = promotions.preview(db.session, later.division)[0]
    assert line.basis.grade is None and line.outcome.promotion.to_grade == TECHNICIAN


def test_only_the_competitions_organizers_check_grades(app, client, auth):
    world = _world([("孙亮", "S500", TECHNICIAN, "", 90, 90, 90, 90)])
    stranger = builders.user("organizer", username="stranger")
    builders.competition(organizers=(stranger,))
    db.session.commit()
    auth.login("stranger")
    url = f"/entries/{world.entries['孙亮'].id}/grade-check"
    assert client.get(url).status_code == 403
    assert client.post(url, data={"confirmed": "yes"}).status_code == 403
    assert db.session.scalar(select(func.count(GradeCheck.id))) == 0


# --- Once a year, by contest year ----------------------------------------------------

def test_once_a_year_counts_the_contest_year_across_competitions(app):
    """A December 2026 contest decided in January 2027 counts in 2026: a person it
    promoted cannot be promoted again by another 2026 contest, but can by a 2027 one."""
    december = _world([("何军", "Y600", None, "", 90, 90, 90, 90)],
                      starts_on=date(2026, 12, 20), name="十二月赛")
    january = datetime(2027, 1, 8, 2, 0, tzinfo=UTC)
    (first,) = _decide(december, now=january)
    assert first.year == 2026

    same_year = _world([("何军", "Y600", TECHNICIAN, "", 90, 90, 90, 90)],
                       starts_on=date(2026, 11, 1), name="十一月赛")
    assert _outcomes(same_year)["何军"] == ["Already promoted in 2026"]

    next_year = _world([("何军", "Y600", None, "", 90, 90, 90, 90)],
                       starts_on=date(2027, 3, 1), name="三月赛")
    assert _outcomes(next_year)["何军"] == SENIOR_TECHNICIAN  # 技师 held → 高级技师

    # The organizer may say which contest year a competition counts in.
    same_year.competition.promotion_year = 2027
    db.session.commit()
    assert _outcomes(same_year)["何军"] == SENIOR_TECHNICIAN


def test_the_organizer_sets_the_contest_year_in_the_browser_form(app, client, login_as):
    login_as("organizer")
    data = {"name": "十二月技能赛", "level": "city", "starts_on": "2026-12-28",
            "ends_on": "2026-12-29", "name_display": "masked", "evaluator_type": "S",
            "evaluator_code": "0421", "province_code": "42", "site_sequence": "120002",
            "promotion_year": "1999"}
    page = unescape(client.post("/competitions/new", data=data).get_data(as_text=True))
    assert "晋升年度" in page and db.session.scalar(select(func.count(Competition.id))) == 0
    data["promotion_year"] = "2027"
    client.post("/competitions/new", data=data)
    assert db.session.scalar(select(Competition.promotion_year)) == 2027


# --- Reasons kept and shown ---------------------------------------------------------

def test_the_reasons_are_kept_and_shown_to_the_contestant(app, client, auth):
    world = _world([("周强", "K700", None, "", 55, 90, 90, 90),
                    ("吴磊", "K701", None, "", 90, 90, 90, 90)])
    publishing.finalize(db.session, world.organizer, world.division)
    db.session.commit()
    loser = world.entries["周强"]
    kept = promotions.promotion_outcome(db.session, loser.id)
    assert not kept.promoted and kept.misses[0]["reasons"] == [
        {"message": "Theory score %(score)s < %(minimum)s",
         "params": {"score": "55.00", "minimum": "60"}}]

    # The rule is edited afterwards: what was decided, and why, stays.
    rule = world.event.promotion_rules[0]
    rule.min_theory_score = None
    db.session.commit()

    page = unescape(client.get(f"/r/{loser.token}").get_data(as_text=True))
    reasons = page.split('id="promotion-reasons"')[1]
    assert "理论成绩 55.00 < 60" in reasons and "本次成绩未使您获得等级晋升" in page

    api = client.get(f"/api/v1/contestant/{loser.token}/result",
                     headers={"Accept-Language": "zh-CN"}).get_json()
    assert api["promotion"] is None
    assert any("理论成绩 55.00 < 60" in reason
               for item in api["promotion_reasons"] for reason in item["reasons"])

    auth.login(world.organizer.username)
    page = unescape(client.get(f"/divisions/{world.division.id}/promotions")
                    .get_data(as_text=True))
    assert "理论成绩 55.00 < 60" in page.split("周强", 1)[1].split("</tr>", 1)[0]
    outcomes = client.get(f"/api/v1/divisions/{world.division.id}/promotion-outcomes").get_json()
    assert {o["name"]: o["promoted"] for o in outcomes} == {"周强": False, "吴磊": True}
    assert outcomes[0]["misses"][0]["reasons"] == ["理论成绩 55.00 < 60"]
