"""An uploaded workbook cannot cost the server its memory or its time.

Two hostile files: a "zip bomb" (a few hundred kilobytes that unpack to tens of
megabytes of zeros) and a sheet of formatted but empty rows. Each is refused with a
clear message in the user's language — through the pages and the API, by every
importer — and nothing is imported. The worker's memory is measured in a child
process: reading either file costs it less than ``RSS_LIMIT_MB``.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import textwrap
import zipfile

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from competition.entries.importer import read_file
from competition.entries.models import Entry
from competition.extensions import db
from competition.spreadsheet import MAX_READ_ROWS
from tests import builders
from tests.helpers import upload

RSS_LIMIT_MB = 120
HEADERS = ("姓名", "身份证号", "赛项", "组别")


def _workbook() -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "选手名单"
    sheet.append(HEADERS)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _rewrite(data: bytes, replace: dict[str, object], add: dict[str, object] = ()) -> bytes:
    """The workbook with some members written by ``replace[name](stream)``, and more."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            if item.filename in replace:
                with target.open(item.filename, "w", force_zip64=True) as stream:
                    replace[item.filename](stream)
            else:
                target.writestr(item, source.read(item.filename))
        for name, write in dict(add).items():
            with target.open(name, "w", force_zip64=True) as stream:
                write(stream)
    return out.getvalue()


def zip_bomb(megabytes: int = 64) -> bytes:
    """A valid workbook carrying one member of ``megabytes`` of zeros."""
    def zeros(stream):
        block = b"\0" * (1024 * 1024)
        for _ in range(megabytes):
            stream.write(block)

    return _rewrite(_workbook(), {}, {"xl/media/image1.bin": zeros})


def styled_rows(count: int) -> bytes:
    """A workbook whose sheet has the header row, then ``count`` empty rows that carry
    formatting (as Excel writes a column formatted to the bottom of the sheet)."""
    def sheet(stream):
        stream.write(b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns='
                     b'"http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                     b"<sheetData><row r=\"1\">")
        for index, header in enumerate(HEADERS):
            stream.write(f'<c r="{"ABCD"[index]}1" t="inlineStr"><is><t>{header}</t></is>'
                         f"</c>".encode())
        stream.write(b"</row>")
        for number in range(2, count + 2):
            stream.write(f'<row r="{number}" s="1" customFormat="1"><c r="A{number}" '
                         f's="1"/></row>'.encode())
        stream.write(b"</sheetData></worksheet>")

    return _rewrite(_workbook(), {"xl/worksheets/sheet1.xml": sheet})


def test_a_zip_bomb_is_refused_before_it_is_unpacked():
    data = zip_bomb()
    assert len(data) < 1024 * 1024  # under a megabyte on the wire
    rows, problems, _ = read_file("名单.xlsx", data)
    assert rows == [] and [p.message for p in problems] == [
        "The workbook is compressed far more than any list of rows (a “zip bomb”?): it was "
        "not opened. Copy the rows into a new workbook and upload that."]


def test_formatted_empty_rows_count_against_the_cap():
    rows, problems, _ = read_file("名单.xlsx", styled_rows(MAX_READ_ROWS + 10))
    assert rows == [] and len(problems) == 1
    assert problems[0].params == {"n": MAX_READ_ROWS}
    assert "empty rows that only carry formatting" in problems[0].message


@pytest.mark.parametrize("kind", ["bomb", "rows"])
def test_reading_a_hostile_file_keeps_the_workers_memory_bounded(tmp_path, kind):
    """In a child process: peak RSS while reading, above what importing the app cost."""
    path = tmp_path / "hostile.xlsx"
    path.write_bytes(zip_bomb(256) if kind == "bomb" else styled_rows(1_000_000))
    script = textwrap.dedent(f"""
        import json, resource
        from competition.entries.importer import read_file
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        data = open({str(path)!r}, "rb").read()
        rows, problems, _ = read_file("hostile.xlsx", data)
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(json.dumps({{"rows": len(rows), "problems": len(problems),
                          "grew_mb": (after - before) / 1024}}))
    """)
    output = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            check=True, timeout=120).stdout
    measured = json.loads(output.strip().splitlines()[-1])
    assert measured["rows"] == 0 and measured["problems"] == 1
    assert measured["grew_mb"] < RSS_LIMIT_MB, measured


def test_the_pages_and_the_api_refuse_them_in_the_users_language(app, client, login_as):
    organizer = login_as("organizer")
    competition = builders.competition(organizers=(organizer,))
    event = builders.event(competition, divisions=("职工组",))
    builders.module(event, code="T", weight=20, kind="theory", criteria=())
    db.session.commit()
    page = upload(client, event.id, zip_bomb(), "名单.xlsx").get_data(as_text=True)
    assert "压缩比" in page and "Traceback" not in page
    page = upload(client, event.id, styled_rows(MAX_READ_ROWS + 10), "名单.xlsx")
    assert "仅带格式的空行" in page.get_data(as_text=True)
    api = client.post(f"/api/v1/competitions/{competition.id}/contestants/import",
                      data={"file": (io.BytesIO(zip_bomb()), "名单.xlsx")},
                      content_type="multipart/form-data")
    assert api.status_code == 422 and "压缩比" in json.dumps(api.get_json(),
                                                            ensure_ascii=False)
    theory = client.post(f"/events/{event.id}/theory-scores",
                         data={"file": (io.BytesIO(zip_bomb()), "理论成绩.xlsx")},
                         content_type="multipart/form-data", follow_redirects=True)
    assert "压缩比" in theory.get_data(as_text=True)
    experts = client.post("/experts/import",
                          data={"file": (io.BytesIO(zip_bomb()), "专家.xlsx")},
                          content_type="multipart/form-data", follow_redirects=True)
    assert "压缩比" in experts.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Entry.id))) == 0
