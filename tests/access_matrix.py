"""Who may open what, as a table: every route of the app × every kind of visitor, and the
world the table is checked on. Used by tests/test_permissions.py and tests/test_csrf.py.

The routes are read from ``app.url_map``, so a route added without a line in
``EXPECTED`` fails the test; only the routes marked ``PUBLIC`` (or reached with a
contestant's private link) answer visitors who are not signed in.

The world is the demo taken through every stage (``seed_demo`` + ``advance_demo``:
茶艺师 final with certificates, 养老护理员 职工组 on public notice, 车工 being
scored), plus what the demo lacks — an appeal, a penalty, a paper sheet, a lot
draw, a declared conflict, a sign-in card — and a second competition whose
organizer is the "other organizer". Each competition has a supervision and
arbitration group (监督仲裁组) of one supervisor. The ``world`` fixture (conftest.py)
builds it once for a test module.

The visitors, relative to the event a URL belongs to (茶艺师 unless said otherwise):
anonymous; a contestant holding their private link (otherwise anonymous); a judge
of another event; a judge of the event; its chief judge; the organizer of the
other competition; the demo's organizer; an admin; the demo's supervisor, who reads
their competition and writes only their own acts; the other competition's supervisor; and
a bureau account (人社局), which reads the statistics of every competition and writes
nothing.

Outcomes: ``OK`` (2xx, or a redirect to a page of the app that is not the sign-in
page), ``LOGIN`` (a redirect to /login, or 401 from the API), ``FORBIDDEN`` (403),
``NOT_FOUND`` (404), ``REFUSED`` (sent to another page with an error message). Every
GET is requested by every visitor. A state-changing request (POST, PUT, PATCH, DELETE)
is sent by every visitor expected to be refused, and the test checks the database is
unchanged afterwards; allowed writes are tested in each part's own tests.
``SHOW_PERMISSIONS=1 pytest -s`` prints what each visitor got, to write the line of a
new route.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import select

from competition.accounts import signin
from competition.auth.models import User
from competition.demo import DEMO_COMPETITION_NAME
from competition.entries.models import Entry, EventSession, LotDraw
from competition.events.models import (
    Competition,
    CompetitionStatus,
    Division,
    Event,
    PanelMember,
    PromotionRule,
)
from competition.experts import pool as expert_service
from competition.extensions import db
from competition.grades.models import Certificate
from competition.jobs.models import Job, JobFilePart, JobStatus
from competition.judging import paper_sheets
from competition.judging import scoring as judging
from competition.judging.models import ScoreSheet
from competition.judging.scoring import JudgingError
from competition.results import publishing
from tests import builders

OK, LOGIN, FORBIDDEN, NOT_FOUND = "ok", "login", "403", "404"
# Sent back to another page with an error message (e.g. a judge opening a sheet that is
# not theirs to score is sent to their list of sheets, told why).
REFUSED = "refused"
VISITORS = ("anonymous", "contestant", "other_judge", "judge", "chief", "other_organizer",
            "organizer", "admin", "supervisor", "other_supervisor", "bureau")
# Visitors whose expected outcomes are another visitor's column. ``outside_card``: a judge of
# 茶艺师 signed in with a card the other competition issued (their expert also sits on the
# other competition's panel): the card acts there only, so here they are like a judge of
# another event.
LIKE = {"outside_card": "other_judge"}
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


def who(anonymous, contestant, other_judge, judge, chief, other_organizer, organizer, admin,
        supervisor, other_supervisor, bureau):
    """``supervisor``: a member of the demo's supervision and arbitration group (监督仲裁组);
    ``other_supervisor``: a supervisor of the other competition; ``bureau``: a bureau
    account (人社局), which reads the statistics of every competition and nothing else."""
    return (anonymous, contestant, other_judge, judge, chief, other_organizer, organizer,
            admin, supervisor, other_supervisor, bureau)


# --- Who may use a route, by kind -------------------------------------------------------

PUBLIC = who(OK, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK)
# Public, but a write a supervisor or a bureau account never makes
# (``auth.permissions.supervisor_guard``).
PUBLIC_NOT_SUPERVISORS = who(OK, OK, OK, OK, OK, OK, OK, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN)
# Reached through a contestant's private link /r/<token>: a visitor without it (every
# visitor but the contestant uses a made-up link) finds nothing there, signed in or not.
PRIVATE_LINK = who(NOT_FOUND, OK, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND,
                   NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND)
# A contestant's appeal, by their private link: a supervisor or a bureau account is refused
# before the link is even looked at.
PRIVATE_LINK_WRITE = who(NOT_FOUND, OK, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND,
                         NOT_FOUND, FORBIDDEN, FORBIDDEN, FORBIDDEN)
SIGNED_IN = who(LOGIN, LOGIN, OK, OK, OK, OK, OK, OK, OK, OK, OK)
ORGANIZERS = who(LOGIN, LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK, OK, FORBIDDEN,
                 FORBIDDEN, FORBIDDEN)
# What the organizers read and the competition's supervision and arbitration group reads
# too: the competition, its events, panels, entries (contacts masked), draws, results.
READERS = who(LOGIN, LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK, OK, OK,
              FORBIDDEN, FORBIDDEN)
ORGANIZERS_AND_CHIEF = who(LOGIN, LOGIN, FORBIDDEN, FORBIDDEN, OK, FORBIDDEN, OK, OK,
                           FORBIDDEN, FORBIDDEN, FORBIDDEN)
# The console, its audit log, appeals, live results: the supervisors read them too.
READERS_AND_CHIEF = who(LOGIN, LOGIN, FORBIDDEN, FORBIDDEN, OK, FORBIDDEN, OK, OK, OK,
                        FORBIDDEN, FORBIDDEN)
PANEL_AND_ORGANIZERS = who(LOGIN, LOGIN, FORBIDDEN, OK, OK, FORBIDDEN, OK, OK, FORBIDDEN,
                           FORBIDDEN, FORBIDDEN)
# Any organizer (of any competition) and admins: the expert pool, the occupation
# catalogue, a new competition.
ANY_ORGANIZER = who(LOGIN, LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK, OK, OK, FORBIDDEN,
                    FORBIDDEN, FORBIDDEN)
ADMINS = who(LOGIN, LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK,
             FORBIDDEN, FORBIDDEN, FORBIDDEN)
JUDGES = who(LOGIN, LOGIN, OK, OK, OK, FORBIDDEN, FORBIDDEN, OK, FORBIDDEN, FORBIDDEN,
             FORBIDDEN)
THE_JUDGE = who(LOGIN, LOGIN, FORBIDDEN, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN,
                FORBIDDEN, FORBIDDEN, FORBIDDEN)
THE_PANEL = who(LOGIN, LOGIN, FORBIDDEN, OK, OK, FORBIDDEN, FORBIDDEN, OK, FORBIDDEN,
                FORBIDDEN, FORBIDDEN)
THE_CHIEF = who(LOGIN, LOGIN, FORBIDDEN, FORBIDDEN, OK, FORBIDDEN, FORBIDDEN, OK, FORBIDDEN,
                FORBIDDEN, FORBIDDEN)

# The API answers 401 where a page would send the visitor to the sign-in page.
API_LOGIN = "401"

CHIEF_ONLY = who(LOGIN, LOGIN, FORBIDDEN, FORBIDDEN, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN,
                 FORBIDDEN, FORBIDDEN, FORBIDDEN)
# The demo's supervision and arbitration group alone: it decides the demo's appeals (after
# the chief judge's opinion) and countersigns its draws and locks.
THE_SUPERVISOR = who(LOGIN, LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN,
                     FORBIDDEN, OK, FORBIDDEN, FORBIDDEN)
# The judge's own sheet (an admin is no judge of the event either).
OWN_SHEET = who(LOGIN, LOGIN, FORBIDDEN, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN,
                FORBIDDEN, FORBIDDEN, FORBIDDEN)
# The bureau's statistics (人社局) across every competition: bureau accounts and admins.
BUREAU = who(LOGIN, LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK,
             FORBIDDEN, FORBIDDEN, OK)
# One competition's report (赛事总结报告, PDF): bureau accounts, admins and the
# competition's own organizers.
BUREAU_AND_ORGANIZERS = who(LOGIN, LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK, OK,
                            FORBIDDEN, FORBIDDEN, OK)
# Nobody: a made-up sign-in card, or a certificate holder's photo the demo does not have.
# A print run or export (a job): the organizer who asked for it and the other organizers of
# its competition (admins among them); anyone else finds no such job.
JOB = who(LOGIN, LOGIN, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND, OK, OK, NOT_FOUND,
          NOT_FOUND, NOT_FOUND)
NOBODY = who(NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND,
             NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND)


def _routes_of(pattern, *routes: str) -> dict:
    """``"GET POST /path"`` lines, each method with the same expected outcomes."""
    table = {}
    for line in routes:
        *methods, rule = line.split()
        for method in methods:
            table[(method, rule)] = pattern
    return table


EXPECTED: dict[tuple[str, str], tuple[str, ...]] = {
    **_routes_of(
        PUBLIC,
        "GET /healthz", "GET /static/<path:filename>", "GET /lang/<code>",
        "GET POST /login", "POST /logout",
        "GET /results", "GET /results/divisions/<int:division_id>",
        "GET /divisions/<int:division_id>/notice.pdf",
        "GET POST /v/<number>",
        "GET /competitions/<int:competition_id>/register",
        "GET /competitions/<int:competition_id>/register/done",
        "GET /api/v1/openapi.json", "GET /api/v1/certificates/<number>",
        "GET /api/v1/divisions/<int:division_id>/results",
        # The judge's app: its service worker and manifest hold nothing personal (a
        # browser fetches the manifest without cookies).
        "GET /judge-sw.js", "GET /judge/manifest.webmanifest",
    ),
    **_routes_of(PUBLIC_NOT_SUPERVISORS, "POST /competitions/<int:competition_id>/register"),
    **_routes_of(PRIVATE_LINK_WRITE, "POST /r/<token>/appeal"),
    **_routes_of(
        PRIVATE_LINK,
        "GET /r/<token>", "GET /r/<token>/appeal", "GET /r/<token>/certificate.pdf",
        "GET /r/<token>/score-report.pdf", "GET /api/v1/contestant/<token>/result",
    ),
    **_routes_of(
        NOBODY,
        "GET POST /s/<token>",
        # A certificate holder's photo, by the code of the certificate's QR code: public
        # like /v/<number>, but the demo's contestants have no photo on file
        # (tests/test_certificate_trust.py serves one).
        "GET /v/<number>/photo",
    ),
    **_routes_of(BUREAU, "GET /bureau", "GET /bureau/statistics.xlsx",
                 "GET /api/v1/bureau/statistics"),
    **_routes_of(BUREAU_AND_ORGANIZERS,
                 "GET /bureau/competitions/<int:competition_id>/report.pdf"),
    **_routes_of(JOB, "GET /jobs/<int:job_id>", "GET /jobs/<int:job_id>.json",
                 "GET /jobs/<int:job_id>/file"),
    **_routes_of(SIGNED_IN, "GET /", "GET /api/v1/occupations", "GET /jobs",
                 "GET POST /account/password"),
    **_routes_of(JUDGES, "GET /judge", "GET /judge/offline", "GET /api/v1/judge/assignments"),
    **_routes_of(
        OWN_SHEET,
        "GET /api/v1/judge/sheets", "GET /api/v1/judge/sheets/<int:sheet_id>",
        "POST /api/v1/judge/sheets/<int:sheet_id>/marks",
        "POST /api/v1/judge/sheets/<int:sheet_id>/submit",
    ),
    # Signed-in judges are sent back to their list, told why, when the sheet is not theirs
    # to score; organizers are no judges.
    ("GET", "/judge/entries/<int:entry_id>/modules/<int:module_id>"):
        who(LOGIN, LOGIN, REFUSED, OK, REFUSED, FORBIDDEN, FORBIDDEN, REFUSED, FORBIDDEN,
            FORBIDDEN, FORBIDDEN),
    **_routes_of(
        READERS_AND_CHIEF,
        "GET /judge/events/<int:event_id>/console",
        "GET /judge/events/<int:event_id>/console/audit",
        "GET /judge/events/<int:event_id>/console/data",
        "GET /judge/events/<int:event_id>/console/decode",
        "GET /judge/events/<int:event_id>/console/stream",
        "GET /judge/events/<int:event_id>/analytics",
        "GET /judge/events/<int:event_id>/analytics.pdf",
        "GET /events/<int:event_id>/appeals", "GET /appeals/<int:appeal_id>/decide",
        "GET /api/v1/events/<int:event_id>/appeals",
        "GET /api/v1/events/<int:event_id>/results",
        "GET /entries/<int:entry_id>/explanation",
        "GET /events/<int:event_id>/results",
        "GET /events/<int:event_id>/results/stream",
        "GET /events/<int:event_id>/ties",
    ),
    **_routes_of(
        ORGANIZERS_AND_CHIEF,
        "GET /entries/<int:entry_id>/score-report.pdf",
        "GET /events/<int:event_id>/screen", "GET /events/<int:event_id>/screen.json",
        "GET /events/<int:event_id>/screen/stream",
        "POST /events/<int:event_id>/screen/freeze",
        "POST /events/<int:event_id>/screen/unfreeze",
        "GET POST /events/<int:event_id>/paper", "GET /events/<int:event_id>/paper-sheets.pdf",
        "POST /paper-sheets/<int:sheet_id>/confirm", "POST /paper-sheets/<int:sheet_id>/correct",
        "POST /paper-sheets/<int:sheet_id>/discard",
    ),
    # A paper sheet is confirmed by someone other than whoever typed it in (the organizer
    # here), and corrected only by the typist.
    ("GET", "/paper-sheets/<int:sheet_id>/confirm"):
        who(LOGIN, LOGIN, FORBIDDEN, FORBIDDEN, OK, FORBIDDEN, REFUSED, OK, FORBIDDEN,
            FORBIDDEN, FORBIDDEN),
    ("GET", "/paper-sheets/<int:sheet_id>/correct"):
        who(LOGIN, LOGIN, FORBIDDEN, FORBIDDEN, REFUSED, FORBIDDEN, OK, REFUSED, FORBIDDEN,
            FORBIDDEN, FORBIDDEN),
    # The demo has a supervision and arbitration group: it decides the appeals, after the
    # chief judge's written opinion; only the chief judge reopens sheets.
    **_routes_of(
        THE_SUPERVISOR,
        "POST /appeals/<int:appeal_id>/decide", "POST /api/v1/appeals/<int:appeal_id>/decision",
        "POST /draws/<int:draw_id>/countersign",
        "POST /events/<int:event_id>/countersign-lock",
    ),
    **_routes_of(
        CHIEF_ONLY,
        "POST /appeals/<int:appeal_id>/opinion", "POST /api/v1/appeals/<int:appeal_id>/opinion",
        "POST /appeals/<int:appeal_id>/reopen",
        "POST /divisions/<int:division_id>/awards/acknowledge",
        "POST /api/v1/divisions/<int:division_id>/awards/acknowledgement",
        "POST /events/<int:event_id>/ties",
        "POST /judge/events/<int:event_id>/console/lock",
        "POST /judge/events/<int:event_id>/console/penalties",
        "POST /judge/events/<int:event_id>/console/penalties/<int:penalty_id>/withdraw",
        "GET POST /judge/events/<int:event_id>/console/sheets/<int:sheet_id>/reopen",
    ),
    **_routes_of(
        ANY_ORGANIZER,
        "GET POST /competitions/new", "GET POST /competitions/import",
        "GET /events/scheme-template.xlsx",
        "GET /experts", "GET POST /experts/new", "GET /occupations",
        "GET /experts/template.xlsx", "GET POST /experts/import", "GET /experts/export.xlsx",
        "GET POST /api/v1/competitions", "POST /api/v1/competitions/import",
        "GET POST /api/v1/experts",
    ),
    # The occupation catalogue and the demo's experts (added by no organizer) are kept by
    # admins; so are accounts.
    **_routes_of(
        ADMINS,
        "GET POST /occupations/new", "GET POST /occupations/<int:occupation_id>/edit",
        "GET POST /experts/<int:expert_id>/edit",
        "GET /admin/users", "GET POST /admin/users/new", "GET POST /admin/users/<int:user_id>",
        "POST /admin/users/<int:user_id>/active", "POST /admin/users/<int:user_id>/reset",
    ),
    **_routes_of(
        ORGANIZERS,
        # Competition
        "GET POST /competitions/<int:competition_id>/edit",
        "GET POST /competitions/<int:competition_id>/clone",
        "POST /competitions/<int:competition_id>/status",
        "GET /competitions/<int:competition_id>/definition.json",
        "GET POST /competitions/<int:competition_id>/events/new",
        "GET /competitions/<int:competition_id>/contestants-template.xlsx",
        "GET /competitions/<int:competition_id>/pending",
        "GET /competitions/<int:competition_id>/signin-cards",
        "POST /competitions/<int:competition_id>/signin-cards/issue",
        "POST /competitions/<int:competition_id>/signin-cards/<int:token_id>/revoke",
        "POST /competitions/<int:competition_id>/judge-accounts",
        "POST /competitions/<int:competition_id>/judge-accounts/<int:user_id>/reset",
        "POST /competitions/<int:competition_id>/judge-accounts/<int:user_id>/active",
        "POST /competitions/<int:competition_id>/judge-accounts/link",
        "GET /competitions/<int:competition_id>/standardised",
        "GET /competitions/<int:competition_id>/certificates",
        "GET /competitions/<int:competition_id>/certificates/registry.xlsx",
        "GET POST /competitions/<int:competition_id>/supervisors",
        "POST /competitions/<int:competition_id>/supervisors/<int:user_id>/active",
        "POST /competitions/<int:competition_id>/supervisors/<int:user_id>/reset",
        # Event set-up
        "GET POST /events/<int:event_id>/edit",
        "GET /events/<int:event_id>/scheme", "GET /events/<int:event_id>/scheme.xlsx",
        "GET POST /events/<int:event_id>/scheme/import", "POST /events/<int:event_id>/modules",
        "GET POST /modules/<int:module_id>/edit", "POST /modules/<int:module_id>/delete",
        "GET POST /modules/<int:module_id>/criteria/new",
        "GET POST /criteria/<int:criterion_id>/edit", "POST /criteria/<int:criterion_id>/delete",
        "GET /events/<int:event_id>/rules", "GET POST /events/<int:event_id>/rules/new",
        "POST /events/<int:event_id>/rules/preset",
        "GET POST /events/<int:event_id>/rules/<int:rule_id>/edit",
        "POST /events/<int:event_id>/rules/<int:rule_id>/move",
        "POST /events/<int:event_id>/rules/<int:rule_id>/delete",
        "POST /events/<int:event_id>/panel/draw",
        "POST /events/<int:event_id>/panel/members",
        "POST /events/<int:event_id>/panel/members/<int:member_id>/chief",
        "POST /events/<int:event_id>/panel/members/<int:member_id>/remove",
        "POST /events/<int:event_id>/conflicts",
        "POST /events/<int:event_id>/conflicts/<int:conflict_id>/remove",
        # Entries
        "GET POST /events/<int:event_id>/entries/new",
        "GET POST /events/<int:event_id>/import", "POST /events/<int:event_id>/import/confirm",
        "POST /entries/<int:entry_id>/review", "POST /events/<int:event_id>/draw",
        "POST /events/<int:event_id>/draw/addition", "POST /events/<int:event_id>/sessions",
        "GET POST /event-sessions/<int:session_id>/edit",
        "POST /event-sessions/<int:session_id>/delete",
        "POST /api/v1/events/<int:event_id>/sessions",
        "PATCH DELETE /api/v1/event-sessions/<int:session_id>",
        "POST /api/v1/events/<int:event_id>/draw/additions",
        "GET /entries/<int:entry_id>/ticket.pdf", "POST /events/<int:event_id>/tickets/print",
        "POST /competitions/<int:competition_id>/tickets/print",
        "GET /events/<int:event_id>/checkin", "GET /events/<int:event_id>/checkin/counts",
        "GET /events/<int:event_id>/checkin/lookup", "POST /entries/<int:entry_id>/attendance",
        "POST /entries/<int:entry_id>/correct", "POST /entries/<int:entry_id>/withdraw",
        "POST /entries/<int:entry_id>/substitute",
        # Results and certificates
        "POST /events/<int:event_id>/results/export",
        "POST /competitions/<int:competition_id>/results/export",
        "POST /events/<int:event_id>/score-reports/print",
        "POST /competitions/<int:competition_id>/score-reports/print",
        "GET POST /events/<int:event_id>/theory-scores",
        "GET /events/<int:event_id>/theory-scores/template.xlsx",
        "POST /divisions/<int:division_id>/publish", "POST /divisions/<int:division_id>/finalize",
        "GET /divisions/<int:division_id>/promotions",
        "GET POST /entries/<int:entry_id>/grade-check",
        "GET /certificates/<int:certificate_id>.pdf",
        "POST /certificates/<int:certificate_id>/revoke",
        "POST /divisions/<int:division_id>/certificates/print",
        "POST /competitions/<int:competition_id>/certificates/print",
        # The API
        "PATCH /api/v1/competitions/<int:competition_id>",
        "POST /api/v1/competitions/<int:competition_id>/events",
        "GET /api/v1/competitions/<int:competition_id>/definition",
        "POST /api/v1/competitions/<int:competition_id>/status",
        "POST /api/v1/competitions/<int:competition_id>/contestants/import",
        "GET /api/v1/competitions/<int:competition_id>/certificates",
        "PATCH /api/v1/events/<int:event_id>", "PUT /api/v1/events/<int:event_id>/scheme",
        "POST /api/v1/events/<int:event_id>/entries",
        "POST /api/v1/events/<int:event_id>/panel",
        "POST /api/v1/events/<int:event_id>/panel/draw",
        "DELETE /api/v1/panel-members/<int:member_id>",
        "GET POST /api/v1/events/<int:event_id>/promotion-rules",
        "POST /api/v1/events/<int:event_id>/promotion-rules/preset",
        "POST /api/v1/entries/<int:entry_id>/attendance",
        "POST /api/v1/entries/<int:entry_id>/review",
        "POST /api/v1/entries/<int:entry_id>/correction",
        "POST /api/v1/entries/<int:entry_id>/withdrawal",
        "POST /api/v1/entries/<int:entry_id>/substitute",
        "POST /api/v1/divisions/<int:division_id>/publish",
        "POST /api/v1/divisions/<int:division_id>/finalize",
        "GET /api/v1/divisions/<int:division_id>/promotions",
        "GET /api/v1/divisions/<int:division_id>/promotion-outcomes",
    ),
    # What the organizers read and the competition's supervision and arbitration group
    # reads too (contestants' ID numbers and phones masked); the other competition's
    # supervisor reads none of it.
    **_routes_of(
        READERS,
        "GET /competitions/<int:competition_id>", "GET /events/<int:event_id>",
        "GET /events/<int:event_id>/panel", "GET /events/<int:event_id>/entries",
        "GET /entries/<int:entry_id>", "GET /events/<int:event_id>/draw",
        "GET /draws/<int:draw_id>",
        "GET /events/<int:event_id>/sessions",
        "GET /competitions/<int:competition_id>/timetable",
        "GET /competitions/<int:competition_id>/timetable.pdf",
        "GET /api/v1/events/<int:event_id>/sessions",
        "GET /api/v1/competitions/<int:competition_id>/timetable",
        "GET /api/v1/competitions/<int:competition_id>",
        "GET /api/v1/competitions/<int:competition_id>/events",
        "GET /api/v1/events/<int:event_id>", "GET /api/v1/events/<int:event_id>/scheme",
        "GET /api/v1/events/<int:event_id>/entries", "GET /api/v1/events/<int:event_id>/panel",
    ),
}

# Which context (event) a route's URL is filled from, when not 茶艺师.
CONTEXT = {
    "/appeals/<int:appeal_id>/decide": "care",
    "/appeals/<int:appeal_id>/reopen": "care",
    "/api/v1/appeals/<int:appeal_id>/decision": "care",
    "/appeals/<int:appeal_id>/opinion": "care",
    "/api/v1/appeals/<int:appeal_id>/opinion": "care",
    "/judge/events/<int:event_id>/console/penalties/<int:penalty_id>/withdraw": "lathe",
    "/paper-sheets/<int:sheet_id>/confirm": "lathe",
    "/paper-sheets/<int:sheet_id>/correct": "lathe",
    "/paper-sheets/<int:sheet_id>/discard": "lathe",
    "/api/v1/judge/sheets": "lathe",
    "/judge/entries/<int:entry_id>/modules/<int:module_id>": "lathe",
    "/competitions/<int:competition_id>/register": "registration",
    "/competitions/<int:competition_id>/register/done": "registration",
}

# What a refused visitor sends to an API write: a body no write accepts and no
# Idempotency-Key. Every write checks who is asking before it reads the request, so the
# refusal is the permission's (401/403), never 422 for the body.
MALFORMED_BODY = ["not", "an", "object"]

QUERY = {
    "/api/v1/judge/sheets": "?entry_id={entry_id}&module_id={module_id}",
    "/v/<number>": "?c={verification_code}",
    "/v/<number>/photo": "?c={verification_code}",
    "/api/v1/certificates/<number>": "?code={verification_code}",
    "/events/<int:event_id>/checkin/lookup": "?q=001",
}


# --- The world ------------------------------------------------------------------------------

@dataclass
class Context:
    """The URL arguments and the judges of one event."""

    values: dict
    judge: str
    chief: str
    other_judge: str


@dataclass
class World:
    contexts: dict[str, Context]
    passwords: dict[str, str]
    # The other organizer's own event and promotion rule, and a division of the demo whose
    # results are still a draft.
    own_event_id: int
    own_rule_id: int
    draft_division_id: int
    # A card the other competition issued for judge10, a judge of 茶艺师 too.
    outside_card: str


def _user(username: str) -> User:
    return db.session.scalar(select(User).where(User.username == username))


def _event(name: str) -> Event:
    """The demo competition's event of that name, never the other competition's 车工.

    Without the competition, the query matched both 车工 and returned whichever came first
    without an ORDER BY. On PostgreSQL that is the order of the rows in the table's pages:
    once the tests before have deleted rows and autovacuum has freed their space, a newer
    row can come first, so the world came out with the other 车工 (no entries) in a
    full run only."""
    from competition.demo import DEMO_COMPETITION_NAME

    return db.session.scalar(select(Event).join(Competition).where(
        Event.name == name, Competition.name == DEMO_COMPETITION_NAME))


def build_world(staged_demo) -> World:
    """The world on the demo taken through its stages, which ``staged_demo()`` puts in
    the empty tables; commits."""
    staged_demo()
    demo = db.session.scalar(select(Competition).where(
        Competition.name == DEMO_COMPETITION_NAME))
    organizer = _user("organizer")
    other = builders.user("organizer", username="other_organizer")
    # The other competition takes registrations from the public.
    open_for_registration = builders.competition(organizers=(other,), self_registration=True,
                                                 status=CompetitionStatus.REGISTRATION)
    own_event = builders.event(open_for_registration, name="车工",
                               occupation=_event("车工").occupation)
    # Each competition has a supervision and arbitration group of one (监督仲裁组).
    builders.user("supervisor", username="supervisor", competition_id=demo.id,
                  display_name="监督员甲")
    builders.user("supervisor", username="other_supervisor",
                  competition_id=open_for_registration.id, display_name="监督员乙")
    # The bureau (人社局): reads the statistics of every competition, nothing else.
    builders.user("bureau", username="bureau", display_name="咸宁市人社局")
    own_rule = PromotionRule(event_id=own_event.id, name="一等奖晋升", rank_from=1, rank_to=1,
                             effect="grant", grant_grade=3)
    db.session.add(own_rule)

    # 茶艺师: final, certificates issued.
    tea = _event("茶艺师")
    judge9 = _user("judge9")
    assignment = judging.assignments(db.session, judge9)[0]
    tea_entry = next(e for e in assignment.entries)
    tea_module = judging.scored_modules(tea)[0]
    sheet = db.session.scalar(select(ScoreSheet).where(
        ScoreSheet.judge_id == judge9.id, ScoreSheet.entry_id == tea_entry.id,
        ScoreSheet.module_id == tea_module.id))
    certificate = db.session.scalars(select(Certificate).order_by(Certificate.id)).first()
    member = db.session.scalar(select(PanelMember).where(
        PanelMember.event_id == tea.id, PanelMember.expert_id == _user("judge10").expert_id))
    conflict = expert_service.declare_conflict(
        db.session, tea, member.expert, work_unit="某茶厂", reason="亲属任职",
        declared_by=organizer)
    draw = LotDraw(event_id=tea.id, seed="0" * 64, drawn_by_id=organizer.id, inputs={})
    db.session.add(draw)
    sitting = EventSession(event_id=tea.id, position=1, name="第1场",
                           starts_at=datetime(2026, 11, 20, 0, 30, tzinfo=UTC),
                           ends_at=datetime(2026, 11, 20, 3, 30, tzinfo=UTC), stations=40)
    db.session.add(sitting)
    [(_, card_secret)] = signin.issue_cards(db.session, organizer, demo, [judge9.id])
    judge10 = _user("judge10")
    db.session.add(PanelMember(event_id=own_event.id, expert_id=judge10.expert_id,
                               role="judge"))
    db.session.flush()
    [(_, outside_card)] = signin.issue_cards(db.session, other, open_for_registration,
                                             [judge10.id])
    # A judge's account the demo's organizers opened: it acts in the demo only.
    scoped = builders.user("judge", username="demo_scoped_judge", competition_id=demo.id)
    # A print run of 茶艺师's tickets the demo's organizer asked for, finished.
    job = Job(kind="tickets.event", competition_id=demo.id, requested_by_id=organizer.id,
              params={"event_id": tea.id, "size": "A4", "scope": tea.name},
              status=JobStatus.DONE, progress_done=1, progress_total=1,
              file_name="茶艺师-准考证.pdf", mimetype="application/pdf", file_size=4,
              finished_at=datetime.now(UTC))
    db.session.add(job)
    db.session.flush()
    db.session.add(JobFilePart(job_id=job.id, position=0, data=b"%PDF"))
    card = signin.find_card(db.session, card_secret)
    rule = db.session.scalars(select(PromotionRule).where(PromotionRule.event_id == tea.id)
                              .order_by(PromotionRule.position, PromotionRule.id)).first()
    tea_values = {
        "competition_id": demo.id, "event_id": tea.id,
        "division_id": tea.divisions[0].id, "entry_id": tea_entry.id,
        "module_id": tea_module.id, "criterion_id": tea_module.criteria[0].id,
        "sheet_id": sheet.id, "member_id": member.id, "conflict_id": conflict.id,
        "rule_id": rule.id, "draw_id": draw.id, "token_id": card.id,
        "session_id": sitting.id,
        "certificate_id": certificate.id, "number": certificate.number,
        "verification_code": certificate.verification_code,
        "token": certificate.promotion.entry.token,
        "expert_id": member.expert_id, "occupation_id": tea.occupation_id,
        "code": "zh", "filename": "css/app.css", "user_id": scoped.id, "job_id": job.id,
    }

    # 养老护理员: the 职工组 results on public notice; a contestant appeals.
    care = _event("养老护理员")
    workers = db.session.scalar(select(Division).where(
        Division.event_id == care.id, Division.name == "职工组"))
    appellant = db.session.scalars(select(Entry).where(Entry.division_id == workers.id)
                                   .order_by(Entry.station, Entry.id)).first()
    appeal = publishing.file_appeal(db.session, appellant, "第二模块计分有误，请复核。")

    # 车工: being scored; a penalty and a paper sheet waiting for confirmation.
    lathe = _event("车工")
    chief2 = _user("chief2")
    judge6 = _user("judge6")
    lathe_assignment = judging.assignments(db.session, judge6)[0]
    lathe_entries = judging.scoreable_entries(db.session, lathe.id)
    penalty = judging.add_penalty(db.session, chief2, lathe_entries[0], Decimal(2),
                                  "未按规定穿戴防护用品")
    paper_sheet = _paper_sheet(lathe, lathe_entries, organizer)
    db.session.commit()

    contexts = {
        "tea": Context(tea_values, judge="judge9", chief="chief3", other_judge="judge1"),
        "care": Context({**tea_values, "event_id": care.id, "appeal_id": appeal.id},
                        judge="judge1", chief="chief1", other_judge="judge6"),
        "lathe": Context({**tea_values, "event_id": lathe.id, "penalty_id": penalty.id,
                          "sheet_id": paper_sheet.id,
                          "entry_id": lathe_assignment.entries[-1].id,
                          "module_id": judging.scored_modules(lathe)[0].id},
                         judge="judge6", chief="chief2", other_judge="judge9"),
        "registration": Context({**tea_values, "competition_id": open_for_registration.id},
                                judge="judge9", chief="chief3", other_judge="judge1"),
    }
    passwords = {name: f"demo-{name}-2026" for name in (
        "admin", "organizer", "judge1", "judge6", "judge9", "chief1", "chief2", "chief3")}
    passwords["other_organizer"] = builders.PASSWORD
    passwords["supervisor"] = passwords["other_supervisor"] = builders.PASSWORD
    passwords["bureau"] = builders.PASSWORD
    students = db.session.scalar(select(Division).where(
        Division.event_id == care.id, Division.name == "学生组"))
    assert publishing.publication_of(db.session, students.id) is None
    return World(contexts, passwords, own_event_id=own_event.id, own_rule_id=own_rule.id,
                 draft_division_id=students.id, outside_card=outside_card)


def _paper_sheet(event: Event, entries: list[Entry], typist: User) -> ScoreSheet:
    """A paper sheet typed in for a judge who has no sheet yet for an entry and module."""
    # Not judge6's: the matrix opens judge6's own sheets on the tablet.
    judges = [j for j in paper_sheets.panel_judges(db.session, event) if j.username != "judge6"]
    for module in judging.scored_modules(event):
        for entry in entries:
            for judge in judges:
                try:
                    paper_sheets.check_can_enter(db.session, typist, entry, module, judge)
                except JudgingError:  # this pair cannot take one: try the next
                    continue
                values = {c.id: Decimal(0) for c in module.criteria}
                return paper_sheets.enter_paper_sheet(db.session, typist, entry, module, judge,
                                               values)
    raise AssertionError("no room for a paper sheet in the demo")


# --- Requests --------------------------------------------------------------------------------

def fill_url(rule: str, values: dict, visitor: str) -> str:
    """The URL of ``rule`` with the world's values, as ``visitor`` asks for it."""
    def value(match: re.Match) -> str:
        name = match.group(2)
        if name == "token" and (visitor != "contestant" or rule.startswith("/s/")):
            return "x" * 43  # a made-up private link, or sign-in card
        return str(values[name])

    path = re.sub(r"<(?:(\w+):)?(\w+)>", value, rule)
    return path + QUERY.get(rule, "").format(**values)
