"""Accounts from the browser: the admins' user pages, everyone's own password, and the
judges' accounts a competition's organizers open on the sign-in cards page.

The rules live in ``accounts.management``; a one-time password is shown once, on a page
that is never cached.
"""

from __future__ import annotations

import io
import re

from flask import (
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from competition.accounts import management as accounts
from competition.accounts import signin
from competition.accounts.account_pdf import judge_accounts_pdf
from competition.accounts.forms import (
    AccountEditForm,
    AccountForm,
    AccountSearchForm,
    ActionForm,
    LinkAccountForm,
    PasswordChangeForm,
    SupervisorForm,
)
from competition.accounts.signin_views import _private
from competition.accounts.views import bp
from competition.auth.models import Role, User
from competition.auth.permissions import role_required
from competition.errors import DomainError, Refused
from competition.events.access import competition_for_organizer
from competition.events.models import Competition, CompetitionOrganizer, Expert
from competition.extensions import db
from competition.web import flash_domain_error

PAGE_SIZE = 100
# Pages a user who must choose a new password may still open.
_OPEN_WHILE_CHANGING = {"auth.change_password", "auth.logout", "auth.set_language", "static",
                        "healthz"}


def require_new_password():
    """Someone else chose this password (a new account, a reset): choose one first. A
    judge signed in by a sign-in card is not asked: the card is the credential.

    Registered by ``create_app`` after the hook that forgets the previous request's user."""
    if not current_user.is_authenticated or not current_user.must_change_password \
            or current_user.card_competition_id is not None \
            or request.endpoint in _OPEN_WHILE_CHANGING:
        return None
    if request.path.startswith("/api/"):
        return {"code": 403, "status": "Forbidden",
                "message": _("Choose a new password in the browser first.")}, 403
    return redirect(url_for("auth.change_password"))


# --- Everyone: their own password ------------------------------------------------------

@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            accounts.change_own_password(db.session, current_user, form.current.data,
                                         form.new.data)
        except DomainError as error:
            flash_domain_error(error)
        else:
            # The new stamp ended every session, this one too: sign this one in again.
            card = session.get(signin.CARD_SESSION_KEY)
            login_user(current_user._get_current_object())
            if card is not None:
                session[signin.CARD_SESSION_KEY] = card
            flash(_("Your password was changed. Every other device signed in as you has "
                    "been signed out."), "success")
            return redirect(url_for("events.dashboard"))
    return render_template("auth/password.html", form=form,
                           forced=current_user.must_change_password)


# --- Admins: every account ---------------------------------------------------------------

def _competition_choices() -> list[tuple[int, str]]:
    return [(c.id, c.name) for c in db.session.scalars(
        select(Competition).order_by(Competition.id.desc()))]


def _expert_choices() -> list[tuple[int, str]]:
    return [(0, _("None")), *((e.id, f"{e.name} · {e.work_unit}" if e.work_unit else e.name)
                              for e in db.session.scalars(select(Expert).order_by(Expert.name)))]


@bp.get("/admin/users")
@role_required(Role.ADMIN)
def users():
    """Every account, searchable by username or name and filterable by role."""
    form = AccountSearchForm(formdata=request.args)
    query = select(User).options(selectinload(User.expert)).order_by(User.username)
    term = (form.q.data or "").strip()
    if term:
        like = f"%{term.lower()}%"
        query = query.where(or_(func.lower(User.username).like(like),
                                func.lower(User.display_name).like(like)))
    if form.role.data in set(Role):
        query = query.where(User.role == form.role.data)
    rows = db.session.scalars(query.limit(PAGE_SIZE + 1)).all()
    competitions = {c.id: c.name for c in db.session.scalars(select(Competition))}
    organized: dict[int, list[str]] = {}
    for link in db.session.scalars(select(CompetitionOrganizer)):
        organized.setdefault(link.user_id, []).append(competitions.get(link.competition_id, ""))
    return render_template("auth/users.html", form=form, users=rows[:PAGE_SIZE],
                           more=len(rows) > PAGE_SIZE, competitions=competitions,
                           organized=organized, action_form=ActionForm())


@bp.route("/admin/users/new", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def user_new():
    form = AccountForm()
    form.competitions.choices = _competition_choices()
    form.expert.choices = _expert_choices()
    if form.validate_on_submit():
        expert = db.session.get(Expert, form.expert.data) if form.expert.data else None
        try:
            user, password = accounts.create_account(
                db.session, current_user, username=form.username.data,
                display_name=form.display_name.data, role=form.role.data,
                competition_ids=form.competitions.data or [], expert=expert)
        except DomainError as error:
            flash_domain_error(error)
        else:
            return _one_time_password_page(user, password, created=True)
    return render_template("auth/user_form.html", form=form)


def _one_time_password_page(user: User, password: str, *, created: bool):
    return _private(make_response(render_template(
        "auth/one_time_password.html", user=user, password=password, created=created)))


def _managed_user(user_id: int) -> User:
    user = db.get_or_404(User, user_id)
    if not accounts.may_manage(db.session, current_user, user):
        abort(403)
    return user


@bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def user_edit(user_id: int):
    user = db.get_or_404(User, user_id)
    form = AccountEditForm(obj=user)
    form.competitions.choices = _competition_choices()
    if not form.is_submitted():
        form.competitions.data = list(db.session.scalars(select(
            CompetitionOrganizer.competition_id).where(CompetitionOrganizer.user_id == user.id)))
    if form.validate_on_submit():
        try:
            user.display_name = form.display_name.data.strip()
            if user.role == Role.ORGANIZER:
                accounts.assign_competitions(db.session, current_user, user,
                                             form.competitions.data or [])
        except DomainError as error:
            flash_domain_error(error)
        else:
            flash(_("The account %(username)s was saved.", username=user.username), "success")
            return redirect(url_for("auth.users"))
    scope = db.session.get(Competition, user.competition_id) if user.competition_id else None
    return render_template("auth/user_edit.html", user=user, form=form, scope=scope,
                           action_form=ActionForm())


@bp.post("/admin/users/<int:user_id>/active")
@role_required(Role.ADMIN)
def user_active(user_id: int):
    user = _managed_user(user_id)
    _set_active(user, ActionForm())
    if request.form.get("back") == "list":
        return redirect(url_for("auth.users"))
    return redirect(url_for("auth.user_edit", user_id=user.id))


@bp.post("/admin/users/<int:user_id>/reset")
@role_required(Role.ADMIN)
def user_reset(user_id: int):
    user = _managed_user(user_id)
    return _reset(user, url_for("auth.user_edit", user_id=user.id))


def _set_active(user: User, form: ActionForm) -> None:
    if not form.validate_on_submit():
        flash(_("The form has expired. Try again."), "error")
        return
    try:
        accounts.set_active(db.session, current_user, user, not user.active)
    except DomainError as error:
        flash_domain_error(error)
        return
    if user.active:
        flash(_("The account %(username)s can sign in again.", username=user.username),
              "success")
    else:
        flash(_("The account %(username)s is disabled and signed out everywhere.",
                username=user.username), "success")


def _reset(user: User, back: str):
    if not ActionForm().validate_on_submit():
        flash(_("The form has expired. Try again."), "error")
        return redirect(back)
    try:
        password = accounts.reset_password(db.session, current_user, user)
    except DomainError as error:
        flash_domain_error(error)
        return redirect(back)
    return _one_time_password_page(user, password, created=False)


# --- Organizers: their judges' accounts --------------------------------------------------

@bp.post("/competitions/<int:competition_id>/judge-accounts")
@login_required
def judge_accounts_open(competition_id: int):
    """为裁判开通账号: accounts for every panel member without one, with a sign-in card
    each, answered as a PDF of initial passwords and cards (shown this once)."""
    competition = competition_for_organizer(competition_id)
    if not ActionForm().validate_on_submit():
        flash(_("The form has expired. Try again."), "error")
        return redirect(url_for("auth.signin_cards", competition_id=competition.id))
    try:
        opened = accounts.open_judge_accounts(db.session, current_user, competition)
        cards = dict((judge.user.id, secret) for judge, secret in signin.issue_cards(
            db.session, current_user, competition, [o.user.id for o in opened]))
    except DomainError as error:
        flash_domain_error(error)
        return redirect(url_for("auth.signin_cards", competition_id=competition.id))
    pdf = judge_accounts_pdf(competition, [
        (o, url_for("auth.signin_with_token", token=cards[o.user.id], _external=True),
         url_for("auth.login", _external=True)) for o in opened])
    title = _("Judges' accounts")
    name = re.sub(r'[\\/:*?"<>|\r\n]+', "_", f"{competition.name}-{title}.pdf")
    response = send_file(io.BytesIO(pdf), mimetype="application/pdf", as_attachment=True,
                         download_name=name)
    return _private(response)


def _judge_account(competition: Competition, user_id: int) -> User:
    user = db.get_or_404(User, user_id)
    if user.role != Role.JUDGE or user.competition_id != competition.id \
            or not accounts.may_manage(db.session, current_user, user):
        abort(404)
    return user


@bp.post("/competitions/<int:competition_id>/judge-accounts/<int:user_id>/reset")
@login_required
def judge_account_reset(competition_id: int, user_id: int):
    competition = competition_for_organizer(competition_id)
    user = _judge_account(competition, user_id)
    return _reset(user, url_for("auth.signin_cards", competition_id=competition.id))


@bp.post("/competitions/<int:competition_id>/judge-accounts/<int:user_id>/active")
@login_required
def judge_account_active(competition_id: int, user_id: int):
    competition = competition_for_organizer(competition_id)
    user = _judge_account(competition, user_id)
    _set_active(user, ActionForm())
    return redirect(url_for("auth.signin_cards", competition_id=competition.id))


@bp.post("/competitions/<int:competition_id>/judge-accounts/link")
@login_required
def judge_account_link(competition_id: int):
    """Tie an existing judge's account to an expert of the competition's panels."""
    competition = competition_for_organizer(competition_id)
    form = LinkAccountForm()
    back = redirect(url_for("auth.signin_cards", competition_id=competition.id))
    if not form.validate_on_submit():
        flash(_("Choose an account and a judge."), "error")
        return back
    user = db.session.get(User, form.user_id.data)
    expert = db.session.get(Expert, form.expert_id.data)
    if user is None or expert is None:
        abort(404)
    try:
        accounts.link_expert(db.session, current_user, competition, user, expert)
    except Refused:
        abort(403)
    except DomainError as error:
        flash_domain_error(error)
        return back
    flash(_("The account %(username)s now signs in as %(name)s.", username=user.username,
            name=expert.name), "success")
    return back


# --- Organizers: the supervision and arbitration group's accounts (监督仲裁组) ------------

@bp.route("/competitions/<int:competition_id>/supervisors", methods=["GET", "POST"])
@login_required
def supervisors(competition_id: int):
    """The competition's supervision and arbitration group: its members' accounts, and a
    form to open one (answered with its one-time password, shown this once)."""
    competition = competition_for_organizer(competition_id)
    form = SupervisorForm()
    if form.validate_on_submit():
        try:
            user, password = accounts.open_supervisor_account(
                db.session, current_user, competition, form.display_name.data)
        except DomainError as error:
            flash_domain_error(error)
        else:
            return _one_time_password_page(user, password, created=True)
    return render_template(
        "auth/supervisors.html", competition=competition, form=form,
        action_form=ActionForm(),
        members=accounts.competition_supervisors(db.session, current_user, competition))


def _supervisor_account(competition: Competition, user_id: int) -> User:
    user = db.get_or_404(User, user_id)
    if user.role != Role.SUPERVISOR or user.competition_id != competition.id \
            or not accounts.may_manage(db.session, current_user, user):
        abort(404)
    return user


@bp.post("/competitions/<int:competition_id>/supervisors/<int:user_id>/active")
@login_required
def supervisor_active(competition_id: int, user_id: int):
    """Disable (signed out everywhere at once) or enable a supervisor's account."""
    competition = competition_for_organizer(competition_id)
    user = _supervisor_account(competition, user_id)
    _set_active(user, ActionForm())
    return redirect(url_for("auth.supervisors", competition_id=competition.id))


@bp.post("/competitions/<int:competition_id>/supervisors/<int:user_id>/reset")
@login_required
def supervisor_reset(competition_id: int, user_id: int):
    competition = competition_for_organizer(competition_id)
    user = _supervisor_account(competition, user_id)
    return _reset(user, url_for("auth.supervisors", competition_id=competition.id))
