"""Forms of the expert pool (专家库), the panels (裁判组) and declared conflicts (回避)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from competition.experts.pool import MAX_DRAW
from competition.uploads import IGNORE_UNKNOWN_COLUMNS

EXAMINER_LEVELS = {"examiner": _l("Examiner"), "senior_examiner": _l("Senior examiner")}
CERTIFICATE_STATES = {
    "valid": _l("Valid"),
    "expiring": _l("Expiring soon"),
    "expired": _l("Expired"),
    "missing": _l("No certificate"),
}
PANEL_ROLES = {"judge": _l("Judge"), "chief": _l("Chief judge")}


def _optional_int(value):
    """A select whose first option means "none": '' or 0 read as None."""
    if value in (None, "", "0", 0):
        return None
    return int(value)


class CheckboxListField(SelectMultipleField):
    """Several choices as a list of check boxes (easier on a tablet than a multi-select)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ExpertForm(FlaskForm):
    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=50)])
    # Checked by GB 11643 in ``experts._apply_expert``, which says what is wrong.
    id_number = StringField(_l("ID number (optional)"), validators=[Optional(), Length(max=32)])
    work_unit = StringField(_l("Work unit"), validators=[Length(max=200)])
    title = StringField(_l("Professional title"), validators=[Length(max=100)])
    phone = StringField(_l("Phone"), validators=[
        Optional(), Length(max=20),
        Regexp(r"^[0-9+\- ]+$", message=_l("Use digits only (and + or - if needed).")),
    ])
    occupations = CheckboxListField(_l("Occupations the expert can judge"), coerce=int, validators=[
        DataRequired(message=_l("Choose at least one occupation the expert can judge."))])
    examiner_level = SelectField(_l("Examiner level"), choices=list(EXAMINER_LEVELS.items()))
    certificate_number = StringField(_l("Examiner certificate number"),
                                     validators=[Length(max=40)])
    certificate_expires_on = DateField(_l("Certificate valid until"), validators=[Optional()])


class ExpertImportForm(FlaskForm):
    """The upload of the pool's import page (``experts.excel``)."""

    file = FileField(_l("List of experts (.xlsx or .csv)"),
                     validators=[FileRequired(_l("Choose the file to upload."))],
                     render_kw={"accept": ".xlsx,.csv,application/vnd.openxmlformats-"
                                          "officedocument.spreadsheetml.sheet,text/csv"})
    submit = SubmitField(_l("Import the experts"))


class ExpertImportConfirmForm(FlaskForm):
    """Imports a file kept because its header row has columns that cannot be imported
    (see ``uploads.UploadStore``), once the organizer ticks the box."""

    upload = HiddenField(validators=[DataRequired(), Regexp(r"^[A-Za-z0-9_-]{16,64}$")])
    filename = HiddenField(validators=[Length(max=200)])
    ignore_unknown_columns = BooleanField(IGNORE_UNKNOWN_COLUMNS)


class ExpertFilterForm(FlaskForm):
    """The filter of the pool's list, read from the query string."""

    class Meta:
        csrf = False

    occupation = SelectField(_l("Occupation"), coerce=_optional_int, validate_choice=False)
    state = SelectField(_l("Certificate"), validate_choice=False, choices=[
        ("", _l("Any")), *CERTIFICATE_STATES.items()])


# The services check who may be chosen (and say why not), so the posted choice is
# not limited to the options the page offered.

class PanelAddForm(FlaskForm):
    expert_id = SelectField(_l("Expert"), coerce=int, validate_choice=False)
    role = SelectField(_l("Role"), choices=list(PANEL_ROLES.items()))


class PanelDrawForm(FlaskForm):
    count = IntegerField(_l("Number of judges to draw"), default=3,
                         validators=[DataRequired(), NumberRange(min=1, max=MAX_DRAW)])


class ConflictForm(FlaskForm):
    expert_id = SelectField(_l("Judge"), coerce=int, validate_choice=False)
    contestant_id = SelectField(_l("Contestant"), coerce=_optional_int, validate_choice=False)
    work_unit = StringField(_l("or work unit"), validators=[Length(max=200)])
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=500)])


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token."""
