"""Flask-Security (Flask-Security-Too)'s quick start with Flask-SQLAlchemy (its ``fsqla_v3``
models, an in-memory SQLite database): its login form with Flask-WTF's CSRF token, the JSON
login with an auth token, registration, change password, logout, remember-me, and our own views
guarded by ``@auth_required()``, ``@roles_required``, ``@roles_accepted`` and
``@permissions_required``: a redirect to the login page for a browser, 401/403 JSON for an
API client. The CSRF set-up its docs give for JSON APIs (``CSRFProtect``,
``WTF_CSRF_CHECK_DEFAULT = False``, ``SECURITY_CSRF_IGNORE_UNAUTH_ENDPOINTS``, its
``XSRF-TOKEN`` cookie). Our guarded views are ``def`` and ``async def``; Flask-Security's own
views are its own sync views (bcrypt with 4 rounds, to keep the tests quick)."""

# isort: off
import microflask.flask_patch  # noqa: F401  (first: from here on, flask is microflask)

# isort: on
import datetime
import re
import time
from typing import Any

import pytest
from flask import Flask, g, render_template_string, request
from flask_babel import Babel
from flask_mail import Mail
from flask_security import (
    Security,
    SQLAlchemyUserDatastore,
    auth_required,
    current_user,
    hash_password,
    permissions_required,
    roles_accepted,
    roles_required,
    user_authenticated,
    user_registered,
    verify_password,
)
from flask_security.models import fsqla_v3 as fsqla
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

# Flask-Security 5.9's two-factor and unified sign-in forms give WTForms 3.3 their choices as
# tuples, which WTForms deprecates (a warning, in Flask too); our warnings are errors.
pytestmark = pytest.mark.filterwarnings("ignore:Passing SelectField choices as tuples:DeprecationWarning")

db = SQLAlchemy()
fsqla.FsModels.set_db_info(db)


class Role(db.Model, fsqla.FsRoleMixin):  # type: ignore[name-defined,misc]
    pass


class User(db.Model, fsqla.FsUserMixin):  # type: ignore[name-defined,misc]
    pass


JSON = {"Accept": "application/json"}


def make_app(kind: str, *, api_csrf: bool = False, mail: bool = False, **config: Any) -> Flask:
    """The quick start's app, with our own guarded views as ``def`` or ``async def``.

    ``api_csrf``: the set-up its docs give for a JSON API (CSRF checked by ``CSRFProtect`` on
    authenticated requests only, its token read from a header or the ``XSRF-TOKEN`` cookie).
    ``mail``: Flask-Mail (sending suppressed), confirmable and recoverable accounts.
    ``config``: more settings, before ``Security(app, ...)`` reads them.
    """
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY="a test secret key for flask-security",
        SECURITY_PASSWORD_SALT="a test salt",
        SECURITY_PASSWORD_HASH="bcrypt",
        SECURITY_PASSWORD_HASH_PASSLIB_OPTIONS={"bcrypt__rounds": 4},
        SECURITY_REGISTERABLE=True,
        SECURITY_SEND_REGISTER_EMAIL=False,
        SECURITY_CHANGEABLE=True,
        SECURITY_SEND_PASSWORD_CHANGE_EMAIL=False,
        SECURITY_POST_LOGIN_VIEW="/private",
        SECURITY_POST_LOGOUT_VIEW="/bye",
        SECURITY_POST_REGISTER_VIEW="/private",
        SECURITY_EMAIL_VALIDATOR_ARGS={"check_deliverability": False},  # no DNS look-ups
        SQLALCHEMY_DATABASE_URI="sqlite://",
    )
    if api_csrf:
        app.config.update(
            WTF_CSRF_CHECK_DEFAULT=False,
            SECURITY_CSRF_IGNORE_UNAUTH_ENDPOINTS=True,
            SECURITY_CSRF_PROTECT_MECHANISMS=["session", "basic"],
            SECURITY_CSRF_COOKIE_NAME="XSRF-TOKEN",
            WTF_CSRF_TIME_LIMIT=None,
            SECURITY_LOGOUT_CSRF=True,
        )
        CSRFProtect(app)
    if mail:
        app.config.update(
            MAIL_SUPPRESS_SEND=True,
            MAIL_DEFAULT_SENDER="site@example.com",
            SECURITY_CONFIRMABLE=True,
            SECURITY_RECOVERABLE=True,
            SECURITY_SEND_REGISTER_EMAIL=True,
        )
        Mail(app)
    app.config.update(config)
    db.init_app(app)
    security = Security(app, SQLAlchemyUserDatastore(db, User, Role))
    app.security = security  # type: ignore[attr-defined]

    with app.app_context():
        db.create_all()
        datastore = security.datastore
        datastore.create_role(name="admin", permissions={"admin-write", "admin-read"})
        datastore.create_role(name="editor", permissions={"admin-read"})
        now = datetime.datetime.now()
        for name, role in (("ada", "admin"), ("bob", "editor")):
            datastore.create_user(
                email=f"{name}@example.com", password=hash_password(f"{name} password"), roles=[role], confirmed_at=now
            )
        db.session.commit()

    @app.get("/bye")
    def bye() -> str:
        return "logged out"

    if kind == "def":

        @app.route("/private", methods=["GET", "POST"])
        @auth_required()
        def private() -> str:
            return render_template_string("Hello {{ current_user.email }}")

        @app.get("/token-only")
        @auth_required("token")
        def token_only() -> dict[str, Any]:
            return {"email": current_user.email, "via": g.fs_authn_via}

        @app.get("/basic")
        @auth_required("basic")
        def basic() -> str:
            return f"basic {current_user.email}"

        @app.get("/admin")
        @auth_required()
        @roles_required("admin")
        def admin() -> str:
            return "the admin page"

        @app.get("/staff")
        @roles_accepted("admin", "editor")
        def staff() -> str:
            return f"staff {current_user.email}"

        @app.get("/write")
        @permissions_required("admin-write")
        def write() -> str:
            return "may write"

        @app.get("/sensitive")
        @auth_required(within=5, grace=0)
        def sensitive() -> str:
            return f"fresh {current_user.email}"

    else:

        @app.route("/private", methods=["GET", "POST"])
        @auth_required()
        async def private() -> str:
            return render_template_string("Hello {{ current_user.email }}")

        @app.get("/token-only")
        @auth_required("token")
        async def token_only() -> dict[str, Any]:
            return {"email": current_user.email, "via": g.fs_authn_via}

        @app.get("/basic")
        @auth_required("basic")
        async def basic() -> str:
            return f"basic {current_user.email}"

        @app.get("/admin")
        @auth_required()
        @roles_required("admin")
        async def admin() -> str:
            return "the admin page"

        @app.get("/staff")
        @roles_accepted("admin", "editor")
        async def staff() -> str:
            return f"staff {current_user.email}"

        @app.get("/write")
        @permissions_required("admin-write")
        async def write() -> str:
            return "may write"

        @app.get("/sensitive")
        @auth_required(within=5, grace=0)
        async def sensitive() -> str:
            return f"fresh {current_user.email}"

    return app


@pytest.fixture(params=["def", "async"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def app(kind: str) -> Flask:
    return make_app(kind)


def csrf_token(page: str) -> str:
    found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert found, page
    return found.group(1)


def login_form(client: Any, email: str, password: str, **extra: Any) -> Any:
    token = csrf_token(client.get("/login").text)
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token, **extra})


def test_a_browser_is_sent_to_the_login_page_an_api_client_gets_401(app: Flask) -> None:
    client = app.test_client()
    reply = client.get("/private")
    assert reply.status_code == 302
    assert reply.headers["Location"] == "/login?next=/private"
    reply = client.get("/private", headers=JSON)
    assert reply.status_code == 401
    assert reply.get_json()["response"]["errors"] == ["You must sign in to view this resource."]


def test_the_login_form_with_its_csrf_token(app: Flask) -> None:
    client = app.test_client()
    page = client.get("/login?next=/admin")
    assert page.status_code == 200
    assert '<form action="/login?next=/admin" method="post" name="login_user_form">' in page.text
    # Without the CSRF token the form is not accepted: the page again, with the error.
    reply = client.post("/login", data={"email": "ada@example.com", "password": "ada password"})
    assert reply.status_code == 200
    assert "The CSRF token is missing." in reply.text
    assert client.get("/private").status_code == 302
    # A wrong password: the form again, with its message.
    reply = login_form(client, "ada@example.com", "not it")
    assert reply.status_code == 200
    assert "Invalid password" in reply.text
    # The right one: to POST_LOGIN_VIEW, or to "next".
    reply = login_form(client, "ada@example.com", "ada password")
    assert reply.status_code == 302
    assert reply.headers["Location"] == "/private"
    assert client.get("/private").text == "Hello ada@example.com"
    assert client.get("/admin").text == "the admin page"
    other = app.test_client()
    token = csrf_token(other.get("/login").text)
    reply = other.post(
        "/login?next=/admin", data={"email": "ada@example.com", "password": "ada password", "csrf_token": token}
    )
    assert reply.headers["Location"] == "/admin"


def test_json_login_gives_an_auth_token(kind: str) -> None:
    app = make_app(kind)
    app.config["WTF_CSRF_ENABLED"] = False  # as its docs allow in tests
    client = app.test_client()
    reply = client.post("/login", json={"email": "ada@example.com", "password": "nope"})
    assert reply.status_code == 400
    assert reply.get_json()["response"]["field_errors"]["password"] == ["Invalid password"]
    reply = client.post("/login?include_auth_token", json={"email": "ada@example.com", "password": "ada password"})
    assert reply.status_code == 200
    body = reply.get_json()["response"]
    token = body["user"]["authentication_token"]
    assert token
    # The session is logged in too.
    assert client.get("/private").text == "Hello ada@example.com"
    # The token alone, from another client: a token-only view.
    other = app.test_client()
    assert other.get("/token-only", headers=JSON).status_code == 401
    reply = other.get("/token-only", headers={"Authentication-Token": token, **JSON})
    assert reply.status_code == 200
    assert reply.get_json() == {"email": "ada@example.com", "via": "token"}
    # In the query string too (SECURITY_TOKEN_AUTHENTICATION_KEY).
    assert other.get(f"/token-only?auth_token={token}").get_json()["via"] == "token"
    assert other.get("/token-only", headers={"Authentication-Token": "forged", **JSON}).status_code == 401


def test_roles_and_permissions(app: Flask) -> None:
    app.config["WTF_CSRF_ENABLED"] = False
    client = app.test_client()
    client.post("/login", json={"email": "bob@example.com", "password": "bob password"})
    # bob is an editor: not an admin.
    reply = client.get("/admin", headers=JSON)
    assert reply.status_code == 403
    assert reply.get_json()["response"]["errors"] == ["You do not have permission to view this resource."]
    assert client.get("/admin").status_code == 403  # a browser: no UNAUTHORIZED_VIEW set, so 403
    assert client.get("/staff").text == "staff bob@example.com"
    assert client.get("/write", headers=JSON).status_code == 403
    client.post("/logout", json={})
    # Without @auth_required, a role check fails as "forbidden" for an anonymous user too.
    assert client.get("/staff", headers=JSON).status_code == 403
    assert client.get("/admin", headers=JSON).status_code == 401
    client.post("/login", json={"email": "ada@example.com", "password": "ada password"})
    assert client.get("/admin").text == "the admin page"
    assert client.get("/staff").text == "staff ada@example.com"
    assert client.get("/write").text == "may write"


def test_unauthorized_view_redirects_a_browser(kind: str) -> None:
    app = make_app(kind)
    app.config["WTF_CSRF_ENABLED"] = False
    app.config["SECURITY_UNAUTHORIZED_VIEW"] = "/bye"
    client = app.test_client()
    client.post("/login", json={"email": "bob@example.com", "password": "bob password"})
    reply = client.get("/admin")
    assert reply.status_code == 302
    assert reply.headers["Location"] == "/bye"
    assert client.get("/admin", headers=JSON).status_code == 403


def test_basic_auth(app: Flask) -> None:
    client = app.test_client()
    reply = client.get("/basic")
    assert reply.status_code == 401
    assert reply.headers["WWW-Authenticate"] == 'Basic realm="Login Required"'
    reply = client.get("/basic", auth=("ada@example.com", "ada password"))
    assert reply.text == "basic ada@example.com"
    assert client.get("/basic", auth=("ada@example.com", "wrong")).status_code == 401


def test_logout(app: Flask) -> None:
    client = app.test_client()
    login_form(client, "ada@example.com", "ada password")
    assert client.get("/private").status_code == 200
    assert client.get("/logout").status_code == 405  # SECURITY_LOGOUT_METHODS: POST only
    reply = client.post("/logout")
    assert reply.status_code == 302
    assert reply.headers["Location"] == "/bye"
    assert client.get("/private").status_code == 302
    app.config["WTF_CSRF_ENABLED"] = False
    client.post("/login", json={"email": "ada@example.com", "password": "ada password"})
    reply = client.post("/logout", json={})
    assert reply.status_code == 200
    assert client.get("/private", headers=JSON).status_code == 401


def test_remember_me_cookie_logs_in_a_new_session(app: Flask) -> None:
    client = app.test_client()
    reply = login_form(client, "ada@example.com", "ada password", remember="y")
    cookie = next(c for c in reply.headers.getlist("Set-Cookie") if c.startswith("remember_token="))
    fresh = app.test_client()
    fresh.set_cookie("remember_token", cookie.split(";")[0].split("=", 1)[1])
    assert fresh.get("/private").text == "Hello ada@example.com"


def test_register_with_the_form_and_with_json(app: Flask) -> None:
    registered: list[str] = []
    authenticated: list[str] = []

    def on_registered(sender: Any, user: Any, **extra: Any) -> None:
        registered.append(user.email)

    def on_authenticated(sender: Any, user: Any, authn_via: list[str], **extra: Any) -> None:
        authenticated.append(f"{user.email} via {authn_via}")

    user_registered.connect(on_registered, app)
    user_authenticated.connect(on_authenticated, app)
    try:
        client = app.test_client()
        page = client.get("/register")
        assert page.status_code == 200
        form = {
            "email": "cy@example.com",
            "password": "cy's long password",
            "password_confirm": "cy's long password",
            "csrf_token": csrf_token(page.text),
        }
        reply = client.post("/register", data=form)
        assert reply.status_code == 302
        assert reply.headers["Location"] == "/private"
        assert client.get("/private").text == "Hello cy@example.com"  # logged in
        # The same address again: the form with its message.
        other = app.test_client()
        form["csrf_token"] = csrf_token(other.get("/register").text)
        reply = other.post("/register", data=form)
        assert reply.status_code == 200
        assert "cy@example.com is already associated with an account." in reply.text
        # JSON (CSRF off for the API, as its docs allow in tests).
        app.config["WTF_CSRF_ENABLED"] = False
        api = app.test_client()
        reply = api.post(
            "/register",
            json={"email": "dee@example.com", "password": "dee's password!", "password_confirm": "dee's password!"},
        )
        assert reply.status_code == 200, reply.text
        assert api.get("/private", headers=JSON).text == "Hello dee@example.com"
        reply = app.test_client().post(
            "/register", json={"email": "not an email", "password": "short", "password_confirm": "short"}
        )
        assert reply.status_code == 400
        errors = reply.get_json()["response"]["field_errors"]
        assert set(errors) == {"email", "password"}
        assert registered == ["cy@example.com", "dee@example.com"]
        assert authenticated == ["cy@example.com via ['register']", "dee@example.com via ['register']"]
        with app.app_context():
            user = app.security.datastore.find_user(email="cy@example.com")  # type: ignore[attr-defined]
            assert verify_password("cy's long password", user.password)
    finally:
        user_registered.disconnect(on_registered, app)
        user_authenticated.disconnect(on_authenticated, app)


def test_change_password(app: Flask) -> None:
    client = app.test_client()
    login_form(client, "ada@example.com", "ada password")
    page = client.get("/change")
    assert page.status_code == 200
    form = {
        "password": "ada password",
        "new_password": "ada's new password",
        "new_password_confirm": "ada's new password",
        "csrf_token": csrf_token(page.text),
    }
    reply = client.post("/change", data={**form, "password": "wrong"})
    assert reply.status_code == 200
    assert "Invalid password" in reply.text
    reply = client.post("/change", data=form)
    assert reply.status_code == 302
    # Still logged in, with the new password from now on.
    assert client.get("/private").text == "Hello ada@example.com"
    other = app.test_client()
    assert "Invalid password" in login_form(other, "ada@example.com", "ada password").text
    assert login_form(other, "ada@example.com", "ada's new password").status_code == 302
    # JSON
    app.config["WTF_CSRF_ENABLED"] = False
    reply = other.post(
        "/change",
        json={
            "password": "ada's new password",
            "new_password": "third password",
            "new_password_confirm": "third password",
        },
    )
    assert reply.status_code == 200, reply.text
    assert (
        app.test_client().post("/login", json={"email": "ada@example.com", "password": "third password"}).status_code
        == 200
    )


def test_change_password_needs_a_login(app: Flask) -> None:
    client = app.test_client()
    assert client.get("/change").status_code == 302
    assert client.get("/change", headers=JSON).status_code == 401


def test_the_json_api_csrf_setup(kind: str) -> None:
    app = make_app(kind, api_csrf=True)
    client = app.test_client()
    # Unauthenticated endpoints (login) take JSON without a CSRF token.
    reply = client.post("/login", json={"email": "ada@example.com", "password": "ada password"})
    assert reply.status_code == 200, reply.text
    csrf = reply.get_json()["response"]["csrf_token"]
    # The XSRF-TOKEN cookie Flask-Security sets for a JavaScript client.
    cookie = client.get_cookie("XSRF-TOKEN")
    assert cookie is not None and cookie.value
    # Authenticated through the session: a POST without the token is refused.
    reply = client.post("/private", json={}, headers=JSON)
    assert reply.status_code == 400
    assert "CSRF" in reply.get_json()["response"]["errors"][0]
    assert client.post("/private", json={}, headers={"X-CSRF-Token": csrf}).text == "Hello ada@example.com"
    assert client.post("/private", json={}, headers={"X-XSRF-Token": cookie.value}).text == "Hello ada@example.com"
    # A GET needs no token.
    assert client.get("/private").text == "Hello ada@example.com"
    # With SECURITY_LOGOUT_CSRF, logging out needs the token too.
    assert client.post("/logout", json={}).status_code == 400
    assert client.post("/logout", json={}, headers={"X-CSRF-Token": csrf}).status_code == 200
    assert client.get("/private", headers=JSON).status_code == 401


def test_the_request_context_is_the_views(app: Flask) -> None:
    app.config["WTF_CSRF_ENABLED"] = False
    seen: list[str] = []

    @app.before_request
    def note() -> None:
        seen.append(request.path)

    client = app.test_client()
    client.post("/login", json={"email": "ada@example.com", "password": "ada password"})
    assert client.get("/private").text == "Hello ada@example.com"
    assert seen == ["/login", "/private"]


def test_freshness_asks_to_verify_the_password(kind: str) -> None:
    app = make_app(kind)
    client = app.test_client()
    login_form(client, "ada@example.com", "ada password")
    assert client.get("/sensitive").text == "fresh ada@example.com"
    with client.session_transaction() as session:  # logged in an hour ago
        session["fs_paa"] = time.time() - 3600
        session.pop("fs_gexp", None)
    assert client.get("/private").text == "Hello ada@example.com"
    reply = client.get("/sensitive")
    assert reply.status_code == 302
    assert reply.headers["Location"] == "/verify?next=/sensitive"
    reply = client.get("/sensitive", headers=JSON)
    assert reply.status_code == 401
    assert reply.get_json()["response"]["reauth_required"] is True
    page = client.get("/verify?next=/sensitive")
    reply = client.post(
        "/verify?next=/sensitive", data={"password": "ada password", "csrf_token": csrf_token(page.text)}
    )
    assert reply.status_code == 302
    assert reply.headers["Location"] == "/sensitive"
    assert client.get("/sensitive").text == "fresh ada@example.com"


def mailed_link(message: object, path: str) -> str:
    found = re.search(rf"http://localhost({path}/[^\s\"<]+)", message.body)  # type: ignore[attr-defined]
    assert found, message.body  # type: ignore[attr-defined]
    return found.group(1)


def test_confirm_the_address_then_log_in(kind: str) -> None:
    app = make_app(kind, mail=True)
    app.config["WTF_CSRF_ENABLED"] = False
    mail = app.extensions["mail"]
    client = app.test_client()
    with mail.record_messages() as outbox:
        reply = client.post(
            "/register",
            json={"email": "eve@example.com", "password": "eve's password", "password_confirm": "eve's password"},
        )
        assert reply.status_code == 200, reply.text
    assert [m.recipients for m in outbox] == [["eve@example.com"]]
    assert outbox[0].sender == "site@example.com"
    link = mailed_link(outbox[0], "/confirm")
    # Not confirmed yet: no login.
    reply = client.post("/login", json={"email": "eve@example.com", "password": "eve's password"})
    assert reply.status_code == 400
    assert reply.get_json()["response"]["errors"] == ["Email requires confirmation."]
    reply = client.get(link)
    assert reply.status_code == 302
    assert client.post("/login", json={"email": "eve@example.com", "password": "eve's password"}).status_code == 200
    assert client.get("/private").text == "Hello eve@example.com"


def test_forgot_password_mail_and_reset(kind: str) -> None:
    app = make_app(kind, mail=True)
    mail = app.extensions["mail"]
    client = app.test_client()
    page = client.get("/reset")
    assert page.status_code == 200
    with mail.record_messages() as outbox:
        reply = client.post("/reset", data={"email": "bob@example.com", "csrf_token": csrf_token(page.text)})
        assert reply.status_code == 200
    assert [m.recipients for m in outbox] == [["bob@example.com"]]
    link = mailed_link(outbox[0], "/reset")
    page = client.get(link)
    assert page.status_code == 200
    form = {"password": "bob's new one", "password_confirm": "bob's new one", "csrf_token": csrf_token(page.text)}
    with mail.record_messages() as outbox:
        reply = client.post(link, data=form)
    assert reply.status_code == 302
    assert [m.subject for m in outbox] == ["Your password has been reset"]
    assert "Invalid password" in login_form(app.test_client(), "bob@example.com", "bob password").text
    assert login_form(app.test_client(), "bob@example.com", "bob's new one").status_code == 302


def test_its_commands(kind: str) -> None:
    app = make_app(kind)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["roles", "create", "auditor", "-d", "reads the logs"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["users", "create", "fay@example.com", "--password", "fay's password", "--active"])
    assert result.exit_code == 0, result.output
    assert "User created successfully" in result.output
    result = runner.invoke(args=["roles", "add", "fay@example.com", "auditor"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["users", "create", "not an email", "--password", "x"])
    assert result.exit_code != 0
    with app.app_context():
        user = app.security.datastore.find_user(email="fay@example.com")  # type: ignore[attr-defined]
        assert [role.name for role in user.roles] == ["auditor"]
    client = app.test_client()
    app.config["WTF_CSRF_ENABLED"] = False
    assert client.post("/login", json={"email": "fay@example.com", "password": "fay's password"}).status_code == 200


TWO_FACTOR = {
    "SECURITY_TWO_FACTOR": True,
    "SECURITY_TWO_FACTOR_ENABLED_METHODS": ["email"],
    "SECURITY_TOTP_SECRETS": {"1": "a long secret for the totp codes of the tests"},
    "SECURITY_TOTP_ISSUER": "microflask tests",
    "SECURITY_TWO_FACTOR_ALWAYS_VALIDATE": False,  # "remember me" skips the code for a while
    "SECURITY_TWO_FACTOR_VALIDITY_COOKIE": {"httponly": True, "secure": False, "samesite": "Strict"},
    "WTF_CSRF_ENABLED": False,
}


def mailed_code(outbox: list[Any]) -> str:
    assert len(outbox) == 1
    found = re.search(r"\b(\d{6})\b", outbox[0].body)
    assert found, outbox[0].body
    return found.group(1)


def test_two_factor_by_mail(kind: str) -> None:
    app = make_app(kind, mail=True, **TWO_FACTOR)
    mail = app.extensions["mail"]
    client = app.test_client()
    assert client.post("/login", json={"email": "ada@example.com", "password": "ada password"}).status_code == 200
    # Set up the second factor: a code by mail, then validated.
    with mail.record_messages() as outbox:
        reply = client.post("/tf-setup", json={"setup": "email"})
        assert reply.status_code == 200, reply.text
    assert client.post("/tf-validate", json={"code": mailed_code(outbox)}).status_code == 200
    assert client.post("/logout", json={}).status_code == 200
    # Logging in now needs the mailed code too.
    with mail.record_messages() as outbox:
        reply = client.post("/login", json={"email": "ada@example.com", "password": "ada password", "remember": True})
    assert reply.get_json()["response"]["tf_required"] is True
    assert reply.get_json()["response"]["tf_method"] == "email"
    assert client.get("/private", headers=JSON).status_code == 401
    reply = client.post("/tf-validate", json={"code": "000000"})
    assert reply.status_code == 400
    assert reply.get_json()["response"]["field_errors"]["code"] == ["Invalid code"]
    reply = client.post("/tf-validate", json={"code": mailed_code(outbox)})
    assert reply.status_code == 200
    assert client.get("/private").text == "Hello ada@example.com"
    # "Remember me": its tf_validity cookie skips the code at the next login.
    assert client.get_cookie("tf_validity") is not None
    client.post("/logout", json={})
    with mail.record_messages() as outbox:
        reply = client.post("/login", json={"email": "ada@example.com", "password": "ada password"})
    assert reply.get_json()["response"]["tf_required"] is False
    assert outbox == []
    assert client.get("/private").text == "Hello ada@example.com"
    # Another browser (no cookie) is asked for the code.
    other = app.test_client()
    reply = other.post("/login", json={"email": "ada@example.com", "password": "ada password"})
    assert reply.get_json()["response"]["tf_required"] is True


def test_unified_signin_with_a_mailed_code(kind: str) -> None:
    app = make_app(
        kind,
        mail=True,
        SECURITY_UNIFIED_SIGNIN=True,
        SECURITY_US_ENABLED_METHODS=["password", "email"],
        SECURITY_TOTP_ISSUER="microflask tests",
        SECURITY_TOTP_SECRETS={"1": "a long secret for the totp codes of the tests"},
        WTF_CSRF_ENABLED=False,
    )
    mail = app.extensions["mail"]
    client = app.test_client()
    # The password is one of the enabled methods: sign in with it, then set up codes by mail.
    reply = client.post("/us-signin", json={"identity": "bob@example.com", "passcode": "bob password"})
    assert reply.status_code == 200, reply.text
    with mail.record_messages() as outbox:
        reply = client.post("/us-setup", json={"chosen_method": "email"})
        assert reply.status_code == 200, reply.text
    state = reply.get_json()["response"]["state"]
    reply = client.post(f"/us-setup/{state}", json={"passcode": mailed_code(outbox)})
    assert reply.status_code == 200, reply.text
    assert client.post("/logout", json={}).status_code == 200
    # Now a mailed code signs bob in.
    with mail.record_messages() as outbox:
        reply = client.post("/us-signin/send-code", json={"identity": "bob@example.com", "chosen_method": "email"})
        assert reply.status_code == 200, reply.text
    assert outbox[0].recipients == ["bob@example.com"]
    reply = client.post("/us-signin", json={"identity": "bob@example.com", "passcode": "123"})
    assert reply.status_code == 400
    assert client.get("/private", headers=JSON).status_code == 401
    reply = client.post("/us-signin", json={"identity": "bob@example.com", "passcode": mailed_code(outbox)})
    assert reply.status_code == 200, reply.text
    assert client.get("/private").text == "Hello bob@example.com"


def test_its_flashed_messages_on_its_pages(app: Flask) -> None:
    client = app.test_client()
    assert client.get("/private").status_code == 302
    page = client.get("/login?next=/private")
    assert '<li class="error fs-error-msg">You must sign in to view this resource.</li>' in page.text
    assert "You must sign in" not in client.get("/login").text  # shown once


def test_its_pages_and_messages_in_the_users_language(kind: str) -> None:
    app = make_app(kind, WTF_CSRF_ENABLED=False)
    Babel(app, locale_selector=lambda: request.accept_languages.best_match(["en", "fr", "de"]))
    client = app.test_client()
    page = client.get("/login", headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    assert "<h1>Connexion</h1>" in page.text
    reply = client.post("/login", json={"email": "ada@example.com", "password": "x"}, headers={"Accept-Language": "de"})
    assert reply.get_json()["response"]["errors"] == ["Ungültiges Passwort"]
    assert "<h1>Login</h1>" in client.get("/login").text
