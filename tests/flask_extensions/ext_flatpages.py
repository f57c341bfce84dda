"""Flask-FlatPages' quick start: ``FlatPages(app)`` reads the pages of a folder (YAML meta, then
a Markdown body), ``pages.get_or_404(path)`` in a view, the page rendered by
``pygmented_markdown`` (Markdown with code highlighting) in a template, the pages listed and
sorted by their meta; ``FLATPAGES_AUTO_RELOAD`` off, on, and "if debug" (from its
before_request hook); a second, named instance with its own config keys. In def and async def
views."""

# isort: off
import microflask.flask_patch  # noqa: F401  (first: from here on, flask is microflask)

# isort: on
import datetime
import os
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, render_template
from flask_flatpages import FlatPages, pygments_style_defs

HELLO = """title: Hello World
date: 2024-01-02
tags: [intro, news]

# Hello

Some *text*.

    :::python
    print("hi")
"""

SECOND = """title: Second post
date: 2024-03-04

Body **two**.
"""

INDEX = (
    "<ul>{% for page in pages %}"
    "<li><a href=\"{{ url_for('page', path=page.path) }}\">{{ page.title }}</a> {{ page.date }}</li>"
    "{% endfor %}</ul>"
)
PAGE = """<h1>{{ page.title }}</h1><p>{{ page.tags|join(', ') }}</p>{{ page }}"""


def site(tmp_path: Path) -> Path:
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "index.html").write_text(INDEX)
    (tmp_path / "templates" / "page.html").write_text(PAGE)
    (tmp_path / "pages" / "blog").mkdir(parents=True)
    (tmp_path / "pages" / "hello.md").write_text(HELLO)
    (tmp_path / "pages" / "blog" / "second.md").write_text(SECOND)
    (tmp_path / "pages" / "draft.txt").write_text("not a page: another extension")
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "todo.md").write_text("title: To do\n\nBuy *tea*.\n")
    return tmp_path


def make_app(kind: str, root: Path, **config: Any) -> tuple[Flask, FlatPages]:
    app = Flask(__name__, root_path=str(root))
    app.config.update({"FLATPAGES_EXTENSION": ".md", "FLATPAGES_AUTO_RELOAD": False, **config})
    app.config.update(FLATPAGES_NOTES_ROOT="notes", FLATPAGES_NOTES_EXTENSION=".md", FLATPAGES_NOTES_AUTO_RELOAD=False)
    pages = FlatPages(app)
    notes = FlatPages(app, name="notes")

    def newest_first() -> list[Any]:
        return sorted(pages, key=lambda p: p.meta["date"], reverse=True)

    if kind == "def":

        @app.get("/")
        def index() -> str:
            return render_template("index.html", pages=newest_first())

        @app.get("/<path:path>/")
        def page(path: str) -> str:
            return render_template("page.html", page=pages.get_or_404(path))

        @app.get("/notes/<name>")
        def note(name: str) -> str:
            return notes.get_or_404(name).html

    else:

        @app.get("/")
        async def index() -> str:
            return await render_template("index.html", pages=newest_first())

        @app.get("/<path:path>/")
        async def page(path: str) -> str:
            return await render_template("page.html", page=pages.get_or_404(path))

        @app.get("/notes/<name>")
        async def note(name: str) -> str:
            return notes.get_or_404(name).html

    @app.get("/pygments.css")
    def pygments_css() -> Any:
        return pygments_style_defs("tango"), 200, {"Content-Type": "text/css"}

    return app, pages


@pytest.fixture(params=["def", "async"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_pages_render_with_their_meta_and_markdown(kind: str, tmp_path: Path) -> None:
    app, pages = make_app(kind, site(tmp_path))
    client = app.test_client()
    response = client.get("/hello/")
    assert response.status_code == 200
    assert response.text.startswith("<h1>Hello World</h1><p>intro, news</p><h1>Hello</h1>\n<p>Some <em>text</em>.</p>")
    assert '<div class="codehilite"><pre>' in response.text  # pygmented: the code block is highlighted
    assert '<span class="nb">print</span>' in response.text
    assert client.get("/blog/second/").text == "<h1>Second post</h1><p></p><p>Body <strong>two</strong>.</p>"
    assert client.get("/draft/").status_code == 404  # .txt is not a page here
    assert client.get("/missing/").status_code == 404
    assert ".codehilite .nb" in client.get("/pygments.css").text
    with app.app_context():
        hello = pages.get("hello")
        assert hello.meta == {"title": "Hello World", "date": datetime.date(2024, 1, 2), "tags": ["intro", "news"]}
        assert hello["title"] == "Hello World"
        assert pages.get("nope", "default") == "default"


def test_the_pages_listed_in_a_template(kind: str, tmp_path: Path) -> None:
    app, _ = make_app(kind, site(tmp_path))
    assert app.test_client().get("/").text == (
        '<ul><li><a href="/blog/second/">Second post</a> 2024-03-04</li>'
        '<li><a href="/hello/">Hello World</a> 2024-01-02</li></ul>'
    )


def test_a_named_instance_reads_its_own_folder(kind: str, tmp_path: Path) -> None:
    app, _ = make_app(kind, site(tmp_path))
    assert app.test_client().get("/notes/todo").text == "<p>Buy <em>tea</em>.</p>"


def edit(path: Path, text: str) -> None:
    """Change a page, with an mtime clearly after the one loaded (FlatPages compares them)."""
    before = path.stat().st_mtime
    path.write_text(text)
    os.utime(path, (before + 10, before + 10))


@pytest.mark.parametrize("auto_reload", [False, True])
def test_auto_reload(kind: str, tmp_path: Path, auto_reload: bool) -> None:
    app, _ = make_app(kind, site(tmp_path), FLATPAGES_AUTO_RELOAD=auto_reload)
    client = app.test_client()
    assert "Some <em>text</em>" in client.get("/hello/").text
    edit(tmp_path / "pages" / "hello.md", "title: Hello again\n\nNew *text*.")
    (tmp_path / "pages" / "third.md").write_text("title: Third\n\nthree")
    page, third = client.get("/hello/").text, client.get("/third/")
    if auto_reload:  # its before_request hook forgot the pages: read again
        assert page == "<h1>Hello again</h1><p></p><p>New <em>text</em>.</p>"
        assert third.status_code == 200
    else:
        assert "Some <em>text</em>" in page
        assert third.status_code == 404


# "if debug" reads app.debug through FlatPages' own deprecated ``app`` property, which warns.
@pytest.mark.filterwarnings("ignore:Flask recommends accessing the app instance:DeprecationWarning")
@pytest.mark.parametrize("debug", [False, True])
def test_auto_reload_if_debug(kind: str, tmp_path: Path, debug: bool) -> None:
    app, _ = make_app(kind, site(tmp_path), FLATPAGES_AUTO_RELOAD="if debug", DEBUG=debug)
    client = app.test_client()
    client.get("/hello/")
    edit(tmp_path / "pages" / "hello.md", "title: Hello again\n\nNew.")
    assert ("Hello again" in client.get("/hello/").text) is debug
