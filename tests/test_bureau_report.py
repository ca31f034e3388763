"""The competition report for the bureau (赛事总结报告, PDF): every figure it prints against a
count made here from the database's rows, the judges' agreement against the judge
analytics, the audit chain's head at finalization, the histogram drawn on the page, who
may download it, the language, and the dashboard's link.

The scene is the small scored competition of ``builders.tea_competition`` with 茶艺师's
results final (promotions decided, certificates issued), plus: 茶艺师's six entries
checked in, one certificate revoked (its promotion reverted) and three appeals (accepted,
rejected, pending); 车工, not locked, with a second division (学生组), one entry in each
check-in state and an appeal waiting; a bureau account, a supervisor, and an organizer
of another competition with nothing published.
"""

from __future__ import annotations

import shutil
import subprocess
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from competition.analytics.judges import analyse, fixed
from competition.audit.models import AuditEvent
from competition.bureau.report import BAND_WIDTH, BANDS, BAR_COLOUR
from competition.entries.models import Attendance, Contestant, Entry, RegistrationStatus
from competition.events.models import Division, Event
from competition.extensions import db
from competition.grades import certificates
from competition.grades.models import Certificate, Promotion
from competition.results.models import Appeal, Result
from competition.skill_grades import grade_label
from tests import builders
from tests.helpers import digest, read_pdf, text_of

BUREAU = "renshe"
SUPERVISOR = "jiandu"
STRANGER = "stranger"  # the organizer of another competition


# --- The scene --------------------------------------------------------------------------------

def _appeal(entry: Entry, status: str) -> None:
    decided = None if status == "pending" else datetime(2026, 11, 25, tzinfo=UTC)
    db.session.add(Appeal(entry_id=entry.id, text="评分有误，请复核。", status=status,
                          decided_at=decided,
                          decision_reason="" if status == "pending" else "经复核"))


def report_scene() -> dict:
    """The scene of the module's docstring; returns its IDs."""
    ids = builders.tea_competition("final")
    tea = db.session.get(Event, ids["event"])
    lathe = db.session.get(Event, ids["other_event"])
    for entry in builders.entries_of(tea):
        entry.attendance = Attendance.PRESENT
    admin = db.session.scalar(select(builders.User).where(
        builders.User.username == builders.ADMIN))
    certificate = db.session.scalars(select(Certificate).order_by(Certificate.id)).first()
    certificates.revoke(db.session, admin, certificate, "冒名顶替")
    statuses = ("accepted", "rejected", "pending")
    for entry, status in zip(builders.entries_of(tea)[:len(statuses)], statuses, strict=True):
        _appeal(entry, status)

    db.session.add(Division(event_id=lathe.id, name="学生组", kind="student", position=1))
    db.session.flush()
    db.session.refresh(lathe)
    builders.placed_entry(lathe, "车工学生", division=1, phone="13907159999")
    turners = builders.entries_of(lathe)  # 职工组's three, then 学生组's one
    states = (Attendance.PRESENT, Attendance.ABSENT, Attendance.WITHDRAWN)
    for entry, state in zip(turners[:len(states)], states, strict=True):
        entry.attendance = state
    _appeal(turners[0], "pending")

    builders.user("bureau", username=BUREAU, display_name="咸宁市人社局")
    builders.user("supervisor", username=SUPERVISOR, competition_id=ids["competition"])
    stranger = builders.user("organizer", username=STRANGER)
    other = builders.competition("另一场大赛", organizers=(stranger,))
    builders.event(other, "电工", occupation=builders.occupation("电工", "6-31-01-03"))
    db.session.commit()
    return {**ids, "other_competition": other.id}


@pytest.fixture
def scene(restored) -> dict:
    return restored("bureau_report", report_scene)


def _sign_in(client, username: str) -> None:
    client.post("/logout")
    response = client.post("/login", data={"username": username,
                                           "password": builders.PASSWORD})
    assert response.status_code == 302, username


def _url(competition_id: int) -> str:
    return f"/bureau/competitions/{competition_id}/report.pdf"


def _report(client, competition_id: int, username: str = BUREAU):
    _sign_in(client, username)
    response = client.get(_url(competition_id))
    return response, read_pdf(response)


def _flat(text: str) -> str:
    """The text with every run of white space as one space, so a table row reads as one
    line: "茶艺师 职工组 6 6 0 0 0"."""
    return " ".join(text.split())


def _row(*cells) -> str:
    return " ".join(str(cell) for cell in cells)


def _section(text: str, start: str, end: str) -> str:
    """The text between two headings."""
    return text.split(start, 1)[1].split(end, 1)[0]


# --- The figures, counted here from the rows ----------------------------------------------

def _events(competition_id: int) -> list[Event]:
    return list(db.session.scalars(select(Event).where(Event.competition_id == competition_id)
                                   .order_by(Event.position, Event.id)))


def _entries(event: Event) -> list[Entry]:
    return [entry for entry in builders.entries_of(event)
            if entry.status == RegistrationStatus.APPROVED]


def _of_event(rows, event: Event) -> list:
    return [row for row in rows if db.session.get(Entry, row.entry_id).event_id == event.id]


def test_the_report_prints_the_figures_counted_from_the_database(scene, client):
    response, pdf = _report(client, scene["competition"])
    assert response.headers["Cache-Control"] == "private, no-store"
    text = _flat(text_of(pdf))
    assert "咸宁市第八届职业技能大赛" in text and "赛事总结报告" in text
    states = (Attendance.PRESENT, Attendance.ABSENT, Attendance.WITHDRAWN, Attendance.EXPECTED)
    events = _events(scene["competition"])
    for event in events:
        for division in event.divisions:
            entries = [e for e in _entries(event) if e.division_id == division.id]
            by_state = Counter(entry.attendance for entry in entries)
            assert _row(event.name, division.name, len(entries),
                        *(by_state[state] for state in states)) in text
    everything = [e for event in events for e in _entries(event)]
    assert _row("合计", len(everything), *(sum(e.attendance == state for e in everything)
                                          for state in states)) in text

    results = db.session.scalars(select(Result)).all()
    promotions = db.session.scalars(select(Promotion)).all()
    issued = db.session.scalars(select(Certificate)).all()
    appeals = db.session.scalars(select(Appeal)).all()
    assert results and promotions and issued and appeals
    for event in events:
        awards = Counter(result.award for result in _of_event(results, event))
        titles = sum(result.has_title for result in _of_event(results, event))
        assert _row(event.name, awards["first"], awards["second"], awards["third"],
                    titles) in text
        by_grade = Counter((p.to_grade, p.reverted_at is not None)
                           for p in _of_event(promotions, event))
        for grade in {grade for grade, _reverted in by_grade}:
            assert _row(event.name, grade_label(grade), by_grade[grade, False],
                        by_grade[grade, True]) in text
        mine = [c for c in issued
                if db.session.get(Entry, c.promotion.entry_id).event_id == event.id]
        revoked = sum(c.revoked_at is not None for c in mine)
        assert _row(event.name, len(mine), revoked, len(mine) - revoked) in text
        outcomes = Counter(appeal.status for appeal in _of_event(appeals, event))
        assert _row(event.name, sum(outcomes.values()), outcomes["accepted"],
                    outcomes["rejected"], outcomes["pending"]) in text
    # The scene has what each row is for: a revoked certificate, appeals of every outcome.
    assert any(c.revoked_at for c in issued) and any(p.reverted_at for p in promotions)
    assert {appeal.status for appeal in appeals} == {"accepted", "rejected", "pending"}

    # The histogram's note: the ranked entries, their mean, lowest and highest.
    tea = events[0]
    totals = [float(r.total) for r in _of_event(results, tea) if r.rank is not None]
    assert (f"参与排名 {len(totals)} 人：平均分 {sum(totals) / len(totals):.2f}，"
            f"最低分 {min(totals):.2f}，最高分 {max(totals):.2f}") in text
    assert "尚未公布成绩" in _section(text, "二、总成绩分布", "三、").split("车工", 1)[1]


def test_the_agreement_is_the_judge_analytics_own(scene, client):
    _response, pdf = _report(client, scene["competition"])
    text = _flat(text_of(pdf))
    agreement = _section(text, "五、裁判评分一致性", "六、")
    tea, lathe = _events(scene["competition"])
    analysis = analyse(db.session, tea)
    assert analysis.kendall is not None and analysis.icc is not None
    assert _row(tea.name, len(analysis.judges),
                f"{analysis.complete_entries} / {analysis.entries}",
                fixed(analysis.kendall.w, 2), fixed(analysis.icc.value, 2)) in agreement
    assert lathe.scores_locked_at is None
    assert _row(lathe.name, "成绩尚未锁定，暂无数据。") in agreement


def _finalize_hash(division_id: int) -> str:
    return db.session.scalar(select(AuditEvent.hash).where(
        AuditEvent.action == "results.finalize", AuditEvent.object_id == str(division_id)))


def test_the_audit_chain_head_at_finalization(scene, client):
    tea, lathe = _events(scene["competition"])
    head = _finalize_hash(tea.divisions[0].id)
    assert head and len(head) == 64
    text = _flat(text_of(_report(client, scene["competition"])[1]))
    audit = text.split("六、成绩最终确定时的审计链", 1)[1]
    # 车工's two divisions have entries and are not final.
    assert "有报名的 3 个组别中，1 个组别的成绩已最终确定" in audit
    assert audit.count(head) == 1 and "茶艺师 · 职工组" in audit
    assert _row("车工 · 职工组", "未最终确定") in audit

    # Once no division with entries waits, the competition is final: its head is the one
    # at the last finalization.
    for entry in builders.entries_of(lathe):
        entry.status = RegistrationStatus.REJECTED
    db.session.commit()
    text = _flat(text_of(_report(client, scene["competition"])[1]))
    audit = text.split("六、成绩最终确定时的审计链", 1)[1]
    assert "所有组别的成绩均已最终确定" in audit and audit.count(head) == 2


def test_nobody_s_name_id_number_or_phone_is_printed(scene, client):
    text = text_of(_report(client, scene["competition"])[1])
    people = db.session.scalars(select(Contestant).where(
        Contestant.competition_id == scene["competition"])).all()
    assert len(people) == 10
    for person in people:
        assert person.name not in text and person.id_number not in text
        assert not person.phone or person.phone not in text
    for name in builders.TEA_JUDGE_NAMES:
        assert name not in text


# --- The histogram, on the page -----------------------------------------------------------

def _bar_pixels(pdf_bytes: bytes, folder: Path) -> list[tuple[int, int]]:
    """The pixels of the first page, rendered at 100 dpi, in the bars' colour."""
    target = folder / "report.pdf"
    target.write_bytes(pdf_bytes)
    subprocess.run(["pdftoppm", "-r", "100", "-png", "-f", "1", "-l", "1", str(target),
                    str(folder / "page")], check=True, timeout=60)
    image = Image.open(next(folder.glob("page*.png"))).convert("RGB")
    bar = tuple(round(part * 255) for part in BAR_COLOUR)
    width, height = image.size
    pixels = image.load()
    return [(x, y) for y in range(height) for x in range(width)
            if all(abs(a - b) <= 8 for a, b in zip(pixels[x, y], bar, strict=True))]


def _columns(pixels: list[tuple[int, int]]) -> list[int]:
    """The heights of the bars: each run of adjacent x positions holding bar pixels."""
    by_x = Counter(x for x, _y in pixels)
    runs: list[list[int]] = []
    for x in sorted(by_x):
        if runs and x == runs[-1][-1] + 1:
            runs[-1].append(x)
        else:
            runs.append([x])
    return [max(by_x[x] for x in run) for run in runs]


@pytest.mark.skipif(shutil.which("pdftoppm") is None,
                    reason="pdftoppm is not installed: the page is not rendered to an image")
def test_the_histogram_is_drawn_bar_by_bar(scene, client, tmp_path):
    response, _pdf = _report(client, scene["competition"])
    tea = _events(scene["competition"])[0]
    bands = Counter(min(int(float(r.total)) // BAND_WIDTH, len(BANDS) - 1)
                    for r in db.session.scalars(select(Result)) if r.rank is not None
                    and db.session.get(Entry, r.entry_id).event_id == tea.id)
    heights = _columns(_bar_pixels(response.data, tmp_path))
    # One bar per band holding totals, in the order of the bands, as tall as its count.
    counts = [bands[band] for band in sorted(bands)]
    assert len(heights) == len(counts) >= 3
    unit = heights[0] / counts[0]
    for height, count in zip(heights, counts, strict=True):
        assert abs(height - count * unit) <= 2, (heights, counts)
    # A competition with nothing published draws no bar.
    other, _pdf = _report(client, scene["other_competition"], builders.ADMIN)
    (tmp_path / "other").mkdir()
    assert _bar_pixels(other.data, tmp_path / "other") == []


# --- Who may download it ------------------------------------------------------------------

def test_the_bureau_admins_and_the_competition_s_organizers_download_it(scene, app):
    clients = {}
    for username in (BUREAU, builders.ADMIN, builders.ORGANIZER, STRANGER, builders.JUDGES[0],
                     builders.CHIEF, SUPERVISOR):
        clients[username] = app.test_client()
        _sign_in(clients[username], username)
    url = _url(scene["competition"])
    before = digest()
    assert app.test_client().get(url).status_code == 302  # to the sign-in page
    for username in (BUREAU, builders.ADMIN, builders.ORGANIZER):
        response = clients[username].get(url)
        assert response.status_code == 200, username
        assert response.mimetype == "application/pdf"
    for username in (STRANGER, builders.JUDGES[0], builders.CHIEF, SUPERVISOR):
        assert clients[username].get(url).status_code == 403, username
    # The other organizer has their own competition's.
    assert clients[STRANGER].get(_url(scene["other_competition"])).status_code == 200
    missing = clients[BUREAU].get(_url(999999))
    assert missing.status_code == 404 and missing.mimetype != "application/pdf"
    db.session.expire_all()
    assert digest() == before


# --- The language and the link ------------------------------------------------------------

def test_the_report_in_english(scene, client):
    _sign_in(client, BUREAU)
    client.get("/lang/en")
    response = client.get(_url(scene["competition"]))
    text = _flat(text_of(read_pdf(response)))
    for words in ("Competition report", "1. Participants by occupation and division",
                  "2. Distribution of the totals", "3. Awards, promotions and certificates",
                  "4. Appeals", "5. Agreement of the judges", "6. Audit chain at finalization",
                  "First prize", "Level 2 / Technician",
                  "车工 The scores are not locked yet: no figures.",
                  "Not finalized: the results of 1 of 3 divisions with entries are final."):
        assert words in text, words
    assert "赛事总结报告" not in text and "一等奖" not in text
    assert "Competition report" in response.headers["Content-Disposition"]


def test_the_dashboard_links_to_the_selected_competition_s_report(scene, client):
    _sign_in(client, BUREAU)
    link = f'href="{_url(scene["competition"])}"'
    page = client.get("/bureau?year=2026")
    assert page.status_code == 200 and 'id="bureau-competition-report"' not in page.text
    page = client.get(f"/bureau?year=2026&competition_id={scene['competition']}")
    assert link in page.text and "赛事总结报告（PDF）" in page.text
    client.get("/lang/en")
    page = client.get(f"/bureau?year=2026&competition_id={scene['competition']}")
    assert link in page.text and "Competition report (PDF)" in page.text
