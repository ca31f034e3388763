"""Forms of check-in (检录) on the day of the contest."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from competition.entries.models import Attendance

# The marks staff give at the check-in desk; "expected" is only the state before.
MARKS = (Attendance.PRESENT, Attendance.ABSENT, Attendance.WITHDRAWN)


class AttendanceForm(FlaskForm):
    """到场 / 缺考 / 弃权 for one entry; ``q`` takes a no-JS user back to their search."""

    attendance = SelectField(_l("Attendance"), choices=[(m.value, m.value) for m in MARKS],
                             validators=[DataRequired()])
    q = HiddenField()
    # After the lock a change is a correction, with its reason.
    reason = StringField(validators=[Optional(), Length(max=500)])
