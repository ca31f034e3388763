from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectMultipleField, SubmitField, TextAreaField
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


class AppealOpinionForm(FlaskForm):
    """The chief judge's written opinion on an appeal that the supervision and
    arbitration group decides."""

    opinion = TextAreaField(_l("The chief judge's opinion (the contestant sees it)"),
                            validators=[DataRequired(), Length(max=4000)])
    submit = SubmitField(_l("Record the opinion"))


class CountersignForm(FlaskForm):
    """A supervisor countersigns a lot draw or the lock of the scores (监督签字)."""

    note = TextAreaField(_l("Note (optional)"), validators=[Length(max=1000)])
    submit = SubmitField(_l("Countersign"))


class ReopenForAppealForm(FlaskForm):
    """The chief judge picks the sheets of an appealing entry to re-score."""

    sheets = SelectMultipleField(_l("Sheets to reopen"), coerce=int,
                                 widget=ListWidget(prefix_label=False),
                                 option_widget=CheckboxInput(),
                                 validators=[DataRequired(_l("Choose the sheets to reopen."))])
    reason = TextAreaField(_l("Reason (kept in the audit log)"),
                           validators=[DataRequired(), Length(max=1000)])
    submit = SubmitField(_l("Reopen for re-scoring"))


class AwardAcknowledgementForm(FlaskForm):
    """The chief judge acknowledges a division's award overflow, as the page showed it."""

    overflow = HiddenField(validators=[DataRequired(), Length(max=500)])
    submit = SubmitField(_l("Acknowledge the overflow"))
