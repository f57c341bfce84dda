"""Frozen-Flask's quick start: ``Freezer(app).freeze()`` writes every page of the app into a
build folder, driving the app with its test client: the static files (the app's and a
blueprint's, found from their ``static`` endpoints), the rules without arguments, the pages
``url_for`` built while rendering, and those of ``@freezer.register_generator``; redirects
followed; ``FREEZER_BASE_URL`` (a script root, external URLs), ``FREEZER_RELATIVE_URLS``
(its ``url_for`` in the Jinja globals), its warnings (mimetype, 404, forgotten endpoints),
``freeze_yield``, and ``make_static_app()`` serving the build (it replaces the app's
``dispatch_request``). In def and async def views."""

# isort: off
import microflask.flask_patch  # noqa: F401  (first: from here on, flask is microflask)

# isort: on
import warnings
from pathlib import Path
from typing import Any

import pytest
from flask import Blueprint, Flask, abort, jsonify, redirect, render_template, url_for
from flask_frozen import Freezer, MimetypeMismatchWarning, MissingURLGeneratorWarning, NotFoundWarning

INDEX = """<link href="{{ url_for('static', filename='css/site.css') }}">
{% for id in products %}<a href="{{ url_for('product', id=id) }}">{{ id }}</a>
{% endfor %}<a href="{{ url_for('about') }}">about</a> <a href="{{ url_for('shop.home') }}">shop</a>
<a href="{{ url_for('index', _external=True) }}">home</a>"""


def site(tmp_path: Path) -> Path:
    """An app's folder: templates, static files, a blueprint's static files."""
    (tmp_path / "templates").mkdir(parents=True)
    (tmp_path / "templates" / "index.html").write_text(INDEX)
    (tmp_path / "static" / "css").mkdir(parents=True)
    (tmp_path / "static" / "css" / "site.css").write_text("body { color: red }")
    (tmp_path / "static" / "robots.txt").write_text("User-agent: *")
    (tmp_path / "shop_static").mkdir()
    (tmp_path / "shop_static" / "cart.js").write_text("cart()")
    return tmp_path


def make_app(kind: str, root: Path, **config: Any) -> tuple[Flask, Freezer]:
    app = Flask(__name__, root_path=str(root))
    app.config["FREEZER_DESTINATION"] = str(root / "build")
    app.config.update(config)
    freezer = Freezer(app)
    shop = Blueprint("shop", __name__, url_prefix="/shop", static_folder=str(root / "shop_static"))
    catalogue = {1: "tea", 2: "cups", 3: "kettles"}

    if kind == "def":

        @app.get("/")
        def index() -> str:
            return render_template("index.html", products=[1, 2])

        @app.get("/product_<int:id>/")
        def product(id: int) -> str:
            return f"<h1>{catalogue[id]}</h1>"

        @app.get("/about/")
        def about() -> str:
            return "about us"

        @app.get("/api/<int:id>.json")
        def api(id: int) -> Any:
            return jsonify(id=id, name=catalogue[id])

        @app.get("/old-about/")
        def old_about() -> Any:
            return redirect(url_for("about"))

        @shop.get("/")
        def home() -> str:
            return "the shop"

    else:

        @app.get("/")
        async def index() -> str:
            return await render_template("index.html", products=[1, 2])

        @app.get("/product_<int:id>/")
        async def product(id: int) -> str:
            return f"<h1>{catalogue[id]}</h1>"

        @app.get("/about/")
        async def about() -> str:
            return "about us"

        @app.get("/api/<int:id>.json")
        async def api(id: int) -> Any:
            return jsonify(id=id, name=catalogue[id])

        @app.get("/old-about/")
        async def old_about() -> Any:
            return redirect(url_for("about"))

        @shop.get("/")
        async def home() -> str:
            return "the shop"

    app.register_blueprint(shop)

    @freezer.register_generator
    def product_generator() -> Any:
        yield "product", {"id": 3}  # an (endpoint, values) pair

    @freezer.register_generator
    def api() -> Any:  # dicts: the endpoint is the generator's name
        for id in catalogue:
            yield {"id": id}

    return app, freezer


def files(build: Path) -> dict[str, str]:
    return {str(p.relative_to(build)): p.read_text() for p in sorted(build.rglob("*")) if p.is_file()}


@pytest.fixture(params=["def", "async"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_freeze_writes_every_page(kind: str, tmp_path: Path) -> None:
    _, freezer = make_app(kind, site(tmp_path))
    urls = freezer.freeze()
    assert urls == {
        "/",
        "/about/",
        "/old-about/",
        "/product_1/",  # found by url_for while the index rendered
        "/product_2/",
        "/product_3/",  # from the generator
        "/api/1.json",
        "/api/2.json",
        "/api/3.json",
        "/shop/",
        "/static/css/site.css",
        "/static/robots.txt",
        "/shop/shop_static/cart.js",  # the blueprint's static folder
    }
    built = files(tmp_path / "build")
    assert set(built) == {
        "index.html",
        "about/index.html",
        "old-about/index.html",
        "product_1/index.html",
        "product_2/index.html",
        "product_3/index.html",
        "api/1.json",
        "api/2.json",
        "api/3.json",
        "shop/index.html",
        "static/css/site.css",
        "static/robots.txt",
        "shop/shop_static/cart.js",
    }
    assert '<link href="/static/css/site.css">' in built["index.html"]
    assert '<a href="/product_2/">2</a>' in built["index.html"]
    assert '<a href="http://localhost/">home</a>' in built["index.html"]
    assert built["product_3/index.html"] == "<h1>kettles</h1>"
    assert built["api/2.json"].strip() == '{"id":2,"name":"cups"}'
    assert built["old-about/index.html"] == "about us"  # the redirect was followed
    assert built["static/css/site.css"] == "body { color: red }"
    assert built["shop/shop_static/cart.js"] == "cart()"


def test_a_base_url_and_relative_urls(kind: str, tmp_path: Path) -> None:
    _, freezer = make_app(kind, site(tmp_path), FREEZER_BASE_URL="https://example.com/site/")
    freezer.freeze()
    index = (tmp_path / "build" / "index.html").read_text()
    assert '<link href="/site/static/css/site.css">' in index
    assert '<a href="/site/product_1/">1</a>' in index
    assert '<a href="https://example.com/site/">home</a>' in index

    _, freezer = make_app(kind, site(tmp_path / "relative"), FREEZER_RELATIVE_URLS=True)
    freezer.freeze()
    index = (tmp_path / "relative" / "build" / "index.html").read_text()
    assert '<link href="static/css/site.css">' in index
    assert '<a href="product_1/index.html">1</a>' in index
    assert '<a href="shop/index.html">shop</a>' in index
    assert '<a href="http://localhost/">home</a>' in index  # external URLs stay as they are


def test_its_warnings_and_the_ignored_404(kind: str, tmp_path: Path) -> None:
    app, freezer = make_app(kind, site(tmp_path), FREEZER_IGNORE_404_NOT_FOUND=True)

    @app.get("/feed")
    def feed() -> str:  # no extension: served as HTML, saved as a file with no type
        return "<rss/>"

    @app.get("/later/")
    def later() -> str:
        abort(404)

    @app.get("/item/<int:id>/")
    def item(id: int) -> str:  # nothing links to it, no generator
        return str(id)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pages = list(freezer.freeze_yield())
    kinds = {type(w.message) for w in caught}
    assert kinds == {MimetypeMismatchWarning, NotFoundWarning, MissingURLGeneratorWarning}
    assert "Nothing frozen for endpoints item." in str(
        next(w.message for w in caught if w.category is MissingURLGeneratorWarning)
    )
    assert ("/feed", Path("feed")) in pages
    assert (tmp_path / "build" / "feed").read_text() == "<rss/>"


def test_a_second_build_removes_the_pages_that_are_gone(kind: str, tmp_path: Path) -> None:
    _, freezer = make_app(kind, site(tmp_path))
    (tmp_path / "build" / "old").mkdir(parents=True)
    (tmp_path / "build" / "old" / "index.html").write_text("stale")
    freezer.freeze()
    assert not (tmp_path / "build" / "old").exists()
    assert "/product_3/" in set(freezer.all_urls())


def test_the_static_app_serves_the_build(kind: str, tmp_path: Path) -> None:
    _, freezer = make_app(kind, site(tmp_path))
    freezer.freeze()
    client = freezer.make_static_app().test_client()  # an app whose dispatch_request reads the build
    response = client.get("/product_1/")
    assert response.status_code == 200
    assert response.text == "<h1>tea</h1>"
    assert response.mimetype == "text/html"
    assert client.get("/api/1.json").mimetype == "application/json"
    assert client.get("/static/css/site.css").text == "body { color: red }"
    assert client.get("/nowhere/").status_code == 404
