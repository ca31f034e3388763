"""Every workbook the app produces shows what people typed as text, never as a formula.

The small competition of ``builders.tea_competition``, its 茶艺师 final with
certificates, gets names, work units, occupation names and criteria descriptions that
start with each character a spreadsheet would take for a formula (``=``, ``+``, ``-``,
``@``, a tab); then every export an organizer can download is opened: no cell is a
formula, and each planted text is there as typed, behind the quote that keeps it text.
"""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from competition.entries.models import Contestant
from competition.events.models import Competition, Criterion, Event, Expert, Occupation
from competition.extensions import db
from competition.spreadsheet import unquote_cell
from tests.helpers import job_file

PLANTED = ['=HYPERLINK("http://evil.example","点此领奖")', "+1+1", "-2+3", "@SUM(A1)",
           "\t=1+1"]


@pytest.fixture
def planted(final_tea):
    people = db.session.scalars(select(Contestant).order_by(Contestant.id)).all()
    for number, person in enumerate(people):
        person.name = PLANTED[number % len(PLANTED)] + f"{number}"
        person.work_unit = PLANTED[(number + 1) % len(PLANTED)]
    for number, expert in enumerate(db.session.scalars(select(Expert).order_by(Expert.id))):
        expert.work_unit = PLANTED[number % len(PLANTED)]
    for criterion in db.session.scalars(select(Criterion).limit(3)):
        criterion.description = PLANTED[0]
    occupation = db.session.scalars(select(Occupation).order_by(Occupation.id)).first()
    occupation.name = "=1+2职业"
    db.session.commit()
    return db.session.scalar(select(Competition))


def _texts(data: bytes) -> list[str]:
    book = load_workbook(io.BytesIO(data))
    texts = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate}: {cell.value}"
                if isinstance(cell.value, str):
                    texts.append(cell.value)
    return texts


def test_every_export_writes_typed_text_as_text(planted, client, login_as):
    login_as("admin")
    competition = planted
    events = db.session.scalars(select(Event).where(
        Event.competition_id == competition.id)).all()
    urls = [f"/competitions/{competition.id}/certificates/registry.xlsx",
            f"/competitions/{competition.id}/contestants-template.xlsx",
            "/experts/export.xlsx", "/experts/template.xlsx", "/events/scheme-template.xlsx"]
    # The results workbooks are made by jobs (their buttons' forms post to these).
    jobs = [f"/competitions/{competition.id}/results/export"]
    for event in events:
        urls += [f"/events/{event.id}/scheme.xlsx",
                 f"/events/{event.id}/theory-scores/template.xlsx"]
        jobs.append(f"/events/{event.id}/results/export")
    seen: set[str] = set()
    for url in urls + jobs:
        response = job_file(client, url) if url in jobs else client.get(url)
        assert response.status_code == 200, url
        texts = _texts(response.data)
        for text in texts:
            if text.startswith(("=", "+", "@", "\t")):
                pytest.fail(f"{url}: {text!r} would be read as a formula")
        seen |= {unquote_cell(text) for text in texts}
    # What was typed comes back as typed, through the quote.
    assert any(text.startswith(PLANTED[0]) for text in seen)
    assert PLANTED[1] in seen or any(t.startswith("+1+1") for t in seen)
    assert "=1+2职业" in seen
