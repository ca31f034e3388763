"""Forms of registration."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional

from competition.events.forms import grade_choices


class EntryForm(FlaskForm):
    """One contestant typed in by an organizer."""

    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=50)])
    id_number = StringField(_l("ID number"), validators=[DataRequired(), Length(max=32)])
    phone = StringField(_l("Mobile phone"), validators=[Optional(), Length(max=20)])
    work_unit = StringField(_l("Work unit"), validators=[Length(max=200)])
    division_id = SelectField(_l("Division"), coerce=int)
    current_grade = SelectField(_l("Current skill grade"), default="")
    current_certificate_no = StringField(_l("Current certificate number"),
                                         validators=[Length(max=40)])
    submit = SubmitField(_l("Register"))

    def __init__(self, *args, divisions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.division_id.choices = [(d.id, d.name) for d in divisions]
        self.current_grade.choices = grade_choices()


class CorrectionForm(FlaskForm):
    """更正报名信息: the fields an organizer may correct, with the reason."""

    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=50)])
    work_unit = StringField(_l("Work unit"), validators=[Length(max=200)])
    phone = StringField(_l("Mobile phone"), validators=[Optional(), Length(max=20)])
    division_id = SelectField(_l("Division"), coerce=int)
    reason = StringField(_l("Reason for the correction"),
                         validators=[DataRequired(), Length(max=500)])
    submit = SubmitField(_l("Correct"))

    def __init__(self, *args, divisions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.division_id.choices = [(d.id, d.name) for d in divisions]


class WithdrawForm(FlaskForm):
    """退赛, with the reason."""

    reason = StringField(_l("Reason for the withdrawal"),
                         validators=[DataRequired(), Length(max=500)])
    submit = SubmitField(_l("Withdraw from the competition"))


class SubstituteForm(FlaskForm):
    """登记替补: the substitute, who takes the withdrawn contestant's place."""

    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=50)])
    id_number = StringField(_l("ID number"), validators=[DataRequired(), Length(max=32)])
    phone = StringField(_l("Mobile phone"), validators=[Optional(), Length(max=20)])
    work_unit = StringField(_l("Work unit"), validators=[Length(max=200)])
    current_grade = SelectField(_l("Current skill grade"), default="")
    current_certificate_no = StringField(_l("Current certificate number"),
                                         validators=[Length(max=40)])
    reason = StringField(_l("Reason for the substitution"),
                         validators=[DataRequired(), Length(max=500)])
    submit = SubmitField(_l("Register the substitute"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.current_grade.choices = grade_choices()
