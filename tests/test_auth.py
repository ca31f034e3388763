"""Accounts: signing in and out, roles, the command line, and who sees which competition."""

import pytest
from sqlalchemy import select

from competition.auth.models import User
from competition.extensions import db
from tests import builders


def test_password_is_stored_hashed(app):
    user = builders.user("organizer", username="zhang")
    db.session.commit()
    stored = db.session.scalar(select(User.password_hash).where(User.id == user.id))
    assert builders.PASSWORD not in stored
    assert stored.startswith(("scrypt:", "pbkdf2:"))


def test_sign_in_and_out(app, client, auth):
    builders.user("organizer", username="wang", display_name="王组委")
    db.session.commit()
    page = auth.login("wang").get_data(as_text=True)
    assert "欢迎，王组委" in page
    assert "退出" in page
    page = auth.logout().get_data(as_text=True)
    assert "您已退出登录" in page
    assert client.get("/").status_code == 302


def test_wrong_password_is_refused_with_a_message(app, auth):
    builders.user("organizer", username="li")
    db.session.commit()
    page = auth.login("li", "wrong-password").get_data(as_text=True)
    assert "用户名或密码错误" in page
    assert "欢迎" not in page


def test_username_is_case_insensitive(app, auth):
    builders.user("organizer", username="Zhao")
    db.session.commit()
    assert "欢迎" in auth.login("zhao").get_data(as_text=True)


def test_inactive_user_cannot_sign_in(app, auth):
    user = builders.user("judge", username="qian")
    user.active = False
    db.session.commit()
    assert "用户名或密码错误" in auth.login("qian").get_data(as_text=True)


def test_login_redirects_only_within_the_site(app, client):
    builders.user("organizer", username="sun")
    db.session.commit()
    response = client.post("/login?next=https://evil.example/x",
                           data={"username": "sun", "password": builders.PASSWORD})
    assert response.status_code == 302
    assert "evil.example" not in response.headers["Location"]


def test_pages_need_sign_in(client):
    response = client.get("/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_cli_creates_a_user_who_can_sign_in(app, runner, auth):
    result = runner.invoke(args=["users", "create", "zhou", "--role", "organizer",
                                 "--name", "周老师", "--password", "long-enough-pw"])
    assert result.exit_code == 0, result.output
    assert "Created organizer 'zhou'" in result.output
    user = db.session.scalar(select(User).where(User.username == "zhou"))
    assert user.display_name == "周老师" and user.role == "organizer"
    assert "欢迎，周老师" in auth.login("zhou", "long-enough-pw").get_data(as_text=True)


@pytest.mark.parametrize("args, message", [
    (["users", "create", "wu", "--role", "organizer", "--password", "short"],
     "at least 8 characters"),
    (["users", "create", "wu", "--role", "emperor", "--password", "long-enough-pw"],
     "Invalid value for '--role'"),
])
def test_cli_refuses_bad_accounts(app, runner, args, message):
    result = runner.invoke(args=args)
    assert result.exit_code != 0
    assert message in result.output
    assert db.session.scalar(select(User).where(User.username == "wu")) is None


def test_cli_refuses_a_taken_username(app, runner):
    builders.user("judge", username="zheng")
    db.session.commit()
    result = runner.invoke(args=["users", "create", "ZHENG", "--role", "judge",
                                 "--password", "long-enough-pw"])
    assert result.exit_code != 0
    assert "already taken" in result.output


def test_flask_demo_seeds_once_and_prints_the_accounts(app, runner):
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    assert "Seeded the demo competition" in first.output
    assert "organizer" in first.output and "demo-organizer-2026" in first.output
    second = runner.invoke(args=["demo"])
    assert "already there; nothing added" in second.output
    assert "demo-organizer-2026" in second.output


def test_flask_demo_if_empty_leaves_a_database_with_competitions_alone(app, runner):
    builders.competition("另一个大赛")
    db.session.commit()
    result = runner.invoke(args=["demo", "--if-empty"])
    assert "the demo was not added" in result.output
    assert "demo-organizer-2026" not in result.output
