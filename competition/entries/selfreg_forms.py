"""Forms of public self-registration (自主报名) and of the organizers' review of it."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from competition.events.forms import grade_choices


class SelfRegistrationForm(FlaskForm):
    """What a contestant fills in; the rules are checked by ``registrations.register``."""

    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=50)])
    id_number = StringField(_l("ID number"), validators=[DataRequired(), Length(max=32)])
    phone = StringField(_l("Mobile phone"), validators=[DataRequired(), Length(max=20)])
    work_unit = StringField(_l("Work unit or school"), validators=[Length(max=200)])
    division_id = SelectField(_l("Event · division"), coerce=int,
                              validators=[DataRequired(_l("Choose an event and division."))])
    current_grade = SelectField(_l("Current skill grade"), default="")
    current_certificate_no = StringField(_l("Current certificate number"),
                                         validators=[Length(max=40)])
    is_student = BooleanField(_l("I am a full-time student"))
    consent = BooleanField(
        _l("I agree that the organizers use my personal data (ID number, phone, work unit) "
           "for this competition, its results and the skill-grade certificate."),
        validators=[DataRequired(_l("Registration needs your consent to the use of "
                                    "your personal data."))])
    submit = SubmitField(_l("Submit registration"))

    def __init__(self, *args, events=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.division_id.choices = [(0, "—")] + [
            (division.id, f"{event.name} · {division.name}")
            for event in events for division in event.divisions]
        self.current_grade.choices = grade_choices()


class ReviewForm(FlaskForm):
    """Approve or reject one pending registration; a rejection needs a note."""

    note = TextAreaField(_l("Note to the contestant"),
                         validators=[Optional(), Length(max=500)])
    approve = SubmitField(_l("Approve"))
    reject = SubmitField(_l("Reject"))
