"""Code written for WSGI Flask that touches the app's entry or its signals (instrumentation such
as Sentry's Flask integration): a WSGI wrapper assigned to the app class's ``__call__`` is
refused (the ASGI entry stays, a warning says why), and sync signal receivers of a ``def``
view's request run on that request's thread, as everything of a request does in Flask."""

from __future__ import annotations

import logging
import threading
from typing import Any

import pytest

from microflask import MicroFlask, request, signals
from microflask.appclass import is_wsgi_callable


def test_wsgi_shaped_functions_are_told_apart() -> None:
    def wsgi(self: Any, environ: Any, start_response: Any) -> Any: ...

    async def asgi(self: Any, scope: Any, receive: Any, send: Any) -> None: ...

    def star(self: Any, *args: Any) -> Any: ...

    assert is_wsgi_callable(wsgi)
    assert not is_wsgi_callable(asgi) and not is_wsgi_callable(star) and not is_wsgi_callable(len)


def test_a_wsgi_wrapper_assigned_to_the_app_class_is_refused(caplog: pytest.LogCaptureFixture) -> None:
    class App(MicroFlask):  # a subclass: the guard is the metaclass's, MicroFlask is left alone
        pass

    asgi_entry = App.__call__
    original = App.__call__

    def patched_wsgi_app(self: Any, environ: Any, start_response: Any) -> Any:
        return original(self, environ, start_response)  # what WSGI instrumentation does

    with caplog.at_level(logging.WARNING, logger="microflask"):
        App.__call__ = patched_wsgi_app  # type: ignore[method-assign,assignment]
    assert App.__call__ is asgi_entry
    assert "patched_wsgi_app replaced App.__call__ with a WSGI wrapper" in caplog.text
    app = App(__name__)

    @app.get("/")
    async def index() -> str:
        return "still served"

    assert app.test_client().get("/").text == "still served"


def test_an_asgi_shaped_call_assigned_to_the_app_class_is_applied() -> None:
    class App(MicroFlask):
        pass

    seen: list[str] = []
    inner = App.__call__

    async def traced(self: Any, scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope["type"])
        await inner(self, scope, receive, send)

    App.__call__ = traced  # type: ignore[method-assign]
    app = App(__name__)

    @app.get("/")
    async def index() -> str:
        return "traced"

    assert app.test_client().get("/").text == "traced"
    assert "http" in seen


@pytest.mark.parametrize("kind", ["def", "async"])
def test_sync_signal_receivers_run_on_the_requests_thread(kind: str) -> None:
    app = MicroFlask(__name__)
    threads: dict[str, int] = {}
    bodies: list[bytes] = []

    def started(sender: MicroFlask, **_: Any) -> None:
        threads["request_started"] = threading.get_ident()

    def failed(sender: MicroFlask, exception: Exception, **_: Any) -> None:
        threads["got_request_exception"] = threading.get_ident()
        bodies.append(request.get_data())  # sync code reading the body, as an error reporter does

    if kind == "def":

        @app.post("/boom")
        def boom() -> str:
            threads["view"] = threading.get_ident()
            raise LookupError("boom")

    else:  # as under microflask.flask_patch: the body is read before the view, for sync code on the loop
        app.flask_extension_support = True

        @app.post("/boom")
        async def boom() -> str:
            threads["view"] = threading.get_ident()
            raise LookupError("boom")

    with signals.request_started.connected_to(started, app), signals.got_request_exception.connected_to(failed, app):
        response = app.test_client().post("/boom", data=b"the body")
    assert response.status_code == 500
    assert bodies == [b"the body"]
    if kind == "def":  # one thread for the request's sync code, as in Flask
        assert threads["request_started"] == threads["view"] == threads["got_request_exception"]
    else:  # an async view's request: sync receivers run on the event loop, with the body read
        assert threads["request_started"] == threads["got_request_exception"]
