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

from competition.auth.forms import LoginForm, LogoutForm
from competition.auth.models import User
from competition.auth.service import authenticate, user_for_api_token
from competition.extensions import db, login_manager
from competition.hardening import throttle_by_address, throttle_by_username

bp = Blueprint("auth", __name__)

login_manager.login_view = "auth.login"
login_manager.login_message = None


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    return db.session.get(User, int(user_id))


@login_manager.request_loader
def load_user_from_token(req) -> User | None:
    """``Authorization: Bearer <token>`` signs an API caller in for one request."""
    header = req.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    return user_for_api_token(db.session, header.removeprefix("Bearer ").strip())


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
@throttle_by_username
def login():
    if current_user.is_authenticated:
        return redirect(url_for("events.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(db.session, form.username.data, form.password.data)
        if user is None:
            flash(_("Wrong username or password."), "error")
        else:
            db.session.commit()
            login_user(user, remember=form.remember.data)
            flash(_("Welcome, %(name)s.", name=user.display_name), "success")
            return redirect(_safe_next(request.args.get("next")) or url_for("events.dashboard"))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout():
    form = LogoutForm()
    if form.validate_on_submit():
        logout_user()
        flash(_("You have signed out."), "success")
    return redirect(url_for("auth.login"))


@bp.get("/lang/<code>")
def set_language(code: str):
    """Switch the interface language; available from every page."""
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
    return redirect(_safe_next(request.args.get("next")) or url_for("events.dashboard"))


# Sign-in by a printed QR code, in its own module on this blueprint.
from competition.auth import signin_views  # noqa: E402, F401
