"""Signing in and out: the ``auth`` blueprint, its sign-in page, and the loaders that find
the user of a session, a "remember me" cookie or an API token (``auth.credentials``).

The account pages and the sign-in cards add their routes to this blueprint
(``account_views``, ``signin_views``).
"""

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from competition.accounts import signin
from competition.accounts.forms import LoginForm, LogoutForm
from competition.auth.credentials import authenticate, user_for_api_token, user_for_session_id
from competition.auth.models import User
from competition.extensions import db, login_manager
from competition.hardening import (
    note_failed_sign_in,
    note_signed_in,
    sign_in_wait,
    throttle_by_address,
)

bp = Blueprint("auth", __name__)

login_manager.login_view = "auth.login"
login_manager.login_message = None


@login_manager.user_loader
def load_user(remembered: str) -> User | None:
    """The user a session or "remember me" cookie names, while its stamp is current.

    A session opened by a sign-in card acts only in the card's competition, and only
    until the card's session ends (``accounts.signin.card_session``).
    """
    user = user_for_session_id(db.session, remembered)
    if user is None:
        return None
    # Set on every load: the same object may serve another request in this session.
    user.card_competition_id = None
    card = session.get(signin.CARD_SESSION_KEY)
    if card is not None:
        competition_id = signin.card_session_scope(db.session, card, user)
        if competition_id is None:
            return None
        user.card_competition_id = competition_id
    return user


@login_manager.request_loader
def load_user_from_token(req) -> User | None:
    """``Authorization: Bearer <token>`` signs an API caller in for one request."""
    header = req.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    user = user_for_api_token(db.session, header.removeprefix("Bearer ").strip())
    if user is not None:
        user.card_competition_id = None
    return user


@login_manager.unauthorized_handler
def unauthorized():
    if request.path.startswith("/api/"):
        return jsonify(code=401, message=_("Sign in first.")), 401
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def _safe_next(target: str | None) -> str | None:
    """Only redirect within this site after signing in."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/"):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
@throttle_by_address
def login():
    if current_user.is_authenticated:
        return redirect(url_for("events.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        wait = sign_in_wait(form.username.data)
        if wait:
            flash(_("Too many wrong passwords for this account from here. Try again in "
                    "%(seconds)s seconds.", seconds=wait), "error")
            return render_template("auth/login.html", form=form), 429
        user = authenticate(db.session, form.username.data, form.password.data)
        if user is None:
            note_failed_sign_in(form.username.data)
            flash(_("Wrong username or password."), "error")
        else:
            note_signed_in(form.username.data)
            session.pop(signin.CARD_SESSION_KEY, None)
            login_user(user, remember=form.remember.data)
            flash(_("Welcome, %(name)s.", name=user.display_name), "success")
            return redirect(_safe_next(request.args.get("next")) or url_for("events.dashboard"))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout():
    form = LogoutForm()
    if form.validate_on_submit():
        if current_user.is_authenticated:
            # Every copy of this user's session and "remember me" cookie ends too.
            current_user.end_sessions()
        logout_user()
        session.pop(signin.CARD_SESSION_KEY, None)
        flash(_("You have signed out."), "success")
    return redirect(url_for("auth.login"))


@bp.get("/lang/<code>")
def set_language(code: str):
    """Switch the interface language; available from every page."""
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
    return redirect(_safe_next(request.args.get("next")) or url_for("events.dashboard"))


# The account pages and sign-in by a printed QR code, in their own modules on this blueprint.
from competition.accounts import account_views, signin_views  # noqa: E402, F401
