"""Forms of competition and event set-up."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from markupsafe import Markup
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from competition.events.awards import award_rule_text
from competition.labels import LABELS


def _choices(kind: str, blank: bool = False) -> list[tuple[str, object]]:
    choices = [(str(code), text) for code, text in LABELS[kind].items()]
    return [("", "—")] + choices if blank else choices


def grade_choices() -> list[tuple[str, object]]:
    from competition.skill_grades import Grade, grade_label

    return [("", "—")] + [(str(g.value), grade_label(g.value)) for g in Grade]


class OrderWidget:
    """Numbered drop-downs, one per place (1, 2, 3…), each offering every choice or none:
    an order picked by touch, without Ctrl-click and without JavaScript. The browser sends
    the places in page order, so the field reads them back in order."""

    def __call__(self, field, **kwargs):
        from flask_babel import gettext

        chosen = list(field.data or [])
        selected = Markup(" selected")
        items = []
        for place in range(len(field.choices)):
            value = chosen[place] if place < len(chosen) else ""
            options = [Markup('<option value=""{}>—</option>').format(
                "" if value else selected)]
            options += [Markup('<option value="{}"{}>{}</option>').format(
                code, selected if code == value else "", text) for code, text in field.choices]
            step = gettext("Step %(n)s", n=place + 1)
            items.append(Markup(
                '<li><span class="order-place" aria-hidden="true">{}</span>'
                '<select name="{}" id="{}" aria-label="{}"{}>{}</select></li>').format(
                step, field.name, field.id if place == 0 else f"{field.id}-{place + 1}", step,
                Markup(' aria-invalid="true"') if field.errors else "",
                Markup("").join(options)))
        return Markup('<ol class="order-picker">{}</ol>').format(Markup("").join(items))


class OrderField(SelectMultipleField):
    """An order of some of the choices (a list, first first), picked place by place."""

    widget = OrderWidget()

    def process_formdata(self, valuelist):
        # The places left empty ("—") are skipped: the order closes up.
        super().process_formdata([value for value in valuelist if value])

    def pre_validate(self, form):
        super().pre_validate(form)
        if len(set(self.data or [])) != len(self.data or []):
            raise ValidationError(_l("Each rule may be chosen only once."))


class CompetitionForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    edition = IntegerField(_l("Edition"), validators=[Optional(), NumberRange(min=1)])
    level = SelectField(_l("Level"), choices=_choices("competition_level"), default="city")
    level_class = SelectField(_l("Class"), choices=_choices("level_class", blank=True),
                              default="")
    host = StringField(_l("Host"), validators=[Length(max=200)])
    starts_on = DateField(_l("First day"), validators=[Optional()])
    ends_on = DateField(_l("Last day"), validators=[Optional()])
    venue = StringField(_l("Venue"), validators=[Length(max=200)])
    name_display = SelectField(_l("Names on public result lists"),
                               choices=_choices("name_display"))
    self_registration = BooleanField(_l("Contestants may register themselves"))
    evaluator_type = SelectField(_l("Evaluator type"), choices=_choices("evaluator_type"))
    # Needed only when certificates are issued; the service checks their digits.
    evaluator_code = StringField(_l("Evaluator code (4 digits)"), default="0000",
                                 validators=[DataRequired()])
    province_code = StringField(_l("Province code (2 digits)"), default="42",
                                validators=[DataRequired()])
    site_sequence = StringField(_l("Site sequence (6 digits)"), default="000001",
                                validators=[DataRequired()])
    certificate_issuer = StringField(_l("Certificate issuer"), validators=[Length(max=200)])
    promotion_year = IntegerField(
        _l("Contest year for the once-a-year promotion limit"),
        validators=[Optional(), NumberRange(min=2000, max=2100)],
        description=_l("A person is promoted through competitions at most once per contest "
                       "year, counted across every competition. Empty: the year of the "
                       "first day (a December contest decided in January still counts in "
                       "December's year)."))
    submit = SubmitField(_l("Save"))

    def values(self) -> dict:
        values = {name: getattr(self, name).data for name in (
            "name", "edition", "level", "host", "starts_on", "ends_on", "venue",
            "name_display", "self_registration", "evaluator_type", "evaluator_code",
            "province_code", "site_sequence", "certificate_issuer", "promotion_year")}
        values["level_class"] = int(self.level_class.data) if self.level_class.data else None
        return values


class EventForm(FlaskForm):
    occupation_id = SelectField(_l("Occupation"), coerce=int)
    name = StringField(_l("Event name (empty: the occupation's name)"),
                       validators=[Length(max=100)])
    divisions = StringField(_l("Divisions (separated by commas)"), default="职工组",
                            validators=[DataRequired()])
    venue = StringField(_l("Venue"), validators=[Length(max=200)])
    grade_min = SelectField(_l("Lowest target grade"), default="")
    grade_max = SelectField(_l("Highest target grade"), default="")
    aggregation = SelectField(_l("Aggregation of judgement marks"),
                              choices=_choices("aggregation"), default="trimmed_mean")
    trim_count = IntegerField(_l("Marks dropped at each end (trimmed mean)"), default=1,
                              validators=[InputRequired(), NumberRange(min=0, max=5)])
    decimals = IntegerField(_l("Decimals kept"), default=2,
                            validators=[InputRequired(), NumberRange(min=0, max=4)])
    tie_break = OrderField(_l("Tie-break order"), choices=_choices("tie_break"),
                                    default=["more_decimals", "practical", "chief_judge"])
    first_prize_pct = DecimalField(_l("First prizes (percent of a division)"), default=10,
                                   validators=[InputRequired(), NumberRange(min=0, max=100)])
    second_prize_pct = DecimalField(_l("Second prizes (percent)"), default=20,
                                    validators=[InputRequired(), NumberRange(min=0, max=100)])
    third_prize_pct = DecimalField(_l("Third prizes (percent)"), default=30,
                                   validators=[InputRequired(), NumberRange(min=0, max=100)])
    award_rounding = SelectField(_l("How award quotas round"), default="cumulative", choices=[
        ("cumulative", _l("Added up band by band, rounded half up")),
        ("per_band", _l("Each band on its own, rounded half up")),
        ("never_more", _l("Each band on its own, rounded down (never above the quota)")),
    ])
    first_prize_min_entries = IntegerField(
        _l("Smallest division with a first prize (empty: the quota alone decides)"),
        validators=[Optional(), NumberRange(min=1)])
    award_ties = SelectField(_l("Entries tied across a band's edge"), default="share", choices=[
        ("share", _l("All receive the higher award; the chief judge acknowledges it")),
        ("tie_break", _l("The tie-break rules decide, then the chief judge's order")),
    ])
    title_name = StringField(_l("Title for the top contestants (e.g. 咸宁市技术能手)"),
                             validators=[Length(max=100)])
    title_top_n = IntegerField(_l("How many receive the title"),
                               validators=[Optional(), NumberRange(min=1)])
    appeal_window_hours = IntegerField(_l("Appeal window (hours)"), default=2,
                                       validators=[InputRequired(), NumberRange(min=0)])
    notice_days = IntegerField(_l("Public notice (days)"), default=5,
                               validators=[InputRequired(), NumberRange(min=0)])
    min_age = IntegerField(_l("Minimum age"), validators=[Optional(), NumberRange(min=0)])
    max_age_male = IntegerField(_l("Maximum age, men"),
                                validators=[Optional(), NumberRange(min=0)])
    max_age_female = IntegerField(_l("Maximum age, women"),
                                  validators=[Optional(), NumberRange(min=0)])
    submit = SubmitField(_l("Save"))

    def __init__(self, *args, occupations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.occupation_id.choices = [
            (o.id, f"{o.name} {o.code or ''}".strip()) for o in occupations
        ]
        self.grade_min.choices = grade_choices()
        self.grade_max.choices = grade_choices()

    def division_list(self) -> list[tuple[str, str]]:
        """“职工组, 学生组” → [("职工组", "worker"), ("学生组", "student")]."""
        names = [n.strip() for n in self.divisions.data.replace("，", ",").replace("、", ",")
                 .split(",") if n.strip()]
        return [(n, division_kind(n)) for n in names]

    def settings(self) -> dict:
        names = ("occupation_id", "name", "venue", "aggregation", "trim_count", "decimals",
                 "tie_break", "first_prize_pct", "second_prize_pct", "third_prize_pct",
                 "award_rounding", "first_prize_min_entries", "award_ties", "title_name",
                 "title_top_n", "appeal_window_hours", "notice_days", "min_age",
                 "max_age_male", "max_age_female")
        values = {name: getattr(self, name).data for name in names}
        values["grade_min"] = int(self.grade_min.data) if self.grade_min.data else None
        values["grade_max"] = int(self.grade_max.data) if self.grade_max.data else None
        values["name"] = (values["name"] or "").strip()
        values["title_name"] = (values["title_name"] or "").strip()
        return values

    def award_rule(self) -> str:
        """The award rule of the choices on the form, in words (shown beside the quotas)."""
        return award_rule_text(self.award_rounding.data, self.first_prize_min_entries.data,
                               self.award_ties.data)


def division_kind(name: str) -> str:
    """Guess the kind of a division from its usual Chinese name."""
    if "学生" in name:
        return "student"
    if "教师" in name:
        return "teacher"
    if "职工" in name or "企业" in name:
        return "worker"
    return "other"


class ModuleForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=16)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    kind = SelectField(_l("Kind"), choices=_choices("module_kind"), default="practical")
    weight = DecimalField(_l("Weight (percent of the total)"),
                          validators=[InputRequired(), NumberRange(min=0, max=100)])
    max_score = DecimalField(_l("Marked out of"), default=100,
                             validators=[InputRequired(), NumberRange(min=0)])
    submit = SubmitField(_l("Save module"))


class CriterionForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=16)])
    description = TextAreaField(_l("Description"), validators=[DataRequired()])
    max_points = DecimalField(_l("Maximum points"), validators=[InputRequired()])
    kind = SelectField(_l("Kind"), choices=_choices("criterion_kind"), default="judgement")
    entry_mode = SelectField(_l("How the judge enters it"), choices=_choices("entry_mode"),
                             default="points")
    unit = StringField(_l("Unit"), default="mm", validators=[Length(max=8)])
    nominal = DecimalField(_l("Nominal size"), validators=[Optional()], places=None)
    tolerance_lower = DecimalField(_l("Lower deviation"), validators=[Optional()], places=None)
    tolerance_upper = DecimalField(_l("Upper deviation"), validators=[Optional()], places=None)
    deduction_step = DecimalField(_l("Deduct per step of"), validators=[Optional()],
                                  places=None)
    deduction_points = DecimalField(_l("Points deducted per step"), validators=[Optional()],
                                    places=None)
    deduction_limit = DecimalField(_l("No points when more than this out of tolerance"),
                                   validators=[Optional()], places=None)
    submit = SubmitField(_l("Save criterion"))


class StatusForm(FlaskForm):
    status = SelectField(choices=_choices("competition_status"))
    submit = SubmitField(_l("Move on"))


class ConfirmForm(FlaskForm):
    """A button that changes something; the form carries only the CSRF token."""

    submit = SubmitField(_l("Confirm"))


class SchemeImportForm(FlaskForm):
    file = FileField(_l("Excel workbook (.xlsx)"),
                     validators=[FileRequired(_l("Choose the file to upload."))],
                     render_kw={"accept": ".xlsx,application/vnd.openxmlformats-officedocument"
                                          ".spreadsheetml.sheet"})
    submit = SubmitField(_l("Import the marking scheme"))
