"""The typed todo API example (examples/todo_api): CRUD, filters, pagination, bearer auth, OpenAPI."""

from __future__ import annotations

from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest
from example_loader import example_module
from openapi_spec_validator import validate

TOKEN = {"Authorization": "Bearer test-token"}


@pytest.fixture(scope="module")
def api() -> Iterator[ModuleType]:
    with example_module("todo_api") as module:
        yield module


@pytest.fixture
def client(api: ModuleType) -> Iterator[Any]:
    with api.create_app({"API_TOKEN": "test-token"}).test_client() as client:
        yield client


def add(client: Any, **fields: Any) -> dict[str, Any]:
    response = client.post("/todos/", json={"title": "milk", **fields}, headers=TOKEN)
    assert response.status_code == 201, response.text
    return response.json  # type: ignore[no-any-return]


def test_crud(client: Any) -> None:
    created = client.post("/todos/", json={"title": "Buy milk", "tags": ["home"]}, headers=TOKEN)
    assert created.status_code == 201
    assert created.headers["location"] == "/todos/1"
    assert created.json == {"title": "Buy milk", "done": False, "tags": ["home"], "id": 1}
    assert client.get("/todos/1").json == created.json
    patched = client.patch("/todos/1", json={"done": True}, headers=TOKEN)
    assert patched.json == {"title": "Buy milk", "done": True, "tags": ["home"], "id": 1}
    deleted = client.delete("/todos/1", headers=TOKEN)
    assert deleted.status_code == 204 and deleted.content == b""
    missing = client.get("/todos/1")
    assert missing.status_code == 404 and missing.json == {"message": "No todo 1."}
    assert client.patch("/todos/1", json={}, headers=TOKEN).status_code == 404
    assert client.delete("/todos/1", headers=TOKEN).status_code == 404


def test_validation_errors(client: Any) -> None:
    empty = client.post("/todos/", json={"title": ""}, headers=TOKEN)
    assert empty.status_code == 422
    assert empty.json["detail"][0]["loc"] == ["body", "title"]
    assert empty.json["detail"][0]["type"] == "string_too_short"
    assert client.post("/todos/", json={"title": "x", "tags": ["t"] * 11}, headers=TOKEN).status_code == 422
    assert client.patch("/todos/1", json={"done": "perhaps"}, headers=TOKEN).status_code == 422
    bad_page = client.get("/todos/?page=0&per_page=1000")
    assert bad_page.status_code == 422
    assert {tuple(e["loc"]) for e in bad_page.json["detail"]} == {("query", "page"), ("query", "per_page")}
    assert client.get("/todos/abc").status_code == 404  # <int:todo_id> does not match


def test_filters_and_pagination(client: Any) -> None:
    for i in range(25):
        add(client, title=f"task {i}", done=i % 5 == 0, tags=["even"] if i % 2 == 0 else [])
    first = client.get("/todos/").json
    assert first["total"] == 25 and first["page"] == 1 and len(first["items"]) == 20
    second = client.get("/todos/?page=2").json
    assert [t["title"] for t in second["items"]] == [f"task {i}" for i in range(20, 25)]
    done = client.get("/todos/?done=true&per_page=100").json
    assert [t["id"] for t in done["items"]] == [1, 6, 11, 16, 21]
    even_done = client.get("/todos/?done=true&tag=even").json
    assert [t["title"] for t in even_done["items"]] == ["task 0", "task 10", "task 20"]
    assert client.get("/todos/?q=TASK 1&per_page=5").json["total"] == 11  # 1, 10-19


def test_writes_need_the_bearer_token(client: Any) -> None:
    refused = client.post("/todos/", json={"title": "x"})
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"] == "Bearer"
    assert refused.json == {"message": "A valid bearer token is required."}
    # Checked before the body is validated: no hints for unauthenticated clients.
    assert client.post("/todos/", json={}, headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.delete("/todos/1").status_code == 401
    assert client.get("/todos/").status_code == 200  # reads are public


def test_the_document_is_valid_and_complete(client: Any) -> None:
    document = client.get("/openapi.json").json
    validate(document)
    paths = document["paths"]
    assert set(paths) == {"/todos/", "/todos/{todo_id}", "/health"}
    assert set(paths["/todos/{todo_id}"]) == {"get", "patch", "delete"}
    create = paths["/todos/"]["post"]
    assert create["tags"] == ["todos"] and create["security"] == [{"bearer": []}]
    assert create["summary"] == "Create a todo."
    assert set(create["responses"]) == {"201", "401", "422"}
    listing = paths["/todos/"]["get"]
    assert {p["name"] for p in listing["parameters"]} == {"done", "tag", "q", "page", "per_page"}
    assert listing["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/TodoPage"
    }
    assert "content" not in paths["/todos/{todo_id}"]["delete"]["responses"]["204"]
    assert document["components"]["securitySchemes"] == {"bearer": {"type": "http", "scheme": "bearer"}}


def test_docs_page(client: Any) -> None:
    page = client.get("/docs")
    assert page.status_code == 200 and "swagger-ui-bundle.js" in page.text
    page = client.get("/redoc")
    assert page.status_code == 200 and 'src="/redoc/init.js"' in page.text
    assert client.get("/redoc/redoc.standalone.js").status_code == 200
