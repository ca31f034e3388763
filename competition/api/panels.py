"""API of the expert pool, judge panels and promotion rules (organizers)."""

from __future__ import annotations

from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint
from sqlalchemy import select

from competition.api.schemas import (
    ExpertSchema,
    PanelDrawRequestSchema,
    PanelDrawSchema,
    PanelMemberSchema,
    PresetRequestSchema,
    PromotionRuleSchema,
)
from competition.api.setup import organizer_required, read_back, readers_required
from competition.auth.models import Role
from competition.auth.permissions import role_required
from competition.events import promotion_rules
from competition.events.access import require_organizer_of
from competition.events.models import Event, Expert, PanelMember, PromotionRule
from competition.experts import pool as experts
from competition.extensions import db
from competition.timeutil import local_today

blp = Blueprint("api_panels", __name__, url_prefix="/api/v1",
                description="The expert pool, judge panels and promotion rules (organizers).")


def _with_state(expert: Expert) -> Expert:
    expert.certificate_state = experts.certificate_state(expert.certificate_expires_on,
                                                         local_today())
    return expert


@blp.route("/experts")
class Experts(MethodView):
    decorators = [role_required(Role.ORGANIZER)]

    @blp.response(200, ExpertSchema(many=True))
    def get(self):
        """The expert pool (专家库), with each examiner certificate's state."""
        return [_with_state(e) for e in experts.list_experts(db.session, today=local_today())]

    @blp.arguments(ExpertSchema)
    @blp.response(201, ExpertSchema)
    def post(self, data):
        """Add an expert to the pool."""
        expert = experts.create_expert(db.session, created_by=current_user,
                                       occupation_ids=data.pop("occupation_ids"),
                                       **data)
        return _with_state(expert)


@blp.route("/events/<int:event_id>/panel")
class Panel(MethodView):
    decorators = [readers_required]

    @blp.response(200, PanelMemberSchema(many=True))
    def get(self, event_id: int):
        """The event's judges, chief judge first."""
        return experts.panel_members(db.session, db.session.get(Event, event_id))

    @blp.arguments(PanelMemberSchema)
    @blp.response(201, PanelMemberSchema)
    def post(self, data, event_id: int):
        """Assign an expert; refused (422) when their examiner certificate does not cover
        the competition or they do not judge the event's occupation."""
        event = db.session.get(Event, event_id)
        expert = db.get_or_404(Expert, data["expert_id"])
        member = experts.add_panel_member(db.session, event, expert, today=local_today(),
                                          role=data["role"])
        return member


@blp.route("/panel-members/<int:member_id>", methods=["DELETE"])
@role_required(Role.ORGANIZER)
@blp.response(204)
def remove_panel_member(member_id: int):
    """Take a judge off a panel (refused once marking has started)."""
    member = db.get_or_404(PanelMember, member_id)
    require_organizer_of(member.event.competition_id)
    experts.remove_panel_member(db.session, member)


@blp.route("/events/<int:event_id>/panel/draw", methods=["POST"])
@organizer_required
@blp.arguments(PanelDrawRequestSchema)
@blp.response(201, PanelDrawSchema)
def draw_panel(data, event_id: int):
    """Draw judges at random from the qualified experts; the seed is kept with the draw."""
    event = db.session.get(Event, event_id)
    draw = experts.draw_judges(db.session, event, data["count"], drawn_by=current_user,
                               today=local_today())
    return draw


@blp.route("/events/<int:event_id>/promotion-rules")
class PromotionRules(MethodView):
    decorators = [organizer_required]

    @blp.response(200, PromotionRuleSchema(many=True))
    def get(self, event_id: int):
        """The event's promotion rules in the order they are tried (the first match applies)."""
        return db.session.scalars(select(PromotionRule).where(
            PromotionRule.event_id == event_id).order_by(PromotionRule.position)).all()

    @blp.arguments(PromotionRuleSchema)
    @blp.response(201, PromotionRuleSchema)
    def post(self, data, event_id: int):
        """Add a rule at the end."""
        rule = promotion_rules.save_rule(db.session, db.session.get(Event, event_id), None, **data)
        read_back()
        return rule


@blp.route("/events/<int:event_id>/promotion-rules/preset", methods=["POST"])
@organizer_required
@blp.arguments(PresetRequestSchema)
@blp.response(200, PromotionRuleSchema(many=True))
def apply_preset(data, event_id: int):
    """Replace the event's rules by a preset's (national_class1, city_class1, city_class2,
    provincial_class2, enterprise_school_top30)."""
    made = promotion_rules.apply_preset(db.session, db.session.get(Event, event_id), data["preset"])
    read_back()
    return made
