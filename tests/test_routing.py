"""Routing: Flask rule syntax, converters, methods, strict slashes, priority, registration."""

from __future__ import annotations

import uuid
from typing import Any

import httpx2
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount, Router
from starlette.routing import Route as StarletteRoute

from microflask import MicroFlask, request, url_for
from microflask.routing import BaseConverter, ValidationError


def make_app() -> MicroFlask:
    return MicroFlask(__name__)


def allow_set(response: Any) -> set[str]:
    return {m.strip() for m in response.headers["allow"].split(",") if m.strip()}


def echo(**values: Any) -> dict[str, Any]:
    """What a view saw: each value with its type name."""
    return {k: [str(v), type(v).__name__] for k, v in values.items()}


# -- converters ----------------------------------------------------------------------------


def test_default_string_converter_matches_one_segment() -> None:
    app = make_app()

    @app.route("/users/<name>")
    async def user(name: str) -> object:
        return echo(name=name)

    with app.test_client() as client:
        r = client.get("/users/alice")
        assert r.status_code == 200
        assert r.json == {"name": ["alice", "str"]}
        assert client.get("/users/alice/extra").status_code == 404
        assert client.get("/users/").status_code == 404
        assert client.get("/users").status_code == 404


def test_string_converter_arguments() -> None:
    app = make_app()

    @app.route("/code/<string(length=2):code>")
    async def code(code: str) -> str:
        return code

    @app.route("/nick/<string(minlength=3, maxlength=5):nick>")
    async def nick(nick: str) -> str:
        return nick

    with app.test_client() as client:
        assert client.get("/code/ab").text == "ab"
        assert client.get("/code/a").status_code == 404
        assert client.get("/code/abc").status_code == 404
        assert client.get("/nick/bob").text == "bob"
        assert client.get("/nick/alice").text == "alice"
        assert client.get("/nick/al").status_code == 404
        assert client.get("/nick/alicia").status_code == 404


def test_int_converter_gives_int() -> None:
    app = make_app()

    @app.route("/items/<int:item_id>")
    async def item(item_id: int) -> object:
        return echo(item_id=item_id)

    with app.test_client() as client:
        r = client.get("/items/42")
        assert r.status_code == 200
        assert r.json == {"item_id": ["42", "int"]}
        assert client.get("/items/007").json == {"item_id": ["7", "int"]}
        # The last one is Arabic-Indic digits: microflask's int is ASCII digits only (by design;
        # Werkzeug's r"\d+" would accept them).
        for bad in ("/items/abc", "/items/-1", "/items/1.5", "/items/4a", "/items/%D9%A1%D9%A2"):
            assert client.get(bad).status_code == 404, bad


def test_int_converter_min_max() -> None:
    app = make_app()

    @app.route("/page/<int(min=1, max=10):n>")
    async def page(n: int) -> str:
        return f"page {n}"

    with app.test_client() as client:
        assert client.get("/page/1").text == "page 1"
        assert client.get("/page/10").text == "page 10"
        assert client.get("/page/0").status_code == 404
        assert client.get("/page/11").status_code == 404


def test_int_converter_signed() -> None:
    app = make_app()

    @app.route("/offset/<int(signed=True):n>")
    async def offset(n: int) -> object:
        return echo(n=n)

    @app.route("/unsigned/<int:n>")
    async def unsigned(n: int) -> object:
        return echo(n=n)

    with app.test_client() as client:
        assert client.get("/offset/-5").json == {"n": ["-5", "int"]}
        assert client.get("/offset/5").json == {"n": ["5", "int"]}
        assert client.get("/unsigned/-5").status_code == 404


def test_int_converter_fixed_digits() -> None:
    app = make_app()

    @app.route("/year/<int(fixed_digits=4):year>")
    async def year(year: int) -> object:
        return echo(year=year)

    with app.test_client() as client:
        assert client.get("/year/2024").json == {"year": ["2024", "int"]}
        assert client.get("/year/0042").json == {"year": ["42", "int"]}
        assert client.get("/year/42").status_code == 404
        assert client.get("/year/20245").status_code == 404
    with app.test_request_context("/"):
        assert url_for("year", year=42) == "/year/0042"


def test_float_converter() -> None:
    app = make_app()

    @app.route("/price/<float:amount>")
    async def price(amount: float) -> object:
        return echo(amount=amount)

    @app.route("/delta/<float(signed=True):d>")
    async def delta(d: float) -> object:
        return echo(d=d)

    @app.route("/ratio/<float(min=0.0, max=1.0):r>")
    async def ratio(r: float) -> object:
        return echo(r=r)

    with app.test_client() as client:
        assert client.get("/price/1.5").json == {"amount": ["1.5", "float"]}
        assert client.get("/price/10").status_code == 404  # Flask's float needs a dot
        assert client.get("/price/-1.5").status_code == 404
        assert client.get("/price/abc").status_code == 404
        assert client.get("/delta/-2.25").json == {"d": ["-2.25", "float"]}
        assert client.get("/ratio/0.5").json == {"r": ["0.5", "float"]}
        assert client.get("/ratio/1.5").status_code == 404


def test_path_converter_spans_slashes() -> None:
    app = make_app()

    @app.route("/files/<path:subpath>")
    async def files(subpath: str) -> object:
        return echo(subpath=subpath)

    @app.route("/docs/<path:page>/edit")
    async def edit(page: str) -> object:
        return echo(page=page)

    with app.test_client() as client:
        assert client.get("/files/a/b/c.txt").json == {"subpath": ["a/b/c.txt", "str"]}
        assert client.get("/files/one").json == {"subpath": ["one", "str"]}
        assert client.get("/files/").status_code == 404
        assert client.get("/docs/guide/intro/edit").json == {"page": ["guide/intro", "str"]}


def test_uuid_converter_gives_uuid() -> None:
    app = make_app()
    seen: list[object] = []

    @app.route("/objects/<uuid:oid>")
    async def obj(oid: uuid.UUID) -> str:
        seen.append(oid)
        return str(oid)

    value = uuid.UUID("12345678-1234-5678-1234-567812345678")
    with app.test_client() as client:
        r = client.get(f"/objects/{value}")
        assert r.status_code == 200
        assert r.text == str(value)
        r = client.get(f"/objects/{str(value).upper()}")
        assert r.status_code == 200
        assert client.get("/objects/not-a-uuid").status_code == 404
        assert client.get("/objects/12345678123456781234567812345678").status_code == 404
    assert seen == [value, value]
    assert all(isinstance(v, uuid.UUID) for v in seen)


def test_any_converter() -> None:
    app = make_app()

    @app.route("/<any(about, help, 'contact-us'):page>")
    async def static_page(page: str) -> str:
        return f"page={page}"

    with app.test_client() as client:
        assert client.get("/about").text == "page=about"
        assert client.get("/help").text == "page=help"
        assert client.get("/contact-us").text == "page=contact-us"
        assert client.get("/other").status_code == 404
        assert client.get("/aboutx").status_code == 404


def test_several_variables_in_one_segment() -> None:
    app = make_app()

    @app.route("/img/<name>.<any(png, jpg):ext>")
    async def image(name: str, ext: str) -> object:
        return echo(name=name, ext=ext)

    @app.route("/v<int:major>.<int:minor>/info")
    async def version(major: int, minor: int) -> object:
        return echo(major=major, minor=minor)

    with app.test_client() as client:
        assert client.get("/img/cat.png").json == {"name": ["cat", "str"], "ext": ["png", "str"]}
        assert client.get("/img/cat.gif").status_code == 404
        assert client.get("/v2.10/info").json == {"major": ["2", "int"], "minor": ["10", "int"]}


class ListConverter(BaseConverter):
    """Flask's documented example: comma separated values."""

    def to_python(self, value: str) -> list[str]:
        return value.split(",")

    def to_url(self, value: Any) -> str:
        quote_one = super().to_url  # zero-argument super() does not work inside a generator
        return ",".join(quote_one(v) for v in value)


class EvenConverter(BaseConverter):
    regex = r"\d+"

    def to_python(self, value: str) -> int:
        number = int(value)
        if number % 2:
            raise ValidationError()
        return number

    def to_url(self, value: Any) -> str:
        return str(int(value))


class YearMonthConverter(BaseConverter):
    """A converter whose regex spans a slash: ``2024/05``."""

    regex = r"\d{4}/\d{2}"

    def to_python(self, value: str) -> tuple[int, int]:
        year, month = value.split("/")
        return int(year), int(month)

    def to_url(self, value: Any) -> str:
        year, month = value
        return f"{year:04d}/{month:02d}"


class PrefixConverter(BaseConverter):
    """A converter that takes arguments from the rule: ``<prefix('ab'):x>``."""

    def __init__(self, map: Any, prefix: str) -> None:
        super().__init__(map)
        self.prefix = prefix

    def to_python(self, value: str) -> str:
        if not value.startswith(self.prefix):
            raise ValidationError()
        return value[len(self.prefix) :]

    def to_url(self, value: Any) -> str:
        return self.prefix + str(value)


def test_custom_converter_to_python_and_to_url() -> None:
    app = make_app()
    app.url_map.converters["list"] = ListConverter

    @app.route("/tags/<list:tags>")
    async def tags(tags: list[str]) -> object:
        return {"tags": tags}

    with app.test_client() as client:
        assert client.get("/tags/a,b,c").json == {"tags": ["a", "b", "c"]}
    with app.test_request_context("/"):
        assert url_for("tags", tags=["x", "y z"]) == "/tags/x,y%20z"


def test_custom_converter_validation_error_rejects() -> None:
    app = make_app()
    app.url_map.converters["even"] = EvenConverter

    @app.route("/even/<even:n>")
    async def even(n: int) -> object:
        return echo(n=n)

    with app.test_client() as client:
        assert client.get("/even/4").json == {"n": ["4", "int"]}
        assert client.get("/even/3").status_code == 404
        assert client.get("/even/x").status_code == 404


def test_custom_converter_with_arguments() -> None:
    app = make_app()
    app.url_map.converters["prefix"] = PrefixConverter

    @app.route("/ref/<prefix('ab-'):ref>")
    async def ref(ref: str) -> str:
        return ref

    with app.test_client() as client:
        assert client.get("/ref/ab-123").text == "123"
        assert client.get("/ref/cd-123").status_code == 404
    with app.test_request_context("/"):
        assert url_for("ref", ref="9") == "/ref/ab-9"


def test_custom_converter_regex_with_slash_spans_segments() -> None:
    app = make_app()
    app.url_map.converters["ym"] = YearMonthConverter
    assert YearMonthConverter.part_isolating is False

    @app.route("/archive/<ym:when>")
    async def archive(when: tuple[int, int]) -> object:
        return {"when": list(when)}

    @app.route("/archive/<ym:when>/posts/<int:n>")
    async def archive_post(when: tuple[int, int], n: int) -> object:
        return {"when": list(when), "n": n}

    with app.test_client() as client:
        assert client.get("/archive/2024/05").json == {"when": [2024, 5]}
        assert client.get("/archive/2024/05/posts/3").json == {"when": [2024, 5], "n": 3}
        assert client.get("/archive/2024").status_code == 404
        assert client.get("/archive/2024/5").status_code == 404
    with app.test_request_context("/"):
        assert url_for("archive", when=(2024, 5)) == "/archive/2024/05"
        assert url_for("archive_post", when=(1999, 12), n=1) == "/archive/1999/12/posts/1"


def test_unknown_converter_raises_lookup_error_at_registration() -> None:
    app = make_app()

    async def view(x: str) -> str:
        return x

    with pytest.raises(LookupError, match="nope"):
        app.add_url_rule("/x/<nope:x>", view_func=view)
    with pytest.raises(LookupError):
        app.route("/y/<missing(1):y>")(view)


def test_malformed_rules_are_rejected() -> None:
    app = make_app()

    async def view(**kwargs: Any) -> str:
        return "x"

    with pytest.raises(ValueError):
        app.add_url_rule("no-leading-slash", "a", view)
    with pytest.raises(ValueError):
        app.add_url_rule("/<a>/<a>", "b", view)


# -- methods -----------------------------------------------------------------------------


def test_methods_and_405_with_allow() -> None:
    app = make_app()

    @app.route("/submit", methods=["GET", "POST"])
    async def submit() -> str:
        return request.method

    @app.route("/only-post", methods=["post"])  # lower case is fine, as in Flask
    async def only_post() -> str:
        return "posted"

    with app.test_client() as client:
        assert client.get("/submit").text == "GET"
        assert client.post("/submit").text == "POST"
        r = client.put("/submit")
        assert r.status_code == 405
        assert allow_set(r) == {"GET", "HEAD", "OPTIONS", "POST"}
        r = client.delete("/submit")
        assert r.status_code == 405
        assert "allow" in r.headers

        assert client.post("/only-post").text == "posted"
        r = client.get("/only-post")
        assert r.status_code == 405
        assert allow_set(r) == {"POST", "OPTIONS"}


def test_methods_as_a_string_is_a_type_error() -> None:
    app = make_app()

    async def view() -> str:
        return "x"

    with pytest.raises(TypeError):
        app.add_url_rule("/x", "x", view, methods="POST")


def test_unknown_path_is_404() -> None:
    app = make_app()

    @app.route("/")
    async def index() -> str:
        return "index"

    with app.test_client() as client:
        r = client.get("/missing")
        assert r.status_code == 404
        assert "Not Found" in r.text
        assert client.post("/missing").status_code == 404


def test_automatic_head() -> None:
    app = make_app()

    @app.route("/resource")
    async def resource() -> object:
        return "hello world", 200, {"X-Custom": "yes"}

    with app.test_client() as client:
        get = client.get("/resource")
        head = client.head("/resource")
    assert get.status_code == head.status_code == 200
    assert get.data == b"hello world"
    assert head.data == b""
    assert head.headers["x-custom"] == "yes"
    assert head.headers["content-type"] == get.headers["content-type"]
    assert head.headers["content-length"] == str(len(b"hello world"))


def test_automatic_options_lists_all_methods_for_the_url() -> None:
    app = make_app()

    @app.route("/thing", methods=["GET", "POST"])
    async def thing() -> str:
        return "thing"

    @app.route("/thing", methods=["DELETE"], endpoint="delete_thing")
    async def delete_thing() -> str:
        return "deleted"

    @app.route("/other")
    async def other() -> str:
        return "other"

    with app.test_client() as client:
        r = client.options("/thing")
        assert r.status_code == 200
        assert allow_set(r) == {"DELETE", "GET", "HEAD", "OPTIONS", "POST"}
        assert r.data == b""
        r = client.options("/other")
        assert r.status_code == 200
        assert allow_set(r) == {"GET", "HEAD", "OPTIONS"}
        assert client.delete("/thing").text == "deleted"


def test_explicit_options_method_calls_the_view() -> None:
    app = make_app()

    @app.route("/cors", methods=["GET", "OPTIONS"])
    async def cors() -> object:
        if request.method == "OPTIONS":
            return "", 204, {"X-Handled": "view"}
        return "get"

    with app.test_client() as client:
        r = client.options("/cors")
        assert r.status_code == 204
        assert r.headers["x-handled"] == "view"


@pytest.mark.anyio
async def test_methods_head_options_with_async_client() -> None:
    app = make_app()

    @app.route("/a", methods=["GET", "PUT"])
    async def a() -> str:
        return f"a:{request.method}"

    async with app.async_test_client() as client:
        r = await client.put("/a")
        assert r.status_code == 200
        assert r.text == "a:PUT"
        r = await client.head("/a")
        assert r.status_code == 200
        assert r.data == b""
        assert r.headers["content-length"] == str(len("a:HEAD"))
        r = await client.options("/a")
        assert allow_set(r) == {"GET", "HEAD", "OPTIONS", "PUT"}
        r = await client.post("/a")
        assert r.status_code == 405
        assert allow_set(r) == {"GET", "HEAD", "OPTIONS", "PUT"}
        assert (await client.get("/b")).status_code == 404


def test_method_shortcuts() -> None:
    app = make_app()

    @app.get("/x")
    async def get_x() -> str:
        return "get"

    @app.post("/x")
    async def post_x() -> str:
        return "post"

    @app.put("/x")
    async def put_x() -> str:
        return "put"

    @app.patch("/x")
    async def patch_x() -> str:
        return "patch"

    @app.delete("/x")
    async def delete_x() -> str:
        return "delete"

    with app.test_client() as client:
        assert client.get("/x").text == "get"
        assert client.post("/x").text == "post"
        assert client.put("/x").text == "put"
        assert client.patch("/x").text == "patch"
        assert client.delete("/x").text == "delete"
        assert client.head("/x").status_code == 200
        assert allow_set(client.options("/x")) == {"GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"}

    with pytest.raises(TypeError):
        make_app().get("/y", methods=["POST"])


def test_post_shortcut_only_accepts_post() -> None:
    app = make_app()

    @app.post("/create")
    async def create() -> tuple[str, int]:
        return "created", 201

    with app.test_client() as client:
        r = client.post("/create")
        assert (r.status_code, r.text) == (201, "created")
        r = client.get("/create")
        assert r.status_code == 405
        assert allow_set(r) == {"POST", "OPTIONS"}


# -- strict slashes --------------------------------------------------------------------


def test_trailing_slash_rule_redirects_with_308() -> None:
    app = make_app()

    @app.route("/dir/")
    async def directory() -> str:
        return "dir"

    @app.route("/users/<name>/")
    async def user(name: str) -> str:
        return name

    with app.test_client() as client:
        assert client.get("/dir/").text == "dir"
        r = client.get("/dir")
        assert r.status_code == 308
        assert r.headers["location"] in ("/dir/", "http://localhost/dir/")
        r = client.get("/dir?a=1&b=x%20y")
        assert r.status_code == 308
        assert r.headers["location"].endswith("/dir/?a=1&b=x%20y")
        r = client.get("/users/bob")
        assert r.status_code == 308
        assert r.headers["location"].endswith("/users/bob/")
        r = client.get("/dir", follow_redirects=True)
        assert (r.status_code, r.text) == (200, "dir")


def test_trailing_slash_redirect_keeps_method_and_encodes_location() -> None:
    app = make_app()

    @app.route("/form/", methods=["POST"])
    async def form() -> str:
        return "ok"

    @app.route("/straße/")
    async def street() -> str:
        return "street"

    with app.test_client() as client:
        r = client.post("/form")
        assert r.status_code == 308  # 308: the client repeats the POST
        assert r.headers["location"].endswith("/form/")
        r = client.get("/stra%C3%9Fe")
        assert r.status_code == 308
        assert r.headers["location"].endswith("/stra%C3%9Fe/")
        assert client.get("/stra%C3%9Fe/").text == "street"


def test_rule_without_slash_visited_with_slash_is_404() -> None:
    app = make_app()

    @app.route("/file")
    async def file() -> str:
        return "file"

    with app.test_client() as client:
        assert client.get("/file").text == "file"
        r = client.get("/file/")
        assert r.status_code == 404
        assert "location" not in r.headers


def test_strict_slashes_false_matches_both() -> None:
    app = make_app()

    @app.route("/both/", strict_slashes=False)
    async def both() -> str:
        return "both"

    @app.route("/either", strict_slashes=False)
    async def either() -> str:
        return "either"

    with app.test_client() as client:
        for path, body in [("/both/", "both"), ("/both", "both"), ("/either", "either"), ("/either/", "either")]:
            r = client.get(path)
            assert r.status_code == 200, path
            assert r.text == body


def test_map_strict_slashes_false_applies_to_later_rules() -> None:
    app = make_app()
    app.url_map.strict_slashes = False

    @app.route("/loose/")
    async def loose() -> str:
        return "loose"

    with app.test_client() as client:
        assert client.get("/loose").text == "loose"
        assert client.get("/loose/").text == "loose"


# -- defaults, endpoints, registration -----------------------------------------------


def test_defaults_two_rules_one_endpoint() -> None:
    app = make_app()

    @app.route("/users/", defaults={"page": 1})
    @app.route("/users/page/<int:page>")
    async def show_users(page: int) -> object:
        return echo(page=page)

    with app.test_client() as client:
        assert client.get("/users/").json == {"page": ["1", "int"]}
        assert client.get("/users/page/3").json == {"page": ["3", "int"]}


def test_defaults_not_in_the_rule_reach_the_view() -> None:
    app = make_app()

    @app.route("/feed", defaults={"fmt": "rss"})
    @app.route("/feed.<any(rss, atom):fmt>")
    async def feed(fmt: str) -> str:
        return fmt

    with app.test_client() as client:
        assert client.get("/feed").text == "rss"
        assert client.get("/feed.atom").text == "atom"
    with app.test_request_context("/feed"):
        assert request.view_args == {"fmt": "rss"}


def test_url_with_default_value_redirects_to_canonical_rule() -> None:
    app = make_app()

    @app.route("/page/", defaults={"n": 1})
    @app.route("/page/<int:n>")
    async def page(n: int) -> str:
        return str(n)

    with app.test_client() as client:
        assert client.get("/page/2").text == "2"
        r = client.get("/page/1")
        assert r.status_code == 308
        assert r.headers["location"].endswith("/page/")


def test_endpoint_names() -> None:
    app = make_app()

    @app.route("/a")
    async def plain() -> str:
        return str(request.endpoint)

    @app.route("/b", endpoint="custom_name")
    async def named() -> str:
        return str(request.endpoint)

    assert "plain" in app.view_functions
    assert app.view_functions["custom_name"] is named
    assert "named" not in app.view_functions
    with app.test_client() as client:
        assert client.get("/a").text == "plain"
        assert client.get("/b").text == "custom_name"
    with app.test_request_context("/"):
        assert url_for("custom_name") == "/b"


def test_add_url_rule() -> None:
    app = make_app()

    async def hello(name: str) -> str:
        return f"hello {name}"

    async def bye() -> str:
        return "bye"

    app.add_url_rule("/hello/<name>", "greet", hello)
    app.add_url_rule("/bye", view_func=bye, methods=["GET", "POST"])
    with app.test_client() as client:
        assert client.get("/hello/ann").text == "hello ann"
        assert client.post("/bye").text == "bye"
    with app.test_request_context("/"):
        assert url_for("greet", name="ann") == "/hello/ann"
        assert url_for("bye") == "/bye"


def test_endpoint_decorator_attaches_view_later() -> None:
    app = make_app()
    app.add_url_rule("/late/<int:n>", "late")

    @app.endpoint("late")
    async def late_view(n: int) -> str:
        return f"late {n}"

    with app.test_client() as client:
        assert client.get("/late/4").text == "late 4"


def test_same_view_on_two_rules_is_fine() -> None:
    app = make_app()

    async def view() -> str:
        return str(request.path)

    app.add_url_rule("/one", "shared", view)
    app.add_url_rule("/two", "shared", view)
    with app.test_client() as client:
        assert client.get("/one").text == "/one"
        assert client.get("/two").text == "/two"


def test_duplicate_endpoint_with_other_function_raises() -> None:
    app = make_app()

    @app.route("/first")
    async def index() -> str:
        return "first"

    async def other() -> str:
        return "other"

    with pytest.raises(AssertionError, match="index"):
        app.add_url_rule("/second", "index", other)

    def make_duplicate() -> None:
        @app.route("/third")
        async def index() -> str:  # same name, different function
            return "third"

    with pytest.raises(AssertionError):
        make_duplicate()
    with app.test_client() as client:
        assert client.get("/first").text == "first"


def test_registering_after_serving_raises_runtime_error() -> None:
    app = make_app()

    @app.route("/")
    async def index() -> str:
        return "index"

    with app.test_client() as client:
        assert client.get("/").status_code == 200

    async def late() -> str:
        return "late"

    with pytest.raises(RuntimeError, match=r"add_url_rule.*(serving|request)") as info:
        app.add_url_rule("/late", "late", late)
    assert "before" in str(info.value)  # says what to do instead
    with pytest.raises(RuntimeError):
        app.route("/late2")(late)
    with pytest.raises(RuntimeError):
        app.post("/late3")(late)
    # The app keeps working with the routes it had.
    with app.test_client() as client:
        assert client.get("/").text == "index"
        assert client.get("/late").status_code == 404


# -- priority and scale -----------------------------------------------------------------


@pytest.mark.parametrize("static_first", [True, False])
def test_static_route_beats_dynamic(static_first: bool) -> None:
    app = make_app()

    async def new_user() -> str:
        return "new form"

    async def user(name: str) -> str:
        return f"user {name}"

    if static_first:
        app.add_url_rule("/users/new", "new_user", new_user)
        app.add_url_rule("/users/<name>", "user", user)
    else:
        app.add_url_rule("/users/<name>", "user", user)
        app.add_url_rule("/users/new", "new_user", new_user)
    with app.test_client() as client:
        assert client.get("/users/new").text == "new form"
        assert client.get("/users/newt").text == "user newt"
        assert client.get("/users/bob").text == "user bob"


@pytest.mark.parametrize("string_first", [True, False])
def test_int_converter_preferred_over_string(string_first: bool) -> None:
    app = make_app()

    async def by_name(key: str) -> object:
        return {"by": "name", **echo(key=key)}

    async def by_id(key: int) -> object:
        return {"by": "id", **echo(key=key)}

    rules = [("/items/<key>", "by_name", by_name), ("/items/<int:key>", "by_id", by_id)]
    for rule, endpoint, view in rules if string_first else rules[::-1]:
        app.add_url_rule(rule, endpoint, view)
    with app.test_client() as client:
        assert client.get("/items/42").json == {"by": "id", "key": ["42", "int"]}
        assert client.get("/items/abc").json == {"by": "name", "key": ["abc", "str"]}


def test_path_converter_is_tried_after_string() -> None:
    app = make_app()

    @app.route("/wiki/<path:rest>")
    async def wiki_path(rest: str) -> str:
        return f"path {rest}"

    @app.route("/wiki/<page>")
    async def wiki_page(page: str) -> str:
        return f"page {page}"

    with app.test_client() as client:
        assert client.get("/wiki/home").text == "page home"
        assert client.get("/wiki/a/b").text == "path a/b"


def test_matching_backtracks_when_a_deeper_segment_fails() -> None:
    app = make_app()

    @app.route("/a/b/<int:n>")
    async def numbered(n: int) -> str:
        return f"numbered {n}"

    @app.route("/a/<x>/c")
    async def lettered(x: str) -> str:
        return f"lettered {x}"

    with app.test_client() as client:
        assert client.get("/a/b/7").text == "numbered 7"
        assert client.get("/a/b/c").text == "lettered b"
        assert client.get("/a/z/c").text == "lettered z"
        assert client.get("/a/b/d").status_code == 404


def test_same_path_different_methods_different_endpoints() -> None:
    app = make_app()

    @app.get("/res")
    async def list_res() -> str:
        return f"list via {request.endpoint}"

    @app.post("/res")
    async def create_res() -> tuple[str, int]:
        return f"create via {request.endpoint}", 201

    with app.test_client() as client:
        r = client.get("/res")
        assert (r.status_code, r.text) == (200, "list via list_res")
        r = client.post("/res")
        assert (r.status_code, r.text) == (201, "create via create_res")
        r = client.put("/res")
        assert r.status_code == 405
        assert allow_set(r) == {"GET", "HEAD", "OPTIONS", "POST"}
    with app.test_request_context("/"):
        assert url_for("list_res") == url_for("create_res") == "/res"


def test_many_parameterised_routes_resolve() -> None:
    app = make_app()
    count = 1000

    def make_view(i: int) -> Any:
        async def view(item_id: int) -> object:
            return {"i": i, "item_id": item_id, "endpoint": request.endpoint}

        return view

    def make_nested_view(i: int) -> Any:
        async def view(org: str, n: int) -> object:
            return {"nested": i, "org": org, "n": n}

        return view

    for i in range(count):
        app.add_url_rule(f"/s{i}/items/<int:item_id>", f"ep{i}", make_view(i))
        app.add_url_rule(f"/orgs/<org>/r{i}/<int:n>", f"nested{i}", make_nested_view(i))

    assert len([r for r in app.url_map if r.endpoint != "static"]) == 2 * count
    for i in range(count):
        rule, values = app.url_map.match(f"/s{i}/items/{i * 7}", "GET")
        assert (rule.endpoint, values) == (f"ep{i}", {"item_id": i * 7})
        rule, values = app.url_map.match(f"/orgs/acme/r{i}/{i}", "GET")
        assert (rule.endpoint, values) == (f"nested{i}", {"org": "acme", "n": i})
    with app.test_client() as client:
        for i in range(0, count, 37):
            assert client.get(f"/s{i}/items/5").json == {"i": i, "item_id": 5, "endpoint": f"ep{i}"}
            assert client.get(f"/orgs/o{i}/r{i}/9").json == {"nested": i, "org": f"o{i}", "n": 9}
        assert client.get(f"/s{count}/items/1").status_code == 404
        assert client.get("/s1/items/x").status_code == 404
    with app.test_request_context("/"):
        for i in range(count):
            assert url_for(f"ep{i}", item_id=i) == f"/s{i}/items/{i}"


# -- hostile and unusual paths -----------------------------------------------------------


def test_huge_integer_is_404_not_500() -> None:
    app = make_app()

    @app.route("/n/<int:n>")
    async def number(n: int) -> str:
        return str(n)

    with app.test_client() as client:
        r = client.get("/n/" + "9" * 5000)
        assert r.status_code == 404
        r = client.get("/n/" + "1" * 100)  # big but within int()'s limit: fine
        assert r.status_code == 200
        assert r.text == "1" * 100


def test_percent_encoded_and_non_ascii_paths() -> None:
    app = make_app()

    @app.route("/users/<name>")
    async def user(name: str) -> object:
        return {"name": name}

    @app.route("/über/<int:n>")
    async def uber(n: int) -> str:
        return f"über {n}"

    with app.test_client() as client:
        assert client.get("/users/caf%C3%A9").json == {"name": "café"}
        assert client.get("/users/café").json == {"name": "café"}
        assert client.get("/users/hello%20world").json == {"name": "hello world"}
        assert client.get("/users/%E6%97%A5%E6%9C%AC").json == {"name": "日本"}
        # %2F is decoded before routing (as WSGI/ASGI servers do), so it is a real slash.
        assert client.get("/users/a%2Fb").status_code == 404
        assert client.get("/%C3%BCber/3").text == "über 3"
        assert client.get("/über/3").text == "über 3"


@pytest.mark.anyio
async def test_invalid_utf8_in_path_is_never_500() -> None:
    app = make_app()

    @app.route("/ids/<int:n>")
    async def ids(n: int) -> str:
        return str(n)

    @app.route("/users/<name>")
    async def user(name: str) -> object:
        return {"name": name}

    async with app.async_test_client() as client:
        assert (await client.get("/ids/%ff")).status_code == 404
        assert (await client.get("/%ff%fe")).status_code == 404
        assert (await client.get("/ids/%C0%AF")).status_code == 404
        r = await client.get("/users/%ff")
        # Undecodable bytes become U+FFFD (what servers and Werkzeug do); what matters is no 500.
        assert r.status_code in (200, 404)
        if r.status_code == 200:
            assert r.json == {"name": "\ufffd"}
        r = await client.get("/users/%")
        assert r.status_code in (200, 404)


def test_request_context_records_routing_result() -> None:
    app = make_app()

    @app.route("/users/<int:id>")
    async def user(id: int) -> str:
        return str(id)

    with app.test_request_context("/users/5"):
        assert request.endpoint == "user"
        assert request.view_args == {"id": 5}
        assert request.url_rule is not None
        assert request.url_rule.rule == "/users/<int:id>"
    with app.test_request_context("/nothing"):
        assert request.url_rule is None
        assert getattr(request.routing_exception, "code", None) == 404
    with app.test_request_context("/users/5", method="POST"):
        assert getattr(request.routing_exception, "code", None) == 405


# -- Starlette interoperability -----------------------------------------------------------


def test_routes_are_starlette_routes() -> None:
    app = make_app()

    @app.route("/users/<int:id>", methods=["GET", "POST"])
    async def user(id: int) -> str:
        return str(id)

    @app.route("/about")
    async def about() -> str:
        return "about"

    assert all(isinstance(r, StarletteRoute) for r in app.routes)
    by_name = {r.name: r for r in app.routes}
    assert set(by_name) == {"user", "about", "static"}  # every app has Flask's static route
    assert by_name["user"].path == "/users/<int:id>"
    assert {"GET", "POST"} <= set(by_name["user"].methods)
    router = Router(routes=app.routes)
    assert router.url_path_for("user", id=5) == "/users/5"
    assert router.url_path_for("about") == "/about"


@pytest.mark.anyio
async def test_routes_work_inside_a_plain_starlette_router() -> None:
    app = make_app()

    @app.route("/users/<int:id>")
    async def user(id: int) -> object:
        return {"id": id, "type": type(id).__name__, "endpoint": request.endpoint}

    @app.route("/echo/<path:rest>", methods=["POST"])
    async def echo_path(rest: str) -> str:
        return rest

    router = Router(routes=app.routes)
    transport = httpx2.ASGITransport(app=router)
    async with httpx2.AsyncClient(transport=transport, base_url="http://testserver") as client:
        r = await client.get("/users/5")
        assert r.status_code == 200
        assert r.json() == {"id": 5, "type": "int", "endpoint": "user"}
        assert (await client.get("/users/abc")).status_code == 404
        r = await client.post("/echo/a/b")
        assert (r.status_code, r.text) == (200, "a/b")
        assert (await client.get("/echo/a/b")).status_code == 405
        assert (await client.get("/nowhere")).status_code == 404


@pytest.mark.anyio
async def test_routes_work_mounted_under_a_prefix() -> None:
    app = make_app()

    @app.route("/users/<int:id>")
    async def user(id: int) -> object:
        return {"id": id, "path": request.path}

    outer = Starlette(routes=[Mount("/api", routes=app.routes)])
    transport = httpx2.ASGITransport(app=outer)
    async with httpx2.AsyncClient(transport=transport, base_url="http://testserver") as client:
        r = await client.get("/api/users/6")
        assert r.status_code == 200
        assert r.json() == {"id": 6, "path": "/users/6"}
        assert (await client.get("/users/6")).status_code == 404
