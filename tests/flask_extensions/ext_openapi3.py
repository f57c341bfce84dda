"""flask-openapi3's quick start: ``OpenAPI(__name__)`` (a subclass of Flask's app class) with
views whose pydantic-annotated ``query``/``body`` parameters it validates (its 422, whose status
it sets as a string), and the OpenAPI document it serves; in def and async def views."""

# isort: off
import microflask.flask_patch  # noqa: F401  (first: from here on, flask is microflask)

# isort: on
from typing import Any

import pytest
from flask_openapi3 import Info, OpenAPI
from pydantic import BaseModel


class Page(BaseModel):
    page: int = 1


class Book(BaseModel):
    title: str


def make_app(kind: str) -> OpenAPI:
    app = OpenAPI(__name__, info=Info(title="Books", version="1.0"))

    if kind == "def":

        @app.get("/books")
        def books(query: Page) -> Any:
            return {"page": query.page}

        @app.post("/books")
        def add(body: Book) -> Any:
            return {"title": body.title}, 201

    else:

        @app.get("/books")
        async def books(query: Page) -> Any:
            return {"page": query.page}

        @app.post("/books")
        async def add(body: Book) -> Any:
            return {"title": body.title}, 201

    return app


@pytest.fixture(params=["def", "async"])
def client(request: pytest.FixtureRequest) -> Any:
    return make_app(request.param).test_client()


def test_query_and_body_are_validated(client: Any) -> None:
    assert client.get("/books?page=3").json == {"page": 3}
    made = client.post("/books", json={"title": "Dune"})
    assert (made.status_code, made.json) == (201, {"title": "Dune"})
    invalid = client.get("/books?page=x")
    assert invalid.status_code == 422 and invalid.json[0]["loc"] == ["page"]


def test_its_openapi_document(client: Any) -> None:
    spec = client.get("/openapi/openapi.json").json
    assert spec["info"]["title"] == "Books" and "/books" in spec["paths"]
