"""Accessibility under axe-core in Chromium: the judge's sheet on a tablet, the
contestant's page /r/<token> on a phone and the public results page have no moderate,
serious or critical violation.

axe-core is a test asset (tests/vendor/axe.min.js, MPL-2.0, from the npm package
axe-core 4.14.1), injected into each page. Its script is inline once injected, so the
browser context bypasses the Content-Security-Policy that forbids inline scripts.
"""

from __future__ import annotations

import os
import re

import pytest
from sqlalchemy import select

from competition.entries.models import Entry
from competition.events.models import Event
from competition.extensions import db
from tests import builders
from tests.conftest import PHONE, TABLET

pytestmark = pytest.mark.browser

AXE = os.path.join(os.path.dirname(__file__), "vendor", "axe.min.js")
REPORTED = ("moderate", "serious", "critical")  # "minor" ones are printed only


def axe_violations(page) -> list[str]:
    """The page's moderate, serious and critical violations, each with the elements
    concerned."""
    page.add_script_tag(path=AXE)
    found = page.evaluate("""async () => {
        const result = await axe.run(document);
        return {
            passed: result.passes.length,
            violations: result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ") + " " + n.failureSummary),
            })),
        };
    }""")
    assert found["passed"] > 10, "axe-core checked nothing"
    print(page.url, [(v["id"], v["impact"]) for v in found["violations"]])
    return [f"{v['id']} ({v['impact']}): {v['help']}\n    " + "\n    ".join(v["nodes"])
            for v in found["violations"] if v["impact"] in REPORTED]


@pytest.fixture
def context(browser):
    context = browser.new_context(viewport=TABLET, locale="zh-CN", bypass_csp=True)
    yield context
    context.close()


def test_judge_sheet_contestant_page_and_public_results_pass_axe(
        published_tea, live_server, context):
    page = context.new_page()
    page.set_default_timeout(10_000)
    found = {}

    # The judge's sheet on a tablet: a judge of the competition's other event, 车工, not
    # scored yet.
    page.goto(f"{live_server}/login")
    page.get_by_label("用户名").fill(builders.OTHER_JUDGE)
    page.get_by_label("密码").fill(builders.PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/$"))
    page.get_by_role("link", name="开始评分").click()
    page.locator("a[data-entry-code]").first.click()
    page.wait_for_url(re.compile(r"/judge/entries/\d+/modules/\d+$"))
    page.locator("[data-criterion]").first.wait_for()
    found["judge sheet"] = axe_violations(page)

    # The contestant's own page on a phone, results published.
    page.context.clear_cookies()
    page.set_viewport_size(PHONE)
    entry = db.session.scalar(select(Entry).where(Entry.event_id == published_tea.id)
                              .order_by(Entry.id))
    page.goto(f"{live_server}/r/{entry.token}")
    page.locator("h1").wait_for()
    found["contestant page"] = axe_violations(page)

    # The public results of a division, on a phone.
    event = db.session.get(Event, published_tea.id)
    page.goto(f"{live_server}/results/divisions/{event.divisions[0].id}")
    page.locator("table").first.wait_for()
    found["public results"] = axe_violations(page)

    problems = {where: violations for where, violations in found.items() if violations}
    assert not problems, "\n".join(f"{where}:\n  " + "\n  ".join(v)
                                   for where, v in problems.items())
