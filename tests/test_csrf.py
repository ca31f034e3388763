"""Forged requests are refused, with CSRF protection on as in production.

- Every state-changing HTML route (read from ``app.url_map``) refuses a POST without the
  form's CSRF token with 400 — sent by the very user who may otherwise make it — and
  the database is unchanged; the same POST with the token gets through.
- The JSON API is exempt from the token (its callers are scripts and programs). It
  refuses forged requests another way (``competition/security.py``): it reads JSON
  bodies sent as ``application/json`` only, which no HTML form can send, and a write
  signed in by the session cookie that the browser says comes from another site or
  origin is refused with 403. (The session cookie is also ``SameSite=Lax``.)
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from competition.events.models import Competition
from competition.extensions import db
from competition.results.models import Publication
from tests.access_matrix import CONTEXT, EXPECTED, OK, VISITORS, fill_url
from tests.conftest import make_app
from tests.helpers import digest

CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
# Who sends each forged request: someone the route would otherwise let through.
SENDERS = ("organizer", "chief", "judge", "admin", "supervisor", "contestant", "anonymous")


@pytest.fixture(scope="module")
def csrf_app(database_url, world):
    return make_app(database_url, WTF_CSRF_ENABLED=True)


def _signed_in(app, username: str, password: str):
    client = app.test_client()
    page = client.get("/login").text
    response = client.post("/login", data={"username": username, "password": password,
                                           "csrf_token": CSRF_FIELD.search(page).group(1)})
    assert response.status_code == 302, username
    return client


def _client_for(app, world, visitor: str, rule: str, clients: dict):
    context = world.contexts[CONTEXT.get(rule, "tea")]
    username = {"judge": context.judge, "chief": context.chief,
                "other_judge": context.other_judge}.get(visitor, visitor)
    if username in ("anonymous", "contestant"):
        return app.test_client(), context
    if username not in clients:
        clients[username] = _signed_in(app, username, world.passwords[username])
    return clients[username], context


def _html_form_routes(app) -> list[str]:
    return sorted({rule.rule for rule in app.url_map.iter_rules()
                   if "POST" in rule.methods and not rule.rule.startswith("/api/")})


def test_every_form_refuses_a_post_without_its_token(csrf_app, world):
    clients: dict = {}
    routes = _html_form_routes(csrf_app)
    assert len(routes) > 50
    senders = {}
    for rule in routes:
        allowed = [v for v in SENDERS if EXPECTED[("POST", rule)][VISITORS.index(v)] == OK]
        senders[rule] = allowed[0] if allowed else "anonymous"  # a sign-in card: anyone's
        _client_for(csrf_app, world, senders[rule], rule, clients)  # sign in first
    before = digest()
    for rule in routes:
        visitor = senders[rule]
        client, context = _client_for(csrf_app, world, visitor, rule, clients)
        url = fill_url(rule, context.values, visitor)
        response = client.post(url, data={"reason": "伪造的请求", "confirm": "y"})
        assert response.status_code == 400, f"POST {url} as {visitor}"
        assert "此表单已过期" in response.text, url
    db.session.expire_all()
    assert digest() == before
    # Still signed in: even signing out needs the token.
    assert clients["organizer"].get("/").status_code == 200


def test_the_same_post_with_its_token_gets_through(csrf_app, world):
    client = _signed_in(csrf_app, "organizer", world.passwords["organizer"])
    event_id = world.contexts["tea"].values["event_id"]
    page = client.get(f"/events/{event_id}/screen").text
    token = CSRF_FIELD.search(page).group(1)
    frozen = client.post(f"/events/{event_id}/screen/freeze", data={"csrf_token": token})
    assert frozen.status_code == 302
    assert "大屏幕已定格" in client.get(frozen.headers["Location"]).text
    # The token of one session is worth nothing in another.
    other = _signed_in(csrf_app, "admin", world.passwords["admin"])
    refused = other.post(f"/events/{event_id}/screen/unfreeze", data={"csrf_token": token})
    assert refused.status_code == 400
    assert client.post(f"/events/{event_id}/screen/unfreeze",
                       data={"csrf_token": token}).status_code == 302


def test_a_form_in_english_is_refused_in_english(csrf_app, world):
    client = csrf_app.test_client()
    client.get("/lang/en")
    response = client.post("/login", data={"username": "organizer", "password": "x"})
    assert response.status_code == 400
    assert "This form has expired or did not come from this site" in response.text
    assert "Traceback" not in response.text


def _competitions() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(Competition.id)))


def test_the_api_reads_no_form_bodies(csrf_app, world):
    """A cross-site HTML form can send urlencoded, multipart or text/plain bodies only:
    the API reads none of them as its input, so such a post creates nothing."""
    client = _signed_in(csrf_app, "organizer", world.passwords["organizer"])
    before = _competitions()
    fields = {"name": "伪造的大赛", "level": "city", "starts_on": "2026-12-01",
              "ends_on": "2026-12-02", "host": "某单位"}
    assert client.post("/api/v1/competitions", data=fields).status_code == 422
    assert client.post("/api/v1/competitions", data={**fields, "x": (b"", "a.txt")},
                       content_type="multipart/form-data").status_code == 422
    # <form enctype="text/plain"> can make a body that reads as JSON; it is not read.
    import json

    assert client.post("/api/v1/competitions", data=json.dumps(fields),
                       content_type="text/plain").status_code == 422
    assert _competitions() == before
    # The same body as JSON, from this site, is the API's ordinary input.
    made = client.post("/api/v1/competitions", json=fields,
                       headers={"Origin": "http://localhost", "Sec-Fetch-Site": "same-origin"})
    assert made.status_code == 201, made.json
    assert _competitions() == before + 1
    db.session.delete(db.session.get(Competition, made.json["id"]))
    db.session.commit()


@pytest.mark.parametrize("headers", [
    {"Origin": "https://evil.example"},
    {"Sec-Fetch-Site": "cross-site"},
    {"Sec-Fetch-Site": "same-site", "Origin": "https://results.example.gov.cn"},
    {"Origin": "null"},
])
def test_the_api_refuses_writes_from_another_site(csrf_app, world, headers):
    """Publishing takes no body at all: without the origin check a forged form posting
    to it with the organizer's cookie would publish the results."""
    client = _signed_in(csrf_app, "organizer", world.passwords["organizer"])
    division_id = world.draft_division_id
    refused = client.post(f"/api/v1/divisions/{division_id}/publish", headers=headers)
    assert refused.status_code == 403
    assert refused.json["message"] == "来自其他网站的请求已被拒绝。"
    db.session.expire_all()
    assert db.session.scalar(select(Publication).where(
        Publication.division_id == division_id)) is None
    # Reading is not a forgery: another site may link to it (it still needs the session).
    assert client.get(f"/api/v1/events/{world.contexts['care'].values['event_id']}/results",
                      headers=headers).status_code == 200


def test_a_program_with_a_token_is_not_asked_where_it_comes_from(csrf_app, world):
    from competition.auth.credentials import issue_api_token
    from competition.auth.models import User

    organizer = db.session.scalar(select(User).where(User.username == "organizer"))
    token = issue_api_token(db.session, organizer, "csrf test")
    db.session.commit()
    client = csrf_app.test_client()
    competition_id = world.contexts["tea"].values["competition_id"]
    response = client.patch(f"/api/v1/competitions/{competition_id}", json={},
                            headers={"Authorization": f"Bearer {token}",
                                     "Origin": "https://elsewhere.example"})
    assert response.status_code == 200


# --- Behind a reverse proxy ----------------------------------------------------------------

def _behind_proxy(app, password: str):
    """A signed-in organizer whose requests reach the app as a proxy that does not
    forward ``Host`` sends them: the app sees the proxy's own upstream address."""
    client = app.test_client()
    client.environ_base["HTTP_HOST"] = "127.0.0.1:8000"
    page = client.get("/login").text
    assert client.post("/login", data={"username": "organizer", "password": password,
                                       "csrf_token": CSRF_FIELD.search(page).group(1)}
                       ).status_code == 302
    return client


def test_a_tablets_write_is_accepted_behind_a_proxy_that_rewrites_host(
        csrf_app, world):
    """The browser says the request is its own site's; the app sees another host (the
    proxy's upstream) than the browser's Origin: the browser's word decides."""
    client = _behind_proxy(csrf_app, world.passwords["organizer"])
    before = _competitions()
    made = client.post("/api/v1/competitions", json={"name": "咸宁市第二届车工竞赛",
                                                     "level": "city"},
                       headers={"Origin": "https://jineng.xianning.example",
                                "Sec-Fetch-Site": "same-origin"})
    assert made.status_code == 201, made.json
    assert _competitions() == before + 1
    # The same write from another site, behind the same proxy, is still refused.
    refused = client.post("/api/v1/competitions", json={"name": "伪造", "level": "city"},
                          headers={"Origin": "https://evil.example",
                                   "Sec-Fetch-Site": "cross-site"})
    assert refused.status_code == 403
    # A browser that sends no Sec-Fetch-Site is judged by Origin against the host the
    # app sees: without TRUSTED_PROXIES it cannot know the public host, and refuses.
    old_browser = client.post("/api/v1/competitions", json={"name": "旧浏览器", "level": "city"},
                              headers={"Origin": "https://jineng.xianning.example",
                                       "X-Forwarded-Host": "jineng.xianning.example"})
    assert old_browser.status_code == 403
    assert _competitions() == before + 1


def test_trusted_proxies_give_the_app_the_visitors_host_scheme_and_address(
        database_url, world):
    from flask import jsonify, request, url_for

    served = make_app(database_url, WTF_CSRF_ENABLED=True, TRUSTED_PROXIES=1)

    @served.get("/_seen")
    def seen():
        return jsonify(address=request.remote_addr, scheme=request.scheme,
                       link=url_for("public.contestant_page", token="t0ken", _external=True))

    forwarded = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https",
                 "X-Forwarded-Host": "jineng.xianning.example"}
    answer = served.test_client().get("/_seen", headers=forwarded).json
    assert answer == {"address": "203.0.113.7", "scheme": "https",
                      "link": "https://jineng.xianning.example/r/t0ken"}

    client = _behind_proxy(served, world.passwords["organizer"])
    before = _competitions()
    made = client.post("/api/v1/competitions", json={"name": "咸宁市第三届车工竞赛",
                                                     "level": "city"},
                       headers={**forwarded, "Origin": "https://jineng.xianning.example"})
    assert made.status_code == 201, made.json
    assert _competitions() == before + 1
