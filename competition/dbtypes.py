"""Column types and helpers shared by every stage's models."""

from __future__ import annotations

import enum
from datetime import UTC, datetime

from sqlalchemy import CheckConstraint, DateTime, Numeric, event
from sqlalchemy.orm import Mapper
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timestamp stored in UTC and always read back as an aware ``datetime``.

    SQLite keeps no time zone, so values read from it are naive; they were
    written in UTC, and this type says so.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None:
            if value.tzinfo is None:
                raise ValueError("naive datetime given; use an aware UTC datetime")
            value = value.astimezone(UTC)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


def _in_utc(target, value, oldvalue, initiator):
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC)
    return value


@event.listens_for(Mapper, "mapper_configured")
def _utc_on_assignment(mapper, class_) -> None:
    """A moment assigned to a ``UTCDateTime`` column reads back in UTC at once, as it will
    from the database: the object does not answer +08:00 before it is saved and UTC after."""
    for prop in mapper.column_attrs:
        if any(isinstance(column.type, UTCDateTime) for column in prop.columns):
            event.listen(getattr(class_, prop.key), "set", _in_utc, retval=True)


# Points and weights: two decimals are published, four are kept so that
# tie-breaks "to more decimals" have something to compare (docs/design.md section 5).
POINT_PLACES = 4  # marks are kept to 1/10,000 of a point
Points = Numeric(9, POINT_PLACES)
Weight = Numeric(5, 2)


def one_of(column: str, values: type[enum.Enum] | list[str], name: str) -> CheckConstraint:
    """A named CHECK that ``column`` holds one of ``values`` (an enum's values or a list)."""
    if isinstance(values, type):
        values = [member.value for member in values]
    quoted = ", ".join(f"'{v}'" for v in values)
    return CheckConstraint(f"{column} IN ({quoted})", name=name)


def grade_check(column: str, name: str) -> CheckConstraint:
    """Skill grades run 1 (一级/高级技师, highest) to 5 (五级/初级工)."""
    return CheckConstraint(f"{column} IS NULL OR {column} BETWEEN 1 AND 5", name=name)


def render_migration_item(type_, obj, autogen_context):
    """Write our column types into migrations as the plain SQLAlchemy types they store."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False
