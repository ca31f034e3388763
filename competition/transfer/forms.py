"""Forms of the transfer pages: importing a competition definition, cloning a competition."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional


class CompetitionImportForm(FlaskForm):
    file = FileField(_l("Competition definition (.json)"),
                     validators=[FileRequired(_l("Choose the file to upload."))],
                     render_kw={"accept": ".json,application/json"})
    name = StringField(_l("Name of the new competition (leave empty to keep the file's)"),
                       validators=[Optional(), Length(max=200)])
    submit = SubmitField(_l("Import the competition"))


class CloneForm(FlaskForm):
    name = StringField(_l("Name of the copy"), validators=[DataRequired(), Length(max=200)])
    submit = SubmitField(_l("Make the copy"))
