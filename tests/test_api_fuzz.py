"""The JSON API against its own OpenAPI document, fuzzed with schemathesis.

schemathesis reads /api/v1/openapi.json and makes requests from it — valid ones
and ones that break the document on purpose — against the app in process (WSGI),
on the demo moved through its stages, with two appeals filed, as four callers:
anonymous, an organizer, a judge and a chief judge (bearer tokens). Every answer
must be one the document allows: no 5xx, a status code it lists, a content type
it lists, a body matching its schema; and for the anonymous caller, an answer
its security allows — a success only from an operation documented as public
(``security: []``), a 401 only from one that needs signing in.

Not checked, on purpose: that every valid-looking request is accepted
(``positive_data_acceptance``) — the document cannot say which competition may
take a step now, so a 422 from a rule is right; and that every invalid request
is refused (``negative_data_rejection``) — a path id outside the document's
bounds and an unknown one both answer 404, which the document cannot tell apart.

Ids in the path, the query and the body are real ones of the demo three times in
four, so requests get past "no such event" into the rules; for the judge and the
chief judge mostly ids of their own event, so their requests get past "not yours"
too. The database refuses what PostgreSQL would refuse, a text longer than its
column or a number too large for it, so a run on SQLite finds those failures too.

Bounded in time: a few examples per operation, derandomized so CI is repeatable;
set ``API_FUZZ_EXAMPLES`` for a longer run, and ``API_FUZZ_RANDOM=1`` to explore.
"""

from __future__ import annotations

import os
import re
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

# What a chief judge does through the API besides the tablets' operations: the live
# results and appeals of their event, the award overflow and the appeals' decisions.
CHIEF_OPERATIONS = {
    ("GET", "/api/v1/events/{event_id}/results"),
    ("GET", "/api/v1/events/{event_id}/appeals"),
    ("POST", "/api/v1/appeals/{appeal_id}/decision"),
    ("POST", "/api/v1/appeals/{appeal_id}/opinion"),
    ("POST", "/api/v1/divisions/{division_id}/awards/acknowledgement"),
}


def _known_ids(event_ids: list[int] | None = None, judge_id: int | None = None) -> dict:
    """Real values of the demo for the path and query parameters, by parameter name:
    with ``event_ids``, those of these events only; with ``judge_id``, only that judge's
    sheets."""
    from competition.entries.models import Entry, EventSession
    from competition.events.models import (
        Competition,
        Criterion,
        Division,
        Event,
        Expert,
        Module,
        Occupation,
        PanelMember,
    )
    from competition.grades.models import Certificate
    from competition.judging.models import ScoreSheet
    from competition.results.models import Appeal

    def values(column, *where, limit=12):
        query = select(column).where(*where).order_by(column).limit(limit)
        return list(db.session.scalars(query))

    def of_events(column) -> list:
        return [] if event_ids is None else [column.in_(event_ids)]

    entries = select(Entry.id).where(*of_events(Entry.event_id))
    known = {
        "competition_id": values(Competition.id),
        "event_id": values(Event.id, *of_events(Event.id)),
        "division_id": values(Division.id, *of_events(Division.event_id)),
        "entry_id": values(Entry.id, *of_events(Entry.event_id)),
        "member_id": values(PanelMember.id, *of_events(PanelMember.event_id)),
        "module_id": values(Module.id, *of_events(Module.event_id)),
        "criterion_id": values(Criterion.id, Criterion.module_id.in_(
            select(Module.id).where(*of_events(Module.event_id))), limit=40),
        "expert_id": values(Expert.id), "occupation_id": values(Occupation.id),
        "sheet_id": values(ScoreSheet.id, ScoreSheet.entry_id.in_(entries), *(
            [ScoreSheet.judge_id == judge_id] if judge_id else []), limit=40),
        "appeal_id": values(Appeal.id, Appeal.entry_id.in_(entries)),
        "token": values(Entry.token, *of_events(Entry.event_id), limit=4),
        "session_id": values(EventSession.id, *of_events(EventSession.event_id)),
    }
    # One certificate's number and code, so that drawing both finds it.
    certificate = db.session.execute(select(Certificate.number, Certificate.verification_code)
                                     .order_by(Certificate.id).limit(1)).first()
    if certificate is not None:
        known["number"], known["code"] = [certificate.number], [certificate.verification_code]
    return {name: found for name, found in known.items() if found}


def _file_appeals(count: int) -> int:
    """File ``count`` appeals on the demo's results on public notice (养老护理员, 职工组)
    so the chief judge has appeals to decide; the id of their event."""
    from competition.entries.models import Attendance, Entry
    from competition.results import publishing
    from competition.results.models import Publication, PublicationStatus

    published = db.session.scalar(select(Publication).where(
        Publication.status == PublicationStatus.NOTICE).order_by(Publication.id))
    entries = db.session.scalars(select(Entry).where(
        Entry.division_id == published.division_id, Entry.attendance == Attendance.PRESENT)
        .order_by(Entry.id).limit(count)).all()
    for entry in entries:
        publishing.file_appeal(db.session, entry, "我对实操模块的评分有异议，请复核。")
    return entries[0].event_id


def _own_event_ids(user) -> list[int]:
    from competition.events.models import PanelMember

    return list(db.session.scalars(select(PanelMember.event_id).where(
        PanelMember.expert_id == user.expert_id)))


@pytest.fixture
def demo_api(app):
    """The demo through its stages with two appeals filed, and a bearer token for its
    organizer, a judge of 车工 (part-way through scoring, so there are draft sheets to
    write to) and the chief judge of 养老护理员 (locked, on public notice, appealed)."""
    from competition.auth.credentials import issue_api_token
    from competition.auth.models import User
    from competition.demo import seed_demo
    from competition.demo_stages import advance_demo

    seed_demo(db.session)
    advance_demo(db.session)
    appealed_event = _file_appeals(2)
    users = {username: db.session.scalar(select(User).where(User.username == username))
             for username in ("organizer", "judge6", "chief1")}
    assert _own_event_ids(users["chief1"]) == [appealed_event]
    tokens = {username: issue_api_token(db.session, user, label="schemathesis")
              for username, user in users.items()}
    db.session.commit()
    return {
        "callers": {
            "anonymous": {},
            "organizer": {"Authorization": f"Bearer {tokens['organizer']}"},
            "judge": {"Authorization": f"Bearer {tokens['judge6']}"},
            "chief judge": {"Authorization": f"Bearer {tokens['chief1']}"},
        },
        "known": _known_ids(),
        "own": {
            "judge": _known_ids(_own_event_ids(users["judge6"]), users["judge6"].id),
            "chief judge": _known_ids(_own_event_ids(users["chief1"])),
        },
    }


@pytest.fixture
def columns_hold_like_postgresql():
    """Refuse to flush a string longer than its column or a number with more integer
    digits than its column holds, as PostgreSQL does: SQLite stores either, so without
    this a request that fails there (500) would pass here."""
    from sqlalchemy import Numeric, String, event
    from sqlalchemy import inspect as inspect_row
    from sqlalchemy.orm import Session

    def check(session, context, instances) -> None:
        for row in (*session.new, *session.dirty):
            state = inspect_row(row)
            for attribute in state.mapper.column_attrs:
                column = attribute.columns[0]
                kind = getattr(column.type, "impl_instance", column.type)
                value = state.dict.get(attribute.key)  # as set: nothing is loaded
                if isinstance(kind, String) and kind.length and isinstance(value, str) \
                        and len(value) > kind.length:
                    raise ValueError(f"{column.table.name}.{column.name} holds "
                                     f"{kind.length} characters, not {len(value)}")
                if isinstance(kind, Numeric) and kind.precision and value is not None \
                        and abs(value) >= 10 ** (kind.precision - (kind.scale or 0)):
                    raise ValueError(f"{column.table.name}.{column.name} holds "
                                     f"{kind.precision} digits, not {value}")

    event.listen(Session, "before_flush", check)
    yield
    event.remove(Session, "before_flush", check)


def _callers_of(operation) -> list[str]:
    """Anonymous and the organizer call every operation. The judge calls the tablets'
    operations only, and the chief judge those and the chief judge's own (the others
    would refuse them as they refuse anyone who is not an organizer)."""
    names = ["anonymous", "organizer"]
    tablet = operation.path.startswith("/api/v1/judge/")
    if tablet:
        names.append("judge")
    if tablet or (operation.method.upper(), operation.path) in CHIEF_OPERATIONS:
        names.append("chief judge")
    return names


def _security(operation) -> list:
    """The operation's security as documented: its own, or the document's."""
    return operation.definition.raw.get("security", operation.schema.raw_schema.get(
        "security", []))


def _anonymous_answer_matches_security(ctx, response, case) -> None:
    """Without credentials, a success comes only from an operation documented as public
    (empty security), and a 401 only from one documented as needing sign-in."""
    secured = bool(_security(case.operation))
    if 200 <= response.status_code < 300 and secured:
        raise AssertionError(f"{case.operation.label} answered {response.status_code} "
                             "without sign-in but its document requires it")
    if response.status_code == 401 and not secured:
        raise AssertionError(f"{case.operation.label} answered 401 but its document says "
                             "anyone may call it")


def _fuzz(operation, mode, headers: dict, known: dict, own: dict) -> str | None:
    """Run one operation in one generation mode; the shrunk failure's report, or None.
    A path or query parameter the demo knows takes a real value three times in four: the
    caller's own (``own``) twice, any of the demo's (``known``) once."""
    checks = CHECKS if headers else [*CHECKS, _anonymous_answer_matches_security]

    @settings(max_examples=EXAMPLES, deadline=None, database=None, print_blob=False,
              derandomize=not os.environ.get("API_FUZZ_RANDOM"),
              suppress_health_check=list(HealthCheck),
              phases=[Phase.explicit, Phase.generate, Phase.shrink])
    @given(case=operation.as_strategy(generation_mode=mode), data=st.data())
    def run(case, data):
        def use_known(where) -> None:
            """Replace some values named like a known parameter, at any depth."""
            if isinstance(where, list):
                for item in where:
                    use_known(item)
            if not isinstance(where, dict):
                return
            for name in list(where):
                choice = data.draw(st.integers(0, 3)) if name in known else 0
                if choice:
                    pool = own[name] if choice < 3 and name in own else known[name]
                    where[name] = data.draw(st.sampled_from(pool))
                else:
                    use_known(where[name])

        use_known([case.path_parameters, case.query, case.body])
        try:
            case.call_and_validate(headers=headers, checks=checks)
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


def test_every_api_answer_is_one_its_document_allows(app, demo_api,
                                                     columns_hold_like_postgresql):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    failures = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        for caller in _callers_of(operation):
            for mode in MODES:
                failure = _fuzz(operation, mode, demo_api["callers"][caller],
                                demo_api["known"], demo_api["own"].get(caller, {}))
                if failure:
                    failures.append(f"as {caller}: {failure}")
    assert operations >= 40, "the document lost its operations"
    assert not failures, "\n\n".join(failures)


# The operations anyone may call: published results, a contestant's own result by the
# secret of their link, and checking a certificate by its number and code.
PUBLIC_OPERATIONS = {
    "GET /api/v1/divisions/{division_id}/results",
    "GET /api/v1/contestant/{token}/result",
    "GET /api/v1/certificates/{number}",
}


def _anonymous_statuses(client, path: str, method: str, operation: dict,
                        known: dict) -> set[int]:
    """What each call of the operation with the demo's values answers without sign-in:
    every known value of its path parameter, and known query values."""
    names = re.findall(r"{(\w+)}", path)
    urls = [path]
    for name in names:
        urls = [url.replace(f"{{{name}}}", str(value))
                for url in urls for value in known.get(name, [MAX_INT])]
    query = {p["name"]: known[p["name"]][0] for p in operation.get("parameters", [])
             if p["in"] == "query" and p["name"] in known}
    body = {} if method in ("post", "put", "patch") else None
    return {client.open(url, method=method.upper(), query_string=query,
                        json=body).status_code for url in urls}


def test_the_document_says_which_operations_anyone_may_call(app, demo_api):
    """An operation answering a caller who is not signed in is documented with empty
    security, and one documented so answers without sign-in (never 401); every other
    operation answers that caller 401."""
    client = app.test_client()
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["security"], "the document lost its sign-in"
    operations, public, answering, refusing = set(), set(), set(), set()
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            label = f"{method.upper()} {path}"
            operations.add(label)
            if operation.get("security", document["security"]) == []:
                public.add(label)
            statuses = _anonymous_statuses(client, path, method, operation,
                                           demo_api["known"])
            if any(200 <= status < 300 for status in statuses):
                answering.add(label)
            if 401 in statuses:
                refusing.add(label)
    assert len(operations) >= 40, "the document lost its operations"
    assert public == PUBLIC_OPERATIONS
    assert answering == public
    assert refusing == operations - public


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


def test_a_session_time_outside_the_years_is_refused_with_422(app, client, login_as):
    """A session in year 1 or 9999 cannot be moved to UTC, nor given a reporting time 30
    minutes earlier: refused on the field, so nothing is stored that the session lists
    could not show."""
    from tests import builders

    organizer = login_as("organizer")
    event = builders.event(builders.competition(organizers=(organizer,)))
    db.session.commit()
    url = f"/api/v1/events/{event.id}/sessions"
    for starts, ends in (("0001-01-01T00:10:00+00:00", "0001-01-01T05:00:00+00:00"),
                         ("0001-01-01T00:10:00", "0001-01-01T05:00:00"),
                         ("9999-12-31T20:00:00-12:00", "9999-12-31T23:00:00-12:00"),
                         ("2026-11-20T08:30:00", "9999-12-31T23:59:59+00:00")):
        response = client.post(url, json={"name": "第1场", "starts_at": starts,
                                          "ends_at": ends, "stations": 2})
        assert response.status_code == 422, (starts, ends)
        assert "ends_at" in response.get_json()["errors"]["json"]
    assert client.get(url).get_json() == []

    first = client.post(url, json={"name": "第1场", "starts_at": "2026-11-20T08:30:00",
                                   "ends_at": "2026-11-20T11:30:00", "stations": 2}).get_json()
    response = client.patch(f"/api/v1/event-sessions/{first['id']}",
                            json={"reporting_at": "0001-01-01T00:00:00"})
    assert response.status_code == 422
    assert "reporting_at" in response.get_json()["errors"]["json"]
    assert client.get(url).status_code == 200


def test_a_text_longer_than_its_column_is_refused_with_422(
        app, client, login_as, columns_hold_like_postgresql):
    """PostgreSQL refuses to store a text longer than its column (SQLite keeps it): the
    API refuses it first, on the field, and the document gives the longest."""
    from datetime import date

    from competition.entries.idcard import make_id_number
    from competition.entries.models import Entry
    from competition.events.models import Expert
    from tests import builders

    organizer = login_as("organizer")
    competition = builders.competition(organizers=(organizer,))
    event = builders.event(competition)
    occupation_id, division_id = event.occupation_id, event.divisions[0].id
    db.session.commit()
    long = "长" * 201
    for method, url, body, field in (
            ("PATCH", f"/api/v1/competitions/{competition.id}", {"host": long}, "host"),
            ("PATCH", f"/api/v1/competitions/{competition.id}",
             {"certificate_issuer": long}, "certificate_issuer"),
            ("PATCH", f"/api/v1/events/{event.id}", {"name": long}, "name"),
            ("PATCH", f"/api/v1/events/{event.id}", {"venue": long}, "venue"),
            ("PATCH", f"/api/v1/events/{event.id}", {"divisions": [{"name": long}]},
             "divisions"),
            ("POST", "/api/v1/experts", {"name": "聂卫星", "work_unit": long,
                                         "occupation_ids": [occupation_id]}, "work_unit"),
            ("POST", "/api/v1/experts", {"name": "聂卫星", "phone": "1" * 21,
                                         "occupation_ids": [occupation_id]}, "phone"),
            ("POST", f"/api/v1/events/{event.id}/entries", {
                "name": "陈敏", "id_number": make_id_number("421202", date(1988, 2, 3), 224,
                                                             "F"),
                "division_id": division_id, "work_unit": long}, "work_unit")):
        response = client.open(url, method=method, json=body)
        assert response.status_code == 422, (url, body)
        assert field in response.get_json()["errors"]["json"], (url, body)
    assert db.session.scalar(select(func.count(Expert.id))) == 0
    assert db.session.scalar(select(func.count(Entry.id))) == 0
    schemas = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    assert schemas["Event"]["properties"]["name"]["maxLength"] == 100
    assert schemas["Registration"]["properties"]["work_unit"]["maxLength"] == 200


def test_the_document_bounds_a_private_link_and_a_certificate_number(client):
    """The two public operations taking a text in the path say which texts can be one:
    with nothing to break, schemathesis could make no invalid request of them. Any other
    text answers 404 like an unknown one."""
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    [token] = paths["/api/v1/contestant/{token}/result"]["parameters"]
    assert (token["schema"]["minLength"], token["schema"]["maxLength"]) == (20, 64)
    [number] = paths["/api/v1/certificates/{number}"]["parameters"]
    assert number["schema"]["minLength"] == number["schema"]["maxLength"] == 22
    assert re.fullmatch(number["schema"]["pattern"], "S042142000001261000001")
    for url in ("/api/v1/contestant/short/result", "/api/v1/contestant/" + "x" * 65 + "/result",
                "/api/v1/certificates/S04214200000126100000", "/api/v1/certificates/garbage"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert response.get_json()["code"] == 404
