"""Every limitation the docs state ("differs", "not provided", "not supported") holds today.

Each test asserts one documented difference from Flask (or Quart) and names the sentence it
checks. When a test here fails, the limitation was lifted: delete the sentence from the docs,
then the test. The behaviours themselves were compared with Flask 3.2 when the docs were written.
"""

from __future__ import annotations

import gc
import importlib.util
import inspect
import subprocess
import sys
import textwrap
import threading
import warnings
from types import SimpleNamespace
from typing import Any

import pytest

import microflask
import microflask.signals as signals
from microflask import (
    MicroFlask,
    appcontext_pushed,
    flash,
    message_flashed,
    render_template_string,
    request,
    session,
    url_for,
    websocket,
)
from microflask.broadcast import Broadcast
from microflask.discovery import NoAppException, find_app_by_string


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


def test_no_wsgi_app_and_request_environ_is_built_from_the_scope() -> None:
    # "`app.wsgi_app` does not exist" and "`request.environ` is a WSGI environ *built from* the
    # ASGI scope ... it has no `wsgi.input`"
    app = MicroFlask(__name__)
    assert not hasattr(app, "wsgi_app")

    @app.route("/")
    def view() -> str:
        return str(("wsgi.input" in request.environ, request.environ["asgi.scope"] is request.scope))

    assert app.test_client().get("/").text == "(False, True)"


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


def test_werkzeugs_response_header_helpers_are_provided() -> None:
    # "the response's are: `cache_control`, `expires`, `set_etag`, `make_conditional`..."
    response = microflask.Response("x")
    names = ["cache_control", "expires", "last_modified", "set_etag", "make_conditional", "call_on_close"]
    assert [name for name in [*names, "get_json", "json"] if not hasattr(response, name)] == []


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
    # "`<microflask.g of 'app'>` (an unbound proxy is `<LocalProxy unbound>`, as Werkzeug's) | cosmetic"
    app = MicroFlask("app")
    assert repr(microflask.g) == "<LocalProxy unbound>"
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


def test_from_prefixed_env_reads_microflask_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    # "`config.from_prefixed_env()` reads `MICROFLASK_*` (Quart reads `QUART_*`): pass `"QUART"`"
    monkeypatch.setenv("QUART_ANSWER", "1")
    monkeypatch.setenv("MICROFLASK_ANSWER", "2")
    app = MicroFlask(__name__)
    app.config.from_prefixed_env()
    assert app.config["ANSWER"] == 2
    app.config.from_prefixed_env("QUART")
    assert app.config["ANSWER"] == 1


# -- docs/cli.md, "Differences from Flask's `flask` command" ------------------------------------------


def test_microflask_run_lacks_flasks_server_options() -> None:
    # "there is no `--cert` ..., no `--with-threads`, no `--extra-files`; `--workers` ... added"
    result = MicroFlask(__name__).test_cli_runner().invoke(args=["run", "--help"])
    assert result.exit_code == 0, result.output
    assert [o for o in ("--cert", "--with-threads", "--extra-files") if o in result.output] == []
    assert "--workers" in result.output


def test_microflask_has_no_env_file_option_and_no_shell_completion() -> None:
    # "`--env-file` exists in `FlaskGroup` only; shell completion is not there yet."
    result = MicroFlask(__name__).test_cli_runner().invoke(args=["--help"])
    assert result.exit_code == 0, result.output
    assert [o for o in ("--env-file", "--install-completion", "--show-completion") if o in result.output] == []


def test_an_async_app_factory_is_refused() -> None:
    # "Factories must be synchronous"
    async def create_app() -> MicroFlask:
        return MicroFlask(__name__)

    module = SimpleNamespace(__name__="factory_module", create_app=create_app)
    with pytest.raises(NoAppException, match="an app factory must be a plain def"):
        find_app_by_string(module, "create_app()")  # type: ignore[arg-type]


# -- docs/websockets.md ---------------------------------------------------------------------------------


def test_a_websocket_view_must_be_async() -> None:
    # "A websocket view must be `async def` (a plain `def` is refused at registration)."
    app = MicroFlask(__name__)
    with pytest.raises(TypeError, match="must be an async function"):

        @app.websocket("/ws")
        def view() -> None:
            pass


def test_http_request_hooks_do_not_run_for_websockets() -> None:
    # "HTTP request hooks do not run for websockets; websocket hooks do"
    app = MicroFlask(__name__)
    ran: list[str] = []
    app.before_request(lambda: ran.append("before_request"))
    app.before_websocket(lambda: ran.append("before_websocket"))

    @app.websocket("/ws")
    async def view() -> None:
        await websocket.send("hi")

    with app.test_client() as client, client.websocket_connect("/ws") as ws:
        assert ws.receive_text() == "hi"
    assert ran == ["before_websocket"]


def test_request_is_not_available_and_session_changes_are_not_saved_in_a_websocket_view() -> None:
    # "changing [the session] in a websocket view is not saved ..." and "The `request` proxy does
    # not work there (... using it raises `RuntimeError`)"
    app = MicroFlask(__name__)
    app.secret_key = "test"

    @app.post("/login")
    async def login() -> str:
        session["user"] = "ada"
        return "ok"

    @app.get("/visits")
    async def visits() -> str:
        return str(session.get("visits"))

    @app.websocket("/ws")
    async def view() -> None:
        try:
            request.path  # noqa: B018
        except RuntimeError:
            answer = "no request"
        else:
            answer = "request"
        session["visits"] = 1
        await websocket.send(f"{answer} {session.get('user')}")

    with app.test_client() as client:
        client.post("/login")
        with client.websocket_connect("/ws") as ws:
            assert ws.receive_text() == "no request ada"  # the session is read from the handshake
        assert client.get("/visits").text == "None"  # what the websocket view changed is gone


@pytest.mark.anyio
async def test_a_broadcast_delivers_only_within_its_own_instance() -> None:
    # "An in-memory room and `Broadcast` deliver only to the websockets of the process that
    # publishes": each worker process has its own `Broadcast()`, as these two stand for two workers.
    worker_1, worker_2 = Broadcast(), Broadcast()
    async with worker_1, worker_2, worker_2.subscribe("room") as subscriber:
        await worker_1.publish("room", "from worker 1")
        await worker_2.publish("room", "from worker 2")
        assert await subscriber.get() == "from worker 2"  # the first message it got


# -- docs/background-tasks.md, "Starlette's `BackgroundTask` on a response" ------------------------------


def test_request_and_session_are_not_available_in_a_background_task() -> None:
    # "| `request`, `session` | not available |" for `app.add_background_task`
    app = MicroFlask(__name__)
    app.secret_key = "test"
    seen: dict[str, bool] = {}

    def task() -> None:
        seen["request context"] = microflask.has_request_context()
        seen["app context"] = microflask.has_app_context()
        for name, proxy in (("request", request), ("session", session)):
            try:
                proxy.get("x") if name == "session" else proxy.path
            except RuntimeError:
                seen[name] = False
            else:
                seen[name] = True

    @app.route("/")
    async def view() -> str:
        app.add_background_task(task)
        return "ok"

    with app.test_client() as client:
        client.get("/")
    assert seen == {"request context": False, "app context": True, "request": False, "session": False}


# -- docs/requests-responses.md, "Sync `def` views" -------------------------------------------------------


def test_a_sync_hook_of_an_async_view_gets_an_awaitable_body() -> None:
    # "in a sync hook on the loop, `request.get_json()` returns an awaitable you cannot await"
    app = MicroFlask(__name__)
    kinds: list[bool] = []

    @app.before_request
    def hook() -> None:
        pending = request.get_json()
        kinds.append(inspect.isawaitable(pending))
        pending.close()  # type: ignore[union-attr]

    @app.post("/")
    async def view() -> str:
        return "ok"

    assert app.test_client().post("/", json={"a": 1}).status_code == 200
    assert kinds == [True]


# -- docs/templates.md, "A limitation: register async functions with the app's methods" ----------------


def test_an_async_test_put_directly_into_jinja_env_after_the_first_render_is_not_seen() -> None:
    # "A function put **directly** into `app.jinja_env.filters`, `.tests` or `.globals` after the
    # first render is not seen ... used in a condition ... the un-awaited coroutine gives a wrong result"
    async def is_even(n: int) -> bool:
        return n % 2 == 0

    app = MicroFlask(__name__)
    with app.test_request_context("/"):
        render_template_string("a first render")
    app.jinja_env.tests["even"] = is_even
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the coroutine is never awaited: that is the bug
        with app.test_request_context("/"):
            answer = render_template_string("{% if 3 is even %}even{% else %}odd{% endif %}")
        gc.collect()
    assert answer == "even"  # wrong: 3 is odd


# -- docs/flask-extensions.md, "Known limits" --------------------------------------------------------------


def test_response_headers_iterate_over_names_not_pairs() -> None:
    # "Werkzeug's `Headers` iterate over `(name, value)` pairs; microflask's response headers are
    # a mapping and iterate over names"
    response = microflask.Response("x", headers={"X-A": "1"})
    assert "x-a" in [name.lower() for name in response.headers]
    assert all(isinstance(name, str) for name in response.headers)
