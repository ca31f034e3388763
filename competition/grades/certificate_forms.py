"""Forms of the certificate pages: revoking one, and checking one by its holder's name."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField
from wtforms.validators import DataRequired, Length


class RevokeForm(FlaskForm):
    reason = StringField(_l("Reason for revoking (kept in the audit log)"),
                         validators=[DataRequired(), Length(max=1000)])
    submit = SubmitField(_l("Revoke certificate"))


class HolderNameForm(FlaskForm):
    """Without the code of the QR code, whoever checks a certificate names its holder."""

    name = StringField(_l("Holder's full name"), validators=[DataRequired(), Length(max=50)])
    submit = SubmitField(_l("Check"))
