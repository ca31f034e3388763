"""Forms of the theory-score import: the upload, and the confirmation after the preview."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, HiddenField, SubmitField
from wtforms.validators import DataRequired, Length, Regexp

from competition.uploads import IGNORE_UNKNOWN_COLUMNS


class TheoryUploadForm(FlaskForm):
    file = FileField(_l("Theory scores (.xlsx)"),
                     validators=[FileRequired(_l("Choose the file to upload."))],
                     render_kw={"accept": ".xlsx,application/vnd.openxmlformats-"
                                          "officedocument.spreadsheetml.sheet"})
    submit = SubmitField(_l("Check the file"))


class TheoryConfirmForm(FlaskForm):
    """Names the file kept after a clean preview (see ``uploads.UploadStore``)."""

    upload = HiddenField(validators=[DataRequired(), Regexp(r"^[A-Za-z0-9_-]{16,64}$")])
    filename = HiddenField(validators=[Length(max=200)])  # kept in the audit log as the source
    # Shown only when the file has columns that cannot be imported; without it such a
    # file is refused.
    ignore_unknown_columns = BooleanField(IGNORE_UNKNOWN_COLUMNS)
    confirm = SubmitField(_l("Import these scores"))
