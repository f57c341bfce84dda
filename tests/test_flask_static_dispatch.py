"""Flask API that prometheus-flask-exporter and Frozen-Flask rely on, tested without them:
``str(rule)`` is the rule's text; the ``static`` endpoints' views read as the scaffold's bound
``send_static_file`` (and stay weak); a ``dispatch_request`` replaced by a subclass or on the
app is what the request path calls, in def and async def views."""

from __future__ import annotations

import asyncio
import gc
import inspect
import weakref
from pathlib import Path
from typing import Any

import pytest

from microflask import Blueprint, MicroFlask, abort, request, send_from_directory

# -- str(rule) ------------------------------------------------------------------------------


def test_str_of_a_rule_is_its_text_and_repr_describes_it() -> None:
    app = MicroFlask(__name__)

    @app.route("/u/<int:id>")
    def user(id: int) -> Any:
        return {"str": str(request.url_rule), "f": f"{request.url_rule}", "repr": repr(request.url_rule)}

    answer = app.test_client().get("/u/1").json
    assert answer["str"] == answer["f"] == "/u/<int:id>"
    assert answer["repr"] == "<Rule '/u/<int:id>' (GET, HEAD, OPTIONS) -> user>"
    assert sorted(str(rule) for rule in app.url_map.iter_rules()) == ["/static/<path:filename>", "/u/<int:id>"]


# -- the static views ---------------------------------------------------------------------


def folders(tmp_path: Path) -> tuple[Path, Path]:
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "app.css").write_text("app")
    (tmp_path / "bp_static").mkdir()
    (tmp_path / "bp_static" / "bp.js").write_text("bp")
    return tmp_path / "static", tmp_path / "bp_static"


def test_static_views_read_as_the_bound_send_static_file(tmp_path: Path) -> None:
    static, bp_static = folders(tmp_path)
    app = MicroFlask(__name__, static_folder=str(static))
    bp = Blueprint("bp", __name__, static_folder=str(bp_static), url_prefix="/bp")
    app.register_blueprint(bp)

    view, bp_view = app.view_functions["static"], app.view_functions["bp.static"]
    # As Flask's: the app's holds the app weakly (no __self__); a blueprint's reads as bound.
    assert not hasattr(view, "__self__")
    assert bp_view.__self__ is bp
    assert bp_view.__func__ is Blueprint.send_static_file
    assert inspect.getfile(view) == inspect.getfile(bp_view)  # source files can be read (Flasgger)
    # Whose folder an endpoint serves, found as Frozen-Flask finds it.
    assert {e: getattr(app.view_functions[e], "__self__", app).static_folder for e in ("static", "bp.static")} == {
        "static": str(static),
        "bp.static": str(bp_static),
    }
    client = app.test_client()
    assert client.get("/static/app.css").text == "app"
    assert client.get("/bp/bp_static/bp.js").text == "bp"


def test_a_subclass_send_static_file_is_the_views_function(tmp_path: Path) -> None:
    static, bp_static = folders(tmp_path)
    served: list[str] = []

    class App(MicroFlask):
        def send_static_file(self, filename: Any) -> Any:
            served.append(filename)
            return super().send_static_file(filename)

    class OwnBlueprint(Blueprint):
        def send_static_file(self, filename: Any) -> Any:
            served.append(f"bp:{filename}")
            return super().send_static_file(filename)

    app = App(__name__, static_folder=str(static))
    app.register_blueprint(OwnBlueprint("bp", __name__, static_folder=str(bp_static), url_prefix="/bp"))
    assert app.view_functions["bp.static"].__func__ is OwnBlueprint.send_static_file
    client = app.test_client()
    assert client.get("/static/app.css").text == "app"
    assert client.get("/bp/bp_static/bp.js").text == "bp"
    assert served == ["app.css", "bp:bp.js"]


def test_the_static_views_keep_the_app_free_of_cycles(tmp_path: Path) -> None:
    _, bp_static = folders(tmp_path)
    app = MicroFlask(__name__)
    app.register_blueprint(Blueprint("bp", __name__, static_folder=str(bp_static)))
    view = app.view_functions["bp.static"]
    gc.disable()
    try:
        ref = weakref.ref(app)
        del app
        assert ref() is None  # no cycle through the view
    finally:
        gc.enable()
    assert view.__func__ is Blueprint.send_static_file


# -- a replaced dispatch_request --------------------------------------------------------------


def views(app: MicroFlask, kind: str) -> None:
    if kind == "def":

        @app.get("/hello/<name>")
        def hello(name: str) -> str:
            return f"hello {name}"

    else:

        @app.get("/hello/<name>")
        async def hello(name: str) -> str:
            await asyncio.sleep(0)  # really waits on the loop
            return f"hello {name}"


KINDS = ["def", "async"]


@pytest.mark.parametrize("kind", KINDS)
def test_a_subclass_dispatch_request_wraps_the_view(kind: str) -> None:
    seen: list[Any] = []

    class App(MicroFlask):
        def dispatch_request(self) -> Any:
            seen.append(request.endpoint)
            rv = super().dispatch_request()  # calls the view, on this worker thread
            return f"<{rv}>" if isinstance(rv, str) else rv  # the automatic OPTIONS answer is a response

    app = App(__name__)
    views(app, kind)

    @app.after_request
    def mark(response: Any) -> Any:
        response.headers["X-After"] = "yes"
        return response

    client = app.test_client()
    response = client.get("/hello/ann")
    assert (response.text, response.headers["X-After"]) == ("<hello ann>", "yes")
    assert client.get("/nowhere").status_code == 404  # ours raised the routing error
    assert client.options("/hello/ann").headers["Allow"] == "GET, HEAD, OPTIONS"
    assert seen == ["hello", None, "hello"]


@pytest.mark.parametrize("kind", KINDS)
def test_a_dispatch_request_set_on_the_app_serves_every_url(kind: str, tmp_path: Path) -> None:
    (tmp_path / "page.html").write_text("<p>page</p>")
    app = MicroFlask(__name__, static_folder=None)
    views(app, kind)

    def dispatch_request() -> Any:  # as Frozen-Flask's static app: the URL map is not used
        if request.path == "/page.html":
            return send_from_directory(tmp_path, "page.html")
        if request.url_rule is None:
            abort(410)
        return app.ensure_sync(app.view_functions[request.url_rule.endpoint])(**request.view_args)

    app.dispatch_request = dispatch_request  # type: ignore[method-assign]
    client = app.test_client()
    assert client.get("/page.html").text == "<p>page</p>"
    assert client.get("/hello/bob").text == "hello bob"
    assert client.get("/nowhere").status_code == 410


def test_an_async_dispatch_request_is_awaited() -> None:
    class App(MicroFlask):
        async def dispatch_request(self) -> Any:  # type: ignore[override]
            return "[" + await super().dispatch_request() + "]"

    app = App(__name__)
    views(app, "async")
    assert app.test_client().get("/hello/cy").text == "[hello cy]"


def test_dispatch_request_driven_by_hand_is_unchanged() -> None:
    app = MicroFlask(__name__)
    views(app, "def")
    with app.test_request_context("/hello/dee"):
        assert app.dispatch_request() == "hello dee"
