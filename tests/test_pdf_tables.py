"""Tables in the PDFs flow over pages (ReportLab's Platypus, through ``competition.pdf``).

A long public-notice list and a long paper score sheet are built from plain values and
read back with pypdf: every row prints once, the header row and the head of the paper
repeat on every page, each page says which of how many it is, and no text runs off the
page.
"""

from __future__ import annotations

import io
import re

import pytest
from flask import session
from pypdf import PdfReader
from reportlab.pdfbase import pdfmetrics

from competition.judging.paper_pdf import BlankSheet, SheetLine, build_pdf
from competition.pdf import FONT_NAME, PagedDocument, Section, ensure_font, grid_table, para
from competition.results import exports

COMPETITION = "咸宁市第七届“咸宁工匠”职业技能大赛"
ISSUER = "咸宁市人力资源和社会保障局"
UNIT_TEXT = ("咸宁市社会福利院老年护理服务中心康复护理部第二护理单元与社区居家养老服务指导站"
             "联合培训基地暨职业技能等级认定考核点")


def work_unit(n: int) -> str:
    """A 60-character work unit that names its row at both ends, so no row's text is
    part of another's."""
    tag = f"〔{n:03d}〕"
    unit = tag + UNIT_TEXT[:60 - 2 * len(tag)] + tag
    assert len(unit) == 60
    return unit


def squeezed(text: str) -> str:
    """The text without whitespace: pypdf breaks a wrapped cell's lines apart."""
    return re.sub(r"\s+", "", text)


def read(data: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(data))


def text_outside_the_page(page) -> list[str]:
    """Every line of text that starts or ends outside the page's box. pypdf reports the
    pieces of one line (a piece per font subset) at the line's start, so pieces reported
    at one place are measured together."""
    ensure_font()
    box = page.mediabox
    width, height = float(box.width), float(box.height)
    lines: dict[tuple[float, float], list] = {}

    def visit(text, cm, tm, _font, size):
        if not text.strip():
            return
        x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        line = lines.setdefault((round(x, 1), round(y, 1)), ["", size, (tm[0] * cm[0]) or 1])
        line[0] += text.replace("\n", "")

    page.extract_text(visitor_text=visit)
    outside = []
    for (x, y), (text, size, scale) in lines.items():
        right = x + pdfmetrics.stringWidth(text, FONT_NAME, size) * scale
        if not (0 <= x and right <= width and 0 <= y - size * 0.25 and y + size <= height):
            outside.append(f"{text!r} at ({x:.0f}, {y:.0f}) to {right:.0f}")
    assert lines, "no text found"
    return outside


def long_notice(rows: int = 300) -> exports.Notice:
    lines = tuple(exports.NoticeLine(rank=str(n), name=f"张*{n:03d}", work_unit=work_unit(n),
                                     total=f"{100 - n / 100:.2f}",
                                     award="三等奖" if n <= 90 else "")
                  for n in range(1, rows + 1))
    return exports.Notice(
        competition=COMPETITION, event="养老护理员", division="职工组",
        period="2026年11月20日 09:00 至 2026年11月25日 17:00",
        appeal_deadline="2026年11月25日 17:00", final=True, issuer=ISSUER,
        issued_on="2026年11月22日", lines=lines,
        seals=("公示时审计链校验值，2026年11月20日 09:00：" + "0123456789abcdef" * 4,))


# --- The public-notice list -----------------------------------------------------------

def test_300_rows_flow_over_pages_each_once_under_a_repeated_header(app):
    with app.test_request_context():
        reader = read(exports.notice_pdf(long_notice()))
    pages = [page.extract_text() for page in reader.pages]
    assert len(pages) > 5
    for number, text in enumerate(pages, start=1):
        for header in ("名次", "姓名", "工作单位", "总分", "奖项"):
            assert header in text, (number, header)
        assert f"第 {number} 页，共 {len(pages)} 页" in text
        assert COMPETITION in text and "养老护理员（职工组）成绩公示名单" in squeezed(text)
        if number > 1:
            assert "（续）" in text
        assert not text_outside_the_page(reader.pages[number - 1]), number
    everything = squeezed("\n".join(pages))
    for n in range(1, 301):
        assert everything.count(f"张*{n:03d}") == 1, n
        assert everything.count(work_unit(n)) == 1, n
        assert everything.count(f"{100 - n / 100:.2f}") == 1, n
    # The first page states the notice period; the issuer and the seal end the list.
    assert "公示期已满" in pages[0] and "公示期已满" not in pages[1]
    assert ISSUER in pages[-1] and "0123456789abcdef" * 4 in squeezed(pages[-1])
    assert everything.index("张*300") < everything.index(squeezed(ISSUER))


def test_an_english_notice_repeats_its_english_header(app):
    with app.test_request_context():
        session["lang"] = "en"
        reader = read(exports.notice_pdf(long_notice(80)))
    pages = [page.extract_text() for page in reader.pages]
    assert len(pages) >= 2
    for number, text in enumerate(pages, start=1):
        assert "Rank" in text and "Work unit" in text, number
        assert f"Page {number} of {len(pages)}" in text
        assert not text_outside_the_page(reader.pages[number - 1]), number


def test_text_prints_as_typed_even_with_markup_characters(app):
    lines = (exports.NoticeLine(rank="1", name="李<四>", work_unit="A&B 研究所 <第一分部>",
                                total="99.00", award="一等奖 & 称号"),)
    notice = exports.Notice(competition="R&D <大赛>", event="车工", division="职工组",
                            period="—", appeal_deadline="—", final=False, issuer=ISSUER,
                            issued_on="2026年11月22日", lines=lines)
    with app.test_request_context():
        text = "\n".join(p.extract_text() for p in read(exports.notice_pdf(notice)).pages)
    for expected in ("李<四>", "A&B 研究所 <第一分部>", "一等奖 & 称号", "R&D <大赛>"):
        assert expected in text, expected


def test_an_empty_notice_says_there_are_no_results(app):
    notice = exports.Notice(competition=COMPETITION, event="车工", division="学生组",
                            period="—", appeal_deadline="—", final=False, issuer=ISSUER,
                            issued_on="2026年11月22日", lines=())
    with app.test_request_context():
        reader = read(exports.notice_pdf(notice))
    text = reader.pages[0].extract_text()
    assert len(reader.pages) == 1
    assert "暂无成绩" in text and "名次" in text and ISSUER in text and "第 1 页，共 1 页" in text


def test_a_score_report_with_many_modules_runs_on_with_its_header(app):
    modules = tuple(exports.ReportModule(f"M{n:02d} {UNIT_TEXT[:30]}", "2%", "88.50", "1.77")
                    for n in range(1, 61))
    report = exports.ScoreReport(
        competition=COMPETITION, event="养老护理员", division="职工组", name="欧阳晓更",
        code="A017", ticket="2026110100017", id_number="4212**********1234",
        work_unit=work_unit(1), modules=modules, penalty="1.00", total="84.20",
        rank="第 3 名（共 22 人）", award="二等奖", status="草稿（成绩尚未发布）", draft=True,
        issuer=ISSUER, printed_at="2026年11月22日 10:00")
    with app.test_request_context():
        reader = read(exports.score_report_pdf(report))
    pages = [page.extract_text() for page in reader.pages]
    assert len(pages) >= 2
    for number, text in enumerate(pages, start=1):
        assert "权重" in text and "折算得分" in text and "草稿" in text, number
        assert f"第 {number} 页，共 {len(pages)} 页" in text
    everything = squeezed("\n".join(pages))
    for n in range(1, 61):
        assert everything.count(f"M{n:02d}") == 1, n
    assert everything.count(work_unit(1)) == 1 and "4212**********1234" in everything
    assert "第3名（共22人）" in everything and ISSUER in pages[-1]


# --- Paper score sheets -------------------------------------------------------------------

MODES = ("points", "scale_0_3", "pass_fail", "measured")


def sheet(criteria: int, station: str = "12", code: str = "A017", ref: str = "E12-M3"):
    lines = tuple(
        SheetLine(code=f"K{n:03d}", description=f"〔{n:03d}〕{UNIT_TEXT}〔{n:03d}〕",
                  max_points="2.5", entry_mode=MODES[n % 4],
                  rule="标称 38 mm，公差 -0.025 / +0" if MODES[n % 4] == "measured" else "",
                  unit="mm" if MODES[n % 4] == "measured" else "")
        for n in range(1, criteria + 1))
    return BlankSheet(competition=COMPETITION, event="车工", module="A 零件加工",
                      station=station, code=code, ref=ref,
                      link="https://example.org/paper?entry_id=12&module_id=3", lines=lines)


def test_a_long_marking_scheme_flows_with_the_sheet_and_signatures_on_every_page(app):
    with app.test_request_context():
        reader = read(build_pdf([sheet(150), sheet(3, "13", "B204", "E13-M3")]))
    pages = [page.extract_text() for page in reader.pages]
    long_pages, short_page = pages[:-1], pages[-1]
    assert len(long_pages) >= 3
    for number, text in enumerate(long_pages, start=1):
        for expected in ("编号", "评分项", "满分", "评分", "工位号", "加密号", "A017",
                         "评分表 E12-M3", "裁判员签名", "日期时间", "录入人", "复核人"):
            assert expected in text, (number, expected)
        assert f"第 {number} 页，共 {len(long_pages)} 页" in text
        assert ("（续）" in text) == (number > 1)
        assert reader.pages[number - 1].images, number  # the QR code
        assert not text_outside_the_page(reader.pages[number - 1]), number
    everything = squeezed("\n".join(long_pages))
    for n in range(1, 151):
        assert everything.count(f"K{n:03d}") == 1, n
        assert everything.count(f"〔{n:03d}〕{UNIT_TEXT}〔{n:03d}〕") == 1, n
    # The next sheet starts on a page of its own, numbered on its own.
    assert "B204" in short_page and "A017" not in short_page
    assert "第 1 页，共 1 页" in short_page and "K003" in short_page


def test_a_sheet_of_an_ordinary_length_fits_one_page_with_every_choice(app):
    with app.test_request_context():
        reader = read(build_pdf([sheet(12)]))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    assert re.search(r"0\s*1\s*2\s*3", text) and "是" in text and "否" in text
    assert "读数" in text and "标称 38 mm" in text and "第 1 页，共 1 页" in text
    assert not text_outside_the_page(reader.pages[0])


def test_a_description_longer_than_a_page_breaks_across_pages(app):
    long = "".join(f"第{n:04d}句。" for n in range(1, 1201))
    lines = (SheetLine("A1", "短描述", "5", "scale_0_3"), SheetLine("A2", long, "5", "points"),
             SheetLine("A3", "末项", "5", "pass_fail"))
    paper = BlankSheet(competition=COMPETITION, event="车工", module="A 零件加工", station="1",
                       code="C01", ref="E1-M1", link="https://example.org/p", lines=lines)
    with app.test_request_context():
        reader = read(build_pdf([paper]))
    pages = [page.extract_text() for page in reader.pages]
    assert len(pages) >= 2
    everything = squeezed("\n".join(pages))
    assert all(everything.count(f"第{n:04d}句") == 1 for n in range(1, 1201))
    assert "末项" in pages[-1] and "裁判员签名" in pages[-1]
    for number, page in enumerate(reader.pages, start=1):
        assert not text_outside_the_page(page), number


# --- The shared kit -----------------------------------------------------------------------

@pytest.mark.parametrize("count, expected", [("section", ["1/2", "2/2", "1/1"]),
                                             ("document", ["1/3", "2/3", "3/3"])])
def test_pages_are_numbered_per_section_or_through_the_document(count, expected):
    def section(rows: int) -> Section:
        return Section([grid_table(["名称"], [[f"第{n}行"] for n in range(rows)], [60])],
                       running_head=[para("续页")])

    document = PagedDocument(page_label="%(n)s/%(total)s", count=count)
    reader = read(document.build([section(60), section(3)]))
    stamps = [re.findall(r"\d+/\d+", page.extract_text())[-1] for page in reader.pages]
    assert stamps == expected
    assert "续页" not in reader.pages[0].extract_text()
    assert "续页" in reader.pages[1].extract_text()
