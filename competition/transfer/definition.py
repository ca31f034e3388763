"""A whole competition's set-up as one JSON document: export, import and clone.

Next year's edition, or a neighbour city's copy of a contest, is one upload.
The document holds the competition's settings and, per event, its
occupation, divisions, marking scheme, promotion rules and panel — never its
status, contestants, marks or results, and no database ids: occupations and
divisions are named, experts are identified by their examiner certificate
number (else by name and work unit).

Import checks the whole document first and refuses it with every problem and
the path where it is (``events[1].modules[0].weight``), creating nothing. It
then builds a new competition in draft through the set-up services, so the
same rules apply as on the pages: ``create_competition``, ``create_event``,
``replace_marking_scheme``, and the panels by the expert pool
(``experts.pool.import_panel``, which answers ``panel_imported``: the pool
sits above this stage). Experts are never created: one not found in the pool, or
one the pool cannot assign (a certificate that does not cover the competition), is
left out and reported in the warnings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

from blinker import Namespace
from sqlalchemy import select
from sqlalchemy.orm import Session

from competition.auth.models import User
from competition.errors import N_, Problem, message_text
from competition.events.models import (
    AggregationMethod,
    AwardRounding,
    AwardTies,
    Competition,
    CompetitionLevel,
    DivisionKind,
    Event,
    NameDisplay,
    Occupation,
    PanelRole,
    PromotionRule,
    RuleEffect,
)
from competition.events.promotion_rules import save_occupation
from competition.events.scheme import (
    CriterionSpec,
    ModuleSpec,
    check_aggregation,
    check_marking_scheme,
)
from competition.events.scheme_excel import NUMBER_FORMATS, TEXT_LIMITS, parse_number
from competition.events.setup import (
    COMPETITION_FIELDS,
    TIE_BREAK_STEPS,
    SetupError,
    create_competition,
    create_event,
    replace_marking_scheme,
)

FORMAT = "yisai-competition"
VERSION = 1
# A date and time written without a zone is read in China Standard Time, the
# product's default zone (no daylight saving, so a fixed offset is exact).
CHINA_TIME = timezone(timedelta(hours=8), "CST")
INT_LIMIT = 2**31 - 1

EVENT_FIELDS = (
    "name", "starts_at", "venue", "grade_min", "grade_max", "aggregation", "trim_count",
    "decimals", "tie_break", "first_prize_pct", "second_prize_pct", "third_prize_pct",
    "award_rounding", "first_prize_min_entries", "award_ties",
    "title_name", "title_top_n", "appeal_window_hours", "notice_days", "min_age",
    "max_age_male", "max_age_female",
)
MODULE_FIELDS = ("code", "name", "kind", "weight", "max_score")
CRITERION_FIELDS = (
    "code", "description", "max_points", "kind", "entry_mode", "unit", "nominal",
    "tolerance_lower", "tolerance_upper", "deduction_step", "deduction_points",
    "deduction_limit",
)
RULE_FIELDS = (
    "name", "preset", "rank_from", "rank_to", "top_percent", "min_total", "min_theory_score",
    "min_practical_score", "min_module_score", "required_grade", "max_age_male",
    "max_age_female", "once_per_year", "effect", "grant_grade", "cap_grade",
)
# Problem column names of the scheme rules → the document's field names.
_MODULE_COLUMNS = {"module_code": "code", "module_name": "name", "module_kind": "kind",
                   "weight": "weight", "module_max": "max_score", "max_points": "criteria"}


# --- Export -------------------------------------------------------------------------

def export_competition(competition: Competition) -> dict:
    """The competition's set-up as a JSON-serialisable document."""
    return {
        "format": FORMAT,
        "version": VERSION,
        "competition": {name: _json(getattr(competition, name)) for name in COMPETITION_FIELDS},
        "events": [_export_event(event) for event in competition.events],
    }


def _export_event(event: Event) -> dict:
    division_names = {division.id: division.name for division in event.divisions}
    document = {"name": event.name,
                "occupation": {"name": event.occupation.name, "code": event.occupation.code}}
    document.update({name: _json(getattr(event, name)) for name in EVENT_FIELDS[1:]})
    document["divisions"] = [{"name": d.name, "kind": d.kind} for d in event.divisions]
    document["modules"] = [
        {**{name: _json(getattr(module, name)) for name in MODULE_FIELDS},
         "criteria": [{name: _json(getattr(criterion, name)) for name in CRITERION_FIELDS}
                      for criterion in module.criteria]}
        for module in event.modules
    ]
    document["promotion_rules"] = [
        {"division": division_names.get(rule.division_id),
         **{name: _json(getattr(rule, name)) for name in RULE_FIELDS}}
        for rule in event.promotion_rules
    ]
    panel = sorted(event.panel, key=lambda m: (m.role != PanelRole.CHIEF, m.id))
    document["panel"] = [
        {"expert": {"name": m.expert.name, "certificate_number": m.expert.certificate_number,
                    "work_unit": m.expert.work_unit},
         "role": m.role}
        for m in panel
    ]
    return document


def _json(value: object) -> object:
    """Decimals as plain strings ("12.5", not "12.5000"), dates and times in ISO 8601."""
    if isinstance(value, Decimal):
        return _plain(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return list(value)
    return value


def _plain(number: Decimal) -> str:
    text = f"{number:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


# --- Checking a document ------------------------------------------------------------

@dataclass
class _EventPlan:
    path: str
    occupation_name: str
    occupation_code: str | None
    settings: dict
    divisions: list[tuple[str, str]]
    modules: list[ModuleSpec]
    rules: list[dict]
    panel: list[tuple[str, dict]]  # (role, {"name", "certificate_number", "work_unit"})


@dataclass
class _Plan:
    competition: dict
    events: list[_EventPlan] = field(default_factory=list)


class _Checker:
    """Reads values out of the document, noting a problem at its path for each bad one."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self._paths: set[str] = set()

    def problem(self, path: str, message: str, **params) -> None:
        self._paths.add(path)
        self.problems.append(Problem(message, params, column=path))

    def has_problem(self, path: str) -> bool:
        return path in self._paths

    def obj(self, value: object, path: str) -> dict | None:
        if not isinstance(value, dict):
            self.problem(path, N_("Expected an object ({…})."))
            return None
        return value

    def items(self, data: dict, key: str, path: str) -> list:
        value = data.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.problem(f"{path}.{key}", N_("Expected a list ([…])."))
            return []
        return value

    def text(self, data: dict, key: str, path: str, *, required: bool = False,
             max_length: int | None = None, default: str = "") -> str:
        value = data.get(key)
        where = f"{path}.{key}"
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.problem(where, N_("This value is required."))
            return default
        if not isinstance(value, str):
            self.problem(where, N_("Expected text."))
            return default
        value = value.strip()
        if max_length is not None and len(value) > max_length:
            self.problem(where, N_("The text is longer than %(n)s characters."), n=max_length)
        return value

    def integer(self, data: dict, key: str, path: str, *, default: int | None = None,
                required: bool = False, minimum: int | None = None,
                maximum: int = INT_LIMIT) -> int | None:
        value = data.get(key, default)
        where = f"{path}.{key}"
        if value is None:
            if required:
                self.problem(where, N_("This value is required."))
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(where, N_("Expected a whole number."))
            return None
        if minimum is not None and value < minimum:
            self.problem(where, N_("Must be at least %(min)s."), min=minimum)
            return None
        if value > maximum:
            self.problem(where, N_("Must be at most %(max)s."), max=maximum)
            return None
        return value

    def number(self, data: dict, key: str, path: str, field_format: str, *,
               default: object = None, minimum: Decimal | None = None,
               maximum: Decimal | None = None) -> Decimal | None:
        value = data.get(key, default)
        where = f"{path}.{key}"
        if value is None or value == "":
            return None
        if isinstance(value, bool):
            self.problem(where, N_("“%(value)s” is not a number."), value=str(value).lower())
            return None
        number, error = parse_number(value, *NUMBER_FORMATS[field_format])
        if error:
            self.problem(where, error[0], **error[1])
            return None
        if minimum is not None and number < minimum:
            self.problem(where, N_("Must be at least %(min)s."), min=minimum)
            return None
        if maximum is not None and number > maximum:
            self.problem(where, N_("Must be at most %(max)s."), max=maximum)
            return None
        return number

    def choice(self, data: dict, key: str, path: str, choices, *, default: str | None,
               required: bool = False) -> str | None:
        value = data.get(key)
        if value is None:
            if required:
                self.problem(f"{path}.{key}", N_("This value is required."))
            return default
        allowed = [str(choice) for choice in choices]
        if value not in allowed:
            self.problem(f"{path}.{key}", N_("“%(value)s” is not one of: %(choices)s."),
                         value=str(value), choices=", ".join(allowed))
            return default
        return value

    def boolean(self, data: dict, key: str, path: str, *, default: bool) -> bool:
        value = data.get(key, default)
        if value is None:
            return default
        if not isinstance(value, bool):
            self.problem(f"{path}.{key}", N_("Expected true or false."))
            return default
        return value

    def day(self, data: dict, key: str, path: str) -> date | None:
        value = data.get(key)
        if value is None or value == "":
            return None
        if isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        self.problem(f"{path}.{key}", N_("Expected a date like 2026-11-20."))
        return None

    def moment(self, data: dict, key: str, path: str) -> datetime | None:
        value = data.get(key)
        if value is None or value == "":
            return None
        moment = None
        if isinstance(value, str):
            try:
                moment = datetime.fromisoformat(value)
            except ValueError:
                moment = None
        if moment is None:
            self.problem(f"{path}.{key}", N_("Expected a date and time like "
                                             "2026-11-20T08:30:00+08:00."))
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=CHINA_TIME)
        return moment.astimezone(UTC)

    def level_class(self, data: dict, path: str) -> int | None:
        value = data.get("level_class")
        if value is None or (value in (1, 2) and not isinstance(value, bool)):
            return value
        self.problem(f"{path}.level_class", N_("“%(value)s” is not one of: %(choices)s."),
                     value=str(value), choices="1, 2")
        return None


def check_document(document: object, name: str | None = None) -> _Plan:
    """The document's values, checked; SetupError listing every problem with its path."""
    check = _Checker()
    if not isinstance(document, dict):
        check.problem("", N_("This is not a competition definition (its format is not "
                             "“%(format)s”)."), format=FORMAT)
        raise _refusal(check.problems)
    if document.get("format") != FORMAT:
        check.problem("format", N_("This is not a competition definition (its format is not "
                                   "“%(format)s”)."), format=FORMAT)
        raise _refusal(check.problems)
    if document.get("version") != VERSION:
        check.problem("version", N_("Version %(version)s of the competition definition is "
                                    "not supported; this system reads version %(supported)s."),
                      version=str(document.get("version")), supported=VERSION)
        raise _refusal(check.problems)
    data = check.obj(document.get("competition"), "competition") or {}
    plan = _Plan(competition=_competition_settings(check, data, name))
    events = check.items(document, "events", "")
    seen_names: set[str] = set()
    for index, event_data in enumerate(events):
        path = f"events[{index}]"
        event_data = check.obj(event_data, path)
        if event_data is None:
            continue
        event = _event_plan(check, event_data, path)
        if event.settings["name"] in seen_names:
            check.problem(f"{path}.name", N_("The event name %(name)s is used twice."),
                          name=event.settings["name"])
        seen_names.add(event.settings["name"])
        plan.events.append(event)
    if check.problems:
        raise _refusal(check.problems)
    return plan


def _competition_settings(check: _Checker, data: dict, name: str | None) -> dict:
    path = "competition"
    values = {
        "name": (name or "").strip() or check.text(data, "name", path, required=True,
                                                    max_length=200),
        "edition": check.integer(data, "edition", path, minimum=1),
        "level": check.choice(data, "level", path, list(CompetitionLevel), default=None,
                              required=True),
        "level_class": check.level_class(data, path),
        "host": check.text(data, "host", path, max_length=200),
        "starts_on": check.day(data, "starts_on", path),
        "ends_on": check.day(data, "ends_on", path),
        "venue": check.text(data, "venue", path, max_length=200),
        "name_display": check.choice(data, "name_display", path, list(NameDisplay),
                                     default=NameDisplay.MASKED),
        "self_registration": check.boolean(data, "self_registration", path, default=False),
        "evaluator_type": check.choice(data, "evaluator_type", path, ("S", "Y"), default="S"),
        "evaluator_code": check.text(data, "evaluator_code", path, default="0000"),
        "province_code": check.text(data, "province_code", path, default="42"),
        "site_sequence": check.text(data, "site_sequence", path, default="000001"),
        "certificate_issuer": check.text(data, "certificate_issuer", path, max_length=200),
        "promotion_year": check.integer(data, "promotion_year", path, minimum=2000,
                                        maximum=2100),
    }
    if name is not None and len(values["name"]) > 200:
        check.problem("competition.name", N_("The text is longer than %(n)s characters."),
                      n=200)
    if values["starts_on"] and values["ends_on"] and values["ends_on"] < values["starts_on"]:
        check.problem("competition.ends_on", N_("The competition cannot end before it starts."))
    for key, length in (("evaluator_code", 4), ("province_code", 2), ("site_sequence", 6)):
        value = values[key]
        if not check.has_problem(f"{path}.{key}") and (len(value) != length
                                                        or not value.isdigit()):
            check.problem(f"{path}.{key}", N_("Must be exactly %(n)s digits."), n=length)
    assert set(values) == set(COMPETITION_FIELDS)
    return values


def _event_plan(check: _Checker, data: dict, path: str) -> _EventPlan:
    occupation = check.obj(data.get("occupation"), f"{path}.occupation") or {}
    occupation_name = check.text(occupation, "name", f"{path}.occupation", required=True,
                                 max_length=100)
    occupation_code = check.text(occupation, "code", f"{path}.occupation", max_length=20) \
        or None
    settings = {
        "name": check.text(data, "name", path, max_length=100) or occupation_name,
        "starts_at": check.moment(data, "starts_at", path),
        "venue": check.text(data, "venue", path, max_length=200),
        "grade_min": check.integer(data, "grade_min", path, minimum=1, maximum=5),
        "grade_max": check.integer(data, "grade_max", path, minimum=1, maximum=5),
        "aggregation": check.choice(data, "aggregation", path, list(AggregationMethod),
                                    default=AggregationMethod.MEAN),
        "trim_count": check.integer(data, "trim_count", path, default=1, minimum=0,
                                    maximum=100),
        "decimals": check.integer(data, "decimals", path, default=2, minimum=0, maximum=4),
        "tie_break": _tie_break(check, data, path),
        "first_prize_pct": _quota(check, data, "first_prize_pct", path, 10),
        "second_prize_pct": _quota(check, data, "second_prize_pct", path, 20),
        "third_prize_pct": _quota(check, data, "third_prize_pct", path, 30),
        "award_rounding": check.choice(data, "award_rounding", path, list(AwardRounding),
                                       default=AwardRounding.CUMULATIVE),
        "first_prize_min_entries": check.integer(data, "first_prize_min_entries", path,
                                                 minimum=1),
        "award_ties": check.choice(data, "award_ties", path, list(AwardTies),
                                   default=AwardTies.SHARE),
        "title_name": check.text(data, "title_name", path, max_length=100),
        "title_top_n": check.integer(data, "title_top_n", path, minimum=1),
        "appeal_window_hours": check.integer(data, "appeal_window_hours", path, default=2,
                                             minimum=0),
        "notice_days": check.integer(data, "notice_days", path, default=5, minimum=0),
        "min_age": check.integer(data, "min_age", path, minimum=0, maximum=150),
        "max_age_male": check.integer(data, "max_age_male", path, minimum=0, maximum=150),
        "max_age_female": check.integer(data, "max_age_female", path, minimum=0, maximum=150),
    }
    assert set(settings) == set(EVENT_FIELDS)
    grade_min, grade_max = settings["grade_min"], settings["grade_max"]
    if grade_min and grade_max and grade_max > grade_min:
        check.problem(f"{path}.grade_max", N_("The highest target grade must be at or above "
                                              "the lowest one."))
    quotas = [settings[f"{n}_prize_pct"] for n in ("first", "second", "third")]
    if all(q is not None for q in quotas) and sum(quotas) > 100:
        check.problem(f"{path}.first_prize_pct", N_("Award quotas must be between 0 and 100% "
                                                    "and add up to 100% at most."))
    if settings["award_ties"] == AwardTies.TIE_BREAK and "chief_judge" not in \
            settings["tie_break"] and not check.has_problem(f"{path}.tie_break"):
        check.problem(f"{path}.award_ties", N_("When the tie-break rules decide ties at a "
                                               "band's edge, the tie-break order must include "
                                               "the chief judge's order: entries still tied "
                                               "need it."))
    if settings["title_name"] and not settings["title_top_n"] \
            and not check.has_problem(f"{path}.title_top_n"):
        check.problem(f"{path}.title_top_n", N_("Say how many of the top contestants receive "
                                                "the title."))
    divisions = _divisions(check, data, path)
    return _EventPlan(
        path=path, occupation_name=occupation_name, occupation_code=occupation_code,
        settings=settings, divisions=divisions,
        modules=_modules(check, data, path, settings["aggregation"]),
        rules=_rules(check, data, path, {name for name, _ in divisions}),
        panel=_panel(check, data, path),
    )


def _tie_break(check: _Checker, data: dict, path: str) -> list[str]:
    value = data.get("tie_break")
    if value is None:
        return ["more_decimals", "practical", "chief_judge"]
    if not isinstance(value, list) or any(step not in TIE_BREAK_STEPS for step in value) \
            or len(set(value)) != len(value):
        check.problem(f"{path}.tie_break", N_("The tie-break order may only list each known "
                                              "rule once: %(steps)s."),
                      steps=", ".join(TIE_BREAK_STEPS))
        return []
    return list(value)


def _quota(check: _Checker, data: dict, key: str, path: str, default: int) -> Decimal | None:
    if data.get(key) is None:
        return Decimal(default)
    return check.number(data, key, path, "weight", minimum=Decimal(0), maximum=Decimal(100))


def _divisions(check: _Checker, data: dict, path: str) -> list[tuple[str, str]]:
    items = check.items(data, "divisions", path)
    if not items and not check.has_problem(f"{path}.divisions"):
        check.problem(f"{path}.divisions", N_("An event needs at least one division."))
    divisions = []
    for index, item in enumerate(items):
        where = f"{path}.divisions[{index}]"
        item = check.obj(item, where)
        if item is None:
            continue
        name = check.text(item, "name", where, required=True, max_length=50)
        kind = check.choice(item, "kind", where, list(DivisionKind), default=DivisionKind.WORKER)
        if name and name in {n for n, _ in divisions}:
            check.problem(f"{where}.name", N_("The division name %(name)s is used twice."),
                          name=name)
        divisions.append((name, kind))
    return divisions


def _modules(check: _Checker, data: dict, path: str, aggregation: str) -> list[ModuleSpec]:
    """The marking scheme, checked by ``scheme.check_marking_scheme`` with paths, and
    against the event's method (``scheme.check_aggregation``).

    Each spec's ``row`` is its index in ``places``, so a problem the scheme
    reports by row and column is put back at the document's path.
    """
    places: list[tuple[str, bool]] = []  # (path, is a module)
    specs = []
    for index, item in enumerate(check.items(data, "modules", path)):
        where = f"{path}.modules[{index}]"
        item = check.obj(item, where)
        if item is None:
            continue
        places.append((where, True))
        module = ModuleSpec(
            code=check.text(item, "code", where, max_length=TEXT_LIMITS["module_code"]),
            name=check.text(item, "name", where, max_length=TEXT_LIMITS["module_name"]),
            kind=_raw(check, item, "kind", where),
            weight=check.number(item, "weight", where, "weight"),
            max_score=check.number(item, "max_score", where, "module_max", default="100"),
            row=len(places) - 1,
        )
        for position, criterion in enumerate(check.items(item, "criteria", where)):
            at = f"{where}.criteria[{position}]"
            criterion = check.obj(criterion, at)
            if criterion is None:
                continue
            places.append((at, False))
            module.criteria.append(CriterionSpec(
                code=check.text(criterion, "code", at, max_length=TEXT_LIMITS["code"]),
                description=check.text(criterion, "description", at),
                max_points=check.number(criterion, "max_points", at, "max_points"),
                kind=_raw(check, criterion, "kind", at),
                entry_mode=_raw(check, criterion, "entry_mode", at) or "points",
                unit=check.text(criterion, "unit", at, max_length=TEXT_LIMITS["unit"]),
                **{name: check.number(criterion, name, at, name)
                   for name in CRITERION_FIELDS[6:]},
                row=len(places) - 1,
            ))
        specs.append(module)
    if not specs:
        return specs  # an event still being set up may have no modules yet
    for problem in check_marking_scheme(specs) + check_aggregation(aggregation, specs):
        if problem.row is None:
            where = f"{path}.modules"
        else:
            place, is_module = places[problem.row]
            name = _MODULE_COLUMNS.get(problem.column, problem.column) if is_module \
                else problem.column
            where = f"{place}.{name}"
        if not check.has_problem(where):
            check.problem(where, problem.message, **problem.params)
    return specs


def _raw(check: _Checker, data: dict, key: str, path: str) -> str:
    """A code the scheme checks (kind, entry mode): text, or a problem."""
    value = data.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        check.problem(f"{path}.{key}", N_("Expected text."))
        return ""
    return value.strip()


def _rules(check: _Checker, data: dict, path: str, division_names: set[str]) -> list[dict]:
    """Promotion rules, checked as the rule pages check them (``events.promotion_rules``)."""
    rules = []
    for index, item in enumerate(check.items(data, "promotion_rules", path)):
        where = f"{path}.promotion_rules[{index}]"
        item = check.obj(item, where)
        if item is None:
            continue
        division = item.get("division")
        if division is not None and division not in division_names:
            check.problem(f"{where}.division", N_("There is no division called %(name)s in "
                                                  "this event."), name=str(division))
        grade = {"minimum": 1, "maximum": 5}
        rule = {
            "division": division,
            "name": check.text(item, "name", where, max_length=200),
            "preset": check.text(item, "preset", where, max_length=40),
            "rank_from": check.integer(item, "rank_from", where, minimum=1),
            "rank_to": check.integer(item, "rank_to", where, minimum=1),
            "top_percent": check.number(item, "top_percent", where, "weight",
                                        minimum=Decimal("0.01"), maximum=Decimal(100)),
            "min_total": check.number(item, "min_total", where, "max_points",
                                      minimum=Decimal(0), maximum=Decimal(100)),
            "min_theory_score": check.number(item, "min_theory_score", where, "max_points",
                                             minimum=Decimal(0), maximum=Decimal(100)),
            "min_practical_score": check.number(item, "min_practical_score", where,
                                                "max_points", minimum=Decimal(0),
                                                maximum=Decimal(100)),
            "min_module_score": check.number(item, "min_module_score", where, "max_points",
                                             minimum=Decimal(0), maximum=Decimal(100)),
            "required_grade": check.integer(item, "required_grade", where, **grade),
            "max_age_male": check.integer(item, "max_age_male", where, minimum=1,
                                          maximum=150),
            "max_age_female": check.integer(item, "max_age_female", where, minimum=1,
                                            maximum=150),
            "once_per_year": check.boolean(item, "once_per_year", where, default=True),
            "effect": check.choice(item, "effect", where, list(RuleEffect),
                                   default=RuleEffect.GRANT),
            "grant_grade": check.integer(item, "grant_grade", where, **grade),
            "cap_grade": check.integer(item, "cap_grade", where, **grade),
        }
        if rule["rank_from"] and rule["rank_to"] and rule["rank_to"] < rule["rank_from"]:
            check.problem(f"{where}.rank_to", N_("The last rank (%(to)s) cannot come before "
                                                 "the first rank (%(first)s)."),
                          to=rule["rank_to"], first=rule["rank_from"])
        if all(item.get(key) is None for key in ("rank_from", "rank_to", "top_percent",
                                                 "min_total")):
            check.problem(where, N_("Say whom the rule is for: a rank range, a top percentage "
                                    "or a minimum total."))
        if rule["effect"] == RuleEffect.GRANT and item.get("grant_grade") is None:
            check.problem(f"{where}.grant_grade", N_("A rule that grants a grade must say "
                                                     "which grade."))
        grant, cap = rule["grant_grade"], rule["cap_grade"]
        if grant is not None and cap is not None and cap > grant:
            check.problem(f"{where}.cap_grade", N_("The highest grade a rule may lead to cannot "
                                                   "be below the grade it grants."))
        rules.append(rule)
    return rules


def _panel(check: _Checker, data: dict, path: str) -> list[tuple[str, dict]]:
    panel = []
    seen = set()
    chiefs = 0
    for index, item in enumerate(check.items(data, "panel", path)):
        where = f"{path}.panel[{index}]"
        item = check.obj(item, where)
        if item is None:
            continue
        expert = check.obj(item.get("expert"), f"{where}.expert") or {}
        who = {
            "name": check.text(expert, "name", f"{where}.expert", required=True, max_length=50),
            "certificate_number": check.text(expert, "certificate_number", f"{where}.expert",
                                             max_length=40) or None,
            "work_unit": check.text(expert, "work_unit", f"{where}.expert", max_length=200),
        }
        role = check.choice(item, "role", where, list(PanelRole), default=PanelRole.JUDGE)
        if role == PanelRole.CHIEF:
            chiefs += 1
            if chiefs == 2:
                check.problem(f"{where}.role", N_("An event has one chief judge at most."))
        key = who["certificate_number"] or (who["name"], who["work_unit"])
        if key in seen:
            check.problem(f"{where}.expert", N_("The expert %(name)s is listed twice."),
                          name=who["name"])
        seen.add(key)
        panel.append((role, who))
    return panel


def _refusal(problems: list[Problem]) -> SetupError:
    return SetupError(N_("The competition definition has %(n)s problems; nothing was "
                         "imported."), problems=problems, n=len(problems))


# --- Import and clone ---------------------------------------------------------------

# Sent while a document is imported, once per event, with the session as sender, the new
# ``event``, its document's ``panel`` — (role, the expert as the document names them)
# pairs — and ``today``. The expert pool answers (``experts.pool.import_panel``,
# connected by ``competition.handoffs``): it puts the experts it finds on the panel by
# the rules of the panel page, and returns a warning, in the user's language, for each
# one it leaves out.
panel_imported = Namespace().signal("definition-panel-imported")


def import_competition(session: Session, document: object, organizer: User,
                       name: str | None = None, *,
                       today: date | None = None) -> tuple[Competition, list[str]]:
    """A new competition in draft, run by ``organizer``, built from ``document``.

    Refused whole (SetupError with every problem and its path) when the
    document is wrong. ``name`` replaces the document's competition name. The
    warnings (in the user's language) say what was left out: experts not in
    the pool or whose certificate does not cover the competition, and
    occupation codes the catalogue could not take.
    """
    plan = check_document(document, name)
    today = today or date.today()
    warnings: list[str] = []
    try:
        competition = create_competition(session, organizer, **plan.competition)
    except SetupError as error:
        # The document was checked; this is a rule the check does not know yet.
        raise _refusal([Problem(error.message, error.params, column="competition")]) from error
    for event_plan in plan.events:
        occupation = _occupation(session, event_plan, warnings)
        try:
            event = create_event(session, competition, divisions=event_plan.divisions,
                                 occupation_id=occupation.id, **event_plan.settings)
            if event_plan.modules:
                replace_marking_scheme(session, event, event_plan.modules)
        except SetupError as error:
            problems = [Problem(error.message, error.params, column=event_plan.path),
                        *error.problems]
            raise _refusal(problems) from error
        divisions = {division.name: division.id for division in event.divisions}
        for position, rule in enumerate(event_plan.rules):
            values = dict(rule)
            division = values.pop("division")
            session.add(PromotionRule(event=event, position=position,
                                      division_id=divisions.get(division), **values))
        session.flush()
        for _receiver, left_out in panel_imported.send(session, event=event,
                                                       panel=event_plan.panel, today=today):
            warnings += left_out
    session.flush()
    return competition, warnings


def clone_competition(session: Session, competition: Competition, organizer: User,
                      name: str, *, today: date | None = None) -> tuple[Competition, list[str]]:
    """A copy of the competition's set-up under a new name, run by ``organizer``."""
    return import_competition(session, export_competition(competition), organizer, name=name,
                              today=today)


def _occupation(session: Session, plan: _EventPlan, warnings: list[str]) -> Occupation:
    """The catalogue's occupation of that name, added (with its code if it can) if missing."""
    found = session.scalar(select(Occupation).where(Occupation.name == plan.occupation_name))
    if found is not None:
        if plan.occupation_code and found.code != plan.occupation_code:
            warnings.append(message_text(
                N_("%(name)s is in the catalogue with the code %(code)s; the file's code "
                   "%(file_code)s was not used."), name=found.name, code=found.code or "—",
                file_code=plan.occupation_code))
        return found
    try:
        return save_occupation(session, None, plan.occupation_name, plan.occupation_code)
    except SetupError as error:
        warnings.append(message_text(N_("%(name)s was added to the occupation catalogue without a "
                                "code: %(reason)s"), name=plan.occupation_name,
                             reason=message_text(error.message, **error.params)))
        return save_occupation(session, None, plan.occupation_name, None)
