"""Forms of the promotion-rule and occupation pages.

The forms only read the values; the rules they must follow are checked by
``events.promotion_rules``, so a page and any other caller refuse the same things.
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DecimalField, IntegerField, SelectField, StringField, SubmitField
from wtforms.validators import Length, Optional

from competition.events.models import Division
from competition.events.presets import preset_choices
from competition.skill_grades import Grade, grade_label


def optional_int(value: object) -> int | None:
    """A select's value as a number, or None for the empty choice."""
    if value is None or value == "":
        return None
    return int(value)


def grade_choices() -> list[tuple[str, str]]:
    """Every grade from the highest (1) down, after an empty choice."""
    return [("", "—")] + [(str(grade.value), grade_label(grade)) for grade in Grade]


class PresetForm(FlaskForm):
    preset = SelectField(_l("Preset"))
    submit = SubmitField(_l("Apply the preset"))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.preset.choices = [(key, _(name)) for key, name in preset_choices()]


class RuleForm(FlaskForm):
    division_id = SelectField(_l("Division"), coerce=optional_int)
    name = StringField(_l("Name"), validators=[Optional(), Length(max=200)])
    rank_from = IntegerField(_l("From rank"), validators=[Optional()])
    rank_to = IntegerField(_l("To rank"), validators=[Optional()])
    top_percent = DecimalField(_l("Top percentage of the division"), validators=[Optional()])
    min_total = DecimalField(_l("Minimum total score"), validators=[Optional()])
    min_theory_score = DecimalField(
        _l("Minimum theory score (of 100)"), validators=[Optional()],
        description=_l("The theory modules weighted together."))
    min_practical_score = DecimalField(
        _l("Minimum practical score (of 100)"), validators=[Optional()],
        description=_l("The practical modules weighted together: one module below it "
                       "does not block when the weighted score reaches it."))
    min_module_score = DecimalField(
        _l("Minimum score in every module on its own (of 100)"), validators=[Optional()],
        description=_l("Stricter: every module, theory and practical, must reach it."))
    required_grade = SelectField(_l("Must already hold at least"), coerce=optional_int)
    max_age_male = IntegerField(_l("Age limit for men"), validators=[Optional()])
    max_age_female = IntegerField(_l("Age limit for women"), validators=[Optional()])
    once_per_year = BooleanField(_l("Only once per person per contest year through "
                                    "competitions"))
    effect = SelectField(_l("Effect"), choices=[
        ("grant", _l("Grant a grade")),
        ("step_up", _l("One level above the current grade")),
    ])
    grant_grade = SelectField(_l("Grade granted"), coerce=optional_int)
    cap_grade = SelectField(_l("Highest grade the rule may lead to"), coerce=optional_int)
    submit = SubmitField(_l("Save the rule"))

    def __init__(self, *args, divisions: list[Division] = (), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.division_id.choices = [("", _("All divisions"))] + [
            (str(d.id), d.name) for d in divisions
        ]
        for select in (self.required_grade, self.grant_grade, self.cap_grade):
            select.choices = grade_choices()

    def rule_fields(self) -> dict:
        """The form's values, named as ``events.promotion_rules.save_rule`` takes them."""
        return {
            name: getattr(self, name).data
            for name in ("division_id", "name", "rank_from", "rank_to", "top_percent",
                         "min_total", "min_theory_score", "min_practical_score",
                         "min_module_score", "required_grade", "max_age_male",
                         "max_age_female", "once_per_year", "effect", "grant_grade",
                         "cap_grade")
        }


class OccupationForm(FlaskForm):
    name = StringField(_l("Occupation"), validators=[Optional(), Length(max=100)])
    code = StringField(_l("National occupation code"),
                       description=_l("As in the national occupational classification, "
                                      "for example 4-10-01-05; leave empty while unconfirmed."),
                       validators=[Optional(), Length(max=20)])
    submit = SubmitField(_l("Save"))


class ActionForm(FlaskForm):
    """A button that changes something: only its CSRF token is checked."""
