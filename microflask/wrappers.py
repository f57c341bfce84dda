"""Request and Response: Starlette's, with Flask's surface.

The body is async, as in Quart: ``await request.get_json()``, ``await request.form``. In a
plain ``def`` view (a worker thread) the same accessors answer synchronously, as in Flask:
the thread hands the read to the event loop and waits for it.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import AsyncGenerator, Callable, Coroutine, Mapping
from datetime import datetime, timedelta
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, TypeVar

import anyio
import anyio.from_thread
from starlette.datastructures import UploadFile
from starlette.requests import ClientDisconnect, empty_receive, empty_send
from starlette.requests import Request as StarletteRequest
from starlette.responses import Response as StarletteResponse

from .concurrency import finish_without_loop, on_event_loop
from .config import DEFAULT_CONFIG
from .connection import ConnectionAttributes
from .datastructures import FileStorage, MultiDict, header_set_property
from .exceptions import BadRequest, RequestEntityTooLarge, UnsupportedMediaType
from .globals import current_context
from .httputil import (
    SafeHeaders,
    content_type_header,
    dump_cookie,
    is_json_mimetype,
    parse_options_header,
    status_code,
)

if TYPE_CHECKING:
    pass

__all__ = ["ClientDisconnect", "ConnectionAttributes", "Request", "Response"]

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


class Request(ConnectionAttributes, StarletteRequest):  # type: ignore[misc]
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

    def __init__(self, scope: Any, receive: Any = empty_receive, send: Any = empty_send) -> None:
        # Starlette's Request.__init__, inlined: this runs once per request.
        self.scope = scope
        self._receive = receive
        self._send = send
        self._stream_consumed = False
        self._is_disconnected = False
        self._form = None

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

    # -- the body ---------------------------------------------------------------------
    def _sync_or_async(self, load: Callable[[], Coroutine[Any, Any, T]], peek: Callable[[], Any]) -> Any:
        """On the event loop, an awaitable of ``load()``; on any other thread (a sync view), the
        value itself: ``peek()`` if it is already known, else ``load()`` run on the loop."""
        if on_event_loop():
            known = peek()
            # A parsed form (a MultiDict) is awaitable itself: hand it over, no coroutine to await.
            return known if isinstance(known, MultiDict) else load()
        known = peek()
        if known is not _MISSING:
            return known
        try:
            return anyio.from_thread.run(load)  # a worker thread: the loop reads the body
        except anyio.NoEventLoopError:
            # No loop at all (test_request_context in sync code): the body is already at hand.
            return finish_without_loop(load(), "Reading this request body needs a running event loop: use 'await'.")

    async def stream(self) -> AsyncGenerator[bytes, None]:
        """The body in chunks as they arrive, with ``MAX_CONTENT_LENGTH`` enforced (413)."""
        if "_body" in self.__dict__:
            yield self._body
            return
        if self._stream_consumed:  # read by the form parser or an earlier stream(): nothing left, as Flask
            return
        limit = self.max_content_length
        if limit is not None:
            declared = self.content_length
            if declared is not None and declared > limit:
                raise RequestEntityTooLarge()
        received = 0
        while not self._stream_consumed:
            message = await self._receive()
            if message["type"] == "http.request":
                chunk = message.get("body", b"")
                if not message.get("more_body", False):
                    self._stream_consumed = True
                if chunk:
                    received += len(chunk)
                    if limit is not None and received > limit:
                        self._stream_consumed = True
                        raise RequestEntityTooLarge()
                    yield chunk
            elif message["type"] == "http.disconnect":
                self._is_disconnected = True
                raise ClientDisconnect()

    async def body(self) -> bytes:
        if "_body" not in self.__dict__:
            chunks = [chunk async for chunk in self.stream()]
            self._body = b"".join(chunks)
        return self._body

    def get_data(self, cache: bool = True, as_text: bool = False) -> Any:
        """The raw body: ``await request.get_data()`` (bytes, or str with ``as_text``)."""

        async def load() -> bytes | str:
            data = await self.body()
            return data.decode(self.mimetype_params.get("charset", "utf-8"), "replace") if as_text else data

        if as_text:
            return self._sync_or_async(load, lambda: _MISSING)
        return self._sync_or_async(load, lambda: self.__dict__.get("_body", _MISSING))

    @property
    def data(self) -> Any:
        """The raw body: ``await request.data`` (``request.data`` in a sync view)."""
        return self.get_data()

    def get_json(self, force: bool = False, silent: bool = False, cache: bool = True) -> Any:
        """The body parsed as JSON: ``await request.get_json()``.

        A body that is not JSON (malformed, invalid UTF-8, absurdly nested) raises
        :class:`BadRequest` (400); a content type other than JSON raises
        :class:`UnsupportedMediaType` (415) unless ``force``. ``silent`` returns None instead.
        """

        async def load() -> Any:
            if "_json" in self.__dict__:
                return self._json
            if not (force or self.is_json):
                if silent:
                    return None
                raise UnsupportedMediaType(
                    "Did not attempt to load JSON data because the request Content-Type was not 'application/json'."
                )
            data = await self.body()
            try:
                value = _json_loads(data)
            except (ValueError, RecursionError) as e:
                if silent:
                    return None
                raise BadRequest(f"Failed to decode JSON object: {_short(e)}") from None
            if cache:
                self._json = value
            return value

        return self._sync_or_async(load, lambda: self.__dict__.get("_json", _MISSING))

    @property
    def json(self) -> Any:  # type: ignore[override]
        """``await request.json`` (``request.json`` in a sync view), as ``get_json()``."""
        return self.get_json()

    async def _load_form(self) -> tuple[MultiDict, MultiDict]:
        parsed: tuple[MultiDict, MultiDict] | None = self.__dict__.get("_form_data")
        if parsed is not None:
            return parsed
        from starlette.formparsers import FormParser, MultiPartException, MultiPartParser

        mimetype = self.mimetype
        fields: list[tuple[str, Any]] = []
        files: list[tuple[str, Any]] = []
        if mimetype in ("multipart/form-data", "application/x-www-form-urlencoded"):
            part_size = self.max_form_memory_size or 2**63
            parts = self.max_form_parts or 2**63
            try:
                if mimetype == "multipart/form-data":
                    boundary = self.mimetype_params.get("boundary", "").encode("latin-1")
                    stream = _until_closing_boundary(b"--" + boundary + b"--", self.stream())
                    parser: Any = MultiPartParser(
                        self.headers, stream, max_files=parts, max_fields=parts, max_part_size=part_size
                    )
                else:
                    parser = FormParser(self.headers, self.stream(), max_fields=parts, max_part_size=part_size)
                form = await parser.parse()
            except MultiPartException as e:
                if "Too many" in e.message or "exceeded maximum size" in e.message:
                    raise RequestEntityTooLarge(f"The form is too large: {e.message}") from None
                raise BadRequest(f"Invalid form data: {e.message}") from None
            except (ValueError, UnicodeDecodeError) as e:
                raise BadRequest(f"Invalid form data: {_short(e)}") from None
            self._form = form  # Starlette's close() releases uploaded files through this
            if len(form.multi_items()) > parts:  # Starlette counts fields and files apart
                await form.close()
                raise RequestEntityTooLarge(f"The form has more than {parts} fields and files.")
            for key, value in form.multi_items():
                if isinstance(value, UploadFile):
                    files.append(
                        (key, FileStorage(value.file, size=value.size, filename=value.filename, headers=value.headers))
                    )
                else:
                    fields.append((key, value))
        self._form_data = (MultiDict(fields), MultiDict(files))
        return self._form_data

    @property
    def form(self) -> Any:  # type: ignore[override]
        """Form fields as a :class:`MultiDict`: ``await request.form`` (sync in a ``def`` view)."""

        async def load() -> MultiDict:
            return (await self._load_form())[0]

        return self._sync_or_async(load, lambda: self._parsed_form(0))

    @property
    def files(self) -> Any:
        """Uploaded files (Starlette ``UploadFile``\\ s): ``await request.files``."""

        async def load() -> MultiDict:
            return (await self._load_form())[1]

        return self._sync_or_async(load, lambda: self._parsed_form(1))

    @property
    def values(self) -> Any:
        """``args`` and ``form`` together: ``await request.values``."""

        async def load() -> MultiDict:
            fields, _ = await self._load_form()
            return MultiDict(self.args.items(multi=True) + fields.items(multi=True))

        def peek() -> Any:
            fields = self._parsed_form(0)
            return _MISSING if fields is _MISSING else MultiDict(self.args.items(multi=True) + fields.items(multi=True))

        return self._sync_or_async(load, peek)

    def _parsed_form(self, index: int) -> Any:
        parsed = self.__dict__.get("_form_data")
        if parsed is None:
            if self.mimetype in _FORM_MIMETYPES:
                return _MISSING
            # Not a form (a GET, JSON...): empty, known without reading the body, so usable anywhere.
            parsed = self.__dict__["_form_data"] = (MultiDict(), MultiDict())
        return parsed[index]

    async def close(self) -> None:
        if self._form is not None:
            await self._form.close()


async def _until_closing_boundary(marker: bytes, stream: AsyncGenerator[bytes, None]) -> AsyncGenerator[bytes, None]:
    """Pass a multipart body through; if it ends before its closing boundary (``marker``, looked
    for across chunks too), fail the parse, so the parser closes the files it opened."""
    from starlette.formparsers import MultiPartException

    seen = False
    tail = b""
    async for chunk in stream:
        if not seen:
            window = tail + chunk
            seen = marker in window
            tail = window[-len(marker) :]
        yield chunk
    if not seen:
        raise MultiPartException("the multipart body ended before its closing boundary.")


def _json_loads(data: bytes) -> Any:
    ctx = current_context()
    if ctx is not None:
        return ctx.app.json.loads(data)
    return json.loads(data)


def _short(error: BaseException) -> str:
    text = str(error) or type(error).__name__
    return text if len(text) <= 200 else text[:197] + "..."


class Response(StarletteResponse):
    """An HTTP response with Flask's surface over Starlette's.

    ``Response(response=None, status=None, headers=None, mimetype=None, content_type=None)``
    """

    media_type = "text/html"
    default_mimetype = "text/html"

    def __init__(
        self,
        response: str | bytes | None = None,
        status: int | str | HTTPStatus | None = None,
        headers: Mapping[str, str] | list[tuple[str, str]] | None = None,
        mimetype: str | None = None,
        content_type: str | None = None,
        *,
        background: Any = None,
    ) -> None:
        self.status_code = code = 200 if status is None else status_code(status)
        if content_type is not None:
            self.media_type = content_type
        elif mimetype is not None:
            self.media_type = mimetype
        self.background = background
        self.body = body = response.encode() if type(response) is str else self.render(response)
        if headers is not None:
            self.init_headers(headers if isinstance(headers, Mapping) else None)
            if not isinstance(headers, Mapping):
                for key, value in headers:
                    self.headers.append(key, value)
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

    @property
    def headers(self) -> SafeHeaders:  # type: ignore[override]
        """The headers; values set here with CR/LF (header injection) are flattened, never split."""
        if "_headers" not in self.__dict__:
            self._headers = SafeHeaders(raw=self.raw_headers)
        return self._headers  # type: ignore[return-value]

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

    @property
    def is_json(self) -> bool:
        return is_json_mimetype(self.mimetype)

    @property
    def location(self) -> str | None:
        return self.headers.get("location")

    def get_data(self, as_text: bool = False) -> bytes | str:
        """The body (``str`` with ``as_text``)."""
        body = bytes(self.body)
        return body.decode(self.charset, "replace") if as_text else body

    def set_data(self, value: str | bytes) -> None:
        """Replace the body and its ``Content-Length``."""
        self.body = value.encode(self.charset) if isinstance(value, str) else bytes(value)
        self.headers["content-length"] = str(len(self.body))

    data = property(get_data, set_data)
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
