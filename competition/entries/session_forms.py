"""Forms of sessions (场次) and of the late addition to a draw."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, StringField, TimeField
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from competition.entries.sessions import FIRST_YEAR, LAST_YEAR, MAX_NAME, MAX_STATIONS


def in_session_years(form, field) -> None:
    if field.data and not FIRST_YEAR <= field.data.year <= LAST_YEAR:
        raise ValidationError(_l("Give a date in the years %(first)s to %(last)s.",
                                 first=FIRST_YEAR, last=LAST_YEAR))


class SessionForm(FlaskForm):
    """One session: its name, day, times in China time, room and stations."""

    name = StringField(_l("Session name"), validators=[DataRequired(), Length(max=MAX_NAME)],
                       filters=[lambda value: (value or "").strip()])
    day = DateField(_l("Date"), validators=[InputRequired(), in_session_years])
    starts = TimeField(_l("Starts at"), validators=[InputRequired()])
    ends = TimeField(_l("Ends at"), validators=[InputRequired()])
    reporting = TimeField(_l("Reporting time (检录)"), validators=[Optional()],
                          description=_l("Leave empty for 30 minutes before the start."))
    room = StringField(_l("Room or workshop"), validators=[Optional(), Length(max=200)])
    stations = IntegerField(_l("Stations"), validators=[
        InputRequired(), NumberRange(min=1, max=MAX_STATIONS,
                                     message=_l("From 1 to %(max)s stations.",
                                                max=MAX_STATIONS))])


class AdditionForm(FlaskForm):
    """Place the entries approved after the draw (补充抽签)."""

    note = StringField(_l("Witnesses or remarks (printed on the record)"),
                       validators=[Optional(), Length(max=200)])
