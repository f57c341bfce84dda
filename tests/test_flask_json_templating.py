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
from typing import Any

import pytest
from markupsafe import Markup

from microflask import MicroFlask
from microflask.json.tag import JSONTag, TaggedJSONSerializer
from microflask.logging import ERRORS_STREAM_KEY, create_logger, default_handler, wsgi_errors_stream

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
