"""Flask-Dance (``flask_dance``), as its docs show it: ``make_github_blueprint(...)`` registered
under ``/login``, ``github.authorized`` and ``github.get("/user")`` in a view; the login view's
redirect to the provider with the state kept in the session; the authorized callback exchanging
the code for a token (kept in the session by default, in a custom storage, or per user in a
database: ``SQLAlchemyStorage`` with Flask-SQLAlchemy and Flask-Login, the docs' multi-user setup); the
``oauth_authorized``, ``oauth_before_login`` and ``oauth_error`` signals (blinker); a generic
``OAuth2ConsumerBlueprint`` and its ``session``; and the testing recipe of its docs (a
``MemoryStorage`` put on the blueprint with ``monkeypatch``); in def and async def views.

GitHub is a stand-in: a small HTTP server on 127.0.0.1 (a thread started by a fixture), never
the internet. The blueprint's URLs are pointed at it, and ``OAUTHLIB_INSECURE_TRANSPORT`` lets
oauthlib talk plain HTTP to it (as Flask-Dance's docs say for local testing). Flask-Dance's
client is synchronous (``requests``): an ``async def`` view calls ``github.get(...)`` off the
event loop with ``await app.ensure_async(...)``.
"""

# isort: off
import microflask.flask_patch  # noqa: F401  (first: from here on, flask is microflask)

# isort: on
import base64
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from betamax import Betamax
from flask import Flask, flash, get_flashed_messages, jsonify, redirect, session, url_for
from flask_dance.consumer import OAuth2ConsumerBlueprint, oauth_authorized, oauth_before_login, oauth_error
from flask_dance.consumer.storage import BaseStorage, MemoryStorage
from flask_dance.consumer.storage.sqla import OAuthConsumerMixin, SQLAlchemyStorage
from flask_dance.contrib.github import github, make_github_blueprint
from flask_login import LoginManager, UserMixin, current_user, login_required, login_user
from flask_sqlalchemy import SQLAlchemy
from oauthlib.oauth2.rfc6749.errors import MismatchingStateError
from standin import JSONHandler, loopback_server

CLIENT_ID = "dance-client"
CLIENT_SECRET = "dance-secret"
CODE = "the-code"
ACCESS_TOKEN = "gho_42"


class Provider:
    """What the stand-in provider saw: the token requests' forms and the API's Authorization headers."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.token_requests: list[dict[str, list[str]]] = []
        self.api_authorizations: list[str] = []


def provider_handler(provider: Provider) -> type[JSONHandler]:
    class Handler(JSONHandler):
        def do_GET(self) -> None:
            path = urlsplit(self.path).path
            authorization = self.headers.get("Authorization", "")
            provider.api_authorizations.append(authorization)
            if authorization != f"Bearer {ACCESS_TOKEN}":
                self.answer(401, {"message": "Bad credentials"})
            elif path == "/user":
                self.answer(200, {"login": "octocat", "id": 583231})
            elif path == "/user/repos":
                self.answer(200, [{"name": "hello-world"}, {"name": "spoon-knife"}])
            else:
                self.answer(404, {"message": "Not Found"})

        def do_POST(self) -> None:
            form = self.form()
            provider.token_requests.append(form)
            # The client's credentials: HTTP Basic (what requests-oauthlib sends) or in the form.
            basic = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
            in_form = form.get("client_id") == [CLIENT_ID] and form.get("client_secret") == [CLIENT_SECRET]
            if urlsplit(self.path).path != "/login/oauth/access_token":
                self.answer(404, {"message": "Not Found"})
            elif self.headers.get("Authorization") != basic and not in_form:
                self.answer(401, {"error": "incorrect_client_credentials"})
            elif form.get("code") != [CODE]:
                self.answer(400, {"error": "bad_verification_code"})
            else:
                self.answer(200, {"access_token": ACCESS_TOKEN, "token_type": "bearer", "scope": "user:email"})

    return Handler


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    with loopback_server() as (server, base):
        state = Provider(base)
        server.RequestHandlerClass = provider_handler(state)
        yield state


@pytest.fixture(autouse=True)
def insecure_transport(monkeypatch: pytest.MonkeyPatch) -> None:
    # oauthlib refuses plain HTTP unless told otherwise; the stand-in provider speaks HTTP.
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")


class DictStorage(BaseStorage):
    """A custom token storage (as the docs' storages page describes): tokens by blueprint name."""

    def __init__(self) -> None:
        self.tokens: dict[str, Any] = {}

    def get(self, blueprint: Any) -> Any:
        return self.tokens.get(blueprint.name)

    def set(self, blueprint: Any, token: Any) -> None:
        self.tokens[blueprint.name] = token

    def delete(self, blueprint: Any) -> None:
        self.tokens.pop(blueprint.name, None)


def point_at(blueprint: Any, provider: Provider) -> None:
    """Point a GitHub blueprint at the stand-in instead of github.com."""
    blueprint.authorization_url = provider.base + "/login/oauth/authorize"
    blueprint.token_url = provider.base + "/login/oauth/access_token"
    blueprint.base_url = provider.base + "/"


def make_app(kind: str, provider: Provider, storage: Any = None) -> Flask:
    app = Flask(__name__)
    app.secret_key = "supersekrit"
    app.testing = True  # errors propagate to the test
    # Read by the blueprint from the config before each request (its from_config).
    app.config["GITHUB_OAUTH_CLIENT_ID"] = CLIENT_ID
    app.config["GITHUB_OAUTH_CLIENT_SECRET"] = CLIENT_SECRET
    github_bp = make_github_blueprint(scope="user:email", storage=storage, redirect_to="index")
    point_at(github_bp, provider)
    app.register_blueprint(github_bp, url_prefix="/login")
    app.extensions["github_bp"] = github_bp

    # A generic OAuth 2 blueprint for another provider, with its own URLs and login routes.
    other_bp = OAuth2ConsumerBlueprint(
        "other",
        __name__,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        base_url=provider.base + "/",
        authorization_url=provider.base + "/login/oauth/authorize",
        token_url=provider.base + "/login/oauth/access_token",
        redirect_url="/repos",
    )
    app.register_blueprint(other_bp, url_prefix="/auth")
    app.extensions["other_bp"] = other_bp

    if kind == "def":

        @app.get("/")
        def index() -> Any:
            if not github.authorized:
                return redirect(url_for("github.login"))
            resp = github.get("/user")
            assert resp.ok, resp.text
            return "You are @{login} on GitHub".format(login=resp.json()["login"])

        @app.get("/repos")
        def repos() -> Any:
            if not other_bp.session.authorized:
                return redirect(url_for("other.login"))
            return jsonify([r["name"] for r in other_bp.session.get("user/repos").json()])

    else:

        @app.get("/")
        async def index() -> Any:
            if not github.authorized:
                return redirect(url_for("github.login"))
            # requests is blocking: off the event loop, with the request's context.
            resp = await app.ensure_async(github.get)("/user")
            assert resp.ok, resp.text
            return "You are @{login} on GitHub".format(login=resp.json()["login"])

        @app.get("/repos")
        async def repos() -> Any:
            if not other_bp.session.authorized:
                return redirect(url_for("other.login"))
            reply = await app.ensure_async(other_bp.session.get)("user/repos")
            return jsonify([r["name"] for r in reply.json()])

    @app.get("/flashes")
    def flashes() -> Any:
        return jsonify(get_flashed_messages())

    @app.get("/session")
    def show_session() -> Any:
        return jsonify(dict(session))

    return app


@pytest.fixture(params=["def", "async"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def app(kind: str, provider: Provider) -> Flask:
    return make_app(kind, provider)


def login_redirect(client: Any, provider: Provider, path: str = "/login/github") -> dict[str, list[str]]:
    reply = client.get(path)
    assert reply.status_code == 302
    location = reply.headers["Location"]
    assert location.startswith(provider.base + "/login/oauth/authorize?")
    return parse_qs(urlsplit(location).query)


def test_the_dance_from_the_index_to_the_github_user(app: Flask, provider: Provider) -> None:
    client = app.test_client()
    # Not authorized yet: the index sends the user to the blueprint's login view.
    first = client.get("/")
    assert first.status_code == 302 and first.headers["Location"] == "/login/github"

    query = login_redirect(client, provider)
    assert query["client_id"] == [CLIENT_ID]  # from app.config, through from_config
    assert query["response_type"] == ["code"]
    assert query["scope"] == ["user:email"]
    assert query["redirect_uri"] == ["http://localhost/login/github/authorized"]
    state = query["state"][0]
    assert client.get("/session").get_json()["github_oauth_state"] == state

    provider.token_requests.clear()
    back = client.get(f"/login/github/authorized?code={CODE}&state={state}")
    assert back.status_code == 302 and back.headers["Location"] == "/"  # redirect_to="index"
    (form,) = provider.token_requests
    assert form["grant_type"] == ["authorization_code"] and form["code"] == [CODE]
    assert form["redirect_uri"] == ["http://localhost/login/github/authorized"]

    stored = client.get("/session").get_json()
    assert "github_oauth_state" not in stored  # used once
    assert stored["github_oauth_token"]["access_token"] == ACCESS_TOKEN  # the default SessionStorage

    provider.api_authorizations.clear()
    page = client.get("/")
    assert page.status_code == 200 and page.text == "You are @octocat on GitHub"
    assert provider.api_authorizations == [f"Bearer {ACCESS_TOKEN}"]


def test_the_callback_without_a_state_goes_back_to_login(app: Flask) -> None:
    reply = app.test_client().get(f"/login/github/authorized?code={CODE}&state=x")
    assert reply.status_code == 302 and reply.headers["Location"] == "/login/github"


def test_a_forged_state_is_refused(app: Flask, provider: Provider) -> None:
    client = app.test_client()
    login_redirect(client, provider)
    with pytest.raises(MismatchingStateError):  # app.testing: the error reaches the test
        client.get(f"/login/github/authorized?code={CODE}&state=forged")


def test_oauth_signals(app: Flask, provider: Provider) -> None:
    github_bp = app.extensions["github_bp"]
    seen: list[Any] = []

    @oauth_before_login.connect_via(github_bp)
    def before_login(blueprint: Any, url: str) -> None:
        seen.append(("before_login", url.split("?")[0]))

    @oauth_authorized.connect_via(github_bp)
    def logged_in(blueprint: Any, token: dict[str, Any]) -> Any:
        # As the docs' signals page shows: flash, read the user from the API, keep no token.
        resp = blueprint.session.get("/user")
        flash(f"Signed in as {resp.json()['login']}")
        seen.append(("authorized", token["access_token"]))
        return False  # do not store the token

    @oauth_error.connect_via(github_bp)
    def failed(blueprint: Any, error: str, error_description: str | None = None, error_uri: str | None = None) -> Any:
        seen.append(("error", error, error_description))
        return redirect("/sorry")

    try:
        client = app.test_client()
        state = login_redirect(client, provider)["state"][0]
        assert client.get(f"/login/github/authorized?code={CODE}&state={state}").status_code == 302
        assert client.get("/flashes").get_json() == ["Signed in as octocat"]
        assert "github_oauth_token" not in client.get("/session").get_json()
        assert client.get("/").headers["Location"] == "/login/github"  # still not authorized

        refused = client.get("/login/github/authorized?error=access_denied&error_description=no+thanks")
        assert refused.status_code == 302 and refused.headers["Location"] == "/sorry"  # the signal's response
        assert seen == [
            ("before_login", provider.base + "/login/oauth/authorize"),
            ("authorized", ACCESS_TOKEN),
            ("error", "access_denied", "no thanks"),
        ]
    finally:
        oauth_before_login.disconnect(before_login)
        oauth_authorized.disconnect(logged_in)
        oauth_error.disconnect(failed)


def test_a_response_from_oauth_authorized_is_sent(app: Flask, provider: Provider) -> None:
    github_bp = app.extensions["github_bp"]

    def welcome(blueprint: Any, token: dict[str, Any]) -> Any:
        return app.response_class(f"welcome {token['token_type']}", status=201)

    oauth_authorized.connect(welcome, sender=github_bp)
    try:
        client = app.test_client()
        state = login_redirect(client, provider)["state"][0]
        reply = client.get(f"/login/github/authorized?code={CODE}&state={state}")
        assert reply.status_code == 201 and reply.text == "welcome bearer"
    finally:
        oauth_authorized.disconnect(welcome)


def test_a_custom_storage(kind: str, provider: Provider) -> None:
    storage = DictStorage()
    app = make_app(kind, provider, storage=storage)
    client = app.test_client()
    state = login_redirect(client, provider)["state"][0]
    client.get(f"/login/github/authorized?code={CODE}&state={state}")
    assert storage.tokens["github"]["access_token"] == ACCESS_TOKEN
    assert "github_oauth_token" not in client.get("/session").get_json()  # not in the session
    # Any client is authorized now: the storage is not per user.
    assert app.test_client().get("/").text == "You are @octocat on GitHub"
    del app.extensions["github_bp"].token  # the blueprint's token deleter empties the storage
    assert storage.tokens == {}
    assert client.get("/").headers["Location"] == "/login/github"


def test_the_generic_blueprint(app: Flask, provider: Provider) -> None:
    client = app.test_client()
    guarded = client.get("/repos")
    assert guarded.status_code == 302 and guarded.headers["Location"] == "/auth/other"
    query = login_redirect(client, provider, "/auth/other")
    assert query["redirect_uri"] == ["http://localhost/auth/other/authorized"]
    back = client.get(f"/auth/other/authorized?code={CODE}&state={query['state'][0]}")
    assert back.headers["Location"] == "/repos"  # redirect_url
    assert client.get("/session").get_json()["other_oauth_token"]["access_token"] == ACCESS_TOKEN
    assert client.get("/repos").get_json() == ["hello-world", "spoon-knife"]


# The testing recipe of Flask-Dance's docs: a MemoryStorage on the blueprint, no dance at all.


def test_docs_recipe_unauthorized(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(app.extensions["github_bp"], "storage", MemoryStorage())
    with app.test_client() as client:
        response = client.get("/", base_url="https://example.com")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login/github"


def test_docs_recipe_authorized(app: Flask, provider: Provider, monkeypatch: pytest.MonkeyPatch) -> None:
    storage = MemoryStorage({"access_token": ACCESS_TOKEN})
    monkeypatch.setattr(app.extensions["github_bp"], "storage", storage)
    with app.test_client() as client:
        response = client.get("/", base_url="https://example.com")
    assert response.status_code == 200
    assert response.text == "You are @octocat on GitHub"


def test_the_login_url_over_https_keeps_the_scheme(app: Flask, provider: Provider) -> None:
    client = app.test_client()
    reply = client.get("/login/github", base_url="https://example.com")
    query = parse_qs(urlsplit(reply.headers["Location"]).query)
    assert query["redirect_uri"] == ["https://example.com/login/github/authorized"]
    state = query["state"][0]
    back = client.get(f"/login/github/authorized?code={CODE}&state={state}", base_url="https://example.com")
    assert back.status_code == 302
    assert client.get("/", base_url="https://example.com").text == "You are @octocat on GitHub"


# Flask-Dance's pytest fixture (``flask_dance.fixtures``, a pytest plugin it installs): with the
# ``app`` and ``flask_dance_sessions`` fixtures defined, ``betamax_record_flask_dance`` records the
# provider's answers with Betamax on the first request and replays them afterwards.


@pytest.fixture
def flask_dance_sessions() -> Any:
    return github


@pytest.fixture
def cassettes(tmp_path: Any) -> Iterator[Any]:
    with Betamax.configure() as config:
        before = config.cassette_library_dir
        config.cassette_library_dir = str(tmp_path)
    yield tmp_path
    with Betamax.configure() as config:
        config.cassette_library_dir = before


@pytest.mark.usefixtures("betamax_record_flask_dance")
def test_the_betamax_fixture_records_then_replays(
    app: Flask, provider: Provider, cassettes: Any, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    monkeypatch.setattr(app.extensions["github_bp"], "storage", MemoryStorage({"access_token": ACCESS_TOKEN}))
    provider.api_authorizations.clear()
    with app.test_client() as client:
        assert client.get("/", base_url="https://example.com").text == "You are @octocat on GitHub"
    assert provider.api_authorizations == [f"Bearer {ACCESS_TOKEN}"]  # recorded from the stand-in
    cassette = json.loads((cassettes / f"{request.node.name}.json").read_text())
    (interaction,) = cassette["http_interactions"]
    assert interaction["request"]["uri"] == provider.base + "/user"

    with app.test_client() as client:  # the same cassette again: replayed, the provider is not asked
        assert client.get("/", base_url="https://example.com").text == "You are @octocat on GitHub"
    assert provider.api_authorizations == [f"Bearer {ACCESS_TOKEN}"]


# The docs' multi-user setup: tokens in a database (SQLAlchemyStorage with Flask-SQLAlchemy),
# tied to Flask-Login's current_user; the oauth_authorized handler finds or makes the user,
# stores the token for them and logs them in.


def make_multi_user_app(kind: str, provider: Provider, database: str) -> Flask:
    app = make_app(kind, provider)
    app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{database}"
    db = SQLAlchemy(app)

    class User(UserMixin, db.Model):  # type: ignore[name-defined,misc]
        id = db.Column(db.Integer, primary_key=True)
        username = db.Column(db.String(250), unique=True)

    class OAuth(OAuthConsumerMixin, db.Model):  # type: ignore[name-defined,misc]
        provider_user_id = db.Column(db.String(256), unique=True, nullable=False)
        user_id = db.Column(db.Integer, db.ForeignKey(User.id), nullable=False)
        user = db.relationship(User)

    login_manager = LoginManager(app)
    login_manager.login_view = "github.login"

    @login_manager.user_loader
    def load_user(user_id: str) -> Any:
        return db.session.get(User, int(user_id))

    github_bp = app.extensions["github_bp"]
    github_bp.storage = SQLAlchemyStorage(OAuth, db.session, user=current_user)

    @oauth_authorized.connect_via(github_bp)
    def github_logged_in(blueprint: Any, token: dict[str, Any]) -> Any:
        info = blueprint.session.get("/user").json()
        oauth = db.session.scalars(
            db.select(OAuth).filter_by(provider=blueprint.name, provider_user_id=str(info["id"]))
        ).one_or_none()
        if oauth is None:
            oauth = OAuth(provider=blueprint.name, provider_user_id=str(info["id"]), token=token)
        if oauth.user is None:
            oauth.user = User(username=info["login"])
            db.session.add(oauth)
            db.session.commit()
        login_user(oauth.user)
        flash("Successfully signed in.")
        return False  # stored above, for this user

    if kind == "def":

        @app.get("/me")
        @login_required
        def me() -> Any:
            return jsonify(user=current_user.username, github=github.get("/user").json()["login"])

    else:

        @app.get("/me")
        @login_required
        async def me() -> Any:
            reply = await app.ensure_async(github.get)("/user")
            return jsonify(user=current_user.username, github=reply.json()["login"])

    with app.app_context():
        db.create_all()
    app.extensions["dance_models"] = (db, OAuth)
    return app


def test_the_docs_multi_user_setup(kind: str, provider: Provider, tmp_path: Any) -> None:
    app = make_multi_user_app(kind, provider, str(tmp_path / "users.db"))
    db, OAuth = app.extensions["dance_models"]
    client = app.test_client()
    assert client.get("/me").headers["Location"].startswith("/login/github?next=")  # login_view
    state = login_redirect(client, provider)["state"][0]
    client.get(f"/login/github/authorized?code={CODE}&state={state}")
    assert client.get("/flashes").get_json() == ["Please log in to access this page.", "Successfully signed in."]
    assert client.get("/me").get_json() == {"user": "octocat", "github": "octocat"}
    with app.app_context():
        (row,) = db.session.scalars(db.select(OAuth)).all()
        assert (row.provider, row.provider_user_id, row.user.username) == ("github", "583231", "octocat")
        assert row.token["access_token"] == ACCESS_TOKEN
    assert "github_oauth_token" not in client.get("/session").get_json()  # in the database instead
    # Another browser is anonymous: to the login view. (Its github.authorized would raise
    # ValueError: the storage needs a user unless made with user_required=False.)
    assert app.test_client().get("/me").headers["Location"].startswith("/login/github?next=")
