"""The request body: async as in Quart, sync where the code cannot await.

``await request.get_json()``, ``await request.form``, ``async for chunk in request.stream()``.
In a plain ``def`` view (a worker thread) the same accessors answer synchronously, as in
Flask: the thread hands the read to the event loop and waits for it.

Sync code running on the event loop (a Flask extension's hook or decorator inside an
``async def`` view's request) cannot wait for the body. Once the body was read, as
:meth:`RequestBody.load_body` does before async views when ``microflask.flask_patch`` is
active (``app.flask_extension_support``), the accessors answer it synchronously too:

- ``request.form``, ``files`` and ``values`` give a :class:`MultiDict`, which is awaitable
  itself, so ``await request.form`` keeps working;
- ``get_json()``, ``json``, ``get_data()`` and ``data`` give the value to a caller that is a
  plain function, and an awaitable to a caller that is a coroutine or an async generator
  (``await request.get_json()`` in ``async def`` code): JSON values (None, True, numbers)
  cannot be made awaitable themselves, so the caller's kind decides (see
  :func:`~microflask.concurrency.awaiting_caller`).
"""

from __future__ import annotations

import sys
from collections.abc import AsyncGenerator, Callable, Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

import anyio
import anyio.from_thread
from starlette.requests import ClientDisconnect

from .concurrency import Pending, awaiting_caller, finish_without_loop, on_event_loop
from .datastructures import FileStorage, ImmutableMultiDict, MultiDict
from .debughelpers import files_explaining_missing_enctype
from .exceptions import BadRequest, HTTPException, RequestEntityTooLarge, UnsupportedMediaType
from .forms import close_form_files, parse_form
from .globals import current_context
from .httputil import short_error
from .json import loads as _json_loads  # the app's provider (app.json) when there is an app

__all__ = ["RequestBody"]

T = TypeVar("T")
_MISSING: Any = object()
_FORM_MIMETYPES = frozenset({"multipart/form-data", "application/x-www-form-urlencoded"})


class RequestBody:
    """The body accessors of :class:`~microflask.wrappers.Request` (a mixin over Starlette's request)."""

    # Provided by the request class.
    scope: Any
    headers: Any
    args: Any
    max_content_length: Any
    max_form_memory_size: Any
    max_form_parts: Any
    _receive: Any
    _stream_consumed: bool
    _is_disconnected: bool
    _form: Any

    if TYPE_CHECKING:

        @property
        def mimetype(self) -> str: ...
        @property
        def mimetype_params(self) -> dict[str, str]: ...
        @property
        def content_length(self) -> int | None: ...
        @property
        def is_json(self) -> bool: ...

    def _sync_or_async(
        self, load: Callable[[], Coroutine[Any, Any, T]], peek: Callable[[], Any], what: str, depth: int = 2
    ) -> Any:
        """On the event loop, an awaitable of ``load()`` (a :class:`Pending`: used without
        ``await`` it says ``await <what>``); on any other thread (a sync view), the value
        itself: ``peek()`` if it is already known, else ``load()`` run on the loop.

        On the loop, a value already known (``peek()``: the body was read) goes to sync code
        as it is: a parsed form (a MultiDict, awaitable itself) to anyone, any other value to a
        caller (``depth`` frames up) that is a plain function, not a coroutine that will await it."""
        if on_event_loop():
            known = peek()
            if isinstance(known, MultiDict):
                return known
            if known is not _MISSING and not awaiting_caller(sys._getframe(depth)):
                return known  # sync code on the loop (a Flask extension's) after the body was read
            return Pending(load(), what)
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

    def body_to_read_first(self) -> bool:
        """Whether :meth:`load_body` has anything to do: a request with no body (no
        ``Content-Length`` nor ``Transfer-Encoding``) is marked read, with no coroutine to run."""
        if "_body" in self.__dict__ or self._stream_consumed:
            return False
        if not _announces_body(self.scope["headers"]):
            self._body = b""
            return False
        return True

    async def load_body(self) -> None:
        """Read the body now (413 beyond ``MAX_CONTENT_LENGTH``) and parse it if it is a form, so
        that sync code on the event loop can read it (see the module's docstring). A request
        without a body (no ``Content-Length`` nor ``Transfer-Encoding``) reads nothing. A form
        that fails to parse raises its 400/413 when it is used, as without this."""
        if "_body" in self.__dict__ or self._stream_consumed:
            return
        if not _announces_body(self.scope["headers"]):
            self._body = b""
            return
        await self.body()
        if self.mimetype in _FORM_MIMETYPES:
            try:
                await self._load_form()
            except HTTPException as e:
                self._form_error = e

    async def body(self) -> bytes:
        if "_body" not in self.__dict__:
            chunks = [chunk async for chunk in self.stream()]
            self._body = b"".join(chunks)
        return self._body

    def get_data(self, cache: bool = True, as_text: bool = False) -> Any:
        """The raw body: ``await request.get_data()`` (bytes, or str with ``as_text``)."""
        return self._data(as_text, "request.get_data()", 3)

    def _data(self, as_text: bool, what: str, depth: int) -> Any:
        def text(data: bytes) -> bytes | str:
            return data.decode(self.mimetype_params.get("charset", "utf-8"), "replace") if as_text else data

        async def load() -> bytes | str:
            return text(await self.body())

        def peek() -> Any:
            data = self.__dict__.get("_body", _MISSING)
            return data if data is _MISSING else text(data)

        return self._sync_or_async(load, peek, what, depth)

    @property
    def data(self) -> Any:
        """The raw body: ``await request.data`` (``request.data`` in a sync view)."""
        return self._data(False, "request.data", 3)

    def get_json(self, force: bool = False, silent: bool = False, cache: bool = True) -> Any:
        """The body parsed as JSON: ``await request.get_json()``.

        A body that is not JSON (malformed, invalid UTF-8, absurdly nested) raises
        :class:`BadRequest` (400); a content type other than JSON raises
        :class:`UnsupportedMediaType` (415) unless ``force``. ``silent`` returns None instead.
        """
        return self._get_json(force, silent, cache, "request.get_json()", 3)

    def _get_json(self, force: bool, silent: bool, cache: bool, what: str, depth: int) -> Any:
        def parse(data: bytes) -> Any:
            try:
                value = _json_loads(data)
            except (ValueError, RecursionError) as e:
                if silent:
                    return None
                return self.on_json_loading_failed(e)
            if cache:
                self._json = value
            return value

        def refused() -> Any:
            """None, or the error, for a body not declared JSON (without ``force``)."""
            if silent:
                return None
            raise UnsupportedMediaType(
                "Did not attempt to load JSON data because the request Content-Type was not 'application/json'."
            )

        async def load() -> Any:
            if "_json" in self.__dict__:
                return self._json
            if not (force or self.is_json):
                return refused()
            return parse(await self.body())

        def peek() -> Any:
            known = self.__dict__
            if "_json" in known:
                return self._json
            if "_body" not in known:
                return _MISSING
            return parse(self._body) if force or self.is_json else refused()

        return self._sync_or_async(load, peek, what, depth)

    def on_json_loading_failed(self, e: Exception | None) -> Any:
        """:meth:`get_json` got a body that is not JSON: raise :class:`BadRequest` (with the parser's
        message in debug mode only, as Flask), or return the value for ``get_json`` to give instead."""
        ctx = current_context()
        if e is not None and ctx is not None and ctx.app.debug:
            raise BadRequest(f"Failed to decode JSON object: {short_error(e)}") from None
        raise BadRequest("Failed to decode JSON: the request body is not valid JSON.") from None

    @property
    def json(self) -> Any:  # type: ignore[override]
        """``await request.json`` (``request.json`` in a sync view), as ``get_json()``."""
        return self._get_json(False, False, True, "request.json", 3)

    async def _load_form(self) -> tuple[MultiDict, MultiDict]:
        parsed: tuple[MultiDict, MultiDict] | None = self.__dict__.get("_form_data")
        if parsed is not None:
            return parsed
        if "_form_error" in self.__dict__:
            raise self._form_error
        if self.mimetype in _FORM_MIMETYPES:
            # Starlette's close() releases uploaded files through self._form.
            self._form, fields, files = await parse_form(self, self.max_form_memory_size, self.max_form_parts)
        else:
            fields, files = ImmutableMultiDict(), ImmutableMultiDict()
        self._form_data = (fields, files)
        return self._form_data

    @property
    def form(self) -> MultiDict[str]:  # type: ignore[override]
        """Form fields as a :class:`MultiDict`: ``await request.form`` (sync in a ``def`` view).

        Typed as the :class:`MultiDict` both kinds of code get in the end: a ``MultiDict`` is
        awaitable (``await`` gives itself), so ``await request.form`` type-checks, and so does
        ``request.form["x"]`` in a ``def`` view. In ``async def`` code before the body is read the
        value is really a :class:`~microflask.concurrency.Pending` awaitable of it, which refuses
        any use but ``await`` with a clear :class:`~microflask.concurrency.MissingAwaitError`."""

        async def load() -> MultiDict[str]:
            return (await self._load_form())[0]

        return self._sync_or_async(load, lambda: self._parsed_form(0), "request.form")

    @property
    def files(self) -> MultiDict[FileStorage]:
        """Uploaded files (:class:`FileStorage`, a Starlette ``UploadFile``): ``await request.files``
        (typed as :attr:`form` is: the ``MultiDict``, awaitable, that both kinds of code get)."""

        async def load() -> MultiDict[FileStorage]:
            return self._files_in_debug(*(await self._load_form()))

        def peek() -> Any:
            files = self._parsed_form(1)
            return _MISSING if files is _MISSING else self._files_in_debug(self._parsed_form(0), files)

        return self._sync_or_async(load, peek, "request.files")

    def _files_in_debug(self, form: MultiDict, files: MultiDict) -> MultiDict:
        """Under DEBUG, a form sent without ``multipart/form-data`` explains its missing files."""
        ctx = current_context()
        if ctx is None or not ctx.app.debug or self.mimetype == "multipart/form-data" or not form:
            return files
        return files_explaining_missing_enctype(files, form, self.mimetype)

    @property
    def values(self) -> MultiDict[str]:
        """``args`` and ``form`` together: ``await request.values`` (typed as :attr:`form` is)."""

        async def load() -> MultiDict[str]:
            fields, _ = await self._load_form()
            return ImmutableMultiDict(self.args.items(multi=True) + fields.items(multi=True))

        def peek() -> Any:
            fields = self._parsed_form(0)
            return (
                _MISSING
                if fields is _MISSING
                else ImmutableMultiDict(self.args.items(multi=True) + fields.items(multi=True))
            )

        return self._sync_or_async(load, peek, "request.values")

    def _parsed_form(self, index: int) -> Any:
        parsed = self.__dict__.get("_form_data")
        if parsed is None:
            if "_form_error" in self.__dict__:
                raise self._form_error
            if self.mimetype in _FORM_MIMETYPES:
                return _MISSING
            # Not a form (a GET, JSON...): empty, known without reading the body, so usable anywhere.
            parsed = self.__dict__["_form_data"] = (ImmutableMultiDict(), ImmutableMultiDict())
        return parsed[index]

    async def close(self) -> None:
        """Release the uploaded files (at the end of the request, or on leaving its context)."""
        if self._form is not None:
            await self._form.close()

    def close_sync(self) -> None:
        """:meth:`close` from sync code: on leaving a plain ``with`` request context."""
        if self._form is not None:
            close_form_files(self._form)


def _announces_body(headers: list[tuple[bytes, bytes]]) -> bool:
    """Whether raw request headers announce a body (a non-zero ``Content-Length``, or a
    ``Transfer-Encoding``): without either an HTTP/1.1 request has none."""
    for name, value in headers:
        if name == b"transfer-encoding" or (name == b"content-length" and value.strip() not in (b"0", b"")):
            return True
    return False
