"""The hand-offs between stages: which later package answers which signal of an earlier one.

A stage imports only from the stages before it (docs/design.md section 4, checked by
``lint-imports``). When it must have something done or shown by a later one, it sends a
blinker signal, and the later package answers:

- ``results.publishing.results_final``, sent by ``finalize`` →
  ``grades.promotions.on_results_final``: the final results decide the promotions and
  issue their certificates, in the same transaction;
- ``judging.scoring.review_sheet_submitted``, sent by ``submit_sheet`` for a sheet
  re-scored after an accepted appeal → ``results.publishing.after_review``: the
  published results are refreshed;
- ``transfer.definition.panel_imported``, sent by ``import_competition`` →
  ``experts.pool.import_panel``: the document's panels are put on from the pool;
- ``events.preflight.preflight_checks``, sent by ``preflight`` →
  ``board.entries_without_station``;
- ``events.views.dashboard_page``, sent by the dashboard →
  ``entries.views.dashboard_entry_counts``;
- ``events.views.competition_page``, sent by the competition page →
  ``entries.views.competition_entry_counts`` and ``board.on_competition_page``.

Why signals rather than direct calls from an orchestration module: in every case the
sender is called from its own stage too — the results page finalizes (``results.views``),
the judging service submits sheets for the paper desk (``judging.paper_sheets``) as for the
API, the transfer pages import competition documents as the API does, the events pages
build the dashboard, the competition page and the pre-flight check — so no module
above both the sender and the answering stage could make the call for all of them
without moving those pages and services up a layer. ``results`` may not import
``grades``, nor ``judging`` ``results``, nor ``transfer`` ``experts``, nor ``events``
``entries`` or ``board``: the dependency stays inverted.

What is explicit here: the answering functions are plain functions that connect
nothing when they are imported; this module, at the top layer beside ``cli`` and
``board`` (it may import every stage), lists every hand-off in ``HANDOFFS`` and
``connect_all`` connects them, called by ``create_app``. So no hand-off depends on which
modules happen to have been imported, and tests/test_handoffs.py checks that every
signal of the package is listed and answered after ``create_app``. The two hand-offs
that change data refuse to run unanswered rather than skip the later stage:
``finalize`` (no promotions would be decided) and ``submit_sheet`` of a re-scored sheet
(the published results would not follow).

Blinker's signals live as long as the process: connecting is idempotent, so every app
made in one process (the tests make several) shares one set of connections.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from blinker import NamedSignal
from flask import Flask

from competition import board
from competition.entries import views as entries_views
from competition.events import preflight
from competition.events import views as events_views
from competition.experts import pool as experts
from competition.grades import promotions as grades
from competition.judging import scoring as judging
from competition.results import publishing
from competition.transfer import definition


@dataclass(frozen=True)
class Handoff:
    """One signal of an earlier stage and the function of a later package answering it."""

    signal: NamedSignal
    receiver: Callable
    does: str  # what the answer does, in words


HANDOFFS: tuple[Handoff, ...] = (
    Handoff(publishing.results_final, grades.on_results_final,
            "final results decide the promotions and issue their certificates"),
    Handoff(judging.review_sheet_submitted, publishing.after_review,
            "a sheet re-scored for an appeal refreshes the published results"),
    Handoff(definition.panel_imported, experts.import_panel,
            "an imported competition document's panels are put on by the expert pool"),
    Handoff(preflight.preflight_checks, board.entries_without_station,
            "the pre-flight check lists the entries without a station"),
    Handoff(events_views.dashboard_page, entries_views.dashboard_entry_counts,
            "the dashboard counts each competition's entries"),
    Handoff(events_views.competition_page, entries_views.competition_entry_counts,
            "the competition page counts each event's entries"),
    Handoff(events_views.competition_page, board.on_competition_page,
            "the competition page shows the status board and to-do list"),
)


def connect_all(app: Flask) -> None:
    """Connect every hand-off (once per process; again is harmless) and keep the list on
    the app (``app.extensions["handoffs"]``)."""
    for handoff in HANDOFFS:
        handoff.signal.connect(handoff.receiver, weak=False)
    app.extensions["handoffs"] = HANDOFFS
