"""The large app example (examples/large_app): factory, config classes, blueprints, extension,
background tasks and websocket, through the test client."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import parse_qs, urlsplit

import anyio
import pytest
from starlette.testclient import WebSocketDenialResponse

EXAMPLE_DIR = Path(__file__).resolve().parent.parent / "examples" / "large_app"
PACKAGE = "largeapp"  # a name no other example uses

# Websocket URLs are absolute: the test client's websocket_connect("/path") goes to
# ws://testserver, which does not get the cookies set for http://localhost (the session).
WS_LIVE = "ws://localhost/api/notes/live"


@pytest.fixture(scope="module")
def largeapp() -> Iterator[ModuleType]:
    """The ``largeapp`` package, imported from examples/large_app; unloaded afterwards."""
    sys.path.insert(0, str(EXAMPLE_DIR))
    try:
        import largeapp

        assert Path(largeapp.__file__).parent == EXAMPLE_DIR / PACKAGE
        yield largeapp
    finally:
        sys.path.remove(str(EXAMPLE_DIR))
        for name in [n for n in sys.modules if n == PACKAGE or n.startswith(PACKAGE + ".")]:
            del sys.modules[name]


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No LARGEAPP_* variables from the environment the tests run in."""
    for name in list(os.environ):
        if name.startswith("LARGEAPP_"):
            monkeypatch.delenv(name)
    return monkeypatch


@pytest.fixture
def app(largeapp: ModuleType) -> Any:
    return largeapp.create_app("testing")


@pytest.fixture
def client(app: Any) -> Iterator[Any]:
    with app.test_client() as client:
        yield client


def login(client: Any, username: str = "alice", password: str | None = None, **form: str) -> Any:
    return client.post(
        "/auth/login", data={"username": username, "password": password or f"{username}-password", **form}
    )


def actions(app: Any) -> list[str]:
    return [entry["action"] for entry in app.extensions["audit"].entries]


def create_note(client: Any, title: str = "First", body: str = "Hello") -> Any:
    return client.post("/api/notes", json={"title": title, "body": body})


# -- config classes and the factory ---------------------------------------------------------------


def test_each_call_makes_a_new_app(largeapp: ModuleType) -> None:
    one, two = largeapp.create_app("testing"), largeapp.create_app("testing")
    assert one is not two
    assert one.extensions["largeapp.store"] is not two.extensions["largeapp.store"]
    assert set(one.blueprints) == {"auth", "api", "admin", "admin.reports"}


def test_development_config(largeapp: ModuleType, clean_env: pytest.MonkeyPatch) -> None:
    app = largeapp.create_app()  # no name, no LARGEAPP_ENV: development
    assert app.config["ENV"] == "development"
    assert app.debug and not app.testing
    assert app.config["SECRET_KEY"]
    assert {u.username for u in app.extensions["largeapp.store"].users.values()} == {"admin", "alice"}


def test_testing_config_ignores_the_environment(largeapp: ModuleType, clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("LARGEAPP_SECRET_KEY", "from-env")
    app = largeapp.create_app("testing")
    assert app.testing and not app.debug
    assert app.config["SECRET_KEY"] == largeapp.config.TestingConfig.SECRET_KEY


def test_mapping_applies_over_testing_config(largeapp: ModuleType) -> None:
    app = largeapp.create_app({"NOTE_TITLE_MAX": 5, "lowercase": "ignored"})
    assert app.config["ENV"] == "testing" and app.testing
    assert app.config["NOTE_TITLE_MAX"] == 5
    assert "lowercase" not in app.config


def test_unknown_environment(largeapp: ModuleType) -> None:
    with pytest.raises(ValueError, match="Unknown environment 'staging'"):
        largeapp.create_app("staging")


def test_production_refuses_to_start_without_secret_key(largeapp: ModuleType, clean_env: pytest.MonkeyPatch) -> None:
    with pytest.raises(RuntimeError, match="LARGEAPP_SECRET_KEY"):
        largeapp.create_app("production")
    clean_env.setenv("LARGEAPP_SECRET_KEY", largeapp.config.DevelopmentConfig.SECRET_KEY)
    with pytest.raises(RuntimeError, match="LARGEAPP_SECRET_KEY"):  # the public development key is no key
        largeapp.create_app("production")


def test_production_reads_the_environment(largeapp: ModuleType, clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("LARGEAPP_ENV", "production")
    clean_env.setenv("LARGEAPP_SECRET_KEY", "s3cret-from-the-environment")
    clean_env.setenv("LARGEAPP_SEED_USERS", '[["root", "root-password", true]]')
    clean_env.setenv("LARGEAPP_PASSWORD_HASH_ITERATIONS", "1000")  # parsed as JSON: an int
    app = largeapp.create_app()
    assert app.config["ENV"] == "production"
    assert app.config["SECRET_KEY"] == "s3cret-from-the-environment"
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert not app.debug and not app.testing
    assert app.config["PASSWORD_HASH_ITERATIONS"] == 1000
    with app.test_client(base_url="https://localhost") as client:
        response = login(client, "root", "root-password")
        assert response.status_code == 302
        assert "Secure" in response.headers["set-cookie"]
        assert client.get("/admin/").status_code == 200


# -- auth blueprint ------------------------------------------------------------------------------


def test_login_page_from_the_blueprint_template_folder(client: Any) -> None:
    response = client.get("/auth/login?next=/admin/")
    assert response.status_code == 200
    assert "<h1>Log in</h1>" in response.text  # auth/templates/auth/login.html
    assert '<a href="/">Home</a>' in response.text  # extends the app's base.html
    assert 'name="next" value="/admin/"' in response.text


def test_login_and_logout(app: Any, client: Any) -> None:
    response = login(client)
    assert response.status_code == 302 and response.headers["location"] == "/"
    home = client.get("/")
    assert "Logged in as <strong>alice</strong>" in home.text
    assert "Welcome, alice." in home.text  # flashed
    assert client.get("/auth/logout").status_code == 405  # logging out is a POST
    response = client.post("/auth/logout")
    assert response.status_code == 302
    home = client.get("/")
    assert "You are logged out." in home.text and "Logged in as" not in home.text
    assert client.get("/api/notes").status_code == 401


def test_wrong_password(app: Any, client: Any) -> None:
    response = login(client, "alice", "wrong")
    assert response.status_code == 400
    assert "Unknown username or wrong password." in response.text
    assert login(client, "nobody", "whatever").status_code == 400
    assert client.get("/api/notes").status_code == 401


@pytest.mark.parametrize(
    ("target", "location"),
    [("/admin/reports/", "/admin/reports/"), ("//evil.example/", "/"), ("https://evil.example/", "/"), ("", "/")],
)
def test_login_redirects_only_within_the_site(client: Any, target: str, location: str) -> None:
    response = login(client, "admin", next=target)
    assert response.headers["location"] == location


# -- api blueprint -------------------------------------------------------------------------------


def test_api_needs_login_and_answers_json(client: Any) -> None:
    response = client.get("/api/notes")
    assert response.status_code == 401
    assert response.json["error"] == "Unauthorized"
    assert "Log in first" in response.json["description"]


def test_notes_crud(client: Any) -> None:
    login(client)
    assert client.get("/api/notes").json == {"notes": []}

    response = create_note(client, "  First  ", "Hello")
    assert response.status_code == 201
    note = response.json
    assert (note["id"], note["title"], note["body"], note["author"]) == (1, "First", "Hello", "alice")
    assert response.headers["location"] == note["url"] == "/api/notes/1"
    assert note["created"].endswith("+00:00")  # ISO 8601

    assert client.get("/api/notes/1").json == note
    assert [n["id"] for n in client.get("/api/notes").json["notes"]] == [1]

    response = client.patch("/api/notes/1", json={"body": "Changed"})
    assert response.status_code == 200
    assert (response.json["title"], response.json["body"]) == ("First", "Changed")

    response = client.put("/api/notes/1", json={"title": "Replaced"})
    assert (response.json["title"], response.json["body"]) == ("Replaced", "")  # PUT replaces

    response = client.delete("/api/notes/1")
    assert response.status_code == 204 and response.data == b""
    response = client.get("/api/notes/1")
    assert response.status_code == 404
    assert response.json == {"error": "Not Found", "description": "There is no note 1."}


@pytest.mark.parametrize(
    ("payload", "fields"),
    [
        ({}, {"title": "This field is required."}),
        ({"title": "   "}, {"title": "Must not be empty."}),
        ({"title": 3, "body": None}, {"title": "Must be a string.", "body": "Must be a string."}),
        ({"title": "ok", "color": "red"}, {"color": "Unknown field."}),
        ({"title": "x" * 21}, {"title": "At most 20 characters."}),
        (["not", "an", "object"], {"_": "Expected a JSON object."}),
    ],
)
def test_validation_errors_are_json_400(largeapp: ModuleType, payload: Any, fields: dict[str, str]) -> None:
    app = largeapp.create_app({"NOTE_TITLE_MAX": 20})
    with app.test_client() as client:
        login(client)
        response = client.post("/api/notes", json=payload)
        assert response.status_code == 400
        assert response.json == {"error": "Bad Request", "description": "The data is invalid.", "fields": fields}
        assert client.get("/api/notes").json == {"notes": []}


def test_patch_validates_only_the_fields_given(client: Any) -> None:
    login(client)
    create_note(client)
    assert client.patch("/api/notes/1", json={}).status_code == 200
    response = client.patch("/api/notes/1", json={"title": ""})
    assert response.status_code == 400 and response.json["fields"] == {"title": "Must not be empty."}


def test_malformed_json_is_a_json_400(client: Any) -> None:
    login(client)
    response = client.post("/api/notes", content=b"{oops", headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.json["error"] == "Bad Request"
    assert "Failed to decode JSON" in response.json["description"]


def test_body_too_large_is_a_json_413(largeapp: ModuleType) -> None:
    app = largeapp.create_app({"MAX_CONTENT_LENGTH": 100})
    with app.test_client() as client:
        login(client)
        response = create_note(client, body="x" * 200)
        assert response.status_code == 413
        assert response.json["error"] == "Request Entity Too Large"


def test_only_author_or_admin_may_change_a_note(largeapp: ModuleType) -> None:
    app = largeapp.create_app({"SEED_USERS": [("alice", "alice-password", False), ("bob", "bob-password", False)]})
    with app.test_client() as client:
        login(client, "alice")
        create_note(client)
        login(client, "bob")
        assert client.get("/api/notes/1").status_code == 200  # anyone logged in may read
        response = client.patch("/api/notes/1", json={"title": "Mine now"})
        assert response.status_code == 403
        assert response.json["error"] == "Forbidden"
        assert client.delete("/api/notes/1").status_code == 403
    admin_app = largeapp.create_app("testing")
    with admin_app.test_client() as client:
        login(client, "alice")
        create_note(client)
        login(client, "admin")
        assert client.patch("/api/notes/1", json={"title": "Moderated"}).json["author"] == "alice"
        assert client.delete("/api/notes/1").status_code == 204


def test_method_view_methods_and_routing_errors(client: Any) -> None:
    login(client)
    create_note(client)
    # The MethodView's methods are the rule's methods. A routing error (405, 404) comes
    # before any blueprint is chosen, so it gets the app's HTML error page, not the API's JSON.
    response = client.post("/api/notes/1")
    assert response.status_code == 405 and response.headers["content-type"].startswith("text/html")
    assert {"DELETE", "GET", "HEAD", "PATCH", "PUT"} <= set(response.headers["allow"].split(", "))
    response = client.delete("/api/notes")
    assert {"GET", "HEAD", "POST"} <= set(response.headers["allow"].split(", "))
    assert client.get("/api/nowhere").headers["content-type"].startswith("text/html")


def test_api_error_handlers_are_scoped_to_the_blueprint(client: Any) -> None:
    login(client, "alice")
    response = client.get("/admin/")  # an abort(403) outside the api blueprint
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("text/html")


# -- websocket -----------------------------------------------------------------------------------


def test_live_notes_need_login(client: Any) -> None:
    with pytest.raises(WebSocketDenialResponse) as denied:
        with client.websocket_connect(WS_LIVE):
            pass
    assert denied.value.status_code == 401
    assert denied.value.json()["error"] == "Unauthorized"


def test_live_notes_push_events(app: Any, client: Any) -> None:
    login(client)
    with client.websocket_connect(WS_LIVE) as ws:
        assert ws.receive_json() == {"event": "subscribed", "user": "alice"}  # now subscribed
        note = create_note(client).json
        assert ws.receive_json() == {"event": "note.created", "note": note}
        updated = client.patch("/api/notes/1", json={"title": "Renamed"}).json
        assert ws.receive_json() == {"event": "note.updated", "note": updated}
        client.delete("/api/notes/1")
        assert ws.receive_json() == {"event": "note.deleted", "id": 1}
        assert app.extensions["largeapp.note_events"].subscribers == 1
    # Leaving the session ended the view, and with it the subscription.
    assert app.extensions["largeapp.note_events"].subscribers == 0


def test_event_hub_drops_slow_subscribers(largeapp: ModuleType) -> None:
    from largeapp.api.events import NoteEvents

    async def main() -> list[Any]:
        hub = NoteEvents(buffer=2)
        async with hub.subscribe() as events:
            for i in range(3):
                hub.publish({"i": i})  # the third does not fit: the subscriber is dropped
            assert hub.subscribers == 0
            return [event async for event in events]  # what was buffered, then the end

    assert anyio.run(main) == [{"i": 0}, {"i": 1}]


# -- admin blueprint and its nested reports blueprint ---------------------------------------------


@pytest.mark.parametrize("path", ["/admin/", "/admin/reports/", "/admin/reports/notes"])
def test_admin_pages_need_an_admin(client: Any, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 302  # the parent's before_request guards nested pages too
    location = urlsplit(response.headers["location"])
    assert (location.path, parse_qs(location.query)) == ("/auth/login", {"next": [path]})
    login(client, "alice")
    assert client.get(path).status_code == 403
    login(client, "admin")
    assert client.get(path).status_code == 200


def test_admin_index(app: Any, client: Any) -> None:
    login(client, "admin")
    page = client.get("/admin/").text
    assert "<h1>Admin</h1>" in page  # admin/templates/admin/index.html
    assert "<li>admin (admin)</li>" in page and "<li>alice</li>" in page
    assert "<td>auth.login</td><td>admin</td>" in page  # the audit log
    assert 'href="/admin/reports/"' in page


def test_nested_reports_blueprint(app: Any, client: Any) -> None:
    login(client, "alice")
    create_note(client, "one")
    create_note(client, "two")
    login(client, "admin")
    create_note(client, "three")
    index = client.get("/admin/reports/").text
    assert 'href="/admin/reports/notes"' in index  # url_for(".notes_by_author") in the nested blueprint
    page = client.get("/admin/reports/notes").text
    assert "<tr><td>alice</td><td>2</td></tr>" in page and "<tr><td>admin</td><td>1</td></tr>" in page
    with app.test_request_context("/"):
        from microflask import url_for

        assert url_for("admin.reports.notes_by_author") == "/admin/reports/notes"
        assert url_for("admin.index") == "/admin/"


# -- the audit extension -------------------------------------------------------------------------


def test_extension_state_lives_in_app_extensions(largeapp: ModuleType) -> None:
    from largeapp.extensions import AuditLog, AuditState, audit

    one, two = largeapp.create_app("testing"), largeapp.create_app("testing")
    assert isinstance(one.extensions["audit"], AuditState)
    assert one.extensions["audit"] is not two.extensions["audit"]
    with one.test_client() as client:
        login(client)
    assert actions(one) == ["app.start", "auth.login", "app.stop"]
    assert actions(two) == []  # one extension object, separate state per app
    with one.app_context():
        assert audit.entries()[1]["user"] == "alice"

    from microflask import MicroFlask

    plain = MicroFlask("plain")  # the other form: AuditLog(app)
    AuditLog(plain)
    assert plain.config["AUDIT_KEEP"] == 500 and plain.extensions["audit"].path is None


def test_request_timing_header(largeapp: ModuleType, client: Any) -> None:
    for response in (client.get("/"), client.get("/api/notes"), client.get("/missing")):
        name, _, value = response.headers["server-timing"].partition(";dur=")
        assert name == "app" and float(value) >= 0
    app = largeapp.create_app({"AUDIT_TIMING_HEADER": False})
    with app.test_client() as client:
        assert "server-timing" not in client.get("/").headers
    assert app.extensions["audit"].requests == 1


def test_audit_file_opened_at_startup_closed_at_shutdown(largeapp: ModuleType, tmp_path: Path) -> None:
    path = tmp_path / "logs" / "audit.jsonl"
    app = largeapp.create_app({"AUDIT_LOG_PATH": str(path)})
    assert not path.exists()  # creating the app touches no file
    with app.test_client() as client:
        assert path.exists()  # before_serving created the folder and opened the file
        login(client)
        create_note(client)
        client.delete("/api/notes/1")
    assert app.extensions["audit"].file is None  # after_serving closed it
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [line["action"] for line in lines] == ["app.start", "auth.login", "note.create", "note.delete", "app.stop"]
    assert lines[2]["note_id"] == 1 and lines[2]["user"] == "alice" and lines[2]["path"] == "/api/notes"


# -- background tasks ----------------------------------------------------------------------------


@pytest.mark.anyio
async def test_audit_writes_run_after_the_response(largeapp: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    from largeapp.extensions import AuditLog

    release = anyio.Event()
    write = AuditLog._write

    async def held_write(self: Any, entry: dict[str, Any]) -> None:
        if entry["action"] == "auth.login":
            await release.wait()
        await write(self, entry)

    monkeypatch.setattr(AuditLog, "_write", held_write)
    app = largeapp.create_app("testing")
    async with app.async_test_client() as client:
        response = await client.post("/auth/login", data={"username": "alice", "password": "alice-password"})
        assert response.status_code == 302  # answered while the write is still waiting
        assert actions(app) == ["app.start"]
        release.set()
    # Shutdown waits for pending background tasks before after_serving ("app.stop").
    assert actions(app) == ["app.start", "auth.login", "app.stop"]


def test_unfinished_writes_are_cancelled_after_the_shutdown_timeout(
    largeapp: ModuleType, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from largeapp.extensions import AuditLog

    async def stuck_write(self: Any, entry: dict[str, Any]) -> None:
        if entry["action"] == "auth.login":
            await anyio.Event().wait()  # never set
        self.state().entries.append(entry)

    monkeypatch.setattr(AuditLog, "_write", stuck_write)
    app = largeapp.create_app({"BACKGROUND_TASK_SHUTDOWN_TIMEOUT": 0.05})
    with app.test_client() as client:
        assert login(client).status_code == 302
    assert actions(app) == ["app.start", "app.stop"]
    assert "1 background task(s) still running at shutdown were cancelled" in caplog.text
