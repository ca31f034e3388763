from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, EqualTo, Length, Regexp


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired()])
    remember = BooleanField(_l("Keep me signed in on this device"))
    submit = SubmitField(_l("Sign in"))


class LogoutForm(FlaskForm):
    submit = SubmitField(_l("Sign out"))


class PasswordChangeForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired()])
    new = PasswordField(_l("New password"),
                        validators=[DataRequired(), Length(min=8, max=128)])
    repeat = PasswordField(_l("New password again"),
                           validators=[DataRequired(), EqualTo("new", message=_l(
                               "The two new passwords differ."))])
    submit = SubmitField(_l("Change password"))


# The roles an administrator gives an account here; supervisors' accounts are opened by
# their competition's organizers. A bureau account (人社局) reads the statistics only.
ROLE_CHOICES = [("organizer", _l("Organizer")), ("judge", _l("Judge")),
                ("bureau", _l("Bureau")), ("admin", _l("Administrator"))]


class AccountForm(FlaskForm):
    username = StringField(_l("Username"), validators=[
        DataRequired(), Length(max=64),
        Regexp(r"^[A-Za-z0-9._-]+$", message=_l(
            "Use letters, digits, dots, hyphens and underscores only."))])
    display_name = StringField(_l("Name shown in the app"), validators=[Length(max=100)])
    role = SelectField(_l("Role"), choices=ROLE_CHOICES)
    competitions = SelectMultipleField(_l("Competitions this organizer runs"), coerce=int,
                                       validate_choice=False)
    expert = SelectField(_l("Expert in the pool (judges)"), coerce=int, validate_choice=False)
    submit = SubmitField(_l("Create the account"))


class AccountEditForm(FlaskForm):
    display_name = StringField(_l("Name shown in the app"),
                               validators=[DataRequired(), Length(max=100)])
    competitions = SelectMultipleField(_l("Competitions this organizer runs"), coerce=int,
                                       validate_choice=False)
    submit = SubmitField(_l("Save"))


class AccountSearchForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("Search"), validators=[Length(max=64)])
    role = SelectField(_l("Role"), choices=[("", _l("All roles")), *ROLE_CHOICES,
                                            ("supervisor", _l("Supervisor"))])


class ActionForm(FlaskForm):
    """A button that changes something: only its CSRF token is checked."""


class LinkAccountForm(FlaskForm):
    user_id = IntegerField(validators=[DataRequired()])
    expert_id = IntegerField(validators=[DataRequired()])


class SupervisorForm(FlaskForm):
    """An organizer opens an account for a member of the supervision and arbitration
    group (监督仲裁组)."""

    display_name = StringField(_l("Supervisor's name"),
                               validators=[DataRequired(), Length(max=100)])
    submit = SubmitField(_l("Open a supervisor's account"))
