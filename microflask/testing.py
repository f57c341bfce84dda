"""Test clients (sync and async), the CLI runner, and the test requests (:class:`EnvironBuilder`,
``test_request_context``); Flask's names (``FlaskClient``, ``FlaskCliRunner``) for the same classes.

A request is described as Flask describes it (an :class:`EnvironBuilder` and its environ), then
sent through the ``httpx2`` transport (Starlette's test client prefers it; plain ``httpx`` makes
it warn), which runs the app in-process. The clients keep cookies between requests, run the
app's lifespan on enter and exit, follow redirects when asked, re-raise what the app raises, and
return :class:`~microflask.testresponse.TestResponse` objects (``data``, ``get_json()``, ...).
"""

from __future__ import annotations

import functools
import importlib.metadata
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from contextvars import Token
from io import BytesIO
from types import SimpleNamespace, TracebackType
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import quote, unquote, urlencode, urlsplit

import httpx2
from starlette.testclient import TestClient as StarletteTestClient

from .cli import CliRunner
from .concurrency import finish_without_loop
from .ctx import RequestContext, _cv_context
from .fakerequest import (  # re-exported: they live apart (no httpx2)
    BASE_URL,
    EnvironBuilder,
    environ_body,
    environ_headers,
    form_pairs,
    make_test_request_context,
)
from .lifespan import LifespanDriver
from .logging import ERRORS_STREAM_KEY
from .testresponse import TestResponse, as_test_response

if TYPE_CHECKING:
    from starlette.testclient import WebSocketTestSession
    from starlette.types import Message, Receive, Scope, Send

    from .app import MicroFlask
    from .sessions import SessionMixin

__all__ = [
    "AsyncTestClient",
    "CliRunner",
    "EnvironBuilder",
    "FlaskCliRunner",
    "FlaskClient",
    "TestClient",
    "TestResponse",
    "make_test_request_context",
]

_SESSION_IO = "This session interface does I/O: use the async client's session_transaction()."
_NO_COOKIES = "Cookies are disabled. Create a client with 'use_cookies=True'."
# The request header that ties a request on the wire to the environ it was built from (the
# transport knows nothing of REMOTE_ADDR or SCRIPT_NAME); the client's ASGI wrapper removes it.
_ENVIRON_KEY = "x-microflask-test-environ"
_ENVIRON_KEY_BYTES = _ENVIRON_KEY.encode()
#: Where a request's environ (and, on its way to the app, its scope) keeps the response body as sent.
_RAW_BODY = "microflask.raw_body"
# httpx arguments the environ cannot carry: given to httpx as they are.
_HTTPX_ONLY = ("cookies", "timeout", "extensions")
_STREAMED = "content"  # a body given as an (async) iterator: httpx streams it


@functools.cache
def default_user_agent() -> str:
    """The client's ``User-Agent``: Flask's test client's (``Werkzeug/<version>``) when Werkzeug is
    installed, so tests written for Flask see the same value; ``microflask/<version>`` otherwise."""
    for name, label in (("werkzeug", "Werkzeug"), ("microflask", "microflask")):
        try:
            return f"{label}/{importlib.metadata.version(name)}"
        except importlib.metadata.PackageNotFoundError:
            continue
    return "microflask"


def _httpx_file(value: Any) -> Any:
    """httpx's ``(filename, file[, content_type])`` (or a bare file or bytes) as Flask's
    ``(file, filename[, content_type])``."""
    if isinstance(value, tuple):
        filename, file, *rest = value
        content_type = rest[0] if rest else None
    else:
        filename, file, content_type = None, value, None
    if isinstance(file, str | bytes):
        file = BytesIO(file.encode() if isinstance(file, str) else file)
    return (file, filename, content_type)


def _builder_arguments(kwargs: dict[str, Any], path: str) -> dict[str, Any]:
    """httpx's request arguments in :class:`EnvironBuilder` terms: ``content`` is the body,
    ``files`` are uploads next to ``data``'s fields, ``params`` join the query string."""
    content = kwargs.pop("content", None)
    if content is not None:
        kwargs["data"] = content
    files = kwargs.pop("files", None)
    if files:
        uploads = [(name, _httpx_file(value)) for name, value in form_pairs(files)]
        kwargs["data"] = [*form_pairs(kwargs.get("data")), *uploads]
    params = kwargs.pop("params", None)
    if params:
        encoded = params if isinstance(params, str) else urlencode(form_pairs(params), doseq=True)
        given = kwargs.get("query_string")
        if given is None:
            given = urlsplit(path).query
        elif not isinstance(given, str | bytes):
            given = urlencode(form_pairs(given), doseq=True)
        given = given.decode("latin-1") if isinstance(given, bytes) else given
        kwargs["query_string"] = f"{given}&{encoded}" if given else encoded
    return kwargs


class _CookieMethods:
    """Flask's cookie helpers on the test clients: ``set_cookie``, ``get_cookie``, ``delete_cookie``."""

    cookies: Any
    use_cookies: bool

    def _check_cookies(self) -> None:
        if not self.use_cookies:
            raise TypeError(_NO_COOKIES)

    def set_cookie(self, key: str, value: str = "", **_: Any) -> None:
        """Set a cookie the client sends with its next requests."""
        self._check_cookies()
        self.cookies.delete(key)
        self.cookies.set(key, value)

    def get_cookie(self, key: str, **_: Any) -> Any:
        """The cookie ``key`` the client holds (with ``.key``, ``.value``, ``.domain``, ``.path``), or None."""
        self._check_cookies()
        for cookie in self.cookies.jar:
            if cookie.name == key:
                return SimpleNamespace(key=cookie.name, value=cookie.value, domain=cookie.domain, path=cookie.path)
        return None

    def delete_cookie(self, key: str, **_: Any) -> None:
        """Forget the cookie ``key``."""
        self._check_cookies()
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


def _drop_shadowed_cookies(client: httpx2.Client | httpx2.AsyncClient) -> None:
    """One cookie per name, as Werkzeug's client keeps: a cookie the client set itself
    (``set_cookie``, ``session_transaction``: no domain) is replaced by the one of the same name
    a response set later (stored under the request's host)."""
    jar = client.cookies.jar
    from_responses = {cookie.name for cookie in jar if cookie.domain}
    for cookie in [c for c in jar if not c.domain and c.name in from_responses]:
        jar.clear(cookie.domain, cookie.path, cookie.name)


def _cookie_header(client: httpx2.Client | httpx2.AsyncClient) -> dict[str, str]:
    cookies = "; ".join(f"{cookie.name}={cookie.value}" for cookie in client.cookies.jar)
    return {"cookie": cookies} if cookies else {}


class _FlaskRequests:
    """What both clients share: Flask's request arguments turned into an environ, then into an
    httpx request; the environ's parts the transport cannot carry (``REMOTE_ADDR``,
    ``SCRIPT_NAME``, ``wsgi.errors``) put into the ASGI scope by the client's wrapper."""

    application: MicroFlask
    use_cookies: bool
    cookies: Any
    _explicit_base_url: str | None
    build_request: Any

    def _init_requests(self, app: MicroFlask, use_cookies: bool, base_url: str | None) -> None:
        self.application = app
        self.use_cookies = use_cookies
        self._explicit_base_url = base_url
        #: The environ every request starts from (Werkzeug's): ``REMOTE_ADDR``, ``HTTP_USER_AGENT``...
        self.environ_base: dict[str, Any] = {"REMOTE_ADDR": "127.0.0.1", "HTTP_USER_AGENT": default_user_agent()}
        self._environs: dict[str, dict[str, Any]] = {}
        self._environ_ids = itertools.count(1)

    def _build(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[httpx2.Request, str]:
        """The httpx request for ``open()``'s arguments, and the key of its environ."""
        httpx_kwargs = {key: kwargs.pop(key) for key in _HTTPX_ONLY if key in kwargs}
        if kwargs.get(_STREAMED) is not None and not isinstance(kwargs[_STREAMED], str | bytes):
            httpx_kwargs[_STREAMED] = kwargs.pop(_STREAMED)
        if args and isinstance(args[0], EnvironBuilder):
            environ = {**self.environ_base, **args[0].get_environ()}
        elif args and isinstance(args[0], Mapping):
            environ = {**self.environ_base, **args[0]}
        else:
            path = str(args[0] if args else kwargs.pop("path", "/"))  # str() for an httpx URL
            if (
                len(args) < 2
                and kwargs.get("base_url") is None
                and self._explicit_base_url is not None
                and not (kwargs.get("subdomain") or kwargs.get("url_scheme") or "://" in str(path))
            ):
                kwargs["base_url"] = self._explicit_base_url
            kwargs["environ_base"] = {**self.environ_base, **(kwargs.get("environ_base") or {})}
            builder = EnvironBuilder(self.application, path, *args[1:], **_builder_arguments(kwargs, path))
            try:
                environ = builder.get_environ()
            finally:
                builder.close()
        return self._request_from_environ(environ, httpx_kwargs)

    def _request_from_environ(
        self, environ: dict[str, Any], httpx_kwargs: dict[str, Any]
    ) -> tuple[httpx2.Request, str]:
        headers = environ_headers(environ)
        host = next(value for key, value in headers if key == "host")
        path = environ.get("SCRIPT_NAME", "").rstrip("/") + (environ.get("PATH_INFO") or "/")
        uri = urlsplit(environ.get("REQUEST_URI") or "").path
        target = uri if uri and unquote(uri) == path else quote(path, safe="/:@!$&'()*+,;=~")
        query = environ.get("QUERY_STRING")
        url = f"{environ.get('wsgi.url_scheme', 'http')}://{host}{target}" + (f"?{query}" if query else "")
        key = str(next(self._environ_ids))
        self._environs[key] = environ
        headers.append((_ENVIRON_KEY, key))
        if not self.use_cookies:
            self.cookies.clear()
        httpx_kwargs.setdefault("content", environ_body(environ))
        request = self.build_request(environ.get("REQUEST_METHOD", "GET"), url, headers=headers, **httpx_kwargs)
        request.test_environ = environ
        return request, key

    def _done(self, key: str) -> None:
        self._environs.pop(key, None)
        if not self.use_cookies:
            self.cookies.clear()

    def _apply_environ(self, scope: Scope) -> Scope:
        """The scope as the request's environ describes it (see :meth:`_request_from_environ`)."""
        environ: Mapping[str, Any] = self.environ_base
        headers = scope.get("headers") or []
        for index, (name, value) in enumerate(headers):
            if name == _ENVIRON_KEY_BYTES:
                environ = self._environs.get(value.decode("latin-1"), environ)
                headers = [*headers[:index], *headers[index + 1 :]]
                break
        scope = {**scope, "headers": headers}
        remote = environ.get("REMOTE_ADDR")
        scope["client"] = (remote, int(environ.get("REMOTE_PORT") or 0)) if remote else None
        root = (environ.get("SCRIPT_NAME") or "").rstrip("/")
        if root and (scope["path"] == root or scope["path"].startswith(root + "/")):
            scope["root_path"] = root
        if "wsgi.errors" in environ:
            scope[ERRORS_STREAM_KEY] = environ["wsgi.errors"]
        if environ is not self.environ_base:  # a request of open(): its body is kept as sent
            chunks: list[bytes] = []
            scope[_RAW_BODY] = chunks
            cast(dict[str, Any], environ)[_RAW_BODY] = chunks
        return scope

    def _session_context(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> RequestContext:
        if not self.use_cookies:
            raise TypeError(_NO_COOKIES)
        headers = {**_cookie_header(self), **dict(kwargs.pop("headers", None) or {})}  # type: ignore[arg-type]
        return self.application.test_request_context(*args, headers=headers, **kwargs)


class _CarriedError(Exception):
    """A ``KeyboardInterrupt`` or ``SystemExit`` the app raised, carried out of the event loop
    (raised as they are, they would stop the loop) to be raised again in the test."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(repr(error))
        self.error = error


async def _call_app(app: Any, scope: Scope, receive: Receive, send: Send) -> None:
    chunks: list[bytes] | None = scope.pop(_RAW_BODY, None)
    if chunks is not None:
        # The body as the app sent it: httpx undoes a Content-Encoding (gzip...), Flask's client does not.
        inner = send

        async def send(message: Message) -> None:
            if message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await inner(message)

    try:
        await app(scope, receive, send)
    except (KeyboardInterrupt, SystemExit) as e:
        raise _CarriedError(e) from None


def _raw_body(request: httpx2.Request) -> bytes | None:
    """The response body the app sent for ``request`` (built by ``open()``), before httpx decoded it."""
    environ = getattr(request, "test_environ", None)
    chunks = environ.get(_RAW_BODY) if environ is not None else None
    return b"".join(chunks) if chunks is not None else None


def _verb(method: str) -> Any:
    """A request method of both clients (typed in each class: ``TestResponse``, or an awaitable of it)."""

    def call(self: Any, *args: Any, **kwargs: Any) -> Any:
        kwargs["method"] = method
        return self.open(*args, **kwargs)

    call.__name__ = method.lower()
    call.__doc__ = (
        f"Send a {method} request: ``open(path='/', base_url=None, ..., method={method!r})`` "
        "(Flask's arguments, and httpx's ``content=``, ``files=``, ``params=``)."
    )
    return call


class TestClient(_FlaskRequests, _CookieMethods, StarletteTestClient):
    """The sync test client: ``with app.test_client() as client: r = client.get("/")``.

    Entering runs the lifespan (``before_serving``); leaving runs ``after_serving``.
    Redirects are not followed unless ``follow_redirects=True`` (Flask's default).
    """

    __test__ = False

    def __init__(
        self,
        app: MicroFlask,
        response_wrapper: Any = None,
        use_cookies: bool = True,
        allow_subdomain_redirects: bool = False,
        *,
        base_url: str | None = None,
        follow_redirects: bool = False,
        **kwargs: Any,
    ) -> None:
        self._init_requests(app, use_cookies, base_url)
        kwargs.setdefault("raise_server_exceptions", True)
        kwargs.setdefault("headers", {"user-agent": default_user_agent()})
        super().__init__(self._asgi, base_url=base_url or BASE_URL, follow_redirects=follow_redirects, **kwargs)
        self.app = app  # the transport calls the wrapper; the lifespan goes to the app itself
        self._kept = _KeptContext(app)

    async def _asgi(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            scope = self._apply_environ(scope)
        await _call_app(self.application, scope, receive, send)

    def send(self, request: httpx2.Request, **kwargs: Any) -> TestResponse:  # type: ignore[override]
        response = super().send(request, **kwargs)
        _drop_shadowed_cookies(self)
        return as_test_response(response, _raw_body(request))

    def open(
        self, *args: Any, buffered: bool = False, follow_redirects: bool | None = None, **kwargs: Any
    ) -> TestResponse:
        """Send a request: ``open(path="/", base_url=None, method="GET", ...)`` takes
        :class:`EnvironBuilder`'s arguments, or an ``EnvironBuilder``, or an environ dict."""
        request, key = self._build(args, kwargs)
        self._kept.release()
        try:
            follow = self.follow_redirects if follow_redirects is None else follow_redirects
            response = self.send(request, follow_redirects=follow)
        except _CarriedError as e:
            raise e.error from None
        finally:
            self._done(key)
        self._kept.push()
        return response

    def request(self, method: str, url: Any = "/", **kwargs: Any) -> TestResponse:  # type: ignore[override]
        """httpx's ``request(method, url, ...)``: the same as ``open(url, method=method, ...)``."""
        return self.open(str(url), method=method, **kwargs)

    def websocket_connect(self, url: str, subprotocols: Any = None, **kwargs: Any) -> WebSocketTestSession:
        """Open a websocket to the app at the client's host (so the client's cookies go along)."""
        if "://" not in url:
            base = self.base_url
            url = f"{'wss' if base.scheme == 'https' else 'ws'}://{base.netloc.decode()}{url}"
        return super().websocket_connect(url, subprotocols, **kwargs)

    get: Callable[..., TestResponse] = _verb("GET")  # type: ignore[assignment]
    post: Callable[..., TestResponse] = _verb("POST")  # type: ignore[assignment]
    put: Callable[..., TestResponse] = _verb("PUT")  # type: ignore[assignment]
    patch: Callable[..., TestResponse] = _verb("PATCH")  # type: ignore[assignment]
    delete: Callable[..., TestResponse] = _verb("DELETE")  # type: ignore[assignment]
    head: Callable[..., TestResponse] = _verb("HEAD")  # type: ignore[assignment]
    options: Callable[..., TestResponse] = _verb("OPTIONS")  # type: ignore[assignment]
    trace: Callable[..., TestResponse] = _verb("TRACE")

    def __enter__(self) -> TestClient:
        super().__enter__()
        self._kept.start()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self._kept.stop()
        super().__exit__(*exc_info)

    @contextmanager
    def session_transaction(self, *args: Any, **kwargs: Any) -> Iterator[SessionMixin]:
        """Open the session the client's cookies carry, to read or change it before a request:
        ``with client.session_transaction() as session: session["user_id"] = 1``. Takes
        ``test_request_context``'s arguments; the request context is active only while the
        session is opened and saved."""
        app = self.application
        interface = app.session_interface
        ctx = self._session_context(args, kwargs)
        assert ctx.request is not None
        with ctx:
            session = finish_without_loop(interface.open_session(app, ctx.request), _SESSION_IO)
        if session is None:
            raise RuntimeError("Session backend did not open a session (is SECRET_KEY set?).")
        yield session
        response = app.response_class()
        if interface.is_null_session(session):
            return
        with ctx:
            finish_without_loop(interface.save_session(app, session, response), _SESSION_IO)
        _session_cookie_jar_update(self, response)


class AsyncTestClient(_FlaskRequests, _CookieMethods, httpx2.AsyncClient):
    """The async test client: ``async with app.async_test_client() as client: await client.get("/")``.

    Entering runs the lifespan; leaving shuts it down. Cookies persist across requests.
    """

    __test__ = False

    def __init__(
        self,
        app: MicroFlask,
        response_wrapper: Any = None,
        use_cookies: bool = True,
        allow_subdomain_redirects: bool = False,
        *,
        base_url: str | None = None,
        follow_redirects: bool = False,
        **kwargs: Any,
    ) -> None:
        self._init_requests(app, use_cookies, base_url)
        self._kept = _KeptContext(app)
        self._lifespan_state: dict[str, Any] = {}
        self._lifespan = LifespanDriver(app, self._lifespan_state)
        transport = httpx2.ASGITransport(app=self._with_state, client=("127.0.0.1", 50000))
        kwargs.setdefault("headers", {"user-agent": default_user_agent()})
        super().__init__(
            transport=transport, base_url=base_url or BASE_URL, follow_redirects=follow_redirects, **kwargs
        )

    async def _with_state(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope = self._apply_environ(scope)
        scope["state"] = dict(self._lifespan_state)
        await _call_app(self.application, scope, receive, send)

    async def open(
        self, *args: Any, buffered: bool = False, follow_redirects: bool | None = None, **kwargs: Any
    ) -> TestResponse:
        """``await client.open(...)``: see :meth:`TestClient.open`."""
        request, key = self._build(args, kwargs)
        self._kept.release()
        try:
            follow = self.follow_redirects if follow_redirects is None else follow_redirects
            response = await self.send(request, follow_redirects=follow)
        except _CarriedError as e:
            raise e.error from None
        finally:
            self._done(key)
        self._kept.push()
        return response

    async def request(self, method: str, url: Any = "/", **kwargs: Any) -> TestResponse:  # type: ignore[override]
        """httpx's ``request(method, url, ...)``: the same as ``await open(url, method=method, ...)``."""
        return await self.open(str(url), method=method, **kwargs)

    @asynccontextmanager
    async def session_transaction(self, *args: Any, **kwargs: Any) -> AsyncIterator[SessionMixin]:
        """``async with client.session_transaction() as session:``: see :meth:`TestClient.session_transaction`."""
        app = self.application
        interface = app.session_interface
        ctx = self._session_context(args, kwargs)
        assert ctx.request is not None
        async with ctx:
            session = await interface.open_session(app, ctx.request)
        if session is None:
            raise RuntimeError("Session backend did not open a session (is SECRET_KEY set?).")
        yield session
        response = app.response_class()
        if interface.is_null_session(session):
            return
        async with ctx:
            await interface.save_session(app, session, response)
        _session_cookie_jar_update(self, response)

    async def send(self, request: httpx2.Request, **kwargs: Any) -> TestResponse:  # type: ignore[override]
        response = await super().send(request, **kwargs)
        _drop_shadowed_cookies(self)
        return as_test_response(response, _raw_body(request))

    get: Callable[..., Awaitable[TestResponse]] = _verb("GET")  # type: ignore[assignment]
    post: Callable[..., Awaitable[TestResponse]] = _verb("POST")  # type: ignore[assignment]
    put: Callable[..., Awaitable[TestResponse]] = _verb("PUT")  # type: ignore[assignment]
    patch: Callable[..., Awaitable[TestResponse]] = _verb("PATCH")  # type: ignore[assignment]
    delete: Callable[..., Awaitable[TestResponse]] = _verb("DELETE")  # type: ignore[assignment]
    head: Callable[..., Awaitable[TestResponse]] = _verb("HEAD")  # type: ignore[assignment]
    options: Callable[..., Awaitable[TestResponse]] = _verb("OPTIONS")  # type: ignore[assignment]
    trace: Callable[..., Awaitable[TestResponse]] = _verb("TRACE")

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
