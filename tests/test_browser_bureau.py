"""In Chromium: the bureau's statistics page (人社局) on the demo taken through its stages.

A bureau account signs in and lands on /bureau; every number of every table is read off
the page and compared with a count made here straight from the database; every chart is
drawn on its canvas (Chart.js, served from static/vendor) with no error in the console —
the Content-Security-Policy forbids inline scripts, so a violation would show there; and
choosing an occupation in the filters shows that occupation's figures.

Tables are read by their ids and rows by position, not by the words of the new strings,
which the Chinese catalogue learns separately.
"""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from sqlalchemy import distinct, func, select

from competition.entries.models import Contestant, Entry
from competition.events.models import Competition, Event, Expert, Occupation
from competition.extensions import db
from competition.grades.models import Certificate, Promotion
from competition.results.models import Appeal
from competition.timeutil import local_today
from tests import builders
from tests.helpers import demo_competition, sign_in

pytestmark = pytest.mark.browser

GRADES = (5, 4, 3, 2, 1)
LEVELS = ("national", "provincial", "city", "enterprise", "school")
ATTENDANCE = ("present", "absent", "withdrawn", "expected")

READ_TABLES = """() => Object.fromEntries([...document.querySelectorAll('table[id^="table-"]')]
  .map(t => [t.id.slice(6), [...t.querySelectorAll('tbody tr, tfoot tr')]
    .filter(r => r.querySelector('td[data-value]'))
    .map(r => [r.querySelector('th').innerText.trim(),
               ...[...r.querySelectorAll('td[data-value]')].map(c => Number(c.innerText))])]))"""

# Whether a canvas holds any painted pixel.
PAINTED = """canvas => {
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  for (let i = 3; i < data.length; i += 4) { if (data[i] !== 0) return true; }
  return false;
}"""


def _count(query) -> int:
    return db.session.scalar(query)


def _database_figures(competition_id: int, occupation_id: int | None = None) -> dict:
    """The page's tables as counted here, with SQL of this test's own."""
    def of_entries(query, *joins):
        query = query.join(Event, Event.id == Entry.event_id).where(
            Event.competition_id == competition_id)
        if occupation_id is not None:
            query = query.where(Event.occupation_id == occupation_id)
        return query

    approved = of_entries(select(func.count(Entry.id)).where(Entry.status == "approved"))
    people = of_entries(select(func.count(distinct(Contestant.id_number))).select_from(Entry)
                        .join(Contestant, Contestant.id == Entry.contestant_id)
                        .where(Entry.status == "approved"))
    units = of_entries(select(func.count(distinct(func.trim(Contestant.work_unit))))
                       .select_from(Entry).join(Contestant, Contestant.id == Entry.contestant_id)
                       .where(Entry.status == "approved", func.trim(Contestant.work_unit) != ""))
    level = db.session.get(Competition, competition_id).level

    def promotions(grade: int, reverted: bool) -> int:
        return _count(of_entries(select(func.count(Promotion.id)).select_from(Promotion)
                                 .join(Entry, Entry.id == Promotion.entry_id).where(
            Promotion.to_grade == grade,
            Promotion.reverted_at.is_not(None) if reverted else Promotion.reverted_at.is_(None))))

    certificates = of_entries(select(func.count(Certificate.id)).select_from(Certificate)
                              .join(Promotion, Promotion.id == Certificate.promotion_id)
                              .join(Entry, Entry.id == Promotion.entry_id))
    revoked = _count(certificates.where(Certificate.revoked_at.is_not(None)))
    appeals = of_entries(select(func.count(Appeal.id)).select_from(Appeal)
                         .join(Entry, Entry.id == Appeal.entry_id))
    today = local_today()
    experts = select(func.count(Expert.id))
    if occupation_id is not None:
        experts = experts.where(Expert.occupations.any(Occupation.id == occupation_id))
    ends = Expert.certificate_expires_on
    expert_states = [
        _count(experts.where(ends < today)),
        _count(experts.where(ends >= today, ends <= today + timedelta(days=90))),
        _count(experts.where(ends > today + timedelta(days=90))),
        _count(experts.where(ends.is_(None)))]
    by_grade = [[promotions(g, False), promotions(g, True)] for g in GRADES]
    registrations = _count(approved)
    attendance = [_count(approved.where(Entry.attendance == state)) for state in ATTENDANCE]
    by_occupation = {}
    for name, grade, count in db.session.execute(
            of_entries(select(Occupation.name, Promotion.to_grade, func.count(Promotion.id))
                       .select_from(Promotion).join(Entry, Entry.id == Promotion.entry_id))
            .join(Occupation, Occupation.id == Event.occupation_id)
            .where(Promotion.reverted_at.is_(None))
            .group_by(Occupation.name, Promotion.to_grade)):
        by_occupation.setdefault(name, dict.fromkeys(GRADES, 0))[grade] = count
    issued = _count(certificates)
    filed = _count(appeals)
    return {
        "competitions": [[int(lv == level)] for lv in LEVELS] + [[1]],
        "contestants": [[registrations], [_count(people)], [_count(units)]],
        "attendance": [[n] for n in attendance] + [[registrations]],
        "promotions_by_grade": by_grade + [[sum(r[0] for r in by_grade),
                                            sum(r[1] for r in by_grade)]],
        "promotions_by_occupation": {name: [*(grades[g] for g in GRADES), sum(grades.values())]
                                     for name, grades in by_occupation.items()},
        "certificates": [[issued], [revoked], [issued - revoked]],
        "appeals": [[filed], *([_count(appeals.where(Appeal.status == s))]
                               for s in ("accepted", "rejected", "pending"))],
        "experts": [[n] for n in expert_states] + [[sum(expert_states)]],
    }


def _shown(page) -> dict:
    """Every table's numbers as the page shows them: rows of numbers by position; the
    occupations' table by occupation (without its total row)."""
    shown = page.evaluate(READ_TABLES)
    tables = {key: [row[1:] for row in rows] for key, rows in shown.items()}
    tables["promotions_by_occupation"] = {
        row[0]: row[1:] for row in shown["promotions_by_occupation"][:-1]}  # not the total
    return tables


def test_the_bureau_reads_the_demo_in_figures_and_charts(staged_demo, live_server, page):
    builders.user("bureau", username="renshe", display_name="咸宁市人社局")
    db.session.commit()
    demo = demo_competition()
    year = demo.starts_on.year
    errors = []
    page.on("console", lambda message: errors.append(message.text)
            if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))

    sign_in(page, live_server, "renshe", builders.PASSWORD)
    page.wait_for_url(f"{live_server}/bureau")
    page.goto(f"{live_server}/bureau?year={year}")
    page.locator("#table-experts").wait_for()
    expected = _database_figures(demo.id)
    assert _shown(page) == expected
    # The demo has what each table is about: the figures are not all zeros.
    assert expected["contestants"][0][0] > 0 and expected["certificates"][0][0] > 0
    assert expected["promotions_by_occupation"]

    canvases = page.locator("canvas[data-chart]")
    assert canvases.count() == len(expected)
    for index in range(canvases.count()):
        canvas = canvases.nth(index)
        assert canvas.get_attribute("data-drawn") == "true", canvas.get_attribute("id")
        assert canvas.evaluate(PAINTED), canvas.get_attribute("id")
        assert canvas.bounding_box()["height"] > 100

    # Choosing an occupation shows its figures (the form sends itself on a change).
    tea = db.session.scalar(select(Occupation).where(Occupation.name == "茶艺师"))
    page.select_option("#occupation_id", str(tea.id))
    page.wait_for_url(f"**/bureau?*occupation_id={tea.id}*")
    page.locator("#table-experts").wait_for()
    narrowed = _database_figures(demo.id, tea.id)
    assert _shown(page) == narrowed
    assert narrowed["contestants"][0][0] < expected["contestants"][0][0]
    assert page.locator("canvas[data-drawn]").count() == len(expected)
    # The workbook link asks for the same figures.
    assert f"occupation_id={tea.id}" in page.locator("#bureau-workbook").get_attribute("href")
    assert not errors, errors


AXE = os.path.join(os.path.dirname(__file__), "vendor", "axe.min.js")


def test_the_statistics_page_passes_axe(staged_demo, live_server, browser):
    """No moderate, serious or critical axe-core violation on the page with its charts
    (axe is injected inline, so this browser context bypasses the CSP)."""
    builders.user("bureau", username="renshe")
    db.session.commit()
    context = browser.new_context(viewport={"width": 1024, "height": 768}, locale="zh-CN",
                                  bypass_csp=True)
    try:
        page = context.new_page()
        page.set_default_timeout(10_000)
        sign_in(page, live_server, "renshe", builders.PASSWORD)
        page.wait_for_url(f"{live_server}/bureau")
        page.locator("canvas[data-drawn]").first.wait_for()
        page.add_script_tag(path=AXE)
        found = page.evaluate("""async () => {
            const result = await axe.run(document);
            return {passed: result.passes.length, violations: result.violations.map(v => (
                {id: v.id, impact: v.impact,
                 nodes: v.nodes.slice(0, 5).map(n => n.target.join(" "))}))};
        }""")
    finally:
        context.close()
    assert found["passed"] > 10, "axe-core checked nothing"
    assert [v for v in found["violations"]
            if v["impact"] in ("moderate", "serious", "critical")] == []
