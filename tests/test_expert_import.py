"""The expert pool (专家库) to and from Excel: the template, the all-or-nothing import,
the export (masked contacts, no formulas), and who may use them."""

from __future__ import annotations

import re
from datetime import date, datetime
from io import BytesIO

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import delete, func, select

from competition.audit.models import AuditEvent
from competition.entries.idcard import make_id_number
from competition.events.models import Expert, ExpertOccupation
from competition.experts.excel import HEADERS, MAX_BYTES, parse_date
from competition.extensions import db
from competition.spreadsheet import safe_cell, unquote_cell
from tests import builders

ID_1 = make_id_number("421202", date(1972, 3, 18), 113, "M")
ID_2 = make_id_number("421281", date(1980, 7, 2), 242, "F")
ID_3 = make_id_number("420106", date(1968, 11, 30), 35, "M")
# The same number with its last character changed: the check character is wrong.
BAD_ID = ID_1[:-1] + ("1" if ID_1[-1] != "1" else "2")


# --- Helpers ------------------------------------------------------------------------

def xlsx(rows: list[list], headers=HEADERS) -> BytesIO:
    book = Workbook()
    sheet = book.active
    sheet.append(list(headers))
    for row in rows:
        sheet.append(row)
    buffer = BytesIO()
    book.save(buffer)
    buffer.seek(0)
    return buffer


def upload(client, data: BytesIO | bytes, filename: str = "专家.xlsx"):
    if isinstance(data, bytes):
        data = BytesIO(data)
    return client.post("/experts/import", data={"file": (data, filename)},
                       content_type="multipart/form-data", follow_redirects=True)


def problem_rows(page: str) -> list[tuple[str, str, str]]:
    """The (row, column, problem) cells of the page's table of problems."""
    table = re.search(r'<table[^>]*id="import-problems".*?</table>', page, re.S)
    assert table, "the page lists no problems"
    rows = re.findall(r"<tr><td[^>]*>(.*?)</td><td>(.*?)</td><td>(.*?)</td></tr>", table[0],
                      re.S)
    return [tuple(cell.strip() for cell in row) for row in rows]


def expert_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Expert))


def by_name(name: str) -> Expert:
    db.session.expire_all()
    return db.session.scalar(select(Expert).where(Expert.name == name))


def catalogue():
    nursing = builders.occupation()  # 养老护理员 4-10-01-05
    tea = builders.occupation("茶艺师", "4-03-02-07")
    db.session.commit()
    return nursing, tea


GOOD_ROWS = [
    ["王建国", ID_1, "咸宁市中心医院", "主任护师", "13912345678", "养老护理员、4-03-02-07",
     "高级考评员", "KP2024000123", datetime(2027, 6, 30)],
    ["李秀英", ID_2.lower(), "咸宁市社会福利院", "高级技师", "0715-8123456", "茶艺师",
     "考评员", "KP2024000124", "2027/6/30"],
    ["张伟", "", "赤壁市人民医院", "", "", "养老护理员", "", "KP2024000125", "2028年1月5日"],
]


# --- Import -------------------------------------------------------------------------

def test_a_good_file_imports_every_row(app, client, login_as):
    organizer = login_as("organizer")
    nursing, tea = catalogue()

    page = upload(client, xlsx(GOOD_ROWS)).get_data(as_text=True)

    assert re.search(r"3 (experts were added|位专家)", page)
    assert expert_count() == 3
    wang = by_name("王建国")
    assert wang.id_number == ID_1 and wang.phone == "13912345678"
    assert wang.work_unit == "咸宁市中心医院" and wang.title == "主任护师"
    assert {o.name for o in wang.occupations} == {"养老护理员", "茶艺师"}
    assert wang.examiner_level == "senior_examiner"
    assert wang.certificate_number == "KP2024000123"
    assert wang.certificate_expires_on == date(2027, 6, 30)
    assert wang.created_by_id == organizer.id
    li = by_name("李秀英")
    assert li.id_number == ID_2.upper()  # a lower-case x is kept as X
    assert [o.name for o in li.occupations] == ["茶艺师"]
    assert li.examiner_level == "examiner" and li.certificate_expires_on == date(2027, 6, 30)
    zhang = by_name("张伟")
    assert zhang.id_number is None and zhang.phone == "" and zhang.examiner_level == "examiner"
    assert zhang.certificate_expires_on == date(2028, 1, 5)
    assert [o.id for o in zhang.occupations] == [nursing.id]
    audit = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "experts.import")).all()
    assert len(audit) == 1 and audit[0].actor_id == organizer.id
    assert audit[0].object_type == "expert_pool" and '"experts":3' in audit[0].new_value
    # The pool lists them.
    pool = client.get("/experts").get_data(as_text=True)
    assert "王建国" in pool and "李秀英" in pool and "张伟" in pool
    assert tea.id


def test_one_bad_row_imports_nothing_and_every_bad_row_is_listed(app, client, login_as):
    login_as("organizer")
    catalogue()
    upload(client, xlsx([GOOD_ROWS[0]]))
    assert expert_count() == 1

    rows = [
        ["赵敏", "", "", "", "13800001111", "养老护理员", "", "", ""],  # row 2: fine
        ["", "", "", "", "", "养老护理员", "", "", ""],  # row 3: no name
        ["钱进", "", "", "", "12345", "养老护理员", "", "", ""],  # row 4: bad phone
        ["孙丽", "", "", "", "", "养老护理员", "", "", ""],  # row 5: fine
        ["周强", "", "", "", "", "养老护理员", "主考官", "KP9", "明年"],  # row 6: level, date
        ["吴芳", "", "", "", "", "养老护理员", "", "KP10", ""],  # row 7: number without date
    ]
    page = upload(client, xlsx(rows)).get_data(as_text=True)

    assert expert_count() == 1  # nothing written
    assert by_name("赵敏") is None and by_name("孙丽") is None
    assert "未导入任何内容" in page
    found = problem_rows(page)
    assert sorted({int(row) for row, _, _ in found}) == [3, 4, 6, 7]
    assert ("3", "姓名") in {(r, c) for r, c, _ in found}
    assert ("4", "手机号码") in {(r, c) for r, c, _ in found}
    assert {("6", "考评员级别"), ("6", "证书有效期至")} <= {(r, c) for r, c, _ in found}
    assert ("7", "证书有效期至") in {(r, c) for r, c, _ in found}
    assert "明年" in page


def test_an_unknown_occupation_is_named(app, client, login_as):
    login_as("organizer")
    catalogue()
    page = upload(client, xlsx([["王建国", "", "", "", "", "养老护理员；电焊工", "", "", ""]])
                  ).get_data(as_text=True)
    assert expert_count() == 0
    [(row, column, message)] = problem_rows(page)
    assert (row, column) == ("2", "职业（工种）") and "电焊工" in message


def test_an_id_number_with_a_wrong_check_character_is_refused(app, client, login_as):
    login_as("organizer")
    catalogue()
    page = upload(client, xlsx([["王建国", BAD_ID, "", "", "", "养老护理员", "", "", ""]])
                  ).get_data(as_text=True)
    assert expert_count() == 0
    [(row, column, message)] = problem_rows(page)
    assert (row, column) == ("2", "身份证号") and "校验位" in message


def test_an_id_number_excel_stored_as_a_number_or_masked_is_refused(app, client, login_as):
    login_as("organizer")
    catalogue()
    page = upload(client, xlsx([
        ["王建国", 4.21202197203181e17, "", "", "", "养老护理员", "", "", ""],
        ["李秀英", "4212**********1234", "", "", "138****5678", "养老护理员", "", "", ""],
    ])).get_data(as_text=True)
    assert expert_count() == 0
    assert {(r, c) for r, c, _ in problem_rows(page)} == {
        ("2", "身份证号"), ("3", "身份证号"), ("3", "手机号码")}


def test_repeated_certificate_and_id_numbers_in_the_file_and_in_the_pool(app, client,
                                                                           login_as):
    login_as("organizer")
    catalogue()
    upload(client, xlsx([GOOD_ROWS[0]]))  # KP2024000123 and ID_1 are now in the pool
    assert expert_count() == 1

    rows = [
        ["甲", "", "", "", "", "茶艺师", "", "KP777", "2027-01-01"],  # row 2
        ["乙", "", "", "", "", "茶艺师", "", "KP777", "2027-01-01"],  # row 3: same as row 2
        ["丙", ID_2, "", "", "", "茶艺师", "", "", ""],  # row 4
        ["丁", ID_2, "", "", "", "茶艺师", "", "", ""],  # row 5: same ID as row 4
        ["戊", "", "", "", "", "茶艺师", "", "KP2024000123", "2027-01-01"],  # row 6: pool
        ["己", ID_1, "", "", "", "茶艺师", "", "", ""],  # row 7: ID in the pool
        ["庚", "", "", "", "", "茶艺师", "", "", ""],  # row 8: fine
    ]
    page = upload(client, xlsx(rows)).get_data(as_text=True)

    assert expert_count() == 1
    found = problem_rows(page)
    assert {(r, c) for r, c, _ in found} == {
        ("2", "考评员证号"), ("3", "考评员证号"), ("4", "身份证号"), ("5", "身份证号"),
        ("6", "考评员证号"), ("7", "身份证号")}
    messages = dict(((r, c), m) for r, c, m in found)
    assert "3" in messages[("2", "考评员证号")] and "2" in messages[("3", "考评员证号")]
    assert "王建国" in messages[("6", "考评员证号")] and "王建国" in messages[("7", "身份证号")]
    # The existing expert was not changed.
    assert by_name("王建国").work_unit == "咸宁市中心医院"


def test_a_file_without_the_name_column_is_refused_naming_it(app, client, login_as):
    login_as("organizer")
    catalogue()
    headers = [h for h in HEADERS if h != "姓名"]
    page = upload(client, xlsx([["咸宁市中心医院"] + [""] * 3 + ["养老护理员"]],
                               headers=headers)).get_data(as_text=True)
    assert expert_count() == 0
    [(row, column, message)] = problem_rows(page)
    assert (row, column) == ("1", "姓名") and "专家姓名" in message  # the variants accepted


def test_header_variants_are_accepted_and_numbering_columns_skipped(app, client, login_as):
    login_as("organizer")
    catalogue()
    headers = ["序号", "姓名", "证件号码", "单位名称", "联系电话", "工种", "备注（选填）"]
    page = upload(client, xlsx([
        [1, "王建国", ID_1, "咸宁市中心医院", "13912345678", "养老护理员", "无"],
    ], headers=headers)).get_data(as_text=True)
    wang = by_name("王建国")
    assert wang is not None and wang.work_unit == "咸宁市中心医院"
    assert wang.id_number == ID_1 and wang.phone == "13912345678"
    assert "序号" not in page and "备注" not in page


def confirm_form(page: str) -> dict:
    token = re.search(r'name="upload" type="hidden" value="([^"]+)"', page)
    assert token, "the page asks for no confirmation"
    return {"upload": token.group(1), "filename": "专家.xlsx"}


def test_an_unknown_column_is_shown_and_nothing_imported_until_confirmed(app, client,
                                                                         login_as):
    login_as("organizer")
    catalogue()
    headers = ["姓名", "单位名称", "工种", "籍贯"]
    data = xlsx([["王建国", "咸宁市中心医院", "养老护理员", "湖北"]], headers=headers).getvalue()

    page = upload(client, data).get_data(as_text=True)

    assert expert_count() == 0
    notice = re.search(r'<p class="unknown-columns"[^>]*>(.*?)</p>', page, re.S)
    assert notice and "籍贯" in notice.group(1)
    assert "<td>工作单位</td><td>单位名称</td>" in page
    assert re.search(r'<input[^>]*name="ignore_unknown_columns"[^>]*required', page)
    # Confirmed without ticking the box: refused, nothing imported.
    page = client.post("/experts/import", data=confirm_form(page),
                       follow_redirects=True).get_data(as_text=True)
    assert "未导入任何内容" in page and "籍贯" in page
    assert expert_count() == 0

    page = upload(client, data).get_data(as_text=True)
    confirmed = {**confirm_form(page), "ignore_unknown_columns": "y"}
    page = client.post("/experts/import", data=confirmed,
                       follow_redirects=True).get_data(as_text=True)
    assert expert_count() == 1 and by_name("王建国").work_unit == "咸宁市中心医院"
    assert "籍贯" in page  # named again as not imported
    again = client.post("/experts/import", data=confirmed,
                        follow_redirects=True).get_data(as_text=True)  # a second click
    assert "请重新上传" in again and expert_count() == 1


def test_a_file_with_an_unknown_column_and_bad_rows_lists_the_problems(app, client,
                                                                       login_as):
    login_as("organizer")
    catalogue()
    page = upload(client, xlsx([["王建国", "电焊工", "湖北"]],
                               headers=["姓名", "工种", "籍贯"])).get_data(as_text=True)
    assert [(r, c) for r, c, _ in problem_rows(page)] == [("2", "职业（工种）")]
    assert 'id="unknown-columns"' in page and "ignore_unknown_columns" not in page
    assert expert_count() == 0


def test_a_csv_file_is_imported(app, client, login_as):
    login_as("organizer")
    catalogue()
    text = ("姓名,手机,职业（工种）,考评员证号,证书有效期至\n"
            "王建国,13912345678,\"养老护理员, 茶艺师\",KP1,2027/6/30 0:00\n")
    upload(client, text.encode("gb18030"), "专家.csv")
    wang = by_name("王建国")
    assert wang is not None and len(wang.occupations) == 2
    assert wang.certificate_expires_on == date(2027, 6, 30)


@pytest.mark.parametrize(("data", "filename", "says"), [
    (b"%PDF-1.4 binary\x00\x00", "专家.pdf", "CSV"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "专家.xls", ".xls"),
    (b"just text", "专家.xlsx", ".xlsx"),
    (b"", "专家.xlsx", "空"),
])
def test_files_that_are_not_lists_are_refused(app, client, login_as, data, filename, says):
    login_as("organizer")
    catalogue()
    page = upload(client, data, filename).get_data(as_text=True)
    assert expert_count() == 0
    assert "未导入任何内容" in page and says in page


def test_a_file_over_the_upload_limit_is_refused(app, client, login_as):
    login_as("organizer")
    catalogue()
    line = "王建国,,咸宁市中心医院,,,养老护理员,,,\n".encode()
    data = ",".join(HEADERS).encode() + b"\n" + line * (MAX_BYTES // len(line) + 1)
    assert len(data) > MAX_BYTES
    page = upload(client, data, "专家.csv").get_data(as_text=True)
    assert expert_count() == 0
    assert f"{MAX_BYTES // (1024 * 1024)} MB" in page and "未导入任何内容" in page


@pytest.mark.parametrize(("value", "expected"), [
    (datetime(2027, 6, 30), date(2027, 6, 30)),
    ("2027-06-30", date(2027, 6, 30)),
    ("2027/6/30", date(2027, 6, 30)),
    ("2027年6月30日", date(2027, 6, 30)),
    ("2027.6.30", date(2027, 6, 30)),
    ("20270630", date(2027, 6, 30)),
    ("2027/6/30 0:00:00", date(2027, 6, 30)),
    ("2027-02-30", None),
    ("明年", None),
    (46568, None),
])
def test_dates(value, expected):
    assert parse_date(value) == expected


# --- The template ---------------------------------------------------------------------

def test_the_template_downloads_and_imports_once_filled(app, client, login_as):
    login_as("organizer")
    catalogue()
    response = client.get("/experts/template.xlsx")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    book = load_workbook(BytesIO(response.data))
    assert book.sheetnames == ["专家名单", "填写说明"]
    sheet = book["专家名单"]
    assert [c.value for c in sheet[1]] == list(HEADERS)
    assert sheet.max_row == 1
    guide = "\n".join(str(c.value) for row in book["填写说明"].iter_rows() for c in row if c.value)
    assert "茶艺师" in guide and "4-03-02-07" in guide  # the catalogue is listed

    for row in GOOD_ROWS:
        sheet.append(row)
    filled = BytesIO()
    book.save(filled)
    filled.seek(0)
    upload(client, filled)
    assert expert_count() == 3


# --- Export ---------------------------------------------------------------------------

def exported(client, query: str = "") -> Workbook:
    response = client.get("/experts/export.xlsx" + query)
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    return load_workbook(BytesIO(response.data))


def values(book: Workbook) -> list[list]:
    return [[cell.value for cell in row] for row in book["专家名单"].iter_rows(min_row=2)]


def test_an_export_imports_again(app, client, login_as):
    login_as("organizer")
    catalogue()
    upload(client, xlsx(GOOD_ROWS))
    before = {e.name: (e.id_number, e.work_unit, e.title, e.phone, e.examiner_level,
                       e.certificate_number, e.certificate_expires_on,
                       sorted(o.name for o in e.occupations))
              for e in db.session.scalars(select(Expert))}
    book = exported(client)
    assert [c.value for c in book["专家名单"][1]] == list(HEADERS)
    assert len(values(book)) == 3

    db.session.execute(delete(ExpertOccupation))
    db.session.execute(delete(Expert))
    db.session.commit()
    data = BytesIO()
    book.save(data)
    data.seek(0)
    upload(client, data)

    db.session.expire_all()
    after = {e.name: (e.id_number, e.work_unit, e.title, e.phone, e.examiner_level,
                      e.certificate_number, e.certificate_expires_on,
                      sorted(o.name for o in e.occupations))
             for e in db.session.scalars(select(Expert))}
    assert after == before


def test_the_export_follows_the_filter(app, client, login_as):
    login_as("organizer")
    nursing, tea = catalogue()
    upload(client, xlsx(GOOD_ROWS))
    names = [row[0] for row in values(exported(client, f"?occupation={tea.id}"))]
    assert sorted(names) == ["李秀英", "王建国"]
    assert nursing.id


def test_the_export_masks_contacts_for_other_organizers(app, client, login_as, auth):
    creator = login_as("organizer")
    catalogue()
    upload(client, xlsx([GOOD_ROWS[0]]))
    row = values(exported(client))[0]
    assert row[1] == ID_1 and row[4] == "13912345678"  # whole for who added the expert

    auth.logout()
    login_as("organizer")
    text = " ".join(str(v) for v in values(exported(client))[0])
    assert ID_1 not in text and "13912345678" not in text
    assert "139****5678" in text and ID_1[:4] + "*" * 10 + ID_1[-4:] in text
    assert creator.id


def test_formula_like_text_is_exported_as_text(app, client, login_as):
    login_as("organizer")
    nursing, _ = catalogue()
    db.session.add(Expert(name="@王", work_unit='=HYPERLINK("http://x","y")', title="-1+1",
                          occupations=[nursing]))
    db.session.commit()
    sheet = exported(client)["专家名单"]
    name, unit, title = sheet["A2"], sheet["C2"], sheet["D2"]
    assert unit.data_type == "s" and unit.value == '\'=HYPERLINK("http://x","y")'
    assert name.value == "'@王" and title.value == "'-1+1"
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_safe_cell():
    assert safe_cell("=1+1") == "'=1+1"
    assert safe_cell("+86") == "'+86" and safe_cell("\tx") == "'\tx"
    assert safe_cell("咸宁") == "咸宁" and safe_cell(5) == 5 and safe_cell(None) is None
    assert safe_cell("咸\x01宁\x1f") == "咸宁"  # characters a workbook cannot hold
    assert unquote_cell(safe_cell("=1+1")) == "=1+1" and unquote_cell("'abc") == "'abc"


# --- The form's ID number ---------------------------------------------------------------

def test_the_expert_form_keeps_a_valid_id_number_and_refuses_a_wrong_one(app, client,
                                                                        login_as):
    login_as("organizer")
    nursing, _ = catalogue()
    data = {"name": "汪小红", "occupations": [nursing.id], "examiner_level": "examiner",
            "id_number": BAD_ID}
    page = client.post("/experts/new", data=data, follow_redirects=True).get_data(as_text=True)
    assert "校验位" in page and expert_count() == 0
    client.post("/experts/new", data={**data, "id_number": ID_1.lower()})
    assert by_name("汪小红").id_number == ID_1
    page = client.post("/experts/new", data={**data, "name": "汪大红", "id_number": ID_1},
                       follow_redirects=True).get_data(as_text=True)
    assert expert_count() == 1 and "汪小红" in page


# --- Who may use it ---------------------------------------------------------------------

@pytest.mark.parametrize(("method", "path"), [
    ("get", "/experts/import"), ("post", "/experts/import"),
    ("get", "/experts/template.xlsx"), ("get", "/experts/export.xlsx"),
])
def test_judges_and_visitors_cannot_import_or_export(app, client, login_as, auth, method,
                                                      path):
    catalogue()

    def call():
        if method == "post":
            return client.post(path, data={"file": (xlsx(GOOD_ROWS), "专家.xlsx")},
                               content_type="multipart/form-data")
        return client.get(path)

    response = call()
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    login_as("judge")
    assert call().status_code == 403
    assert expert_count() == 0
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "experts.import")) == 0


def test_the_pool_page_offers_the_buttons(app, client, login_as):
    login_as("organizer")
    nursing, _ = catalogue()
    page = client.get(f"/experts?occupation={nursing.id}").get_data(as_text=True)
    assert "/experts/template.xlsx" in page and "/experts/import" in page
    assert f"/experts/export.xlsx?occupation={nursing.id}" in page
    page = client.get("/experts/import").get_data(as_text=True)
    assert 'type="file"' in page and 'enctype="multipart/form-data"' in page
