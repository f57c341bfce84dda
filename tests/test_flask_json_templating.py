"""Flask's JSON, tagged-JSON, templating and logging API, as Flask's own suite checks it (issue 14,
points 3 and 8). Our own tests of each behaviour; the Flask suite is the yardstick."""

from __future__ import annotations

import contextlib
import io
import logging
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jinja2
import pytest
from markupsafe import Markup

import microflask
from microflask import Blueprint, MicroFlask, Request, jsonify, render_template, render_template_string, request
from microflask.json.provider import DefaultJSONProvider
from microflask.json.tag import JSONTag, TaggedJSONSerializer
from microflask.logging import ERRORS_STREAM_KEY, create_logger, default_handler, wsgi_errors_stream
from microflask.templating import DispatchingJinjaLoader, Environment

# -- json.tag --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        {" t": (1, 2)},
        {" d": "not a date"},
        {" x": 1},
        {"a": [(1, b"\x00"), {"b": Markup("<i>")}]},
        (uuid.UUID(int=7),),
        datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC),
        "plain",
        None,
    ],
)
def test_tagged_json_round_trips(value: Any) -> None:
    serializer = TaggedJSONSerializer()
    assert serializer.loads(serializer.dumps(value)) == value


def test_tagged_json_format_is_flasks() -> None:
    serializer = TaggedJSONSerializer()
    assert serializer.dumps({"t": (1,), "b": b"a"}) == '{"t":{" t":[1]},"b":{" b":"YQ=="}}'
    # Only a one-key dict whose key is a registered tag is escaped.
    assert serializer.dumps({" t": 1}) == '{" di":{" t__":1}}'
    assert serializer.dumps({" other": 1}) == '{" other":1}'


def test_custom_tag_registered_and_used_both_ways() -> None:
    class Point:
        def __init__(self, x: int, y: int) -> None:
            self.x, self.y = x, y

    class TagPoint(JSONTag):
        __slots__ = ()
        key = " pt"

        def check(self, value: Any) -> bool:
            return isinstance(value, Point)

        def to_json(self, value: Any) -> Any:
            return [value.x, self.serializer.tag(value.y)]

        def to_python(self, value: Any) -> Any:
            return Point(*value)

    serializer = TaggedJSONSerializer()
    serializer.register(TagPoint)
    assert isinstance(serializer.order[-1], TagPoint)
    assert serializer.tags[" pt"].serializer is serializer
    back = serializer.loads(serializer.dumps({"p": Point(1, (2, 3))}))
    assert (back["p"].x, back["p"].y) == (1, (2, 3))


def test_custom_tag_can_claim_plain_values() -> None:
    class TagUpper(JSONTag):
        key = " up"

        def check(self, value: Any) -> bool:
            return isinstance(value, str) and value.isupper()

        def to_json(self, value: Any) -> Any:
            return value.lower()

        def to_python(self, value: Any) -> Any:
            return value.upper()

    serializer = TaggedJSONSerializer()
    assert serializer.dumps("ABC") == '"ABC"'  # before the tag is registered: plain
    serializer.register(TagUpper, index=0)
    assert serializer.dumps("ABC") == '{" up":"abc"}'
    assert serializer.loads(serializer.dumps(["ABC", "x"])) == ["ABC", "x"]


def test_register_duplicate_key_needs_force() -> None:
    class Other(JSONTag):
        key = " t"

    serializer = TaggedJSONSerializer()
    with pytest.raises(KeyError):
        serializer.register(Other)
    serializer.register(Other, force=True, index=1)
    assert isinstance(serializer.tags[" t"], Other)
    assert isinstance(serializer.order[1], Other)


def test_tag_base_class_methods_are_abstract() -> None:
    tag = JSONTag(TaggedJSONSerializer())
    for method in (tag.check, tag.to_json, tag.to_python):
        with pytest.raises(NotImplementedError):
            method(1)


def test_untag_leaves_unknown_and_multi_key_objects() -> None:
    serializer = TaggedJSONSerializer()
    assert serializer.untag({" nope": 1}) == {" nope": 1}
    assert serializer.untag({" t": [1], "x": 2}) == {" t": [1], "x": 2}
    assert serializer.untag({" t": [1]}) == (1,)


# -- logging ---------------------------------------------------------------------------------------


@contextlib.contextmanager
def bare_logging() -> Iterator[logging.Logger]:
    """No root handlers (pytest's own included: they are added when the test body starts) and a
    fresh logger named like the test app; all restored afterwards."""
    root_handlers = logging.root.handlers[:]
    logging.root.handlers = []
    logger = logging.getLogger("jsontpl_app")
    logger.handlers, logger.level = [], logging.NOTSET
    try:
        yield logger
    finally:
        logging.root.handlers[:] = root_handlers
        logger.handlers, logger.level = [], logging.NOTSET


def test_logger_gets_default_handler_and_debug_level() -> None:
    with bare_logging() as logger:
        app = MicroFlask("jsontpl_app")
        app.debug = True  # set before first use of app.logger: the logger follows it
        assert app.logger is logger
        assert app.logger.level == logging.DEBUG
        assert app.logger.handlers == [default_handler]


def test_logger_leaves_configured_logging_alone() -> None:
    with bare_logging():
        logging.root.addHandler(logging.NullHandler())
        logger = create_logger(MicroFlask("jsontpl_app"))
        assert logger.handlers == []
        assert logger.level == logging.NOTSET


def test_errors_stream_is_stderr_outside_a_request() -> None:
    assert wsgi_errors_stream._get_current_object() is sys.stderr


def test_errors_stream_is_the_requests_stream() -> None:
    app = MicroFlask("jsontpl_app")
    stream = io.StringIO()
    with bare_logging(), app.test_request_context(errors_stream=stream) as ctx:
        assert ctx.request.scope[ERRORS_STREAM_KEY] is stream
        assert wsgi_errors_stream._get_current_object() is stream
        app.logger.error("disk %s", "full")
    assert "ERROR in test_flask_json_templating: disk full" in stream.getvalue()
    with app.test_request_context():
        assert wsgi_errors_stream._get_current_object() is sys.stderr


# -- JSON ------------------------------------------------------------------------------------------


def test_tojson_filter_uses_the_apps_provider(tmp_path: Path) -> None:
    app = MicroFlask(__name__, root_path=str(tmp_path))
    with app.test_request_context():
        out = render_template_string("{{ v|tojson }}", v={"at": datetime(2021, 2, 1, 7, 15), "id": uuid.UUID(int=1)})
    assert out == '{"at": "Mon, 01 Feb 2021 07:15:00 GMT", "id": "00000000-0000-0000-0000-000000000001"}'


def test_jsonify_refuses_args_and_kwargs_together() -> None:
    app = MicroFlask(__name__)
    with app.app_context(), pytest.raises(TypeError, match="args or kwargs"):
        jsonify(1, a=2)


def test_provider_subclass_overriding_dumps_shapes_responses() -> None:
    class Shouting(DefaultJSONProvider):
        def dumps(self, obj: Any, **kwargs: Any) -> str:
            return super().dumps(obj, **kwargs).upper()

    class App(MicroFlask):
        json_provider_class = Shouting

    app = App(__name__)

    @app.get("/")
    def index() -> Any:
        return {"a": "b"}

    @app.get("/jsonify")
    def via_jsonify() -> Any:
        return jsonify(x="y")

    client = app.test_client()
    assert client.get("/").content == b'{"A":"B"}\n'
    assert client.get("/jsonify").content == b'{"X":"Y"}\n'


@pytest.mark.parametrize("debug", [False, True])
def test_bad_json_body_detail_only_in_debug(debug: bool) -> None:
    app = MicroFlask(__name__)
    app.config["DEBUG"] = debug

    @app.post("/")
    async def index() -> Any:
        return {"got": await request.get_json()}

    response = app.test_client().post("/", content=b"{nope", headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert "Failed to decode JSON" in response.text
    assert ("Failed to decode JSON object:" in response.text) is debug


def test_on_json_loading_failed_can_supply_a_value() -> None:
    class LenientRequest(Request):
        def on_json_loading_failed(self, e: Exception | None) -> Any:
            return {"invalid": True}

    class App(MicroFlask):
        request_class = LenientRequest

    app = App(__name__)

    @app.post("/")
    async def index() -> Any:
        return {"got": await request.get_json()}

    response = app.test_client().post("/", content=b"{nope", headers={"content-type": "application/json"})
    assert response.json == {"got": {"invalid": True}}


# -- templating ------------------------------------------------------------------------------------


def test_get_template_attribute_calls_a_macro(tmp_path: Path) -> None:
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "_macros.html").write_text("{% macro hello(name) %}Hi {{ name }}!{% endmacro %}")
    app = MicroFlask(__name__, root_path=str(tmp_path))
    with app.app_context():
        hello = microflask.get_template_attribute("_macros.html", "hello")
        assert hello("<you>") == "Hi &lt;you&gt;!"


def test_custom_environment_class_and_global_loader() -> None:
    class MyEnvironment(Environment):
        pass

    class App(MicroFlask):
        jinja_environment = MyEnvironment

        def create_global_jinja_loader(self) -> Any:
            return jinja2.DictLoader({"page.html": "from a dict: {{ x }}"})

    app = App(__name__)
    assert isinstance(app.jinja_env, MyEnvironment)
    assert app.jinja_env.app is app

    @app.get("/")
    def index() -> Any:
        return render_template("page.html", x=1)

    assert app.test_client().get("/").text == "from a dict: 1"


def test_default_environment_and_loader() -> None:
    app = MicroFlask(__name__)
    assert type(app.jinja_env) is Environment
    assert isinstance(app.jinja_env.loader, DispatchingJinjaLoader)
    assert app.config["EXPLAIN_TEMPLATE_LOADING"] is False


def test_explain_template_loading_logs_each_loader_tried(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "here.html").write_text("app")
    (tmp_path / "bp_templates").mkdir()
    app = MicroFlask("jsontpl_explain", root_path=str(tmp_path))
    app.config.update(EXPLAIN_TEMPLATE_LOADING=True, TESTING=True)
    bp = Blueprint("shop", "jsontpl_explain.shop", root_path=str(tmp_path), template_folder="bp_templates")

    @bp.get("/missing")
    def missing() -> Any:
        return render_template("missing.html")

    app.register_blueprint(bp)
    caplog.set_level(logging.INFO, logger="jsontpl_explain")
    with app.test_request_context():
        assert render_template("here.html") == "app"
    found = caplog.records[-1].getMessage()
    assert "1: trying loader of application 'jsontpl_explain'" in found
    assert "2: trying loader of blueprint 'shop' (jsontpl_explain.shop)" in found
    assert "-> found" in found and "-> no match" in found

    with pytest.raises(jinja2.TemplateNotFound):
        app.test_client().get("/missing")
    report = next(r.getMessage() for r in caplog.records if "missing.html" in r.getMessage())
    assert "Error: the template could not be found." in report
    assert "belongs to the blueprint 'shop'" in report
