"""Routing as Flask's: subdomain and host matching, SERVER_NAME, blueprints' subdomains, URL
building across hosts, url_build_error_handlers, app.aborter and app.redirect, the url_map API
(bind, rule factories, merge_slashes), and the debug-mode check on redirected form posts."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

import microflask
from microflask import Blueprint, MicroFlask, abort, redirect, request, url_for
from microflask.debughelpers import FormDataRoutingRedirect
from microflask.exceptions import Aborter, BuildError, HTTPException, NotFound, RequestRedirect, Unauthorized
from microflask.routing import Map, Rule


def subdomain_app(**kwargs: Any) -> MicroFlask:
    app = MicroFlask(__name__, subdomain_matching=True, static_folder=None, **kwargs)
    app.config["SERVER_NAME"] = "example.test"

    @app.route("/")
    async def index() -> str:
        return "index"

    @app.route("/", subdomain="api")
    async def api() -> str:
        return "api"

    @app.route("/users", subdomain="<tenant>")
    async def users(tenant: str) -> str:
        return f"users of {tenant}"

    return app


# -- subdomain matching --------------------------------------------------------------------


def test_subdomain_rules_match_the_host_below_server_name() -> None:
    app = subdomain_app()
    with app.test_client() as client:
        assert client.get("http://example.test/").text == "index"
        assert client.get("http://api.example.test/").text == "api"
        assert client.get("http://acme.example.test/users").text == "users of acme"
        assert client.get("http://a.b.example.test/users").text == "users of a.b"
        # A rule of another subdomain is not there: a literal subdomain wins over a variable one.
        assert client.get("http://acme.example.test/").status_code == 404
        assert client.get("http://example.test/users").status_code == 404


def test_host_not_below_server_name_warns_and_matches_no_literal_subdomain() -> None:
    app = subdomain_app()
    with app.test_client() as client, pytest.warns(UserWarning, match="Current server name 'other.test'"):
        assert client.get("http://other.test/").status_code == 404


def test_server_name_port_and_the_schemes_default_port() -> None:
    app = subdomain_app()
    app.config["SERVER_NAME"] = "example.test:8000"
    with app.test_client() as client:
        assert client.get("http://api.example.test:8000/").text == "api"
        app.config["SERVER_NAME"] = "example.test:443"  # read per request: may change
        assert client.get("https://api.example.test/").text == "api"
        app.config["SERVER_NAME"] = None  # no server name: the host is the server name
        assert client.get("http://api.example.test/").text == "index"


def test_without_subdomain_matching_the_host_is_not_looked_at() -> None:
    app = MicroFlask(__name__, static_folder=None)
    app.config["SERVER_NAME"] = "example.test"

    @app.route("/")
    async def index() -> str:
        return "index"

    @app.route("/only-api", subdomain="api")
    async def only_api() -> str:
        return "api"

    with app.test_client() as client:
        assert client.get("http://anything.else/").text == "index"
        # As in Flask: the subdomain is the default one whatever the host.
        assert client.get("http://api.example.test/only-api").status_code == 404
    assert app._match_http == app.url_map.match_request  # chosen at freeze: no host look-up


def test_subdomain_matching_can_be_switched_on_after_construction() -> None:
    app = MicroFlask(__name__, static_folder=None)
    app.subdomain_matching = True
    app.config["SERVER_NAME"] = "example.test"

    @app.route("/", subdomain="api")
    async def api() -> str:
        return "api"

    with app.test_client() as client:
        assert client.get("http://api.example.test/").text == "api"


def test_subdomain_matching_405_and_options_see_the_subdomain() -> None:
    app = subdomain_app()

    @app.route("/form", subdomain="api", methods=["POST"])
    async def form() -> str:
        return "posted"

    with app.test_client() as client:
        r = client.get("http://api.example.test/form")
        assert r.status_code == 405
        assert "POST" in r.headers["allow"]
        r = client.options("http://api.example.test/form")
        assert set(r.headers["allow"].replace(" ", "").split(",")) == {"POST", "OPTIONS"}
        assert client.get("http://example.test/form").status_code == 404


# -- host matching -----------------------------------------------------------------------


def host_app() -> MicroFlask:
    app = MicroFlask(__name__, host_matching=True, static_host="static.test", static_folder="static")

    @app.route("/", host="shop.test")
    async def shop() -> str:
        return "shop"

    @app.route("/", host="<tenant>.shop.test")
    async def tenant_shop(tenant: str) -> str:
        return f"shop of {tenant}"

    @app.route("/about", host="shop.test")
    @app.route("/about", host="blog.test")
    async def about() -> str:
        return f"about {request.host}"

    return app


def test_host_matching_matches_the_whole_host() -> None:
    app = host_app()
    with app.test_client() as client:
        assert client.get("http://shop.test/").text == "shop"
        assert client.get("http://acme.shop.test/").text == "shop of acme"
        assert client.get("http://blog.test/about").text == "about blog.test"
        assert client.get("http://shop.test:8080/about").status_code == 404  # another port, another host
        assert client.get("http://nowhere.test/").status_code == 404
        assert client.get("http://static.test/static/missing.txt").status_code == 404  # the route, no file
        assert client.get("http://shop.test/static/missing.txt").status_code == 404


def test_host_matching_builds_the_rules_host() -> None:
    app = host_app()
    with app.test_request_context("/", base_url="http://shop.test"):
        assert url_for("shop") == "/"
        assert url_for("tenant_shop", tenant="acme") == "http://acme.shop.test/"
        assert url_for("static", filename="a.css") == "http://static.test/static/a.css"
        assert url_for("about") == "/about"  # the rule of the current host is preferred
    with app.test_request_context("/", base_url="http://blog.test"):
        assert url_for("about") == "/about"
        assert url_for("shop", _external=True) == "http://shop.test/"


def test_static_host_needs_host_matching_and_the_other_way_round() -> None:
    with pytest.raises(AssertionError, match="static_host"):
        MicroFlask(__name__, static_host="static.test")
    with pytest.raises(AssertionError, match="static_host"):
        MicroFlask(__name__, host_matching=True)
    MicroFlask(__name__, host_matching=True, static_folder=None)


# -- blueprints ------------------------------------------------------------------------


def test_blueprint_subdomains_and_nesting() -> None:
    app = MicroFlask(__name__, subdomain_matching=True, static_folder=None)
    app.config["SERVER_NAME"] = "example.test"
    parent = Blueprint("parent", __name__)
    child = Blueprint("child", __name__, subdomain="api")
    plain_child = Blueprint("plain", __name__)

    @parent.route("/")
    async def parent_index() -> str:
        return "parent"

    @child.route("/")
    async def child_index() -> str:
        return "child"

    @plain_child.route("/plain")
    async def plain() -> str:
        return "plain child"

    parent.register_blueprint(child)
    parent.register_blueprint(plain_child)
    app.register_blueprint(parent, subdomain="eu")
    with app.test_client() as client:
        assert client.get("http://eu.example.test/").text == "parent"
        assert client.get("http://api.eu.example.test/").text == "child"  # the child's in front
        assert client.get("http://eu.example.test/plain").text == "plain child"  # the parent's
        assert client.get("http://api.example.test/").status_code == 404
    rules = {r.endpoint: r.subdomain for r in app.url_map.iter_rules()}
    assert rules == {"parent.parent_index": "eu", "parent.child.child_index": "api.eu", "parent.plain.plain": "eu"}


def test_a_rules_own_subdomain_wins_over_its_blueprints() -> None:
    app = MicroFlask(__name__, subdomain_matching=True, static_folder=None)
    app.config["SERVER_NAME"] = "example.test"
    bp = Blueprint("bp", __name__, subdomain="shop")

    @bp.route("/")
    async def index() -> str:
        return "shop"

    @bp.route("/status", subdomain="status")
    async def status() -> str:
        return "status"

    app.register_blueprint(bp)
    with app.test_client() as client:
        assert client.get("http://shop.example.test/").text == "shop"
        assert client.get("http://status.example.test/status").text == "status"


def test_blueprint_endpoint_decorator_serves_an_app_endpoint() -> None:
    app = MicroFlask(__name__, static_folder=None)
    app.url_map.add(Rule("/foo", "bar"))
    bp = Blueprint("bp", __name__)

    @bp.endpoint("bar")
    async def foobar() -> str:
        return str(request.endpoint)

    app.register_blueprint(bp, url_prefix="/prefix")
    with app.test_client() as client:
        assert client.get("/foo").text == "bar"
        assert client.get("/prefix/bar").status_code == 404


# -- url_for ---------------------------------------------------------------------------------


def test_url_for_other_subdomains_is_external() -> None:
    app = subdomain_app()
    with app.test_request_context("/", base_url="http://example.test"):
        assert url_for("index") == "/"
        assert url_for("api") == "http://api.example.test/"
        assert url_for("users", tenant="acme") == "http://acme.example.test/users"
    with app.test_request_context("/users", base_url="http://acme.example.test"):
        assert url_for("users", tenant="acme") == "/users"
        assert url_for("users", tenant="acme", _external=True) == "http://acme.example.test/users"
        assert url_for("index") == "http://example.test/"
    with app.app_context():
        assert url_for("api") == "http://api.example.test/"
        # Another subdomain than the bound one cannot be relative, as in Werkzeug.
        assert url_for("api", _external=False) == "http://api.example.test/"


def test_url_for_inside_a_request_uses_server_name_as_host() -> None:
    app = MicroFlask(__name__, static_folder=None)
    app.config["SERVER_NAME"] = "example.test:5000"

    @app.route("/")
    async def index() -> str:
        return url_for("index", _external=True)

    @app.route("/", subdomain="foo")
    async def sub() -> str:
        return "sub"

    with app.test_client() as client:
        assert client.get("http://localhost/").text == "http://example.test:5000/"
    with app.test_request_context("/"):
        assert url_for("sub") == "http://foo.example.test:5000/"


def test_url_for_self_and_endpoint_named_values() -> None:
    app = MicroFlask(__name__, static_folder=None)

    @app.route("/<self>")
    async def index(self: str) -> str:
        return self

    with app.test_request_context("/"):
        assert url_for("index", self="2") == "/2"
        assert app.url_for("index", self="3") == "/3"


def test_url_for_prefers_rules_of_the_requests_method() -> None:
    app = MicroFlask(__name__, static_folder=None)

    async def thing() -> str:
        return url_for("thing")

    app.add_url_rule("/thing", "thing", thing, methods=["GET"])
    app.add_url_rule("/thing/create", "thing", thing, methods=["POST"])
    with app.test_client() as client:
        assert client.get("/thing").text == "/thing"
        assert client.post("/thing/create").text == "/thing/create"


def test_url_build_error_handlers() -> None:
    app = MicroFlask(__name__, static_folder=None)
    seen: list[tuple[str, dict[str, Any]]] = []

    def not_mine(error: Exception, endpoint: str, values: dict[str, Any]) -> str | None:
        seen.append((endpoint, dict(values)))
        return None

    def external(error: Exception, endpoint: str, values: dict[str, Any]) -> str | None:
        return f"https://elsewhere.test/{endpoint}" if endpoint.startswith("ext.") else None

    app.url_build_error_handlers.extend([not_mine, external])
    with app.test_request_context("/"):
        assert url_for("ext.page", _anchor="a") == "https://elsewhere.test/ext.page"
        assert seen == [("ext.page", {"_anchor": "a", "_method": None, "_scheme": None, "_external": False})]
        with pytest.raises(BuildError, match="missing"):
            url_for("missing")


def test_url_build_error_handler_may_raise_its_own_build_error() -> None:
    app = MicroFlask(__name__, static_folder=None)
    replacement = BuildError("other", {}, None, "from the handler")

    def handler(error: Exception, endpoint: str, values: dict[str, Any]) -> str:
        raise replacement

    app.url_build_error_handlers.append(handler)
    with app.test_request_context("/"), pytest.raises(BuildError) as info:
        url_for("missing")
    assert info.value is replacement
    error = BuildError("x", {}, None)
    with pytest.raises(BuildError):  # not the current exception: raised as it is
        app.handle_url_build_error(error, "x", {})


# -- abort and redirect ----------------------------------------------------------------------


def test_app_aborter_and_its_class() -> None:
    class Error900(HTTPException):
        code = 900
        description = "nine hundred"

    class MyAborter(Aborter):
        pass

    class MyApp(MicroFlask):
        aborter_class = MyAborter

    app = MyApp(__name__, static_folder=None)
    assert isinstance(app.aborter, MyAborter)
    app.aborter.mapping[900] = Error900

    @app.route("/")
    async def index() -> str:
        abort(900)

    with app.app_context(), pytest.raises(Error900):
        abort(900)
    with pytest.raises(LookupError):
        abort(900)  # outside an app: the default codes only
    with pytest.raises(Unauthorized):
        abort(401)
    with app.test_client() as client:
        assert client.get("/").status_code == 900


def test_app_redirect_is_what_redirect_returns_inside_the_app() -> None:
    class MyApp(MicroFlask):
        def redirect(self, location: str, code: int = 302) -> Any:
            response = super().redirect(location, code)
            response.headers["X-Redirected-By"] = "app"
            return response

    app = MyApp(__name__, static_folder=None)

    @app.route("/old")
    async def old() -> Any:
        return redirect("/new", 301)

    with app.test_client() as client:
        r = client.get("/old")
    assert (r.status_code, r.headers["location"], r.headers["x-redirected-by"]) == (301, "/new", "app")
    outside = redirect("https://example.test/", 307)
    assert (outside.status_code, outside.headers["location"]) == (307, "https://example.test/")


# -- the url_map API -------------------------------------------------------------------------


def test_merge_slashes_redirects_to_the_merged_path() -> None:
    app = MicroFlask(__name__, static_folder=None)

    @app.route("/a/b")
    async def ab() -> str:
        return "ab"

    @app.route("/keep/<path:rest>")
    async def keep(rest: str) -> str:
        return rest

    with app.test_client() as client:
        r = client.get("/a//b?x=1")
        assert (r.status_code, r.headers["location"]) == (308, "/a/b?x=1")
        assert client.get("/keep/x//y").text == "x//y"  # a path variable keeps its slashes
    assert app.url_map.merge_slashes is True
    plain = Map(merge_slashes=False)
    plain.add(Rule("/a/b", "ab"))
    with pytest.raises(NotFound):
        plain.match("/a//b")


def test_map_bind_and_adapters() -> None:
    url_map = Map(default_subdomain="www")
    url_map.add(Rule("/", "index"))
    url_map.add(Rule("/users/<int:id>", "user", subdomain="<org>"))
    url_map.add(Rule("/dir/", "dir"))
    adapter = url_map.bind("Example.test", script_name="/app", url_scheme="https")
    assert adapter.match("/") == ("index", {})
    assert adapter.match("/users/2") == ("user", {"org": "www", "id": 2})
    with pytest.raises(RequestRedirect) as info:
        adapter.match("/dir")
    assert info.value.new_url == "https://www.example.test/app/dir/"
    assert adapter.build("index") == "/app/"
    assert adapter.build("user", {"org": "acme", "id": 3}) == "https://acme.example.test/app/users/3"
    assert adapter.build("index", force_external=True, url_scheme="http") == "http://www.example.test/app/"
    assert adapter.allowed_methods("/") == frozenset({"GET", "HEAD", "OPTIONS"})
    assert url_map.is_endpoint_expecting("user", "org", "id")
    assert [r.endpoint for r in url_map.iter_rules()] == ["index", "user", "dir"]
    assert "int" in url_map.converters


def test_map_bind_to_scope_as_flask_binds_a_request() -> None:
    url_map = Map()
    url_map.add(Rule("/", "index", subdomain="api"))
    scope = {"type": "http", "scheme": "https", "method": "GET", "path": "/", "root_path": "", "query_string": b""}
    scope["headers"] = [(b"host", b"API.example.test:443")]
    adapter = url_map.bind_to_scope(scope, server_name="example.test")
    assert (adapter.server_name, adapter.subdomain) == ("example.test", "api")
    assert adapter.match() == ("index", {})
    with pytest.warns(UserWarning, match="doesn't match configured server name"):
        adapter = url_map.bind_to_scope(scope, server_name="other.test")
    assert adapter.subdomain == "<invalid>"


class _Prefixed:
    """A minimal rule factory (Werkzeug's protocol): rules below a path prefix."""

    def __init__(self, prefix: str, rules: list[Rule]) -> None:
        self.prefix, self.rules = prefix, rules

    def get_rules(self, url_map: Map) -> Iterator[Rule]:
        for rule in self.rules:
            yield Rule(self.prefix + rule.rule, rule.endpoint, rule.methods)


def test_url_map_add_takes_rule_factories() -> None:
    app = MicroFlask(__name__, static_folder=None)
    app.url_map.add(_Prefixed("/foo", [Rule("/bar", "bar"), Rule("/", "index")]))
    app.view_functions["bar"] = lambda: "bar"

    @app.endpoint("index")
    async def index() -> str:
        return "index"

    with app.test_client() as client:
        assert client.get("/foo/").text == "index"
        assert client.get("/foo/bar").text == "bar"


def test_url_map_add_takes_werkzeug_rules() -> None:
    routing = pytest.importorskip("werkzeug.routing")
    app = MicroFlask(__name__, static_folder=None)
    app.url_map.add(
        routing.Submount("/foo", [routing.Rule("/bar", endpoint="bar"), routing.Rule("/<int:n>", endpoint="n")])
    )
    app.view_functions["bar"] = lambda: request.method
    app.view_functions["n"] = lambda n: str(n * 2)
    with app.test_client() as client:
        assert client.get("/foo/21").text == "42"
        assert client.delete("/foo/bar").text == "DELETE"  # methods=None: any method
    with app.test_request_context("/"):
        assert url_for("n", n=3) == "/foo/3"


# -- routing errors ------------------------------------------------------------------------


def test_form_post_redirected_with_301_raises_in_debug_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    app = MicroFlask(__name__, static_folder=None)
    app.config.update(DEBUG=True, TESTING=True)

    @app.route("/user/", methods=["GET", "POST"])
    async def user() -> str:
        return (await request.form)["status"]

    with app.test_client() as client:
        # The default (308) keeps the method and the body: followed, the form arrives.
        assert client.post("/user", data={"status": "ok"}, follow_redirects=True).text == "ok"
        monkeypatch.setattr(RequestRedirect, "code", 301)
        with pytest.raises(FormDataRoutingRedirect, match="canonical URL 'http://localhost/user/'"):
            client.post("/user", data={"status": "lost"})
        assert client.get("/user").status_code == 301  # a GET loses nothing
        app.config["DEBUG"] = False
        assert client.post("/user", data={"status": "lost"}).status_code == 301
    assert issubclass(FormDataRoutingRedirect, AssertionError)


def test_routing_redirect_stays_below_the_root_path() -> None:
    app = MicroFlask(__name__, static_folder=None)

    @app.route("/dir/")
    async def directory() -> str:
        return "dir"

    with app.test_client(root_path="/mounted") as client:
        r = client.get("/mounted/dir")
    assert (r.status_code, r.headers["location"]) == (308, "/mounted/dir/")


def test_setup_after_serving_is_an_assertion_error_and_a_runtime_error() -> None:
    app = MicroFlask(__name__, static_folder=None)

    @app.route("/")
    async def index() -> str:
        return "index"

    with app.test_client() as client:
        client.get("/")
    with pytest.raises(AssertionError, match="setup method 'add_url_rule'"):
        app.add_url_rule("/late", endpoint="late")
    with pytest.raises(RuntimeError, match="already started serving"):
        app.add_url_rule("/late", endpoint="late")


def test_flask_alias_accepts_the_routing_arguments() -> None:
    app = microflask.Flask(__name__, subdomain_matching=True, host_matching=False, static_folder=None)
    assert app.subdomain_matching and not app.url_map.host_matching


def test_a_rules_default_wins_over_the_matched_value_as_in_werkzeug() -> None:
    app = MicroFlask(__name__, host_matching=True, static_host="example.test")
    app.config["SERVER_NAME"] = "example.test"

    @app.route("/", defaults={"name": "default"}, host="<name>")
    @app.route("/", host="<name>.example.test")
    def index(name: str) -> str:
        return name

    client = app.test_client()
    assert client.get(base_url="http://example.test").text == "default"
    assert client.get(base_url="http://abc.example.test").text == "abc"  # the more specific host rule
    assert client.get(base_url="http://xyz.other.test").text == "default"


def test_rules_have_werkzeugs_outline_for_extensions() -> None:
    # flask-smorest and other OpenAPI plugins read these private attributes of Werkzeug's rules.
    app = MicroFlask(__name__, subdomain_matching=True)
    app.config["SERVER_NAME"] = "example.test"

    @app.route("/users/<int:user_id>/files/<path:name>", subdomain="<tenant>")
    def files(tenant: str, user_id: int, name: str) -> str:
        return name

    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == "files")
    assert rule._trace == [
        (True, "tenant"),
        (False, "|"),
        (False, "/users/"),
        (True, "user_id"),
        (False, "/files/"),
        (True, "name"),
    ]
    assert {name: type(conv).__name__ for name, conv in rule._converters.items()} == {
        "tenant": "UnicodeConverter",
        "user_id": "IntegerConverter",
        "name": "PathConverter",
    }


def test_flasks_lazy_submodules_are_attributes_of_the_package() -> None:
    # Flask code reaches them as attributes after "import flask": flask.cli.AppGroup(...)
    assert microflask.cli.AppGroup is not None
    assert microflask.templating.render_template is microflask.render_template
    assert microflask.testing.FlaskClient is not None
    with pytest.raises(AttributeError):
        microflask.no_such_module  # noqa: B018
