"""The chief judge orders entries still tied after every tie-break rule, in the browser.

The scene is the award rules' ten entries (``tests.test_award_rules``): 2–5 tied at 90
across the edge of the second prize, ties decided by the chief judge's order.
"""

from __future__ import annotations

from html import unescape

from sqlalchemy import func, select

from competition.audit.models import AuditEvent
from competition.extensions import db
from competition.results import publishing
from competition.results.models import Publication, Result, TieBreakDecision
from tests import builders
from tests.builders import tied_scene


def _form(scene, order: list[int], reason: str = "抽签决定") -> dict:
    """Positions for entries 2–5 (indexes 1–4): ``order`` lists their places."""
    tied = scene.entries[1:5]
    data = {"group": ",".join(str(e.id) for e in tied), "reason": reason}
    data.update({f"position-{e.id}": str(p) for e, p in zip(tied, order, strict=True)})
    return data


def test_the_chief_judge_orders_a_tied_group_then_the_results_publish(app, client, auth):
    scene = tied_scene(award_ties="tie_break")
    url = f"/events/{scene.event.id}/ties"
    auth.login(scene.organizer.username)
    results = unescape(client.get(f"/events/{scene.event.id}/results").get_data(as_text=True))
    assert "决定并列选手顺序" in results and url in results
    page = unescape(client.get(url).get_data(as_text=True))
    assert "职工组 · 第 2 名" in page and "DG-102" in page and "记录顺序" not in page
    assert client.post(url, data=_form(scene, [1, 2, 3, 4])).status_code == 403
    auth.logout()

    auth.login(scene.chief.username)
    page = unescape(client.get(url).get_data(as_text=True))
    assert "记录顺序" in page
    # Two entries in one place: refused, nothing written.
    page = unescape(client.post(url, data=_form(scene, [1, 1, 2, 3]),
                                follow_redirects=True).get_data(as_text=True))
    assert "请给每个并列选手不同的名次，从 1 到 4" in page
    page = unescape(client.post(url, data=_form(scene, [3, 2, 4, 1], reason=""),
                                follow_redirects=True).get_data(as_text=True))
    assert "请说明排序的理由" in page
    assert db.session.scalar(select(func.count(TieBreakDecision.id))) == 0

    page = unescape(client.post(url, data=_form(scene, [3, 2, 4, 1]),
                                follow_redirects=True).get_data(as_text=True))
    assert "已记录职工组第 2 名并列选手的顺序" in page
    assert "经全部并列排序规则后没有并列的选手" in page
    decided = {d.entry_id: d.position for d in db.session.scalars(select(TieBreakDecision))}
    assert decided == {scene.entries[1].id: 3, scene.entries[2].id: 2,
                       scene.entries[3].id: 4, scene.entries[4].id: 1}
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "tie_break.decide"))
    assert audit.actor_id == scene.chief.id and audit.reason == "抽签决定"

    publishing.publish(db.session, scene.organizer, scene.division)
    db.session.commit()
    ranks = {r.entry_id: r.rank for r in db.session.scalars(select(Result))}
    assert [ranks[e.id] for e in scene.entries[:6]] == [1, 4, 3, 5, 2, 6]


def test_a_tie_ordered_after_publication_is_a_correction(app, client, auth):
    scene = tied_scene()  # ties share the band: acknowledged, published, then ordered
    scene.event.tie_break = ["more_decimals", "chief_judge"]
    db.session.commit()
    state = publishing.award_state(db.session, scene.event, scene.division)
    publishing.acknowledge_overflow(db.session, scene.chief, scene.division,
                                     state.check.description)
    publishing.publish(db.session, scene.organizer, scene.division)
    db.session.commit()
    before = db.session.scalar(select(Publication.notice_ends_at))
    auth.login(scene.chief.username)
    client.post(f"/events/{scene.event.id}/ties", data=_form(scene, [1, 2, 3, 4]))
    ranks = {r.entry_id: r.rank for r in db.session.scalars(select(Result))}
    assert [ranks[e.id] for e in scene.entries[1:5]] == [2, 3, 4, 5]
    assert db.session.scalar(select(Publication.notice_ends_at)) >= before
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.action == "results.republish")) == 1


def test_another_competitions_organizer_sees_nothing(app, client, auth):
    scene = tied_scene(award_ties="tie_break")
    builders.competition(organizers=(builders.user("organizer", username="stranger"),))
    db.session.commit()
    auth.login("stranger")
    url = f"/events/{scene.event.id}/ties"
    assert client.get(url).status_code == 403
    assert client.post(url, data=_form(scene, [1, 2, 3, 4])).status_code == 403
    assert db.session.scalar(select(func.count(TieBreakDecision.id))) == 0
