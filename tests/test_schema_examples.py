"""Every example app gets a valid OpenAPI 3.1 document (openapi-spec-validator), typed or not.

``examples/todo_api`` registers ``OpenAPI`` itself; the others are plain Flask-style apps, given
``OpenAPI(app)`` here: their routes (no models) must still make a valid document, and the
extension must not change what they answer.
"""

from __future__ import annotations

from typing import Any

import pytest
from example_loader import example_module
from openapi_spec_validator import validate

from microflask.schema import OpenAPI

EXAMPLES = ["blog", "chat", "hello", "rest_api", "sse_clock", "todo_api"]


def app_of(module: Any) -> Any:
    return module.create_app() if hasattr(module, "create_app") else module.app


@pytest.mark.parametrize("example", EXAMPLES)
def test_the_document_of_every_example_is_valid(example: str) -> None:
    with example_module(example) as module:
        app = app_of(module)
        if "microflask.schema" not in app.extensions:
            OpenAPI(app, title=example, version="1")
        document = OpenAPI.document(app)
    validate(document)
    assert document["paths"], example
    operation_ids = [op["operationId"] for item in document["paths"].values() for op in item.values()]
    assert len(operation_ids) == len(set(operation_ids))


def test_an_untyped_app_answers_the_same_with_the_extension() -> None:
    with example_module("rest_api") as module:
        plain = module.create_app({"SEED": False})
        typed = module.create_app({"SEED": False})
        OpenAPI(typed)
        book = {"title": "Dune", "author": "Frank Herbert", "year": 1965, "tags": []}
        for app in (plain, typed):
            client = app.test_client()
            created = client.post("/books", json=book)
            assert created.status_code == 201
            assert client.get("/books/1").json["title"] == "Dune"
            assert client.post("/books", json={"title": 1}).status_code in (400, 422)
        # Views without models are served as they were: not wrapped.
        typed.test_client().get("/books")
        assert all(rule.plan.view is typed.view_functions[rule.endpoint] for rule in typed.url_map if rule.plan)
