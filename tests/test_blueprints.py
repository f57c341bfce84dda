"""Blueprints: routes, scoped and app-wide hooks, error handlers, templates, static files,
nesting, multiple registrations and relative URL building."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from microflask import (
    Blueprint,
    MicroFlask,
    Response,
    abort,
    g,
    render_template,
    render_template_string,
    request,
    url_for,
)

# -- routes ---------------------------------------------------------------------------------------


def test_blueprint_routes_all_methods_and_shortcuts() -> None:
    app = MicroFlask(__name__)
    bp = Blueprint("api", __name__, url_prefix="/api")

    @bp.route("/items", methods=["GET", "POST"])
    async def items() -> str:
        return f"items {request.method}"

    @bp.get("/g")
    async def get_it() -> str:
        return "get"

    @bp.post("/p")
    async def post_it() -> str:
        return "post"

    @bp.put("/u")
    async def put_it() -> str:
        return "put"

    @bp.patch("/pa")
    async def patch_it() -> str:
        return "patch"

    @bp.delete("/d")
    async def delete_it() -> str:
        return "delete"

    async def plain() -> str:
        return "plain"

    bp.add_url_rule("/plain", view_func=plain)
    bp.add_url_rule("/named", "custom", plain)

    @bp.route("/item/<int:id>")
    def sync_item(id: int) -> dict[str, Any]:
        return {"id": id, "endpoint": request.endpoint}

    app.register_blueprint(bp)

    with app.test_client() as client:
        assert client.get("/api/items").text == "items GET"
        assert client.post("/api/items").text == "items POST"
        assert client.get("/api/g").text == "get"
        assert client.post("/api/p").text == "post"
        assert client.put("/api/u").text == "put"
        assert client.patch("/api/pa").text == "patch"
        assert client.delete("/api/d").text == "delete"
        assert client.get("/api/plain").text == "plain"
        assert client.get("/api/named").text == "plain"
        assert client.get("/api/item/7").json == {"id": 7, "endpoint": "api.sync_item"}
        wrong = client.get("/api/p")
        assert wrong.status_code == 405
        assert "POST" in wrong.headers["allow"]
        assert client.get("/items").status_code == 404

    endpoints = {rule.endpoint for rule in app.url_map}
    assert {"api.items", "api.get_it", "api.post_it", "api.plain", "api.custom", "api.sync_item"} <= endpoints


def test_shortcut_rejects_methods_argument() -> None:
    bp = Blueprint("bp", __name__)
    with pytest.raises(TypeError):
        bp.get("/", methods=["POST"])


def test_blueprint_route_slash_and_empty_rule_with_prefix() -> None:
    app = MicroFlask(__name__)
    bp = Blueprint("bp", __name__, url_prefix="/bp")

    @bp.route("/")
    async def index() -> str:
        return "index"

    @bp.route("", endpoint="bare")
    async def bare() -> str:
        return "bare"

    app.register_blueprint(bp)
    with app.test_client() as client:
        assert client.get("/bp/").text == "index"
        assert client.get("/bp").text == "bare"
    with app.test_request_context("/"):
        assert url_for("bp.index") == "/bp/"
        assert url_for("bp.bare") == "/bp"


def test_register_url_prefix_overrides_the_blueprint_prefix() -> None:
    app = MicroFlask(__name__)
    bp = Blueprint("bp", __name__, url_prefix="/original")

    @bp.route("/x")
    async def x() -> str:
        return "x"

    app.register_blueprint(bp, url_prefix="/override")
    with app.test_client() as client:
        assert client.get("/override/x").text == "x"
        assert client.get("/original/x").status_code == 404


# -- scoped hooks --------------------------------------------------------------------------------


def _app_with_two_blueprints(events: list[str]) -> tuple[MicroFlask, Blueprint, Blueprint]:
    app = MicroFlask(__name__)
    one = Blueprint("one", __name__, url_prefix="/one")
    two = Blueprint("two", __name__, url_prefix="/two")

    @app.route("/")
    async def index() -> str:
        events.append("view:app")
        return "app"

    @one.route("/")
    async def one_index() -> str:
        events.append("view:one")
        return "one"

    @two.route("/")
    def two_index() -> str:
        events.append("view:two")
        return "two"

    return app, one, two


def test_blueprint_request_hooks_are_scoped_to_the_blueprint() -> None:
    events: list[str] = []
    app, one, two = _app_with_two_blueprints(events)

    @one.before_request
    async def before_one() -> None:
        events.append("before:one")

    @one.after_request
    def after_one(response: Response) -> Response:
        events.append("after:one")
        response.headers["X-One"] = "1"
        return response

    @one.teardown_request
    async def teardown_one(exc: BaseException | None) -> None:
        events.append(f"teardown:one:{exc}")

    @two.before_request
    def before_two() -> None:
        events.append("before:two")

    app.register_blueprint(one)
    app.register_blueprint(two)

    with app.test_client() as client:
        r = client.get("/")
        assert r.text == "app"
        assert "x-one" not in r.headers
        assert events == ["view:app"]
        events.clear()

        r = client.get("/one/")
        assert r.text == "one"
        assert r.headers["x-one"] == "1"
        assert events == ["before:one", "view:one", "after:one", "teardown:one:None"]
        events.clear()

        r = client.get("/two/")
        assert r.text == "two"
        assert "x-one" not in r.headers
        assert events == ["before:two", "view:two"]


def test_blueprint_before_request_short_circuits_only_its_views() -> None:
    app = MicroFlask(__name__)
    bp = Blueprint("admin", __name__, url_prefix="/admin")

    @bp.before_request
    async def guard() -> Any:
        return "denied", 403

    @bp.route("/")
    async def admin() -> str:
        return "secret"

    @app.route("/")
    async def index() -> str:
        return "public"

    app.register_blueprint(bp)
    with app.test_client() as client:
        assert (client.get("/admin/").status_code, client.get("/admin/").text) == (403, "denied")
        assert client.get("/").text == "public"


def test_app_wide_hooks_declared_on_a_blueprint() -> None:
    events: list[str] = []
    app, one, two = _app_with_two_blueprints(events)

    @one.before_app_request
    async def before_all() -> None:
        events.append(f"before_app:{request.endpoint}")

    @one.after_app_request
    async def after_all(response: Response) -> Response:
        events.append("after_app")
        response.headers["X-All"] = "1"
        return response

    @one.teardown_app_request
    def teardown_all(exc: BaseException | None) -> None:
        events.append("teardown_app")

    app.register_blueprint(one)
    app.register_blueprint(two)

    with app.test_client() as client:
        for path, name, endpoint in (
            ("/", "app", "index"),
            ("/one/", "one", "one.one_index"),
            ("/two/", "two", "two.two_index"),
        ):
            events.clear()
            r = client.get(path)
            assert r.text == name
            assert r.headers["x-all"] == "1"
            assert events == [f"before_app:{endpoint}", f"view:{name}", "after_app", "teardown_app"]
        events.clear()
        assert client.get("/missing").headers["x-all"] == "1"
        assert events == ["before_app:None", "after_app", "teardown_app"]


@pytest.mark.anyio
async def test_app_context_processor_and_scoped_context_processor() -> None:
    app = MicroFlask(__name__)
    bp = Blueprint("bp", __name__, url_prefix="/bp")
    other = Blueprint("other", __name__, url_prefix="/other")

    @bp.app_context_processor
    def everywhere() -> dict[str, Any]:
        return {"site": "microflask"}

    @bp.context_processor
    async def only_bp() -> dict[str, Any]:
        return {"section": "bp"}

    source = "{{ site }}/{{ section|default('none') }}"

    @app.route("/")
    async def index() -> str:
        return await render_template_string(source)

    @bp.route("/")
    async def bp_index() -> str:
        return await render_template_string(source)

    @other.route("/")
    async def other_index() -> str:
        return await render_template_string(source)

    app.register_blueprint(bp)
    app.register_blueprint(other)
    async with app.async_test_client() as client:
        assert (await client.get("/")).text == "microflask/none"
        assert (await client.get("/bp/")).text == "microflask/bp"
        assert (await client.get("/other/")).text == "microflask/none"


def test_app_url_value_preprocessor_and_app_url_defaults() -> None:
    app = MicroFlask(__name__)
    bp = Blueprint("bp", __name__)
    seen: list[Any] = []

    @bp.app_url_value_preprocessor
    def pull(endpoint: str | None, values: dict[str, Any] | None) -> None:
        seen.append((endpoint, dict(values or {})))
        if values:
            g.lang = values.pop("lang", None)

    @bp.app_url_defaults
    def push(endpoint: str, values: dict[str, Any]) -> None:
        if "lang" not in values and app.url_map.is_endpoint_expecting(endpoint, "lang"):
            values["lang"] = g.lang

    @app.route("/<lang>/page")
    async def page() -> str:
        return f"{g.lang} {url_for('page')}"

    app.register_blueprint(bp)
    with app.test_client() as client:
        assert client.get("/de/page").text == "de /de/page"
    assert seen == [("page", {"lang": "de"})]


def test_blueprint_url_value_preprocessor_and_url_defaults_lang_code_pattern() -> None:
    # The "internationalized blueprint URLs" pattern from Flask's documentation.
    app = MicroFlask(__name__)
    bp = Blueprint("frontend", __name__, url_prefix="/<lang_code>")

    @bp.url_defaults
    def add_language_code(endpoint: str, values: dict[str, Any]) -> None:
        values.setdefault("lang_code", g.lang_code)

    @bp.url_value_preprocessor
    def pull_lang_code(endpoint: str | None, values: dict[str, Any]) -> None:
        g.lang_code = values.pop("lang_code")

    @bp.route("/")
    async def index() -> str:
        return f"{g.lang_code}: {url_for('.about')}"

    @bp.route("/about")
    async def about() -> str:
        return "about"

    @app.route("/")
    async def root() -> str:
        return ("lang_code" in g and "leaked") or "clean"

    app.register_blueprint(bp)
    with app.test_client() as client:
        assert client.get("/de/").text == "de: /de/about"
        assert client.get("/fr/").text == "fr: /fr/about"
        assert client.get("/").text == "clean"


# -- error handlers ------------------------------------------------------------------------------


def test_blueprint_errorhandler_is_scoped_and_app_errorhandler_is_global() -> None:
    app = MicroFlask(__name__)
    bp = Blueprint("bp", __name__, url_prefix="/bp")
    other = Blueprint("other", __name__, url_prefix="/other")

    @bp.errorhandler(404)
    async def bp_not_found(e: Any) -> Any:
        return "bp 404", 404

    @app.errorhandler(404)
    async def app_not_found(e: Any) -> Any:
        return "app 404", 404

    @bp.errorhandler(ValueError)
    def bp_value(e: ValueError) -> Any:
        return f"bp value {e}", 400

    @other.app_errorhandler(KeyError)
    async def any_key_error(e: KeyError) -> Any:
        return "global key error", 409

    @bp.route("/missing")
    async def bp_missing() -> str:
        abort(404)

    @bp.route("/value")
    async def bp_value_view() -> str:
        raise ValueError("bad")

    @bp.route("/key")
    async def bp_key() -> str:
        raise KeyError("k")

    @app.route("/missing")
    async def app_missing() -> str:
        abort(404)

    @app.route("/key")
    def app_key() -> str:
        raise KeyError("k")

    @other.route("/missing")
    async def other_missing() -> str:
        abort(404)

    app.register_blueprint(bp)
    app.register_blueprint(other)

    with app.test_client() as client:
        assert (client.get("/bp/missing").status_code, client.get("/bp/missing").text) == (404, "bp 404")
        assert client.get("/missing").text == "app 404"
        assert client.get("/other/missing").text == "app 404"
        # An unrouted URL under the prefix has no blueprint: the app's handler answers (as Flask).
        assert client.get("/bp/nowhere").text == "app 404"
        r = client.get("/bp/value")
        assert (r.status_code, r.text) == (400, "bp value bad")
        assert (client.get("/key").status_code, client.get("/key").text) == (409, "global key error")
        assert client.get("/bp/key").text == "global key error"


def test_blueprint_errorhandler_does_not_catch_app_route_errors(caplog: pytest.LogCaptureFixture) -> None:
    app = MicroFlask(__name__)
    bp = Blueprint("bp", __name__)

    @bp.errorhandler(ValueError)
    async def handled(e: ValueError) -> Any:
        return "bp handled", 400

    @app.route("/")
    async def index() -> str:
        raise ValueError("app error")

    app.register_blueprint(bp)
    with caplog.at_level("ERROR"), app.test_client() as client:
        assert client.get("/").status_code == 500


# -- templates and static files -------------------------------------------------------------------


def test_app_template_filter_and_template_filter_on_blueprint() -> None:
    app = MicroFlask(__name__)
    bp = Blueprint("bp", __name__)

    @bp.app_template_filter("shout")
    def shout(value: str) -> str:
        return value.upper() + "!"

    @bp.template_filter()
    def reverse(value: str) -> str:
        return value[::-1]

    @bp.app_template_global()
    def answer() -> int:
        return 42

    @app.route("/")
    async def index() -> str:
        return await render_template_string("{{ 'hi'|shout }} {{ 'abc'|reverse }} {{ answer() }}")

    app.register_blueprint(bp)
    with app.test_client() as client:
        assert client.get("/").text == "HI! cba 42"


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_blueprint_static_folder_url_for_and_serving(tmp_path: Path) -> None:
    _write(tmp_path / "bp" / "static" / "hello.txt", "hello from bp")
    _write(tmp_path / "bp" / "assets" / "app.js", "console.log(1)")
    app = MicroFlask(__name__, root_path=str(tmp_path))
    bp = Blueprint("bp", __name__, url_prefix="/bp", static_folder="static", root_path=str(tmp_path / "bp"))
    js = Blueprint(
        "js",
        __name__,
        url_prefix="/js",
        static_folder="assets",
        static_url_path="/files",
        root_path=str(tmp_path / "bp"),
    )

    @bp.route("/")
    async def index() -> str:
        return url_for(".static", filename="hello.txt")

    app.register_blueprint(bp)
    app.register_blueprint(js)

    with app.test_request_context("/"):
        assert url_for("bp.static", filename="hello.txt") == "/bp/static/hello.txt"
        assert url_for("js.static", filename="app.js") == "/js/files/app.js"
    with app.test_client() as client:
        assert client.get("/bp/").text == "/bp/static/hello.txt"
        r = client.get("/bp/static/hello.txt")
        assert (r.status_code, r.text) == (200, "hello from bp")
        assert r.headers["content-type"].startswith("text/plain")
        assert client.get("/js/files/app.js").text == "console.log(1)"
        assert client.get("/bp/static/missing.txt").status_code == 404
        assert client.get("/bp/static/../../secret").status_code == 404


def test_blueprint_without_static_folder_has_no_static_route() -> None:
    app = MicroFlask(__name__)
    bp = Blueprint("bp", __name__, url_prefix="/bp")
    app.register_blueprint(bp)
    assert "bp.static" not in {rule.endpoint for rule in app.url_map}


def test_blueprint_template_folder_searched_after_the_apps(tmp_path: Path) -> None:
    _write(tmp_path / "templates" / "page.html", "app page")
    _write(tmp_path / "bp" / "templates" / "page.html", "bp page")
    _write(tmp_path / "bp" / "templates" / "only_bp.html", "only in bp: {{ name }}")
    app = MicroFlask(__name__, root_path=str(tmp_path))
    bp = Blueprint("bp", __name__, url_prefix="/bp", template_folder="templates", root_path=str(tmp_path / "bp"))

    @bp.route("/page")
    async def page() -> str:
        return await render_template("page.html")

    @bp.route("/only")
    def only() -> str:
        return render_template("only_bp.html", name="sync")

    @app.route("/only")
    async def app_only() -> str:
        return await render_template("only_bp.html", name="app")

    app.register_blueprint(bp)
    with app.test_client() as client:
        assert client.get("/bp/page").text == "app page"
        assert client.get("/bp/only").text == "only in bp: sync"
        assert client.get("/only").text == "only in bp: app"


# -- registration: names, nesting, errors ----------------------------------------------------------


def test_register_the_same_blueprint_twice_under_different_names() -> None:
    app = MicroFlask(__name__)
    bp = Blueprint("bp", __name__, url_prefix="/first")
    seen: list[str | None] = []

    @bp.before_request
    async def record() -> None:
        seen.append(request.blueprint)

    @bp.route("/page")
    async def page() -> str:
        return f"{request.blueprint} {url_for('.page')}"

    app.register_blueprint(bp)
    app.register_blueprint(bp, url_prefix="/second", name="again")

    with app.test_client() as client:
        assert client.get("/first/page").text == "bp /first/page"
        assert client.get("/second/page").text == "again /second/page"
    assert seen == ["bp", "again"]
    with app.test_request_context("/"):
        assert url_for("bp.page") == "/first/page"
        assert url_for("again.page") == "/second/page"
    assert app.blueprints == {"bp": bp, "again": bp}


def test_record_once_runs_at_the_first_registration_only() -> None:
    app = MicroFlask(__name__)
    bp = Blueprint("bp", __name__)
    calls: list[tuple[str, bool]] = []
    bp.record(lambda state: calls.append((state.name, state.first_registration)))
    bp.record_once(lambda state: calls.append(("once", state.first_registration)))
    app.register_blueprint(bp)
    app.register_blueprint(bp, name="two")
    assert calls == [("bp", True), ("once", True), ("two", False)]


def test_register_twice_with_the_same_name_is_an_error() -> None:
    app = MicroFlask(__name__)
    bp = Blueprint("bp", __name__)
    app.register_blueprint(bp)
    with pytest.raises(ValueError, match="'bp'"):
        app.register_blueprint(bp)
    with pytest.raises(ValueError, match="'bp'"):
        app.register_blueprint(Blueprint("bp", __name__))


def test_dots_and_empty_names_are_errors() -> None:
    with pytest.raises(ValueError):
        Blueprint("a.b", __name__)
    with pytest.raises(ValueError):
        Blueprint("", __name__)
    bp = Blueprint("bp", __name__)
    with pytest.raises(ValueError):
        bp.add_url_rule("/", "dotted.endpoint", lambda: "x")


def test_setup_call_after_registration_is_an_assertion_error() -> None:
    app = MicroFlask(__name__)
    bp = Blueprint("bp", __name__)
    app.register_blueprint(bp)

    with pytest.raises(AssertionError, match="bp"):

        @bp.route("/late")
        async def late() -> str:
            return "late"

    with pytest.raises(AssertionError):
        bp.before_request(lambda: None)
    with pytest.raises(AssertionError):
        bp.register_blueprint(Blueprint("child", __name__))


def test_register_blueprint_after_the_app_started_serving_is_an_error() -> None:
    app = MicroFlask(__name__)
    with app.test_client():
        with pytest.raises(RuntimeError):
            app.register_blueprint(Blueprint("late", __name__))


def test_blueprint_cannot_be_registered_on_itself() -> None:
    bp = Blueprint("bp", __name__)
    with pytest.raises(ValueError):
        bp.register_blueprint(bp)


def test_nested_blueprints_endpoints_prefixes_and_hook_order() -> None:
    app = MicroFlask(__name__)
    parent = Blueprint("parent", __name__, url_prefix="/parent")
    child = Blueprint("child", __name__, url_prefix="/child")
    events: list[str] = []

    for scope, name in ((app, "app"), (parent, "parent"), (child, "child")):

        def before(name: str = name) -> None:
            events.append(f"before:{name}")

        def after(response: Response, name: str = name) -> Response:
            events.append(f"after:{name}")
            return response

        def teardown(exc: BaseException | None, name: str = name) -> None:
            events.append(f"teardown:{name}")

        before.__name__, after.__name__, teardown.__name__ = f"before_{name}", f"after_{name}", f"teardown_{name}"
        scope.before_request(before)
        scope.after_request(after)
        scope.teardown_request(teardown)

    @child.route("/view")
    async def view() -> dict[str, Any]:
        events.append("view")
        return {
            "endpoint": request.endpoint,
            "blueprint": request.blueprint,
            "blueprints": request.blueprints,
            "relative": url_for(".view"),
            "absolute": url_for("parent.child.view"),
        }

    @parent.route("/own")
    async def own() -> str:
        events.append("view")
        return "own"

    parent.register_blueprint(child)
    app.register_blueprint(parent)

    with app.test_client() as client:
        r = client.get("/parent/child/view")
        assert r.json == {
            "endpoint": "parent.child.view",
            "blueprint": "parent.child",
            "blueprints": ["parent.child", "parent"],
            "relative": "/parent/child/view",
            "absolute": "/parent/child/view",
        }
        assert events == [
            "before:app",
            "before:parent",
            "before:child",
            "view",
            "after:child",
            "after:parent",
            "after:app",
            "teardown:child",
            "teardown:parent",
            "teardown:app",
        ]
        events.clear()
        assert client.get("/parent/own").text == "own"
        assert events == [
            "before:app",
            "before:parent",
            "view",
            "after:parent",
            "after:app",
            "teardown:parent",
            "teardown:app",
        ]
        assert client.get("/child/view").status_code == 404
    assert "parent.child" in app.blueprints


def test_nested_blueprint_prefixes_combine_with_registration_overrides() -> None:
    app = MicroFlask(__name__)
    parent = Blueprint("parent", __name__, url_prefix="/parent")
    child = Blueprint("child", __name__, url_prefix="/child")
    bare = Blueprint("bare", __name__)

    @child.route("/x")
    async def x() -> str:
        return request.endpoint or ""

    @bare.route("/y")
    async def y() -> str:
        return request.endpoint or ""

    parent.register_blueprint(child, url_prefix="/kid", name="kid")
    parent.register_blueprint(bare)
    app.register_blueprint(parent, url_prefix="/p")

    with app.test_client() as client:
        assert client.get("/p/kid/x").text == "parent.kid.x"
        assert client.get("/p/y").text == "parent.bare.y"
        assert client.get("/parent/child/x").status_code == 404


def test_nested_blueprint_error_handler_falls_back_to_the_parent() -> None:
    app = MicroFlask(__name__)
    parent = Blueprint("parent", __name__, url_prefix="/parent")
    child = Blueprint("child", __name__, url_prefix="/child")

    @parent.errorhandler(404)
    async def parent_404(e: Any) -> Any:
        return "parent 404", 404

    @child.errorhandler(403)
    async def child_403(e: Any) -> Any:
        return "child 403", 403

    @parent.errorhandler(403)
    async def parent_403(e: Any) -> Any:
        return "parent 403", 403

    @child.route("/missing")
    async def missing() -> str:
        abort(404)

    @child.route("/forbidden")
    async def forbidden() -> str:
        abort(403)

    parent.register_blueprint(child)
    app.register_blueprint(parent)
    with app.test_client() as client:
        assert client.get("/parent/child/missing").text == "parent 404"
        assert client.get("/parent/child/forbidden").text == "child 403"


def test_relative_url_for_in_app_and_blueprint_views() -> None:
    app = MicroFlask(__name__)
    bp = Blueprint("bp", __name__, url_prefix="/bp")

    @app.route("/")
    async def index() -> dict[str, Any]:
        return {
            "relative": url_for(".index"),
            "blueprint": request.blueprint,
            "blueprints": request.blueprints,
        }

    @bp.route("/")
    async def index_bp() -> str:
        return url_for(".other", q=1)

    @bp.route("/other")
    async def other() -> str:
        return "other"

    app.register_blueprint(bp)
    with app.test_client() as client:
        assert client.get("/").json == {"relative": "/", "blueprint": None, "blueprints": []}
        assert client.get("/bp/").text == "/bp/other?q=1"


def test_blueprint_url_defaults_argument() -> None:
    app = MicroFlask(__name__)
    bp = Blueprint("bp", __name__, url_prefix="/bp", url_defaults={"lang": "en"})

    @bp.route("/")
    async def index(lang: str) -> str:
        return f"{lang} {url_for('.index')}"

    @bp.route("/<lang>/page")
    async def page(lang: str) -> str:
        return lang

    app.register_blueprint(bp)
    app.register_blueprint(bp, name="german", url_prefix="/de", url_defaults={"lang": "de"})
    with app.test_client() as client:
        assert client.get("/bp/").text == "en /bp/"
        assert client.get("/de/").text == "de /de/"
        # A rule's default wins over the value its URL matched, as in Flask (Werkzeug's matching).
        assert client.get("/bp/fr/page").text == "en"


@pytest.mark.anyio
async def test_blueprint_with_async_client() -> None:
    app = MicroFlask(__name__)
    bp = Blueprint("bp", __name__, url_prefix="/bp")

    @bp.before_request
    async def mark() -> None:
        g.marked = True

    @bp.route("/<name>")
    async def hello(name: str) -> str:
        return f"hello {name} {g.get('marked')}"

    app.register_blueprint(bp)
    async with app.async_test_client() as client:
        assert (await client.get("/bp/ann")).text == "hello ann True"
