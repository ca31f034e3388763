"""Who may open what: every route of the app × every kind of visitor.

The table of expected outcomes, the visitors and the world they are checked on are in
tests/access_matrix.py. The routes are read from ``app.url_map``, so a route added without
a line in ``EXPECTED`` fails the test. ``SHOW_PERMISSIONS=1 pytest -s`` prints what each
visitor got, to write the line of a new route.
"""

from __future__ import annotations

import os

from sqlalchemy import select

from competition.auth.models import User
from competition.extensions import db
from tests.access_matrix import (
    API_LOGIN,
    CONTEXT,
    EXPECTED,
    LIKE,
    LOGIN,
    MALFORMED_BODY,
    OK,
    REFUSED,
    VISITORS,
    WRITE_METHODS,
    Context,
    World,
    fill_url,
)
from tests.helpers import digest


def _user(username: str) -> User:
    return db.session.scalar(select(User).where(User.username == username))


# --- Requests --------------------------------------------------------------------------------

def _outcome(client, response, api: bool) -> str:
    status = response.status_code
    with client.session_transaction() as session:
        errors = [m for category, m in session.pop("_flashes", []) if category == "error"]
    if status in (301, 302, 303, 307, 308):
        location = response.headers["Location"]
        if location.split("?")[0].endswith("/login"):
            return LOGIN
        assert location.startswith("/") or location.startswith("http://localhost/"), location
        return REFUSED if errors else OK
    if status == 401 and api:
        return API_LOGIN
    if status < 300:
        return OK
    return str(status)


def _expected(rule: str, method: str, visitor: str) -> str:
    outcome = EXPECTED[(method, rule)][VISITORS.index(LIKE.get(visitor, visitor))]
    if outcome == LOGIN and rule.startswith("/api/"):
        return API_LOGIN
    return outcome


def _clients(app, world: World) -> dict[str, object]:
    clients = {}
    for username, password in world.passwords.items():
        client = app.test_client()
        response = client.post("/login", data={"username": username, "password": password})
        assert response.status_code == 302, username
        clients[username] = client
    clients["anonymous"] = app.test_client()
    card = app.test_client()
    assert card.post(f"/s/{world.outside_card}").status_code == 302
    clients["outside_card"] = card
    return clients


def _username(visitor: str, context: Context) -> str:
    return {"anonymous": "anonymous", "contestant": "anonymous", "outside_card": "outside_card",
            "other_judge": context.other_judge, "judge": context.judge,
            "chief": context.chief}.get(visitor, visitor)


def _routes(app) -> list[tuple[str, str]]:
    found = set()
    for rule in app.url_map.iter_rules():
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            found.add((method, rule.rule))
    return sorted(found, key=lambda item: (item[1], item[0]))


def test_every_route_is_in_the_expected_table(_shared_app):
    routes = set(_routes(_shared_app))
    missing = sorted(routes - EXPECTED.keys(), key=lambda item: item[1])
    assert not missing, "routes with no expected outcome: " + ", ".join(
        f"{m} {r}" for m, r in missing)
    assert not EXPECTED.keys() - routes, "expected outcomes for routes that are gone"


def test_who_may_open_every_page(_shared_app, world):
    app = _shared_app
    clients = _clients(app, world)
    observed, wrong = {}, []
    for method, rule in _routes(app):
        if method != "GET":
            continue
        context = world.contexts[CONTEXT.get(rule, "tea")]
        row = []
        for visitor in (*VISITORS, *LIKE):
            client = clients[_username(visitor, context)]
            url = fill_url(rule, context.values, visitor)
            response = client.get(url)
            outcome = _outcome(client, response, rule.startswith("/api/"))
            response.close()  # a live stream holds one of the process's few slots till closed
            row.append(outcome)
            if (method, rule) in EXPECTED and outcome != _expected(rule, method, visitor):
                wrong.append(f"GET {url} as {visitor}: {outcome}, "
                             f"expected {_expected(rule, method, visitor)}")
        observed[(method, rule)] = row
    if os.environ.get("SHOW_PERMISSIONS"):
        for (method, rule), row in observed.items():
            print(method, rule, row)
    assert not wrong, "\n".join(wrong)


def test_refused_visitors_change_nothing(_shared_app, world):
    app = _shared_app
    clients = _clients(app, world)
    before = digest()
    wrong, observed = [], {}
    for method, rule in _routes(app):
        if method not in WRITE_METHODS:
            continue
        context = world.contexts[CONTEXT.get(rule, "tea")]
        api = rule.startswith("/api/")
        row = []
        for visitor in (*VISITORS, *LIKE):
            expected = _expected(rule, method, visitor) if (method, rule) in EXPECTED else "?"
            if expected == OK:
                row.append("(ok)")
                continue
            client = clients[_username(visitor, context)]
            url = fill_url(rule, context.values, visitor)
            if api:
                response = client.open(url, method=method, json=MALFORMED_BODY)
            else:
                response = client.open(url, method=method, data={"reason": "x"})
            outcome = _outcome(client, response, api)
            response.close()
            row.append(outcome)
            if expected != "?" and outcome != expected:
                wrong.append(f"{method} {url} as {visitor}: {outcome}, expected {expected}")
        observed[(method, rule)] = row
    if os.environ.get("SHOW_PERMISSIONS"):
        for (method, rule), row in observed.items():
            print(method, rule, row)
    db.session.expire_all()
    assert not wrong, "\n".join(wrong)
    assert digest() == before


def test_an_id_from_elsewhere_is_not_found_under_ones_own_event(_shared_app, world):
    """Routes naming two things check that the second belongs to the first: the other
    organizer, under their own competition or event, cannot reach the demo's cards, panel
    members, conflicts or rules; a chief judge, under their own event, cannot reach another
    event's sheets or penalties."""
    clients = _clients(_shared_app, world)
    tea, lathe = world.contexts["tea"].values, world.contexts["lathe"].values
    own, own_competition = world.own_event_id, world.contexts["registration"].values[
        "competition_id"]
    before = digest()
    other = clients["other_organizer"]
    assert other.get(f"/events/{own}/rules/{world.own_rule_id}/edit").status_code == 200
    for method, url in (
            ("GET", f"/events/{own}/rules/{tea['rule_id']}/edit"),
            ("POST", f"/events/{own}/rules/{tea['rule_id']}/delete"),
            ("POST", f"/events/{own}/rules/{tea['rule_id']}/move"),
            ("POST", f"/events/{own}/panel/members/{tea['member_id']}/chief"),
            ("POST", f"/events/{own}/panel/members/{tea['member_id']}/remove"),
            ("POST", f"/events/{own}/conflicts/{tea['conflict_id']}/remove"),
            ("POST", f"/competitions/{own_competition}/signin-cards/{tea['token_id']}/revoke")):
        assert other.open(url, method=method).status_code == 404, url
    for chief, method, url in (
            ("chief2", "GET", f"/judge/events/{lathe['event_id']}/console/sheets/"
                              f"{tea['sheet_id']}/reopen"),
            ("chief2", "POST", f"/judge/events/{lathe['event_id']}/console/sheets/"
                               f"{tea['sheet_id']}/reopen"),
            ("chief3", "POST", f"/judge/events/{tea['event_id']}/console/penalties/"
                               f"{lathe['penalty_id']}/withdraw")):
        response = clients[chief].open(url, method=method, data={"reason": "x"})
        assert response.status_code == 404, url
    db.session.expire_all()
    assert digest() == before


def test_results_still_a_draft_are_public_nowhere(_shared_app, world):
    """The 养老护理员 学生组 results are not published: every public address of a
    division answers 404, to anyone."""
    clients = _clients(_shared_app, world)
    division = world.draft_division_id
    for client in (clients["anonymous"], clients["judge1"], clients["organizer"]):
        for url in (f"/results/divisions/{division}", f"/divisions/{division}/notice.pdf",
                    f"/api/v1/divisions/{division}/results"):
            assert client.get(url).status_code == 404, url
    assert "学生组" not in clients["anonymous"].get("/results").text


def test_an_api_token_carries_its_user_s_permissions_and_no_more(_shared_app, world):
    """``Authorization: Bearer`` is the session's equal: the same answers, per user."""
    from competition.auth.credentials import issue_api_token

    tokens = {name: issue_api_token(db.session, _user(name), "matrix")
              for name in ("judge9", "other_organizer", "organizer")}
    db.session.commit()
    client = _shared_app.test_client()
    competition = world.contexts["tea"].values["competition_id"]

    def get(url: str, name: str | None) -> int:
        headers = {"Authorization": f"Bearer {tokens[name]}"} if name else {}
        return client.get(url, headers=headers).status_code

    assert get("/api/v1/judge/assignments", "judge9") == 200
    assert get("/api/v1/judge/assignments", "organizer") == 403
    assert get(f"/api/v1/competitions/{competition}", "organizer") == 200
    assert get(f"/api/v1/competitions/{competition}", "other_organizer") == 403
    assert get(f"/api/v1/competitions/{competition}", "judge9") == 403
    assert client.get(f"/api/v1/competitions/{competition}",
                      headers={"Authorization": "Bearer not-a-token"}).status_code == 401
    # A token signs in one request only: the next, without it, is anonymous.
    assert get(f"/api/v1/competitions/{competition}", None) == 401
