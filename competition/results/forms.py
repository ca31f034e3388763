from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectMultipleField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget


class PublishForm(FlaskForm):
    submit = SubmitField(_l("Confirm"))


class AppealForm(FlaskForm):
    text = TextAreaField(_l("Your appeal"), validators=[DataRequired(), Length(max=4000)])
    submit = SubmitField(_l("File the appeal"))


class AppealDecisionForm(FlaskForm):
    accept = RadioField(_l("Decision"), choices=[("accept", _l("Accept")),
                                                  ("reject", _l("Reject"))],
                        validators=[DataRequired()])
    reason = TextAreaField(_l("Reason (the contestant sees it)"),
                           validators=[DataRequired(), Length(max=4000)])
    submit = SubmitField(_l("Record the decision"))


class ReopenForAppealForm(FlaskForm):
    """The chief judge picks the sheets of an appealing entry to re-score."""

    sheets = SelectMultipleField(_l("Sheets to reopen"), coerce=int,
                                 widget=ListWidget(prefix_label=False),
                                 option_widget=CheckboxInput(),
                                 validators=[DataRequired(_l("Choose the sheets to reopen."))])
    reason = TextAreaField(_l("Reason (kept in the audit log)"),
                           validators=[DataRequired(), Length(max=1000)])
    submit = SubmitField(_l("Reopen for re-scoring"))
