"""Forms of the chief judge's console: reopen a sheet, penalties, sign-off."""

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DecimalField, SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

REASON_MAX = 500


class ReopenForm(FlaskForm):
    reason = TextAreaField(_l("Reason for reopening"), id="reopen-reason",
                           validators=[DataRequired(), Length(max=REASON_MAX)],
                           render_kw={"rows": 2, "maxlength": REASON_MAX})


class PenaltyForm(FlaskForm):
    entry_id = SelectField(_l("Station · code"), coerce=int, validators=[InputRequired()],
                           id="penalty-entry")
    # 0: deducted from the total; otherwise from that module's score.
    module_id = SelectField(_l("Deduct from"), coerce=int, default=0, id="penalty-module")
    points = DecimalField(_l("Points deducted"), places=2, id="penalty-points",
                          validators=[InputRequired(),
                                      NumberRange(min=Decimal("0.01"), max=Decimal(100))],
                          render_kw={"inputmode": "decimal", "step": "0.01"})
    reason = TextAreaField(_l("Reason for the penalty"), id="penalty-reason",
                           validators=[DataRequired(), Length(max=REASON_MAX)],
                           render_kw={"rows": 2, "maxlength": REASON_MAX})

    def __init__(self, entries, modules, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.entry_id.choices = [(e.id, f"{e.station or '—'} · {e.code}") for e in entries]
        self.module_id.choices = [(0, str(_l("The total")))] + [
            (m.id, f"{m.code} {m.name}") for m in modules]


class WithdrawPenaltyForm(FlaskForm):
    reason = TextAreaField(_l("Reason for withdrawing"),
                           validators=[DataRequired(), Length(max=REASON_MAX)],
                           render_kw={"rows": 1, "maxlength": REASON_MAX})


class LockForm(FlaskForm):
    confirm = BooleanField(_l("I have checked the scores: lock them. Sheets can no longer be "
                              "reopened and codes can then be decoded to names."),
                           validators=[DataRequired()], id="lock-confirm")
