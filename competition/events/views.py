"""Organizers' pages for competitions and their events."""

from flask import Blueprint, render_template
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from competition.auth.models import Role
from competition.auth.permissions import require_organizer_of
from competition.entries.models import Entry
from competition.events.models import (
    Competition,
    CompetitionOrganizer,
    Event,
    Module,
    PanelMember,
)
from competition.extensions import db

bp = Blueprint("events", __name__)


@bp.get("/")
@login_required
def dashboard():
    """Organizers see the competitions they run; judges see the events they judge."""
    if current_user.role == Role.JUDGE:
        panels = db.session.scalars(
            select(PanelMember)
            .where(PanelMember.expert_id == current_user.expert_id)
            .options(selectinload(PanelMember.event).selectinload(Event.competition))
        ).all() if current_user.expert_id else []
        return render_template("events/judge_dashboard.html", panels=panels)

    query = select(Competition).order_by(Competition.starts_on.desc(), Competition.id.desc())
    if current_user.role != Role.ADMIN:
        query = query.join(CompetitionOrganizer).where(
            CompetitionOrganizer.user_id == current_user.id
        )
    competitions = db.session.scalars(query).all()
    ids = [c.id for c in competitions]
    entry_counts = dict(db.session.execute(
        select(Event.competition_id, func.count(Entry.id))
        .join(Entry, Entry.event_id == Event.id)
        .where(Event.competition_id.in_(ids))
        .group_by(Event.competition_id)
    ).all()) if ids else {}
    event_counts = dict(db.session.execute(
        select(Event.competition_id, func.count(Event.id))
        .where(Event.competition_id.in_(ids))
        .group_by(Event.competition_id)
    ).all()) if ids else {}
    return render_template(
        "events/dashboard.html", competitions=competitions,
        entry_counts=entry_counts, event_counts=event_counts,
    )


@bp.get("/competitions/<int:competition_id>")
@login_required
def competition_detail(competition_id: int):
    require_organizer_of(competition_id)
    competition = db.get_or_404(Competition, competition_id)
    events = db.session.scalars(
        select(Event).where(Event.competition_id == competition_id)
        .options(selectinload(Event.divisions), selectinload(Event.modules),
                 selectinload(Event.occupation))
        .order_by(Event.position)
    ).all()
    entry_counts = dict(db.session.execute(
        select(Entry.event_id, func.count(Entry.id))
        .join(Event, Event.id == Entry.event_id)
        .where(Event.competition_id == competition_id)
        .group_by(Entry.event_id)
    ).all())
    return render_template("events/competition.html", competition=competition,
                           events=events, entry_counts=entry_counts)


@bp.get("/events/<int:event_id>")
@login_required
def event_detail(event_id: int):
    event = db.get_or_404(Event, event_id)
    require_organizer_of(event.competition_id)
    modules = db.session.scalars(
        select(Module).where(Module.event_id == event_id)
        .options(selectinload(Module.criteria)).order_by(Module.position)
    ).all()
    panel = db.session.scalars(
        select(PanelMember).where(PanelMember.event_id == event_id)
        .options(selectinload(PanelMember.expert))
        .order_by(PanelMember.role, PanelMember.id)
    ).all()
    return render_template("events/event.html", event=event, modules=modules, panel=panel)


# More pages of this blueprint, kept in their own modules.
from competition.events import expert_views, rule_views, transfer_views  # noqa: E402, F401
