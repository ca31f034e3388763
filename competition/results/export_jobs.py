"""Results exports made as jobs: the organizers' workbook and every entry's score report,
of an event or of a whole competition.

The workbook is the one ``exports.results_workbook`` makes (a competition's: every event's
sheets in one file, ``exports.competition_workbook``). The score reports are those
``exports.score_report_of`` makes one at a time, each on pages of its own, in one PDF:
division by division in the order of the results, event after event; ``JOBS_PDF_CHUNK``
reports are drawn to a document and joined to the file as they are made.
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from competition.dbtypes import utcnow
from competition.errors import N_, DomainError
from competition.events.models import Competition, Event
from competition.jobs.registry import register
from competition.jobs.runner import JobRun
from competition.results import exports
from competition.spreadsheet import XLSX_MIMETYPE

EVENT_RESULTS = "results.event"
COMPETITION_RESULTS = "results.competition"
EVENT_SCORE_REPORTS = "score_reports.event"
COMPETITION_SCORE_REPORTS = "score_reports.competition"
NO_RESULTS = N_("%(scope)s has no results to report yet.")


def register_jobs() -> None:
    register(EVENT_RESULTS, event_workbook, label=_l("Results workbook (.xlsx)"))
    register(COMPETITION_RESULTS, competition_workbook,
             label=_l("Results workbook of the whole competition (.xlsx)"))
    register(EVENT_SCORE_REPORTS, event_score_reports, label=_l("Score reports"))
    register(COMPETITION_SCORE_REPORTS, competition_score_reports,
             label=_l("Score reports of the whole competition"))


def events_of(run: JobRun, competition_id: int) -> list[Event]:
    return list(run.session.scalars(select(Event).where(Event.competition_id == competition_id)
                                    .order_by(Event.position, Event.id)))


def event_workbook(run: JobRun) -> None:
    """The event's workbook (published divisions as published, the others' live draft)."""
    event = run.session.get(Event, run.params["event_id"])
    run.set_total(1)
    data = exports.results_workbook(exports.event_standings(run.session, event))
    run.advance()
    run.output(f"{event.competition.name}-{event.name}-{_('Results')}.xlsx",
               XLSX_MIMETYPE).write(data)


def competition_workbook(run: JobRun) -> None:
    """Every event's workbook sheets in one file, counted event by event."""
    competition = run.session.get(Competition, run.params["competition_id"])
    events = events_of(run, competition.id)
    run.set_total(len(events))

    def standings():
        for event in events:
            yield exports.event_standings(run.session, event)
            run.advance()

    data = exports.competition_workbook(competition.name, standings())
    run.output(f"{competition.name}-{_('Results')}.xlsx", XLSX_MIMETYPE).write(data)


def event_score_reports(run: JobRun) -> None:
    event = run.session.get(Event, run.params["event_id"])
    reports = exports.score_reports_of(run.session, event, utcnow())
    if not reports:
        raise DomainError(NO_RESULTS, scope=event.name)
    _reports_pdf(run, reports, f"{event.name}-{_('Score report')}",
                 f"{event.name} · {_('Score report')}")


def competition_score_reports(run: JobRun) -> None:
    competition = run.session.get(Competition, run.params["competition_id"])
    printed_at = utcnow()
    reports = [report for event in events_of(run, competition.id)
               for report in exports.score_reports_of(run.session, event, printed_at)]
    if not reports:
        raise DomainError(NO_RESULTS, scope=competition.name)
    _reports_pdf(run, reports, f"{competition.name}-{_('Score report')}",
                 f"{competition.name} · {_('Score report')}")


def _reports_pdf(run: JobRun, reports: list[exports.ScoreReport], name: str,
                 title: str) -> None:
    run.set_total(len(reports))

    def chunks():
        for chunk in run.in_chunks(reports):
            made = exports.score_reports_pdf(chunk, title=title)
            run.advance(len(chunk))
            yield made

    run.write_pdf(f"{name}.pdf", chunks(), title=title)
