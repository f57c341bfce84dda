"""Developer experience (issue 17): mistakes fail at once, where they happen, saying what to do.

A bad return value names the function that returned it; a forgotten ``await`` says so on the
user's line; error messages list what would have been right.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

from microflask import Blueprint, MicroFlask, after_this_request

# -- a bad return value names the function that returned it ---------------------------------


def test_a_view_returning_an_invalid_value_is_named_with_its_endpoint() -> None:
    app = MicroFlask(__name__)
    app.testing = True

    @app.route("/", endpoint="home")
    async def show_home() -> Any:
        return 42

    with pytest.raises(
        TypeError, match=r"The view function 'test_a_view.*show_home' for endpoint 'home'.*it was a int"
    ):
        app.test_client().get("/")


def test_an_error_handler_returning_an_invalid_value_is_named_not_the_view() -> None:
    app = MicroFlask(__name__)
    app.testing = True

    @app.errorhandler(404)
    def page_not_found(e: Exception) -> Any:
        return None

    @app.errorhandler(ValueError)
    async def bad_value(e: Exception) -> Any:
        return 3.5, 400

    @app.route("/boom")
    async def boom() -> str:
        raise ValueError("boom")

    client = app.test_client()
    with pytest.raises(TypeError) as info:
        client.get("/nowhere")
    assert "The error handler" in str(info.value)
    assert "page_not_found" in str(info.value) and "for NotFound" in str(info.value)
    assert "returned None" in str(info.value)
    assert "view function" not in str(info.value)
    with pytest.raises(TypeError, match=r"The error handler '.*bad_value' for ValueError.*it was a float"):
        client.get("/boom")


def test_a_500_handler_returning_an_invalid_value_is_named_in_the_log(caplog: pytest.LogCaptureFixture) -> None:
    app = MicroFlask(__name__)

    @app.errorhandler(500)
    def server_error(e: Exception) -> Any:
        return {1, 2}

    @app.route("/")
    def index() -> str:
        raise RuntimeError("broken")

    with caplog.at_level(logging.ERROR):
        assert app.test_client().get("/").status_code == 500
    assert "The error handler 'test_a_500_handler" in caplog.text
    assert "server_error' for InternalServerError" in caplog.text


def test_a_before_request_hook_returning_an_invalid_value_is_named() -> None:
    app = MicroFlask(__name__)
    app.testing = True
    bp = Blueprint("admin", __name__)

    @bp.before_request
    def require_login() -> Any:
        return 401

    @bp.route("/")
    async def dashboard() -> str:
        return "secret"

    app.register_blueprint(bp, url_prefix="/admin")
    with pytest.raises(TypeError, match=r"The before_request function '.*require_login'.*it was a int"):
        app.test_client().get("/admin/")


def test_an_after_request_hook_returning_none_is_named() -> None:
    app = MicroFlask(__name__)
    app.testing = True

    @app.after_request
    def add_header(response: Any) -> None:
        response.headers["X-Seen"] = "1"  # and forgot "return response"

    @app.route("/")
    def index() -> str:
        return "hello"

    @app.route("/once")
    def once() -> str:
        @after_this_request
        def forgot(response: Any) -> None:
            pass

        return "hello"

    client = app.test_client()
    with pytest.raises(TypeError, match=r"The after_request function '.*add_header'.*returned None: it must return"):
        client.get("/")
    with pytest.raises(TypeError, match=r"The after_this_request function '.*forgot'"):
        client.get("/once")


def test_an_unawaited_helper_returned_is_explained() -> None:
    app = MicroFlask(__name__)
    app.testing = True

    class Later:
        def __await__(self) -> Any:
            yield from ()
            return "never"

    @app.route("/awaitable")
    def awaitable() -> Any:
        return Later(), 201

    client = app.test_client()
    with pytest.raises(TypeError, match="must be awaited"):
        client.get("/awaitable")
