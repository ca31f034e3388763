"""The chief judge orders entries still tied after every other tie-break rule.

Read by whoever reads the event's results (organizers, the supervision and
arbitration group, the chief judge); written by the chief judge only. Before
the scores are locked the entries are shown by their anonymous codes only.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from competition.errors import DomainError
from competition.events.access import event_for_reader_or_chief
from competition.events.models import PanelRole
from competition.events.tenancy import panel_role
from competition.extensions import db
from competition.results import tie_order
from competition.results.views import bp
from competition.web import flash_domain_error


def _order_from_form(group: list[int]) -> list[int] | None:
    """The entries of the group in the order the form gives (positions 1..n, each once),
    or None when the positions are not that."""
    positions = {}
    for entry_id in group:
        value = request.form.get(f"position-{entry_id}", "")
        if not value.isdigit():
            return None
        positions[entry_id] = int(value)
    if sorted(positions.values()) != list(range(1, len(group) + 1)):
        return None
    return sorted(group, key=positions.__getitem__)


@bp.route("/events/<int:event_id>/ties", methods=["GET", "POST"])
@login_required
def ties(event_id: int):
    """并列排序: groups of a division still tied after every tie-break rule, and the chief
    judge's form to order each (first = better), with a reason."""
    event = event_for_reader_or_chief(event_id)
    is_chief = panel_role(db.session, current_user, event.id) == PanelRole.CHIEF
    if request.method == "POST":
        if not is_chief:
            abort(403)
        try:
            group = [int(i) for i in request.form.get("group", "").split(",") if i]
        except ValueError:
            group = []
        ordered = _order_from_form(group) if group else None
        if ordered is None:
            flash(_("Give every tied entry a different place, from 1 to %(n)s.",
                    n=len(group) or 2), "error")
        else:
            try:
                decided = tie_order.decide_order(db.session, current_user, event, ordered,
                                                 request.form.get("reason", ""))
            except DomainError as error:
                flash_domain_error(error)
            else:
                flash(_("The order of the entries tied at rank %(rank)s of %(division)s is "
                        "recorded.", rank=decided.rank, division=decided.division.name),
                      "success")
                return redirect(url_for("results.ties", event_id=event.id))
    return render_template("results/ties.html", event=event, is_chief=is_chief,
                           groups=tie_order.still_tied(db.session, event),
                           chief_step=tie_order.CHIEF_STEP in (event.tie_break or []))
