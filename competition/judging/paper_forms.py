"""Forms of the paper fallback: choosing the sheet to type in, and typing its marks."""

from __future__ import annotations

import unicodedata
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from competition.events.models import Criterion, EntryMode

NONE_CHOSEN = 0


def _normalised(value):
    """Full-width digits and points (１２．５) typed on a Chinese keyboard read as 12.5."""
    if value is None:
        return value
    return unicodedata.normalize("NFKC", str(value)).strip().replace("。", ".")


class PaperChoiceForm(FlaskForm):
    """Which paper sheet is being typed in: the entry (station and code), module and judge.

    Sent by GET, so the choice stays in the address and needs no CSRF token.
    """

    class Meta:
        csrf = False

    module_id = SelectField(_l("Module"), coerce=int, validators=[Optional()])
    entry_id = SelectField(_l("Station and anonymous code"), coerce=int,
                           validators=[Optional()])
    judge_id = SelectField(_l("Judge whose paper sheet it is"), coerce=int,
                           validators=[Optional()])
    ref = StringField(_l("Or the sheet id printed under the QR code (e.g. E12-M3)"),
                      validators=[Optional()], filters=[_normalised],
                      render_kw={"autocomplete": "off"})

    def __init__(self, *args, modules=(), entries=(), judges=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.module_id.choices = [(NONE_CHOSEN, "—")] + [
            (m.id, f"{m.code} {m.name}") for m in modules]
        self.entry_id.choices = [(NONE_CHOSEN, "—")] + [
            (e.id, f"{e.station or '—'} · {e.code}") for e in entries]
        self.judge_id.choices = [(NONE_CHOSEN, "—")] + [
            (u.id, u.display_name) for u in judges]


class PrintForm(FlaskForm):
    """Which blank sheets to print: every module or one, every station or one."""

    class Meta:
        csrf = False

    module_id = SelectField(_l("Module"), coerce=int, validators=[Optional()])
    station = StringField(_l("Station (empty: every station)"), validators=[Optional()],
                          filters=[_normalised], render_kw={"inputmode": "numeric"})

    def __init__(self, *args, modules=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.module_id.choices = [(NONE_CHOSEN, _l("Every module"))] + [
            (m.id, f"{m.code} {m.name}") for m in modules]


def _a_number(form, field):
    try:
        value = Decimal(field.data)
    except (InvalidOperation, TypeError):
        raise ValidationError(_l("Enter a number.")) from None
    if not value.is_finite():
        raise ValidationError(_l("Enter a number."))


class PaperMarksForm(FlaskForm):
    """Every criterion of a module, as written on the paper: fields ``c<criterion id>``."""

    submit = SubmitField(_l("Save"))

    def values(self, criteria: list[Criterion]) -> dict[int, Decimal | None]:
        result: dict[int, Decimal | None] = {}
        for criterion in criteria:
            data = self[field_name(criterion)].data
            result[criterion.id] = Decimal(data) if data not in (None, "") else None
        return result


def field_name(criterion: Criterion) -> str:
    return f"c{criterion.id}"


def _field_for(criterion: Criterion):
    label = f"{criterion.code} {criterion.description}"
    required = InputRequired(message=_l("Type in what the paper says."))
    if criterion.entry_mode == EntryMode.SCALE_0_3:
        return RadioField(label, choices=[(str(i), str(i)) for i in range(4)],
                          validators=[required])
    if criterion.entry_mode == EntryMode.PASS_FAIL:
        return RadioField(label, choices=[("1", _l("Yes")), ("0", _l("No"))],
                          validators=[required])
    return StringField(label, validators=[required, _a_number], filters=[_normalised],
                       render_kw={"inputmode": "decimal", "autocomplete": "off"})


def plain(value: Decimal | None) -> str:
    """A stored value as typed: 7.5000 → 7.5, 2.0000 → 2."""
    if value is None:
        return ""
    return format(Decimal(value).normalize(), "f")


def marks_form(criteria: list[Criterion], submit_label, values: dict[int, Decimal] | None = None
               ) -> PaperMarksForm:
    """A form with one field per criterion, empty (blind entry) or holding ``values``."""

    class Form(PaperMarksForm):
        pass

    for criterion in criteria:
        setattr(Form, field_name(criterion), _field_for(criterion))
    Form.submit = SubmitField(submit_label)
    data = {field_name(c): plain(values[c.id]) for c in criteria if values and c.id in values}
    return Form(data=data) if data else Form()


class DiscardForm(FlaskForm):
    """Take back a paper sheet typed in by mistake, before it is confirmed."""

    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=500)],
                         filters=[lambda value: (value or "").strip()],
                         render_kw={"placeholder": _l("e.g. typed in under the wrong judge")})
    submit = SubmitField(_l("Discard this paper sheet"))
