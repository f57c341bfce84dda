"""The ``admin`` blueprint: pages for administrators, rendered from templates.

Its ``before_request`` hook guards every admin page, including those of the nested
``admin.reports`` blueprint (``reports.py``, mounted at ``/admin/reports``): a blueprint's
hooks apply to the blueprints nested in it. Anonymous visitors are sent to the login page;
logged-in users who are not admins get a 403. Templates live in ``templates/admin/``.
"""

from __future__ import annotations

from typing import Any

from microflask import Blueprint, abort, g, redirect, render_template, request, url_for

from ..extensions import audit
from ..store import get_store
from .reports import bp as reports_bp

__all__ = ["bp"]

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")
bp.register_blueprint(reports_bp)  # endpoints "admin.reports.*", URLs /admin/reports/*


@bp.before_request
def require_admin() -> Any:
    if g.get("user") is None:
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    if not g.user.is_admin:
        abort(403, "Administrators only.")
    return None


@bp.route("/")
async def index() -> Any:
    state = audit.state()
    return await render_template(
        "admin/index.html",
        users=sorted(get_store().users.values(), key=lambda u: u.username),
        entries=list(reversed(audit.entries()))[:20],
        requests=state.requests,
        mean_ms=state.mean_ms,
    )
