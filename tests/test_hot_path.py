"""The request path's shape (issue 18.4), asserted without timing.

An endpoint with no hook of any kind takes the lean path (``MicroFlask._serve_lean``): the view,
then its str or dict result sent as two ASGI messages, with no ``Response`` object. Everything the
lean path does not cover goes on along the general path, so each case here is answered exactly as
by the same app with a do-nothing ``before_request`` hook (which makes every endpoint general).
"""

from __future__ import annotations

import contextvars
from collections.abc import AsyncIterator
from typing import Any

import pytest

from microflask import (
    MicroFlask,
    Response,
    abort,
    after_this_request,
    g,
    render_template_string,
    request,
    session,
    signals,
    stream_with_context,
)
from microflask.sessions import SessionInterface


def lean_capable_app() -> MicroFlask:
    """An app whose hookless async endpoints are lean whichever tests ran before: Flask-extension
    mode (on while ``microflask.flask_patch`` is active) reads bodies first, on the general path."""
    app = MicroFlask(__name__)
    app.flask_extension_support = False
    return app


def build_app(general: bool) -> MicroFlask:
    app = lean_capable_app()
    app.secret_key = "hot-path-secret"
    ran: list[str] = []
    app.config["RAN"] = ran
    if general:

        @app.before_request
        def nothing() -> None:
            return None

    @app.errorhandler(KeyError)
    async def key_error(e: KeyError) -> tuple[str, int]:
        return f"no key {e.args[0]}", 409

    @app.get("/text")
    async def text() -> str:
        return "hello"

    @app.get("/json/<int:n>")
    async def as_json(n: int) -> dict[str, Any]:
        return {"n": n, "list": [1, 2]}

    @app.get("/list")
    async def as_list() -> list[int]:
        return [1, 2, 3]

    @app.get("/tuple")
    async def as_tuple() -> Any:
        return "made", 201, {"X-Kind": "tuple"}

    @app.get("/response")
    async def as_response() -> Response:
        return Response("own", 202, mimetype="text/plain")

    @app.get("/abort")
    async def aborts() -> str:
        abort(404)

    @app.get("/handled")
    async def handled() -> str:
        raise KeyError("k")

    @app.get("/unhandled")
    async def unhandled() -> str:
        raise ValueError("boom")

    @app.get("/none")
    async def returns_none() -> Any:
        return None

    @app.post("/session")
    async def set_session() -> str:
        session["who"] = "ada"
        return "stored"

    @app.get("/session")
    async def read_session() -> str:
        return session.get("who", "nobody")

    @app.get("/after")
    async def after() -> str:
        @after_this_request
        def add_header(response: Response) -> Response:
            response.headers["X-After"] = "yes"
            return response

        return "after"

    @app.get("/background")
    async def background() -> str:
        app.add_background_task(ran.append, "job")
        return "queued"

    @app.get("/g")
    async def uses_g() -> str:
        g.value = "in g"
        return g.value

    @app.post("/form")
    async def form() -> str:
        data = await request.form
        return data["name"]

    @app.get("/stream")
    async def stream() -> Any:
        @stream_with_context
        async def chunks() -> AsyncIterator[str]:
            yield "a"
            yield request.path

        return chunks()

    @app.get("/unawaited")
    async def unawaited() -> Any:
        return render_template_string("x")  # forgot await: a clear 500, as on the general path

    @app.get("/unserializable")
    async def unserializable() -> dict[str, Any]:
        return {"obj": object()}  # the JSON encoder raises after the view: still the app's 500

    @app.get("/surrogate")
    async def surrogate() -> str:
        return "\ud800"  # a lone surrogate cannot be UTF-8

    return app


CASES = [
    ("GET", "/text", {}),
    ("GET", "/json/7", {}),
    ("GET", "/list", {}),
    ("GET", "/tuple", {}),
    ("GET", "/response", {}),
    ("GET", "/abort", {}),
    ("GET", "/handled", {}),
    ("GET", "/unhandled", {}),
    ("GET", "/none", {}),
    ("GET", "/after", {}),
    ("GET", "/background", {}),
    ("GET", "/g", {}),
    ("POST", "/form", {"data": {"name": "form value"}}),
    ("GET", "/stream", {}),
    ("GET", "/unawaited", {}),
    ("GET", "/unserializable", {}),
    ("GET", "/surrogate", {}),
    ("HEAD", "/text", {}),
    ("OPTIONS", "/text", {}),
    ("POST", "/text", {}),
    ("GET", "/nowhere", {}),
]


def answer(app: MicroFlask, method: str, path: str, kwargs: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
    client = app.test_client(raise_server_exceptions=False)
    response = client.request(method, path, **kwargs)
    headers = {k: v for k, v in response.headers.items() if k != "date"}
    return response.status_code, headers, response.content


@pytest.mark.parametrize(("method", "path", "kwargs"), CASES, ids=[f"{m} {p}" for m, p, _ in CASES])
def test_lean_endpoints_answer_as_the_general_path(method: str, path: str, kwargs: dict[str, Any]) -> None:
    lean, general = build_app(general=False), build_app(general=True)
    assert answer(lean, method, path, kwargs) == answer(general, method, path, kwargs)


def test_errors_after_a_lean_view_are_the_apps_answers() -> None:
    """Encoding a lean result can fail after the view returned: the app's error handling answers
    with its 500, as Flask does for an error while making the response (an escaping exception
    would be the server's bare 500, or a test client's exception)."""
    client = build_app(general=False).test_client()
    for path in ("/unserializable", "/surrogate"):
        response = client.get(path)
        assert response.status_code == 500 and b"Internal Server Error" in response.data, path


def test_lean_path_keeps_the_session_background_tasks_and_after_this_request() -> None:
    app = build_app(general=False)
    client = app.test_client()
    assert client.get("/session").text == "nobody"
    stored = client.post("/session")
    assert stored.text == "stored" and "session=" in stored.headers["set-cookie"]
    assert "httponly" in stored.headers["set-cookie"].lower()
    assert client.get("/session").text == "ada"
    assert client.get("/after").headers["x-after"] == "yes"
    assert client.get("/background").text == "queued"
    assert app.config["RAN"] == ["job"]


def test_permanent_session_is_refreshed_by_a_lean_endpoint_that_does_not_touch_it() -> None:
    app = build_app(general=False)

    @app.post("/permanent")
    async def permanent() -> str:
        session.permanent = True
        session["who"] = "ada"
        return "ok"

    client = app.test_client()
    client.post("/permanent")
    assert "set-cookie" in client.get("/text").headers  # SESSION_REFRESH_EACH_REQUEST
    assert "set-cookie" not in app.test_client().get("/text").headers  # no cookie: nothing to refresh


def plans(app: MicroFlask) -> dict[str, bool]:
    app._ensure_setup()
    return {rule.endpoint: rule.plan.lean for rule in app.url_map.iter_rules()}  # type: ignore[attr-defined]


def test_which_endpoints_are_lean() -> None:
    from microflask import Blueprint

    app = lean_capable_app()
    bp = Blueprint("hooked", __name__)

    @bp.before_request
    async def check() -> None:
        return None

    @bp.get("/in-blueprint")
    async def in_blueprint() -> str:
        return "bp"

    @app.get("/async")
    async def async_view() -> str:
        return "a"

    @app.get("/sync")
    def sync_view() -> str:
        return "s"

    @app.websocket("/ws")
    async def ws() -> None:
        return None

    app.register_blueprint(bp)
    lean = plans(app)
    assert lean["async_view"] is True
    assert lean["hooked.in_blueprint"] is False  # its blueprint's hook runs before it
    assert lean["sync_view"] is False  # a sync view runs on a worker thread: the general path
    assert lean["ws"] is False


def test_flask_extension_mode_keeps_endpoints_lean_and_reads_the_body_first() -> None:
    app = lean_capable_app()
    app.flask_extension_support = True

    def read_sync() -> Any:  # a Flask extension's sync code: no await, the body was read before the view
        return request.get_json()

    @app.post("/echo")
    async def echo() -> dict[str, Any]:
        return {"sync": read_sync()}

    assert plans(app)["echo"] is True
    assert app.test_client().post("/echo", json={"a": 1}).json == {"sync": {"a": 1}}


@pytest.mark.parametrize("hook", ["after_request", "teardown_request", "teardown_appcontext", "url_value_preprocessor"])
def test_any_app_hook_makes_every_endpoint_general(hook: str) -> None:
    app = MicroFlask(__name__)

    @app.get("/")
    async def index() -> str:
        return "i"

    getattr(app, hook)(lambda *args: args[0] if hook == "after_request" else None)
    assert plans(app)["index"] is False


def test_a_session_interface_that_opens_before_the_view_makes_endpoints_general() -> None:
    class Eager(SessionInterface):
        opens_lazily = False

    app = MicroFlask(__name__)
    app.session_interface = Eager()

    @app.get("/")
    async def index() -> str:
        return "i"

    assert plans(app)["index"] is False


def test_lean_str_and_dict_results_build_no_response_object(monkeypatch: pytest.MonkeyPatch) -> None:
    # Once a receiver has connected to any signal (earlier tests connect some), every request takes
    # the general path, which sends them: here, as in an app without receivers, none ever did.
    monkeypatch.setattr(signals.state, "connected", False)
    app = build_app(general=False)
    client = app.test_client()
    built: list[Any] = []
    original = Response.__init__

    def counting(self: Response, *args: Any, **kwargs: Any) -> None:
        built.append(args[:1])
        original(self, *args, **kwargs)

    monkeypatch.setattr(Response, "__init__", counting)
    text = client.get("/text")
    assert (text.status_code, text.text, text.headers["content-type"]) == (200, "hello", "text/html; charset=utf-8")
    assert text.headers["content-length"] == "5"
    data = client.get("/json/3")
    assert (data.json, data.headers["content-type"]) == ({"n": 3, "list": [1, 2]}, "application/json")
    assert built == []
    assert client.get("/after").status_code == 200  # after_this_request needs the object: the general path
    assert built == [("after",)]


def test_a_custom_response_class_is_used_for_lean_endpoints_too() -> None:
    class Tagged(Response):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.headers["X-Tagged"] = "1"

    app = MicroFlask(__name__)
    app.response_class = Tagged

    @app.get("/")
    async def index() -> str:
        return "i"

    assert app.test_client().get("/").headers["x-tagged"] == "1"


def test_signals_connected_send_request_started_from_lean_endpoints() -> None:
    from microflask import request_started

    app = build_app(general=False)
    seen: list[str] = []

    def started(sender: MicroFlask, **kwargs: Any) -> None:
        seen.append(request.path)

    with request_started.connected_to(started, app):
        assert app.test_client().get("/text").text == "hello"
    assert seen == ["/text"]


@pytest.mark.anyio
@pytest.mark.parametrize("general", [False, True], ids=["lean", "general"])
async def test_responses_are_sent_outside_the_request_context(general: bool) -> None:
    # A server may capture the current context while it sends (uvicorn's keep-alive timer does):
    # the request's objects must not live on in it until the connection's next request.
    from microflask.globals import _cv_context

    app = build_app(general=general)
    captured: list[Any] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        captured.append((message["type"], contextvars.copy_context().get(_cv_context, None)))

    for path in ("/text", "/json/1", "/tuple"):
        scope = {"type": "http", "method": "GET", "path": path, "query_string": b"", "headers": [], "root_path": ""}
        await app(scope, receive, send)
    assert [kind for kind, _ in captured] == ["http.response.start", "http.response.body"] * 3
    assert [ctx for _, ctx in captured] == [None] * 6


def test_plans_and_the_extension_mode_are_worked_out_once_at_freeze(monkeypatch: pytest.MonkeyPatch) -> None:
    from microflask import plans as plans_module

    built: list[str | None] = []
    asked: list[MicroFlask] = []
    original_init = plans_module.EndpointPlan.__init__
    original_support = plans_module.supports_flask_extensions

    def counting_init(self: Any, app: MicroFlask, endpoint: str | None, *args: Any, **kwargs: Any) -> None:
        built.append(endpoint)
        original_init(self, app, endpoint, *args, **kwargs)

    def counting_support(app: MicroFlask) -> bool:
        asked.append(app)
        return original_support(app)

    monkeypatch.setattr(plans_module.EndpointPlan, "__init__", counting_init)
    monkeypatch.setattr("microflask.app.supports_flask_extensions", counting_support)
    app = build_app(general=True)
    client = app.test_client()
    assert client.get("/text").text == "hello"
    after_first = list(built)
    assert len(asked) == 1 and "text" in after_first and None in after_first  # and the no-route plan
    for path in ("/text", "/json/1", "/nowhere", "/g"):
        client.get(path)
    assert built == after_first and len(asked) == 1


def test_validation_operations_are_planned_once_at_freeze(monkeypatch: pytest.MonkeyPatch) -> None:
    pydantic = pytest.importorskip("pydantic")
    from microflask.schema import OpenAPI, runtime, validate_request, validate_response

    planned: list[str] = []
    original = runtime.collect

    def counting(endpoint: str, *args: Any) -> Any:
        planned.append(endpoint)
        return original(endpoint, *args)

    monkeypatch.setattr("microflask.schema.openapi.collect", counting)

    class Item(pydantic.BaseModel):
        name: str

    app = lean_capable_app()
    OpenAPI(app)

    @app.post("/items")
    @validate_request(Item)
    @validate_response(Item)
    async def create(data: Any) -> Any:  # decorators, not annotations: a model local to a test has no importable name
        return data

    client = app.test_client()
    for name in ("a", "b", "c"):
        assert client.post("/items", json={"name": name}).json == {"name": name}
    assert client.post("/items", json={}).status_code == 422
    assert planned.count("create") == 1
