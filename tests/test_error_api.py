"""Flask's public error-handling methods: ``handle_user_exception``, ``handle_http_exception``,
``handle_exception`` (async, as Quart's), and ``log_exception`` in both of Flask's forms.

The request path goes through them when an app's class overrides them or an extension replaces
them on the app (Flask-RESTful's error router wraps the originals in a sync function)."""

from __future__ import annotations

import functools
import logging
import sys
from typing import Any

import pytest

from microflask import MicroFlask, abort
from microflask.exceptions import Conflict, HTTPException, NotFound


def make_app(**config: Any) -> MicroFlask:
    app = MicroFlask(__name__)
    app.config.update(config)

    @app.errorhandler(KeyError)
    async def key_error(e: KeyError) -> tuple[str, int]:
        return f"handled {e.args[0]}", 409

    @app.get("/key")
    async def key() -> str:
        raise KeyError("k")

    @app.get("/teapot")
    async def teapot() -> str:
        abort(418)

    @app.get("/boom")
    def boom() -> str:
        raise ValueError("boom")

    @app.get("/fine")
    async def fine() -> str:
        return "fine"

    return app


def test_the_methods_answer_as_the_request_path_does() -> None:
    app = make_app()

    @app.get("/direct")
    async def direct() -> str:
        handled = await app.handle_user_exception(KeyError("x"))
        assert handled == ("handled x", 409)
        not_found = NotFound()
        assert await app.handle_http_exception(not_found) is not_found  # no handler: the error itself
        with pytest.raises(ValueError):
            await app.handle_user_exception(ValueError("nobody handles this"))
        return "ok"

    assert app.test_client().get("/direct").text == "ok"


def test_a_subclass_override_sees_every_error_of_hooks_and_views() -> None:
    seen: list[str] = []

    class Tracing(MicroFlask):
        async def handle_user_exception(self, e: Exception) -> Any:
            seen.append(type(e).__name__)
            return await super().handle_user_exception(e)

    app = Tracing(__name__)

    @app.errorhandler(KeyError)
    def key_error(e: KeyError) -> tuple[str, int]:
        return "handled", 409

    @app.get("/key")
    async def key() -> str:
        raise KeyError("k")

    @app.get("/missing")
    def missing() -> str:
        abort(404)

    client = app.test_client()
    assert (client.get("/key").status_code, client.get("/missing").status_code) == (409, 404)
    assert seen == ["KeyError", "NotFound"]


def router(answers: dict[type, Any], original: Any, e: Exception) -> Any:
    """Flask-RESTful's pattern: a sync function replacing the method on the app, answering some
    errors itself and handing the others to the original (whose answer may be awaitable)."""
    for kind, answer in answers.items():
        if isinstance(e, kind):
            return answer
    return original(e)


def test_an_extension_can_replace_them_on_the_app() -> None:
    app = make_app(PROPAGATE_EXCEPTIONS=False)
    app.handle_user_exception = functools.partial(  # type: ignore[method-assign]
        router, {KeyError: ({"routed": "key"}, 422)}, app.handle_user_exception
    )
    app.handle_http_exception = functools.partial(  # type: ignore[method-assign]
        router, {Conflict: ("routed conflict", 409)}, app.handle_http_exception
    )
    app.handle_exception = functools.partial(  # type: ignore[method-assign]
        router, {ValueError: ("routed 500", 500)}, app.handle_exception
    )

    @app.get("/conflict")
    async def conflict() -> str:
        abort(409)

    client = app.test_client()
    key = client.get("/key")
    assert (key.status_code, key.json) == (422, {"routed": "key"})
    assert (client.get("/conflict").status_code, client.get("/conflict").text) == (409, "routed conflict")
    assert client.get("/teapot").status_code == 418  # handed to the original
    assert (client.get("/boom").status_code, client.get("/boom").text) == (500, "routed 500")
    assert client.get("/fine").text == "fine"


def test_a_replaced_handle_exception_that_hands_over_keeps_flasks_500() -> None:
    app = make_app(PROPAGATE_EXCEPTIONS=False)
    calls: list[str] = []

    def passthrough(original: Any, e: Exception) -> Any:
        calls.append(str(e))
        return original(e)

    app.handle_exception = functools.partial(passthrough, app.handle_exception)  # type: ignore[method-assign]
    answer = app.test_client().get("/boom")
    assert answer.status_code == 500 and "Internal Server Error" in answer.text
    assert calls == ["boom"]


def test_handle_exception_raises_where_errors_propagate() -> None:
    app = make_app(TESTING=True)

    @app.get("/call")
    async def call() -> str:
        with pytest.raises(ValueError):
            await app.handle_exception(ValueError("propagates"))
        return "raised"

    assert app.test_client().get("/call").text == "raised"


def test_log_exception_takes_both_of_flasks_forms(caplog: pytest.LogCaptureFixture) -> None:
    app = make_app()

    @app.get("/log")
    async def log() -> str:
        try:
            raise RuntimeError("logged")
        except RuntimeError:
            app.log_exception(sys.exc_info())  # Flask 3.1's form, as extensions call it
            from microflask.globals import current_context

            app.log_exception(current_context(), sys.exc_info())  # Flask's current form
        return "ok"

    with caplog.at_level(logging.ERROR, logger=app.logger.name):
        assert app.test_client().get("/log").text == "ok"
    logged = [r for r in caplog.records if r.getMessage() == "Exception on /log [GET]"]
    assert len(logged) == 2 and all(r.exc_info and r.exc_info[0] is RuntimeError for r in logged)


def test_an_http_errors_page_has_werkzeugs_header_api() -> None:
    page = Conflict().get_response()
    page.headers.pop("Content-Length", None)  # what Flask-RESTful does to it
    assert "content-length" not in page.headers
    page.headers.extend({"X-Extra": "1"})
    assert page.headers.get_all("x-extra") == ["1"]
    assert isinstance(Conflict(), HTTPException)


def test_sync_wrappers_get_answers_not_awaitables() -> None:
    # Flask-CORS's pattern: a sync wrapper that makes a response of the original's answer at once.
    app = make_app(PROPAGATE_EXCEPTIONS=False)
    wrapped: list[int] = []

    def after(original: Any, e: Exception) -> Any:
        response = app.make_response(original(e))
        response.headers["X-Wrapped"] = "yes"
        wrapped.append(response.status_code)
        return response

    app.handle_user_exception = functools.partial(after, app.handle_user_exception)  # type: ignore[method-assign]
    app.handle_exception = functools.partial(after, app.handle_exception)  # type: ignore[method-assign]

    @app.get("/sync-view")
    def sync_view() -> str:
        raise KeyError("in a thread")

    client = app.test_client()
    for path, status in (("/key", 409), ("/teapot", 418), ("/boom", 500), ("/sync-view", 409)):
        answer = client.get(path)
        assert (answer.status_code, answer.headers.get("x-wrapped")) == (status, "yes"), path
    assert wrapped == [409, 418, 500, 409]  # /boom: the user-error pass re-raised, then handle_exception


def test_called_from_sync_code_in_a_sync_view_the_answer_comes_back() -> None:
    app = make_app()

    @app.get("/thread")
    def thread() -> str:
        answer = app.handle_user_exception(KeyError("t"))  # a worker thread: no await
        assert answer == ("handled t", 409)
        return "ok"

    assert app.test_client().get("/thread").text == "ok"
