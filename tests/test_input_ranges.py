"""Numbers nobody means are refused with a clear message, whichever way they come in,
and nothing changes: the event form, the JSON API and an imported definition share one
rule (``events.setup``)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from competition.events.models import Event
from competition.extensions import db
from tests import builders


@pytest.fixture
def event(app, login_as):
    organizer = login_as("organizer")
    competition = builders.competition(organizers=(organizer,))
    row = builders.event(competition)
    db.session.commit()
    return row


@pytest.mark.parametrize(("field", "value", "message"), [
    ("min_age", -1, "最低年龄须在 0 到 100 之间"),
    ("max_age_female", -45243814, "女性年龄上限须在 16 到 100 之间"),
    ("max_age_male", 1000, "男性年龄上限须在 16 到 100 之间"),
    ("appeal_window_hours", 100000, "申诉时限须在 0 到 720 小时之间"),
    ("notice_days", 400, "公示期须在 0 到 60 天之间"),
])
def test_the_api_refuses_numbers_out_of_range(event, client, field, value, message):
    response = client.patch(f"/api/v1/events/{event.id}", json={field: value})
    assert response.status_code == 422, response.get_json()
    assert message in response.get_json()["message"]
    db.session.expire_all()
    assert getattr(db.session.scalar(select(Event)), field) != value


def test_an_age_limit_below_the_minimum_age_is_refused(event, client):
    response = client.patch(f"/api/v1/events/{event.id}",
                            json={"min_age": 40, "max_age_male": 30})
    assert response.status_code == 422
    assert "年龄上限不能低于最低年龄" in response.get_json()["message"]
