"""Flask-Principal's quick start: ``Principal(app)``, identities announced with
``identity_changed`` (blinker signals), needs provided in ``identity_loaded``, and a
``Permission(...).require(http_exception=403)`` guard; in def and async def views."""

# isort: off
import microflask.flask_patch  # noqa: F401  (first: from here on, flask is microflask)

# isort: on
from typing import Any

import pytest
from flask import Flask
from flask_principal import Identity, Permission, Principal, RoleNeed, identity_changed, identity_loaded

ADMIN = Permission(RoleNeed("admin"))


def make_app(kind: str) -> Flask:
    app = Flask(__name__)
    app.secret_key = "k"
    Principal(app)

    @identity_loaded.connect_via(app)
    def provide_roles(sender: Flask, identity: Identity) -> None:
        if identity.id == "ann":
            identity.provides.add(RoleNeed("admin"))

    @app.get("/login/<name>")
    def login(name: str) -> str:
        identity_changed.send(app, identity=Identity(name))
        return f"hello {name}"

    if kind == "def":

        @app.get("/admin")
        @ADMIN.require(http_exception=403)
        def admin() -> str:
            return "the admin page"

    else:

        @app.get("/admin")
        @ADMIN.require(http_exception=403)
        async def admin() -> str:
            return "the admin page"

    return app


@pytest.fixture(params=["def", "async"])
def client(request: pytest.FixtureRequest) -> Any:
    return make_app(request.param).test_client()


def test_permissions_follow_the_identity(client: Any) -> None:
    assert client.get("/admin").status_code == 403
    client.get("/login/bob")
    assert client.get("/admin").status_code == 403
    client.get("/login/ann")
    assert client.get("/admin").text == "the admin page"
