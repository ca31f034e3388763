"""The competition day's small things: a tie-break order picked by touch, every form error at
once, expired experts not offered, dates in messages as people read them, no half-English
messages or file names, and the contestant's page with weights, rank of how many and an
appeal under review.

New message ids are compared with what the Chinese catalogue gives for them, so the tests
hold before and after their translations are added.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from urllib.parse import unquote

from flask_babel import force_locale, gettext
from sqlalchemy import select

from competition.entries.models import Entry
from competition.errors import DomainError
from competition.events.models import Criterion, Event, Module
from competition.events.scheme import CriterionSpec, check_criterion
from competition.extensions import db
from competition.grades.certificates import CertificateError, competition_series
from competition.grades.models import Certificate
from competition.judging.models import ScoreSheet
from competition.results.models import Result
from tests import builders
from tests.builders import event_ending_in, expert
from tests.helpers import job_file, panel_count


def zh(message: str, **params) -> str:
    with force_locale("zh"):
        return gettext(message, **params)


def _event_data(event, **changes) -> dict:
    data = {"occupation_id": event.occupation_id, "name": event.name, "divisions": "职工组",
            "aggregation": "mean", "trim_count": "0", "decimals": "2",
            "first_prize_pct": "10", "second_prize_pct": "20", "third_prize_pct": "30",
            "appeal_window_hours": "2", "notice_days": "5", "award_rounding": "cumulative",
            "award_ties": "share", "grade_min": "", "grade_max": ""}
    data.update(changes)
    return data


# --- 1. The tie-break order, by touch --------------------------------------------------

def test_the_tie_break_order_is_picked_place_by_place(app, client, login_as):
    organizer = login_as("organizer")
    competition = builders.competition(organizers=(organizer,))
    event = builders.event(competition, name="养老护理员")
    db.session.commit()

    page = client.get(f"/events/{event.id}/edit").get_data(as_text=True)
    assert "multiple" not in re.search(r'<ol class="order-picker">.*?</ol>', page, re.S)[0]
    assert len(re.findall(r'<select name="tie_break"', page)) == 4

    # The places are read in page order; one left empty closes up.
    client.post(f"/events/{event.id}/edit", data=_event_data(
        event, tie_break=["practical", "", "chief_judge", ""]))
    db.session.expire_all()
    assert db.session.get(Event, event.id).tie_break == ["practical", "chief_judge"]

    page = client.post(f"/events/{event.id}/edit", data=_event_data(
        event, tie_break=["practical", "practical"])).get_data(as_text=True)
    assert zh("Each rule may be chosen only once.") in page
    db.session.expire_all()
    assert db.session.get(Event, event.id).tie_break == ["practical", "chief_judge"]


# --- 2. Every error at once, and what was typed kept -----------------------------------

def _scheme(organizer):
    competition = builders.competition(organizers=(organizer,))
    event = builders.event(competition, name="车工")
    builders.module(event, "A", weight=100, criteria=(("A1", 10, "measurement"),))
    db.session.commit()
    return event


def test_a_module_form_shows_every_problem_and_keeps_what_was_typed(app, client, login_as):
    event = _scheme(login_as("organizer"))
    response = client.post(f"/events/{event.id}/modules", data={
        "code": "A", "name": "实操模块B 零件加工", "kind": "practical", "weight": "120",
        "max_score": "100"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert zh("Module code %(code)s is used twice.", code="A") in page
    assert "实操模块B 零件加工" in page  # the form is not emptied
    assert 'value="120"' in page
    assert len(db.session.scalars(select(Module)).all()) == 1


def test_a_criterion_form_shows_every_problem_at_once(app, client, login_as):
    event = _scheme(login_as("organizer"))
    module = event.modules[0]
    page = client.post(f"/modules/{module.id}/criteria/new", data={
        "code": "A1", "description": "外圆Ø38", "max_points": "5", "kind": "measurement",
        "entry_mode": "measured", "nominal": "38"}).get_data(as_text=True)
    assert zh("Criterion code %(code)s is used twice in module %(module)s.",
              code="A1", module="A") in page
    for name in ("lower deviation", "upper deviation", "deduction step"):
        assert zh("Criterion %(code)s is marked by measured value but has no %(field)s.",
                  code="A1", field=zh(name)) in page
    assert "外圆Ø38" in page
    assert db.session.scalar(select(Criterion).where(Criterion.description == "外圆Ø38")) \
        is None


# --- 3. Expired experts are not offered -------------------------------------------------

def test_the_panel_does_not_offer_an_expired_expert(app, client, auth):
    _, event = event_ending_in(ends_in=30)
    expired = expert("过期专家", expires_in=-3)
    valid = expert("有效专家", expires_in=800)
    db.session.commit()
    auth.login("org")
    page = client.get(f"/events/{event.id}/panel").get_data(as_text=True)
    option = re.search(rf'<option[^>]*value="{expired.id}"[^>]*>[^<]*', page)[0]
    assert "disabled" in option and zh("certificate expired") in option
    assert "disabled" not in re.search(rf'<option[^>]*value="{valid.id}"[^>]*>', page)[0]
    # Sent anyway, it is still refused.
    client.post(f"/events/{event.id}/panel/members",
                data={"expert_id": expired.id, "role": "judge"})
    assert panel_count(event) == 0


# --- 4. Dates and times in messages -----------------------------------------------------

def test_a_moment_in_a_message_reads_in_the_apps_time_zone(app):
    error = DomainError("The public notice runs until %(end)s.",
                        end=datetime(2026, 12, 8, 7, 59, 3, 882487, tzinfo=UTC))
    with app.test_request_context(), force_locale("zh"):
        text = error.translated()
    assert "2026年12月8日 15:59" in text
    assert "+00:00" not in text and "07:59:03" not in text


def test_finalizing_too_early_says_when_in_local_time(app, locked_tea, client, auth):
    from competition.auth.models import User
    from competition.results import publishing

    organizer = db.session.scalar(select(User).where(User.username == builders.ORGANIZER))
    division = locked_tea.divisions[0]
    publishing.publish(db.session, organizer, division)
    db.session.commit()
    client.post("/login", data={"username": builders.ORGANIZER, "password": builders.PASSWORD})
    page = client.get(f"/events/{locked_tea.id}/results").get_data(as_text=True)
    forms = re.findall(r'action="([^"]*finali[sz]e[^"]*)"', page)
    assert forms
    page = client.post(forms[0], follow_redirects=True).get_data(as_text=True)
    assert "公示期至" in page and "+00:00" not in page
    assert re.search(r"\d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}", page)


# --- 5. No half-English messages or file names ------------------------------------------

def test_a_bad_certificate_numbering_is_said_in_chinese(app):
    competition = builders.competition(evaluator_code="12")
    db.session.commit()
    try:
        competition_series(competition)
    except CertificateError as error:
        with app.test_request_context(), force_locale("zh"):
            text = error.translated()
        with app.test_request_context(), force_locale("en"):
            english = error.translated()
    assert "evaluator code" not in text and "评价机构代码" in text
    assert "evaluator code must be 4 digits" in english


def test_a_measured_criterion_names_its_missing_fields_in_words(app):
    problems = check_criterion(CriterionSpec(
        code="A1", description="外圆", max_points=Decimal(5), kind="measurement",
        entry_mode="measured", nominal=Decimal(38)))
    from competition.errors import translate_problem

    with app.test_request_context(), force_locale("en"):
        english = [translate_problem(p) for p in problems]
    assert english and not any("_" in text for text in english)
    assert any("lower deviation" in text for text in english)
    assert {p.params["field"] for p in problems} >= {"tolerance_lower", "deduction_step"}


def _file_name(response) -> str:
    disposition = response.headers["Content-Disposition"]
    match = re.search(r"filename\*=UTF-8''([^;]+)", disposition)
    return unquote(match.group(1)) if match else disposition


def test_the_notice_pdf_is_named_in_the_users_language(app, published_tea, client):
    division = published_tea.divisions[0]
    name = _file_name(client.get(f"/divisions/{division.id}/notice.pdf"))
    assert name.endswith("成绩公示名单.pdf") and "Public notice" not in name
    client.get("/lang/en")
    name = _file_name(client.get(f"/divisions/{division.id}/notice.pdf"))
    assert name.endswith("public notice of results.pdf")


def test_tickets_and_certificates_are_named_in_chinese(app, final_tea, client):
    client.post("/login", data={"username": builders.ORGANIZER, "password": builders.PASSWORD})
    name = _file_name(job_file(client, f"/events/{final_tea.id}/tickets/print"))
    assert name == "茶艺师-准考证.pdf"
    certificate = db.session.scalars(select(Certificate)).first()  # the winners hold one
    response = client.get(f"/certificates/{certificate.id}.pdf")
    assert response.status_code == 200
    assert _file_name(response) == f"证书-{certificate.number}.pdf"


# --- 6. The contestant's page ----------------------------------------------------------

def test_the_contestant_sees_weights_rank_of_how_many_and_a_review(app, published_tea,
                                                                  client):
    division = published_tea.divisions[0]
    results = db.session.scalars(select(Result).join(Entry).where(
        Entry.division_id == division.id, Result.rank.is_not(None))).all()
    first = next(r for r in results if r.rank == 1)
    entry = db.session.get(Entry, first.entry_id)
    page = client.get(f"/r/{entry.token}").get_data(as_text=True)
    assert zh("Rank %(rank)s of %(count)s", rank=1, count=len(results)) in page
    for module in published_tea.modules:
        weight = format(Decimal(module.weight).normalize(), "f")
        assert zh("(weight %(weight)s%%)", weight=weight) in page
    notice = zh("Appeal under review: the scores concerned have been reopened")
    assert notice not in page

    sheet = db.session.scalar(select(ScoreSheet).where(ScoreSheet.entry_id == entry.id))
    sheet.reopened_for_review = True
    sheet.status = "draft"
    sheet.submitted_at = None
    db.session.commit()
    assert notice in client.get(f"/r/{entry.token}").get_data(as_text=True)
