"""One transaction per request: a view that returns commits all it changed, one that raises
commits nothing; a broken rule no view caught answers with the status its kind says (JSON
in the API) or a flashed message back where the form was (pages). And no module but the
request's dispatch and the command line commits."""

from __future__ import annotations

import ast
import pathlib

import pytest
from flask import abort
from sqlalchemy import select

from competition.errors import N_, Conflict, DomainError, NotFound, Refused, status_of
from competition.events.models import Occupation
from competition.extensions import db
from tests.helpers import make_app

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "competition"
# The request's dispatch commits for every view; the command line and the demo seeding
# run outside requests. A background job (jobs/runner.py) runs outside requests too, in a
# worker or a thread: it writes its progress and its file's parts in short transactions of
# its own, so that they are seen while it runs and a failure can be recorded.
MAY_COMMIT = {"web.py", "cli.py", "demo.py", "demo_stages.py", "backup.py", "runner.py"}


@pytest.fixture(scope="module")
def probe_app(database_url):
    """An app with routes that change the database and then end in each way a view ends."""
    app = make_app(database_url)

    def add_occupation(name: str) -> None:
        db.session.add(Occupation(name=name, code=None))
        db.session.flush()

    @app.post("/probe/returns")
    def returns():
        add_occupation("探针-返回")
        return "ok"

    @app.post("/probe/crashes")
    def crashes():
        add_occupation("探针-崩溃")
        raise RuntimeError("a bug after the change")

    @app.post("/probe/aborts")
    def aborts():
        add_occupation("探针-中止")
        abort(404)

    @app.post("/probe/refused")
    def refused():
        add_occupation("探针-拒绝")
        raise Refused(N_("Only the chief judge of %(event)s may do this."), event="茶艺师")

    @app.get("/probe/refused")
    def refused_page():
        raise Refused(N_("Only the chief judge of %(event)s may do this."), event="茶艺师")

    @app.post("/api/v1/probe/<kind>")
    def api_probe(kind: str):
        add_occupation(f"探针-{kind}")
        error = {"refused": Refused, "conflict": Conflict, "missing": NotFound,
                 "broken": DomainError}[kind]
        raise error(N_("Only the chief judge of %(event)s may do this."), event="茶艺师")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    return app


@pytest.fixture
def probe(probe_app):
    with probe_app.app_context():
        yield probe_app.test_client()
        db.session.rollback()
        db.session.execute(db.delete(Occupation))
        db.session.commit()
        db.session.remove()


def occupations() -> list[str]:
    db.session.rollback()
    return list(db.session.scalars(select(Occupation.name).order_by(Occupation.name)))


def test_a_view_that_returns_commits_what_it_changed(probe):
    assert probe.post("/probe/returns").status_code == 200
    assert occupations() == ["探针-返回"]


@pytest.mark.parametrize(("path", "status"), [
    ("/probe/crashes", 500), ("/probe/aborts", 404), ("/probe/refused", 302),
    ("/api/v1/probe/refused", 403), ("/api/v1/probe/conflict", 409),
    ("/api/v1/probe/missing", 404), ("/api/v1/probe/broken", 422),
])
def test_a_view_that_raises_commits_nothing(probe, path, status):
    assert probe.post(path).status_code == status
    assert occupations() == []


def test_the_api_answers_a_broken_rule_in_json_with_the_status_of_its_kind(probe):
    response = probe.post("/api/v1/probe/conflict", headers={"Accept-Language": "zh"})
    assert response.status_code == 409
    assert response.json == {"code": 409, "status": "Conflict",
                             "message": "只有 茶艺师 的裁判长可以进行此操作。", "problems": []}


def test_a_form_refused_goes_back_where_it_was_with_the_reason(probe):
    response = probe.post("/probe/refused", headers={"Referer": "http://localhost/somewhere"})
    assert response.status_code == 302
    assert response.headers["Location"] == "http://localhost/somewhere"
    with probe.session_transaction() as session:
        assert ("error", "只有 茶艺师 的裁判长可以进行此操作。") in session["_flashes"]


def test_a_referrer_on_another_site_is_not_followed(probe):
    response = probe.post("/probe/refused", headers={"Referer": "https://evil.example/"})
    assert response.status_code == 302
    assert "evil.example" not in response.headers["Location"]


def test_a_page_refused_shows_the_reason_with_its_status(probe):
    response = probe.get("/probe/refused")
    assert response.status_code == 403
    assert "只有 茶艺师 的裁判长可以进行此操作。" in response.get_data(as_text=True)


def test_status_of_each_kind():
    assert [status_of(kind("x")) for kind in (Refused, Conflict, NotFound, DomainError)] \
        == [403, 409, 404, 422]


def _commits(path: pathlib.Path) -> list[int]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [node.lineno for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr == "commit"]


def test_no_view_api_or_service_commits():
    found = {str(path.relative_to(PACKAGE)): lines
             for path in sorted(PACKAGE.rglob("*.py"))
             if path.name not in MAY_COMMIT and (lines := _commits(path))}
    assert found == {}

