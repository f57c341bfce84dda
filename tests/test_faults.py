"""Faults are contained: an exception in a view, a hook, an error handler, a teardown, a template,
a background task or a streamed body becomes a 500 (or is logged after the response), never a
crash, never a traceback for the client; a client that goes away mid-stream or trickles its
request in byte by byte costs the server nothing else.

The connection-level cases run on a real Uvicorn (``served`` fixture, one per module); the rest
through the test client.
"""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import anyio
import pytest
from live_server import DEADLINE, LiveServer, get, parse_response, recv_all, wait_until

from microflask import MicroFlask, Response, current_app, render_template, render_template_string, request

PLAIN_500 = "The server encountered an internal error"

#: What the served app's generators and teardowns report (appended from the server's thread).
EVENTS: list[str] = []


def errors_of(caplog: pytest.LogCaptureFixture, app: MicroFlask) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == app.name and r.levelno >= logging.ERROR]


def assert_plain_500(response: Any) -> None:
    assert response.status_code == 500
    assert PLAIN_500 in response.text
    assert "Traceback" not in response.text and 'File "' not in response.text


# -- through the test client ---------------------------------------------------------------------


@pytest.mark.parametrize("use_async", [False, True], ids=["sync-view", "async-view"])
def test_exception_in_view_is_a_logged_500(caplog: pytest.LogCaptureFixture, use_async: bool) -> None:
    app = MicroFlask(__name__)

    def fail() -> str:
        raise ZeroDivisionError("view exploded")

    async def fail_async() -> str:
        return fail()

    app.add_url_rule("/", "index", fail_async if use_async else fail)
    with app.test_client() as client:
        response = client.get("/")
        assert_plain_500(response)
        assert "view exploded" not in response.text
    (record,) = errors_of(caplog, app)
    assert record.getMessage() == "Exception on / [GET]"
    assert record.exc_info is not None and record.exc_info[0] is ZeroDivisionError


def test_exception_in_before_request(caplog: pytest.LogCaptureFixture) -> None:
    app = MicroFlask(__name__)
    seen: list[Any] = []

    @app.before_request
    async def explode() -> None:
        raise KeyError("before_request exploded")

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        seen.append(exc)

    @app.route("/")
    async def index() -> str:
        seen.append("view")
        return "never"

    with app.test_client() as client:
        assert_plain_500(client.get("/"))
    assert len(seen) == 1 and isinstance(seen[0], KeyError)  # the view never ran; teardown saw the error
    (record,) = errors_of(caplog, app)
    assert record.exc_info is not None and record.exc_info[0] is KeyError


def test_exception_in_after_request(caplog: pytest.LogCaptureFixture) -> None:
    """A failing after_request turns the answer into a 500; failing again on the 500 page, the
    plain page goes out anyway."""
    app = MicroFlask(__name__)

    @app.after_request
    def explode(response: Response) -> Response:
        raise RuntimeError("after_request exploded")

    @app.route("/")
    async def index() -> str:
        return "fine"

    with app.test_client() as client:
        response = client.get("/")
        assert_plain_500(response)
        assert "fine" not in response.text
    messages = [r.getMessage() for r in errors_of(caplog, app)]
    assert messages == ["Exception on / [GET]", "An after_request function failed on the 500 response"]


def test_failing_404_handler_falls_back_to_the_plain_500(caplog: pytest.LogCaptureFixture) -> None:
    app = MicroFlask(__name__)

    @app.errorhandler(404)
    async def not_found(e: Exception) -> str:
        raise RuntimeError("the 404 handler exploded")

    with app.test_client() as client:
        assert_plain_500(client.get("/missing"))
    (record,) = errors_of(caplog, app)
    assert record.exc_info is not None and str(record.exc_info[1]) == "the 404 handler exploded"


def test_failing_500_handler_falls_back_to_the_plain_500(caplog: pytest.LogCaptureFixture) -> None:
    app = MicroFlask(__name__)

    @app.errorhandler(500)
    def server_error(e: Exception) -> str:
        raise RuntimeError("the 500 handler exploded")

    @app.route("/")
    async def index() -> str:
        raise ValueError("the view exploded")

    with app.test_client() as client:
        assert_plain_500(client.get("/"))
    messages = [r.getMessage() for r in errors_of(caplog, app)]
    assert messages == ["Exception on / [GET]", "The error handler for 500 failed; sending the plain 500 page"]


def test_failing_exception_handler_and_500_handler(caplog: pytest.LogCaptureFixture) -> None:
    """A handler for the view's own exception fails, and so does the 500 handler: plain 500."""
    app = MicroFlask(__name__)

    @app.errorhandler(ValueError)
    async def on_value_error(e: Exception) -> str:
        raise TypeError("the ValueError handler exploded")

    @app.errorhandler(500)
    async def server_error(e: Exception) -> str:
        raise TypeError("the 500 handler exploded")

    @app.route("/")
    async def index() -> str:
        raise ValueError("the view exploded")

    with app.test_client() as client:
        assert_plain_500(client.get("/"))
    assert len(errors_of(caplog, app)) == 2


def test_exception_in_teardown_is_logged_and_the_response_still_goes_out(caplog: pytest.LogCaptureFixture) -> None:
    app = MicroFlask(__name__)
    ran: list[str] = []

    @app.teardown_request
    def first(exc: BaseException | None) -> None:
        raise RuntimeError("teardown exploded")

    @app.teardown_request
    async def second(exc: BaseException | None) -> None:
        ran.append("second teardown")

    @app.route("/")
    async def index() -> Response:
        return Response("chosen", 201, headers={"X-Chosen": "yes"})

    with app.test_client() as client:
        response = client.get("/")
        assert (response.status_code, response.text, response.headers["x-chosen"]) == (201, "chosen", "yes")
        assert client.get("/").status_code == 201  # and the app goes on serving
    assert ran == ["second teardown", "second teardown"]
    records = errors_of(caplog, app)
    assert len(records) == 2
    assert records[0].getMessage().startswith("Error in teardown function")
    assert records[0].exc_info is not None and str(records[0].exc_info[1]) == "teardown exploded"


@pytest.mark.parametrize(
    "source",
    ["{{ 1 // 0 }}", "{{ missing.attribute.deeper }}", "{% for x in %}", "{{ x | no_such_filter }}"],
    ids=["zero-division", "undefined-attribute", "syntax-error", "unknown-filter"],
)
def test_template_error_is_a_500(caplog: pytest.LogCaptureFixture, source: str) -> None:
    app = MicroFlask(__name__)

    @app.route("/")
    async def index() -> str:
        return await render_template_string(source, x=1)

    with app.test_client() as client:
        response = client.get("/")
        assert_plain_500(response)
        assert source not in response.text
    assert len(errors_of(caplog, app)) == 1


def test_missing_template_is_a_500(caplog: pytest.LogCaptureFixture, tmp_path: Any) -> None:
    app = MicroFlask(__name__, root_path=str(tmp_path))

    @app.route("/")
    async def index() -> str:
        return await render_template("nowhere.html")

    with app.test_client() as client:
        response = client.get("/")
        assert_plain_500(response)
        assert str(tmp_path) not in response.text
    (record,) = errors_of(caplog, app)
    assert record.exc_info is not None and type(record.exc_info[1]).__name__ == "TemplateNotFound"


def test_failing_background_task_is_logged_and_the_response_is_fine(caplog: pytest.LogCaptureFixture) -> None:
    app = MicroFlask(__name__)
    done: list[str] = []

    async def explode() -> None:
        raise RuntimeError("background task exploded")

    def later() -> None:
        done.append(current_app.name)

    @app.route("/")
    async def index() -> str:
        current_app.add_background_task(explode)
        current_app.add_background_task(later)
        return "response first"

    with app.test_client() as client:
        response = client.get("/")
        assert (response.status_code, response.text) == (200, "response first")
        wait_until(lambda: done and errors_of(caplog, app), what="the background tasks")
        assert client.get("/").status_code == 200
    assert done[0] == app.name
    record = errors_of(caplog, app)[0]
    assert record.getMessage().startswith("Background task") and "failed" in record.getMessage()
    assert record.exc_info is not None and str(record.exc_info[1]) == "background task exploded"


def test_stream_failing_before_its_first_chunk_is_a_500(caplog: pytest.LogCaptureFixture) -> None:
    app = MicroFlask(__name__)

    @app.route("/")
    async def index() -> Any:
        async def chunks() -> AsyncIterator[str]:
            raise RuntimeError("no first chunk")
            yield "never"

        return chunks()

    with app.test_client() as client:
        assert_plain_500(client.get("/"))
    assert len(errors_of(caplog, app)) == 1


# -- over a real server --------------------------------------------------------------------------

CHUNK = b"x" * 65536
#: The most chunks the runaway generator yields before it stops by itself.
RUNAWAY_LIMIT = 100_000


def create_app() -> MicroFlask:
    app = MicroFlask("faults_served")

    @app.teardown_request
    def record_teardown(exc: BaseException | None) -> None:
        EVENTS.append(f"teardown {request.full_path}")

    @app.route("/")
    async def index() -> str:
        return "ok"

    @app.route("/fail-mid-stream")
    async def fail_mid_stream() -> Any:
        async def chunks() -> AsyncIterator[str]:
            yield "first chunk\n"
            yield "second chunk\n"
            raise RuntimeError("stream exploded mid-way")

        return chunks()

    @app.route("/endless-async")
    async def endless_async() -> Any:
        async def chunks() -> AsyncIterator[str]:
            try:
                n = 0
                while True:
                    yield f"chunk {n}\n"
                    n += 1
                    await anyio.sleep(0.005)  # the app's own pace, as a ticker would
            finally:
                EVENTS.append("async generator finally")

        return chunks()

    @app.route("/endless-sync")
    def endless_sync() -> Any:
        def chunks() -> Iterator[str]:
            try:
                n = 0
                while True:
                    yield f"chunk {n}\n"
                    n += 1
                    time.sleep(0.005)  # runs in a worker thread: the app's own pace
            finally:
                EVENTS.append("sync generator finally")

        return chunks()

    @app.route("/runaway")
    async def runaway() -> Any:
        async def chunks() -> AsyncIterator[bytes]:
            n = 0
            try:
                while n < RUNAWAY_LIMIT:
                    n += 1
                    yield CHUNK  # never awaits anything: the consumer is its only pause
            finally:
                EVENTS.append(f"runaway stopped after {n}")

        return chunks()

    @app.post("/echo")
    async def echo() -> Any:
        return {"length": len(await request.get_data())}

    return app


@pytest.fixture(scope="module")
def served() -> Iterator[LiveServer]:
    with LiveServer(create_app()) as server:
        yield server


@pytest.fixture(autouse=True)
def _clear_events() -> None:
    EVENTS.clear()


def read_until(sock: socket.socket, marker: bytes) -> bytes:
    sock.settimeout(DEADLINE)
    data = b""
    while marker not in data:
        chunk = sock.recv(65536)
        assert chunk, f"closed before {marker!r}: {data!r}"
        data += chunk
    return data


def test_stream_failing_mid_stream_closes_the_connection_and_is_logged(served: LiveServer) -> None:
    served.clear_log()
    with served.connect() as sock:
        sock.sendall(b"GET /fail-mid-stream HTTP/1.1\r\nHost: x\r\n\r\n")
        data = recv_all(sock)  # the server closes the connection: no need for Connection: close
    response = parse_response(data)
    assert response is not None
    assert response.status == 200 and response.header("transfer-encoding") == "chunked"
    assert response.body == b"first chunk\nsecond chunk\n"
    assert not response.complete  # no terminating zero-size chunk: the client can tell it was cut
    assert b"exploded" not in data and b"Traceback" not in data
    record = wait_until(
        lambda: next((r for r in served.errors() if r.exc_info and "mid-way" in str(r.exc_info[1])), None),
        what="the logged error",
    )
    assert record.getMessage() == "Exception on /fail-mid-stream [GET]"
    assert get(served.port, "/").status == 200


@pytest.mark.parametrize("kind", ["async", "sync"])
def test_client_gone_mid_stream_runs_finally_and_teardown(served: LiveServer, kind: str) -> None:
    served.clear_log()
    with served.connect() as sock:
        sock.sendall(f"GET /endless-{kind} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        read_until(sock, b"chunk 2\n")
    wait_until(
        lambda: {f"{kind} generator finally", f"teardown /endless-{kind}?"} <= set(EVENTS),
        what=f"the generator's finally and the teardown (events: {EVENTS})",
    )
    assert get(served.port, "/").status == 200
    assert not served.errors(), served.log.text()


def test_client_gone_stops_a_generator_that_never_awaits(served: LiveServer) -> None:
    with served.connect() as sock:
        sock.sendall(b"GET /runaway HTTP/1.1\r\nHost: x\r\n\r\n")
        read_until(sock, b"xxxx")
    stopped = wait_until(lambda: [e for e in EVENTS if e.startswith("runaway stopped")], what="the generator's end")
    produced = int(stopped[0].rsplit(" ", 1)[1])
    # Connected, flow control paces the generator; once the client is gone it must stop soon,
    # not produce the rest of its RUNAWAY_LIMIT chunks (6.5 GB) into the void.
    assert produced < RUNAWAY_LIMIT // 10, f"produced {produced} chunks after the client left"


def test_slow_client_sending_headers_byte_by_byte_does_not_hold_up_others(served: LiveServer) -> None:
    request_bytes = b"GET / HTTP/1.1\r\nHost: slow.example\r\nUser-Agent: trickle\r\nConnection: close\r\n\r\n"
    with served.connect() as slow:
        for i, byte in enumerate(request_bytes[:-1]):
            slow.sendall(bytes([byte]))
            if i % 10 == 0:  # meanwhile, others are served (get() fails after DEADLINE otherwise)
                assert get(served.port, "/").body == b"ok"
        slow.sendall(request_bytes[-1:])
        response = parse_response(recv_all(slow))
    assert response is not None and (response.status, response.body) == (200, b"ok")


def test_slow_client_trickling_its_body_does_not_hold_up_others(served: LiveServer) -> None:
    body = b"0123456789" * 5
    with served.connect() as slow:
        slow.sendall(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % len(body))
        for i in range(len(body)):
            slow.sendall(body[i : i + 1])
            if i % 10 == 0:
                assert get(served.port, "/").body == b"ok"
        response = parse_response(recv_all(slow))
    assert response is not None and response.status == 200 and response.body == b'{"length":50}\n'


def test_many_idle_connections_do_not_hold_up_others(served: LiveServer) -> None:
    """Connections that were opened and never sent a byte do not keep a request from being served."""
    idle = [served.connect() for _ in range(50)]
    try:
        assert get(served.port, "/").body == b"ok"
    finally:
        for sock in idle:
            sock.close()
