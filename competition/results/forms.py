from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length


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
