"""The judge analytics of an event (``competition.analytics``): what the loader finds on a
panel built to show each thing it looks for (a severe judge, an erratic judge, a judge
with outlying marks, a recused judge, a measurement criterion), checked against values
worked out by hand; the page, the PDF and the console's link; who may open them; and
the number of statements, the same for 10 entries as for 300."""

from __future__ import annotations

import re
import secrets
import shutil
import subprocess
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import insert, select

from competition.analytics.agreement import ICC, summary
from competition.analytics.judges import (
    Cell,
    CriterionColumn,
    JudgeAnalysis,
    JudgeSummary,
    ModuleGroup,
    analyse,
    flags,
)
from competition.auth.models import User
from competition.dbtypes import utcnow
from competition.entries.models import Contestant, Entry
from competition.events.models import Event, PanelRole
from competition.extensions import db
from competition.judging import scoring
from competition.judging.models import Mark, ScoreSheet
from tests import builders
from tests.helpers import read_pdf, text_of

# The panel of ``flower_scene``, in the panel's order: (username, name as the console
# shows it, work unit). 刘洋 works where the contestant at station 8 works: recused.
JUDGES = (("fj1", "王芳", "咸宁市园林局"), ("fj2", "李强", "咸宁花卉协会"),
          ("fj3", "张敏", "湖北科技学院"), ("fj4", "刘洋", "咸宁市花艺中心"))
STATIONS = range(1, 9)


def _mark(judge: str, station: int, code: str) -> Decimal:
    """Every judge gives the base marks — A1 = station (of 10), A2 = 2 × station (of 20),
    the measurement A3 = 5 (of 10), B1 = station + 1 (of 10) — except: 王芳 one point less
    on B1 (severe in module B); 李强 4 more on A1 at station 3 and 6 more on A2 at station 5
    (two outliers); 张敏 3 more on A2 at odd stations and 3 less at even ones (erratic)."""
    base = {"A1": station, "A2": 2 * station, "A3": 5, "B1": station + 1}[code]
    if judge == "王芳" and code == "B1":
        base -= 1
    if judge == "李强" and (code, station) == ("A1", 3):
        base += 4
    if judge == "李强" and (code, station) == ("A2", 5):
        base += 6
    if judge == "张敏" and code == "A2":
        base += 3 if station % 2 else -3
    return Decimal(base)


def flower_scene() -> dict:
    """插花花艺师, locked: 8 entries (HY-101 … HY-108 at stations 1 … 8), four judges
    (``JUDGES``) marking ``_mark``; module A (A1 judged /10, A2 judged /20, A3 measured
    /10) and module B (B1 judged /10). Commits; returns the IDs."""
    organizer = builders.user("organizer", username="flower_org")
    contest = builders.competition("咸宁市花艺技能大赛", organizers=(organizer,))
    event = builders.event(contest, "插花花艺师",
                           occupation=builders.occupation("插花花艺师", None))
    builders.module(event, "A", 60, criteria=(("A1", 10, "judgement"),
                                              ("A2", 20, "judgement"),
                                              ("A3", 10, "measurement")), name="命题插花")
    builders.module(event, "B", 40, criteria=(("B1", 10, "judgement"),), name="自由创作")
    chief = builders.panel_member(event, "flower_chief", "周琳", PanelRole.CHIEF,
                                  work_unit="咸宁职业技术学院")
    judges = [builders.panel_member(event, username, name, work_unit=unit)
              for username, name, unit in JUDGES]
    for station in STATIONS:
        builders.placed_entry(event, f"花艺选手{station}", station=station,
                              code=f"HY-{100 + station}",
                              work_unit="咸宁市花艺中心" if station == 8 else f"花店{station}")
    db.session.refresh(event)
    for judge in judges:
        builders.submitted_sheets(event, judge, lambda entry, criterion, name=judge.display_name:
                                  _mark(name, entry.station, criterion.code))
    scoring.lock_event(db.session, chief, event)
    db.session.commit()
    return {"event": event.id, "competition": contest.id}


@pytest.fixture
def flowers(restored):
    ids = restored("analytics:flowers", flower_scene)
    return db.session.get(Event, ids["event"])


def _sign_in(client, username, password=builders.PASSWORD):
    client.post("/logout")
    assert client.post("/login", data={"username": username,
                                       "password": password}).status_code == 302


def _figures(html: str, selector: str) -> list[str]:
    """The texts of the elements carrying ``data-figure="<selector>"``."""
    return [re.sub(r"<[^>]+>", "", text).strip() for text in re.findall(
        rf'data-figure="{selector}"[^>]*>(.*?)</(?:td|dd|strong|span)>', html, re.S)]


# --- The loader, against the hand computation -------------------------------------------

def test_each_judges_severity_consistency_and_outliers(flowers):
    analysis = analyse(db.session, flowers)
    judges = {j.name: j for j in analysis.judges}
    assert [j.name for j in analysis.judges] == [name for _u, name, _w in JUDGES]
    criteria = {c.code: c for c in analysis.criteria}
    # Judged criteria only: A3 (a measurement) is left out.
    assert list(criteria) == ["A1", "A2", "B1"] and analysis.measured_criteria == 1
    # 8 entries × 3 judged criteria × 4 judges, less 刘洋's three at station 8.
    assert analysis.marks == 93
    assert [j.marks for j in analysis.judges] == [24, 24, 24, 21]

    # 王芳 on B1: always 1 below the others, d = −1 (station 8 too, with two others).
    wang = judges["王芳"]
    assert wang.cells[criteria["B1"].id].mean == pytest.approx(-1)
    assert wang.modules[analysis.modules[1].id] == pytest.approx(-1)
    # On A1 she is 4/3 below 李强's +4 at station 3 (3 − (7 + 3 + 3)/3 = −4/3): −1/6 a mark.
    assert wang.cells[criteria["A1"].id].mean == pytest.approx(-1 / 6)
    # On A2: ∓1 opposite 张敏's ±3 at stations 1–4, 6, 7 (they cancel), −3 at station 5
    # (10 − (16 + 13 + 10)/3), +1.5 at station 8 (16 − (16 + 13)/2): −1.5 over 8.
    assert wang.cells[criteria["A2"].id].mean == pytest.approx(-1.5 / 8)
    # Module A: −1/6 − 0.1875 = −0.3542 points a sheet.
    assert wang.modules[analysis.modules[0].id] == pytest.approx(-1 / 6 - 0.1875)
    # Scaled: (−4/3 ÷ 10 − 1.5 ÷ 20 − 8 ÷ 10) / 24 = −1.00833 / 24 = −4.20 %.
    assert wang.mean_scaled == pytest.approx((-4 / 30 - 1.5 / 20 - 0.8) / 24)

    # 李强: +4 at A1 station 3; on A2 +5 at station 5 (16 − (10 + 13 + 10)/3), +1.5 at 8.
    li = judges["李强"]
    assert li.cells[criteria["A1"].id].mean == pytest.approx(4 / 8)
    assert li.cells[criteria["A2"].id].mean == pytest.approx(6.5 / 8)
    assert li.outliers == 2
    # 张敏 swings ±3 on A2: 3 × (+3) + 3 × (−3) + 1 (station 5) − 3 (station 8) = −2 over 8;
    # her scaled deviations spread more than those of 王芳 and 刘洋, who are steady.
    zhang = judges["张敏"]
    assert zhang.cells[criteria["A2"].id].mean == pytest.approx(-2 / 8)
    assert zhang.consistency > max(judges["王芳"].consistency, judges["刘洋"].consistency)
    assert sum(j.outliers for j in analysis.judges) == analysis.outliers_total == 2


def test_outliers_are_beyond_two_standard_deviations_of_the_criterion(flowers):
    # A1: d = 4 (李强, station 3) and −4/3 for the three others there, 0 elsewhere;
    # N = 31 marks, Σd² = 16 + 3 × 16/9 = 64/3, SD = √(64/3 / 30) = 0.843, 2 SD = 1.686:
    # 4 is an outlier (and more than 10 % of 10), 4/3 is not.
    # A2: 张敏 ±3 and the others ∓1 at six stations (Σd² 6 × 12 = 72); station 5: 王芳 and
    # 刘洋 −3, 李强 +5, 张敏 +1 (44); station 8: −3, +1.5, +1.5 (13.5): Σd² = 129.5,
    # SD = √(129.5/30) = 2.078, 2 SD = 4.155: 李强's 5 is an outlier, ±3 are not.
    # B1: Σd² = 7 × 4/3 + 1.5 = 10.833, 2 SD = 1.202: 王芳's −1 is none.
    analysis = analyse(db.session, flowers)
    found = sorted((o.code, o.criterion, o.judge, o.points, round(o.others_mean, 4),
                    round(o.deviation, 4)) for o in analysis.outliers)
    assert found == [("HY-103", "A1", "李强", 7.0, 3.0, 4.0),
                     ("HY-105", "A2", "李强", 16.0, 11.0, 5.0)]
    # The largest scaled deviation first: 4/10 before 5/20.
    assert [o.criterion for o in analysis.outliers] == ["A1", "A2"]


def test_the_panels_agreement_over_the_entries_totals(flowers):
    # Totals A1 + A2 + B1 (= 4 × station + 1 for the base marks) at stations 1–7 (刘洋 was
    # recused from 8, which is left out):
    #   王芳 4 8 12 16 20 24 28 · 李强 5 9 17 17 27 25 29 · 张敏 8 6 16 14 24 22 32 ·
    #   刘洋 5 9 13 17 21 25 29.
    # Ranks: 王芳 and 刘洋 1…7; 李强 1 2 3.5 3.5 6 5 7; 张敏 2 1 4 3 6 5 7.
    # R = 5 7 13.5 14.5 22 22 28 (Σ 112), mean 16, S = 121 + 81 + 6.25 + 2.25 + 36 + 36
    # + 144 = 426.5; ties: 李强's one pair, 2³ − 2 = 6.
    # W = 12 × 426.5 / (4² × (7³ − 7) − 4 × 6) = 5118 / 5352 = 0.9563.
    analysis = analyse(db.session, flowers)
    assert (analysis.entries, analysis.complete_entries) == (8, 7)
    assert analysis.kendall.s == 426.5 and analysis.kendall.ties == 6
    assert analysis.kendall.w == pytest.approx(5118 / 5352)
    # ICC(2,1) of the same 7 × 4 table: row sums 22 32 58 64 92 96 118 (T = 482), column
    # sums 112 129 122 119, Σx² = 10226; C = T²/nk = 482²/28 = 8297.2857.
    # Rows: SS = (22² + 32² + … + 118²)/4 − C = 40572/4 − C = 1845.7143, BMS = /6 = 307.6190.
    # Judges: SS = (112² + 129² + 122² + 119²)/7 − C = 58230/7 − C = 21.2857, JMS = /3
    # = 7.0952. Total SS = 10226 − C = 1928.7143; residual = 1928.7143 − 1845.7143
    # − 21.2857 = 61.7143, EMS = /18 = 3.4286.
    # ICC(2,1) = (307.6190 − 3.4286) / (307.6190 + 3 × 3.4286 + 4 × (7.0952 − 3.4286)/7)
    #          = 304.1905 / 320.0000 = 0.9506.
    c = 482 ** 2 / 28
    assert analysis.icc.bms == pytest.approx((40572 / 4 - c) / 6)
    assert analysis.icc.jms == pytest.approx((58230 / 7 - c) / 3)
    assert analysis.icc.ems == pytest.approx((10226 - 40572 / 4 - 58230 / 7 + c) / 18)
    assert round(analysis.icc.bms, 4) == 307.6190 and round(analysis.icc.ems, 4) == 3.4286
    assert analysis.icc.value == pytest.approx(304.1905 / 320.0, abs=1e-5)


def test_flags_name_the_judge_the_module_and_the_points(flowers, client):
    _sign_in(client, "flower_org")
    page = client.get(f"/judge/events/{flowers.id}/analytics")
    assert page.status_code == 200
    flags = re.findall(r"<li>(.*?)</li>", page.text.split("data-flags")[1].split("</ul>")[0],
                       re.S)
    flags = [re.sub(r"\s+", " ", flag).strip() for flag in flags]
    # 王芳: −1.00 a sheet of module B, 10 % of its judged maximum of 10.
    assert any("王芳" in flag and " B " in flag and "1.00" in flag and "10.0" in flag
               for flag in flags), flags
    # 李强: 2 outlying marks of 24 (8.3 %).
    assert any("李强" in flag and "2" in flag and "8.3" in flag for flag in flags), flags
    # Nobody else: 李强's module A is +1.31 points, 4.4 % of 30, under the 5 %.
    assert len(flags) == 2


def test_an_erratic_judge_and_a_panel_that_disagrees_are_flagged():
    """The rules of ``flags`` on figures made up for them: three judges on one criterion
    of 10, none severe on average; 丙 swings ±3 points where 甲 and 乙 swing ±0.5."""
    module = ModuleGroup(1, "A", "模块A", (CriterionColumn(10, "A1", "", 10.0),))

    def judge(judge_id: int, name: str, deviations: list[float]) -> JudgeSummary:
        cell = Cell(summary(deviations), 0, 10.0)
        return JudgeSummary(id=judge_id, name=name, cells={10: cell}, modules={1: cell.mean},
                            scaled=summary(deviations).scaled(1 / 10))

    steady, erratic = [0.5, -0.5] * 4, [3.0, -3.0] * 4
    analysis = JudgeAnalysis(
        event=None, modules=[module],
        judges=[judge(1, "甲", steady), judge(2, "乙", steady), judge(3, "丙", erratic)],
        measured_criteria=0, entries=8, complete_entries=8, kendall=None,
        icc=ICC(value=0.3, n=8, k=3, bms=1.0, jms=1.0, ems=1.0), outliers=[],
        outliers_total=0, flags=[])
    # SDs (scaled): 甲 and 乙 √(8 × 0.25 / 7)/10 = 5.35 %, 丙 √(8 × 9 / 7)/10 = 32.07 %; the
    # median judge's 5.35 %, and 32.07 % ≥ 1.5 × 5.35 %.
    found = [flag.message % flag.params for flag in flags(analysis)]
    assert found == [
        "The panel agrees poorly on the entries' totals: ICC(2,1) = 0.30. Check that the "
        "judges read the marking scheme alike.",
        "丙's marks swing widely: their deviations have a standard deviation of 32.1% of the "
        "maxima, against 5.3% for the panel's median judge.",
    ]


# --- The page, the PDF and the console --------------------------------------------------

def test_the_page_shows_each_judges_figures_and_the_heat_map(flowers, client):
    _sign_in(client, "flower_chief")
    response = client.get(f"/judge/events/{flowers.id}/analytics")
    assert response.status_code == 200
    html = response.text
    assert _figures(html, "kendall-w") == ["0.96"]
    assert _figures(html, "icc") == ["0.95"]
    assert _figures(html, "marks")[1:] == ["24", "24", "24", "21"]
    assert _figures(html, "outliers") == ["2" if name == "李强" else "0"
                                          for _u, name, _w in JUDGES]
    # 王芳's mean scaled deviation −4.20 % and her modules −0.35 and −1.00 points.
    assert _figures(html, "mean")[0] == "-4.2"
    assert _figures(html, "module")[:2] == ["-0.35", "-1.00"]
    # The heat map: 王芳 on B1, −10 % of its maximum, in the strongest shade below.
    heat = html.split('data-table="heatmap"')[1]
    assert re.search(r'class="num heat-lo heat-3"[^>]*><span class="heat-value">-10.0<', heat)
    # Codes only, never a contestant's name.
    names = db.session.scalars(select(Contestant.name).join(Entry).where(
        Entry.event_id == flowers.id)).all()
    assert names and not any(name in html for name in names)
    assert "HY-103" in html and "HY-105" in html


def test_the_pdf_report_prints_the_judges_and_the_agreement(flowers, client, tmp_path):
    _sign_in(client, "flower_org")
    response = client.get(f"/judge/events/{flowers.id}/analytics.pdf")
    pdf = read_pdf(response)
    text = text_of(pdf)
    for _username, name, _unit in JUDGES:
        assert name in text
    assert "插花花艺师" in text and "0.96" in text and "ICC(2,1)" in text
    analysis = analyse(db.session, flowers)
    assert f"{analysis.icc.value:.2f}" in text
    assert "HY-103" in text and "花艺选手" not in text
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm is not installed: the page is not rendered to an image")
    target = tmp_path / "report.pdf"
    target.write_bytes(response.data)
    subprocess.run(["pdftoppm", "-r", "40", "-png", "-f", "1", "-l", "1", str(target),
                    str(tmp_path / "page")], check=True, timeout=60)
    images = list(tmp_path.glob("page*.png"))
    assert images and images[0].stat().st_size > 5000


def test_the_console_links_to_the_analytics_once_locked(scored_tea, client):
    _sign_in(client, builders.CHIEF)
    console = client.get(f"/judge/events/{scored_tea.id}/console")
    assert console.status_code == 200 and 'data-link="judge-analytics"' not in console.text
    # Before the lock: no figures, the PDF is refused.
    page = client.get(f"/judge/events/{scored_tea.id}/analytics")
    assert page.status_code == 200 and 'data-analytics="waiting"' in page.text
    assert 'data-figure=' not in page.text
    assert client.get(f"/judge/events/{scored_tea.id}/analytics.pdf").status_code == 409
    scoring.lock_event(db.session, db.session.scalar(
        select(User).where(User.username == builders.CHIEF)), scored_tea)
    db.session.commit()
    console = client.get(f"/judge/events/{scored_tea.id}/console")
    link = f'href="/judge/events/{scored_tea.id}/analytics"'
    assert 'data-link="judge-analytics"' in console.text and link in console.text
    page = client.get(f"/judge/events/{scored_tea.id}/analytics")
    # The tea panel: 詹丽君 +1, 游春燕 0, 尹志明 −1 on every judged mark (d = ±1.5 and 0).
    assert _figures(page.text, "module") == ["+3.00", "+3.00", "0.00", "0.00",
                                             "-3.00", "-3.00"]


# --- Who may open them ----------------------------------------------------------------

@pytest.mark.parametrize("path", ["analytics", "analytics.pdf"])
def test_only_the_chief_organizers_and_supervisors_open_them(locked_tea, client, path):
    url = f"/judge/events/{locked_tea.id}/{path}"
    assert client.get(url).status_code == 302  # to the sign-in page
    supervisor = builders.user("supervisor", username="jiandu",
                               competition_id=locked_tea.competition_id)
    outsider = builders.user("organizer", username="stranger")
    builders.competition("另一场大赛", organizers=(outsider,))
    db.session.commit()
    for username in (builders.CHIEF, builders.ORGANIZER, builders.ADMIN, supervisor.username):
        _sign_in(client, username)
        assert client.get(url).status_code == 200, username
    # A judge of the event, a judge and the chief judge of another event, an organizer of
    # another competition: nothing.
    for username in (builders.JUDGES[0], builders.OTHER_JUDGE, builders.OTHER_CHIEF,
                     outsider.username):
        _sign_in(client, username)
        response = client.get(url)
        assert response.status_code == 403, username
        assert "data-figure" not in response.text and "游春燕" not in response.text
    _sign_in(client, builders.ORGANIZER)
    assert client.get(f"/judge/events/999999/{path}").status_code == 404


# --- Statements ---------------------------------------------------------------------------

class Statements:
    def __init__(self) -> None:
        self.seen: list[str] = []

    def __call__(self, conn, cursor, statement, *args) -> None:
        self.seen.append(statement)


def _bulk_mark(entry_id: int, judge: int, maximum: Decimal) -> Decimal:
    """A mark of the bulk entries: the entry's level, the odd judges half a step higher,
    and the first judge's full marks on every 13th entry (an outlier)."""
    if entry_id % 13 == 0 and judge == 0:
        return Decimal(maximum)
    return (entry_id % 11 + judge % 2) * Decimal(maximum) / 20


def _add_entries(event: Event, count: int, first_station: int) -> None:
    """``count`` more approved, present entries, each scored by every judge of the panel on
    every module (``_bulk_mark``); inserted in bulk."""
    contestant_ids = db.session.execute(insert(Contestant).returning(Contestant.id), [
        {"competition_id": event.competition_id, "name": f"批量{first_station + n}",
         "id_number": f"4213{first_station + n:014d}", "sex": "F",
         "birth_date": date(1990, 1, 1), "phone": "", "work_unit": f"单位{n % 37}",
         "id_type": "resident_id", "created_at": utcnow()}
        for n in range(count)]).scalars().all()
    entry_ids = db.session.execute(insert(Entry).returning(Entry.id), [
        {"event_id": event.id, "division_id": event.divisions[0].id,
         "contestant_id": contestant_id, "status": "approved", "attendance": "present",
         "source": "import", "token": secrets.token_urlsafe(32),
         "ticket_number": f"QA{first_station + n:06d}", "station": first_station + n,
         "code": f"QA-{first_station + n:04d}", "registered_at": utcnow(), "review_note": ""}
        for n, contestant_id in enumerate(contestant_ids)]).scalars().all()
    judges = db.session.scalars(select(User).where(User.expert_id.in_(
        [m.expert_id for m in event.panel if m.role == PanelRole.JUDGE]))
        .order_by(User.id)).all()
    now = utcnow()
    for module in (m for m in event.modules if m.criteria):
        sheets = db.session.execute(insert(ScoreSheet).returning(
            ScoreSheet.id, ScoreSheet.entry_id, ScoreSheet.judge_id), [
            {"entry_id": entry_id, "module_id": module.id, "judge_id": judge.id,
             "status": "submitted", "source": "tablet", "version": 2,
             "entered_by_id": judge.id, "created_at": now, "updated_at": now,
             "submitted_at": now, "reopened_for_review": False}
            for entry_id in entry_ids for judge in judges]).all()
        order = {judge.id: number for number, judge in enumerate(judges)}
        db.session.execute(insert(Mark), [
            {"sheet_id": sheet_id, "criterion_id": criterion.id,
             "value": value, "points": value, "updated_at": now}
            for sheet_id, entry_id, judge_id in sheets for criterion in module.criteria
            for value in [_bulk_mark(entry_id, order[judge_id], criterion.max_points)]])
    db.session.commit()


def _count(client, url: str) -> int:
    db.session.expunge_all()
    counter = Statements()
    sa_event.listen(db.engine, "before_cursor_execute", counter)
    try:
        response = client.get(url)
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", counter)
    assert response.status_code == 200, url
    return len(counter.seen)


def test_as_many_statements_for_300_entries_as_for_10(locked_tea, client):
    event_id = locked_tea.id
    _add_entries(locked_tea, 4, 7)  # 6 + 4 = 10 entries
    _sign_in(client, builders.CHIEF)
    urls = [f"/judge/events/{event_id}/analytics", f"/judge/events/{event_id}/analytics.pdf"]
    few = [_count(client, url) for url in urls]
    _add_entries(db.session.get(Event, event_id), 290, 11)
    many = [_count(client, url) for url in urls]
    assert many == few
    analysis = analyse(db.session, db.session.get(Event, event_id))
    # Like is compared with like: the 300 entries are all analysed.
    assert analysis.entries == analysis.complete_entries == 300
    assert analysis.outliers_total > 0 and len(analysis.outliers) <= 50
