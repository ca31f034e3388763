"""Forms of drawing lots and printing admission tickets."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField, SubmitField
from wtforms.validators import Length, Optional, Regexp

from competition.entries.lots import CODE_DIGITS, CODE_PREFIX

WHOLE_EVENT = 0


class DrawForm(FlaskForm):
    """Draw stations and codes for the whole event or one division."""

    division_id = SelectField(_l("Draw for"), coerce=int)
    code_prefix = StringField(
        _l("Code prefix"),
        validators=[Regexp(CODE_PREFIX.pattern + "$",
                           message=_l("One to three capital letters, optionally followed by "
                                      "a hyphen, e.g. A or YL-."))],
        description=_l("Anonymous codes look like the prefix followed by random digits."),
        filters=[lambda value: (value or "").strip().upper()])
    code_digits = SelectField(_l("Digits in a code"), coerce=int,
                              choices=[(d, str(d)) for d in CODE_DIGITS])
    note = StringField(_l("Witnesses or remarks (printed on the record)"),
                       validators=[Optional(), Length(max=200)])
    confirm_redraw = BooleanField(_l("Draw again: replace the stations and codes already "
                                     "drawn"))
    submit = SubmitField(_l("Draw lots"))

    def __init__(self, *args, divisions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.division_id.choices = [(WHOLE_EVENT, _l("The whole event"))] + [
            (d.id, d.name) for d in divisions]



class TicketsForm(FlaskForm):
    """Print admission tickets as a job: the paper size, and one division or session."""

    size = StringField(_l("Paper size"), filters=[lambda value: (value or "A4").upper()])
    division_id = IntegerField(_l("Division"), validators=[Optional()])
    session_id = IntegerField(_l("Session"), validators=[Optional()])
