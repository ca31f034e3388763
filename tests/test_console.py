"""The chief judge's console: matrix, counts, flags, reopening, penalties, lock, decode, log."""

from datetime import date
from decimal import Decimal as D  # noqa: N817 — short in tables of values

import pytest
from sqlalchemy import func, select

from competition.audit.log import verify_chain
from competition.audit.models import AuditEvent
from competition.entries.idcard import make_id_number
from competition.entries.models import Contestant, Entry
from competition.events.models import Expert, PanelMember
from competition.extensions import db
from competition.judging import scoring
from competition.judging.models import Penalty, ScoreSheet
from competition.judging.scoring import MarkChange
from tests import builders

CONTESTANTS = (("张三丰", "咸宁市温泉养老院", 1, "YL-101"),
               ("李四娟", "赤壁市福利院", 2, "YL-102"),
               ("王五梅", "咸宁市中心医院", 3, "YL-103"))


class Scene:
    """A small event ready to score: a chief, three judges, three entries, one module.

    Judge 柯美玲 works at 咸宁市中心医院, like 王五梅, so she is recused from YL-103.
    """

    def __init__(self):
        self.organizer = builders.user("organizer", username="zuwei")
        self.competition = builders.competition("咸宁市技能大赛", organizers=(self.organizer,))
        self.event = builders.event(self.competition, "养老护理员")
        self.module = builders.module(self.event, criteria=(
            ("A1", 10, "judgement"), ("A2", 5, "measurement")))
        self.a1, self.a2 = self.module.criteria
        division = self.event.divisions[0]
        self.chief = self._panel_user("caipanzhang", "余丽萍", "咸宁市第一人民医院", "chief")
        self.judges = [self._panel_user(u, n, w, "judge") for u, n, w in (
            ("judge_tian", "田慧", "湖北职业技术学院"),
            ("judge_xiong", "熊春华", "咸宁市养老服务指导中心"),
            ("judge_ke", "柯美玲", "咸宁市中心医院"))]
        self.entries = []
        for number, (name, unit, station, code) in enumerate(CONTESTANTS, start=1):
            person = Contestant(competition_id=self.event.competition_id, name=name,
                                id_number=make_id_number(
                "421202", date(1985, 3, number), 10 + 2 * number, "F"), sex="F",
                birth_date=date(1985, 3, number), work_unit=unit)
            db.session.add(person)
            db.session.flush()
            entry = Entry(event_id=self.event.id, division_id=division.id,
                          contestant_id=person.id, station=station, code=code)
            db.session.add(entry)
            self.entries.append(entry)
        db.session.commit()

    def _panel_user(self, username, name, unit, role):
        expert = Expert(name=name, work_unit=unit)
        db.session.add(expert)
        db.session.flush()
        db.session.add(PanelMember(event_id=self.event.id, expert_id=expert.id, role=role))
        return builders.user("judge", username=username, display_name=name,
                             expert_id=expert.id)

    def score(self, judge, entry, a1=D(8), a2=D(5), submit=True):
        sheet = scoring.open_sheet(db.session, judge, entry, self.module)
        changes = [MarkChange(self.a1.id, a1)]
        if a2 is not None:
            changes.append(MarkChange(self.a2.id, a2))
        scoring.save_marks(db.session, judge, sheet, changes)
        if submit:
            scoring.submit_sheet(db.session, judge, sheet)
        db.session.commit()
        return sheet

    def score_everything(self, a1=lambda judge: D(8)):
        for judge in self.judges:
            for entry in self.entries:
                if judge.username == "judge_ke" and entry.code == "YL-103":
                    continue
                self.score(judge, entry, a1=a1(judge))

    def key(self, entry, judge):
        return f"{entry.id}-{self.module.id}-{judge.id}"


@pytest.fixture
def scene(app):
    return Scene()


def console_url(scene, suffix=""):
    return f"/judge/events/{scene.event.id}/console{suffix}"


def cell_state(html, key):
    marker = f'data-cell="{key}"'
    start = html.index(marker)
    state = html.index('data-state="', start) + len('data-state="')
    return html[state:html.index('"', state)]


def said(message, **params):
    """A service's message as the page shows it: in the user's language, HTML-escaped."""
    from flask_babel import gettext
    from markupsafe import escape

    return str(escape(gettext(message, **params)))


def audit_actions():
    """The actions on record, without the rows' recorded states (``audit.state``)."""
    return list(db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.action.not_like("state.%")).order_by(AuditEvent.id)))


# --- The matrix ---------------------------------------------------------------------

def test_the_console_shows_each_sheet_state_and_per_judge_counts(scene, client, auth):
    tian, xiong, ke = scene.judges
    yl101, yl102, yl103 = scene.entries
    scene.score(tian, yl101)
    scene.score(tian, yl102)
    scene.score(xiong, yl101, a2=None, submit=False)  # a draft with one mark
    auth.login("caipanzhang")
    response = client.get(console_url(scene))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "裁判长控制台 · 养老护理员" in html
    assert cell_state(html, scene.key(yl101, tian)) == "submitted"
    assert cell_state(html, scene.key(yl101, xiong)) == "draft"
    assert cell_state(html, scene.key(yl102, xiong)) == "not_started"
    assert cell_state(html, scene.key(yl103, ke)) == "recused"
    for code in ("YL-101", "YL-102", "YL-103"):
        assert code in html
    # Per judge: submitted of expected; 柯美玲 expects two (she is recused from one).
    assert "2 / 3" in html and "0 / 2" in html
    assert '<span data-figure="submitted">2</span> / <span data-figure="expected">8</span>' \
        in html
    assert '<strong data-figure="missing">6</strong>' in html
    # Anonymity: before the lock no name or work unit of a contestant shows.
    for name, unit, _station, _code in CONTESTANTS:
        assert name not in html and unit not in html


def test_the_refresh_data_gives_cells_counts_and_flags(scene, client, auth):
    tian = scene.judges[0]
    sheet = scene.score(tian, scene.entries[0])
    auth.login("caipanzhang")
    answer = client.get(console_url(scene, "/data")).get_json()
    cell = answer["cells"][scene.key(scene.entries[0], tian)]
    assert cell == {"state": "submitted", "sheet": sheet.id, "flag": None}
    assert answer["cells"][scene.key(scene.entries[2], scene.judges[2])]["state"] == "recused"
    assert (answer["submitted"], answer["expected"], answer["missing"]) == (1, 8, 7)
    assert answer["locked"] is False
    assert "1 / 3" in answer["html"]["summary"]
    for name, unit, _station, _code in CONTESTANTS:
        assert name not in str(answer) and unit not in str(answer)


def test_spreads_block_and_outliers_inform_with_their_values(scene, client, auth):
    scene.a1.entry_mode = "scale_0_3"
    db.session.commit()
    tian, xiong, ke = scene.judges
    yl101, yl102, _ = scene.entries
    scene.score(tian, yl101, a1=D(0))
    scene.score(xiong, yl101, a1=D(3))
    # An outlier on the measurement-free points criterion is judgement-only, so make A2
    # judgement on a points scale for the second entry: 5, 5 and 0.
    scene.a2.kind = "judgement"
    db.session.commit()
    scene.score(tian, yl102, a1=D(1), a2=D(5))
    scene.score(xiong, yl102, a1=D(1), a2=D(5))
    scene.score(ke, yl102, a1=D(1), a2=D(0))
    auth.login("caipanzhang")
    html = client.get(console_url(scene)).get_data(as_text=True)
    assert "分差大于1：锁定前须重新评分" in html
    assert "偏离其他裁判（提请注意）" in html
    spread = html[html.index("分差大于1：锁定前须重新评分"):]
    spread = spread[:spread.index("</li>")]
    assert "YL-101" in spread and "田慧 <strong>0</strong>" in spread \
        and "熊春华 <strong>3</strong>" in spread
    outlier = html[html.index("偏离其他裁判（提请注意）"):]
    outlier = outlier[:outlier.index("</li>")]
    assert "YL-102" in outlier and 'class="flag-value odd"' in outlier
    assert "fl-spread" in html and "fl-outlier" in html
    data = client.get(console_url(scene, "/data")).get_json()
    assert data["blocking"] == 1
    assert data["cells"][scene.key(yl101, tian)]["flag"] == "spread"
    assert data["cells"][scene.key(yl102, ke)]["flag"] == "outlier"


def test_judges_reading_an_objective_criterion_differently_are_flagged(scene, client, auth):
    """A2 is a measurement out of 5: judges who entered 5, 2 and 5 read it differently,
    which the console shows (it is no judgement call to average away)."""
    tian, xiong, ke = scene.judges
    yl101 = scene.entries[0]
    scene.score(tian, yl101, a2=D(5))
    scene.score(xiong, yl101, a2=D(2))
    scene.score(ke, yl101, a2=D(5))
    auth.login("caipanzhang")
    html = client.get(console_url(scene)).get_data(as_text=True)
    assert "提交的分数一致" not in html
    flag = html[html.index("客观评分项读数不一致"):]
    flag = flag[:flag.index("</li>")]
    assert "YL-101" in flag and "<strong>A2</strong>" in flag
    assert flag.count('class="flag-value odd"') == 1 and "熊春华 <strong>2</strong>" in flag
    data = client.get(console_url(scene, "/data")).get_json()
    assert data["blocking"] == 0
    assert data["cells"][scene.key(yl101, xiong)]["flag"] == "outlier"


# --- Who may open it ----------------------------------------------------------------

@pytest.mark.parametrize("path", ["", "/data", "/audit", "/decode"])
def test_judges_of_the_event_and_strangers_get_403(scene, client, auth, path):
    other_organizer = builders.user("organizer", username="bieren")
    db.session.commit()
    for username in ("judge_tian", "bieren"):
        auth.login(username)
        assert client.get(console_url(scene, path)).status_code == 403
        auth.logout()
    assert client.get(console_url(scene, path)).status_code == 302  # to the sign-in page
    assert other_organizer.id


def test_organizers_look_on_read_only(scene, client, auth):
    sheet = scene.score(scene.judges[0], scene.entries[0])
    auth.login("zuwei")
    html = client.get(console_url(scene)).get_data(as_text=True)
    assert "只有裁判长可以" in html
    assert "reopen-link" not in html and "添加扣分" not in html and "锁定成绩</button>" not in html
    assert client.post(console_url(scene, f"/sheets/{sheet.id}/reopen"),
                       data={"reason": "复核"}).status_code == 403
    assert client.post(console_url(scene, "/penalties"), data={
        "entry_id": scene.entries[0].id, "module_id": 0, "points": "2",
        "reason": "超时"}).status_code == 403
    assert client.post(console_url(scene, "/lock"), data={"confirm": "y"}).status_code == 403
    assert db.session.get(ScoreSheet, sheet.id).status == "submitted"
    assert db.session.scalar(select(func.count(Penalty.id))) == 0


def test_the_chief_judge_of_another_event_gets_403(scene, client, auth):
    other = builders.event(scene.competition, "育婴员", occupation=builders.occupation(
        "育婴员", "4-10-01-02"))
    expert = Expert(name="雷晓云", work_unit="咸宁市茶叶协会")
    db.session.add(expert)
    db.session.flush()
    db.session.add(PanelMember(event_id=other.id, expert_id=expert.id, role="chief"))
    builders.user("judge", username="leixiaoyun", expert_id=expert.id)
    db.session.commit()
    auth.login("leixiaoyun")
    assert client.get(console_url(scene)).status_code == 403
    assert client.get(f"/judge/events/{other.id}/console").status_code == 200


# --- Actions ------------------------------------------------------------------------

def test_reopening_a_sheet_needs_a_reason_and_is_logged(scene, client, auth):
    sheet = scene.score(scene.judges[0], scene.entries[0])
    auth.login("caipanzhang")
    url = console_url(scene, f"/sheets/{sheet.id}/reopen")
    page = client.get(url).get_data(as_text=True)
    assert "YL-101" in page and "田慧" in page and "张三丰" not in page
    response = client.post(url, data={"reason": "  "})
    assert response.status_code == 422
    assert db.session.get(ScoreSheet, sheet.id).status == "submitted"
    assert "sheet.reopen" not in audit_actions()
    response = client.post(url, data={"reason": "选手申诉后复核"}, follow_redirects=True)
    assert "已重新打开" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(ScoreSheet, sheet.id).status == "draft"
    record = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "sheet.reopen"))
    assert record.reason == "选手申诉后复核" and record.actor_id == scene.chief.id
    html = client.get(console_url(scene)).get_data(as_text=True)
    assert cell_state(html, scene.key(scene.entries[0], scene.judges[0])) == "draft"
    # A draft cannot be reopened again: the service refuses and nothing changes.
    response = client.post(url, data={"reason": "再次"}, follow_redirects=True)
    assert said("Only a submitted sheet can be reopened.") in response.get_data(as_text=True)
    assert audit_actions().count("sheet.reopen") == 1


def test_a_sheet_of_another_event_cannot_be_reopened_here(scene, client, auth):
    other = builders.event(scene.competition, "育婴员", occupation=builders.occupation(
        "育婴员", "4-10-01-02"))
    db.session.commit()
    sheet = scene.score(scene.judges[0], scene.entries[0])
    db.session.add(PanelMember(event_id=other.id, expert_id=scene.chief.expert_id,
                               role="chief"))
    db.session.commit()
    auth.login("caipanzhang")
    response = client.post(f"/judge/events/{other.id}/console/sheets/{sheet.id}/reopen",
                           data={"reason": "复核"})
    assert response.status_code == 404
    assert db.session.get(ScoreSheet, sheet.id).status == "submitted"


def test_penalties_are_added_and_withdrawn_with_reasons(scene, client, auth):
    auth.login("caipanzhang")
    entry = scene.entries[1]
    bad = client.post(console_url(scene, "/penalties"), data={
        "entry_id": entry.id, "module_id": 0, "points": "0", "reason": "超时"})
    assert bad.status_code == 422
    no_reason = client.post(console_url(scene, "/penalties"), data={
        "entry_id": entry.id, "module_id": scene.module.id, "points": "2", "reason": ""})
    assert no_reason.status_code == 422
    assert db.session.scalar(select(func.count(Penalty.id))) == 0
    response = client.post(console_url(scene, "/penalties"), data={
        "entry_id": entry.id, "module_id": scene.module.id, "points": "2.5",
        "reason": "操作超时2分钟"}, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "YL-102 扣 2.5 分" in html
    penalty = db.session.scalar(select(Penalty))
    assert (penalty.entry_id, penalty.module_id, penalty.points, penalty.reason) == (
        entry.id, scene.module.id, D("2.5"), "操作超时2分钟")
    assert "操作超时2分钟" in html
    url = console_url(scene, f"/penalties/{penalty.id}/withdraw")
    client.post(url, data={"reason": ""})
    db.session.expire_all()
    assert db.session.get(Penalty, penalty.id).withdrawn_at is None
    response = client.post(url, data={"reason": "计时有误"}, follow_redirects=True)
    assert "已撤销" in response.get_data(as_text=True)
    db.session.expire_all()
    penalty = db.session.get(Penalty, penalty.id)
    assert penalty.withdrawn_at is not None and penalty.withdraw_reason == "计时有误"
    assert audit_actions() == ["penalty.add", "penalty.withdraw"]


def test_the_lock_is_refused_while_sheets_are_missing(scene, client, auth):
    scene.score(scene.judges[0], scene.entries[0])
    auth.login("caipanzhang")
    without_tick = client.post(console_url(scene, "/lock"), data={}, follow_redirects=True)
    assert "请勾选确认" in without_tick.get_data(as_text=True)
    response = client.post(console_url(scene, "/lock"), data={"confirm": "y"},
                           follow_redirects=True)
    assert said("%(n)s sheets are not submitted yet.", n=7) in response.get_data(as_text=True)
    db.session.expire_all()
    assert scene.event.scores_locked_at is None
    assert "event.lock" not in audit_actions()


def test_decoding_is_refused_before_the_lock(scene, client, auth):
    auth.login("caipanzhang")
    response = client.get(console_url(scene, "/decode"), follow_redirects=True)
    html = response.get_data(as_text=True)
    assert said("Codes are decoded only after the chief judge locks the scores.") in html
    assert "张三丰" not in html
    assert "entry.decode" not in audit_actions()


def test_lock_then_decode_shows_names_and_logs_it(scene, client, auth):
    scene.score_everything()
    auth.login("caipanzhang")
    html = client.get(console_url(scene)).get_data(as_text=True)
    assert "张三丰" not in html
    response = client.post(console_url(scene, "/lock"), data={"confirm": "y"},
                           follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "成绩已锁定" in html
    assert "张三丰" not in html  # the console itself still shows codes only
    db.session.expire_all()
    assert scene.event.scores_locked_by_id == scene.chief.id
    decoded = client.get(console_url(scene, "/decode"))
    page = decoded.get_data(as_text=True)
    assert decoded.status_code == 200
    for name, unit, _station, code in CONTESTANTS:
        assert name in page and unit in page and code in page
    assert audit_actions()[-2:] == ["event.lock", "entry.decode"]
    # The organizer may read the names too; each reading is logged.
    auth.logout()
    auth.login("zuwei")
    assert "李四娟" in client.get(console_url(scene, "/decode")).get_data(as_text=True)
    assert audit_actions().count("entry.decode") == 2
    assert verify_chain(db.session) is None


def test_the_lock_is_refused_while_a_spread_waits_for_a_rescore(scene, client, auth):
    scene.a1.entry_mode = "scale_0_3"
    db.session.commit()
    values = {"judge_tian": D(0), "judge_xiong": D(2), "judge_ke": D(1)}
    scene.score_everything(a1=lambda judge: values[judge.username])
    auth.login("caipanzhang")
    response = client.post(console_url(scene, "/lock"), data={"confirm": "y"},
                           follow_redirects=True)
    assert said("Some marks differ by more than 1 on the 0–3 scale: reopen those sheets for a "
                "re-score first.") in response.get_data(as_text=True)
    db.session.expire_all()
    assert scene.event.scores_locked_at is None


# --- The audit page -----------------------------------------------------------------

def test_the_audit_page_lists_the_events_records_newest_first_in_words(scene, client, auth):
    sheet = scene.score(scene.judges[0], scene.entries[0])
    scoring.reopen_sheet(db.session, scene.chief, sheet, "复核评分")
    db.session.commit()
    auth.login("zuwei")
    response = client.get(console_url(scene, "/audit"))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    html = html[html.index("<tbody>"):]
    reopened = html.index("重新打开评分表")
    submitted = html.index("提交评分表")
    entered = html.index("录入分数")
    assert reopened < submitted < entered  # newest first
    assert "复核评分" in html and "余丽萍" in html and "田慧" in html
    assert "YL-101 · A · 田慧 · A1" in html
    assert "状态: 已提交 → 状态: 草稿" in html
    assert "张三丰" not in html


def test_the_lock_is_refused_while_theory_scores_are_missing(scene, client, auth):
    """A theory module is marked outside the sheets: locking waits for every scored entry's
    theory score, and names the entries without one."""
    from competition.events.models import Module
    from competition.judging.models import ExternalScore

    theory = Module(event_id=scene.event.id, code="T", name="理论知识", kind="theory",
                    weight=D(20), position=-1)
    db.session.add(theory)
    db.session.commit()
    scene.score_everything()
    db.session.add(ExternalScore(entry_id=scene.entries[0].id, module_id=theory.id,
                                 score=D(75)))
    db.session.commit()
    auth.login("caipanzhang")
    response = client.post(console_url(scene, "/lock"), data={"confirm": "y"},
                           follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "成绩尚不能锁定" in html
    assert "YL-102 没有理论知识的成绩" in html and "YL-103 没有理论知识的成绩" in html
    assert "YL-101 没有" not in html
    db.session.expire_all()
    assert scene.event.scores_locked_at is None
    for entry in scene.entries[1:]:
        db.session.add(ExternalScore(entry_id=entry.id, module_id=theory.id, score=D(0)))
    db.session.commit()
    response = client.post(console_url(scene, "/lock"), data={"confirm": "y"},
                           follow_redirects=True)
    assert "成绩已锁定" in response.get_data(as_text=True)
