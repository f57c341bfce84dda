"""Authlib's Flask OAuth client (``authlib.integrations.flask_client``), as its docs show it:
``OAuth(app)``, ``oauth.register(...)`` with the credentials in ``app.config``
(``DEMO_CLIENT_ID``, ...), ``authorize_redirect`` keeping the state in the session, the callback's
``authorize_access_token`` (GET, and POST for ``response_mode=form_post``) exchanging the code,
then ``userinfo()`` and an API call with the token; in def and async def views.

The provider is a small HTTP server on 127.0.0.1 (a thread started by a fixture), never the
internet. Authlib's Flask client is synchronous (``requests``): an ``async def`` view calls it
directly ("async-direct": that works, but blocks the event loop while the provider answers) or
off the loop through ``await app.ensure_async(...)`` ("async"), which keeps the request's session
and ``g``; both are tested.
"""

# isort: off
import microflask.flask_patch  # noqa: F401  (first: from here on, flask is microflask)

# isort: on
import base64
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from authlib.integrations.flask_client import OAuth, OAuthError
from flask import Flask, jsonify, redirect, session, url_for
from standin import JSONHandler, loopback_server

CLIENT_ID = "client-1"
CLIENT_SECRET = "secret-1"
CODE = "the-code"
ACCESS_TOKEN = "at-42"


class Provider:
    """What the stand-in provider saw: the token requests' forms and Authorization headers."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.token_requests: list[tuple[dict[str, list[str]], str]] = []


def provider_handler(provider: Provider) -> type[JSONHandler]:
    class Handler(JSONHandler):
        def bearer_ok(self) -> bool:
            return self.headers.get("Authorization") == f"Bearer {ACCESS_TOKEN}"

        def do_GET(self) -> None:
            path = urlsplit(self.path).path
            if path == "/.well-known/openid-configuration":
                self.answer(
                    200,
                    {
                        "issuer": provider.base,
                        "authorization_endpoint": provider.base + "/authorize",
                        "token_endpoint": provider.base + "/token",
                        "userinfo_endpoint": provider.base + "/userinfo",
                    },
                )
            elif path == "/userinfo" and self.bearer_ok():
                self.answer(200, {"sub": "42", "name": "Ada Lovelace", "email": "ada@example.com"})
            elif path == "/api/repos" and self.bearer_ok():
                self.answer(200, [{"name": "engine"}, {"name": "notes"}])
            else:
                self.answer(401, {"error": "invalid_token"})

        def do_POST(self) -> None:
            form = self.form()
            authorization = self.headers.get("Authorization", "")
            provider.token_requests.append((form, authorization))
            expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
            if urlsplit(self.path).path != "/token" or authorization != expected:
                self.answer(401, {"error": "invalid_client"})
            elif form.get("grant_type") != ["authorization_code"] or form.get("code") != [CODE]:
                self.answer(400, {"error": "invalid_grant"})
            else:
                self.answer(
                    200, {"access_token": ACCESS_TOKEN, "token_type": "Bearer", "expires_in": 3600, "scope": "profile"}
                )

    return Handler


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    with loopback_server() as (server, base):
        state = Provider(base)
        server.RequestHandlerClass = provider_handler(state)
        yield state


def make_app(kind: str, provider: Provider) -> Flask:
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY="test secret",
        DEMO_CLIENT_ID=CLIENT_ID,  # read by oauth.register("demo") from the config
        DEMO_CLIENT_SECRET=CLIENT_SECRET,
        DISCOVERED_CLIENT_ID=CLIENT_ID,
        DISCOVERED_CLIENT_SECRET=CLIENT_SECRET,
    )
    oauth = OAuth(app)
    oauth.register(
        "demo",
        access_token_url=provider.base + "/token",
        authorize_url=provider.base + "/authorize",
        api_base_url=provider.base + "/api/",
        userinfo_endpoint=provider.base + "/userinfo",
        client_kwargs={"scope": "profile"},
    )
    # The endpoints found through the provider's metadata document (OpenID Connect discovery).
    oauth.register("discovered", server_metadata_url=provider.base + "/.well-known/openid-configuration")

    @app.errorhandler(OAuthError)
    def oauth_failed(error: OAuthError) -> Any:
        return jsonify(error=error.error, description=error.description), 400

    def finish_login(client_name: str) -> dict[str, Any]:
        client = oauth.create_client(client_name)
        token = client.authorize_access_token()
        user = client.userinfo()
        session["user"] = dict(user)
        return {"token": token["access_token"], "user": user["name"]}

    if kind == "def":

        @app.get("/login/<name>")
        def login(name: str) -> Any:
            redirect_uri = url_for("callback", name=name, _external=True)
            return oauth.create_client(name).authorize_redirect(redirect_uri)

        @app.route("/callback/<name>", methods=["GET", "POST"])
        def callback(name: str) -> Any:
            return finish_login(name)

        @app.get("/repos")
        def repos() -> Any:
            token = {"access_token": ACCESS_TOKEN, "token_type": "Bearer"}
            return jsonify([r["name"] for r in oauth.demo.get("repos", token=token).json()])

    else:

        @app.get("/login/<name>")
        async def login(name: str) -> Any:
            redirect_uri = url_for("callback", name=name, _external=True)
            # Direct call: the metadata fetch of "discovered" blocks the loop while it runs.
            return oauth.create_client(name).authorize_redirect(redirect_uri)

        @app.route("/callback/<name>", methods=["GET", "POST"])
        async def callback(name: str) -> Any:
            if kind == "async-direct":  # blocks the event loop while the provider answers
                return finish_login(name)
            # Off the event loop, with the request's session and g.
            return await app.ensure_async(finish_login)(name)

        @app.get("/repos")
        async def repos() -> Any:
            token = {"access_token": ACCESS_TOKEN, "token_type": "Bearer"}
            if kind == "async-direct":
                reply = oauth.demo.get("repos", token=token)
            else:
                reply = await app.ensure_async(oauth.demo.get)("repos", token=token)
            return jsonify([r["name"] for r in reply.json()])

    @app.get("/me")
    def me() -> Any:
        return jsonify(session.get("user"))

    @app.get("/go")
    def go() -> Any:
        return redirect(url_for("login", name="demo"))

    return app


@pytest.fixture(params=["def", "async", "async-direct"])
def app(request: pytest.FixtureRequest, provider: Provider) -> Flask:
    return make_app(request.param, provider)


def start_login(client: Any, provider: Provider, name: str) -> dict[str, list[str]]:
    reply = client.get(f"/login/{name}")
    assert reply.status_code == 302
    location = reply.headers["Location"]
    assert location.startswith(provider.base + "/authorize?")
    return parse_qs(urlsplit(location).query)


@pytest.mark.parametrize("name", ["demo", "discovered"])
def test_authorize_redirect_then_the_callback_exchanges_the_code(app: Flask, provider: Provider, name: str) -> None:
    client = app.test_client()
    query = start_login(client, provider, name)
    assert query["client_id"] == [CLIENT_ID]  # from app.config
    assert query["response_type"] == ["code"]
    assert query["redirect_uri"] == [f"http://localhost/callback/{name}"]
    state = query["state"][0]

    provider.token_requests.clear()
    reply = client.get(f"/callback/{name}?code={CODE}&state={state}")
    assert reply.status_code == 200, reply.text
    assert reply.get_json() == {"token": ACCESS_TOKEN, "user": "Ada Lovelace"}
    (form, authorization), *_ = provider.token_requests
    assert form["code"] == [CODE] and form["redirect_uri"] == [f"http://localhost/callback/{name}"]
    assert authorization.startswith("Basic ")
    assert client.get("/me").get_json()["email"] == "ada@example.com"  # kept in the session

    # The state was used once: replaying the callback fails.
    again = client.get(f"/callback/{name}?code={CODE}&state={state}")
    assert again.status_code == 400 and again.get_json()["error"] == "mismatching_state"


def test_a_form_post_callback(app: Flask, provider: Provider) -> None:
    client = app.test_client()
    state = start_login(client, provider, "demo")["state"][0]
    reply = client.post("/callback/demo", data={"code": CODE, "state": state})
    assert reply.get_json() == {"token": ACCESS_TOKEN, "user": "Ada Lovelace"}


def test_a_forged_state_and_a_refusal_are_oauth_errors(app: Flask, provider: Provider) -> None:
    client = app.test_client()
    start_login(client, provider, "demo")
    forged = client.get(f"/callback/demo?code={CODE}&state=forged")
    assert forged.status_code == 400 and forged.get_json()["error"] == "mismatching_state"
    refused = client.get("/callback/demo?error=access_denied&error_description=no+thanks")
    assert refused.get_json() == {"error": "access_denied", "description": "no thanks"}


def test_an_api_call_with_a_token(app: Flask) -> None:
    assert app.test_client().get("/repos").get_json() == ["engine", "notes"]


def test_a_redirect_to_the_login_view(app: Flask, provider: Provider) -> None:
    client = app.test_client()
    assert client.get("/go").headers["Location"] == "/login/demo"
