"""Websockets: @app.websocket views, the websocket object, denial responses, hooks."""

from __future__ import annotations

import logging
import threading
from typing import Any

import pytest
from starlette.testclient import WebSocketDenialResponse

from microflask import Blueprint, MicroFlask, abort, current_app, g, request, url_for, websocket
from microflask.websockets import WebSocketDisconnect

# A generous bound on waiting for the server side of a connection to finish (it never
# normally takes more than a few milliseconds); a safety net against hanging, not a timing check.
DONE_TIMEOUT = 10


def _error_records(caplog: pytest.LogCaptureFixture, app: MicroFlask) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == app.logger.name and r.levelno >= logging.ERROR]


# -- messages ------------------------------------------------------------------------------------


def test_echo_text_and_bytes() -> None:
    app = MicroFlask(__name__)

    @app.websocket("/echo")
    async def echo() -> None:
        await websocket.accept()
        while True:
            await websocket.send(await websocket.receive())

    with app.test_client() as client, client.websocket_connect("/echo") as ws:
        ws.send_text("hello")
        assert ws.receive_text() == "hello"
        ws.send_bytes(b"\x00\x01binary")
        assert ws.receive_bytes() == b"\x00\x01binary"
        ws.send_text("again")
        assert ws.receive_text() == "again"


def test_json_messages() -> None:
    app = MicroFlask(__name__)

    @app.websocket("/json")
    async def json_view() -> None:
        data = await websocket.receive_json()
        await websocket.send_json({"got": data, "count": len(data["items"])})

    with app.test_client() as client, client.websocket_connect("/json") as ws:
        ws.send_json({"items": [1, 2, 3]})
        assert ws.receive_json() == {"got": {"items": [1, 2, 3]}, "count": 3}


def _iterating_app(through_proxy: bool, received: list[str | bytes], done: threading.Event) -> MicroFlask:
    app = MicroFlask(__name__)

    @app.websocket("/collect")
    async def collect() -> None:
        messages = websocket if through_proxy else websocket._get_current_object()
        async for message in messages:
            received.append(message)
            await websocket.send(f"ack {len(received)}")
        done.set()

    return app


def test_async_iteration_over_the_websocket_object_ends_on_disconnect() -> None:
    received: list[str | bytes] = []
    done = threading.Event()
    app = _iterating_app(False, received, done)

    with app.test_client() as client, client.websocket_connect("/collect") as ws:
        ws.send_text("a")
        assert ws.receive_text() == "ack 1"
        ws.send_bytes(b"b")
        assert ws.receive_text() == "ack 2"
        ws.close()
        assert done.wait(DONE_TIMEOUT)
    assert received == ["a", b"b"]


def test_async_iteration_over_the_websocket_proxy() -> None:
    received: list[str | bytes] = []
    done = threading.Event()
    app = _iterating_app(True, received, done)
    with app.test_client() as client, client.websocket_connect("/collect") as ws:
        ws.send_text("a")
        assert ws.receive_text() == "ack 1"
        ws.close()
        assert done.wait(DONE_TIMEOUT)
    assert received == ["a"]


def test_websocket_request_attributes_and_converters() -> None:
    app = MicroFlask(__name__)

    @app.websocket("/rooms/<int:room>/<name>")
    async def room(room: int, name: str) -> None:
        await websocket.send_json(
            {
                "room": room,
                "name": name,
                "view_args": websocket.view_args,
                "path": websocket.path,
                "args": dict(websocket.args),
                "token": websocket.headers.get("x-token"),
                "endpoint": websocket.endpoint,
                "blueprint": websocket.blueprint,
            }
        )

    with app.test_client() as client:
        with client.websocket_connect("/rooms/7/lobby?mode=fast&x=1", headers={"X-Token": "secret"}) as ws:
            assert ws.receive_json() == {
                "room": 7,
                "name": "lobby",
                "view_args": {"room": 7, "name": "lobby"},
                "path": "/rooms/7/lobby",
                "args": {"mode": "fast", "x": "1"},
                "token": "secret",
                "endpoint": "room",
                "blueprint": None,
            }
        with pytest.raises(WebSocketDenialResponse) as info:
            with client.websocket_connect("/rooms/not-a-number/lobby"):
                pass
        assert info.value.status_code == 404


def test_auto_accept_on_first_send_and_on_first_receive() -> None:
    app = MicroFlask(__name__)

    @app.websocket("/send-first")
    async def send_first() -> None:
        assert not websocket.accepted
        await websocket.send("first")
        assert websocket.accepted

    @app.websocket("/receive-first")
    async def receive_first() -> None:
        message = await websocket.receive()
        await websocket.send(f"you said {message}")

    with app.test_client() as client:
        with client.websocket_connect("/send-first") as ws:
            assert ws.receive_text() == "first"
        with client.websocket_connect("/receive-first") as ws:
            ws.send_text("hi")
            assert ws.receive_text() == "you said hi"


def test_accept_with_subprotocol() -> None:
    app = MicroFlask(__name__)

    @app.websocket("/proto")
    async def proto() -> None:
        requested = websocket.requested_subprotocols
        await websocket.accept(subprotocol=requested[-1])
        await websocket.send_json(requested)

    with app.test_client() as client:
        with client.websocket_connect("/proto", subprotocols=["chat.v1", "chat.v2"]) as ws:
            assert ws.accepted_subprotocol == "chat.v2"
            assert ws.receive_json() == ["chat.v1", "chat.v2"]


def test_accept_with_headers() -> None:
    app = MicroFlask(__name__)

    @app.websocket("/headers")
    async def with_headers() -> None:
        await websocket.accept(headers={"X-Server": "microflask"})
        await websocket.send("ok")

    with app.test_client() as client, client.websocket_connect("/headers") as ws:
        assert ws.receive_text() == "ok"
        assert (b"x-server", b"microflask") in (ws.extra_headers or [])


def test_server_close_with_code() -> None:
    app = MicroFlask(__name__)

    @app.websocket("/bye")
    async def bye() -> None:
        await websocket.accept()
        await websocket.close(4000, "go away")

    with app.test_client() as client, client.websocket_connect("/bye") as ws:
        with pytest.raises(WebSocketDisconnect) as info:
            ws.receive_text()
        assert info.value.code == 4000
        assert info.value.reason == "go away"


def test_view_returning_normally_closes_with_1000() -> None:
    app = MicroFlask(__name__)

    @app.websocket("/once")
    async def once() -> None:
        await websocket.send("only")

    with app.test_client() as client, client.websocket_connect("/once") as ws:
        assert ws.receive_text() == "only"
        with pytest.raises(WebSocketDisconnect) as info:
            ws.receive_text()
        assert info.value.code == 1000


# -- disconnect and errors -------------------------------------------------------------------------


def test_client_disconnect_raises_in_view_and_cleanup_runs() -> None:
    app = MicroFlask(__name__)
    events: list[Any] = []
    done = threading.Event()

    @app.websocket("/ws")
    async def ws_view() -> None:
        try:
            while True:
                message = await websocket.receive()
                events.append(("message", message))
        except WebSocketDisconnect as e:
            events.append(("disconnect", e.code))
            raise
        finally:
            events.append("finally")

    @app.teardown_websocket
    def teardown(exc: BaseException | None) -> None:
        events.append(("teardown", exc))
        done.set()

    with app.test_client() as client, client.websocket_connect("/ws") as ws:
        ws.send_text("one")
        ws.close(1001)
        assert done.wait(DONE_TIMEOUT)
    assert events == [("message", "one"), ("disconnect", 1001), "finally", ("teardown", None)]


def test_abort_before_accept_is_a_denial_response() -> None:
    app = MicroFlask(__name__)

    @app.websocket("/private")
    async def private() -> None:
        if websocket.args.get("token") != "ok":
            abort(403)
        await websocket.send("welcome")

    with app.test_client() as client:
        with pytest.raises(WebSocketDenialResponse) as info:
            with client.websocket_connect("/private"):
                pass
        assert info.value.status_code == 403
        with client.websocket_connect("/private?token=ok") as ws:
            assert ws.receive_text() == "welcome"


def test_abort_before_accept_uses_the_error_handler() -> None:
    app = MicroFlask(__name__)

    @app.errorhandler(401)
    async def unauthorized(e: Any) -> Any:
        return "who are you?", 401

    @app.websocket("/ws")
    async def ws_view() -> None:
        abort(401)

    with app.test_client() as client:
        with pytest.raises(WebSocketDenialResponse) as info:
            with client.websocket_connect("/ws"):
                pass
    assert info.value.status_code == 401
    assert info.value.text == "who are you?"


def test_unknown_path_is_a_404_denial() -> None:
    app = MicroFlask(__name__)

    @app.route("/http-only")
    async def http_only() -> str:
        return "http"

    with app.test_client() as client:
        for path in ("/nowhere", "/http-only"):
            with pytest.raises(WebSocketDenialResponse) as info:
                with client.websocket_connect(path):
                    pass
            assert info.value.status_code == 404


def test_websocket_rule_does_not_answer_http() -> None:
    app = MicroFlask(__name__)

    @app.websocket("/ws")
    async def ws_view() -> None:
        await websocket.send("x")

    with app.test_client() as client:
        r = client.get("/ws")
        assert 400 <= r.status_code < 500  # never served as HTTP, never a server error


def test_exception_before_accept_is_a_500_denial_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    app = MicroFlask(__name__)

    @app.websocket("/broken")
    async def broken() -> None:
        raise RuntimeError("broken before accept")

    with caplog.at_level(logging.ERROR), app.test_client() as client:
        with pytest.raises(WebSocketDenialResponse) as info:
            with client.websocket_connect("/broken"):
                pass
    assert info.value.status_code == 500
    assert "broken before accept" not in info.value.text
    records = _error_records(caplog, app)
    assert len(records) == 1
    assert records[0].exc_info is not None
    assert isinstance(records[0].exc_info[1], RuntimeError)


def test_exception_after_accept_closes_with_1011(caplog: pytest.LogCaptureFixture) -> None:
    app = MicroFlask(__name__)
    errors: list[BaseException | None] = []
    done = threading.Event()

    @app.websocket("/crash")
    async def crash() -> None:
        await websocket.accept()
        await websocket.send("before")
        raise ValueError("after accept")

    @app.teardown_websocket
    async def teardown(exc: BaseException | None) -> None:
        errors.append(exc)
        done.set()

    with caplog.at_level(logging.ERROR), app.test_client() as client, client.websocket_connect("/crash") as ws:
        assert ws.receive_text() == "before"
        with pytest.raises(WebSocketDisconnect) as info:
            ws.receive_text()
        assert info.value.code == 1011
        assert done.wait(DONE_TIMEOUT)
    assert len(errors) == 1 and isinstance(errors[0], ValueError)
    assert len(_error_records(caplog, app)) == 1


def test_sync_websocket_view_is_rejected_at_registration() -> None:
    app = MicroFlask(__name__)
    with pytest.raises(TypeError, match="async"):

        @app.websocket("/sync")
        def sync_view() -> None:
            pass

    bp = Blueprint("bp", __name__)

    @bp.websocket("/sync")
    def bp_sync_view() -> None:
        pass

    with pytest.raises(TypeError, match="async"):
        app.register_blueprint(bp)


# -- hooks ---------------------------------------------------------------------------------------


def test_websocket_hooks_run_in_order_and_request_hooks_do_not() -> None:
    app = MicroFlask(__name__)
    events: list[Any] = []
    done = threading.Event()

    @app.before_request
    async def before_request() -> None:
        events.append("before_request")

    @app.after_request
    async def after_request(response: Any) -> Any:
        events.append("after_request")
        return response

    @app.teardown_request
    async def teardown_request(exc: BaseException | None) -> None:
        events.append("teardown_request")

    @app.before_websocket
    async def before_ws() -> None:
        events.append(f"before_websocket {websocket.path}")
        g.user = websocket.args.get("user")

    @app.after_websocket
    def after_ws(response: Any) -> Any:
        events.append(("after_websocket", response))
        return response

    @app.teardown_websocket
    async def teardown_ws(exc: BaseException | None) -> None:
        events.append(("teardown_websocket", exc))
        done.set()

    @app.websocket("/ws")
    async def ws_view() -> None:
        events.append("view")
        await websocket.send(f"hello {g.user}")

    with app.test_client() as client, client.websocket_connect("/ws?user=ann") as ws:
        assert ws.receive_text() == "hello ann"
        assert done.wait(DONE_TIMEOUT)
    assert events == [
        "before_websocket /ws",
        "view",
        ("after_websocket", None),
        ("teardown_websocket", None),
    ]


def test_before_websocket_returning_a_response_refuses_the_connection() -> None:
    app = MicroFlask(__name__)
    called: list[str] = []

    @app.before_websocket
    def guard() -> Any:
        if websocket.headers.get("authorization") != "Bearer ok":
            return "no entry", 401, {"WWW-Authenticate": "Bearer"}
        return None

    @app.websocket("/ws")
    async def ws_view() -> None:
        called.append("view")
        await websocket.send("in")

    with app.test_client() as client:
        with pytest.raises(WebSocketDenialResponse) as info:
            with client.websocket_connect("/ws"):
                pass
        assert info.value.status_code == 401
        assert info.value.text == "no entry"
        assert info.value.headers["www-authenticate"] == "Bearer"
        assert called == []
        with client.websocket_connect("/ws", headers={"Authorization": "Bearer ok"}) as ws:
            assert ws.receive_text() == "in"
    assert called == ["view"]


def test_after_websocket_gets_the_response_the_view_returned() -> None:
    app = MicroFlask(__name__)
    seen: list[Any] = []

    @app.after_websocket
    async def after_ws(response: Any) -> Any:
        seen.append((response.status_code, bytes(response.body)))
        return response

    @app.websocket("/refuse")
    async def refuse() -> Any:
        return "go away", 403

    with app.test_client() as client:
        with pytest.raises(WebSocketDenialResponse) as info:
            with client.websocket_connect("/refuse"):
                pass
    assert (info.value.status_code, info.value.text) == (403, "go away")
    assert seen == [(403, b"go away")]


# -- context -------------------------------------------------------------------------------------


def test_g_current_app_and_url_for_in_a_websocket_view() -> None:
    app = MicroFlask(__name__)
    app.config["GREETING"] = "hey"

    @app.route("/users/<int:id>")
    async def user(id: int) -> str:
        return "user"

    @app.before_websocket
    async def load() -> None:
        g.loaded = "yes"

    @app.websocket("/ws")
    async def ws_view() -> None:
        with pytest.raises(RuntimeError):
            request.path  # noqa: B018 - there is no HTTP request in a websocket view
        await websocket.send_json(
            {
                "g": g.loaded,
                "app": current_app.name,
                "config": current_app.config["GREETING"],
                "url": url_for("user", id=3),
                "self": url_for("ws_view"),
            }
        )

    with app.test_client() as client, client.websocket_connect("/ws") as ws:
        assert ws.receive_json() == {
            "g": "yes",
            "app": app.name,
            "config": "hey",
            "url": "/users/3",
            "self": "/ws",
        }


def test_websocket_proxy_outside_a_websocket_is_an_error() -> None:
    app = MicroFlask(__name__)

    @app.route("/")
    async def index() -> str:
        try:
            websocket.path  # noqa: B018
        except RuntimeError:
            return "no websocket"
        return "websocket?"

    with app.test_client() as client:
        assert client.get("/").text == "no websocket"


def test_websocket_routes_on_blueprints_with_scoped_hooks() -> None:
    app = MicroFlask(__name__)
    bp = Blueprint("chat", __name__, url_prefix="/chat")
    other = Blueprint("other", __name__, url_prefix="/other")
    events: list[str] = []
    done = threading.Event()

    @bp.before_websocket
    async def bp_before() -> None:
        events.append(f"chat before {websocket.blueprint}")

    @bp.teardown_websocket
    def bp_teardown(exc: BaseException | None) -> None:
        events.append("chat teardown")
        done.set()

    @bp.websocket("/<room>")
    async def room(room: str) -> None:
        await websocket.send_json({"room": room, "endpoint": websocket.endpoint, "url": url_for(".room", room="x")})

    @other.websocket("/ws")
    async def other_ws() -> None:
        events.append("other view")
        await websocket.send("other")

    app.register_blueprint(bp)
    app.register_blueprint(other)

    with app.test_client() as client:
        with client.websocket_connect("/chat/lobby") as ws:
            assert ws.receive_json() == {"room": "lobby", "endpoint": "chat.room", "url": "/chat/x"}
            assert done.wait(DONE_TIMEOUT)
        assert events == ["chat before chat", "chat teardown"]
        events.clear()
        with client.websocket_connect("/other/ws") as ws:
            assert ws.receive_text() == "other"
    assert "chat before chat" not in events


def test_websocket_and_http_on_the_same_path() -> None:
    app = MicroFlask(__name__)

    @app.route("/live")
    async def live_http() -> str:
        return "http"

    @app.websocket("/live")
    async def live_ws() -> None:
        await websocket.send("ws")

    with app.test_client() as client:
        assert client.get("/live").text == "http"
        with client.websocket_connect("/live") as ws:
            assert ws.receive_text() == "ws"


def test_url_value_preprocessors_run_for_websockets() -> None:
    app = MicroFlask(__name__)
    bp = Blueprint("i18n", __name__, url_prefix="/<lang_code>")

    @bp.url_value_preprocessor
    def pull_lang_code(endpoint: str | None, values: dict[str, Any]) -> None:
        g.lang_code = values.pop("lang_code")

    @bp.websocket("/ws")
    async def ws_view() -> None:
        await websocket.send(g.lang_code)

    app.register_blueprint(bp)
    with app.test_client() as client, client.websocket_connect("/de/ws") as ws:
        assert ws.receive_text() == "de"


def test_error_handler_for_an_exception_class_applies_to_websockets(caplog: pytest.LogCaptureFixture) -> None:
    app = MicroFlask(__name__)

    @app.errorhandler(ValueError)
    async def bad_value(e: ValueError) -> Any:
        return "bad value", 400

    @app.websocket("/ws")
    async def ws_view() -> None:
        raise ValueError("nope")

    with caplog.at_level(logging.ERROR), app.test_client() as client:
        with pytest.raises(WebSocketDenialResponse) as info:
            with client.websocket_connect("/ws"):
                pass
    assert (info.value.status_code, info.value.text) == (400, "bad value")
