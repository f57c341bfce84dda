"""The hello example (examples/hello), as `make run` serves it."""

from __future__ import annotations

from collections.abc import Iterator
from types import ModuleType

import pytest
from example_loader import example_module


@pytest.fixture(scope="module")
def hello() -> Iterator[ModuleType]:
    """examples/hello/app.py."""
    with example_module("hello") as module:
        yield module


def test_index_links_to_the_json_endpoint(hello: ModuleType) -> None:
    with hello.app.test_client() as client:
        response = client.get("/")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert 'href="/users/1"' in response.text


def test_user_get_and_post(hello: ModuleType) -> None:
    with hello.app.test_client() as client:
        assert client.get("/users/7").json == {"id": 7, "next": "/users/8"}
        created = client.post("/users/7", json={"name": "Ada"})
        assert created.status_code == 201
        assert created.json == {"id": 7, "saved": {"name": "Ada"}}
        assert client.get("/users/seven").status_code == 404
