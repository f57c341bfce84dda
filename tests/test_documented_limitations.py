"""Every limitation the docs state ("differs", "not provided", "not supported") holds today.

Each test asserts one documented difference from Flask (or Quart) and names the sentence it
checks. When a test here fails, the limitation was lifted: delete the sentence from the docs,
then the test. The behaviours themselves were compared with Flask 3.2 when the docs were written.
"""

from __future__ import annotations

import importlib.util
import inspect
import subprocess
import sys
import textwrap
import threading
from typing import Any

import pytest

import microflask
import microflask.signals as signals
from microflask import (
    MicroFlask,
    appcontext_pushed,
    flash,
    message_flashed,
    request,
    session,
    url_for,
)


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter (for what depends on which modules were imported)."""
    return subprocess.run(
        [sys.executable, "-W", "error", "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=60,
    )


# -- docs/migrating-from-flask.md, "Async views read the body with `await`" ------------------


def test_async_view_body_accessors_are_awaitables() -> None:
    # "So the body accessors return awaitables there: `await request.form`, ..."
    app = MicroFlask(__name__)
    kinds: dict[str, bool] = {}

    @app.post("/")
    async def view() -> str:
        for name in ("form", "json", "data", "files", "values"):
            value = getattr(request, name)
            kinds[name] = inspect.isawaitable(value)
            await value
        got = request.get_json()
        kinds["get_json()"] = inspect.isawaitable(got)
        await got
        return "ok"

    assert app.test_client().post("/", json={"a": 1}).status_code == 200
    assert all(kinds.values()), kinds


def test_request_stream_is_an_async_generator_not_a_file() -> None:
    # "`request.stream` differs in every view: it is `async for chunk in request.stream()`
    # (an async generator), not Flask's file-like `request.stream.read()`."
    app = MicroFlask(__name__)

    @app.post("/")
    def view() -> str:
        return f"{callable(request.stream)} {hasattr(request.stream, 'read')}"

    assert app.test_client().post("/", data=b"abc").text == "True False"


# -- "Which thread runs your code" --------------------------------------------------------------


def test_async_view_runs_its_sync_hooks_on_the_loop_thread() -> None:
    # "A request to an `async def` view runs on the event loop, **including its sync hooks**."
    app = MicroFlask(__name__)
    threads: dict[str, int] = {}

    @app.before_request
    def hook() -> None:
        threads["hook"] = threading.get_ident()

    @app.route("/")
    async def view() -> str:
        threads["view"] = threading.get_ident()
        return "ok"

    app.test_client().get("/")
    assert threads["hook"] == threads["view"]


# -- "There is no WSGI" ---------------------------------------------------------------------------


def test_no_wsgi_app_and_no_request_environ() -> None:
    # "`app.wsgi_app` does not exist" and "`request.environ` does not exist"
    app = MicroFlask(__name__)
    assert not hasattr(app, "wsgi_app")

    @app.route("/")
    def view() -> str:
        return str(hasattr(request, "environ"))

    assert app.test_client().get("/").text == "False"


def test_a_view_cannot_return_a_wsgi_application() -> None:
    # "A view cannot return a WSGI application, such as a `werkzeug.wrappers.Response` or a
    # Werkzeug `NotFound()` instance: it is a `TypeError`."
    wrappers = pytest.importorskip("werkzeug.wrappers")
    exceptions = pytest.importorskip("werkzeug.exceptions")
    app = MicroFlask(__name__)
    app.testing = True

    @app.route("/response")
    def werkzeug_response() -> Any:
        return wrappers.Response("hello")

    @app.route("/exception")
    def werkzeug_exception() -> Any:
        return exceptions.NotFound()

    client = app.test_client()
    for path in ("/response", "/exception"):
        with pytest.raises(TypeError, match="did not return a valid response"):
            client.get(path)


def test_debug_page_has_no_interactive_console() -> None:
    # "There is no Werkzeug debugger. ... the traceback with its source, with no interactive console."
    app = MicroFlask(__name__)
    app.config.update(DEBUG=True, PROPAGATE_EXCEPTIONS=False)

    @app.route("/")
    def view() -> str:
        raise ZeroDivisionError("boom")

    app.logger.disabled = True
    try:
        page = app.test_client().get("/")
    finally:
        app.logger.disabled = False
    assert page.status_code == 500
    assert "ZeroDivisionError" in page.text
    assert "<script" not in page.text.lower()


# -- "Werkzeug" -------------------------------------------------------------------------------------


def test_redirect_to_and_alias_rules_are_refused() -> None:
    # "Rules with `redirect_to` or `alias` are refused with a `ValueError`" (also docs/routing.md:
    # "their `redirect_to` and `alias` options are not supported")
    routing = pytest.importorskip("werkzeug.routing")
    app = MicroFlask(__name__)
    with pytest.raises(ValueError, match="redirect_to and alias"):
        app.url_map.add(routing.Rule("/old", endpoint="new", redirect_to="/new"))
    with pytest.raises(ValueError, match="redirect_to and alias"):
        app.url_map.add(routing.Rule("/alias", endpoint="new", alias=True))


def test_exceptions_join_werkzeugs_classes_only_once_the_app_serves() -> None:
    # "microflask's exception classes become subclasses of Werkzeug's ... once Werkzeug is
    # imported **and** the app has started serving or `abort()` has been called. Before that,
    # ... `issubclass(microflask.exceptions.NotFound, werkzeug.exceptions.NotFound)` is `False`"
    pytest.importorskip("werkzeug")
    result = run_python(
        """
        import werkzeug.exceptions as wz
        import microflask
        from microflask.exceptions import NotFound
        assert not issubclass(NotFound, wz.NotFound)
        app = microflask.MicroFlask("probe")
        assert not issubclass(NotFound, wz.NotFound)
        app.test_client().get("/")
        assert issubclass(NotFound, wz.NotFound)
        """
    )
    assert result.returncode == 0, result.stderr


def test_werkzeugs_request_header_helpers_are_not_provided() -> None:
    # The table: `request.authorization`, `request.accept_languages`, ... "read `request.headers`"
    app = MicroFlask(__name__)
    names = [
        "authorization",
        "accept_languages",
        "accept_charsets",
        "accept_encodings",
        "access_route",
        "cache_control",
        "if_modified_since",
        "if_none_match",
        "range",
        "date",
    ]

    @app.route("/")
    def view() -> Any:
        return [name for name in names if hasattr(request, name)]

    assert app.test_client().get("/").json == []


def test_werkzeugs_response_header_helpers_are_not_provided() -> None:
    # The table: `response.cache_control`, `expires`, `last_modified`, `set_etag`,
    # `make_conditional`, `call_on_close`, and `get_json()`/`json` on an app's `Response`
    response = microflask.Response("x")
    names = ["cache_control", "expires", "last_modified", "set_etag", "make_conditional", "call_on_close"]
    assert [name for name in [*names, "get_json", "json"] if hasattr(response, name)] == []


def test_str_of_url_rule_is_its_repr() -> None:
    # "`str(request.url_rule)` is the rule's `repr`, not its text: use `request.url_rule.rule`."
    app = MicroFlask(__name__)

    @app.route("/u/<name>")
    def view(name: str) -> Any:
        return {"str": str(request.url_rule), "rule": request.url_rule.rule}

    answer = app.test_client().get("/u/a").json
    assert answer["rule"] == "/u/<name>"
    assert answer["str"] != "/u/<name>"
    assert answer["str"].startswith("<Rule")


# -- "Smaller differences" ---------------------------------------------------------------------------


def test_cookies_are_samesite_lax_by_default() -> None:
    # "`SameSite=Lax` by default (`SESSION_COOKIE_SAMESITE = "Lax"`)" (also docs/requests-responses.md:
    # "Unlike Flask, cookies are **`SameSite=Lax` by default**")
    app = MicroFlask(__name__)
    app.secret_key = "test"
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"

    @app.route("/")
    def view() -> Any:
        session["a"] = 1
        response = microflask.make_response("ok")
        response.set_cookie("plain", "1")
        return response

    cookies = app.test_client().get("/").headers.get_all("Set-Cookie")
    assert len(cookies) == 2
    assert all("SameSite=Lax" in cookie for cookie in cookies)


def test_session_new_is_true_without_a_cookie() -> None:
    # "`session.new` ... `True` for a session that came without a valid cookie"
    app = MicroFlask(__name__)
    app.secret_key = "test"

    @app.route("/")
    def view() -> Any:
        return {"new": session.new}

    assert app.test_client().get("/").json == {"new": True}


def test_url_for_quotes_a_slash_in_a_string_value() -> None:
    # "`url_for("v", name="a/b")` for a `<name>` rule ... `/u/a%2Fb`"
    app = MicroFlask(__name__)

    @app.route("/u/<name>")
    def v(name: str) -> str:
        return name

    with app.test_request_context():
        assert url_for("v", name="a/b") == "/u/a%2Fb"


def test_trailing_slash_redirect_is_relative() -> None:
    # "the redirect from `/dir` to `/dir/` has ... `Location: /dir/`"
    app = MicroFlask(__name__)

    @app.route("/dir/")
    def folder() -> str:
        return "dir"

    assert app.test_client().get("/dir").headers["Location"] == "/dir/"


def test_allow_header_is_sorted() -> None:
    # "`Allow`: the same methods, sorted"
    app = MicroFlask(__name__)

    @app.route("/", methods=["PUT", "GET", "POST"])
    def view() -> str:
        return "ok"

    allow = app.test_client().open("/", method="OPTIONS").headers["Allow"]
    methods = [method.strip() for method in allow.split(",")]
    assert methods == sorted(methods)


def test_error_pages_escape_the_apostrophe_as_hex() -> None:
    # "the default error pages escape `'` as `&#39;` | `&#x27;`"
    app = MicroFlask(__name__)

    @app.route("/")
    def view() -> str:
        microflask.abort(404, "it's gone")

    assert "it&#x27;s gone" in app.test_client().get("/").text


def test_test_response_get_json_on_non_json_raises() -> None:
    # "a test response's `get_json()` on a body that is not JSON ... raises `ValueError`"
    app = MicroFlask(__name__)

    @app.route("/")
    def view() -> str:
        return "text"

    response = app.test_client().get("/")
    with pytest.raises(ValueError):
        response.get_json()
    assert response.get_json(silent=True) is None


def test_provide_automatic_options_and_use_x_sendfile_are_not_used() -> None:
    # "`PROVIDE_AUTOMATIC_OPTIONS` and `USE_X_SENDFILE` config keys | not used"
    app = MicroFlask(__name__)
    assert "PROVIDE_AUTOMATIC_OPTIONS" not in app.config
    assert "USE_X_SENDFILE" not in app.config
    app.config.update(PROVIDE_AUTOMATIC_OPTIONS=False, USE_X_SENDFILE=True)

    @app.route("/")
    def view() -> Any:
        return microflask.send_file(__file__)

    client = app.test_client()
    assert client.open("/", method="OPTIONS").status_code == 200
    with client.get("/") as response:
        assert "X-Sendfile" not in response.headers
        assert response.data


def test_reprs_of_g_and_unbound_proxies() -> None:
    # "`<microflask.g of 'app'>`, `<unbound proxy g>` | cosmetic"
    app = MicroFlask("app")
    assert repr(microflask.g) == "<unbound proxy g>"
    with app.app_context():
        assert repr(microflask.g) == "<microflask.g of 'app'>"


# -- docs/signals.md, "Sync and async receivers" (and the migration guide's pointer to it) ----------


def test_flash_in_an_async_view_cannot_run_an_async_receiver() -> None:
    # "`flash()` called in an `async def` view, when an `async def` receiver listens to
    # `message_flashed`" raises a RuntimeError.
    app = MicroFlask(__name__)
    app.secret_key = "test"
    app.testing = True

    async def receiver(sender: Any, **extra: Any) -> None:
        pass

    @app.route("/")
    async def view() -> str:
        flash("hello")
        return "ok"

    with message_flashed.connected_to(receiver, app), pytest.raises(RuntimeError, match="is async"):
        app.test_client().get("/")


def test_plain_with_app_context_cannot_run_an_async_receiver() -> None:
    # "A plain `with app.app_context():` block ... when an async receiver listens to
    # `appcontext_pushed`" raises a RuntimeError.
    app = MicroFlask(__name__)

    async def receiver(sender: Any, **extra: Any) -> None:
        pass

    ctx = app.app_context()
    with appcontext_pushed.connected_to(receiver, app), pytest.raises(RuntimeError, match="is async"):
        ctx.push()  # what `with app.app_context():` does first
    ctx.pop()  # the context was pushed before the signal was sent: leave none behind
    assert not microflask.has_app_context()


# -- "The command line" (the command-line work lifts these: delete the sentences with the tests) -----


# -- "Extensions" -------------------------------------------------------------------------------------


def test_microflask_does_not_install_itself_as_flask() -> None:
    # "Flask extensions ... `import flask`, and microflask does not install itself under that name"
    result = run_python(
        """
        import sys
        import microflask, microflask.testing, microflask.json.tag
        assert "flask" not in sys.modules
        """
    )
    assert result.returncode == 0, result.stderr


# -- "Measured on Flask's own test suite": a difference still to fix ------------------------------


def test_a_rule_default_loses_to_the_hosts_value() -> None:
    # "a rule default for a variable of the rule's host pattern loses to the host's value"
    app = MicroFlask(__name__, host_matching=True, static_host="example.test")
    app.config["SERVER_NAME"] = "example.test"

    @app.route("/", defaults={"name": "default"}, host="<name>")
    def index(name: str) -> str:
        return name

    assert app.test_client().get(base_url="http://example.test").text == "example.test"


# -- docs/migrating-from-quart.md ----------------------------------------------------------------------


def test_quart_names_not_provided() -> None:
    # "Names Quart has and microflask does not": "`copy_current_websocket_context`,
    # `copy_current_app_context`, `has_websocket_context` and `make_push_promise`", and "Quart's
    # own websocket signals ... are not"
    names = ["Quart", "copy_current_websocket_context", "copy_current_app_context", "has_websocket_context"]
    names.append("make_push_promise")
    assert [name for name in names if hasattr(microflask, name)] == []
    websocket_signals = ["websocket_started", "websocket_finished", "websocket_tearing_down", "got_websocket_exception"]
    assert [name for name in websocket_signals if hasattr(signals, name)] == []


def test_quart_helpers_that_are_not_async_here() -> None:
    # "`await flash(...)` fails with `TypeError`", "`request.body` is Starlette's method",
    # "`from quart.utils import run_sync` ... no such helper"
    app = MicroFlask(__name__)
    app.secret_key = "test"
    app.testing = True

    @app.route("/")
    async def view() -> str:
        await flash("saved")  # type: ignore[func-returns-value]
        return "ok"

    with pytest.raises(TypeError, match="can't be used in 'await' expression"):
        app.test_client().get("/")
    assert inspect.iscoroutinefunction(microflask.Request.body)
    assert importlib.util.find_spec("microflask.utils") is None


def test_quart_lifespan_names_not_provided() -> None:
    # "`@app.while_serving` ... becomes `@app.lifespan`" and "Quart needs `app.test_app()` for
    # that, which does not exist here."
    app = MicroFlask(__name__)
    assert not hasattr(app, "while_serving")
    assert not hasattr(app, "test_app")
