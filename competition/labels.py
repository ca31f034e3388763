"""Words shown to users for the codes stored in the database, in the user's language."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

LABELS: dict[str, dict[str, object]] = {
    "competition_status": {
        "draft": _l("Draft"),
        "registration": _l("Registration open"),
        "running": _l("Running"),
        "scoring_closed": _l("Scoring closed"),
        "published": _l("Results published"),
        "final": _l("Final"),
    },
    "competition_level": {
        "national": _l("National"),
        "provincial": _l("Provincial"),
        "city": _l("City"),
        "enterprise": _l("Enterprise"),
        "school": _l("School"),
    },
    "level_class": {1: _l("Class 1"), 2: _l("Class 2")},
    "division_kind": {
        "worker": _l("Workers"),
        "student": _l("Students"),
        "teacher": _l("Teachers"),
        "other": _l("Other"),
    },
    "module_kind": {"theory": _l("Theory"), "practical": _l("Practical")},
    "criterion_kind": {"measurement": _l("Measurement"), "judgement": _l("Judgement")},
    "entry_mode": {
        "points": _l("Points"),
        "pass_fail": _l("All or nothing"),
        "scale_0_3": _l("Scale 0–3"),
        "measured": _l("Measured value"),
    },
    "aggregation": {
        "mean": _l("Mean"),
        "trimmed_mean": _l("Trimmed mean"),
        "median": _l("Median"),
        "worldskills": _l("WorldSkills 0–3"),
    },
    "panel_role": {"judge": _l("Judge"), "chief": _l("Chief judge")},
    "name_display": {"masked": _l("Masked (张*明)"), "full": _l("In full")},
    "evaluator_type": {"S": _l("S — social evaluation organisation"), "Y": _l("Y — employer")},
    "tie_break": {
        "more_decimals": _l("Compare to more decimals"),
        "practical": _l("Higher practical score"),
        "theory": _l("Higher theory score"),
        "chief_judge": _l("Order decided by the chief judge"),
    },
    "sex": {"M": _l("Male"), "F": _l("Female")},
    "registration_status": {
        "pending": _l("Awaiting approval"),
        "approved": _l("Registered"),
        "rejected": _l("Rejected"),
    },
    "attendance": {
        "expected": _l("Not checked in"),
        "present": _l("Checked in"),
        "absent": _l("Absent"),
        "withdrawn": _l("Withdrawn"),
    },
    "award": {"first": _l("First prize"), "second": _l("Second prize"),
              "third": _l("Third prize")},
    # The decision words a contestant reads: 受理 / 驳回.
    "appeal_status": {"pending": _l("Waiting for a decision"),
                      "accepted": _l("Appeal accepted"), "rejected": _l("Appeal rejected")},
    "sheet_status": {"draft": _l("Draft"), "submitted": _l("Submitted")},
    "role": {"admin": _l("Administrator"), "organizer": _l("Organizer"), "judge": _l("Judge"),
             "supervisor": _l("Supervisor"), "bureau": _l("Bureau")},
}


def label(value: object, kind: str) -> str:
    """The user's word for ``value`` of a kind of code; the code itself if unknown."""
    if value is None:
        return ""
    return str(LABELS.get(kind, {}).get(value, value))
