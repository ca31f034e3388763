"""API of competition set-up: competitions, events, marking schemes, occupations."""

from __future__ import annotations

from functools import partial, wraps

from flask import request
from flask.views import MethodView
from flask_login import current_user, login_required
from flask_smorest import Blueprint
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from competition.api.schemas import (
    CompetitionPatchSchema,
    CompetitionSchema,
    DefinitionDocumentSchema,
    DefinitionImportResultSchema,
    DefinitionImportSchema,
    EventPatchSchema,
    EventSchema,
    OccupationSchema,
    SchemeSchema,
    StatusChangeSchema,
)
from competition.auth.models import Role
from competition.auth.permissions import SAFE_METHODS, role_required
from competition.events import setup
from competition.events.access import require_organizer_of, require_reader_of
from competition.events.models import Competition, CompetitionOrganizer, Event, Occupation
from competition.events.scheme import CriterionSpec, ModuleSpec
from competition.extensions import db
from competition.timeutil import local_today
from competition.transfer.definition import export_competition, import_competition

blp = Blueprint("api_setup", __name__, url_prefix="/api/v1",
                description="Competitions, events and marking schemes (organizers).")


def organizer_required(view=None, *, supervisors_read: bool = False):
    """Only the organizers of the competition in the URL (or an admin) get past,
    and before the request body is even read. With ``supervisors_read``, the
    competition's supervision and arbitration group (监督仲裁组) reads (GET) too."""
    if view is None:
        return partial(organizer_required, supervisors_read=supervisors_read)

    def require(competition_id: int) -> None:
        if supervisors_read and request.method in SAFE_METHODS:
            require_reader_of(competition_id)
        else:
            require_organizer_of(competition_id)

    @wraps(view)
    def wrapped(*args, **kwargs):
        if "competition_id" in kwargs:
            db.get_or_404(Competition, kwargs["competition_id"])
            require(kwargs["competition_id"])
        elif "event_id" in kwargs:
            require(db.get_or_404(Event, kwargs["event_id"]).competition_id)
        elif "entry_id" in kwargs:
            from competition.entries.models import Entry

            entry = db.get_or_404(Entry, kwargs["entry_id"])
            require(entry.event.competition_id)
        return view(*args, **kwargs)

    return login_required(wrapped)


# Competition, events and schemes: its supervision and arbitration group reads them too.
readers_required = organizer_required(supervisors_read=True)


def read_back() -> None:
    """Have the answer show what the database keeps — decimals to the column's places,
    times in UTC, collections in their order — not the values as the request sent them:
    the changes are written and every object is read again when next used, as after a
    commit. (The request commits after the view: ``CompetitionApp.dispatch_request``.)"""
    db.session.flush()
    db.session.expire_all()


@blp.route("/competitions")
class Competitions(MethodView):
    decorators = [role_required(Role.ORGANIZER)]

    @blp.response(200, CompetitionSchema(many=True))
    def get(self):
        """The competitions the caller organizes (all of them, for an admin)."""
        query = select(Competition).order_by(Competition.id)
        if current_user.role != Role.ADMIN:
            query = query.join(CompetitionOrganizer).where(
                CompetitionOrganizer.user_id == current_user.id)
        return db.session.scalars(query).all()

    @blp.arguments(CompetitionSchema)
    @blp.response(201, CompetitionSchema)
    def post(self, data):
        """Create a competition in draft; the caller becomes its organizer."""
        competition = setup.create_competition(db.session, current_user, **data)
        return competition


@blp.route("/competitions/<int:competition_id>")
class CompetitionItem(MethodView):
    decorators = [readers_required]

    @blp.response(200, CompetitionSchema)
    def get(self, competition_id: int):
        return db.get_or_404(Competition, competition_id)

    @blp.arguments(CompetitionPatchSchema(partial=True))
    @blp.response(200, CompetitionSchema)
    def patch(self, data, competition_id: int):
        """Change some of a competition's settings."""
        competition = db.get_or_404(Competition, competition_id)
        setup.update_competition(competition, **data)
        return competition


@blp.route("/competitions/<int:competition_id>/status", methods=["POST"])
@organizer_required
@blp.arguments(StatusChangeSchema)
@blp.response(200, CompetitionSchema)
def change_status(data, competition_id: int):
    """Move the competition to its next status; refused (422) with the reason otherwise."""
    competition = db.get_or_404(Competition, competition_id)
    setup.advance_competition(db.session, competition, data["status"])
    return competition


@blp.route("/competitions/<int:competition_id>/events")
class CompetitionEvents(MethodView):
    decorators = [readers_required]

    @blp.response(200, EventSchema(many=True))
    def get(self, competition_id: int):
        return db.session.scalars(
            select(Event).where(Event.competition_id == competition_id)
            .options(selectinload(Event.divisions)).order_by(Event.position)).all()

    @blp.arguments(EventSchema)
    @blp.response(201, EventSchema)
    def post(self, data, competition_id: int):
        """Add an event with its divisions and settings."""
        competition = db.get_or_404(Competition, competition_id)
        divisions = [(d["name"], d["kind"]) for d in data.pop("divisions")]
        event = setup.create_event(db.session, competition, divisions=divisions, **data)
        read_back()
        return event


@blp.route("/events/<int:event_id>")
class EventItem(MethodView):
    decorators = [readers_required]

    @blp.response(200, EventSchema)
    def get(self, event_id: int):
        return db.session.get(Event, event_id)

    # Partial at the top only: a division listed still needs its name.
    @blp.arguments(EventPatchSchema(partial=tuple(EventPatchSchema().fields)))
    @blp.response(200, EventSchema)
    def patch(self, data, event_id: int):
        """Change an event's settings; divisions listed that it lacks are added."""
        event = db.session.get(Event, event_id)
        divisions = data.pop("divisions", [])
        setup.update_event(db.session, event, **data)
        known = {d.name for d in event.divisions}
        for division in divisions:
            if division["name"] not in known:
                setup.add_division(db.session, event, name=division["name"],
                                     kind=division["kind"])
        read_back()
        return event


@blp.route("/events/<int:event_id>/scheme")
class EventScheme(MethodView):
    decorators = [readers_required]

    @blp.response(200, SchemeSchema)
    def get(self, event_id: int):
        """The event's marking scheme: modules with their criteria."""
        event = db.session.get(Event, event_id)
        return {"modules": event.modules, "frozen": setup.scheme_frozen(event)}

    @blp.arguments(SchemeSchema)
    @blp.response(200, SchemeSchema)
    def put(self, data, event_id: int):
        """Replace the whole marking scheme; refused whole (422, every problem listed)."""
        event = db.session.get(Event, event_id)
        specs = [
            ModuleSpec(
                code=m["code"], name=m["name"], kind=m["kind"], weight=m["weight"],
                max_score=m["max_score"],
                criteria=[CriterionSpec(**c) for c in m["criteria"]],
            )
            for m in data["modules"]
        ]
        setup.replace_marking_scheme(db.session, event, specs)
        read_back()
        return {"modules": event.modules, "frozen": setup.scheme_frozen(event)}


@blp.route("/competitions/<int:competition_id>/definition", methods=["GET"])
@organizer_required
@blp.response(200, DefinitionDocumentSchema)
def export_definition(competition_id: int):
    """The whole competition definition — events, divisions, modules, criteria, rules and
    panels — as one document, to import as next year's edition or elsewhere."""
    return export_competition(db.session.get(Competition, competition_id))


@blp.route("/competitions/import", methods=["POST"])
@role_required(Role.ORGANIZER)
@blp.arguments(DefinitionImportSchema)
@blp.response(201, DefinitionImportResultSchema)
def import_definition(data):
    """Create a new competition (in draft, run by the caller) from a definition document.
    Refused whole (422) with every problem and its path."""
    competition, warnings = import_competition(db.session, data["document"], current_user,
                                               data["name"], today=local_today())
    return {"competition": competition, "warnings": warnings}


@blp.route("/occupations", methods=["GET"])
@login_required
@blp.response(200, OccupationSchema(many=True))
def occupations():
    """The occupation catalogue with national codes (职业编码)."""
    return db.session.scalars(select(Occupation).order_by(Occupation.name)).all()
