"""Results exports: the organizers' workbook, the public-notice list and score reports.

The workbook is opened with openpyxl and compared with ``event_results``; the PDFs
are read back with pypdf. What must never leak (full ID numbers and phones on public
papers, names before the scores are locked, another contestant's report) is checked
on the bytes users get.
"""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select

from competition.entries import draws
from competition.entries.idcard import mask_name
from competition.entries.models import Entry
from competition.events.models import Division
from competition.extensions import db
from competition.results import exports
from competition.results.models import Publication, Result
from competition.results.standings import event_results
from tests import builders
from tests.builders import setup_event
from tests.helpers import job_file, user_named

CHINA = ZoneInfo("Asia/Shanghai")
AWARDS = {"first": "一等奖", "second": "二等奖", "third": "三等奖", None: None}


def pdf_text(response) -> str:
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    return "\n".join(page.extract_text() for page in reader.pages)


def workbook(response):
    assert response.status_code == 200, response.status_code
    assert response.mimetype.endswith("spreadsheetml.sheet")
    return load_workbook(io.BytesIO(response.data))


def local(moment) -> str:
    """How the papers print a moment: 2026年11月17日 09:30, China time."""
    moment = moment.astimezone(CHINA)
    return f"{moment.year}年{moment.month}月{moment.day}日 {moment:%H:%M}"


def tea_entries(event) -> dict[int, Entry]:
    return {e.id: e for e in db.session.scalars(select(Entry).where(Entry.event_id == event.id))}


# --- The organizers' workbook ----------------------------------------------------------

def test_the_workbook_holds_every_result_with_personal_details_as_numbers(
        published_tea, client, auth):
    auth.login(builders.ORGANIZER)
    book = workbook(job_file(client, f"/events/{published_tea.id}/results/export"))

    assert book.sheetnames == [d.name for d in published_tea.divisions]  # not drafts
    sheet = book[published_tea.divisions[0].name]
    header = [c.value for c in sheet[1]]
    modules = published_tea.modules
    assert header == ["名次", "加密号", "准考证号", "姓名", "性别", "身份证号", "手机号",
                      "工作单位", *[f"{m.code} {m.name}（{m.weight.normalize():f}%）"
                                    for m in modules],
                      "扣分", "总分", "奖项", "称号", "发布状态"]
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["F"].width >= 18  # an ID number fits

    entries = tea_entries(published_tea)
    results = {r.entry_id: r for r in event_results(db.session, published_tea.id)}
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(rows) == len(results)
    ranks = [row[0] for row in rows]
    assert ranks == sorted(ranks)
    by_code = {entries[r].code: r for r in results}
    first_module = len(header) - 5 - len(modules)
    for row in rows:
        result = results[by_code[row[1]]]
        person = entries[result.entry_id].contestant
        assert row[0] == result.rank and isinstance(row[0], int)
        assert row[2] == entries[result.entry_id].ticket_number
        assert (row[3], row[5], row[6], row[7]) == (person.name, person.id_number,
                                                    person.phone, person.work_unit)
        assert row[4] == {"M": "男", "F": "女"}[person.sex]
        for offset, module in enumerate(modules):
            assert row[first_module + offset] == pytest.approx(
                float(result.module_scores[module.id]), abs=0.005)
        penalty, total, award, title, status = row[-5:]
        assert isinstance(total, float | int) and total == pytest.approx(float(result.total))
        assert penalty == pytest.approx(float(result.penalty_points))
        assert award == AWARDS[result.award]
        assert title == (published_tea.title_name if result.has_title else None)
        assert status == "公示中"
    assert any(row[-2] for row in rows), "some contestants hold the title"


def test_before_publication_the_workbook_is_the_draft_and_there_is_no_notice_list(
        locked_tea, client, auth):
    division = locked_tea.divisions[0]
    assert client.get(f"/divisions/{division.id}/notice.pdf").status_code == 404
    assert client.get("/divisions/999999/notice.pdf").status_code == 404
    auth.login(builders.ORGANIZER)
    assert client.get(f"/divisions/{division.id}/notice.pdf").status_code == 404
    book = workbook(job_file(client, f"/events/{locked_tea.id}/results/export"))
    assert book.sheetnames == [f"{d.name}（草稿）" for d in locked_tea.divisions]
    rows = list(book.worksheets[0].iter_rows(min_row=2, values_only=True))
    assert rows and {row[-1] for row in rows} == {"草稿（未发布）"}
    totals = sorted((r.total for r in event_results(db.session, locked_tea.id)), reverse=True)
    assert [Decimal(str(row[-4])) for row in rows] == totals


def test_names_stay_hidden_in_the_draft_until_the_scores_are_locked(app, client, login_as):
    organizer = login_as("organizer")
    _, event = setup_event(organizer, divisions=("职工组", "学生组"), entries=(2, 1))
    draws.draw_lots(db.session, event, None, organizer, "A")
    db.session.commit()

    book = workbook(job_file(client, f"/events/{event.id}/results/export"))
    assert book.sheetnames == ["职工组（草稿）", "学生组（草稿）"]
    codes = set()
    for sheet in book.worksheets:
        for row in sheet.iter_rows(min_row=2, values_only=True):
            codes.add(row[1])
            assert row[2:8] == (None,) * 6  # ticket, name, sex, ID, phone, work unit
    assert codes == {e.code for e in db.session.scalars(select(Entry))}

    entry = db.session.scalar(select(Entry).order_by(Entry.id))
    text = pdf_text(client.get(f"/entries/{entry.id}/score-report.pdf"))
    assert "成绩单（草稿）" in text and "草稿（成绩尚未发布）" in text
    assert entry.code in text and entry.contestant.name not in text


# Who may open what: (url, who, status); None is an anonymous visitor, 302 the login page.
# The judge and the chief judge are 茶艺师's; the other chief judge is another event's.
ACCESS = [
    ("xlsx", None, 302), ("xlsx", builders.JUDGES[0], 403), ("xlsx", builders.CHIEF, 403),
    ("xlsx", builders.ORGANIZER, 200),
    ("report", None, 302), ("report", builders.JUDGES[0], 403),
    ("report", builders.OTHER_CHIEF, 403),
    ("report", builders.CHIEF, 200), ("report", builders.ORGANIZER, 200),
    ("notice", None, 200), ("my_report", None, 200),
]


def test_who_may_open_each_export(published_tea, client, auth):
    entry = db.session.scalar(select(Entry).where(Entry.event_id == published_tea.id))
    urls = {"xlsx": f"/events/{published_tea.id}/results/export",  # a job's button
            "report": f"/entries/{entry.id}/score-report.pdf",
            "notice": f"/divisions/{entry.division_id}/notice.pdf",
            "my_report": f"/r/{entry.token}/score-report.pdf"}
    for kind, who, status in ACCESS:
        if who:
            auth.login(who)
        if kind == "xlsx":
            response = job_file(client, urls[kind]) if status == 200 \
                else client.post(urls[kind])
        else:
            response = client.get(urls[kind])
        assert response.status_code == status, (kind, who)
        if status == 302:
            assert "/login" in response.headers["Location"]
        if status == 200 and kind != "notice":
            assert response.headers["Cache-Control"] == "private, no-store"
        if who:
            auth.logout()


# --- The public-notice list ---------------------------------------------------------------

def test_the_notice_list_is_public_with_dates_and_never_an_id_number(published_tea, client):
    division = published_tea.divisions[0]
    publication = db.session.scalar(select(Publication).where(
        Publication.division_id == division.id))
    response = client.get(f"/divisions/{division.id}/notice.pdf")
    text = pdf_text(response)

    competition = published_tea.competition
    for expected in (competition.name, "茶艺师", division.name, "成绩公示名单",
                     local(publication.published_at), local(publication.notice_ends_at),
                     local(publication.appeal_deadline), "扫描本人准考证上的二维码",
                     competition.host, "第 1 页，共 1 页"):
        assert expected in text, expected
    published = db.session.execute(select(Result, Entry).join(
        Entry, Entry.id == Result.entry_id).where(Result.publication_id == publication.id)).all()
    assert published
    for result, entry in published:
        person = entry.contestant
        assert f"{result.total:.2f}" in text
        assert person.id_number not in text and person.id_number[-6:] not in text
        assert person.phone not in text
        assert person.work_unit in text
        assert person.name not in text  # the competition shows names masked
        assert mask_name(person.name) in text

    published_tea.competition.name_display = "full"
    db.session.commit()
    text = pdf_text(client.get(f"/divisions/{division.id}/notice.pdf"))
    assert all(entry.contestant.name in text for _, entry in published)


def test_a_long_notice_list_runs_over_pages_numbered_with_their_total(app):
    lines = tuple(exports.NoticeLine(rank=str(n), name=f"张*{n}", work_unit="咸宁市社会福利院",
                                     total=f"{100 - n / 10:.2f}", award="")
                  for n in range(1, 121))
    notice = exports.Notice(competition="咸宁市第七届“咸宁工匠”职业技能大赛", event="养老护理员",
                            division="职工组", period="—", appeal_deadline="—", final=True,
                            issuer="咸宁市人力资源和社会保障局", issued_on="2026年11月22日",
                            lines=lines)
    with app.test_request_context():
        reader = PdfReader(io.BytesIO(exports.notice_pdf(notice)))
    pages = [page.extract_text() for page in reader.pages]
    assert len(pages) >= 3
    for number, text in enumerate(pages, start=1):
        assert f"第 {number} 页，共 {len(pages)} 页" in text
    assert "张*120" in pages[-1] and "咸宁市人力资源和社会保障局" in pages[-1]
    assert "公示期已满" in pages[0]


# --- Score reports ---------------------------------------------------------------------

def test_the_organizers_score_report_shows_modules_total_and_rank(
        published_tea, app, client, auth):
    result = db.session.scalar(select(Result).where(Result.rank == 1))
    entry = db.session.get(Entry, result.entry_id)
    ranked = len(db.session.scalars(select(Result).where(Result.rank.is_not(None))).all())
    auth.login(builders.ORGANIZER)
    text = pdf_text(client.get(f"/entries/{entry.id}/score-report.pdf"))
    for expected in ("成绩单", entry.contestant.name, entry.ticket_number, "茶艺师",
                     entry.division.name, f"{result.total:.2f}",
                     f"第 1 名（共 {ranked} 人）", "一等奖", "公示中"):
        assert expected in text, expected
    for module in published_tea.modules:
        assert f"{module.code} {module.name}" in text
        assert f"{Decimal(result.module_scores[str(module.id)]):.2f}" in text
    assert "草稿" not in text
    assert entry.contestant.id_number not in text and entry.contestant.phone not in text

    # Dates are printed in China time.
    publication = db.session.scalar(select(Publication).where(
        Publication.division_id == entry.division_id))
    assert local(publication.notice_ends_at) in text
    printed = publication.published_at + timedelta(hours=20)
    with app.test_request_context():
        report = exports.score_report_of(db.session, entry, printed)
    assert report.printed_at == local(printed)


def test_a_contestant_downloads_their_own_report_once_published(locked_tea, client):
    entry, other = db.session.scalars(select(Entry).where(
        Entry.event_id == locked_tea.id).order_by(Entry.id).limit(2)).all()
    url = f"/r/{entry.token}/score-report.pdf"
    assert client.get(url).status_code == 404  # not published yet

    from competition.results import publishing

    division = db.session.get(Division, entry.division_id)
    publishing.publish(db.session, user_named(builders.ORGANIZER), division)
    db.session.commit()
    text = pdf_text(client.get(url))
    person = entry.contestant
    result = db.session.scalar(select(Result).where(Result.entry_id == entry.id))
    assert person.name in text and f"{result.total:.2f}" in text
    assert person.id_number[:4] + "*" in text  # masked
    assert person.id_number not in text and person.phone not in text
    assert other.contestant.name not in text

    # Only the token opens a report: a guessed or shortened one finds nothing.
    guessed = entry.token[:-1] + ("A" if entry.token[-1] != "A" else "B")
    assert client.get(f"/r/{guessed}/score-report.pdf").status_code == 404
    assert client.get(f"/r/{other.id}/score-report.pdf").status_code == 404
    assert client.get("/r/" + "A" * 43 + "/score-report.pdf").status_code == 404
