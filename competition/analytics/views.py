"""The judge analytics pages (裁判评分分析): the page beside the chief judge's console and
its printable PDF report.

Who may open them: the event's chief judge, and the competition's organizers (and
admins) and supervision and arbitration group (监督仲裁组), as for the console; anyone
else gets 403 (``events.access.event_for_reader_or_chief``). They show figures once the
scores are locked: before, the marks may still change, and figures about a judge's
severity while scoring goes on would only press the judges. Entries appear by their
anonymous codes only, as on the console.
"""

from __future__ import annotations

import io
import re

from flask import Blueprint, render_template, send_file
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from competition.analytics import report
from competition.analytics.agreement import icc_band
from competition.analytics.judges import (
    HEAT_STEPS,
    METHOD_NOTES,
    analyse,
    fixed,
    heat_class,
    percent,
    plain,
    signed,
)
from competition.dbtypes import utcnow
from competition.errors import N_, Conflict, message_text
from competition.events.access import event_for_reader_or_chief, reads
from competition.events.models import Event
from competition.extensions import db

bp = Blueprint("analytics", __name__)

ICC_BANDS = {
    "poor": _l("poor agreement"),
    "moderate": _l("moderate agreement"),
    "good": _l("good agreement"),
    "excellent": _l("excellent agreement"),
}


class NotLocked(Conflict):
    """The analytics wait for the lock of the scores."""


def method_notes() -> list[str]:
    """How the analysis is computed, in the reader's language."""
    return [message_text(message, **params) for message, params in METHOD_NOTES]


def icc_words(analysis) -> str:
    return str(ICC_BANDS[icc_band(analysis.icc.value)]) if analysis.icc else ""


@bp.get("/judge/events/<int:event_id>/analytics")
@login_required
def judge_analytics(event_id: int):
    """Severity, consistency and outliers of each judge, the panel's agreement, a heat map
    of judges × criteria and the flags to act on."""
    event = event_for_reader_or_chief(event_id)
    analysis = analyse(db.session, event) if event.scores_locked_at is not None else None
    return render_template(
        "analytics/judges.html", event=event, analysis=analysis, notes=method_notes(),
        organizer_view=reads(current_user, event.competition_id),
        icc_words=icc_words(analysis) if analysis else "", fixed=fixed, signed=signed,
        percent=percent, plain=plain, heat_class=heat_class,
        heat_steps=[round(step * 100, 1) for step in HEAT_STEPS])


@bp.get("/judge/events/<int:event_id>/analytics.pdf")
@login_required
def judge_analytics_pdf(event_id: int):
    """The judge analytics as a printable A4 report."""
    event: Event = event_for_reader_or_chief(event_id)
    if event.scores_locked_at is None:
        raise NotLocked(N_("The judge analytics are shown once the chief judge has locked "
                           "the scores."))
    analysis = analyse(db.session, event)
    data = report.analytics_pdf(analysis, notes=method_notes(), icc_words=icc_words(analysis),
                                printed_at=format_datetime(utcnow(), "yyyy-MM-dd HH:mm"))
    name = re.sub(r'[\\/:*?"<>|\r\n]+', "_", f"{_('Judge analytics')}-{event.name}.pdf")
    response = send_file(io.BytesIO(data), mimetype="application/pdf", download_name=name,
                         max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response
