"""Flask behaviours found by running Flask's own test suite against microflask (issue 14).

Each test states one Flask behaviour in our own words; the Flask suite is the yardstick, these
are the regression tests.
"""

from __future__ import annotations

import gc
import logging
import subprocess
import sys
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import blinker
import pytest
import werkzeug.exceptions as wz
import werkzeug.routing
from werkzeug.wrappers import Response as WerkzeugResponse

import microflask
from microflask import Blueprint, MicroFlask, abort, request, signals
from microflask import exceptions as ours
from microflask.logging import has_level_handler
from microflask.werkzeug_interop import adopt_werkzeug_hierarchy


def test_flask_is_the_application_class() -> None:
    assert microflask.Flask is MicroFlask
    app = microflask.Flask(__name__)
    assert isinstance(app, MicroFlask)
    assert "Flask" in microflask.__all__


def test_same_bound_method_registered_twice_is_not_an_overwrite() -> None:
    class Views:
        def index(self) -> str:
            return "index"

    views = Views()
    app = MicroFlask(__name__)
    # Each attribute access makes a new bound-method object; Flask compares them with ==.
    app.add_url_rule("/", "index", views.index)
    app.add_url_rule("/home", "index", views.index)
    assert app.view_functions["index"] == views.index
    with pytest.raises(AssertionError, match="overwriting an existing endpoint"):
        app.add_url_rule("/other", "index", lambda: "other")


def test_nested_blueprint_with_url_prefix_none_keeps_its_own_prefix() -> None:
    parent = Blueprint("parent", __name__, url_prefix="/parent")
    child = Blueprint("child", __name__, url_prefix="/child")

    @child.route("/")
    def index() -> str:
        return "child"

    parent.register_blueprint(child, url_prefix=None)
    app = MicroFlask(__name__)
    app.register_blueprint(parent)
    client = app.test_client()
    assert client.get("/parent/child/").text == "child"
    assert client.get("/parent/").status_code == 404


def test_has_level_handler_sees_handlers_up_the_chain() -> None:
    logger = logging.getLogger("microflask-fidelity-test.child")
    parent = logging.getLogger("microflask-fidelity-test")
    parent.propagate = False  # stop at the parent: pytest puts handlers on the root logger
    try:
        assert not has_level_handler(logger)
        handler = logging.StreamHandler()
        parent.addHandler(handler)
        assert has_level_handler(logger)
        handler.setLevel(logging.CRITICAL + 1)  # a handler that would drop the records does not count
        assert not has_level_handler(logger)
        parent.removeHandler(handler)
    finally:
        parent.propagate = True


def test_bare_template_decorators() -> None:
    app = MicroFlask(__name__)

    @app.template_filter
    def shout(s: str) -> str:
        return s.upper()

    @app.template_test
    def even(n: int) -> bool:
        return n % 2 == 0

    @app.template_global
    def answer() -> int:
        return 42

    assert shout("a") == "A"  # the decorator returns the function itself
    assert app.template_filters["shout"] is shout
    assert app.template_tests["even"] is even
    assert app.template_globals["answer"] is answer

    @app.route("/")
    async def index() -> str:
        return await microflask.render_template_string("{{ 'x'|shout }} {{ 4 is even }} {{ answer() }}")

    assert app.test_client().get("/").text == "X True 42"


# -- signals ---------------------------------------------------------------------------------------


def test_request_signals_are_sent_in_flask_order() -> None:
    app = MicroFlask(__name__)
    calls: list[str] = []

    @app.before_request
    def before() -> None:
        calls.append("before_request")

    @app.after_request
    def after(response: Any) -> Any:
        calls.append("after_request")
        return response

    @app.teardown_request
    def teardown_request(exc: BaseException | None) -> None:
        calls.append("teardown_request")

    @app.teardown_appcontext
    def teardown_app(exc: BaseException | None) -> None:
        calls.append("teardown_appcontext")

    @app.route("/")
    async def index() -> str:
        calls.append("view")
        return "ok"

    def record(name: str) -> Any:
        def receiver(sender: Any, **extra: Any) -> None:
            assert sender is app
            if name == "request_finished":
                assert extra["response"].status_code == 200
            calls.append(name)

        return receiver

    receivers = {name: record(name) for name in _REQUEST_SIGNALS}
    with _connected(receivers, app):
        assert app.test_client().get("/").text == "ok"
    assert calls == [
        "appcontext_pushed",
        "request_started",
        "before_request",
        "view",
        "after_request",
        "request_finished",
        "teardown_request",
        "request_tearing_down",
        "teardown_appcontext",
        "appcontext_tearing_down",
        "appcontext_popped",
    ]


_REQUEST_SIGNALS = (
    "appcontext_pushed",
    "request_started",
    "request_finished",
    "request_tearing_down",
    "appcontext_tearing_down",
    "appcontext_popped",
)


@contextmanager
def _connected(receivers: dict[str, Any], sender: Any) -> Iterator[None]:
    for name, receiver in receivers.items():
        getattr(microflask, name).connect(receiver, sender)
    try:
        yield
    finally:
        for name, receiver in receivers.items():
            getattr(microflask, name).disconnect(receiver, sender)


def test_got_request_exception_and_async_receivers() -> None:
    app = MicroFlask(__name__)
    seen: list[Any] = []

    @app.route("/sync")
    def sync_boom() -> str:
        raise ZeroDivisionError

    @app.route("/async")
    async def async_boom() -> str:
        raise KeyError("k")

    async def record(sender: Any, exception: BaseException) -> None:  # async receivers are awaited
        seen.append(type(exception))

    with _connected({"got_request_exception": record}, app):
        client = app.test_client()
        assert client.get("/sync").status_code == 500
        assert client.get("/async").status_code == 500
    assert seen == [ZeroDivisionError, KeyError]


def test_receivers_for_another_sender_are_not_called() -> None:
    app, other = MicroFlask(__name__), MicroFlask("other")
    calls: list[Any] = []

    @app.route("/")
    async def index() -> str:
        return "ok"

    with _connected({"request_started": lambda sender, **kw: calls.append(sender)}, other):
        app.test_client().get("/")
    assert calls == []


def test_app_context_signals_outside_requests() -> None:
    app = MicroFlask(__name__)
    calls: list[str] = []
    receivers = {
        "appcontext_pushed": lambda sender, **kw: calls.append("pushed"),
        "appcontext_tearing_down": lambda sender, **kw: calls.append(f"tearing_down {kw['exc']!r}"),
        "appcontext_popped": lambda sender, **kw: calls.append("popped"),
    }
    with _connected(receivers, app):
        with app.app_context():
            calls.append("inside")
    assert calls == ["pushed", "inside", "tearing_down None", "popped"]


@pytest.mark.anyio
async def test_app_context_signals_with_async_with() -> None:
    app = MicroFlask(__name__)
    calls: list[str] = []

    async def pushed(sender: Any, **kw: Any) -> None:
        calls.append("pushed")

    with _connected({"appcontext_pushed": pushed}, app):
        async with app.app_context():
            calls.append("inside")
    assert calls == ["pushed", "inside"]


def test_signals_are_blinker_signals_with_flask_names() -> None:
    for name in (*_REQUEST_SIGNALS, "got_request_exception", "template_rendered", "before_render_template"):
        assert isinstance(getattr(signals, name), blinker.Signal)
    assert signals.message_flashed.name == "message-flashed"
    assert signals.Namespace is blinker.Namespace


# -- Werkzeug's HTTP exceptions ---------------------------------------------------------------------


def test_werkzeug_exceptions_raised_in_views_and_hooks_are_http_errors() -> None:
    app = MicroFlask(__name__)

    @app.before_request
    def guard() -> None:
        if request.path == "/guarded":
            wz.abort(401)

    @app.route("/missing")
    def missing() -> str:
        raise wz.NotFound("no such thing")

    @app.route("/guarded")
    async def guarded() -> str:
        return "never"

    @app.route("/teapot")
    async def teapot() -> str:
        raise wz.ImATeapot()

    client = app.test_client()
    r = client.get("/missing")
    assert (r.status_code, "no such thing" in r.text) == (404, True)
    assert client.get("/guarded").status_code == 401
    assert client.get("/teapot").status_code == 418


def test_handlers_keyed_on_werkzeug_classes_fire_for_ours_and_theirs() -> None:
    app = MicroFlask(__name__)

    @app.errorhandler(wz.NotFound)
    def not_found(e: Exception) -> tuple[str, int]:
        return f"handled {type(e).__module__.split('.')[0]}", 404

    @app.errorhandler(ours.Forbidden)
    def forbidden(e: Exception) -> tuple[str, int]:
        return "forbidden", 403

    @app.route("/theirs")
    def theirs() -> str:
        raise wz.NotFound()

    @app.route("/werkzeug-forbidden")
    def werkzeug_forbidden() -> str:
        raise wz.Forbidden()

    client = app.test_client()
    assert client.get("/no-such-route").text == "handled microflask"  # routing's 404 is ours
    assert client.get("/theirs").text == "handled werkzeug"  # the handler gets what was raised
    assert client.get("/werkzeug-forbidden").text == "forbidden"


def test_a_werkzeug_subclass_keeps_its_own_handler() -> None:
    class Custom(wz.Forbidden):
        description = "custom"

    app = MicroFlask(__name__)

    @app.errorhandler(Custom)
    def custom(e: Custom) -> str:
        return "custom handler"

    @app.errorhandler(403)
    def any_403(e: Exception) -> str:
        return "403 handler"

    @app.route("/custom")
    def raise_custom() -> str:
        raise Custom()

    @app.route("/plain")
    def raise_plain() -> str:
        abort(403)

    client = app.test_client()
    assert client.get("/custom").text == "custom handler"
    assert client.get("/plain").text == "403 handler"


def test_our_errors_are_werkzeug_errors_once_werkzeug_is_imported() -> None:
    app = MicroFlask(__name__)

    @app.errorhandler(Exception)
    def everything(e: Exception) -> Any:
        if isinstance(e, wz.HTTPException):  # the pattern of Flask's docs: pass HTTP errors through
            return e
        return "server error", 500

    @app.route("/boom")
    async def boom() -> str:
        raise RuntimeError

    client = app.test_client()
    assert client.get("/nowhere").status_code == 404
    assert client.get("/boom").text == "server error"
    assert isinstance(ours.NotFound(), wz.NotFound)
    assert issubclass(ours.BadRequestKeyError, wz.BadRequest) and issubclass(ours.BadRequestKeyError, KeyError)
    assert ours.NotFound().get_body() == ours.NotFound().get_body()  # our own methods still answer
    adopt_werkzeug_hierarchy()  # werkzeug.routing is imported here: routing errors join too
    redirect = ours.RequestRedirect("/there")  # Werkzeug's __init__ (other arguments) is not called
    assert isinstance(redirect, werkzeug.routing.RequestRedirect) and redirect.new_url == "/there"
    error = ours.BuildError("x", {})
    assert isinstance(error, werkzeug.routing.BuildError) and "x" in str(error)


def test_werkzeug_abort_with_a_response() -> None:
    app = MicroFlask(__name__)

    @app.route("/")
    def index() -> str:
        wz.abort(WerkzeugResponse("gone fishing", status=503, headers={"Retry-After": "60"}))

    r = app.test_client().get("/")
    assert (r.status_code, r.text, r.headers["retry-after"]) == (503, "gone fishing", "60")


def test_importing_microflask_does_not_import_werkzeug() -> None:
    code = (
        "import sys, microflask\n"
        "app = microflask.MicroFlask('x')\n"
        "app.route('/')(lambda: 'ok')\n"
        "with app.test_request_context('/'):\n"
        "    pass\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('werkzeug'))\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# -- when exceptions propagate (Flask's rules) ------------------------------------------------------


def _boom(**config: Any) -> MicroFlask:
    app = MicroFlask(__name__)
    app.config.update(config)

    @app.route("/boom")
    async def boom() -> str:
        raise ZeroDivisionError

    @app.route("/key")
    def key() -> str:
        return request.args["missing_key"]

    @app.route("/abort")
    def do_abort() -> str:
        abort(404)

    return app


@pytest.mark.parametrize(
    ("config", "propagates"),
    [
        ({}, False),
        ({"TESTING": True}, True),
        ({"DEBUG": True}, True),
        ({"PROPAGATE_EXCEPTIONS": True}, True),
        ({"TESTING": True, "PROPAGATE_EXCEPTIONS": False}, False),
    ],
)
def test_unhandled_errors_propagate_as_in_flask(config: dict[str, Any], propagates: bool) -> None:
    client = _boom(**config).test_client()
    if propagates:
        with pytest.raises(ZeroDivisionError):
            client.get("/boom")
    else:
        assert client.get("/boom").status_code == 500


def test_debug_sends_the_debug_page_then_propagates() -> None:
    client = _boom(DEBUG=True).test_client(raise_server_exceptions=False)
    r = client.get("/boom")
    assert r.status_code == 500 and "ZeroDivisionError" in r.text


def test_trap_http_exceptions() -> None:
    client = _boom(TESTING=True, TRAP_HTTP_EXCEPTIONS=True).test_client()
    with pytest.raises(ours.NotFound):
        client.get("/abort")


@pytest.mark.parametrize(
    ("config", "trapped", "key_shown"),
    [
        ({"TESTING": True}, False, False),
        ({"TESTING": True, "DEBUG": True}, True, True),
        ({"TESTING": True, "TRAP_BAD_REQUEST_ERRORS": True}, True, True),
        ({"TESTING": True, "DEBUG": True, "TRAP_BAD_REQUEST_ERRORS": False}, False, True),
    ],
)
def test_missing_keys_trapped_and_named_as_in_flask(config: dict[str, Any], trapped: bool, key_shown: bool) -> None:
    client = _boom(**config).test_client()
    if trapped:
        with pytest.raises(KeyError) as info:
            client.get("/key")
        assert isinstance(info.value, ours.BadRequest) and "missing_key" in info.value.get_description()
    else:
        r = client.get("/key")
        assert r.status_code == 400
        assert ("missing_key" in r.text) is key_shown


# -- the app object ---------------------------------------------------------------------------------


def test_an_unused_app_is_freed_without_the_garbage_collector(tmp_path: Any) -> None:
    gc.disable()
    try:
        app = MicroFlask(__name__, static_folder=str(tmp_path))
        assert app.view_functions["static"]
        app.json.dumps({})  # the JSON provider exists
        ref = weakref.ref(app)
        del app
        assert ref() is None
    finally:
        gc.enable()


def test_send_static_file_from_sync_code_and_the_static_route(tmp_path: Any) -> None:
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "hello.txt").write_text("hi")
    app = MicroFlask(__name__, static_folder=str(tmp_path / "static"))
    with app.test_request_context():
        response = app.send_static_file("hello.txt")  # sync code: the response itself
        assert response.status_code == 200
    assert app.test_client().get("/static/hello.txt").text == "hi"


def test_setup_after_serving_is_an_assertion_error_as_in_flask() -> None:
    app = MicroFlask(__name__)
    app.route("/")(lambda: "ok")
    app.test_client().get("/")
    with pytest.raises(AssertionError, match="setup method 'add_url_rule'"):
        app.add_url_rule("/late", "late", lambda: "late")


def test_an_invalid_return_value_says_what_it_was() -> None:
    app = MicroFlask(__name__)
    app.testing = True

    @app.route("/")
    def index() -> Any:
        return True

    with pytest.raises(TypeError, match="but it was a bool"):
        app.test_client().get("/")


# -- requests -----------------------------------------------------------------------------------------


def test_request_urls_are_strings() -> None:
    app = MicroFlask(__name__)

    @app.route("/a/b")
    def view() -> dict[str, Any]:
        urls = {k: getattr(request, k) for k in ("url", "base_url", "url_root", "root_url", "host_url")}
        assert all(type(v) is str for v in urls.values())
        assert request.url.endswith("?x=1")
        assert request.url_object.path == "/a/b"
        return urls

    assert app.test_client().get("/a/b?x=1").json == {
        "url": "http://localhost/a/b?x=1",
        "base_url": "http://localhost/a/b",
        "url_root": "http://localhost/",
        "root_url": "http://localhost/",
        "host_url": "http://localhost/",
    }


def test_request_limits_default_outside_an_app_context() -> None:
    app = MicroFlask(__name__)
    app.config.update(MAX_CONTENT_LENGTH=100, MAX_FORM_MEMORY_SIZE=50, MAX_FORM_PARTS=3)
    r = microflask.Request({"type": "http", "headers": []})
    assert (r.max_content_length, r.max_form_memory_size, r.max_form_parts) == (None, 500_000, 1_000)
    with app.app_context():
        assert (r.max_content_length, r.max_form_memory_size, r.max_form_parts) == (100, 50, 3)
    r.max_form_parts = 4
    with app.app_context():
        assert r.max_form_parts == 4


def test_match_request_in_a_session_interface() -> None:
    seen: list[str | None] = []

    class EndpointAware(microflask.sessions.SecureCookieSessionInterface):
        opens_lazily = False

        def open_session(self, app: Any, req: Any) -> Any:
            microflask.globals.request_ctx.match_request()
            seen.append(req.endpoint)
            return super().open_session(app, req)

    app = MicroFlask(__name__)
    app.session_interface = EndpointAware()
    app.route("/")(lambda: "ok")
    assert app.test_client().get("/").text == "ok"
    assert seen == ["<lambda>"]


# -- config, instance path, class views ---------------------------------------------------------------


def test_from_prefixed_env_reads_flask_then_microflask_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLASK_ONLY_FLASK", "1")
    monkeypatch.setenv("FLASK_BOTH", '"flask"')
    monkeypatch.setenv("MICROFLASK_BOTH", '"microflask"')
    monkeypatch.setenv("FLASK_NESTED__key", "true")
    config = microflask.Config()
    config["NESTED"] = {"kept": 1}
    config.from_prefixed_env()
    assert (config["ONLY_FLASK"], config["BOTH"], config["NESTED"]) == (1, "microflask", {"kept": 1, "key": True})


def test_a_relative_instance_path_is_refused(tmp_path: Any) -> None:
    with pytest.raises(ValueError, match="must be absolute"):
        MicroFlask(__name__, instance_path="instance")
    assert MicroFlask(__name__, instance_path=str(tmp_path)).instance_path == str(tmp_path)


def test_view_class_replaced_on_the_view_function_is_used() -> None:
    class Broken(microflask.views.MethodView):
        def get(self) -> str:
            raise ZeroDivisionError

    class Fixed(Broken):
        def get(self) -> str:
            return "fixed"

    view = Broken.as_view("index")
    view.view_class = Fixed  # type: ignore[attr-defined]
    app = MicroFlask(__name__)
    app.add_url_rule("/", view_func=view)
    assert app.test_client().get("/").text == "fixed"


def test_a_permanent_session_is_refreshed_by_requests_that_do_not_use_it() -> None:
    app = MicroFlask(__name__)
    app.secret_key = "k"

    @app.route("/login")
    def login() -> str:
        microflask.session["user"] = 1
        microflask.session.permanent = True
        return ""

    @app.route("/other")
    def other() -> str:
        return ""

    client = app.test_client()
    assert client.get("/other").headers.get("set-cookie") is None  # no cookie yet: nothing opened
    r = client.get("/login")
    assert r.headers["vary"] == "Cookie" and "Expires=" in r.headers["set-cookie"]
    r = client.get("/other")
    assert r.headers["vary"] == "Cookie" and "Expires=" in r.headers["set-cookie"]


def test_a_session_that_is_not_permanent_is_not_resent() -> None:
    app = MicroFlask(__name__)
    app.secret_key = "k"
    app.add_url_rule("/set", "set", lambda: microflask.session.update(user=1) or "")
    app.add_url_rule("/other", "other", lambda: "")
    client = app.test_client()
    client.get("/set")
    r = client.get("/other")
    assert "set-cookie" not in r.headers and "vary" not in r.headers


def test_max_cookie_size_warns_on_set_cookie() -> None:
    app = MicroFlask(__name__)
    app.config["MAX_COOKIE_SIZE"] = 100
    assert microflask.Response().max_cookie_size == 4093  # outside an app: Werkzeug's default
    with app.app_context():
        assert microflask.Response().max_cookie_size == 100

    @app.route("/")
    def index() -> Any:
        r = microflask.Response("", status=204)
        r.set_cookie("small", "ok")
        r.set_cookie("big", "x" * 300)
        return r

    with pytest.warns(UserWarning, match="'big' cookie is too large") as record:
        response = app.test_client().get("/")
    assert len(record) == 1
    assert len(response.headers.get_list("set-cookie")) == 2  # still set: browsers decide


def test_template_and_flash_signals() -> None:
    app = MicroFlask(__name__)
    app.secret_key = "k"
    seen: list[tuple[str, Any]] = []

    def before(sender: Any, template: Any, context: dict[str, Any]) -> None:
        context["n"] = context["n"] + 1  # receivers may change the context before rendering
        seen.append(("before", context["n"]))

    def rendered(sender: Any, template: Any, context: dict[str, Any]) -> None:
        seen.append(("rendered", template.name is None))  # a string template has no name

    def flashed(sender: Any, message: str, category: str) -> None:
        seen.append(("flashed", (message, category)))

    @app.route("/async")
    async def async_view() -> str:
        return await microflask.render_template_string("{{ n }}", n=1)

    @app.route("/sync")
    def sync_view() -> str:
        microflask.flash("hi", "info")
        return microflask.render_template_string("{{ n }}", n=10)  # type: ignore[no-any-return]

    receivers = {"before_render_template": before, "template_rendered": rendered, "message_flashed": flashed}
    with _connected(receivers, app):
        client = app.test_client()
        assert client.get("/async").text == "2"
        assert client.get("/sync").text == "11"
    assert seen == [
        ("before", 2),
        ("rendered", True),
        ("flashed", ("hi", "info")),
        ("before", 11),
        ("rendered", True),
    ]


# -- responses with an iterable body ------------------------------------------------------------------


def test_response_of_a_generator_streams_and_reads() -> None:
    def chunks() -> Iterator[str]:
        yield "Hel"
        yield "lo"

    response = microflask.Response(chunks(), mimetype="text/plain")
    assert isinstance(response, microflask.Response) and response.is_streamed
    assert response.data == b"Hello" and not response.is_streamed
    assert response.headers["content-length"] == "5"
    assert microflask.Response(["a", b"b"]).get_data(as_text=True) == "ab"  # any iterable of chunks

    app = MicroFlask(__name__)
    closed: list[bool] = []

    def tracked() -> Iterator[str]:
        try:
            yield "one,"
            yield "two"
        finally:
            closed.append(True)

    @app.route("/")
    def index() -> Any:
        return microflask.Response(microflask.stream_with_context(tracked()), headers={"X-Kind": "stream"})

    r = app.test_client().get("/")
    assert (r.text, r.headers["x-kind"], "content-length" in r.headers) == ("one,two", "stream", False)
    assert closed == [True]


def test_make_response_of_a_generator_and_an_async_body() -> None:
    app = MicroFlask(__name__)

    async def agen() -> Any:
        yield "async"

    with app.test_request_context():
        assert microflask.make_response(c for c in "Hi").data == b"Hi"
        streamed = microflask.make_response(agen())
        with pytest.raises(RuntimeError, match="only by sending it"):
            _ = streamed.data


def test_deleting_a_cookie_sends_an_empty_value() -> None:
    response = microflask.Response()
    response.delete_cookie("session")
    assert response.headers["set-cookie"].startswith("session=; ")


def test_static_folder_empty_serves_the_root_path(tmp_path: Any) -> None:
    (tmp_path / "hello.txt").write_text("hi")
    app = MicroFlask(__name__, root_path=str(tmp_path), static_folder="")
    assert app.static_url_path == ""
    assert app.test_client().get("/hello.txt").text == "hi"


def test_static_folder_with_a_trailing_slash_is_served_under_its_name(tmp_path: Any) -> None:
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "hello.txt").write_text("hi")
    app = MicroFlask(__name__, root_path=str(tmp_path), static_folder="static/")
    assert (app.static_folder, app.static_url_path) == (str(tmp_path / "static"), "/static")
    assert app.test_client().get("/static/hello.txt").text == "hi"


def test_debug_explains_files_sent_without_multipart() -> None:
    app = MicroFlask(__name__)

    @app.post("/upload")
    def upload() -> str:
        return str(request.files["doc"].filename)

    app.debug = True
    with pytest.raises(KeyError, match=r"no file contents were transmitted.*This was submitted: 'notes.txt'"):
        app.test_client().post("/upload", data={"doc": "notes.txt"})
    app2 = MicroFlask(__name__)
    app2.post("/upload")(upload)
    assert app2.test_client().post("/upload", data={"doc": "notes.txt"}).status_code == 400  # not in debug: a 400


# -- teardown errors (Flask 3.2: every function and receiver runs, errors raised together) -------------


def _failing_teardowns(app: MicroFlask, ran: list[str]) -> None:
    @app.teardown_request
    def request_teardown(exc: BaseException | None) -> None:
        ran.append("request")
        raise ValueError("request teardown")

    @app.teardown_appcontext
    def app_teardown(exc: BaseException | None) -> None:
        ran.append("app")
        raise ValueError("app teardown")


def test_teardown_errors_are_grouped_when_errors_propagate() -> None:
    app = MicroFlask(__name__)
    app.testing = True
    ran: list[str] = []
    _failing_teardowns(app, ran)
    app.route("/")(lambda: "ok")

    def receiver(sender: Any, exc: BaseException | None) -> None:
        ran.append("signal")
        raise ValueError("signal")

    with _connected({"request_tearing_down": receiver}, app):
        with pytest.raises(ExceptionGroup, match="context teardown") as info:
            app.test_client().get("/")
    request_group, app_group = info.value.exceptions
    assert isinstance(request_group, ExceptionGroup) and isinstance(app_group, ExceptionGroup)
    assert [str(e) for e in request_group.exceptions] == ["request teardown", "signal"]
    assert [str(e) for e in app_group.exceptions] == ["app teardown"]
    assert ran == ["request", "signal", "app"]


def test_teardown_errors_in_production_are_logged_and_the_response_sent(caplog: pytest.LogCaptureFixture) -> None:
    app = MicroFlask(__name__)
    ran: list[str] = []
    _failing_teardowns(app, ran)
    app.route("/")(lambda: "ok")
    with caplog.at_level(logging.ERROR):
        assert app.test_client().get("/").text == "ok"
    assert ran == ["request", "app"]
    assert [r.getMessage() for r in caplog.records if r.name == app.logger.name] == [
        f"Error in teardown function {_failing_teardowns.__qualname__}.<locals>.request_teardown",
        f"Error in teardown function {_failing_teardowns.__qualname__}.<locals>.app_teardown",
    ]


def test_leaving_a_context_runs_every_teardown_then_raises_them_together() -> None:
    app = MicroFlask(__name__)
    ran: list[str] = []
    _failing_teardowns(app, ran)
    with pytest.raises(ExceptionGroup, match="context teardown") as info:
        with app.test_request_context():
            pass
    assert ran == ["request", "app"] and len(info.value.exceptions) == 2
    assert not microflask.has_app_context()


def test_request_context_copy_shares_the_request_and_session_not_g() -> None:
    app = MicroFlask(__name__)
    app.secret_key = "k"
    with app.test_request_context("/where?x=1") as ctx:
        microflask.session["user"] = "ada"
        microflask.g.value = 1
        copied = ctx.copy()
    with copied:
        assert request.path == "/where" and request.args["x"] == "1"
        assert microflask.session["user"] == "ada"
        assert "value" not in microflask.g


def test_a_sync_error_handler_rendering_a_template_answers_for_every_kind_of_error() -> None:
    app = MicroFlask(__name__)

    @app.errorhandler(404)
    def not_found(e: Exception) -> Any:
        return microflask.render_template_string("missing: {{ request.path }}"), 404

    @app.errorhandler(ValueError)
    def bad_value(e: Exception) -> Any:
        return microflask.render_template_string("bad: {{ e }}", e=e), 400

    @app.route("/async")
    async def async_view() -> str:
        raise ValueError("async")

    @app.route("/sync")
    def sync_view() -> str:
        raise ValueError("sync")

    @app.route("/abort")
    async def aborting() -> str:
        microflask.abort(404)

    client = app.test_client()
    assert (client.get("/nowhere").status_code, client.get("/nowhere").text) == (404, "missing: /nowhere")
    assert client.get("/abort").text == "missing: /abort"
    assert (client.get("/async").status_code, client.get("/async").text) == (400, "bad: async")
    assert client.get("/sync").text == "bad: sync"


def test_no_signal_is_sent_while_nobody_listens() -> None:
    code = """
import blinker
from microflask import MicroFlask, signals

def refuse(*args, **kwargs):
    raise AssertionError("a signal was sent with nobody listening")

blinker.Signal.send = blinker.Signal.send_async = refuse
app = MicroFlask("quiet")
app.secret_key = "k"
app.teardown_request(lambda exc: None)

@app.route("/")
async def index():
    from microflask import flash, render_template_string
    flash("hi")
    return await render_template_string("ok")

with app.app_context():
    pass
assert app.test_client().get("/").text == "ok"
assert signals.state.connected is False
"""
    subprocess.run([sys.executable, "-c", code], check=True)
