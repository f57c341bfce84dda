"""Request and Response: Starlette's, with Flask's surface.

The body is async, as in Quart: ``await request.get_json()``, ``await request.form``. In a
plain ``def`` view (a worker thread) the same accessors answer synchronously, as in Flask:
the thread hands the read to the event loop and waits for it (see requestbody.py).
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Mapping
from datetime import datetime, timedelta
from http import HTTPStatus
from typing import Any, TypeVar

import anyio
import anyio.from_thread
import anyio.to_thread
from anyio.lowlevel import checkpoint
from starlette.background import BackgroundTask
from starlette.concurrency import iterate_in_threadpool
from starlette.requests import ClientDisconnect, empty_receive, empty_send
from starlette.requests import Request as StarletteRequest
from starlette.responses import Response as StarletteResponse
from starlette.responses import StreamingResponse
from starlette.types import Send

from . import json as _json
from .config import DEFAULT_CONFIG
from .connection import ConnectionAttributes
from .datastructures import header_set_property
from .globals import current_context
from .httputil import (
    SafeHeaders,
    content_type_header,
    dump_cookie,
    is_json_mimetype,
    parse_options_header,
    status_code,
)
from .requestbody import RequestBody
from .responseheaders import ResponseHeaders

__all__ = ["ClientDisconnect", "ConnectionAttributes", "Request", "Response", "ResponseStream", "StreamedResponse"]

T = TypeVar("T")
_MISSING: Any = object()
_FORM_MIMETYPES = frozenset({"multipart/form-data", "application/x-www-form-urlencoded"})


class _ConfigLimit:
    """A request limit read from the app's config, which one request may override by assignment
    (``request.max_content_length = 10_000_000`` in a view that takes large uploads)."""

    def __init__(self, key: str, doc: str) -> None:
        self.key = key
        self.__doc__ = f"``{key}``: {doc}"

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, request: Any, owner: type | None = None) -> Any:
        if request is None:
            return self
        override = request.__dict__.get(self.name)
        if override is not None:
            return override
        ctx = current_context()
        return ctx.app.config[self.key] if ctx is not None else DEFAULT_CONFIG[self.key]

    def __set__(self, request: Any, value: int | None) -> None:
        request.__dict__[self.name] = value


class Request(ConnectionAttributes, RequestBody, StarletteRequest):  # type: ignore[misc]
    """The incoming request. Sync attributes are computed on first use and cached."""

    #: The routing error (404/405/308) to raise instead of calling a view, if any.
    routing_exception: Exception | None = None

    max_content_length = _ConfigLimit(
        "MAX_CONTENT_LENGTH", "The body limit in bytes; beyond it reading the body raises 413."
    )
    max_form_memory_size = _ConfigLimit(
        "MAX_FORM_MEMORY_SIZE", "The size limit of one non-file form field; beyond it, 413."
    )
    max_form_parts = _ConfigLimit("MAX_FORM_PARTS", "The most fields plus files a form may have; beyond it, 413.")

    # Starlette's Request state, as class defaults: an instance sets only what differs.
    _send: Any = empty_send
    _stream_consumed = False
    _is_disconnected = False
    _form: Any = None

    def __init__(self, scope: Any, receive: Any = empty_receive, send: Any = empty_send) -> None:
        # Starlette's Request.__init__, inlined and cut to what differs per request: this runs once per request.
        self.scope = scope
        self._receive = receive
        if send is not empty_send:
            self._send = send

    @property
    def query_params(self) -> Any:
        """Starlette's parsed query string; settable, as any attribute of a Flask request is
        (Flask-Pydantic stores its validated query there)."""
        return StarletteRequest.query_params.fget(self)  # type: ignore[attr-defined]  # caches in _query_params

    @query_params.setter
    def query_params(self, value: Any) -> None:
        self._query_params = value

    @property
    def content_type(self) -> str | None:
        return self.headers.get("content-type")

    @property
    def mimetype(self) -> str:
        """The content type without parameters, lowercased."""
        return parse_options_header(self.content_type)[0]

    @property
    def mimetype_params(self) -> dict[str, str]:
        return parse_options_header(self.content_type)[1]

    @property
    def content_length(self) -> int | None:
        value = self.headers.get("content-length")
        if value is None:
            return None
        try:
            length = int(value)
        except ValueError:
            return None
        return length if length >= 0 else None

    @property
    def is_json(self) -> bool:
        return is_json_mimetype(self.mimetype)


class Response(ResponseHeaders, StarletteResponse):
    """An HTTP response with Flask's surface over Starlette's, and Werkzeug's typed headers
    (``cache_control``, ``expires``, ``set_etag``, ``make_conditional``...: see
    :class:`~microflask.responseheaders.ResponseHeaders`).

    ``Response(response=None, status=None, headers=None, mimetype=None, content_type=None)``
    """

    media_type = "text/html"
    default_mimetype = "text/html"
    #: The status of a response created without one.
    default_status = 200
    #: As Werkzeug's: an in-memory body always gets its ``Content-Length`` (informative here).
    automatically_set_content_length = True
    #: As Werkzeug's default: a relative ``Location`` is sent as it is (RFC 9110 allows it).
    autocorrect_location_header = False
    #: What :meth:`get_json` parses with (Flask's ``flask.json``).
    json_module = _json

    def __init__(
        self,
        response: str | bytes | Iterable[Any] | AsyncIterable[Any] | None = None,
        status: int | str | HTTPStatus | None = None,
        headers: Mapping[str, str] | list[tuple[str, str]] | None = None,
        mimetype: str | None = None,
        content_type: str | None = None,
        *,
        background: Any = None,
    ) -> None:
        self.status_code = code = self.default_status if status is None else status_code(status)
        if content_type is not None:
            self.media_type = content_type
        elif mimetype is not None:
            self.media_type = mimetype
        self.background = background
        body: bytes | memoryview
        kind = type(response)
        if kind is str:
            self.body = body = response.encode()  # type: ignore[union-attr]
        elif kind is bytes or response is None or isinstance(response, bytearray | memoryview):
            self.body = body = self.render(response)
        else:  # an iterable of chunks (Werkzeug's iterable body): this response streams it
            self.__class__ = StreamedResponse
            StreamedResponse.__init__(self, response, status, headers, mimetype, content_type, background=background)  # type: ignore[arg-type]
            return
        if headers is not None:
            self._init_given_headers(headers, content_type is not None or mimetype is not None)
            return
        # The common case, without Starlette's generic header assembly.
        ctype = content_type_header(self.media_type)
        if code < 200 or code == 204 or code == 304:
            self.body = b""  # these statuses never carry a body
            self.raw_headers = [(b"content-type", ctype)] if ctype else []
        elif ctype:
            self.raw_headers = [(b"content-length", b"%d" % len(body)), (b"content-type", ctype)]
        else:
            self.raw_headers = [(b"content-length", b"%d" % len(body))]

    def _init_given_headers(self, headers: Mapping[str, str] | Iterable[tuple[str, str]], explicit_type: bool) -> None:
        """The headers of ``Response(..., headers=...)``, as Werkzeug's: a mapping, or ``(name, value)``
        pairs (a list, Werkzeug's ``Headers``) where names repeat. A ``Content-Type`` among them is
        the response's unless ``content_type`` or ``mimetype`` was given; an in-memory body's
        ``Content-Length`` is always its own."""
        if isinstance(headers, Mapping):
            self.init_headers(headers)
            return
        pairs = list(headers)
        self.init_headers(None)
        given = {str(key).lower() for key, _ in pairs}
        own = {name.decode("latin-1") for name, _ in self.raw_headers}
        if "content-type" in given and not explicit_type:
            self.raw_headers = [(k, v) for k, v in self.raw_headers if k != b"content-type"]
            own.discard("content-type")
        for key, value in pairs:
            if str(key).lower() not in own:
                self.headers.append(key, value)

    @property
    def headers(self) -> SafeHeaders:  # type: ignore[override]
        """The headers; values set here with CR/LF (header injection) are flattened, never split."""
        if "_headers" not in self.__dict__:
            self._headers = SafeHeaders(raw=self.raw_headers)
        return self._headers  # type: ignore[return-value]

    @headers.setter
    def headers(self, value: Any) -> None:
        """Replace every header: from a mapping, a multi-dict or headers object (Werkzeug's too),
        or ``(name, value)`` pairs; values are made safe as when set one by one."""
        fresh = SafeHeaders(raw=[])
        fresh.extend(value)
        self.raw_headers = fresh.raw
        self._headers = fresh

    # -- Flask's names ----------------------------------------------------------------
    @property
    def status(self) -> str:
        """Status line text, e.g. ``"404 NOT FOUND"`` (Flask's form)."""
        try:
            phrase = HTTPStatus(self.status_code).phrase.upper()
        except ValueError:
            phrase = "UNKNOWN"
        return f"{self.status_code} {phrase}"

    @status.setter
    def status(self, value: int | str) -> None:
        self.status_code = status_code(value)

    @property
    def content_type(self) -> str | None:
        return self.headers.get("content-type")

    @content_type.setter
    def content_type(self, value: str) -> None:
        self.headers["content-type"] = value

    @property
    def mimetype(self) -> str:
        return parse_options_header(self.content_type)[0]

    @mimetype.setter
    def mimetype(self, value: str) -> None:
        if value.startswith("text/") and "charset" not in value:
            value += "; charset=utf-8"
        self.headers["content-type"] = value

    @property
    def content_length(self) -> int | None:
        value = self.headers.get("content-length")
        return int(value) if value is not None and value.isdigit() else None

    @content_length.setter
    def content_length(self, value: int | None) -> None:
        if value is None:
            del self.headers["content-length"]
        else:
            self.headers["content-length"] = str(int(value))

    @property
    def is_json(self) -> bool:
        return is_json_mimetype(self.mimetype)

    @property
    def location(self) -> str | None:
        return self.headers.get("location")

    @location.setter
    def location(self, value: str | None) -> None:
        if value is None:
            del self.headers["location"]
        else:
            self.headers["location"] = value

    @location.deleter
    def location(self) -> None:
        del self.headers["location"]

    @property
    def response(self) -> list[bytes]:
        """Werkzeug's name for the body as an iterable: here the one in-memory chunk. Setting it
        (to ``str``/``bytes`` chunks) replaces the body and its ``Content-Length``."""
        return [bytes(self.body)]

    @response.setter
    def response(self, chunks: Iterable[str | bytes]) -> None:
        self.set_data(b"".join(c.encode(self.charset) if isinstance(c, str) else bytes(c) for c in chunks))

    @property
    def is_sequence(self) -> bool:
        """Werkzeug's: whether the body is in memory (True here; False for a streamed response)."""
        return not self.is_streamed

    def get_data(self, as_text: bool = False) -> bytes | str:
        """The body (``str`` with ``as_text``)."""
        body = bytes(self.body)
        return body.decode(self.charset, "replace") if as_text else body

    def set_data(self, value: str | bytes) -> None:
        """Replace the body and its ``Content-Length``."""
        self.body = value.encode(self.charset) if isinstance(value, str) else bytes(value)
        self.headers["content-length"] = str(len(self.body))

    data = property(get_data, set_data)

    @property
    def is_streamed(self) -> bool:
        """False: the body is in memory (a :class:`StreamedResponse` streams)."""
        return False

    def calculate_content_length(self) -> int | None:
        """The body's length, when it is in memory (None for a streamed one)."""
        body = self.__dict__.get("body")
        return None if body is None else len(body)

    def get_json(self, force: bool = False, silent: bool = False) -> Any:
        """The body parsed as JSON; None when the mimetype is not JSON (unless ``force``). Invalid
        JSON raises ``ValueError``, or gives None with ``silent``."""
        if not (force or self.is_json):
            return None
        try:
            return _json.loads(self.get_data())
        except ValueError:
            if silent:
                return None
            raise

    @property
    def json(self) -> Any:
        """:meth:`get_json` with its defaults."""
        return self.get_json()

    @property
    def stream(self) -> ResponseStream:
        """A write-only file over the body: ``response.stream.write(b"...")`` appends to it."""
        return ResponseStream(self)

    def call_on_close(self, func: Callable[[], Any]) -> Callable[[], Any]:
        """Run ``func`` (sync or async) once the response was sent, or by :meth:`close`; usable as
        a decorator. It goes with the response's background tasks, after any set before."""
        on_close = self.background
        if not isinstance(on_close, _OnClose):
            self.background = on_close = _OnClose(on_close)
        on_close.functions.append(func)
        return func

    def close(self) -> None:
        """Run the functions given to :meth:`call_on_close` that have not run (async ones run only
        when the response is sent); close a streamed body's source."""
        background = self.background
        if isinstance(background, _OnClose):
            background.run_sync()
        source = self.__dict__.get("source")
        close = getattr(source, "close", None)
        if callable(close):
            close()

    def __enter__(self) -> Response:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    vary = header_set_property("Vary", "The ``Vary`` names, a set: ``response.vary.add('Cookie')``.")
    allow = header_set_property("Allow", "The ``Allow`` methods, a set (written back on change).")

    def set_cookie(  # type: ignore[override]
        self,
        key: str,
        value: str = "",
        max_age: int | timedelta | None = None,
        expires: datetime | str | int | float | None = None,
        path: str | None = "/",
        domain: str | None = None,
        secure: bool = False,
        httponly: bool = False,
        samesite: str | None = "Lax",
        partitioned: bool = False,
    ) -> None:
        """Add a ``Set-Cookie`` header (``SameSite=Lax`` unless told otherwise). A cookie larger
        than :attr:`max_cookie_size` is still set, with a warning: browsers may ignore it."""
        header = dump_cookie(key, value, max_age, expires, path, domain, secure, httponly, samesite, partitioned)
        limit = self.max_cookie_size
        if limit and len(header) > limit:
            warnings.warn(
                f"The {key!r} cookie is too large: the value was {len(value)} bytes and the header"
                f" {len(header)} bytes, over the limit of {limit} bytes (MAX_COOKIE_SIZE). Browsers may"
                " silently ignore cookies larger than this.",
                stacklevel=2,
            )
        self.headers.append("set-cookie", header)

    @property
    def max_cookie_size(self) -> int:
        """``MAX_COOKIE_SIZE`` of the current app (Werkzeug's 4093 outside an app context); 0: no check."""
        ctx = current_context()
        return int(ctx.app.config["MAX_COOKIE_SIZE"] if ctx is not None else DEFAULT_CONFIG["MAX_COOKIE_SIZE"])

    def delete_cookie(  # type: ignore[override]
        self,
        key: str,
        path: str | None = "/",
        domain: str | None = None,
        secure: bool = False,
        httponly: bool = False,
        samesite: str | None = "Lax",
        partitioned: bool = False,
    ) -> None:
        """Expire the cookie ``key`` on the client."""
        self.set_cookie(key, "", 0, 0, path, domain, secure, httponly, samesite, partitioned)


class StreamedResponse(Response, StreamingResponse):
    """A body sent chunk by chunk as an iterable (sync or async) produces it: what a view that
    returns a generator gives, and ``Response(iterable)``. The first chunk is produced before the
    status line goes out, so a generator that fails at once still gets a proper 500. ``data``
    reads a sync iterable to its end (for tests); the response then sends what was read."""

    def __init__(
        self,
        response: Iterable[Any] | AsyncIterable[Any],
        status: int | str | HTTPStatus | None = None,
        headers: Mapping[str, str] | list[tuple[str, str]] | None = None,
        mimetype: str | None = None,
        content_type: str | None = None,
        *,
        background: Any = None,
    ) -> None:
        # Status, media type and background as any response; then no body, so no Content-Length.
        Response.__init__(self, None, status, None, mimetype, content_type, background=background)
        del self.body
        self.source = response
        self.body_iterator = response if isinstance(response, AsyncIterable) else iterate_in_threadpool(iter(response))
        if headers is None:
            self.init_headers(None)
        else:
            self._init_given_headers(headers, content_type is not None or mimetype is not None)

    @property
    def is_streamed(self) -> bool:
        """True until the body was read into memory (Werkzeug's name)."""
        return "body" not in self.__dict__

    def get_data(self, as_text: bool = False) -> bytes | str:
        """The whole body, reading a sync iterable to its end (an async one can only be sent)."""
        if self.is_streamed:
            if isinstance(self.source, AsyncIterable):
                raise RuntimeError(
                    "This response streams an async iterable: its body can be read only by sending it"
                    " (the test client does), not with .data or get_data()."
                )
            self.set_data(b"".join(encode_chunk(chunk, self.charset) for chunk in self.source))
        return super().get_data(as_text)

    def set_data(self, value: str | bytes) -> None:
        """Replace the streamed body with ``value`` (sent in one piece, with ``Content-Length``)."""
        super().set_data(value)
        self.body_iterator = _one_chunk(self.body)

    data = property(get_data, set_data)

    async def stream_response(self, send: Send) -> None:
        try:
            chunks = aiter(self.body_iterator)
            first: str | bytes | memoryview | None
            try:
                first = await anext(chunks)
            except StopAsyncIteration:
                first = None
            await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
            if first is not None:
                await send({"type": "http.response.body", "body": encode_chunk(first, self.charset), "more_body": True})
                async for chunk in chunks:
                    await send(
                        {"type": "http.response.body", "body": encode_chunk(chunk, self.charset), "more_body": True}
                    )
                    # A generator that never awaits would otherwise hold the loop (and keep running
                    # after the client left, since the server's send returns at once then).
                    await checkpoint()
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            # Stopped early (the client left, or the generator failed): close the generator so its
            # finally blocks run now, not whenever it is garbage-collected.
            await close_iterable(self.source)


class _OnClose(BackgroundTask):
    """A response's background: what it had (a task), then the ``call_on_close`` functions."""

    def __init__(self, task: Any) -> None:  # not BackgroundTask.__init__: it has no function of its own
        self.task = task
        self.functions: list[Callable[[], Any]] = []

    async def __call__(self) -> None:
        if self.task is not None:
            await self.task()
        functions, self.functions = self.functions, []
        for func in functions:
            if inspect.iscoroutinefunction(func):
                await func()
            else:
                await anyio.to_thread.run_sync(func)

    def run_sync(self) -> None:
        """Run the sync functions now (``response.close()``); async ones wait for the send."""
        for func in [f for f in self.functions if not inspect.iscoroutinefunction(f)]:
            self.functions.remove(func)
            func()


class ResponseStream:
    """Werkzeug's ``response.stream``: a write-only file that appends to an in-memory body."""

    mode = "wb+"

    def __init__(self, response: Response) -> None:
        self.response = response
        self.closed = False

    def write(self, value: str | bytes) -> int:
        if self.closed:
            raise ValueError("I/O operation on closed file")
        data = value.encode(self.response.charset) if isinstance(value, str) else bytes(value)
        self.response.set_data(bytes(self.response.body) + data)
        return len(data)

    def writelines(self, lines: Iterable[str | bytes]) -> None:
        for line in lines:
            self.write(line)

    def tell(self) -> int:
        return len(self.response.body)

    def flush(self) -> None:
        if self.closed:
            raise ValueError("I/O operation on closed file")

    def isatty(self) -> bool:
        return False

    def close(self) -> None:
        self.closed = True

    @property
    def encoding(self) -> str:
        return self.response.charset


async def _one_chunk(body: bytes | memoryview) -> AsyncIterator[bytes | memoryview]:
    yield body


async def close_iterable(source: Any) -> None:
    """Close a (sync or async) generator, running its ``finally`` blocks now."""
    aclose = getattr(source, "aclose", None)
    if aclose is not None:
        await aclose()
    elif callable(getattr(source, "close", None)):
        await anyio.to_thread.run_sync(source.close)  # a sync generator's finally may block


def encode_chunk(chunk: str | bytes | memoryview, charset: str) -> bytes | memoryview:
    """A body chunk as bytes."""
    return chunk.encode(charset) if isinstance(chunk, str) else chunk
