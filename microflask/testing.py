"""Test clients (sync and async), the CLI runner, and ``test_request_context``; Flask's names
(``FlaskClient``, ``FlaskCliRunner``) for the same classes.

Both clients use the ``httpx2`` transport (Starlette's test client prefers it; plain
``httpx`` makes it warn), keep cookies between requests, run the app's lifespan on enter
and exit, and return responses with Flask's names (``data``, ``json``, ``get_json()``).
"""

from __future__ import annotations

import json as _json
import os
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from contextvars import Token
from types import SimpleNamespace, TracebackType
from typing import TYPE_CHECKING, Any

import httpx2
from starlette.testclient import TestClient as StarletteTestClient

from .cli import CliRunner
from .concurrency import finish_without_loop
from .ctx import RequestContext, _cv_context
from .fakerequest import BASE_URL, make_test_request_context  # re-exported: it lives apart (no httpx2)
from .httputil import is_json_mimetype
from .lifespan import LifespanDriver

if TYPE_CHECKING:
    from starlette.types import Receive, Scope, Send

    from .app import MicroFlask

__all__ = [
    "AsyncTestClient",
    "CliRunner",
    "FlaskCliRunner",
    "FlaskClient",
    "TestClient",
    "TestResponse",
    "make_test_request_context",
]

# Re-exported: it lives apart so that app.test_request_context() needs no test-client dependency.


_SESSION_IO = "This session interface does I/O: use the async client's session_transaction()."


class TestResponse(httpx2.Response):
    """An httpx response with Flask's test-response names."""

    __test__ = False  # not a pytest test class

    @property
    def data(self) -> bytes:
        """The body as bytes (httpx's ``content``)."""
        return self.content

    @property
    def status(self) -> str:
        """``"200 OK"``."""
        return f"{self.status_code} {self.reason_phrase.upper()}"

    @property
    def mimetype(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    @property
    def content_type(self) -> str | None:
        return self.headers.get("content-type")

    @property
    def location(self) -> str | None:
        return self.headers.get("location")

    def get_data(self, as_text: bool = False) -> bytes | str:
        """The body (``str`` with ``as_text``), as Flask's test response."""
        return self.text if as_text else self.content

    @property
    def is_json(self) -> bool:
        return is_json_mimetype(self.mimetype)

    def get_json(self, force: bool = False, silent: bool = False) -> Any:
        """The body parsed as JSON; None when it is not JSON and ``silent`` (raises otherwise)."""
        if not (force or self.is_json):
            if silent:
                return None
            raise ValueError(f"The response is not JSON (Content-Type: {self.headers.get('content-type')!r}).")
        try:
            return _json.loads(self.content)
        except ValueError:
            if silent:
                return None
            raise

    @property  # type: ignore[override]
    def json(self) -> Any:
        """The body parsed as JSON (a property, as Flask's test response)."""
        return self.get_json()


def _flask_arguments(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Flask's request arguments in httpx terms: raw bytes or text in ``data`` is the body,
    ``query_string`` is ``params``."""
    data = kwargs.get("data")
    if isinstance(data, bytes | str) and kwargs.get("content") is None:
        kwargs["content"] = kwargs.pop("data")
    elif isinstance(data, Mapping) and any(_is_upload(v) for v in data.values()):
        # Flask's uploads: data={"file": (BytesIO(b"..."), "name.txt")} is a multipart file part.
        kwargs["data"] = {k: v for k, v in data.items() if not _is_upload(v)}
        kwargs["files"] = {k: _upload(v) for k, v in data.items() if _is_upload(v)}
    content_type = kwargs.pop("content_type", None)
    if content_type is not None:
        kwargs["headers"] = {**dict(kwargs.get("headers") or {}), "content-type": content_type}
    if "query_string" in kwargs:
        query = kwargs.pop("query_string")
        kwargs["params"] = query.decode("latin-1") if isinstance(query, bytes) else query
    return kwargs


def _verb(method: str) -> Any:
    def call(self: Any, url: Any, **kwargs: Any) -> Any:
        return self.request(method, url, **kwargs)

    call.__name__ = method.lower()
    call.__doc__ = f"Send a {method} request (httpx's arguments, plus Flask's data= and query_string=)."
    return call


def _async_verb(method: str) -> Any:
    async def call(self: Any, url: Any, **kwargs: Any) -> Any:
        return await self.request(method, url, **kwargs)

    call.__name__ = method.lower()
    call.__doc__ = f"Send a {method} request (httpx's arguments, plus Flask's data= and query_string=)."
    return call


def _is_upload(value: Any) -> bool:
    return hasattr(value, "read") or (isinstance(value, tuple) and bool(value) and hasattr(value[0], "read"))


def _upload(value: Any) -> tuple[Any, ...]:
    """Flask's ``(file, filename[, content_type])`` (or a bare file) as httpx's ``(filename, file, type)``."""
    if not isinstance(value, tuple):
        return (os.path.basename(getattr(value, "name", "") or "file"), value)
    file, filename, *content_type = value
    return (filename, file, *content_type)


class _CookieMethods:
    """Flask's cookie helpers on the test clients: ``set_cookie``, ``get_cookie``, ``delete_cookie``."""

    cookies: Any

    def set_cookie(self, key: str, value: str = "", **_: Any) -> None:
        """Set a cookie the client sends with its next requests."""
        self.cookies.delete(key)
        self.cookies.set(key, value)

    def get_cookie(self, key: str) -> Any:
        """The cookie ``key`` the client holds (with ``.key``, ``.value``, ``.domain``, ``.path``), or None."""
        for cookie in self.cookies.jar:
            if cookie.name == key:
                return SimpleNamespace(key=cookie.name, value=cookie.value, domain=cookie.domain, path=cookie.path)
        return None

    def delete_cookie(self, key: str, **_: Any) -> None:
        """Forget the cookie ``key``."""
        self.cookies.delete(key)


class _KeptContext:
    """Flask's ``with client:``: the last request's context stays active in the test (``request``,
    ``session``, ``g``) until the next request or the end of the block. Its teardown functions
    have already run."""

    def __init__(self, app: MicroFlask) -> None:
        self.app = app
        self.last: RequestContext | None = None
        self.token: Token[Any] | None = None

    def start(self) -> None:
        self.app._context_sink = self._keep

    def _keep(self, ctx: RequestContext) -> None:
        self.last = ctx

    def push(self) -> None:
        if self.last is not None and self.app._context_sink == self._keep:
            self.token = _cv_context.set(self.last)
            self.last = None

    def release(self) -> None:
        if self.token is not None:
            try:
                _cv_context.reset(self.token)
            except ValueError:  # set in another context (a different thread or task): just drop it
                pass
            self.token = None

    def stop(self) -> None:
        self.release()
        if self.app._context_sink == self._keep:
            self.app._context_sink = None


def _session_cookie_jar_update(client: httpx2.Client | httpx2.AsyncClient, response: Any) -> None:
    """Copy the Set-Cookie headers of ``response`` into the client's cookie jar."""
    for header in response.headers.getlist("set-cookie"):
        name, _, rest = header.partition("=")
        value = rest.split(";", 1)[0]
        client.cookies.delete(name)
        if "max-age=0" not in header.lower():
            client.cookies.set(name, value)


def _cookie_header(client: httpx2.Client | httpx2.AsyncClient) -> dict[str, str]:
    cookies = "; ".join(f"{cookie.name}={cookie.value}" for cookie in client.cookies.jar)
    return {"cookie": cookies} if cookies else {}


def _as_test_response(response: httpx2.Response) -> TestResponse:
    response.__class__ = TestResponse
    return response  # type: ignore[return-value]


class TestClient(_CookieMethods, StarletteTestClient):
    """The sync test client: ``with app.test_client() as client: r = client.get("/")``.

    Entering runs the lifespan (``before_serving``); leaving runs ``after_serving``.
    Redirects are not followed unless ``follow_redirects=True`` (Flask's default).
    """

    __test__ = False

    def __init__(
        self, app: MicroFlask, base_url: str = BASE_URL, follow_redirects: bool = False, **kwargs: Any
    ) -> None:
        kwargs.setdefault("raise_server_exceptions", True)
        super().__init__(app, base_url=base_url, follow_redirects=follow_redirects, **kwargs)
        self.application = app
        self._kept = _KeptContext(app)

    def send(self, request: httpx2.Request, **kwargs: Any) -> TestResponse:  # type: ignore[override]
        return _as_test_response(super().send(request, **kwargs))

    def request(self, method: str, url: Any, **kwargs: Any) -> TestResponse:  # type: ignore[override]
        self._kept.release()
        response = super().request(method, url, **_flask_arguments(kwargs))
        self._kept.push()
        return response  # type: ignore[return-value]

    def websocket_connect(self, url: str, subprotocols: Any = None, **kwargs: Any) -> Any:
        """Open a websocket to the app at the client's host (so the client's cookies go along)."""
        if "://" not in url:
            base = self.base_url
            url = f"{'wss' if base.scheme == 'https' else 'ws'}://{base.netloc.decode()}{url}"
        return super().websocket_connect(url, subprotocols, **kwargs)

    get = _verb("GET")
    post = _verb("POST")
    put = _verb("PUT")
    patch = _verb("PATCH")
    delete = _verb("DELETE")
    head = _verb("HEAD")
    options = _verb("OPTIONS")

    def __enter__(self) -> TestClient:
        super().__enter__()
        self._kept.start()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self._kept.stop()
        super().__exit__(*exc_info)

    @contextmanager
    def session_transaction(self, path: str = "/", **kwargs: Any) -> Iterator[Any]:
        """Open the session the client's cookies carry, to read or change it before a request:
        ``with client.session_transaction() as session: session["user_id"] = 1``."""
        app = self.application
        interface = app.session_interface
        ctx = app.test_request_context(path, headers=_cookie_header(self), **kwargs)
        with ctx:
            assert ctx.request is not None
            session = finish_without_loop(interface.open_session(app, ctx.request), _SESSION_IO)
            if session is None:
                raise RuntimeError("The session interface did not open a session (is SECRET_KEY set?).")
            yield session
            response = app.response_class()
            if not interface.is_null_session(session):
                finish_without_loop(interface.save_session(app, session, response), _SESSION_IO)
        _session_cookie_jar_update(self, response)


class AsyncTestClient(_CookieMethods, httpx2.AsyncClient):
    """The async test client: ``async with app.async_test_client() as client: await client.get("/")``.

    Entering runs the lifespan; leaving shuts it down. Cookies persist across requests.
    """

    __test__ = False

    def __init__(
        self, app: MicroFlask, base_url: str = BASE_URL, follow_redirects: bool = False, **kwargs: Any
    ) -> None:
        self.application = app
        self._kept = _KeptContext(app)
        self._lifespan_state: dict[str, Any] = {}
        self._lifespan = LifespanDriver(app, self._lifespan_state)
        transport = httpx2.ASGITransport(app=self._with_state, client=("127.0.0.1", 50000))
        super().__init__(transport=transport, base_url=base_url, follow_redirects=follow_redirects, **kwargs)

    async def _with_state(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope["state"] = dict(self._lifespan_state)
        await self.application(scope, receive, send)

    async def request(self, method: str, url: Any, **kwargs: Any) -> TestResponse:  # type: ignore[override]
        self._kept.release()
        response = await super().request(method, url, **_flask_arguments(kwargs))
        self._kept.push()
        return response  # type: ignore[return-value]

    @asynccontextmanager
    async def session_transaction(self, path: str = "/", **kwargs: Any) -> AsyncIterator[Any]:
        """``async with client.session_transaction() as session:``: see :meth:`TestClient.session_transaction`."""
        app = self.application
        interface = app.session_interface
        ctx = app.test_request_context(path, headers=_cookie_header(self), **kwargs)
        async with ctx:
            assert ctx.request is not None
            session = await interface.open_session(app, ctx.request)
            if session is None:
                raise RuntimeError("The session interface did not open a session (is SECRET_KEY set?).")
            yield session
            response = app.response_class()
            if not interface.is_null_session(session):
                await interface.save_session(app, session, response)
        _session_cookie_jar_update(self, response)

    async def send(self, request: httpx2.Request, **kwargs: Any) -> TestResponse:  # type: ignore[override]
        return _as_test_response(await super().send(request, **kwargs))

    get = _async_verb("GET")
    post = _async_verb("POST")
    put = _async_verb("PUT")
    patch = _async_verb("PATCH")
    delete = _async_verb("DELETE")
    head = _async_verb("HEAD")
    options = _async_verb("OPTIONS")

    async def __aenter__(self) -> AsyncTestClient:
        await super().__aenter__()
        await self._lifespan.__aenter__()
        self._kept.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None = None,
        exc: BaseException | None = None,
        tb: TracebackType | None = None,
    ) -> None:
        self._kept.stop()
        try:
            await self._lifespan.__aexit__(exc_type, exc, tb)
        finally:
            await super().__aexit__(exc_type, exc, tb)


#: Flask's names for the same classes: ``app.test_client()`` and ``app.test_cli_runner()``
#: return these, and they behave as Flask's do.
FlaskClient = TestClient
FlaskCliRunner = CliRunner
