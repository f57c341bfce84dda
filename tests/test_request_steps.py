"""Flask's public request-path steps (``preprocess_request``, ``dispatch_request``,
``full_dispatch_request``, ``finalize_request``, ``process_response``, ``do_teardown_request``,
``do_teardown_appcontext``, ``async_to_sync``), driven by hand as Flask's docs show for testing
hooks: sync code gets the result, async code awaits it."""

from __future__ import annotations

from typing import Any

import pytest

from microflask import Blueprint, MicroFlask, Response, after_this_request, g, request


def make_app() -> tuple[MicroFlask, list[Any]]:
    app = MicroFlask(__name__)
    app.secret_key = "k"
    seen: list[Any] = []
    bp = Blueprint("shop", __name__, url_prefix="/shop")

    @app.url_value_preprocessor
    def pull_lang(endpoint: str | None, values: dict[str, Any] | None) -> None:
        g.lang = (values or {}).pop("lang", "en")

    @app.before_request
    def who() -> None:
        g.user = request.args.get("user", "anon")

    @bp.before_request
    async def closed() -> Any:
        if request.args.get("closed"):
            return "shop closed", 503
        return None

    @app.after_request
    def stamp(response: Response) -> Response:
        response.headers["X-Stamp"] = g.get("user", "none")
        return response

    @app.teardown_request
    def record_request(exc: BaseException | None) -> None:
        seen.append(("request", exc))

    @app.teardown_appcontext
    def record_app(exc: BaseException | None) -> None:
        seen.append(("app", exc))

    @app.get("/<lang>/hello")
    def hello() -> str:
        return f"hello {g.user} ({g.lang})"

    @bp.get("/items")
    async def items() -> dict[str, Any]:
        return {"user": g.user}

    app.register_blueprint(bp)
    return app, seen


def test_preprocess_request_runs_the_preprocessors_and_before_request_hooks() -> None:
    app, _ = make_app()
    with app.test_request_context("/de/hello?user=ann"):
        assert app.preprocess_request() is None
        assert (g.user, g.lang) == ("ann", "de")
        assert app.dispatch_request() == "hello ann (de)"
    with app.test_request_context("/shop/items?closed=1"):
        assert app.preprocess_request() == ("shop closed", 503)  # the blueprint's hook answered


def test_full_dispatch_and_finalize_make_processed_responses() -> None:
    app, _ = make_app()
    with app.test_request_context("/shop/items?user=bob"):
        response = app.full_dispatch_request()
        assert (response.status_code, response.json, response.headers["x-stamp"]) == (200, {"user": "bob"}, "bob")
    with app.test_request_context("/shop/items?closed=1"):
        assert app.full_dispatch_request().status_code == 503
    with app.test_request_context("/nowhere"):
        assert app.full_dispatch_request().status_code == 404
        finalized = app.finalize_request(("made", 201))
        assert (finalized.status_code, finalized.headers["x-stamp"]) == (201, "anon")  # the hooks ran for the 404


def test_process_response_runs_after_this_request_then_after_request() -> None:
    app, _ = make_app()
    with app.test_request_context("/de/hello?user=cy"):
        app.preprocess_request()

        @after_this_request
        def once(response: Response) -> Response:
            response.headers["X-Once"] = "1"
            return response

        processed = app.process_response(Response("body"))
        assert (processed.headers["x-once"], processed.headers["x-stamp"]) == ("1", "cy")


def test_teardown_steps_pass_the_error_on() -> None:
    app, seen = make_app()
    error = ValueError("gone wrong")
    with app.test_request_context("/de/hello"):
        app.do_teardown_request(error)
        app.do_teardown_appcontext()
    assert seen[:2] == [("request", error), ("app", None)]


def test_in_async_code_they_are_awaited() -> None:
    app, _ = make_app()

    @app.get("/steps")
    async def steps() -> Any:
        assert await app.preprocess_request() is None
        response = await app.process_response(Response("x"))
        return {"stamp": response.headers["x-stamp"], "user": g.user}

    assert app.test_client().get("/steps?user=dee").json == {"stamp": "dee", "user": "dee"}


def test_async_to_sync_runs_a_coroutine_function_from_a_def_view() -> None:
    app, _ = make_app()

    async def double(x: int) -> int:
        return 2 * x

    @app.get("/double")
    def double_view() -> str:
        return str(app.async_to_sync(double)(21))

    assert app.test_client().get("/double").text == "42"


def test_outside_a_request_they_say_so() -> None:
    app, _ = make_app()
    with pytest.raises(RuntimeError, match="request context"):
        app.preprocess_request()


def test_flasks_other_app_helpers() -> None:
    app, _ = make_app()
    assert [bp.name for bp in app.iter_blueprints()] == ["shop"]
    assert app.select_jinja_autoescape("page.html") and app.select_jinja_autoescape(None)
    assert not app.select_jinja_autoescape("mail.txt")
    config = app.make_config()
    assert config is not app.config and config["DEBUG"] is False and "SECRET_KEY" in config
    assert app.auto_find_instance_path() == app.instance_path
    assert app.has_static_folder is True
    assert MicroFlask(__name__, static_folder=None).has_static_folder is False
    assert app.should_ignore_error(ValueError()) is False


def test_update_template_context_adds_the_processors_values_under_the_callers() -> None:
    app, _ = make_app()

    @app.context_processor
    def site() -> dict[str, Any]:
        return {"site": "shop.example", "title": "from the processor"}

    @app.context_processor
    async def counts() -> dict[str, Any]:
        return {"items": 3}

    with app.test_request_context("/shop/items"):
        context: dict[str, Any] = {"title": "mine"}
        assert app.update_template_context(context) is None
        assert context == {"title": "mine", "site": "shop.example", "items": 3}

    @app.get("/ctx")
    async def ctx_view() -> dict[str, Any]:
        context: dict[str, Any] = {}
        await app.update_template_context(context)
        return context

    assert app.test_client().get("/ctx").json == {"site": "shop.example", "title": "from the processor", "items": 3}


def test_request_context_takes_a_wsgi_environ() -> None:
    from microflask.testing import EnvironBuilder

    app, _ = make_app()
    environ = EnvironBuilder(app, "/de/hello?user=eve", method="GET").get_environ()
    with app.request_context(environ):
        assert (request.path, request.args["user"], request.endpoint) == ("/de/hello", "eve", "hello")
        app.preprocess_request()
        assert app.dispatch_request() == "hello eve (de)"
