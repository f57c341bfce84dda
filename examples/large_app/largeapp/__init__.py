"""largeapp: the layout of a bigger microflask app.

``create_app()`` is the application factory: it builds a new app, configures it for an
environment, binds the extensions and registers the blueprints. Nothing app-specific happens
at import time, so tests can make as many isolated apps as they like.

Run it with ``uvicorn --factory largeapp:create_app`` (see the README).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from microflask import MicroFlask, render_template

from .admin import bp as admin_bp
from .api import bp as api_bp
from .auth import bp as auth_bp
from .config import configure
from .extensions import audit
from .store import Store

__all__ = ["create_app"]


def create_app(config_name_or_mapping: str | Mapping[str, Any] | None = None) -> MicroFlask:
    """A new app.

    ``config_name_or_mapping``: ``"development"``, ``"testing"`` or ``"production"``; None
    for ``$LARGEAPP_ENV`` (default ``development``); or a mapping of settings over the
    testing config (what tests pass).
    """
    app = MicroFlask(__name__)
    configure(app, config_name_or_mapping)

    store = Store(app.config["PASSWORD_HASH_ITERATIONS"])
    for username, password, is_admin in app.config["SEED_USERS"]:
        store.add_user(username, password, is_admin)
    app.extensions["largeapp.store"] = store

    audit.init_app(app)  # before the blueprints: its hooks then run first

    app.register_blueprint(auth_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(admin_bp)

    @app.route("/")
    async def index() -> Any:
        return await render_template("index.html")

    return app
