from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from oms.access import Access, access, current_actor
from oms.blueprints.auth import bp
from oms.blueprints.auth.forms import LoginForm
from oms.extensions import db
from oms.services import users
from oms.transactions import keep_changes


def _safe_next(target: str | None) -> str:
    """Only same-site paths: an open redirect would let phishing links pass through us."""
    # Browsers read "\" as "/" and drop tabs and newlines, so "/\evil.example" would leave.
    if (target and target.startswith("/") and not target.startswith("//")
            and "\\" not in target and target.isprintable()):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("orders.index")


@bp.route("/login", methods=["GET", "POST"])
@access(Access.public)
def login():
    """Sign in."""
    if current_user.is_authenticated:
        return redirect(url_for("orders.index"))
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form), 422 if form.is_submitted() else 200
    result = users.authenticate(
        db.session, form.username.data, form.password.data, request.remote_addr,
        max_failures=current_app.config["LOGIN_MAX_FAILURES"],
        lock_minutes=current_app.config["LOGIN_LOCK_MINUTES"],
    )
    keep_changes()  # a failed attempt counts towards the lock, although refused
    if result.locked:
        flash(_("Too many failed attempts. Try again in %(minutes)d minutes.",
                minutes=current_app.config["LOGIN_LOCK_MINUTES"]), "error")
        return render_template("auth/login.html", form=form), 429
    if result.user is None:
        flash(_("The user name or password is wrong."), "error")
        return render_template("auth/login.html", form=form), 422
    lang = session.get("lang")
    session.clear()  # a fresh session on sign-in: no fixation
    if lang:
        session["lang"] = lang
    session.permanent = True  # PERMANENT_SESSION_LIFETIME bounds the session
    login_user(result.user)
    return redirect(_safe_next(request.args.get("next")), 303)


@bp.post("/logout")
@access(Access.operator)
def logout():
    """Sign out everywhere."""
    users.end_sessions(db.session, current_user.id, current_actor())
    lang = session.get("lang")
    logout_user()
    session.clear()
    if lang:  # the kiosk keeps its interface language for the next person
        session["lang"] = lang
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"), 303)


@bp.post("/language")
@access(Access.public)
def language():
    """Switch the interface language."""
    lang = request.form.get("lang")
    if lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
    return redirect(_safe_next(request.form.get("next")), 303)
