"""Use cases of an event's promotion rules (晋升规则) and of the occupation catalogue.

Functions take the session and plain values, change models, ``flush()`` and
raise ``SetupError`` when a rule is broken; the request commits once. Rules are
only stored and edited here: the promotion stage evaluates them once results
are final (docs/design.md section 5).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from competition.errors import N_
from competition.events.models import Division, Event, Occupation, PromotionRule, RuleEffect
from competition.events.presets import RULE_COLUMNS, get_preset
from competition.events.setup import SetupError

RULE_FIELDS = ("division_id", *RULE_COLUMNS)
HUNDRED = Decimal(100)

# 国家职业分类大典 codes: major group, then three two-digit levels, e.g. 4-10-01-05.
OCCUPATION_CODE = re.compile(r"^\d-\d{2}-\d{2}-\d{2}$")


# --- Promotion rules ----------------------------------------------------------------

def apply_preset(session: Session, event: Event, preset_key: str, replace: bool = True,
                 translate: Callable[[str], str] | None = None) -> list[PromotionRule]:
    """Give the event the rules of a preset, one per division of the kind each is for.

    A spec for workers or students becomes one rule for every division of that
    kind, in the divisions' order; a spec for every division becomes one rule
    without a division. With ``replace`` the event's current rules go first;
    otherwise the preset's rules follow them. Refused when none of the event's
    divisions is of a kind the preset has rules for.

    Rule names are English message ids; ``translate`` (the page passes
    gettext) stores them in the organizer's language instead, as their own
    words to edit. Pages translate a name still stored as an id when shown.
    """
    preset = get_preset(preset_key)
    if preset is None:
        raise SetupError(N_("There is no preset called %(key)s."), key=preset_key)
    made: list[tuple[Division | None, dict]] = []
    for spec in preset.rules:
        if spec.division_kind is None:
            made.append((None, spec.columns()))
            continue
        made.extend((division, spec.columns()) for division in event.divisions
                    if division.kind == spec.division_kind)
    if not made:
        raise SetupError(N_("This preset has rules only for workers' and students' divisions, "
                            "and the event has neither."))
    if replace:
        event.promotion_rules.clear()
        session.flush()
    position = _next_position(event)
    rules = []
    for offset, (division, columns) in enumerate(made):
        if translate is not None:
            columns["name"] = translate(columns["name"])
        rule = PromotionRule(event=event, division_id=division.id if division else None,
                             position=position + offset, preset=preset.key, **columns)
        session.add(rule)
        rules.append(rule)
    session.flush()
    return rules


def save_rule(session: Session, event: Event, rule: PromotionRule | None,
              **fields) -> PromotionRule:
    """Add a rule at the end of the event's rules, or change ``rule``; refused whole.

    The rules checked: ranks start at 1 and the last is not before the first;
    the top percentage is above 0 and at most 100; a rule says whom it applies
    to (a rank range, a top percentage or a minimum total); minimum scores are
    out of 100; grades run 1 to 5; a rule that grants a grade names it, and its
    cap is at or above it (grade 1 is the highest); the division is the
    event's own.
    """
    unknown = set(fields) - set(RULE_FIELDS)
    if unknown:
        raise TypeError(f"unknown promotion rule fields: {sorted(unknown)}")
    if rule is not None and rule.event_id != event.id:
        raise SetupError(N_("This rule belongs to another event."))
    values = {name: getattr(rule, name) for name in RULE_FIELDS} if rule else {
        "division_id": None, "name": "", "once_per_year": True, "effect": RuleEffect.GRANT,
    }
    values.update(fields)
    values["name"] = (values.get("name") or "").strip()
    if values.get("rank_to") is not None and values.get("rank_from") is None:
        values["rank_from"] = 1
    if values.get("effect") == RuleEffect.STEP_UP:
        values["grant_grade"] = None
    _check_rule(event, values)
    if rule is None:
        rule = PromotionRule(event=event, position=_next_position(event))
        session.add(rule)
    for name in RULE_FIELDS:
        setattr(rule, name, values.get(name))
    rule.once_per_year = bool(values.get("once_per_year"))
    session.flush()
    return rule


def _check_rule(event: Event, values: dict) -> None:
    division_id = values.get("division_id")
    if division_id is not None and division_id not in {d.id for d in event.divisions}:
        raise SetupError(N_("The division does not belong to this event."))
    rank_from, rank_to = values.get("rank_from"), values.get("rank_to")
    if rank_from is not None and rank_from < 1:
        raise SetupError(N_("Ranks start at 1: the first rank must be 1 or more."))
    if rank_from is not None and rank_to is not None and rank_to < rank_from:
        raise SetupError(N_("The last rank (%(to)s) cannot come before the first rank "
                            "(%(first)s)."), to=rank_to, first=rank_from)
    top_percent = values.get("top_percent")
    if top_percent is not None and not (0 < top_percent <= HUNDRED):
        raise SetupError(N_("The top percentage must be above 0 and at most 100."))
    if rank_from is None and top_percent is None and values.get("min_total") is None:
        raise SetupError(N_("Say whom the rule is for: a rank range, a top percentage or a "
                            "minimum total."))
    for name, message in (
        ("min_total", N_("The minimum total must be between 0 and 100.")),
        ("min_theory_score", N_("The minimum theory score must be between 0 and 100.")),
        ("min_practical_score", N_("The minimum practical score must be between 0 and 100.")),
        ("min_module_score", N_("The minimum module score must be between 0 and 100.")),
    ):
        value = values.get(name)
        if value is not None and not (0 <= value <= HUNDRED):
            raise SetupError(message)
    for name in ("max_age_male", "max_age_female"):
        value = values.get(name)
        if value is not None and not 1 <= value <= 150:
            raise SetupError(N_("An age limit must be a whole number of years above 0."))
    for name in ("grant_grade", "cap_grade", "required_grade"):
        value = values.get(name)
        if value is not None and not (1 <= value <= 5):
            raise SetupError(N_("Grades run from 1 (the highest) to 5."))
    effect = values.get("effect")
    if effect not in set(RuleEffect):
        raise SetupError(N_("Choose what the rule does: grant a grade, or one level up."))
    grant, cap = values.get("grant_grade"), values.get("cap_grade")
    if effect == RuleEffect.GRANT and grant is None:
        raise SetupError(N_("A rule that grants a grade must say which grade."))
    if grant is not None and cap is not None and cap > grant:
        raise SetupError(N_("The highest grade a rule may lead to cannot be below the grade "
                            "it grants."))


def delete_rule(session: Session, rule: PromotionRule) -> None:
    event = rule.event
    event.promotion_rules.remove(rule)
    session.flush()
    _renumber(event)
    session.flush()


def move_rule(session: Session, rule: PromotionRule, up: bool) -> None:
    """Swap the rule with the one before (``up``) or after it.

    Order matters: for each contestant the first matching rule decides.
    Moving the first rule up or the last one down changes nothing.
    """
    rules = _renumber(rule.event)
    index = rules.index(rule)
    other = index - 1 if up else index + 1
    if 0 <= other < len(rules):
        rules[index].position, rules[other].position = other, index
        rule.event.promotion_rules.sort(key=lambda r: r.position)
    session.flush()


def _renumber(event: Event) -> list[PromotionRule]:
    """Positions 0, 1, 2 … in the current order (gaps and ties removed)."""
    rules = sorted(event.promotion_rules, key=lambda r: (r.position, r.id or 0))
    for position, rule in enumerate(rules):
        rule.position = position
    return rules


def _next_position(event: Event) -> int:
    return max((r.position for r in event.promotion_rules), default=-1) + 1


# --- Occupation catalogue -------------------------------------------------------------

def save_occupation(session: Session, occupation: Occupation | None, name: str,
                    code: str | None) -> Occupation:
    """Add an occupation to the catalogue, or change one; refused whole.

    Names are unique. A code is unique and in the national format of the
    occupational classification (国家职业分类大典, e.g. 4-10-01-05), or empty
    while it is unconfirmed.
    """
    name = (name or "").strip()
    code = (code or "").strip() or None
    if not name:
        raise SetupError(N_("The occupation needs a name."))
    if len(name) > 100:
        raise SetupError(N_("An occupation's name has at most 100 characters."))
    if code is not None and not OCCUPATION_CODE.match(code):
        raise SetupError(N_("Occupation code %(code)s is not in the national format, "
                            "for example 4-10-01-05."), code=code)
    own_id = occupation.id if occupation is not None else None
    clash = session.scalar(select(Occupation).where(Occupation.name == name,
                                                    Occupation.id != own_id if own_id else True))
    if clash:
        raise SetupError(N_("The catalogue already has an occupation called %(name)s."),
                         name=name)
    if code is not None:
        clash = session.scalar(select(Occupation).where(
            Occupation.code == code, Occupation.id != own_id if own_id else True))
        if clash:
            raise SetupError(N_("Occupation code %(code)s is already used by %(name)s."),
                             code=code, name=clash.name)
    if occupation is None:
        occupation = Occupation()
        session.add(occupation)
    occupation.name, occupation.code = name, code
    session.flush()
    return occupation
