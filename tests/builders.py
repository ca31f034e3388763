"""Builders for test data, in one place. Each flushes and returns the new row."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from competition.auth.models import User  # noqa: F401 (tests use builders.User)
from competition.auth.service import create_user
from competition.events.models import (
    Competition,
    CompetitionOrganizer,
    Criterion,
    Division,
    Event,
    Module,
    Occupation,
)
from competition.extensions import db

PASSWORD = "correct-horse-42"
_counter = itertools.count(1)


def user(role: str = "organizer", username: str | None = None, **kwargs) -> User:
    username = username or f"{role}{next(_counter)}"
    return create_user(db.session, username=username, password=PASSWORD, role=role,
                       display_name=kwargs.pop("display_name", username.title()), **kwargs)


def occupation(name: str = "养老护理员", code: str | None = "4-10-01-05") -> Occupation:
    found = db.session.scalar(select(Occupation).where(Occupation.name == name))
    if found:
        return found
    row = Occupation(name=name, code=code)
    db.session.add(row)
    db.session.flush()
    return row


def competition(name: str | None = None, organizers: tuple[User, ...] = (),
                **kwargs) -> Competition:
    row = Competition(
        name=name or f"测试大赛{next(_counter)}", level=kwargs.pop("level", "city"),
        starts_on=kwargs.pop("starts_on", date(2026, 11, 20)),
        ends_on=kwargs.pop("ends_on", date(2026, 11, 22)),
        host=kwargs.pop("host", "咸宁市人力资源和社会保障局"), **kwargs,
    )
    db.session.add(row)
    db.session.flush()
    for organizer in organizers:
        db.session.add(CompetitionOrganizer(competition_id=row.id, user_id=organizer.id))
    db.session.flush()
    return row


def event(competition_row: Competition, name: str = "养老护理员",
          divisions: tuple[str, ...] = ("职工组",), **kwargs) -> Event:
    row = Event(competition=competition_row, name=name,
                occupation=kwargs.pop("occupation", None) or occupation(), **kwargs)
    db.session.add(row)
    db.session.flush()
    for position, division_name in enumerate(divisions):
        kind = "student" if "学生" in division_name else "worker"
        db.session.add(Division(event_id=row.id, name=division_name, kind=kind,
                                position=position))
    db.session.flush()
    return row


def module(event_row: Event, code: str = "A", weight: int = 80, kind: str = "practical",
           criteria: tuple[tuple[str, int, str], ...] = (("A1", 10, "judgement"),)) -> Module:
    row = Module(event=event_row, code=code, name=f"模块{code}", kind=kind,
                 weight=Decimal(weight), position=len(event_row.modules))
    db.session.add(row)
    db.session.flush()
    for position, (criterion_code, maximum, criterion_kind) in enumerate(criteria):
        db.session.add(Criterion(module=row, code=criterion_code, description=criterion_code,
                                 max_points=Decimal(maximum), kind=criterion_kind,
                                 position=position))
    db.session.flush()
    return row
