"""Hostile input against typed views: always a 422 (or the HTTP error the input deserves), never a 500.

Each payload goes to the same endpoint typed three ways (pydantic, msgspec, dataclass), sync
and async; then Hypothesis throws arbitrary bytes and query strings at them.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import msgspec
import pydantic
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from microflask import MicroFlask
from microflask.schema import OpenAPI, validate_querystring, validate_request


class PModel(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")
    name: str
    count: int
    ratio: float = 0.5
    extra: Any = None


class SModel(msgspec.Struct, forbid_unknown_fields=True):
    name: str
    count: int
    ratio: float = 0.5
    extra: Any = None


@dataclasses.dataclass
class DModel:
    name: str
    count: int
    ratio: float = 0.5
    extra: Any = None


@dataclasses.dataclass
class Query:
    page: int = 1
    size: float = 1.0
    tags: list[str] = dataclasses.field(default_factory=list)


MODELS = {"pydantic": PModel, "msgspec": SModel, "dataclass": DModel}


def make_views(model: Any) -> tuple[Any, Any]:
    @validate_request(model)
    async def async_view(data: Any) -> Any:
        return {"ok": type(data).__name__}

    @validate_request(model)
    def sync_view(data: Any) -> Any:
        return {"ok": type(data).__name__}

    return async_view, sync_view


def build_app() -> MicroFlask:
    app = MicroFlask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = 4 * 1024 * 1024
    OpenAPI(app)
    for name, model in MODELS.items():
        async_view, sync_view = make_views(model)
        app.add_url_rule(f"/async/{name}", f"async_{name}", async_view, methods=["POST"])
        app.add_url_rule(f"/sync/{name}", f"sync_{name}", sync_view, methods=["POST"])

    @app.get("/query")
    @validate_querystring(Query)
    async def query(query_args: Query) -> Any:
        return {"page": query_args.page}

    return app


APP = build_app()
CLIENT = APP.test_client()
PATHS = [f"/{kind}/{name}" for kind in ("async", "sync") for name in MODELS]

DEEP = b'{"name": "a", "count": 1, "extra": ' + b"[" * 200_000 + b"]" * 200_000 + b"}"
HOSTILE: dict[str, bytes] = {
    "wrong types": b'{"name": 1, "count": "many"}',
    "missing fields": b"{}",
    "extra field": b'{"name": "a", "count": 1, "surprise": true}',
    "huge integer": b'{"name": "a", "count": ' + b"9" * 10_000 + b"}",
    "huge float": b'{"name": "a", "count": 1, "ratio": 1e999}',
    "deep nesting": DEEP,
    "deep nesting at the top": b"[" * 200_000 + b"]" * 200_000,
    "invalid utf-8": b'{"name": "\xff\xfe", "count": 1}',
    "lone surrogate": b'{"name": "\xed\xa0\x80", "count": 1}',
    "escaped lone surrogate": b'{"name": "\\ud800", "count": 1}',
    "truncated": b'{"name": "a", "cou',
    "not json": b"name=a&count=1",
    "empty": b"",
    "null": b"null",
    "array": b"[1, 2, 3]",
    "string": b'"hello"',
    "bom": b'\xef\xbb\xbf{"name": "a", "count": 1}',
    "nul bytes": b'{"name": "a\x00", "count": 1}\x00',
    "duplicate keys": b'{"name": "a", "name": 2, "count": 1}',
    "nan": b'{"name": "a", "count": NaN}',
}


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("payload", list(HOSTILE), ids=list(HOSTILE))
def test_hostile_json_is_never_a_500(path: str, payload: str) -> None:
    response = CLIENT.post(path, content=HOSTILE[payload], headers={"content-type": "application/json"})
    assert response.status_code in (200, 422), response.text
    if response.status_code == 422:
        detail = response.json["detail"]
        assert detail and all(set(item) == {"loc", "msg", "type"} for item in detail)
        assert all(item["loc"][0] == "body" for item in detail)


@pytest.mark.parametrize("path", PATHS)
def test_the_right_body_passes_everywhere(path: str) -> None:
    response = CLIENT.post(path, json={"name": "a", "count": 1})
    assert response.status_code == 200
    assert response.json["ok"] in ("PModel", "SModel", "DModel")


@pytest.mark.parametrize("path", PATHS)
def test_non_json_content_type_and_a_body_over_the_limit(path: str) -> None:
    text = CLIENT.post(path, content=b"hello", headers={"content-type": "text/plain"})
    assert text.status_code == 422
    too_big = CLIENT.post(path, content=b"x" * (4 * 1024 * 1024 + 1), headers={"content-type": "application/json"})
    assert too_big.status_code == 413


@pytest.mark.parametrize(
    "query",
    ["page=x", "page=" + "9" * 5000, "size=1e999", "size=nan", "page=1&page=2", "tags=%FF", "page=%00", "page="],
)
def test_hostile_query_strings(query: str) -> None:
    response = CLIENT.get(f"/query?{query}")
    assert response.status_code in (200, 422), response.text


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=st.binary(max_size=300), path=st.sampled_from(PATHS))
def test_arbitrary_bytes(body: bytes, path: str) -> None:
    response = CLIENT.post(path, content=body, headers={"content-type": "application/json"})
    assert response.status_code in (200, 422)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    value=st.dictionaries(st.sampled_from(["name", "count", "ratio", "extra", "other"]), json_values),
    path=st.sampled_from(PATHS),
)
def test_arbitrary_json_objects(value: dict[str, Any], path: str) -> None:
    response = CLIENT.post(path, json=value)
    assert response.status_code in (200, 422)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(params=st.lists(st.tuples(st.sampled_from(["page", "size", "tags", "x"]), st.text(max_size=30)), max_size=5))
def test_arbitrary_query_strings(params: list[tuple[str, str]]) -> None:
    response = CLIENT.get("/query", params=params)
    assert response.status_code in (200, 422)
