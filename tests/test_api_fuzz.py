"""The JSON API against its own OpenAPI document, fuzzed with schemathesis (issue 9).

schemathesis reads /api/v1/openapi.json and makes requests from it — valid ones
and ones that break the document on purpose — against the app in process (WSGI),
on the demo moved through its stages, as an organizer and a judge (bearer tokens)
and anonymously. Every answer must be one the document allows: no 5xx, a status
code it lists, a content type it lists, a body matching its schema.

Not checked, on purpose: that every valid-looking request is accepted
(``positive_data_acceptance``) — the document cannot say which competition may
take a step now, so a 422 from a rule is right; and that every invalid request
is refused (``negative_data_rejection``) — a path id outside the document's
bounds and an unknown one both answer 404, which the document cannot tell apart.

Ids in the path and query are real ones of the demo three times in four, so
requests get past "no such event" into the rules. Bounded in time: a few
examples per operation, derandomized so CI is repeatable; set
``API_FUZZ_EXAMPLES`` for a longer run, and ``API_FUZZ_RANDOM=1`` to explore.
"""

from __future__ import annotations

import os
import traceback

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import func, select

from competition.api.schemas import MAX_INT
from competition.extensions import db

EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "6"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance, response_headers_conformance]
MODES = (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE)


def _known_ids() -> dict[str, list]:
    """Real values of the demo for the path and query parameters, by parameter name."""
    from competition.entries.models import Entry
    from competition.events.models import Competition, Division, Event, Module, PanelMember
    from competition.grades.models import Certificate
    from competition.judging.models import ScoreSheet
    from competition.results.models import Appeal

    def values(column, limit=12):
        return list(db.session.scalars(select(column).order_by(column).limit(limit)))

    known = {
        "competition_id": values(Competition.id), "event_id": values(Event.id),
        "division_id": values(Division.id), "entry_id": values(Entry.id),
        "member_id": values(PanelMember.id), "module_id": values(Module.id),
        "sheet_id": values(ScoreSheet.id, 40), "appeal_id": values(Appeal.id),
        "token": values(Entry.token, 4), "number": values(Certificate.number, 4),
    }
    return {name: found for name, found in known.items() if found}


@pytest.fixture
def demo_api(app):
    """The demo through its stages, and a bearer token for its organizer and for a judge
    of 车工 (part-way through scoring, so there are draft sheets to write to)."""
    from competition.auth.models import User
    from competition.auth.service import issue_api_token
    from competition.demo import seed_demo
    from competition.demo_stages import advance_demo

    seed_demo(db.session)
    advance_demo(db.session)
    tokens = {}
    for username in ("organizer", "judge6"):
        user = db.session.scalar(select(User).where(User.username == username))
        tokens[username] = issue_api_token(db.session, user, label="schemathesis")
    db.session.commit()
    return {
        "callers": {
            "anonymous": {},
            "organizer": {"Authorization": f"Bearer {tokens['organizer']}"},
            "judge": {"Authorization": f"Bearer {tokens['judge6']}"},
        },
        "known": _known_ids(),
    }


def _callers_of(operation, callers: dict) -> list[str]:
    """Everyone calls every operation but the judge, who only calls the tablets' (the
    others would refuse a judge as they refuse anyone who is not an organizer)."""
    names = ["anonymous", "organizer"]
    if operation.path.startswith("/api/v1/judge/"):
        names.append("judge")
    return names


def _fuzz(operation, mode, headers: dict, known: dict) -> str | None:
    """Run one operation in one generation mode; the shrunk failure's report, or None."""

    @settings(max_examples=EXAMPLES, deadline=None, database=None, print_blob=False,
              derandomize=not os.environ.get("API_FUZZ_RANDOM"),
              suppress_health_check=list(HealthCheck),
              phases=[Phase.explicit, Phase.generate, Phase.shrink])
    @given(case=operation.as_strategy(generation_mode=mode), data=st.data())
    def run(case, data):
        for where in (case.path_parameters, case.query):
            for name in list(where or {}):
                if name in known and data.draw(st.integers(0, 3)):
                    where[name] = data.draw(st.sampled_from(known[name]))
        try:
            case.call_and_validate(headers=headers, checks=CHECKS)
        finally:
            # Each request is its own unit of work, as behind a real server.
            db.session.remove()

    try:
        run()
    except BaseException as failure:  # schemathesis raises groups of failures
        if isinstance(failure, KeyboardInterrupt | SystemExit):
            raise
        return f"{operation.label} [{mode.name}]\n{_describe(failure)}"
    return None


def _describe(failure: BaseException) -> str:
    """The failure with every failure grouped in it (schemathesis and hypothesis group
    them), each with the request that reproduces it."""
    if isinstance(failure, BaseExceptionGroup):
        return "\n".join(_describe(inner) for inner in failure.exceptions)
    return "".join(traceback.format_exception_only(failure)).strip()


def test_every_api_answer_is_one_its_document_allows(app, demo_api):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    failures = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        for caller in _callers_of(operation, demo_api["callers"]):
            for mode in MODES:
                failure = _fuzz(operation, mode, demo_api["callers"][caller],
                                demo_api["known"])
                if failure:
                    failures.append(f"as {caller}: {failure}")
    assert operations >= 40, "the document lost its operations"
    assert not failures, "\n\n".join(failures)


# --- What the fuzzing found, pinned down ---------------------------------------------------

def _token_headers(runner, role: str = "organizer") -> dict:
    from tests import builders

    builders.user(role, username=f"fuzz-{role}")
    db.session.commit()
    result = runner.invoke(args=["users", "token", f"fuzz-{role}"])
    assert result.exit_code == 0, result.output
    return {"Authorization": f"Bearer {result.output.strip()}"}


def test_an_id_too_large_for_the_database_is_not_found(app, client, runner):
    headers = _token_headers(runner)
    for url in (f"/api/v1/events/{MAX_INT + 1}", "/api/v1/competitions/" + "9" * 30,
                f"/api/v1/divisions/{2**64}/results"):
        response = client.get(url, headers=headers)
        assert response.status_code == 404, url
        assert response.get_json()["code"] == 404
    document = client.get("/api/v1/openapi.json").get_json()
    parameter = document["paths"]["/api/v1/events/{event_id}"]["parameters"][0]
    assert parameter["schema"]["maximum"] == MAX_INT


def test_a_body_number_too_large_or_an_unknown_occupation_is_refused_with_422(
        app, client, runner):
    from competition.events.models import Event, Expert
    from tests import builders

    headers = _token_headers(runner)
    occupation = builders.occupation()
    competition = client.post("/api/v1/competitions", headers=headers, json={
        "name": "咸宁市车工技能竞赛", "level": "city"}).get_json()
    url = f"/api/v1/competitions/{competition['id']}/events"

    response = client.post(url, headers=headers, json={"occupation_id": occupation.id + 1000})
    assert response.status_code == 422
    assert "occupation_id" in response.get_json()["errors"]["json"]

    response = client.post(url, headers=headers, json={"occupation_id": occupation.id,
                                                       "notice_days": 2**40})
    assert response.status_code == 422
    assert "notice_days" in response.get_json()["errors"]["json"]

    response = client.post("/api/v1/experts", headers=headers, json={
        "name": "聂卫星", "occupation_ids": [2**63]})
    assert response.status_code == 422
    assert db.session.scalar(select(func.count(Event.id))) == 0
    assert db.session.scalar(select(func.count(Expert.id))) == 0


def test_the_document_describes_decimals_as_strings_and_rule_problems(client):
    document = client.get("/api/v1/openapi.json").get_json()
    schemas = document["components"]["schemas"]
    prize = schemas["Event"]["properties"]["first_prize_pct"]
    assert prize["type"] == "string" and prize["format"] == "decimal"
    assert "problems" in schemas["Error"]["properties"]
    assert "errors" in schemas["Refused"]["properties"]
