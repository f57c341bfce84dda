"""Flask-DebugToolbar: in debug mode its toolbar is injected into HTML pages (it keeps the
toolbar in a ``ContextVar`` from its ``before_request`` to its ``after_request`` hook, and reads
``request.environ``); its static files are served; outside debug mode it does nothing; in def
and async def views."""

# isort: off
import microflask.flask_patch  # noqa: F401  (first: from here on, flask is microflask)

# isort: on

import pytest
from flask import Flask
from flask_debugtoolbar import DebugToolbarExtension

PAGE = "<html><body><h1>shop</h1></body></html>"


def make_app(kind: str, debug: bool) -> Flask:
    app = Flask(__name__)
    app.config.update(SECRET_KEY="k", DEBUG=debug, DEBUG_TB_INTERCEPT_REDIRECTS=False)
    DebugToolbarExtension(app)

    if kind == "def":

        @app.get("/")
        def index() -> str:
            return PAGE

    else:

        @app.get("/")
        async def index() -> str:
            return PAGE

    return app


@pytest.mark.parametrize("kind", ["def", "async"])
def test_the_toolbar_is_injected_in_debug_mode(kind: str) -> None:
    client = make_app(kind, debug=True).test_client()
    page = client.get("/")
    assert page.status_code == 200 and "<h1>shop</h1>" in page.text and 'id="flDebug"' in page.text
    assert client.get("/_debug_toolbar/static/css/toolbar.css").status_code == 200


@pytest.mark.parametrize("kind", ["def", "async"])
def test_nothing_changes_outside_debug_mode(kind: str) -> None:
    assert make_app(kind, debug=False).test_client().get("/").text == PAGE
