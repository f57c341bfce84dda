"""The ``auth`` blueprint: log in and out with a signed-cookie session.

``/auth/login`` (GET shows the form, POST checks it) and ``/auth/logout`` (POST). The
session holds only the user's id; :func:`load_user` runs before *every* request of the app
(``before_app_request``) and puts the user in ``g.user`` for views, other blueprints and
templates. Templates live in this package's ``templates/auth/`` folder.
"""

from __future__ import annotations

from typing import Any

from microflask import Blueprint, flash, g, redirect, render_template, request, session, url_for

from ..extensions import audit
from ..store import get_store

__all__ = ["bp", "load_user", "safe_next"]

bp = Blueprint("auth", __name__, url_prefix="/auth", template_folder="templates")


@bp.before_app_request
def load_user() -> None:
    """``g.user``: the logged-in :class:`~largeapp.store.User`, or None."""
    g.user = get_store().get_user(session.get("user_id"))


def safe_next(target: str | None) -> str:
    """Where to go after logging in: a path on this site, never another site (``//evil``)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("index")


@bp.route("/login", methods=["GET", "POST"])
async def login() -> Any:
    error = None
    next_url = request.args.get("next", "")
    if request.method == "POST":
        form = await request.form
        next_url = form.get("next", "")
        username = form.get("username", "").strip()
        user = await get_store().authenticate(username, form.get("password", ""))
        if user is not None:
            session.clear()  # a fresh session at each login
            session["user_id"] = user.id
            g.user = user
            audit.record("auth.login")
            flash(f"Welcome, {user.username}.")
            return redirect(safe_next(next_url))
        audit.record("auth.login_failed", username=username)
        error = "Unknown username or wrong password."
    page = await render_template("auth/login.html", error=error, next=next_url)
    return page, 400 if error else 200


@bp.post("/logout")
async def logout() -> Any:
    if g.user is not None:
        audit.record("auth.logout")
    session.clear()
    flash("You are logged out.")
    return redirect(url_for("index"))
