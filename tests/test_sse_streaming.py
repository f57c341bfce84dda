"""Streamed responses: ``stream_with_context`` (sync and async generators) and Server-Sent
Events (``microflask.sse.EventStream``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import anyio
import pytest

from microflask import MicroFlask, g, request, stream_with_context
from microflask.sse import EventStream, ServerSentEvent

# A bound on waits that normally end at once: a safety net against hanging, not a timing check.
SAFETY_TIMEOUT = 10


class Holder:
    """Module-level holder for an anyio.Event made on the app's event loop."""

    gate: anyio.Event | None = None


@pytest.fixture(autouse=True)
def _reset_holder() -> None:
    Holder.gate = None


# -- stream_with_context ------------------------------------------------------------------------


def test_stream_with_context_decorator_on_a_sync_generator() -> None:
    app = MicroFlask(__name__)
    events: list[str] = []

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        events.append("teardown")

    @app.route("/")
    def index() -> Any:
        g.greeting = "Hello"

        @stream_with_context
        def generate() -> Iterator[str]:
            events.append("first chunk")
            yield f"{g.greeting} "
            yield request.args["name"]
            events.append("last chunk")
            yield "!"

        return generate()

    with app.test_client() as client:
        r = client.get("/?name=ann")
    assert (r.status_code, r.text) == (200, "Hello ann!")
    assert r.headers["content-type"].startswith("text/html")
    assert events == ["first chunk", "last chunk", "teardown"]


def test_stream_with_context_called_on_a_sync_generator() -> None:
    app = MicroFlask(__name__)

    @app.route("/")
    def index() -> Any:
        def generate() -> Iterator[str]:
            yield request.path
            yield " "
            yield request.args.get("q", "")

        return stream_with_context(generate()), {"Content-Type": "text/plain"}

    with app.test_client() as client:
        r = client.get("/?q=search")
    assert r.text == "/ search"
    assert r.headers["content-type"].startswith("text/plain")


def test_stream_with_context_on_an_async_generator_reads_the_request_while_streaming() -> None:
    app = MicroFlask(__name__)

    @app.route("/call")
    async def call_form() -> Any:
        async def generate() -> AsyncIterator[str]:
            yield "a="
            await anyio.sleep(0)
            yield request.args["a"]
            yield f" method={request.method}"

        return stream_with_context(generate())

    @app.route("/decorated")
    async def decorated_form() -> Any:
        @stream_with_context
        async def generate() -> AsyncIterator[bytes]:
            yield b"b="
            await anyio.sleep(0)
            yield request.args["b"].encode()

        return generate()

    with app.test_client() as client:
        assert client.get("/call?a=1").text == "a=1 method=GET"
        assert client.get("/decorated?b=2").text == "b=2"


@pytest.mark.anyio
async def test_stream_with_context_with_async_client() -> None:
    app = MicroFlask(__name__)

    @app.route("/")
    async def index() -> Any:
        @stream_with_context
        async def generate() -> AsyncIterator[str]:
            for part in request.args.getlist("p"):
                await anyio.sleep(0)
                yield part

        return generate()

    async with app.async_test_client() as client:
        assert (await client.get("/?p=x&p=y&p=z")).text == "xyz"


def test_stream_with_context_outside_a_request_is_an_error() -> None:
    def generate() -> Iterator[str]:
        yield "x"

    with pytest.raises(RuntimeError, match="request"):
        stream_with_context(generate())


# -- ServerSentEvent encoding --------------------------------------------------------------------


def test_server_sent_event_encoding() -> None:
    assert ServerSentEvent("hello").encode() == b"data: hello\n\n"
    assert ServerSentEvent().encode() == b"data: \n\n"
    assert (
        ServerSentEvent("hello", event="greet", id=7, retry=3000).encode()
        == b"event: greet\nid: 7\nretry: 3000\ndata: hello\n\n"
    )
    assert ServerSentEvent({"a": 1, "b": [1, 2]}).encode() == b'data: {"a":1,"b":[1,2]}\n\n'
    assert ServerSentEvent("caf\u00e9").encode() == "data: caf\u00e9\n\n".encode()


def test_multi_line_data_is_split_into_several_data_lines() -> None:
    assert ServerSentEvent("one\ntwo\r\nthree\rfour").encode() == b"data: one\ndata: two\ndata: three\ndata: four\n\n"


def test_newlines_in_event_and_id_are_stripped() -> None:
    assert ServerSentEvent("d", event="evil\nevent", id="1\r\n2").encode() == b"event: evilevent\nid: 12\ndata: d\n\n"


def test_only_cr_and_lf_split_data_lines() -> None:
    # The event-stream format breaks lines on CR, LF and CRLF only; other characters are data.
    for text in ("a\u2028b", "a\x0cb", "a\x1cb", "a\x85b"):
        assert ServerSentEvent(text).encode() == f"data: {text}\n\n".encode()


def test_trailing_newline_in_data_survives() -> None:
    # A client joins data lines with LF, so "a\n" must be sent as "data: a" + "data: ".
    assert ServerSentEvent("a\n").encode() == b"data: a\ndata: \n\n"


# -- EventStream responses ----------------------------------------------------------------------


def _sse_app() -> MicroFlask:
    app = MicroFlask(__name__)

    @app.route("/events")
    async def events() -> Any:
        async def source() -> AsyncIterator[Any]:
            yield ServerSentEvent("hello", event="greet", id=1, retry=3000)
            yield "plain string"
            yield {"n": 1, "ok": True}
            yield ServerSentEvent("multi\nline", id="x\ny")

        return EventStream(source(), keep_alive=None)

    @app.route("/sync-source")
    async def sync_source() -> Any:
        return EventStream(["a", ServerSentEvent("b", event="e"), {"c": 3}], keep_alive=None)

    @app.route("/sync-generator")
    def sync_generator() -> Any:
        def source() -> Iterator[str]:
            yield from ("x", "y")

        return EventStream(source(), keep_alive=None)

    @app.route("/custom")
    async def custom() -> Any:
        return EventStream(iter(["z"]), status_code=202, headers={"X-Stream": "yes"})

    return app


EXPECTED_EVENTS = (
    b"event: greet\nid: 1\nretry: 3000\ndata: hello\n\n"
    b"data: plain string\n\n"
    b'data: {"n":1,"ok":true}\n\n'
    b"id: xy\ndata: multi\ndata: line\n\n"
)


def test_event_stream_wire_format_and_headers() -> None:
    app = _sse_app()
    with app.test_client() as client:
        r = client.get("/events")
    assert r.status_code == 200
    assert r.content == EXPECTED_EVENTS
    assert r.headers["content-type"].startswith("text/event-stream")
    assert r.headers["cache-control"] == "no-cache"
    assert "content-length" not in r.headers


@pytest.mark.anyio
async def test_event_stream_with_async_client() -> None:
    app = _sse_app()
    async with app.async_test_client() as client:
        r = await client.get("/events")
    assert r.content == EXPECTED_EVENTS
    assert r.headers["content-type"].startswith("text/event-stream")


def test_event_stream_from_sync_iterables() -> None:
    app = _sse_app()
    with app.test_client() as client:
        assert client.get("/sync-source").content == b'data: a\n\nevent: e\ndata: b\n\ndata: {"c":3}\n\n'
        assert client.get("/sync-generator").content == b"data: x\n\ndata: y\n\n"
        r = client.get("/custom")
    assert (r.status_code, r.headers["x-stream"], r.content) == (202, "yes", b"data: z\n\n")
    assert r.headers["cache-control"] == "no-cache"


def test_event_stream_sends_keep_alive_comments_while_the_source_is_idle() -> None:
    app = MicroFlask(__name__)

    @app.route("/slow")
    async def slow() -> Any:
        async def source() -> AsyncIterator[str]:
            yield "first"
            await anyio.sleep(0.05)  # an idle gap, not synchronisation
            yield "second"

        return EventStream(source(), keep_alive=0.01)

    with app.test_client() as client:
        body = client.get("/slow").content
    assert body.startswith(b"data: first\n\n")
    assert body.endswith(b"data: second\n\n")
    assert b": keep-alive\n\n" in body
    middle = body[len(b"data: first\n\n") : -len(b"data: second\n\n")]
    assert middle and set(middle.split(b"\n\n")) <= {b": keep-alive", b""}


def test_event_stream_sends_events_before_the_source_ends() -> None:
    app = MicroFlask(__name__)

    @app.before_serving
    async def make_gate() -> None:
        Holder.gate = anyio.Event()

    @app.route("/live")
    async def live() -> Any:
        async def source() -> AsyncIterator[str]:
            yield "first"
            assert Holder.gate is not None
            with anyio.fail_after(SAFETY_TIMEOUT):
                await Holder.gate.wait()
            yield "second"

        return EventStream(source(), keep_alive=None)

    with app.test_client() as client:
        with client.stream("GET", "/live") as r:
            lines = r.iter_lines()
            assert next(lines) == "data: first"
            assert next(lines) == ""
            assert Holder.gate is not None
            client.portal.call(Holder.gate.set)  # type: ignore[union-attr]
            assert list(lines) == ["data: second", ""]


def test_event_stream_after_request_hooks_can_add_headers() -> None:
    app = MicroFlask(__name__)

    @app.after_request
    async def tag(response: Any) -> Any:
        response.headers["X-Tag"] = "sse"
        return response

    @app.route("/")
    async def index() -> Any:
        return EventStream(["a"], keep_alive=None)

    with app.test_client() as client:
        r = client.get("/")
    assert (r.headers["x-tag"], r.content) == ("sse", b"data: a\n\n")
