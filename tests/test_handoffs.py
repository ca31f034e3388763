"""The hand-offs between stages (``competition.handoffs``): every signal of the package is
listed and answered once the app is made, nothing is connected by importing a module, and
the two hand-offs that change data work end to end — final results promote and issue
certificates, a sheet re-scored for an appeal refreshes the published results."""

from __future__ import annotations

import importlib
import os
import pkgutil
import subprocess
import sys
from decimal import Decimal

import pytest
from blinker import NamedSignal
from sqlalchemy import func, select

import competition
from competition import handoffs
from competition.audit.models import AuditEvent
from competition.auth.models import User
from competition.entries.models import Entry
from competition.extensions import db
from competition.grades import promotions as grades
from competition.grades.models import Certificate, Promotion
from competition.judging import scoring as judging
from competition.judging.models import Mark, ScoreSheet
from competition.judging.scoring import MarkChange
from competition.results import publishing
from competition.results.models import Result
from tests import builders

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _user(username: str) -> User:
    return db.session.scalar(select(User).where(User.username == username))


def _signals_of_the_package() -> dict[int, tuple[str, NamedSignal]]:
    """Every blinker signal a module of ``competition`` holds that no other library's
    module does (Flask's and Flask-Login's signals are theirs): id → (where, signal)."""
    for module in pkgutil.walk_packages(competition.__path__, "competition."):
        importlib.import_module(module.name)
    theirs = {id(value) for name, module in list(sys.modules.items())
              if module is not None and not name.startswith("competition")
              for value in list(vars(module).values()) if isinstance(value, NamedSignal)}
    ours = {}
    for name, module in list(sys.modules.items()):
        if not name.startswith("competition"):
            continue
        for attribute, value in vars(module).items():
            if isinstance(value, NamedSignal) and id(value) not in theirs:
                ours.setdefault(id(value), (f"{name}.{attribute}", value))
    return ours


def _receivers(signal: NamedSignal) -> set:
    return set(signal.receivers_for(object()))


def test_every_signal_is_a_listed_hand_off_answered_after_create_app(app):
    listed = {id(h.signal) for h in handoffs.HANDOFFS}
    found = _signals_of_the_package()
    assert set(found) == listed, sorted(where for key, (where, _) in found.items()
                                        if key not in listed)
    for _where, signal in found.values():
        expected = {h.receiver for h in handoffs.HANDOFFS if h.signal is signal}
        assert _receivers(signal) == expected, signal.name
    assert app.extensions["handoffs"] is handoffs.HANDOFFS
    # The two that change data are answered by the later stage's functions.
    assert _receivers(publishing.results_final) == {grades.on_results_final}
    assert _receivers(judging.review_sheet_submitted) == {publishing.after_review}


def test_importing_the_stages_connects_nothing():
    """Only ``connect_all`` connects: a process that imports every answering module but
    makes no app has no receiver at all."""
    script = ("import competition.board, competition.entries.views, "
              "competition.experts.pool, competition.grades.promotions, "
              "competition.results.publishing\n"
              "from competition.handoffs import HANDOFFS\n"
              "print(sum(len(h.signal.receivers) for h in HANDOFFS))\n")
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, check=True)
    assert done.stdout.strip() == "0", done.stderr


def test_finalizing_unanswered_is_refused_and_changes_nothing(published_tea):
    division = published_tea.divisions[0]
    publishing.results_final.disconnect(grades.on_results_final)
    try:
        with pytest.raises(RuntimeError, match="Nothing answers results_final"):
            publishing.finalize(db.session, _user(builders.ORGANIZER), division)
    finally:
        publishing.results_final.connect(grades.on_results_final, weak=False)
    db.session.rollback()
    assert publishing.publication_of(db.session, division.id).status == "notice"


# --- End to end ----------------------------------------------------------------------

@pytest.mark.parametrize("way", ["page", "api"])
def test_final_results_promote_and_issue_certificates(published_tea, client, auth, way):
    division = published_tea.divisions[0]
    expected = {line.entry.id: line.outcome.promotion.to_grade
                for line in grades.preview(db.session, division) if line.outcome.promotion}
    assert expected  # the division's rules promote someone
    auth.login(builders.ORGANIZER)
    if way == "page":
        client.post(f"/divisions/{division.id}/finalize", follow_redirects=True)
    else:
        answer = client.post(f"/api/v1/divisions/{division.id}/finalize")
        assert answer.status_code == 200, answer.text
    db.session.expire_all()

    assert publishing.publication_of(db.session, division.id).status == "final"
    promotions = db.session.scalars(select(Promotion)).all()
    assert {p.entry_id: p.to_grade for p in promotions} == expected
    issued = db.session.scalars(select(Certificate)).all()
    assert {c.promotion_id for c in issued} == {p.id for p in promotions}
    assert grades.decided(db.session, division)


def test_a_rescored_sheet_refreshes_the_published_results(tea_on_notice):
    division = tea_on_notice.divisions[0]
    chief = _user(builders.CHIEF)
    last = db.session.scalars(select(Result).order_by(Result.rank.desc())).first()
    entry = db.session.get(Entry, last.entry_id)
    old_rank, old_total = last.rank, Decimal(last.total)

    appeal = publishing.file_appeal(db.session, entry, "实操评分有误")
    publishing.decide_appeal(db.session, chief, appeal, accept=True, reason="予以复核")
    sheets = db.session.scalars(select(ScoreSheet).where(ScoreSheet.entry_id == entry.id)
                                .order_by(ScoreSheet.id)).all()
    publishing.reopen_for_appeal(db.session, chief, appeal, sheets, "复核全部评分表")
    db.session.commit()

    def refreshes() -> int:
        return db.session.scalar(select(func.count(AuditEvent.id)).where(
            AuditEvent.action == "results.refresh"))

    for number, sheet in enumerate(sheets, start=1):
        judge = db.session.get(User, sheet.judge_id)
        judging.save_marks(db.session, judge, sheet, [
            MarkChange(c.id, c.max_points, previous=_value(sheet, c.id))
            for c in sheet.module.criteria])
        judging.submit_sheet(db.session, judge, sheet)
        db.session.commit()
        published = db.session.scalar(select(Result).where(Result.entry_id == entry.id))
        if number < len(sheets):  # the results wait for the last re-scored sheet
            assert (published.rank, Decimal(published.total)) == (old_rank, old_total)
            assert refreshes() == 0

    published = db.session.scalar(select(Result).where(Result.entry_id == entry.id))
    assert Decimal(published.total) > old_total and published.rank < old_rank
    assert refreshes() > 0
    assert publishing.publication_of(db.session, division.id).status == "notice"


def _value(sheet: ScoreSheet, criterion_id: int):
    return db.session.scalar(select(Mark.value).where(Mark.sheet_id == sheet.id,
                                                      Mark.criterion_id == criterion_id))
