"""url_for: building paths, query strings, external URLs, anchors, methods, errors and hooks."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from microflask import MicroFlask, g, request, url_for
from microflask.exceptions import BuildError


def make_app(**config: Any) -> MicroFlask:
    app = MicroFlask(__name__)
    app.config.update(config)

    @app.route("/")
    async def index() -> str:
        return "index"

    @app.route("/users/<int:id>")
    async def user(id: int) -> str:
        return f"user {id}"

    @app.route("/names/<name>")
    async def by_name(name: str) -> str:
        return name

    @app.route("/files/<path:subpath>")
    async def files(subpath: str) -> str:
        return subpath

    @app.route("/objects/<uuid:oid>")
    async def obj(oid: uuid.UUID) -> str:
        return str(oid)

    @app.route("/price/<float:amount>")
    async def price(amount: float) -> str:
        return str(amount)

    @app.route("/year/<int(fixed_digits=4):year>")
    async def year(year: int) -> str:
        return str(year)

    @app.route("/<any(about, help):page>")
    async def page(page: str) -> str:
        return page

    @app.route("/orgs/<org_slug>/repos/<repo_slug>")
    async def repo(org_slug: str, repo_slug: str) -> str:
        return f"{org_slug}/{repo_slug}"

    return app


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query, keep_blank_values=True)


# -- paths -------------------------------------------------------------------------------


def test_build_paths_with_converters() -> None:
    app = make_app()
    oid = uuid.UUID("12345678-1234-5678-1234-567812345678")
    with app.test_request_context("/"):
        assert url_for("index") == "/"
        assert url_for("user", id=5) == "/users/5"
        assert url_for("by_name", name="alice") == "/names/alice"
        assert url_for("files", subpath="a/b/c.txt") == "/files/a/b/c.txt"
        assert url_for("obj", oid=oid) == f"/objects/{oid}"
        assert url_for("price", amount=1.5) == "/price/1.5"
        assert url_for("year", year=7) == "/year/0007"
        assert url_for("page", page="help") == "/help"
        assert url_for("repo", org_slug="acme", repo_slug="web") == "/orgs/acme/repos/web"


def test_built_urls_route_back_to_the_same_values() -> None:
    app = make_app()
    with app.test_request_context("/"):
        urls = [
            url_for("user", id=12),
            url_for("by_name", name="café au lait"),
            url_for("files", subpath="docs/read me.md"),
        ]
    with app.test_client() as client:
        assert [client.get(u).text for u in urls] == ["user 12", "café au lait", "docs/read me.md"]


def test_path_values_are_percent_encoded() -> None:
    app = make_app()
    with app.test_request_context("/"):
        assert url_for("by_name", name="café au lait") == "/names/caf%C3%A9%20au%20lait"
        assert url_for("files", subpath="a b/ü.txt") == "/files/a%20b/%C3%BC.txt"
        assert url_for("by_name", name="a?b#c") == "/names/a%3Fb%23c"


def test_any_converter_rejects_unknown_value() -> None:
    app = make_app()
    with app.test_request_context("/"), pytest.raises(ValueError):
        url_for("page", page="other")


# -- query strings ----------------------------------------------------------------------


def test_extra_values_become_the_query_string() -> None:
    app = make_app()
    with app.test_request_context("/"):
        assert url_for("index", q="x y", page=2) == "/?q=x+y&page=2"
        assert url_for("user", id=3, tab="posts") == "/users/3?tab=posts"
        url = url_for("index", next="/a/b?c=d&e", emoji="✓")
        assert url.startswith("/?")
        assert query_of(url) == {"next": ["/a/b?c=d&e"], "emoji": ["✓"]}


def test_list_values_become_repeated_keys() -> None:
    app = make_app()
    with app.test_request_context("/"):
        assert url_for("index", tag=["a", "b"]) == "/?tag=a&tag=b"
        assert url_for("index", tag=("x", "y"), n=1) == "/?tag=x&tag=y&n=1"


def test_none_values_are_dropped() -> None:
    app = make_app()
    with app.test_request_context("/"):
        assert url_for("index", a=None) == "/"
        assert url_for("index", a=None, b=1) == "/?b=1"
        assert url_for("user", id=4, filter=None) == "/users/4"


# -- external URLs, schemes, anchors --------------------------------------------------


def test_external_uses_scheme_and_host_of_the_request() -> None:
    app = make_app()
    with app.test_request_context("/"):
        assert url_for("user", id=1, _external=True) == "http://localhost/users/1"
    with app.test_request_context("/", base_url="https://example.com:8443"):
        assert url_for("user", id=1, _external=True) == "https://example.com:8443/users/1"
        assert url_for("user", id=1) == "/users/1"
    with app.test_request_context("/", headers={"Host": "shop.example.org"}):
        assert url_for("index", _external=True) == "http://shop.example.org/"


def test_external_from_a_live_request_uses_the_host_header() -> None:
    app = make_app()

    @app.route("/links")
    async def links() -> object:
        return {
            "relative": url_for("user", id=2),
            "external": url_for("user", id=2, _external=True),
            "secure": url_for("user", id=2, _scheme="https", _external=True),
        }

    with app.test_client() as client:
        r = client.get("/links", headers={"Host": "api.example.com:8080"})
    assert r.json == {
        "relative": "/users/2",
        "external": "http://api.example.com:8080/users/2",
        "secure": "https://api.example.com:8080/users/2",
    }


def test_scheme_with_external() -> None:
    app = make_app()
    with app.test_request_context("/"):
        assert url_for("user", id=1, _scheme="https", _external=True) == "https://localhost/users/1"


def test_scheme_without_external_in_a_request_implies_external() -> None:
    app = make_app()
    with app.test_request_context("/"):
        assert url_for("user", id=1, _scheme="https") == "https://localhost/users/1"


def test_scheme_with_external_false_is_an_error() -> None:
    app = make_app()
    with app.test_request_context("/"), pytest.raises(ValueError, match="_external"):
        url_for("user", id=1, _scheme="https", _external=False)


def test_anchor() -> None:
    app = make_app()
    with app.test_request_context("/"):
        assert url_for("index", _anchor="top") == "/#top"
        assert url_for("user", id=1, _anchor="section 2") == "/users/1#section%202"
        assert url_for("user", id=1, tab="a", _anchor="x") == "/users/1?tab=a#x"
        assert url_for("user", id=1, _anchor="a/b?c", _external=True) == "http://localhost/users/1#a/b?c"


def test_root_path_of_the_request_prefixes_urls() -> None:
    app = make_app()
    with app.test_request_context("/users/1", root_path="/prefix"):
        assert request.path == "/users/1"
        assert url_for("user", id=2) == "/prefix/users/2"
        assert url_for("user", id=2, _external=True) == "http://localhost/prefix/users/2"


# -- _method --------------------------------------------------------------------------


def test_method_selects_among_rules() -> None:
    app = MicroFlask(__name__)

    async def thing() -> str:
        return request.method

    app.add_url_rule("/thing", "thing", thing, methods=["GET"])
    app.add_url_rule("/thing/create", "thing", thing, methods=["POST"])
    app.add_url_rule("/thing/replace", "thing", thing, methods=["PUT"])
    with app.test_request_context("/"):
        assert url_for("thing") == "/thing"
        assert url_for("thing", _method="GET") == "/thing"
        assert url_for("thing", _method="POST") == "/thing/create"
        assert url_for("thing", _method="PUT") == "/thing/replace"
        with pytest.raises(BuildError) as info:
            url_for("thing", _method="DELETE")
        assert "thing" in str(info.value)
        assert "DELETE" in str(info.value)


# -- outside a request -----------------------------------------------------------------


def test_outside_a_request_without_server_name_raises() -> None:
    app = make_app()
    with pytest.raises(RuntimeError):
        url_for("index")  # no context at all
    with app.app_context(), pytest.raises(RuntimeError, match="SERVER_NAME"):
        url_for("index")
    with pytest.raises(RuntimeError, match="SERVER_NAME"):
        app.url_for("index")


def test_outside_a_request_with_server_name() -> None:
    app = make_app(SERVER_NAME="example.com", PREFERRED_URL_SCHEME="https", APPLICATION_ROOT="/myapp")
    with app.app_context():
        assert url_for("user", id=1) == "https://example.com/myapp/users/1"
        assert url_for("index") == "https://example.com/myapp/"
        assert url_for("user", id=1, _external=False) == "/myapp/users/1"
        assert url_for("user", id=1, _scheme="http") == "http://example.com/myapp/users/1"
        assert url_for("user", id=1, q="z", _anchor="a") == "https://example.com/myapp/users/1?q=z#a"
    assert app.url_for("user", id=9) == "https://example.com/myapp/users/9"


def test_server_name_with_default_scheme_and_root() -> None:
    app = make_app(SERVER_NAME="example.org:8000")
    with app.app_context():
        assert url_for("user", id=1) == "http://example.org:8000/users/1"


def test_request_context_uses_server_name_as_host() -> None:
    app = make_app(SERVER_NAME="example.com")
    with app.test_request_context("/"):
        assert url_for("user", id=1) == "/users/1"
        assert url_for("user", id=1, _external=True) == "http://example.com/users/1"


# -- errors -----------------------------------------------------------------------------


def test_build_error_for_unknown_endpoint() -> None:
    app = make_app()
    with app.test_request_context("/"), pytest.raises(BuildError) as info:
        url_for("no_such_endpoint", x=1)
    error = info.value
    assert isinstance(error, LookupError)
    assert error.endpoint == "no_such_endpoint"
    assert "no_such_endpoint" in str(error)


def test_build_error_for_missing_values_names_them() -> None:
    app = make_app()
    with app.test_request_context("/"):
        with pytest.raises(BuildError) as info:
            url_for("user")
        assert "'user'" in str(info.value)
        assert "id" in str(info.value)

        with pytest.raises(BuildError) as info:
            url_for("repo", org_slug="acme")
        message = str(info.value)
        assert "repo" in message
        assert "repo_slug" in message
        assert info.value.values == {"org_slug": "acme"}


def test_build_error_in_a_view_is_a_500() -> None:
    app = make_app()

    @app.route("/broken")
    async def broken() -> str:
        return url_for("nowhere")

    with app.test_client(raise_server_exceptions=False) as client:
        assert client.get("/broken").status_code == 500


# -- defaults and rule choice -----------------------------------------------------------


def test_rule_defaults_when_building() -> None:
    app = MicroFlask(__name__)

    async def page(n: int) -> str:
        return str(n)

    app.add_url_rule("/page/", "page", page, defaults={"n": 1})
    app.add_url_rule("/page/<int:n>", "page", page)
    with app.test_request_context("/"):
        assert url_for("page") == "/page/"
        assert url_for("page", n=1) == "/page/"
        assert url_for("page", n=2) == "/page/2"
        assert url_for("page", n=2, q="x") == "/page/2?q=x"


def test_stacked_route_decorators_build_the_default_url() -> None:
    # Flask's documented pattern: the bottom decorator registers first, yet
    # url_for(page=1) gives "/users/" because Werkzeug sorts rules for building.
    app = MicroFlask(__name__)

    @app.route("/users/", defaults={"page": 1})
    @app.route("/users/page/<int:page>")
    async def show_users(page: int) -> str:
        return str(page)

    with app.test_request_context("/"):
        assert url_for("show_users") == "/users/"
        assert url_for("show_users", page=2) == "/users/page/2"
        assert url_for("show_users", page=1) == "/users/"


def test_build_prefers_rule_that_uses_the_values() -> None:
    app = MicroFlask(__name__)

    async def posts(page: int = 1) -> str:
        return str(page)

    app.add_url_rule("/posts/", "posts", posts)
    app.add_url_rule("/posts/<int:page>", "posts", posts)
    with app.test_request_context("/"):
        assert url_for("posts") == "/posts/"
        assert url_for("posts", page=2) == "/posts/2"  # not "/posts/?page=2"


# -- url_defaults and url_value_preprocessor --------------------------------------------


def make_i18n_app() -> MicroFlask:
    app = MicroFlask(__name__)
    seen: list[tuple[str | None, dict[str, Any] | None]] = []
    app.config["seen"] = seen
    lang_endpoints = {"home", "about"}

    @app.url_defaults
    def add_language_code(endpoint: str, values: dict[str, Any]) -> None:
        lang = getattr(g, "lang_code", None)
        if endpoint in lang_endpoints and lang is not None:
            values.setdefault("lang_code", lang)

    @app.url_value_preprocessor
    def pull_lang_code(endpoint: str | None, values: dict[str, Any] | None) -> None:
        seen.append((endpoint, dict(values) if values is not None else None))
        g.lang_code = values.pop("lang_code", None) if values else None

    @app.route("/<lang_code>/")
    async def home() -> object:
        return {"lang": g.lang_code, "about": url_for("about"), "french": url_for("about", lang_code="fr")}

    @app.route("/<lang_code>/about")
    async def about() -> object:
        return {"lang": g.lang_code, "home": url_for("home"), "plain": url_for("plain")}

    @app.route("/plain")
    async def plain() -> object:
        return {"lang": g.lang_code}

    return app


def test_url_value_preprocessor_and_url_defaults() -> None:
    app = make_i18n_app()
    with app.test_client() as client:
        r = client.get("/de/")
        assert r.status_code == 200
        assert r.json == {"lang": "de", "about": "/de/about", "french": "/fr/about"}
        r = client.get("/en/about")
        assert r.json == {"lang": "en", "home": "/en/", "plain": "/plain"}
        assert client.get("/plain").json == {"lang": None}
    assert app.config["seen"] == [("home", {"lang_code": "de"}), ("about", {"lang_code": "en"}), ("plain", {})]


@pytest.mark.anyio
async def test_url_value_preprocessor_with_async_client() -> None:
    app = make_i18n_app()
    async with app.async_test_client() as client:
        r = await client.get("/it/")
        assert r.status_code == 200
        assert r.json == {"lang": "it", "about": "/it/about", "french": "/fr/about"}


def test_url_defaults_outside_a_request() -> None:
    app = make_app(SERVER_NAME="example.com")

    @app.url_defaults
    def add_tab(endpoint: str, values: dict[str, Any]) -> None:
        if endpoint == "user":
            values.setdefault("tab", "overview")

    with app.app_context():
        assert url_for("user", id=1) == "http://example.com/users/1?tab=overview"
        assert url_for("user", id=1, tab="posts") == "http://example.com/users/1?tab=posts"
        assert url_for("index") == "http://example.com/"


def test_flask_docs_url_defaults_pattern_with_is_endpoint_expecting() -> None:
    app = MicroFlask(__name__)

    @app.url_defaults
    def add_language_code(endpoint: str, values: dict[str, Any]) -> None:
        if "lang_code" in values or not getattr(g, "lang_code", None):
            return
        if app.url_map.is_endpoint_expecting(endpoint, "lang_code"):  # type: ignore[attr-defined]
            values["lang_code"] = g.lang_code

    @app.url_value_preprocessor
    def pull_lang_code(endpoint: str | None, values: dict[str, Any] | None) -> None:
        g.lang_code = values.pop("lang_code", None) if values else None

    @app.route("/<lang_code>/")
    async def home() -> str:
        return url_for("home")

    assert app.url_map.is_endpoint_expecting("home", "lang_code") is True  # type: ignore[attr-defined]
    assert app.url_map.is_endpoint_expecting("home", "other") is False  # type: ignore[attr-defined]
    with app.test_client() as client:
        r = client.get("/de/")
    assert r.status_code == 200
    assert r.text == "/de/"


# -- from live requests, both clients ---------------------------------------------------


def test_url_for_in_views_sync_client() -> None:
    app = make_app()

    @app.route("/nav/<int:n>")
    async def nav(n: int) -> object:
        return {"next": url_for("nav", n=n + 1), "self": url_for(request.endpoint or "", **(request.view_args or {}))}

    def sync_nav() -> str:  # a plain def view runs on a worker thread
        return url_for("user", id=3, _external=True)

    app.add_url_rule("/sync", "sync_nav", sync_nav)
    with app.test_client() as client:
        assert client.get("/nav/4").json == {"next": "/nav/5", "self": "/nav/4"}
        assert client.get("/sync").text == "http://localhost/users/3"


@pytest.mark.anyio
async def test_url_for_in_views_async_client() -> None:
    app = make_app()

    @app.route("/where")
    async def where() -> object:
        return {
            "user": url_for("user", id=8, ref="home"),
            "external": url_for("files", subpath="x/y", _external=True),
            "anchor": url_for("index", _anchor="end"),
        }

    async with app.async_test_client() as client:
        r = await client.get("/where")
    assert r.status_code == 200
    assert r.json == {
        "user": "/users/8?ref=home",
        "external": "http://localhost/files/x/y",
        "anchor": "/#end",
    }
