"""JSON bodies: Flask's format, the same bytes with orjson installed and without."""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import uuid
from typing import Any

import pytest

from microflask import MicroFlask, jsonify

orjson = pytest.importorskip("orjson")


@dataclasses.dataclass
class Point:
    y: int
    x: int
    when: datetime.datetime


VALUES: list[Any] = [
    {"b": 1, "a": [1.5, "x", None, True, False]},
    {"nested": {"z": {"b": 2, "a": 1}}},
    {"text": "caf\u00e9 \u2603", "emoji": "\U0001f600"},
    {"big": 2**70, "neg": -(2**65)},
    {1: "int key", 2: "two"},
    Point(2, 1, datetime.datetime(2026, 1, 2, 3, 4, 5)),
    {"uuid": uuid.UUID(int=5), "decimal": decimal.Decimal("1.10"), "tuple": (1, 2)},
    [datetime.date(2026, 1, 2), datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)],
    {"floats": [1e16, 0.1, -2.5e-10, 3.0]},
    [],
    {},
    "just a string",
    42,
]


@pytest.mark.parametrize("value", VALUES, ids=[type(v).__name__ + str(i) for i, v in enumerate(VALUES)])
def test_orjson_and_stdlib_give_the_same_bytes(value: Any) -> None:
    app = MicroFlask(__name__)
    app.json.use_orjson = True  # type: ignore[attr-defined]
    fast = app.json.encode_body(value)  # type: ignore[attr-defined]
    app.json.use_orjson = False  # type: ignore[attr-defined]
    stdlib = app.json.encode_body(value)  # type: ignore[attr-defined]
    assert fast == stdlib
    assert fast.endswith(b"\n")
    assert fast.isascii()


def test_flask_format_sorted_compact_ascii() -> None:
    app = MicroFlask(__name__)

    @app.route("/")
    async def index() -> Any:
        return {"b": "\u00e9", "a": [1, 2]}

    with app.test_client() as client:
        assert client.get("/").data == b'{"a":[1,2],"b":"\\u00e9"}\n'


@pytest.mark.parametrize("use_orjson", [True, False])
def test_types_serialised_both_ways(use_orjson: bool) -> None:
    app = MicroFlask(__name__)
    app.json.use_orjson = use_orjson  # type: ignore[attr-defined]

    @app.route("/")
    async def index() -> Any:
        return jsonify(
            point=Point(2, 1, datetime.datetime(2026, 1, 2, 3, 4, 5)),
            id=uuid.UUID("12345678-1234-5678-1234-567812345678"),
            price=decimal.Decimal("9.99"),
            day=datetime.date(2026, 11, 24),
        )

    with app.test_client() as client:
        assert client.get("/").json == {
            "day": "Tue, 24 Nov 2026 00:00:00 GMT",
            "id": "12345678-1234-5678-1234-567812345678",
            "point": {"when": "Fri, 02 Jan 2026 03:04:05 GMT", "x": 1, "y": 2},
            "price": "9.99",
        }


@pytest.mark.parametrize("use_orjson", [True, False])
def test_unserialisable_value_is_a_500_both_ways(use_orjson: bool) -> None:
    app = MicroFlask(__name__)
    app.json.use_orjson = use_orjson  # type: ignore[attr-defined]

    @app.route("/")
    async def index() -> Any:
        return {"bad": object()}

    with app.test_client() as client:
        assert client.get("/").status_code == 500


def test_debug_output_is_indented() -> None:
    app = MicroFlask(__name__)
    app.debug = True

    @app.route("/")
    async def index() -> Any:
        return {"a": 1}

    with app.test_client() as client:
        assert client.get("/").data == b'{\n  "a": 1\n}\n'
