"""Pages anyone may open: a contestant's private page by its secret link.

This package reads every stage and no stage reads it.
"""

import hashlib
from collections.abc import Callable
from pathlib import Path

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import format_datetime, get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from competition.entries.access import entry_by_token, plausible_token
from competition.entries.idcard import mask_id_number, mask_phone
from competition.errors import DomainError
from competition.events.models import Competition, Division, Event
from competition.extensions import cache, db
from competition.grades.promotions import kept_reasons, promotion_of
from competition.public.state import contestant_page_state
from competition.results import published, publishing
from competition.results.exports import correction_lines, seal_lines
from competition.results.forms import AppealForm
from competition.results.models import Publication
from competition.web import flash_domain_error

bp = Blueprint("public", __name__)


@bp.get("/r/<token>")
def contestant_page(token: str):
    """选手本人页面: status and ticket; once published, scores, rank, award and appeals.
    The page is the same for everyone who has the link, so it is kept in the shared
    cache by what it shows (``state.contestant_page_state``)."""
    if not plausible_token(token):
        abort(404)
    shown = contestant_page_state(db.session, token)
    if shown is None:
        abort(404)
    return shared_page(("contestant", shown.entry_id, shown.key),
                       lambda: _render_contestant_page(token), timeout=CONTESTANT_PAGE_TTL)


# A contestant looks at their page a few times around publication; an entry of the cache
# nobody asks for again is dropped after an hour.
CONTESTANT_PAGE_TTL = 3600


def _render_contestant_page(token: str) -> str:
    entry = entry_by_token(token)
    person = entry.contestant
    own = published.contestant_result(db.session, entry)
    promotion = promotion_of(db.session, entry.id) if own.final else None
    return render_template(
        "public/contestant.html", entry=entry, person=person, event=entry.event,
        ranked=own.ranked, under_review=own.under_review,
        competition=entry.event.competition, publication=own.publication,
        result=own.result, appeals=own.appeals, may_appeal=own.window.open,
        appeal_closes_at=own.window.closes_at, by_group=own.decided_by_group,
        promotion=promotion, certificate=promotion.certificate if promotion else None,
        promotion_reasons=kept_reasons(db.session, entry.id) if own.final else [],
        masked_id=mask_id_number(person.id_number), masked_phone=mask_phone(person.phone),
    )


@bp.route("/r/<token>/appeal", methods=["GET", "POST"])
def file_appeal(token: str):
    """申诉: written, from the contestant's own page, within the window. The form has its
    own page, so the contestant's page carries no per-visitor token."""
    entry = entry_by_token(token)
    window = publishing.appeal_window(publishing.publication_of(db.session, entry.division_id))
    if not window.open:
        # Said on the page (a bookmarked link), and nothing is filed.
        closed = (_("The appeal window closed at %(deadline)s.",
                    deadline=format_datetime(window.closes_at, "short"))
                  if window.closes_at is not None
                  else _("Appeals can be filed only while the results are on public notice."))
        if request.method == "POST":
            flash(closed, "error")
            return redirect(url_for("public.contestant_page", token=token))
        return render_template("public/appeal.html", entry=entry, person=entry.contestant,
                               event=entry.event, competition=entry.event.competition,
                               form=None, closed=closed)
    form = AppealForm()
    if form.validate_on_submit():
        try:
            publishing.file_appeal(db.session, entry, form.text.data)
        except DomainError as error:
            flash_domain_error(error)
        else:
            if publishing.decided_by_group(db.session, entry.event):
                flash(_("Your appeal was received. The chief judge's opinion and the decision "
                        "of the supervision and arbitration group will appear on this page."),
                      "success")
            else:
                flash(_("Your appeal was received. The chief judge's decision will appear on "
                        "this page."), "success")
            return redirect(url_for("public.contestant_page", token=token))
    return render_template("public/appeal.html", entry=entry, person=entry.contestant,
                           event=entry.event, competition=entry.event.competition,
                           form=form, appeal_closes_at=window.closes_at)


@bp.get("/results/divisions/<int:division_id>")
def division_results(division_id: int):
    """Published results of one division: rank, name as the organizer chose, work unit,
    total and award. Never an ID number or a phone."""
    fingerprint = published.division_fingerprint(db.session, division_id)
    if fingerprint is None:
        abort(404)

    def render() -> str:
        shown = published.published_division(db.session, division_id)
        return render_template("public/division_results.html", division=shown.division,
                               event=shown.event, competition=shown.competition,
                               publication=shown.publication, lines=shown.lines,
                               seals=seal_lines(db.session, division_id),
                               corrections=correction_lines(db.session, division_id))

    return shared_page(("division", division_id, fingerprint), render)


def shared_page(what: tuple, render: Callable[[], str], timeout: int | None = None) -> str:
    """The page as every anonymous visitor sees it, rendered once per ``what`` (what it
    shows, as it is now) and language and kept in the cache shared by every worker and
    server. A signed-in visitor (whose name the page carries), a visitor with a message
    waiting, or a request with a query string gets it rendered afresh."""
    if current_user.is_authenticated or request.query_string or session.get("_flashes"):
        return render()
    digest = hashlib.sha256(repr((what, _TEMPLATES_VERSION)).encode()).hexdigest()
    key = f"page:{what[0]}:{what[1]}:{get_locale()}:{digest}"
    page = cache.get(key)
    if page is None:
        page = render()
        cache.set(key, page, timeout=timeout)
    return page


def _templates_version() -> str:
    """What the pages are rendered with — templates and translations — so a new release
    never serves a page the old one rendered."""
    root = Path(__file__).resolve().parents[2]
    digest = hashlib.sha256()
    for path in sorted([*root.glob("templates/**/*.html"),
                        *root.glob("translations/*/LC_MESSAGES/messages.po")]):
        digest.update(path.read_bytes())
    return digest.hexdigest()


_TEMPLATES_VERSION = _templates_version()


@bp.get("/results")
def results_index():
    """公示与结果: every division whose results are published, newest first."""
    rows = db.session.execute(
        select(Publication, Division, Event, Competition)
        .join(Division, Division.id == Publication.division_id)
        .join(Event, Event.id == Division.event_id)
        .join(Competition, Competition.id == Event.competition_id)
        .order_by(Publication.published_at.desc())).all()
    return render_template("public/results_index.html", rows=rows)
