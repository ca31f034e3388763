"""The application as a whole: configuration, health check, languages, error pages."""

import pytest

from competition import create_app
from competition.config import DEFAULT_SECRET_KEY, ConfigError, normalise_database_url


def test_refuses_to_start_in_production_with_the_default_secret_key(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_refuses_to_start_in_production_without_an_audit_key(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    monkeypatch.delenv("AUDIT_KEY", raising=False)
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    with pytest.raises(ConfigError, match="AUDIT_KEY"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_starts_in_production_with_a_secret_key(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("AUDIT_KEY", "a" * 40)
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["SECRET_KEY"] != DEFAULT_SECRET_KEY


def test_database_url_from_the_environment(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://u@db.example/contest")
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("AUDIT_KEY", "a" * 40)
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db.example/contest"


def test_default_database_is_a_sqlite_file_in_the_instance_folder(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    app = create_app({"TESTING": True})
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    assert uri.startswith("sqlite:///") and uri.endswith("instance/competition.sqlite3")


@pytest.mark.parametrize("url, expected", [
    ("postgresql://a@b/c", "postgresql+psycopg://a@b/c"),
    ("postgres://a@b/c", "postgresql+psycopg://a@b/c"),
    ("postgresql+psycopg://a@b/c", "postgresql+psycopg://a@b/c"),
    ("sqlite:///x.db", "sqlite:///x.db"),
])
def test_normalise_database_url(url, expected):
    assert normalise_database_url(url) == expected


def test_healthz_answers_ok_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_healthz_answers_503_when_the_database_is_gone():
    """Nothing listens on port 1: the database is unreachable."""
    from tests.conftest import make_app

    app = make_app("postgresql+psycopg://postgres@127.0.0.1:1/nowhere",
                   SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"connect_timeout": 2}})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["status"] == "unavailable"


def test_a_page_answers_a_friendly_503_when_the_database_is_gone():
    from tests.conftest import make_app

    app = make_app("postgresql+psycopg://postgres@127.0.0.1:1/nowhere",
                   SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"connect_timeout": 2}})
    client = app.test_client()
    response = client.post("/login", data={"username": "a", "password": "b"})
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert "服务暂时不可用" in page
    assert "Traceback" not in page and "OperationalError" not in page


def test_pages_are_in_chinese_by_default(client):
    page = client.get("/login").get_data(as_text=True)
    assert "登录" in page
    assert 'lang="zh-CN"' in page


def test_english_can_be_chosen_from_any_page_and_sticks(client):
    response = client.get("/lang/en?next=/login", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.request.path == "/login"
    assert "Sign in" in page and 'lang="en"' in page
    assert "Sign in" in client.get("/login").get_data(as_text=True)
    client.get("/lang/zh")
    assert "登录" in client.get("/login").get_data(as_text=True)


def test_language_switch_ignores_unknown_languages_and_foreign_redirects(client):
    response = client.get("/lang/xx?next=https://evil.example/")
    assert response.status_code == 302
    assert "evil.example" not in response.headers["Location"]
    assert "登录" in client.get("/login").get_data(as_text=True)


def test_unknown_page_gives_a_friendly_404_in_the_users_language(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "页面不存在" in response.get_data(as_text=True)


def test_static_assets_are_served_locally(client):
    response = client.get("/static/css/app.css")
    assert response.status_code == 200
    page = client.get("/login").get_data(as_text=True)
    assert "/static/css/app.css" in page
    assert "http://" not in page.replace("http://localhost", "")
    assert "https://" not in page
