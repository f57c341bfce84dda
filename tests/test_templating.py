"""Templates: render_template(_string), stream_template(_string), autoescaping, the template
context, context processors, filters/tests/globals (sync and async), caching and reloading."""

from __future__ import annotations

import gc
import os
from pathlib import Path
from typing import Any

import jinja2
import pytest
from markupsafe import Markup

from microflask import (
    MicroFlask,
    g,
    render_template,
    render_template_string,
    request,
    session,
    stream_template,
    stream_template_string,
)

SYNC_ASYNC = pytest.mark.parametrize("use_async", [False, True], ids=["sync", "async"])

# The xfailing tests below leave un-awaited coroutines behind: keep their warnings inside them.
UNAWAITED_OK = pytest.mark.filterwarnings(
    "ignore:coroutine .* was never awaited:RuntimeWarning",
    "ignore::pytest.PytestUnraisableExceptionWarning",
)


def make_app(tmp_path: Path, templates: dict[str, str] | None = None, **config: Any) -> MicroFlask:
    """An app rooted at ``tmp_path`` with ``templates`` written into its ``templates`` folder."""
    folder = tmp_path / "templates"
    folder.mkdir(exist_ok=True)
    for name, source in (templates or {}).items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source, encoding="utf-8")
    app = MicroFlask(__name__, root_path=str(tmp_path))
    app.config.update(config)
    return app


def rewrite(path: Path, source: str) -> None:
    """Change a template file and move its mtime clearly forward (no sleeping)."""
    before = path.stat().st_mtime
    path.write_text(source, encoding="utf-8")
    os.utime(path, (before + 10, before + 10))


# -- render_template / render_template_string ------------------------------------------------------


def test_render_template_in_async_view(tmp_path: Path) -> None:
    app = make_app(tmp_path, {"index.html": "<h1>{{ title }}</h1><p>{{ items|join(',') }}</p>"})

    @app.route("/")
    async def index() -> str:
        return await render_template("index.html", title="Hello", items=[1, 2, 3])

    with app.test_client() as client:
        r = client.get("/")
    assert r.status_code == 200
    assert r.text == "<h1>Hello</h1><p>1,2,3</p>"
    assert r.headers["content-type"] == "text/html; charset=utf-8"


def test_render_template_in_sync_view_returns_a_str(tmp_path: Path) -> None:
    app = make_app(tmp_path, {"index.html": "<h1>{{ title }}</h1>"})
    seen: list[Any] = []

    @app.route("/")
    def index() -> str:
        html = render_template("index.html", title="Sync")
        seen.append(html)
        return html

    with app.test_client() as client:
        r = client.get("/")
    assert r.text == "<h1>Sync</h1>"
    assert seen == ["<h1>Sync</h1>"]
    assert type(seen[0]) is str


@SYNC_ASYNC
def test_render_template_string(tmp_path: Path, use_async: bool) -> None:
    app = make_app(tmp_path)
    source = "{% for n in range(count) %}{{ n }}{% endfor %} {{ name }}"
    if use_async:

        @app.route("/")
        async def index() -> str:
            return await render_template_string(source, count=3, name="x")

    else:

        @app.route("/")
        def index() -> str:
            result = render_template_string(source, count=3, name="x")
            assert isinstance(result, str)
            return result

    with app.test_client() as client:
        assert client.get("/").text == "012 x"


def test_render_template_with_a_list_picks_the_first_existing(tmp_path: Path) -> None:
    app = make_app(tmp_path, {"fallback.html": "fallback"})

    @app.route("/")
    async def index() -> str:
        return await render_template(["missing.html", "fallback.html"])

    with app.test_client() as client:
        assert client.get("/").text == "fallback"


def test_unicode_template(tmp_path: Path) -> None:
    app = make_app(tmp_path, {"u.html": "héllo {{ name }} ✓"})

    @app.route("/")
    async def index() -> str:
        return await render_template("u.html", name="wörld")

    with app.test_client() as client:
        r = client.get("/")
    assert r.text == "héllo wörld ✓"
    assert r.content == "héllo wörld ✓".encode()


def test_template_inheritance_and_include(tmp_path: Path) -> None:
    app = make_app(
        tmp_path,
        {
            "base.html": "<title>{% block title %}Site{% endblock %}</title>"
            "<main>{% block body %}{% endblock %}</main>{% include 'footer.html' %}",
            "footer.html": "<footer>{{ year }}</footer>",
            "page.html": "{% extends 'base.html' %}{% block title %}{{ super() }} - Page{% endblock %}"
            "{% block body %}<p>{{ text }}</p>{% endblock %}",
            "sub/deep.html": "{% extends 'page.html' %}{% block body %}deep {{ super() }}{% endblock %}",
        },
    )

    @app.route("/page")
    async def page() -> str:
        return await render_template("page.html", text="content", year=2024)

    @app.route("/deep")
    def deep() -> str:
        return render_template("sub/deep.html", text="inner", year=2025)

    with app.test_client() as client:
        assert client.get("/page").text == (
            "<title>Site - Page</title><main><p>content</p></main><footer>2024</footer>"
        )
        assert client.get("/deep").text == (
            "<title>Site - Page</title><main>deep <p>inner</p></main><footer>2025</footer>"
        )


# -- streaming -------------------------------------------------------------------------------------


def test_stream_template_in_async_view(tmp_path: Path) -> None:
    app = make_app(
        tmp_path,
        {
            "base.html": "<ul>{% block items %}{% endblock %}</ul>",
            "list.html": "{% extends 'base.html' %}{% block items %}"
            "{% for i in items %}<li>{{ i }}</li>{% endfor %}{% endblock %}",
        },
    )

    @app.route("/")
    async def index() -> Any:
        return await stream_template("list.html", items=["a", "<b>"])

    with app.test_client() as client:
        r = client.get("/")
    assert r.status_code == 200
    assert r.text == "<ul><li>a</li><li>&lt;b&gt;</li></ul>"
    assert r.headers["content-type"].startswith("text/html")


def test_stream_template_string_in_async_view_sees_the_request(tmp_path: Path) -> None:
    app = make_app(tmp_path)

    @app.route("/stream")
    async def index() -> Any:
        return await stream_template_string(
            "{% for i in range(n) %}{{ i }};{% endfor %}{{ request.path }}?{{ request.args.q }}", n=4
        )

    with app.test_client() as client:
        r = client.get("/stream?q=<x>")
    assert r.status_code == 200
    assert r.text == "0;1;2;3;/stream?&lt;x&gt;"


def test_stream_template_in_sync_view(tmp_path: Path) -> None:
    app = make_app(tmp_path, {"page.html": "<p>{{ word }}</p>"})

    @app.route("/file")
    def from_file() -> Any:
        return stream_template("page.html", word="sync")

    @app.route("/string")
    def from_string() -> Any:
        return stream_template_string("<i>{{ word }}</i>", word="also")

    with app.test_client() as client:
        assert client.get("/file").text == "<p>sync</p>"
        assert client.get("/string").text == "<i>also</i>"


def test_stream_template_runs_async_context_processors(tmp_path: Path) -> None:
    app = make_app(tmp_path)

    @app.context_processor
    async def user() -> dict[str, Any]:
        return {"user": "ann"}

    @app.route("/")
    async def index() -> Any:
        return await stream_template_string("hi {{ user }}")

    with app.test_client() as client:
        assert client.get("/").text == "hi ann"


@pytest.mark.anyio
async def test_stream_template_with_async_client(tmp_path: Path) -> None:
    app = make_app(tmp_path, {"big.html": "{% for i in range(1000) %}<p>{{ i }}</p>\n{% endfor %}"})

    @app.route("/")
    async def index() -> Any:
        return await stream_template("big.html")

    async with app.async_test_client() as client:
        r = await client.get("/")
    assert r.status_code == 200
    assert r.text == "".join(f"<p>{i}</p>\n" for i in range(1000))


# -- autoescaping ------------------------------------------------------------------------------------


@pytest.mark.parametrize("ext", ["html", "htm", "xml", "xhtml", "svg"])
def test_autoescape_for_markup_extensions(tmp_path: Path, ext: str) -> None:
    app = make_app(tmp_path, {f"t.{ext}": "{{ value }}|{{ safe_value }}|{{ value|safe }}"})

    @app.route("/")
    async def index() -> str:
        return await render_template(f"t.{ext}", value="<b>&'\"", safe_value=Markup("<i>ok</i>"))

    with app.test_client() as client:
        assert client.get("/").text == "&lt;b&gt;&amp;&#39;&#34;|<i>ok</i>|<b>&'\""


def test_no_autoescape_for_txt(tmp_path: Path) -> None:
    app = make_app(tmp_path, {"mail.txt": "Hello {{ name }} & co"})

    @app.route("/")
    async def index() -> str:
        return await render_template("mail.txt", name="<Ann>")

    with app.test_client() as client:
        assert client.get("/").text == "Hello <Ann> & co"


@SYNC_ASYNC
def test_autoescape_for_string_templates(tmp_path: Path, use_async: bool) -> None:
    app = make_app(tmp_path)
    source = "{{ v }} {{ v|safe }} {% autoescape false %}{{ v }}{% endautoescape %}"

    if use_async:

        @app.route("/")
        async def index() -> str:
            return await render_template_string(source, v="<script>")

    else:

        @app.route("/")
        def index() -> str:
            return render_template_string(source, v="<script>")

    with app.test_client() as client:
        assert client.get("/").text == "&lt;script&gt; <script> <script>"


# -- the template context ----------------------------------------------------------------------------


@SYNC_ASYNC
def test_template_context_has_request_session_g_config_url_for(tmp_path: Path, use_async: bool) -> None:
    app = make_app(
        tmp_path,
        {
            "ctx.html": "{{ request.method }} {{ request.path }} {{ request.args.q }}|{{ session.user }}"
            "|{{ g.who }}|{{ config.GREETING }}|{{ url_for('item', id=3) }}"
            "|{{ get_flashed_messages() }}"
        },
        SECRET_KEY="k",
        GREETING="hey",
    )

    @app.route("/item/<int:id>")
    async def item(id: int) -> str:
        return str(id)

    if use_async:

        @app.route("/ctx")
        async def ctx_view() -> str:
            session["user"] = "ann"
            g.who = "gee"
            return await render_template("ctx.html")

    else:

        @app.route("/ctx")
        def ctx_view() -> str:
            session["user"] = "ann"
            g.who = "gee"
            return render_template("ctx.html")

    with app.test_client() as client:
        r = client.get("/ctx?q=find")
    assert r.status_code == 200
    assert r.text == "GET /ctx find|ann|gee|hey|/item/3|[]"


def test_template_context_request_proxy_is_the_current_request(tmp_path: Path) -> None:
    app = make_app(tmp_path)

    @app.route("/<name>")
    async def index(name: str) -> str:
        return await render_template_string("{{ request.view_args.name }} {{ request is defined }}")

    with app.test_client() as client:
        assert client.get("/one").text == "one True"
        assert client.get("/two").text == "two True"


@SYNC_ASYNC
def test_context_processor_values_are_in_the_context(tmp_path: Path, use_async: bool) -> None:
    app = make_app(tmp_path, {"p.html": "{{ site }}-{{ user }}-{{ extra() }}"})

    if use_async:

        @app.context_processor
        async def proc() -> dict[str, Any]:
            return {"site": "S", "user": "processor", "extra": lambda: "E"}

    else:

        @app.context_processor
        def proc() -> dict[str, Any]:
            return {"site": "S", "user": "processor", "extra": lambda: "E"}

    @app.route("/")
    async def index() -> str:
        return await render_template("p.html")

    @app.route("/explicit")
    async def explicit() -> str:
        return await render_template("p.html", user="explicit")

    with app.test_client() as client:
        assert client.get("/").text == "S-processor-E"
        assert client.get("/explicit").text == "S-explicit-E"


def test_sync_and_async_context_processors_together_later_ones_win(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    calls: list[str] = []

    @app.context_processor
    def first() -> dict[str, Any]:
        calls.append("first")
        return {"a": 1, "shared": "first"}

    @app.context_processor
    async def second() -> dict[str, Any]:
        calls.append("second")
        return {"b": 2, "shared": "second"}

    @app.route("/")
    async def index() -> str:
        return await render_template_string("{{ a }}{{ b }}{{ shared }}")

    with app.test_client() as client:
        assert client.get("/").text == "12second"
    assert calls == ["first", "second"]


def test_context_processor_in_sync_view(tmp_path: Path) -> None:
    app = make_app(tmp_path)

    @app.context_processor
    def proc() -> dict[str, Any]:
        return {"path": request.path}

    @app.route("/sync")
    def index() -> str:
        return render_template_string("{{ path }} {{ mine }}", mine="m")

    with app.test_client() as client:
        assert client.get("/sync").text == "/sync m"


def test_async_context_processor_in_sync_view(tmp_path: Path) -> None:
    app = make_app(tmp_path)

    @app.context_processor
    async def proc() -> dict[str, Any]:
        return {"who": "async-proc"}

    @app.route("/")
    def index() -> str:
        return render_template_string("{{ who }}")

    with app.test_client() as client:
        r = client.get("/")
    assert (r.status_code, r.text) == (200, "async-proc")


# -- filters, tests, globals ---------------------------------------------------------------------------


def test_template_filter_decorators_and_add(tmp_path: Path) -> None:
    app = make_app(tmp_path)

    @app.template_filter()
    def reverse(s: str) -> str:
        return s[::-1]

    @app.template_filter("shout")
    def make_loud(s: str) -> str:
        return s.upper() + "!"

    def double(s: str) -> str:
        return s * 2

    app.add_template_filter(double)
    app.add_template_filter(lambda s, n: s[:n], "first")

    @app.route("/")
    async def index() -> str:
        return await render_template_string(
            "{{ 'abc'|reverse }} {{ 'hi'|shout }} {{ 'xy'|double }} {{ 'hello'|first(2) }}"
        )

    assert app.template_filters["reverse"] is reverse
    assert app.template_filters["shout"] is make_loud
    assert "make_loud" not in app.template_filters
    with app.test_client() as client:
        assert client.get("/").text == "cba HI! xyxy he"


def test_template_test_decorators_and_add(tmp_path: Path) -> None:
    app = make_app(tmp_path)

    @app.template_test()
    def even(n: int) -> bool:
        return n % 2 == 0

    @app.template_test("big")
    def is_big(n: int) -> bool:
        return n > 100

    app.add_template_test(lambda s: s.startswith("a"), "a_word")

    @app.route("/")
    async def index() -> str:
        return await render_template_string(
            "{{ [1, 2, 3, 4]|select('even')|list }} {{ 500 is big }} {{ 5 is big }} {{ 'apple' is a_word }}"
            "{% if 7 is not even %} odd{% endif %}"
        )

    assert set(app.template_tests) == {"even", "big", "a_word"}
    with app.test_client() as client:
        assert client.get("/").text == "[2, 4] True False True odd"


def test_template_global_decorators_and_add(tmp_path: Path) -> None:
    app = make_app(tmp_path, {"g.html": "{{ answer() }} {{ plus(1, 2) }} {{ site_name() }}"})

    @app.template_global()
    def answer() -> int:
        return 42

    @app.template_global("plus")
    def add(a: int, b: int) -> int:
        return a + b

    def site_name() -> str:
        return "MySite"

    app.add_template_global(site_name)

    @app.route("/")
    def index() -> str:
        return render_template("g.html")

    assert app.jinja_env.globals["plus"] is add
    with app.test_client() as client:
        assert client.get("/").text == "42 3 MySite"


def test_filter_registered_after_jinja_env_exists(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    env = app.jinja_env
    assert "url_for" in env.globals and "get_flashed_messages" in env.globals

    @app.template_filter("twice")
    def twice(s: str) -> str:
        return s + s

    assert env.filters["twice"] is twice

    @app.route("/")
    async def index() -> str:
        return await render_template_string("{{ 'ab'|twice }}")

    with app.test_client() as client:
        assert client.get("/").text == "abab"


@SYNC_ASYNC
def test_async_filter_and_global(tmp_path: Path, use_async: bool) -> None:
    app = make_app(tmp_path, {"a.html": "{{ name|fancy }} {{ lookup(3) }} {{ 'x'|upper }}"})

    @app.template_filter()
    async def fancy(s: str) -> str:
        return f"*{s}*"

    @app.template_global()
    async def lookup(n: int) -> str:
        return f"item{n}"

    if use_async:

        @app.route("/")
        async def index() -> str:
            return await render_template("a.html", name="ann")

    else:

        @app.route("/")
        def index() -> str:
            return render_template("a.html", name="ann")

    with app.test_client() as client:
        r = client.get("/")
    assert (r.status_code, r.text) == (200, "*ann* item3 X")


def test_async_filter_escapes_its_result(tmp_path: Path) -> None:
    app = make_app(tmp_path)

    @app.template_filter()
    async def wrap(s: str) -> str:
        return f"<{s}>"

    @app.route("/")
    async def index() -> str:
        return await render_template_string("{{ 'a'|wrap }} {{ 'b'|wrap|safe }}")

    with app.test_client() as client:
        assert client.get("/").text == "&lt;a&gt; <b>"


def test_async_template_test(tmp_path: Path) -> None:
    app = make_app(tmp_path)

    @app.template_test()
    async def allowed(name: str) -> bool:
        return name == "ann"

    @app.route("/<name>")
    async def index(name: str) -> str:
        return await render_template_string("{% if name is allowed %}yes{% else %}no{% endif %}", name=name)

    with app.test_client() as client:
        assert client.get("/ann").text == "yes"
        assert client.get("/bob").text == "no"


def test_async_function_as_context_value(tmp_path: Path) -> None:
    app = make_app(tmp_path)

    async def fetch() -> str:
        return "fetched"

    async def fetch_html() -> str:
        return "<x>"

    @app.route("/")
    async def index() -> str:
        return await render_template_string("{{ fetch() }} {{ fetch_html() }}", fetch=fetch, fetch_html=fetch_html)

    with app.test_client() as client:
        assert client.get("/").text == "fetched &lt;x&gt;"


def test_object_with_async_method_in_template(tmp_path: Path) -> None:
    app = make_app(tmp_path, {"user.html": "{{ user.name }}: {{ user.load_bio() }}"})

    class User:
        name = "ann"

        async def load_bio(self) -> str:
            return "likes tests"

    @app.route("/")
    async def index() -> str:
        return await render_template("user.html", user=User())

    with app.test_client() as client:
        assert client.get("/").text == "ann: likes tests"


@pytest.mark.anyio
async def test_async_values_with_async_client(tmp_path: Path) -> None:
    app = make_app(tmp_path)

    async def fetch() -> int:
        return 7

    @app.route("/")
    async def index() -> str:
        return await render_template_string("{{ fetch() }}", fetch=fetch)

    async with app.async_test_client() as client:
        r = await client.get("/")
    assert r.text == "7"


@UNAWAITED_OK
def test_async_context_value_in_for_loop(tmp_path: Path) -> None:
    app = make_app(tmp_path)

    async def items() -> list[int]:
        return [1, 2, 3]

    @app.route("/")
    async def index() -> str:
        return await render_template_string("{% for i in items() %}{{ i }}{% endfor %}", items=items)

    with app.test_client() as client:
        r = client.get("/")
    gc.collect()
    assert (r.status_code, r.text) == (200, "123")


@UNAWAITED_OK
def test_attribute_of_async_method_result(tmp_path: Path) -> None:
    app = make_app(tmp_path)

    class User:
        async def profile(self) -> dict[str, str]:
            return {"name": "ann"}

    @app.route("/")
    async def index() -> str:
        return await render_template_string("[{{ user.profile().name }}]", user=User())

    with app.test_client() as client:
        r = client.get("/")
    gc.collect()
    assert r.text == "[ann]"


@UNAWAITED_OK
def test_async_context_value_in_if(tmp_path: Path) -> None:
    app = make_app(tmp_path)

    async def is_admin() -> bool:
        return False

    @app.route("/")
    async def index() -> str:
        return await render_template_string("{% if is_admin() %}admin{% else %}user{% endif %}", is_admin=is_admin)

    with app.test_client() as client:
        r = client.get("/")
    gc.collect()
    assert r.text == "user"


@UNAWAITED_OK
def test_sync_filter_on_async_context_value(tmp_path: Path) -> None:
    app = make_app(tmp_path)

    async def fetch() -> str:
        return "loud"

    @app.route("/")
    async def index() -> str:
        return await render_template_string("{{ fetch()|upper }}", fetch=fetch)

    with app.test_client() as client:
        r = client.get("/")
    gc.collect()
    assert r.text == "LOUD"


@UNAWAITED_OK
def test_each_expression_evaluated_once_with_async_values(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    calls: list[int] = []

    def counter() -> int:
        calls.append(1)
        return len(calls)

    async def fetch() -> str:
        return "f"

    @app.route("/")
    async def index() -> str:
        return await render_template_string("{{ counter() }} {{ fetch() }}", counter=counter, fetch=fetch)

    with app.test_client() as client:
        r = client.get("/")
    gc.collect()
    assert r.text == "1 f"
    assert calls == [1]


@UNAWAITED_OK
def test_async_context_value_in_sync_view(tmp_path: Path) -> None:
    app = make_app(tmp_path)

    async def fetch() -> str:
        return "f"

    @app.route("/")
    def index() -> str:
        return render_template_string("{{ fetch() }}", fetch=fetch)

    with app.test_client() as client:
        r = client.get("/")
    gc.collect()
    assert (r.status_code, r.text) == (200, "f")


def test_jinja_options_finalize_applies(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    app.jinja_options = {"finalize": lambda v: "" if v is None else v}

    async def fetch() -> None:
        return None

    @app.route("/")
    async def index() -> str:
        return await render_template_string("[{{ nothing }}][{{ fetch() }}]", nothing=None, fetch=fetch)

    with app.test_client() as client:
        assert client.get("/").text == "[][]"


@pytest.mark.parametrize("own_environment", [False, True], ids=["microflask", "plain-jinja-class"])
@SYNC_ASYNC
def test_an_async_function_nested_in_a_dict_is_awaited(tmp_path: Path, own_environment: bool, use_async: bool) -> None:
    """Only the sync render's output check sees this one (the dict hides it from the up-front
    check); with an environment class of the user's own the check runs as ``finalize``."""
    app = make_app(tmp_path)
    if own_environment:

        class PlainEnvironment(jinja2.Environment):
            def __init__(self, app: MicroFlask, **options: Any) -> None:
                super().__init__(**options)

        app.jinja_environment = PlainEnvironment  # type: ignore[assignment]

    async def fetch() -> str:
        return "<fetched>"

    source = "{{ services.fetch() }}|{% for f in [services.fetch] %}{{ f() }}{% endfor %}"
    if use_async:

        @app.route("/")
        async def index() -> str:
            return await render_template_string(source, services={"fetch": fetch})

    else:

        @app.route("/")
        def index() -> str:
            return render_template_string(source, services={"fetch": fetch})

    with app.test_client() as client:
        r = client.get("/")
    gc.collect()  # an un-awaited coroutine left behind would warn here (warnings are errors)
    assert (r.status_code, r.text) == (200, "&lt;fetched&gt;|&lt;fetched&gt;")


def test_the_awaitable_check_is_compiled_into_sync_templates(tmp_path: Path) -> None:
    """No ``finalize`` call per ``{{ ... }}`` in the sync compilation (it cost 7% of a page):
    the check is inline; the async twin awaits by itself and has none."""
    from microflask.templating import async_twin

    app = make_app(tmp_path)
    with app.app_context():
        assert app.jinja_env.finalize is None
        source = app.jinja_env.compile("{{ x }}", raw=True)
        assert "_mf_refuse" in source and "environment.finalize(" not in source
        assert "_mf_refuse" not in async_twin(app).compile("{{ x }}", raw=True)


class Profile(dict[str, Any]):
    @property
    def name(self) -> str:
        return "the attribute"


@SYNC_ASYNC
def test_dict_attributes_in_templates_read_as_in_jinja(tmp_path: Path, use_async: bool) -> None:
    """``{{ row.key }}`` on a plain dict reads the key without trying the attribute first; the
    answers stay Jinja's: a dict method's name gives the method, a subclass's attribute wins,
    a missing key is undefined (an error under StrictUndefined)."""
    app = make_app(tmp_path)
    source = "{{ row.name }}|{{ row.items is callable }}|{{ row.missing }}|{{ profile.name }}|{{ row.get('name') }}"
    render = {"row": {"name": "ann", "items": "a key"}, "profile": Profile(name="the key")}

    @app.route("/")
    async def index() -> str:
        if use_async:

            async def later() -> str:  # an async value: the async compilation renders
                return ""

            return await render_template_string(source + "{{ later() }}", later=later, **render)
        return await render_template_string(source, **render)

    with app.test_client() as client:
        assert client.get("/").text == "ann|True||the attribute|ann"
    app.jinja_env.undefined = jinja2.StrictUndefined
    with app.test_request_context("/"), pytest.raises(jinja2.UndefinedError, match="missing"):
        app.jinja_env.from_string("{{ row.missing }}").render(row={})


class Loaded:
    """Attributes of several kinds for the differential test below."""

    plain = "p"
    child: Any = None

    @property
    def failing(self) -> str:
        raise AttributeError("computed elsewhere")

    def __getitem__(self, key: str) -> str:
        return f"item:{key}"


def _attribute_contexts() -> dict[str, Any]:
    nested = Loaded()
    nested.child = {"leaf": {"name": "<deep>"}}
    return {"obj": nested, "row": {"name": "ann", "keys": "k"}, "rows": [{"n": 1}, {"n": 2}], "profile": Profile()}


ATTRIBUTE_SOURCES = [
    "{{ obj.plain }}|{{ obj.failing }}|{{ obj.nothing }}",  # attribute; AttributeError -> item
    "{{ obj.child.leaf.name }}|{{ obj.child.leaf.missing }}|{{ obj.child.leaf.name.upper() }}",
    "{{ row.name }}|{{ row.keys()|join(',') }}|{{ row.values is callable }}|{{ row.absent }}",
    "{{ (missing_var|default({})).attr }}|{{ (row.name|default('x')).upper() }}",
    "{% for r in rows %}{{ r.n }}{{ loop.index }}{{ loop.cycle('a', 'b') }}{% endfor %}",
    "{% set ns = namespace(total=0) %}{% for r in rows %}{% set ns.total = ns.total + r.n %}{% endfor %}{{ ns.total }}",
    "{% macro show(x) %}[{{ x.name }}]{% endmacro %}{{ show(row) }}{{ show(profile) }}",
    "{{ (row.name ~ obj.plain)|upper }}{{ row.name if row.name else 'none' }}{{ [row.name, obj.plain]|join(',') }}",
]


@pytest.mark.parametrize("source", ATTRIBUTE_SOURCES)
def test_attribute_reads_answer_as_raw_jinja(tmp_path: Path, source: str) -> None:
    """The sync compilation reads ``obj.name`` its own way (inline, dicts directly): every
    answer is the one plain Jinja gives, for the same template and values."""
    expected = jinja2.Environment(autoescape=True).from_string(source).render(_attribute_contexts())
    app = make_app(tmp_path)
    with app.app_context():
        assert render_template_string(source, **_attribute_contexts()) == expected


def test_an_environment_overriding_getattr_is_called(tmp_path: Path) -> None:
    from microflask.templating import Environment

    class Audited(Environment):
        def getattr(self, obj: Any, attribute: str) -> Any:
            return f"audited {attribute}"

    app = make_app(tmp_path)
    app.jinja_environment = Audited
    with app.app_context():
        assert render_template_string("{{ row.name }}", row={"name": "ann"}) == "audited name"


# -- caching and auto reload ------------------------------------------------------------------------


def _reload_app(tmp_path: Path, **config: Any) -> tuple[MicroFlask, Path]:
    app = make_app(tmp_path, {"page.html": "version one"}, **config)

    @app.route("/")
    async def index() -> str:
        return await render_template("page.html")

    @app.route("/sync")
    def sync_index() -> str:
        return render_template("page.html")

    return app, tmp_path / "templates" / "page.html"


@pytest.mark.parametrize("path", ["/", "/sync"])
def test_templates_are_cached_without_auto_reload(tmp_path: Path, path: str) -> None:
    app, template = _reload_app(tmp_path)
    assert app.templates_auto_reload is False
    with app.test_client() as client:
        assert client.get(path).text == "version one"
        rewrite(template, "version two")
        assert client.get(path).text == "version one"


def test_template_file_is_not_reread_when_cached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app, _ = _reload_app(tmp_path)
    loads: list[str] = []
    loader = app.jinja_loader
    original = loader.get_source

    def counting_get_source(environment: Any, name: str) -> Any:
        loads.append(name)
        return original(environment, name)

    monkeypatch.setattr(loader, "get_source", counting_get_source)
    with app.test_client() as client:
        for _ in range(3):
            assert client.get("/").text == "version one"
    assert loads == ["page.html"]


@pytest.mark.parametrize(
    "config",
    [{"TEMPLATES_AUTO_RELOAD": True}, {"DEBUG": True}],
    ids=["TEMPLATES_AUTO_RELOAD", "DEBUG"],
)
@pytest.mark.parametrize("path", ["/", "/sync"])
def test_auto_reload_picks_up_changed_templates(tmp_path: Path, config: dict[str, Any], path: str) -> None:
    app, template = _reload_app(tmp_path, **config)
    assert app.templates_auto_reload is True
    with app.test_client() as client:
        assert client.get(path).text == "version one"
        rewrite(template, "version two")
        assert client.get(path).text == "version two"
        rewrite(template, "version three")
        assert client.get(path).text == "version three"


def test_auto_reload_off_wins_over_debug(tmp_path: Path) -> None:
    app, template = _reload_app(tmp_path, DEBUG=True, TEMPLATES_AUTO_RELOAD=False)
    assert app.templates_auto_reload is False
    with app.test_client() as client:
        assert client.get("/").text == "version one"
        rewrite(template, "version two")
        assert client.get("/").text == "version one"


def test_jinja_env_auto_reload_attribute(tmp_path: Path) -> None:
    """The common Flask idiom ``app.jinja_env.auto_reload = True``."""
    app, template = _reload_app(tmp_path)
    app.jinja_env.auto_reload = True
    with app.test_client() as client:
        assert client.get("/").text == "version one"
        rewrite(template, "version two")
        assert client.get("/").text == "version two"


def test_setting_debug_after_jinja_env_exists_turns_on_reload(tmp_path: Path) -> None:
    app, template = _reload_app(tmp_path)
    assert app.jinja_env.auto_reload is False
    app.debug = True
    with app.test_client() as client:
        assert client.get("/").text == "version one"
        rewrite(template, "version two")
        assert client.get("/").text == "version two"


@pytest.mark.parametrize("auto_reload", [True, False])
def test_auto_reload_with_async_filters(tmp_path: Path, auto_reload: bool) -> None:
    """The async compilation of the environment follows the same reload setting."""
    app = make_app(tmp_path, {"page.html": "{{ 'one'|slow }}"}, TEMPLATES_AUTO_RELOAD=auto_reload)

    @app.template_filter()
    async def slow(s: str) -> str:
        return s.upper()

    @app.route("/")
    async def index() -> str:
        return await render_template("page.html")

    with app.test_client() as client:
        assert client.get("/").text == "ONE"
        rewrite(tmp_path / "templates" / "page.html", "{{ 'two'|slow }}")
        assert client.get("/").text == ("TWO" if auto_reload else "ONE")


# -- errors and contexts ------------------------------------------------------------------------------


def test_missing_template_is_a_500(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    app = make_app(tmp_path)

    @app.route("/")
    async def index() -> str:
        return await render_template("nope.html")

    with app.test_client() as client:
        r = client.get("/")
    assert r.status_code == 500
    assert "nope.html" not in r.text
    errors = [rec for rec in caplog.records if rec.exc_info]
    assert errors and isinstance(errors[-1].exc_info[1], jinja2.TemplateNotFound)  # type: ignore[index]


@SYNC_ASYNC
def test_missing_template_raises_template_not_found_when_testing(tmp_path: Path, use_async: bool) -> None:
    app = make_app(tmp_path, TESTING=True)

    if use_async:

        @app.route("/")
        async def index() -> str:
            return await render_template("nope.html")

    else:

        @app.route("/")
        def index() -> str:
            return render_template("nope.html")

    with app.test_client() as client, pytest.raises(jinja2.TemplateNotFound) as info:
        client.get("/")
    assert info.value.name == "nope.html"


def test_missing_template_in_request_context(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    with app.test_request_context("/"), pytest.raises(jinja2.TemplateNotFound):
        render_template("missing.html")


def test_render_in_app_context_after_a_request_rendered(tmp_path: Path) -> None:
    app = make_app(tmp_path, {"mail.txt": "Dear {{ name }}"})
    with app.test_request_context("/"):
        assert render_template_string("warm") == "warm"
    with app.app_context():
        assert render_template("mail.txt", name="Ann") == "Dear Ann"


def test_render_in_app_context_without_request(tmp_path: Path) -> None:
    app = make_app(tmp_path, {"mail.txt": "Dear {{ name }}, {{ config.SITE }}"}, SITE="example")
    with app.app_context():
        with pytest.raises(jinja2.TemplateNotFound):
            render_template("missing.html")
        assert render_template("mail.txt", name="Ann") == "Dear Ann, example"
        assert render_template_string("{{ x }}<", x="<") == "&lt;<"


@pytest.mark.anyio
async def test_render_in_async_app_context_without_request(tmp_path: Path) -> None:
    app = make_app(tmp_path, {"mail.html": "Dear {{ name }}"})

    @app.template_filter()
    async def title(s: str) -> str:
        return s.title()

    async with app.app_context():
        assert await render_template("mail.html", name="ann") == "Dear ann"
        assert await render_template_string("{{ name|title }}", name="bob") == "Bob"


def test_render_outside_any_context_is_an_error(tmp_path: Path) -> None:
    make_app(tmp_path, {"a.html": "a"})
    with pytest.raises(RuntimeError):
        render_template("a.html")
    with pytest.raises(RuntimeError):
        render_template_string("a")


def test_template_error_in_view_is_a_500(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    app = make_app(tmp_path, {"broken.html": "{% for x in %}"})

    @app.route("/")
    async def index() -> str:
        return await render_template("broken.html")

    with app.test_client() as client:
        r = client.get("/")
    assert r.status_code == 500
    assert any(rec.exc_info and isinstance(rec.exc_info[1], jinja2.TemplateSyntaxError) for rec in caplog.records)
