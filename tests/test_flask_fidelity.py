"""Flask behaviours found by running Flask's own test suite against microflask (issue 14).

Each test states one Flask behaviour in our own words; the Flask suite is the yardstick, these
are the regression tests.
"""

from __future__ import annotations

import logging

import pytest

import microflask
from microflask import Blueprint, MicroFlask
from microflask.logging import has_level_handler


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
