"""Promotion (晋升): the preview, the decisions when results become final, and the page.

Most tests build one small division (``small``): a city class-1 contest whose
workers' rule grants 二级/技师 to the top 10, theory and practical scores at
least 60, never above 技师, men at most 60 and women at most 55, once a year. Its two modules
(theory 20%, practical 80%) are scored outside the sheets, so results come
without judging. The page tests use the 茶艺师 of ``builders.tea_competition``
(``published_tea``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from html import unescape

import pytest
from sqlalchemy import select

from competition.audit.models import AuditEvent
from competition.auth.models import User
from competition.dbtypes import utcnow
from competition.entries.models import Contestant, Entry, IdType
from competition.events.models import Division, Event
from competition.events.promotion_rules import apply_preset
from competition.extensions import db
from competition.grades import promotions
from competition.grades.models import GradeCheck, Promotion, PromotionOutcome
from competition.grades.promotions import PromotionError
from competition.judging.models import ExternalScore
from competition.results import publishing
from competition.results.models import Publication, Result
from tests import builders

FIRST_DAY = date(2026, 11, 20)

# name, sex, age on the first day, grade held, theory, practical — in rank order.
PEOPLE = (
    ("王建国", "M", 40, None, 90, 90),  # rank 1: granted 技师
    ("李秀兰", "F", 35, 4, 55, 95),  # theory below 60
    ("张伟", "M", 45, 2, 80, 88),  # holds 技师, the rule's highest grade
    ("赵红", "F", 56, 3, 80, 86),  # above the women's age limit
    ("钱明", "M", 30, 5, 70, 84),  # 五级 → 技师
)


@dataclass
class Small:
    event: Event
    division: Division
    organizer: User
    entries: dict[str, Entry]
    theory_id: int
    practical_id: int


def _small(published: bool, checked: bool = True) -> Small:
    """``checked``: an organizer has confirmed every declared grade against the paper
    certificate."""
    organizer = builders.user("organizer")
    competition = builders.competition(organizers=(organizer,), starts_on=FIRST_DAY)
    event = builders.event(competition, name="电工")
    theory = builders.module(event, code="T", weight=20, kind="theory", criteria=())
    practical = builders.module(event, code="A", weight=80, criteria=())
    db.session.refresh(event)
    division = event.divisions[0]
    apply_preset(db.session, event, "city_class1")
    entries = {}
    for number, (name, sex, age, grade, theory_score, practical_score) in enumerate(PEOPLE):
        person = Contestant(competition_id=competition.id, name=name, id_type=IdType.OTHER,
                            id_number=f"P{number:07d}",
                            sex=sex, birth_date=FIRST_DAY.replace(year=FIRST_DAY.year - age),
                            current_grade=grade)
        entry = Entry(event=event, division_id=division.id, contestant=person,
                      code=f"DG-{101 + number}", station=number + 1)
        db.session.add(entry)
        db.session.flush()
        for module, score in ((theory, theory_score), (practical, practical_score)):
            db.session.add(ExternalScore(entry_id=entry.id, module_id=module.id,
                                         score=Decimal(score)))
        entries[name] = entry
    db.session.flush()
    if checked:
        for entry in entries.values():
            if entry.contestant.current_grade is not None:
                db.session.add(GradeCheck(
                    contestant_id=entry.contestant_id, occupation_id=event.occupation_id,
                    grade=entry.contestant.current_grade, confirmed=True,
                    checked_by_id=organizer.id))
        db.session.flush()
    if published:
        event.scores_locked_at = utcnow() - timedelta(days=11)
        publishing.publish(db.session, organizer, division, now=utcnow() - timedelta(days=10))
    db.session.commit()
    return Small(event, division, organizer, entries, theory.id, practical.id)


@pytest.fixture
def small(app) -> Small:
    """The small division, scores locked and published ten days ago (notice over)."""
    return _small(published=True)


@pytest.fixture
def small_draft(app) -> Small:
    """The small division with draft results: scores not locked, nothing published."""
    return _small(published=False)


def _by_name(lines) -> dict[str, promotions.PromotionLine]:
    return {line.contestant.name: line for line in lines}


def _reasons(line) -> list[str]:
    return [r.message % r.params for r in line.outcome.reasons]


def _outcomes(lines) -> dict[str, object]:
    """name → the grade promoted to, or the reasons not."""
    return {line.contestant.name: line.outcome.promotion.to_grade if line.outcome.promotion
            else _reasons(line) for line in lines}


# --- Preview --------------------------------------------------------------------------

def test_preview_from_the_published_results(small):
    lines = promotions.preview(db.session, small.division)
    assert [(line.rank, line.contestant.name) for line in lines] == [
        (rank, person[0]) for rank, person in enumerate(PEOPLE, start=1)]
    assert _outcomes(lines) == {
        "王建国": 2,
        "李秀兰": ["Theory score 55.00 < 60"],
        "张伟": ["Already at the highest grade this rule gives (2)"],
        "赵红": ["Age 56 is above the limit for women (55)"],
        "钱明": 2,
    }
    first = lines[0]
    assert first.total == Decimal("90.00")
    assert first.module_scores == {small.theory_id: Decimal("90.00"),
                                   small.practical_id: Decimal("90.00")}
    promotion = first.outcome.promotion
    assert promotion.from_grade is None and promotion.rule.name == \
        "Workers in the top 10: Level 2 / Technician"
    # A preview decides nothing.
    assert db.session.scalars(select(Promotion)).all() == []
    assert small.entries["钱明"].contestant.current_grade == 5


def test_preview_reads_the_live_draft_until_published_then_the_snapshot(small_draft):
    small = small_draft
    assert _outcomes(promotions.preview(db.session, small.division))["李秀兰"] == [
        "Theory score 55.00 < 60"]
    theory = db.session.scalar(select(ExternalScore).where(
        ExternalScore.entry_id == small.entries["李秀兰"].id,
        ExternalScore.module_id == small.theory_id))
    theory.score = Decimal(61)
    db.session.commit()
    assert _outcomes(promotions.preview(db.session, small.division))["李秀兰"] == 2  # live

    small.event.scores_locked_at = utcnow()
    publishing.publish(db.session, small.organizer, small.division)
    theory.score = Decimal(10)  # not in the published snapshot until it is refreshed
    db.session.commit()
    assert _outcomes(promotions.preview(db.session, small.division))["李秀兰"] == 2
    publishing.refresh(db.session, small.division)
    assert _outcomes(promotions.preview(db.session, small.division))["李秀兰"] == [
        "Theory score 10.00 < 60"]


def test_names_of_modules_and_rank_outside_the_range(small):
    """An entry ranked 11th, as the published results say, is outside 1–10."""
    row = db.session.scalar(select(Result).where(
        Result.entry_id == small.entries["钱明"].id))
    row.rank = 11
    db.session.commit()
    line = _by_name(promotions.preview(db.session, small.division))["钱明"]
    assert _reasons(line) == ["Rank 11 is outside 1–10"]


def test_promotions_once_a_year_across_competitions(small):
    """The contest year: the year of the competition's first day (2026 here)."""
    person = small.entries["王建国"].contestant
    year = FIRST_DAY.year
    other = builders.competition(name="湖北省第三届电工职业技能竞赛")
    other_event = builders.event(other, name="电工")
    other_division = db.session.scalar(select(Division).where(
        Division.event_id == other_event.id))
    entry = Entry(event_id=other_event.id, division_id=other_division.id,
                  contestant_id=person.id, code="HB-001")
    db.session.add(entry)
    db.session.flush()
    earlier = Promotion(entry_id=entry.id, contestant_id=person.id, year=year - 1,
                        rule_text="前3名晋升一级", from_grade=None, to_grade=4)
    db.session.add(earlier)
    db.session.commit()
    assert _outcomes(promotions.preview(db.session, small.division))["王建国"] == 2

    earlier.year = year  # promoted through the other competition this year
    db.session.commit()
    assert _outcomes(promotions.preview(db.session, small.division))["王建国"] == [
        f"Already promoted in {year}"]
    decided = promotions.decide_promotions(db.session, small.organizer, small.division, utcnow())
    assert [p.entry.contestant.name for p in decided] == ["钱明"]


# --- Decisions ------------------------------------------------------------------------

def test_decide_promotions_records_raises_grade_and_audits(small):
    # Decided in the next year: the promotions count in the contest year, the year of
    # the competition's first day, not the year of the decision.
    now = datetime(2030, 12, 31, 17, 0, tzinfo=UTC)
    decided = promotions.decide_promotions(db.session, small.organizer, small.division, now)
    db.session.commit()

    assert [(p.entry.contestant.name, p.from_grade, p.to_grade, p.year) for p in decided] \
        == [("王建国", None, 2, 2026), ("钱明", 5, 2, 2026)]
    stored = db.session.scalars(select(Promotion).order_by(Promotion.id)).all()
    assert [p.id for p in stored] == [p.id for p in decided]
    first = stored[0]
    assert first.contestant_id == small.entries["王建国"].contestant_id
    assert first.rule_id is not None and first.decided_at == now
    # The rule in words, in Chinese whoever decides: rules may be edited later.
    assert first.rule_text == (
        "职工组前10名：二级/技师：本组第1–10名；理论成绩不低于60分（满分100）；"
        "实操成绩（各实操模块加权合计）不低于60分（满分100）；"
        "男性不超过60周岁，女性不超过55周岁；每人每个竞赛年度仅限通过竞赛晋升一次；"
        "授予 二级/技师，最高 二级/技师")
    # What they declared stays as declared; the grade granted is the promotion's.
    grades = {name: entry.contestant.current_grade for name, entry in small.entries.items()}
    assert grades == {"王建国": None, "李秀兰": 4, "张伟": 2, "赵红": 3, "钱明": 5}
    # Every entry's outcome is kept, with the reasons of those not promoted.
    kept = {o.entry.contestant.name: o for o in db.session.scalars(select(PromotionOutcome))}
    assert {name: o.promoted for name, o in kept.items()} == {
        "王建国": True, "李秀兰": False, "张伟": False, "赵红": False, "钱明": True}
    assert kept["李秀兰"].misses == [{
        "rule": kept["王建国"].rule_text,
        "reasons": [{"message": "Theory score %(score)s < %(minimum)s",
                     "params": {"score": "55.00", "minimum": "60"}}]}]
    assert kept["张伟"].grade_basis == {"grade": 2, "source": "checked",
                                        "certificate_number": ""}

    audit = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action.in_(["promotion.decide", promotions.DECIDED]))
        .order_by(AuditEvent.id)).all()
    assert [(a.action, a.object_type, a.object_id) for a in audit] == [
        ("promotion.decide", "promotion", str(first.id)),
        ("promotion.decide", "promotion", str(stored[1].id)),
        (promotions.DECIDED, "division", str(small.division.id))]
    assert all(a.actor_id == small.organizer.id for a in audit)
    assert '"grade":5' in audit[1].old_value and '"grade":2' in audit[1].new_value
    assert '"year":2026' in audit[1].new_value and audit[1].reason == stored[1].rule_text

    with pytest.raises(PromotionError, match="already decided"):
        promotions.decide_promotions(db.session, small.organizer, small.division, now)
    assert db.session.scalar(select(db.func.count(Promotion.id))) == 2


def test_deciding_with_nobody_promoted_is_still_once(small):
    db.session.execute(db.update(Result).values(rank=None))  # nobody ranked
    db.session.commit()
    assert promotions.decide_promotions(db.session, small.organizer, small.division,
                                     utcnow()) == []
    db.session.commit()
    assert promotions.decided(db.session, small.division)
    with pytest.raises(PromotionError, match="already decided"):
        promotions.decide_promotions(db.session, small.organizer, small.division, utcnow())


def test_decisions_wait_for_final_ready_results(small_draft):
    small = small_draft
    with pytest.raises(PromotionError, match="not been published"):
        promotions.decide_promotions(db.session, small.organizer, small.division, utcnow())
    now = utcnow()
    small.event.scores_locked_at = now
    publishing.publish(db.session, small.organizer, small.division, now=now)
    db.session.commit()
    with pytest.raises(PromotionError, match="public notice runs until"):
        promotions.decide_promotions(db.session, small.organizer, small.division,
                                  now + timedelta(days=1))
    publishing.file_appeal(db.session, small.entries["李秀兰"], "理论成绩有误", now=now)
    db.session.commit()
    with pytest.raises(PromotionError, match="waiting for a decision"):
        promotions.decide_promotions(db.session, small.organizer, small.division,
                                  now + timedelta(days=6))
    assert db.session.scalars(select(Promotion)).all() == []
    assert small.entries["王建国"].contestant.current_grade is None


def test_final_results_may_be_decided_after_finalizing(small):
    """The results stage may decide after marking the division final, in the same
    transaction: a final division is ready."""
    publishing.finalize(db.session, small.organizer, small.division)
    if not promotions.decided(db.session, small.division):  # unless finalizing decided
        promotions.decide_promotions(db.session, small.organizer, small.division, utcnow())
    db.session.commit()
    assert db.session.get(Publication, publishing.publication_of(
        db.session, small.division.id).id).status == "final"
    assert {p.to_grade for p in db.session.scalars(select(Promotion))} == {2}


# --- The page ------------------------------------------------------------------------

def _import_theory(event: Event, low: dict[str, int]) -> None:
    """Theory exam scores for 茶艺师 (90, or as ``low`` says by name), then the published
    results refreshed, as after an import during the notice."""
    theory = next(m for m in event.modules if m.kind == "theory")
    for entry in db.session.scalars(select(Entry).where(Entry.event_id == event.id)):
        row = db.session.scalar(select(ExternalScore).where(
            ExternalScore.entry_id == entry.id, ExternalScore.module_id == theory.id))
        if row is None:
            row = ExternalScore(entry_id=entry.id, module_id=theory.id)
            db.session.add(row)
        row.score = Decimal(low.get(entry.contestant.name, 90))
    db.session.flush()
    for division in event.divisions:
        publishing.refresh(db.session, division)
    db.session.commit()


def _row(page: str, name: str) -> str:
    return page.split(name, 1)[1].split("</tr>", 1)[0]


def test_page_previews_then_shows_the_decisions(published_tea, client, auth):
    """茶艺师's workers (``builders.TEA_CONTESTANTS``): ranked 1 林雅琴 (no grade),
    2 郑晓雯 (四级), 3 唐婉婷 (规定茶艺 58, but the practical modules weighted together
    61.50); 4 to 6 under 60 in the practical modules."""
    _import_theory(published_tea, low={"郑晓雯": 55})
    division = published_tea.divisions[0]
    url = f"/divisions/{division.id}/promotions"
    auth.login(builders.ORGANIZER)
    results = client.get(f"/events/{published_tea.id}/results").get_data(as_text=True)
    assert url in results

    page = unescape(client.get(url).get_data(as_text=True))
    assert "预览" in page and "根据公示中的成绩预览" in page
    assert "6 名选手中 2 名将晋升" in page
    assert "晋升为 二级/技师" in _row(page, "林雅琴") and "职工组前10名" in _row(page, "林雅琴")
    zheng = _row(page, "郑晓雯")
    assert "未晋升" in zheng and "理论成绩 55.00 < 60" in zheng and "四级/中级工" in zheng
    assert "自报，未核验" in zheng
    # One practical module below 60 does not block: the practical score is 61.50.
    assert "晋升为 二级/技师" in _row(page, "唐婉婷")
    assert "未晋升" in _row(page, "孔丽")  # the practical modules weighted: 52.81

    organizer = db.session.scalar(select(User).where(User.username == builders.ORGANIZER))
    publishing.finalize(db.session, organizer, division)
    if not promotions.decided(db.session, division):  # unless finalizing decides them
        promotions.decide_promotions(db.session, organizer, division, utcnow())
    db.session.commit()
    page = unescape(client.get(url).get_data(as_text=True))
    assert "已决定" in page and "以下晋升已在成绩确定时决定" in page
    assert "6 名选手中 2 名已晋升" in page
    lin = _row(page, "林雅琴")
    assert "晋升为 二级/技师" in lin and "本组第1–10名" in lin
    # Held no grade before, although she holds 技师 now.
    assert re.search(r"<td>\s*无\s*</td>", lin)
    # The reasons are kept with the decision and still shown.
    assert "未晋升" in _row(page, "郑晓雯") and "理论成绩 55.00 < 60" in _row(page, "郑晓雯")


def test_page_shows_codes_not_names_before_the_scores_lock(small_draft, client, auth):
    auth.login(small_draft.organizer.username)
    page = unescape(client.get(f"/divisions/{small_draft.division.id}/promotions")
                    .get_data(as_text=True))
    assert "根据草稿成绩预览" in page and "5 名选手中 2 名将晋升" in page
    assert "DG-101" in page and "王建国" not in page
    assert "理论成绩 55.00 < 60" in page
    assert "已达到本规则可晋升的最高等级（二级/技师）" in page
    assert "年龄 56 岁，超过女性年龄上限（55 岁）" in page


def test_who_may_open_the_page(small, client, auth):
    """Organizers of the competition and admins; not judges, not another
    competition's organizer; anonymous visitors are sent to log in."""
    url = f"/divisions/{small.division.id}/promotions"
    response = client.get(url)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    builders.competition(organizers=(builders.user("organizer", username="stranger"),))
    builders.user("judge", username="judge")
    builders.user("admin", username="root")
    db.session.commit()
    for who, status in [("judge", 403), ("stranger", 403), ("root", 200),
                        (small.organizer.username, 200)]:
        auth.login(who)
        response = client.get(url)
        assert response.status_code == status, who
        if status == 200:
            assert "王建国" in response.get_data(as_text=True)
        auth.logout()


def test_unknown_division_is_404(app, client, login_as):
    login_as("admin")
    assert client.get("/divisions/999/promotions").status_code == 404
