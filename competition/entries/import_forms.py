"""Forms of the contestant import: the upload, and the confirmation after the preview."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, HiddenField, SubmitField
from wtforms.validators import DataRequired, Regexp

from competition.uploads import IGNORE_UNKNOWN_COLUMNS


class ImportUploadForm(FlaskForm):
    file = FileField(_l("List of contestants (.xlsx or .csv)"),
                     validators=[FileRequired(_l("Choose the file to upload."))],
                     render_kw={"accept": ".xlsx,.csv,application/vnd.openxmlformats-"
                                          "officedocument.spreadsheetml.sheet,text/csv"})
    submit = SubmitField(_l("Check the file"))


class ImportConfirmForm(FlaskForm):
    """Names the file kept after a clean preview (see ``uploads.UploadStore``)."""

    upload = HiddenField(validators=[DataRequired(), Regexp(r"^[A-Za-z0-9_-]{16,64}$")])
    # Shown only when the file has columns that cannot be imported; without it such a
    # file is refused.
    ignore_unknown_columns = BooleanField(IGNORE_UNKNOWN_COLUMNS)
