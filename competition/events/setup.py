"""Use cases of setting up a competition.

Functions take the session and plain values, change models, ``flush()`` and
raise ``SetupError`` when a rule is broken; the request commits once.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from competition.auth.models import User
from competition.errors import N_, DomainError, Message, Problem
from competition.events.models import (
    AwardRounding,
    AwardTies,
    Competition,
    CompetitionOrganizer,
    CompetitionStatus,
    Criterion,
    Division,
    Event,
    Module,
    Occupation,
)
from competition.events.scheme import (
    CriterionSpec,
    ModuleSpec,
    check_aggregation,
    check_criterion,
    check_marking_scheme,
    check_module,
    off_scale,
)

# What may still change once marking has started: words and weights, not the
# structure or the maxima the marks were given against.
FROZEN_CRITERION_FIELDS = (
    "max_points", "kind", "entry_mode", "nominal", "tolerance_lower", "tolerance_upper",
    "deduction_step", "deduction_points", "deduction_limit",
)


class SetupError(DomainError):
    """A rule of competition set-up was broken."""


# --- Competitions -------------------------------------------------------------------

COMPETITION_FIELDS = (
    "name", "edition", "level", "level_class", "host", "starts_on", "ends_on", "venue",
    "name_display", "self_registration", "evaluator_type", "evaluator_code", "province_code",
    "site_sequence", "certificate_issuer", "promotion_year",
)


def create_competition(session: Session, organizer: User, **fields) -> Competition:
    """A new competition in draft, run by ``organizer``."""
    competition = Competition(status=CompetitionStatus.DRAFT)
    update_competition(competition, **fields)
    session.add(competition)
    session.flush()
    session.add(CompetitionOrganizer(competition_id=competition.id, user_id=organizer.id))
    session.flush()
    return competition


def update_competition(competition: Competition, **fields) -> None:
    unknown = set(fields) - set(COMPETITION_FIELDS)
    if unknown:
        raise TypeError(f"unknown competition fields: {sorted(unknown)}")
    for name, value in fields.items():
        setattr(competition, name, value)
    if not (competition.name or "").strip():
        raise SetupError(N_("The competition needs a name."))
    starts, ends = competition.starts_on, competition.ends_on
    if starts and ends and ends < starts:
        raise SetupError(N_("The competition cannot end before it starts."))
    if competition.level in ("enterprise", "school"):
        competition.level_class = None
    _check_certificate_settings(competition)


def _check_certificate_settings(competition: Competition) -> None:
    """The parts of a certificate number (docs/design.md section 5) have fixed lengths of digits."""
    for value, length, what in (
        (competition.evaluator_code, 4, Message(N_("evaluator code"))),
        (competition.province_code, 2, Message(N_("province code"))),
        (competition.site_sequence, 6, Message(N_("site sequence"))),
    ):
        if value is not None and (len(value) != length or not value.isdigit()):
            raise SetupError(N_("The %(what)s must be exactly %(n)s digits."),
                             what=what, n=length)


def readiness_problems(session: Session, competition: Competition) -> list[tuple[str, Problem]]:
    """What keeps the competition from opening: (event name, problem) pairs."""
    problems: list[tuple[str, Problem]] = []
    events = session.scalars(select(Event).where(Event.competition_id == competition.id)).all()
    if not events:
        problems.append(("", Problem(N_("The competition has no events yet."))))
    for event in events:
        problems.extend((event.name, problem) for problem in event_problems(event))
    return problems


def event_problems(event: Event) -> list[Problem]:
    """Everything that must be fixed before the event can run."""
    problems = []
    if not event.divisions:
        problems.append(Problem(N_("The event has no divisions.")))
    specs = scheme_specs(event)
    problems.extend(check_marking_scheme(specs))
    problems.extend(check_aggregation(event.aggregation, specs))
    return problems


def advance_competition(session: Session, competition: Competition, status: str) -> None:
    """Move the competition to its next status. Opening registration needs every event's
    set-up complete; running (比赛中) needs the whole pre-flight check passed
    (``events.preflight``), and is refused with every missing thing listed otherwise."""
    if status == CompetitionStatus.RUNNING and competition.next_status == status:
        from competition.events.preflight import preflight

        missing = preflight(session, competition)
        if missing:
            raise SetupError(N_("The competition cannot start yet: %(n)s things are missing "
                                "or wrong. Fix them, then move it on again."),
                             problems=[(m.where, m.problem) for m in missing], n=len(missing))
    elif status in (CompetitionStatus.REGISTRATION, CompetitionStatus.RUNNING):
        problems = readiness_problems(session, competition)
        if problems:
            raise SetupError(N_("The competition cannot move on until its set-up is complete."),
                             problems=problems)
    competition.advance_to(status)
    session.flush()


# --- Events -------------------------------------------------------------------------

EVENT_SETTINGS = (
    "name", "occupation_id", "starts_at", "venue", "grade_min", "grade_max", "aggregation",
    "trim_count", "decimals", "tie_break", "first_prize_pct", "second_prize_pct",
    "third_prize_pct", "award_rounding", "first_prize_min_entries", "award_ties",
    "title_name", "title_top_n", "appeal_window_hours", "notice_days",
    "min_age", "max_age_male", "max_age_female",
)
TIE_BREAK_STEPS = ("more_decimals", "practical", "theory", "chief_judge")


def create_event(session: Session, competition: Competition, *,
                 divisions: list[tuple[str, str]], **settings) -> Event:
    """An event of ``competition`` with its divisions, e.g. [("职工组", "worker")]."""
    position = len(competition.events)
    event = Event(competition=competition, position=position)
    session.add(event)
    update_event(session, event, **settings)
    if not divisions:
        raise SetupError(N_("An event needs at least one division."))
    for index, (name, kind) in enumerate(divisions):
        add_division(session, event, name=name, kind=kind, position=index)
    session.flush()
    return event


def update_event(session: Session, event: Event, **settings) -> None:
    """Set the event's settings, then check them (``SetupError`` for a broken rule). The
    checks' queries run without autoflush, so a refused change is never written — not
    even to fail on a CHECK constraint before the rule's message."""
    unknown = set(settings) - set(EVENT_SETTINGS)
    if unknown:
        raise TypeError(f"unknown event settings: {sorted(unknown)}")
    with session.no_autoflush:
        aggregation = event.aggregation
        for name, value in settings.items():
            setattr(event, name, value)
        _check_event(session, event)
        if event.aggregation != aggregation:
            _check_aggregation(event)
    session.flush()


def _check_aggregation(event: Event) -> None:
    """Choosing the WorldSkills method: every judgement criterion the event already has
    must be marked on the 0–3 scale (``scheme.check_aggregation``). An event without
    criteria yet may choose it; its criteria are then held to it as they are added.
    (Only a change of method is checked, so an event set up before this rule can still
    change its other settings; its page lists the problem.)"""
    problems = check_aggregation(event.aggregation, scheme_specs(event))
    if problems:
        raise SetupError(N_("The WorldSkills method needs every judgement criterion marked on "
                            "the 0–3 scale: mark the criteria listed 0–3 first, or choose "
                            "another method."), problems=problems)


def _check_event(session: Session, event: Event) -> None:
    if not (event.name or "").strip():
        occupation = session.get(Occupation, event.occupation_id) if event.occupation_id else None
        event.name = occupation.name if occupation else ""
    if not event.name:
        raise SetupError(N_("The event needs a name or an occupation."))
    if event.occupation_id is None or session.get(Occupation, event.occupation_id) is None:
        raise SetupError(N_("Choose the event's occupation from the catalogue."))
    query = select(Event.id).where(Event.competition_id == event.competition.id,
                                   Event.name == event.name)
    if event.id is not None:
        query = query.where(Event.id != event.id)
    clash = session.scalar(query)
    if clash:
        raise SetupError(N_("The competition already has an event called %(name)s."),
                         name=event.name)
    if event.grade_min and event.grade_max and event.grade_max > event.grade_min:
        raise SetupError(N_("The highest target grade must be at or above the lowest one."))
    quotas = [event.first_prize_pct, event.second_prize_pct, event.third_prize_pct]
    if any(q is None or q < 0 for q in quotas) or sum(quotas) > 100:
        raise SetupError(N_("Award quotas must be between 0 and 100% and add up to 100% "
                            "at most."))
    _check_award_rules(event)
    if event.trim_count is not None and event.trim_count < 0:
        raise SetupError(N_("The number of marks to drop cannot be negative."))
    if event.aggregation == "worldskills":
        # WorldSkills judgement is always three judges on a 0–3 scale (docs/design.md §5).
        event.trim_count = 0
    if not 0 <= (event.decimals or 0) <= 4:
        raise SetupError(N_("Scores keep between 0 and 4 decimals."))
    steps = list(event.tie_break or [])
    if any(step not in TIE_BREAK_STEPS for step in steps) or len(set(steps)) != len(steps):
        raise SetupError(N_("The tie-break order may only list each known rule once."))
    if event.title_name and not event.title_top_n:
        raise SetupError(N_("Say how many of the top contestants receive the title."))
    _check_limits(event)


# The ranges every way of setting an event up shares (form, API, imported definition).
AGE_RANGE = (0, 100)  # a minimum age
MAX_AGE_RANGE = (16, 100)  # an age limit by sex
APPEAL_HOURS_RANGE = (0, 720)
NOTICE_DAYS_RANGE = (0, 60)
TITLE_TOP_RANGE = (1, 10_000)


def _check_limits(event: Event) -> None:
    """Numbers a person could mistype into something no competition means: ages,
    appeal window, notice period and the title's places, each within its range."""
    checks = (
        (event.min_age, AGE_RANGE, N_("The minimum age must be between %(low)s and %(high)s.")),
        (event.max_age_male, MAX_AGE_RANGE,
         N_("The age limit for men must be between %(low)s and %(high)s.")),
        (event.max_age_female, MAX_AGE_RANGE,
         N_("The age limit for women must be between %(low)s and %(high)s.")),
        (event.appeal_window_hours, APPEAL_HOURS_RANGE,
         N_("The appeal window must be between %(low)s and %(high)s hours.")),
        (event.notice_days, NOTICE_DAYS_RANGE,
         N_("The public notice must last between %(low)s and %(high)s days.")),
        (event.title_top_n, TITLE_TOP_RANGE,
         N_("The number of contestants who receive the title must be between %(low)s and "
            "%(high)s.")),
    )
    for value, (low, high), message in checks:
        if value is not None and not low <= value <= high:
            raise SetupError(message, low=low, high=high)
    for limit in (event.max_age_male, event.max_age_female):
        if limit is not None and event.min_age is not None and limit < event.min_age:
            raise SetupError(N_("An age limit cannot be below the minimum age."))


def _check_award_rules(event: Event) -> None:
    """How quotas round, the smallest division with a first prize, and what happens to
    entries tied across a band's edge (``results.ranking``)."""
    if event.award_rounding is None:
        event.award_rounding = AwardRounding.CUMULATIVE
    if event.award_ties is None:
        event.award_ties = AwardTies.SHARE
    if event.award_rounding not in set(AwardRounding):
        raise SetupError(N_("Choose how the award quotas round: %(choices)s."),
                         choices=", ".join(AwardRounding))
    if event.award_ties not in set(AwardTies):
        raise SetupError(N_("Choose what happens to entries tied across a band's edge: "
                            "%(choices)s."), choices=", ".join(AwardTies))
    minimum = event.first_prize_min_entries
    if minimum is not None and (isinstance(minimum, bool) or not isinstance(minimum, int)
                                or minimum < 1):
        raise SetupError(N_("The smallest division with a first prize needs at least 1 "
                            "ranked entry."))
    if event.award_ties == AwardTies.TIE_BREAK and "chief_judge" not in (event.tie_break or []):
        raise SetupError(N_("When the tie-break rules decide ties at a band's edge, the "
                            "tie-break order must include the chief judge's order: entries "
                            "still tied need it."))


def add_division(session: Session, event: Event, *, name: str, kind: str,
                 position: int | None = None) -> Division:
    name = (name or "").strip()
    if not name:
        raise SetupError(N_("The division needs a name."))
    if any(d.name == name for d in event.divisions):
        raise SetupError(N_("The event already has a division called %(name)s."), name=name)
    division = Division(event=event, name=name, kind=kind,
                        position=len(event.divisions) if position is None else position)
    session.add(division)
    session.flush()
    return division


# --- Marking scheme -----------------------------------------------------------------

def scheme_frozen(event: Event) -> bool:
    return event.marking_started_at is not None


def scheme_specs(event: Event) -> list[ModuleSpec]:
    """The event's marking scheme as plain values, for checking and exporting."""
    return [
        ModuleSpec(
            code=m.code, name=m.name, kind=m.kind, weight=m.weight, max_score=m.max_score,
            criteria=[criterion_spec(c) for c in m.criteria],
        )
        for m in event.modules
    ]


def criterion_spec(criterion: Criterion) -> CriterionSpec:
    return CriterionSpec(
        code=criterion.code, description=criterion.description,
        max_points=criterion.max_points, kind=criterion.kind, entry_mode=criterion.entry_mode,
        unit=criterion.unit, nominal=criterion.nominal,
        tolerance_lower=criterion.tolerance_lower, tolerance_upper=criterion.tolerance_upper,
        deduction_step=criterion.deduction_step, deduction_points=criterion.deduction_points,
        deduction_limit=criterion.deduction_limit,
    )


def _refuse_if_frozen(event: Event) -> None:
    if scheme_frozen(event):
        raise SetupError(N_("Marking has started for %(event)s: modules and criteria can no "
                            "longer be added or removed, and maxima cannot change."),
                         event=event.name)


def module_problems(event: Event, module: Module | None, spec: ModuleSpec) -> list[Problem]:
    """Every problem of a module's fields and its place in the event, at once."""
    problems = check_module(spec)
    code = (spec.code or "").strip()
    if code and any(other is not module and other.code == code for other in event.modules):
        problems.append(Problem(N_("Module code %(code)s is used twice."), {"code": code},
                                column="module_code"))
    return problems


def _check_module_fields(event: Event, module: Module | None, spec: ModuleSpec) -> None:
    problems = module_problems(event, module, spec)
    if problems:
        raise SetupError(problems[0].message, problems=problems, **problems[0].params)


def add_module(session: Session, event: Event, spec: ModuleSpec) -> Module:
    _refuse_if_frozen(event)
    _check_module_fields(event, None, spec)
    module = Module(event=event, code=spec.code.strip(), name=spec.name.strip(), kind=spec.kind,
                    weight=spec.weight, max_score=spec.max_score or Decimal(100),
                    position=len(event.modules))
    session.add(module)
    session.flush()
    return module


def update_module(session: Session, module: Module, spec: ModuleSpec) -> None:
    event = module.event
    _check_module_fields(event, module, spec)
    if scheme_frozen(event) and (spec.code.strip() != module.code or spec.kind != module.kind
                                 or spec.max_score != module.max_score):
        _refuse_if_frozen(event)
    module.code, module.name = spec.code.strip(), spec.name.strip()
    module.kind, module.weight = spec.kind, spec.weight
    module.max_score = spec.max_score or Decimal(100)
    session.flush()


def delete_module(session: Session, module: Module) -> None:
    _refuse_if_frozen(module.event)
    session.delete(module)
    session.flush()


def add_criterion(session: Session, module: Module, spec: CriterionSpec) -> Criterion:
    _refuse_if_frozen(module.event)
    _check_criterion_fields(module, None, spec)
    criterion = Criterion(module=module, position=len(module.criteria))
    _apply_criterion(criterion, spec)
    session.add(criterion)
    session.flush()
    return criterion


def update_criterion(session: Session, criterion: Criterion, spec: CriterionSpec) -> None:
    module = criterion.module
    # A criterion that already could not be marked by the event's method (an event set
    # up before the rule) may still be edited: its event's page lists the problem.
    _check_criterion_fields(module, criterion, spec, method=not off_scale(
        module.event.aggregation, criterion_spec(criterion)))
    if scheme_frozen(module.event):
        before = criterion_spec(criterion)
        if spec.code.strip() != criterion.code or any(
                getattr(before, name) != getattr(spec, name)
                for name in FROZEN_CRITERION_FIELDS):
            _refuse_if_frozen(module.event)
    _apply_criterion(criterion, spec)
    session.flush()


def delete_criterion(session: Session, criterion: Criterion) -> None:
    _refuse_if_frozen(criterion.module.event)
    session.delete(criterion)
    session.flush()


def criterion_problems(module: Module, criterion: Criterion | None, spec: CriterionSpec,
                       *, method: bool = True) -> list[Problem]:
    """Every problem of a criterion's fields, its place in the module and (``method``)
    the event's marking method, at once."""
    problems = check_criterion(spec)
    code = (spec.code or "").strip()
    if code and any(other is not criterion and other.code == code
                    for other in module.criteria):
        problems.append(Problem(N_("Criterion code %(code)s is used twice in module "
                                   "%(module)s."), {"code": code, "module": module.code},
                                column="code"))
    if method and spec.kind in ("measurement", "judgement") \
            and off_scale(module.event.aggregation, spec):
        problems.append(Problem(N_("With the WorldSkills method every judgement criterion is "
                                   "marked on the 0–3 scale: mark criterion %(code)s 0–3, or "
                                   "make it a measurement criterion."), {"code": code},
                                column="entry_mode"))
    return problems


def _check_criterion_fields(module: Module, criterion: Criterion | None,
                            spec: CriterionSpec, *, method: bool = True) -> None:
    problems = criterion_problems(module, criterion, spec, method=method)
    if problems:
        raise SetupError(problems[0].message, problems=problems, **problems[0].params)


def _apply_criterion(criterion: Criterion, spec: CriterionSpec) -> None:
    criterion.code = spec.code.strip()
    criterion.description = spec.description.strip()
    criterion.max_points = spec.max_points
    criterion.kind = spec.kind
    criterion.entry_mode = spec.entry_mode
    measured = spec.entry_mode == "measured"
    criterion.unit = spec.unit if measured else ""
    for name in ("nominal", "tolerance_lower", "tolerance_upper", "deduction_step",
                 "deduction_points", "deduction_limit"):
        setattr(criterion, name, getattr(spec, name) if measured else None)


def replace_marking_scheme(session: Session, event: Event, specs: list[ModuleSpec]) -> None:
    """Make the event's scheme exactly ``specs`` (from a file), or refuse it whole.

    Modules and criteria are matched by code, so the ones that stay keep their
    identity. Every problem is reported at once; nothing changes on a problem. The
    scheme must suit the event's method (``scheme.check_aggregation``).
    """
    problems = check_marking_scheme(specs) + check_aggregation(event.aggregation, specs)
    if problems:
        raise SetupError(N_("The marking scheme has %(n)s problems; nothing was changed."),
                         problems=problems, n=len(problems))
    if scheme_frozen(event):
        current = {(m.code, c.code): c for m in event.modules for c in m.criteria}
        wanted = {(m.code.strip(), c.code.strip()): c for m in specs for c in m.criteria}
        modules_now = {m.code: (m.kind, m.max_score) for m in event.modules}
        modules_wanted = {m.code.strip(): (m.kind, m.max_score) for m in specs}
        if set(current) != set(wanted) or modules_now != modules_wanted or any(
                getattr(criterion_spec(current[key]), name) != getattr(wanted[key], name)
                for key in current for name in FROZEN_CRITERION_FIELDS):
            _refuse_if_frozen(event)
    existing = {m.code: m for m in event.modules}
    keep = set()
    for position, spec in enumerate(specs):
        code = spec.code.strip()
        module = existing.get(code)
        if module is None:
            module = Module(event=event, code=code)
            session.add(module)
        module.name, module.kind, module.weight = spec.name.strip(), spec.kind, spec.weight
        module.max_score, module.position = spec.max_score or Decimal(100), position
        keep.add(code)
        old = {c.code: c for c in module.criteria}
        wanted_codes = set()
        for index, criterion_spec_ in enumerate(spec.criteria):
            criterion = old.get(criterion_spec_.code.strip())
            if criterion is None:
                criterion = Criterion(module=module)
                session.add(criterion)
            _apply_criterion(criterion, criterion_spec_)
            criterion.position = index
            wanted_codes.add(criterion.code)
        for code_, criterion in old.items():
            if code_ not in wanted_codes:
                module.criteria.remove(criterion)
    for code, module in existing.items():
        if code not in keep:
            event.modules.remove(module)
    session.flush()
