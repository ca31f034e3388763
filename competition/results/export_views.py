"""Results exports: organizers' .xlsx, the public-notice PDF, score reports.

Who may open what:

- the workbook, with full ID numbers and phones, and every entry's score report in one
  PDF, of an event or the whole competition, made by a job (``export_jobs``): organizers
  of the competition;
- the public-notice list (公示名单): anyone, once the division is published;
- a score report (成绩单) by entry id: organizers and the event's chief judge;
- one's own score report by the private token: the contestant, once published.
"""

import io
import re

from flask import abort, redirect, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from competition.dbtypes import utcnow
from competition.entries.models import Entry
from competition.events.access import (
    competition_for_organizer,
    event_for_organizer,
    organizes,
)
from competition.events.models import Division, Event, PanelRole
from competition.extensions import db
from competition.jobs.queue import start_job
from competition.judging.scoring import panel_role
from competition.results import export_jobs, exports
from competition.results.publishing import publication_of
from competition.results.views import bp


@bp.post("/events/<int:event_id>/results/export")
@login_required
def export_results(event_id: int):
    """Every division's full results for the organizers, as a job: published where
    published, the live draft elsewhere (its sheet named “…（草稿）”)."""
    event = event_for_organizer(event_id)
    job = start_job(export_jobs.EVENT_RESULTS, event.competition_id, {"event_id": event.id},
                    scope=event.name)
    return redirect(url_for("jobs.job", job_id=job.id))


@bp.post("/competitions/<int:competition_id>/results/export")
@login_required
def export_competition_results(competition_id: int):
    """Every event's full results in one workbook, as a job."""
    competition = competition_for_organizer(competition_id)
    job = start_job(export_jobs.COMPETITION_RESULTS, competition.id,
                    {"competition_id": competition.id}, scope=competition.name)
    return redirect(url_for("jobs.job", job_id=job.id))


@bp.post("/events/<int:event_id>/score-reports/print")
@login_required
def print_score_reports(event_id: int):
    """Every entry's score report of the event in one PDF, as a job (drafts marked so
    before publication)."""
    event = event_for_organizer(event_id)
    job = start_job(export_jobs.EVENT_SCORE_REPORTS, event.competition_id,
                    {"event_id": event.id}, scope=event.name)
    return redirect(url_for("jobs.job", job_id=job.id))


@bp.post("/competitions/<int:competition_id>/score-reports/print")
@login_required
def print_competition_score_reports(competition_id: int):
    """Every entry's score report of the competition in one PDF, as a job."""
    competition = competition_for_organizer(competition_id)
    job = start_job(export_jobs.COMPETITION_SCORE_REPORTS, competition.id,
                    {"competition_id": competition.id}, scope=competition.name)
    return redirect(url_for("jobs.job", job_id=job.id))



@bp.get("/divisions/<int:division_id>/notice.pdf")
def notice_pdf(division_id: int):
    """The public-notice list of a published division (404 before publication)."""
    division = db.get_or_404(Division, division_id)
    published = publication_of(db.session, division.id)
    if published is None:
        abort(404)
    notice = exports.notice_of(db.session, division, published)
    data = exports.notice_pdf(notice)
    filename = _("%(event)s · %(division)s — public notice of results", event=notice.event,
                 division=notice.division) + ".pdf"
    response = _download(data, filename, "application/pdf")
    # Public, but refreshed after an accepted appeal: always ask for the current one.
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/entries/<int:entry_id>/score-report.pdf")
@login_required
def score_report(entry_id: int):
    """An entry's score report, for the organizers and the event's chief judge; a draft
    (marked so) before the division is published."""
    entry = _entry(select(Entry).where(Entry.id == entry_id))
    event = entry.event
    if not (organizes(current_user, event.competition_id)
            or panel_role(db.session, current_user, event.id) == PanelRole.CHIEF):
        abort(403)
    return _report_response(entry)


@bp.get("/r/<token>/score-report.pdf")
def my_score_report(token: str):
    """The contestant's own score report by their private link, once published."""
    # The lookup of ``entries.access.entry_by_token``: the token is the only key.
    if not 20 <= len(token) <= 64:
        abort(404)
    entry = _entry(select(Entry).where(Entry.token == token))
    if publication_of(db.session, entry.division_id) is None:
        abort(404)
    return _report_response(entry)


def _entry(query) -> Entry:
    entry = db.session.scalar(query.options(
        joinedload(Entry.contestant), joinedload(Entry.division),
        selectinload(Entry.event).selectinload(Event.competition),
        selectinload(Entry.event).selectinload(Event.modules)))
    if entry is None:
        abort(404)
    return entry


def _report_response(entry: Entry):
    report = exports.score_report_of(db.session, entry, utcnow())
    if report is None:  # not an approved entry: it has no result
        abort(404)
    data = exports.score_report_pdf(report)
    name = entry.ticket_number or entry.code or str(entry.id)
    return _download(data, f"{_('Score report')}-{name}.pdf", "application/pdf")


def _download(data: bytes, filename: str, mimetype: str, *, as_attachment: bool = False):
    filename = re.sub(r'[\\/:*?"<>|\r\n]+', "_", filename)  # safe on every file system
    response = send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=as_attachment,
                         download_name=filename, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response
