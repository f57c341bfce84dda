"""The REST API example (examples/rest_api): CRUD, JSON errors, validation, pagination, ETags."""

from __future__ import annotations

from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest
from example_loader import example_module


@pytest.fixture(scope="module")
def api() -> Iterator[ModuleType]:
    """examples/rest_api/app.py."""
    with example_module("rest_api") as module:
        yield module


@pytest.fixture
def client(api: ModuleType) -> Iterator[Any]:
    with api.create_app({"SEED": False}).test_client() as client:
        yield client


BOOK = {"title": "Dune", "author": "Frank Herbert", "year": 1965, "tags": ["sf", "classic"]}


def create(client: Any, **fields: Any) -> Any:
    response = client.post("/books", json={**BOOK, **fields})
    assert response.status_code == 201, response.text
    return response


# -- create, read, update, delete ---------------------------------------------------------------


def test_create_then_read(client: Any) -> None:
    response = create(client)
    book = response.json
    assert book["id"] == 1
    assert {k: book[k] for k in BOOK} == {**BOOK, "tags": ["classic", "sf"]}  # tags sorted, deduplicated
    assert "updated" in book
    assert response.headers["location"] == "/books/1"
    assert response.headers["content-type"] == "application/json"
    assert response.headers["etag"].startswith('"')
    got = client.get("/books/1")
    assert got.status_code == 200 and got.json == book
    assert got.headers["etag"] == response.headers["etag"]  # the same representation, the same tag


def test_strings_are_trimmed(client: Any) -> None:
    book = create(client, title="  Dune  ", author=" Frank Herbert").json
    assert (book["title"], book["author"]) == ("Dune", "Frank Herbert")


def test_put_replaces_and_patch_updates(client: Any) -> None:
    create(client)
    replaced = client.put("/books/1", json={"title": "Dune Messiah", "author": "Frank Herbert"})
    assert replaced.status_code == 200
    assert "year" not in replaced.json and "tags" not in replaced.json  # PUT replaces the whole book
    patched = client.patch("/books/1", json={"year": 1969})
    assert patched.status_code == 200
    assert (patched.json["title"], patched.json["year"]) == ("Dune Messiah", 1969)
    assert client.get("/books/1").json == patched.json


def test_delete(client: Any) -> None:
    create(client)
    response = client.delete("/books/1")
    assert response.status_code == 204 and response.data == b""
    assert client.get("/books/1").status_code == 404
    assert client.delete("/books/1").status_code == 404


def test_seeded_app_lists_sample_books(api: ModuleType) -> None:
    with api.app.test_client() as client:  # the module-level app, as uvicorn serves it
        data = client.get("/books").json
    assert data["total"] == len(api.SAMPLE_BOOKS) and data["items"][0]["title"] == api.SAMPLE_BOOKS[0]["title"]


def test_index_links_to_the_collection(client: Any) -> None:
    assert client.get("/").json == {"books": "http://localhost/books"}


# -- errors are JSON ----------------------------------------------------------------------------


def test_not_found_is_json(client: Any) -> None:
    response = client.get("/books/42")
    assert response.status_code == 404
    assert response.json == {"error": "Not Found", "message": "There is no book 42."}


def test_unknown_url_and_wrong_method_are_json(client: Any) -> None:
    missing = client.get("/nowhere")
    assert missing.status_code == 404 and missing.json["error"] == "Not Found"
    wrong = client.post("/books/1", json=BOOK)
    assert wrong.status_code == 405 and wrong.json["error"] == "Method Not Allowed"
    assert set(wrong.headers["allow"].split(", ")) >= {"GET", "PUT", "PATCH", "DELETE"}


@pytest.mark.parametrize(
    ("content", "content_type", "status"),
    [
        (b"{not json", "application/json", 400),
        (b'["a list"]', "application/json", 400),
        (b'"a string"', "application/json", 400),
        (b"title=Dune", "application/x-www-form-urlencoded", 415),
    ],
)
def test_bad_bodies(client: Any, content: bytes, content_type: str, status: int) -> None:
    response = client.post("/books", content=content, headers={"Content-Type": content_type})
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    assert set(response.json) == {"error", "message"}
    assert client.get("/books").json["total"] == 0


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, {"title": "This field is required.", "author": "This field is required."}),
        ({**BOOK, "title": "   "}, {"title": "Must be a non-empty string."}),
        ({**BOOK, "title": 7}, {"title": "Must be a non-empty string."}),
        ({**BOOK, "title": "x" * 201}, {"title": "Must be at most 200 characters."}),
        ({**BOOK, "year": "1965"}, {"year": "Must be a whole number, not in the future."}),
        ({**BOOK, "year": True}, {"year": "Must be a whole number, not in the future."}),
        ({**BOOK, "year": 99999}, {"year": "Must be a whole number, not in the future."}),
        ({**BOOK, "tags": "sf"}, {"tags": "Must be a list of non-empty strings."}),
        ({**BOOK, "tags": [f"t{i}" for i in range(11)]}, {"tags": "At most 10 tags."}),
        ({**BOOK, "isbn": "123"}, {"isbn": "Unknown field."}),
    ],
)
def test_invalid_fields_are_422_by_field(client: Any, body: dict[str, Any], fields: dict[str, str]) -> None:
    response = client.post("/books", json=body)
    assert response.status_code == 422
    assert response.json["fields"] == fields
    assert response.json["error"] in ("Unprocessable Entity", "Unprocessable Content")  # the phrase changed in 3.13


def test_patch_validates_only_what_it_sends(client: Any) -> None:
    create(client)
    assert client.patch("/books/1", json={}).status_code == 200
    bad = client.patch("/books/1", json={"title": ""})
    assert bad.status_code == 422 and bad.json["fields"] == {"title": "Must be a non-empty string."}
    assert client.get("/books/1").json["title"] == "Dune"


def test_invalid_put_changes_nothing(client: Any) -> None:
    create(client)
    assert client.put("/books/1", json={"title": "No author"}).status_code == 422
    assert client.get("/books/1").json["author"] == "Frank Herbert"


# -- pagination ---------------------------------------------------------------------------------


def test_pages(client: Any) -> None:
    for i in range(1, 26):
        create(client, title=f"Book {i}")
    first = client.get("/books", params={"per_page": 10})
    data = first.json
    assert [b["title"] for b in data["items"]] == [f"Book {i}" for i in range(1, 11)]
    assert (data["page"], data["per_page"], data["total"], data["pages"]) == (1, 10, 25, 3)
    assert data["links"] == {
        "first": "/books?page=1&per_page=10",
        "last": "/books?page=3&per_page=10",
        "next": "/books?page=2&per_page=10",
    }
    assert first.headers["link"] == (
        '</books?page=1&per_page=10>; rel="first", </books?page=3&per_page=10>; rel="last", '
        '</books?page=2&per_page=10>; rel="next"'
    )
    last = client.get(data["links"]["last"]).json
    assert [b["title"] for b in last["items"]] == [f"Book {i}" for i in range(21, 26)]
    assert set(last["links"]) == {"first", "last", "prev"}
    middle = client.get("/books?page=2&per_page=10").json
    assert set(middle["links"]) == {"first", "last", "prev", "next"}


def test_default_page_size_and_empty_collection(client: Any) -> None:
    data = client.get("/books").json
    assert (data["items"], data["page"], data["per_page"], data["total"], data["pages"]) == ([], 1, 10, 0, 1)


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ("page=0", {"page"}),
        ("page=abc", {"page"}),
        ("page=1e3", {"page"}),
        ("page=99999999999999999999", {"page"}),
        ("per_page=0", {"per_page"}),
        ("per_page=101", {"per_page"}),
        ("page=-1&per_page=x", {"page", "per_page"}),
    ],
)
def test_bad_page_arguments_are_400(client: Any, query: str, fields: set[str]) -> None:
    response = client.get(f"/books?{query}")
    assert response.status_code == 400
    assert set(response.json["fields"]) == fields


def test_page_past_the_end_is_404(client: Any) -> None:
    create(client)
    assert client.get("/books?page=2").status_code == 404


# -- conditional requests -----------------------------------------------------------------------


def test_if_none_match_gives_304(client: Any) -> None:
    create(client)
    etag = client.get("/books/1").headers["etag"]
    response = client.get("/books/1", headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert response.data == b""
    assert response.headers["etag"] == etag
    # A list of tags, a weak form of the same tag, and "*" match too (If-None-Match compares weakly).
    for header in (f'"other", {etag}', f"W/{etag}", "*"):
        assert client.get("/books/1", headers={"If-None-Match": header}).status_code == 304
    assert client.get("/books/1", headers={"If-None-Match": '"stale"'}).status_code == 200


def test_etag_changes_with_the_book(client: Any) -> None:
    create(client)
    old = client.get("/books/1").headers["etag"]
    client.patch("/books/1", json={"title": "Dune (revised)"})
    response = client.get("/books/1", headers={"If-None-Match": old})
    assert response.status_code == 200 and response.json["title"] == "Dune (revised)"
    assert response.headers["etag"] != old


def test_collection_pages_have_etags(client: Any) -> None:
    create(client)
    etag = client.get("/books").headers["etag"]
    assert client.get("/books", headers={"If-None-Match": etag}).status_code == 304
    create(client, title="Another")
    assert client.get("/books", headers={"If-None-Match": etag}).status_code == 200


def test_if_match_guards_writes(client: Any) -> None:
    create(client)
    etag = client.get("/books/1").headers["etag"]
    assert client.patch("/books/1", json={"year": 1966}, headers={"If-Match": etag}).status_code == 200
    # The book changed: the old tag no longer matches, so the write is refused.
    stale = client.put("/books/1", json=BOOK, headers={"If-Match": etag})
    assert stale.status_code == 412 and stale.json["error"] == "Precondition Failed"
    assert client.delete("/books/1", headers={"If-Match": etag}).status_code == 412
    assert client.delete("/books/1", headers={"If-Match": f"W/{etag}"}).status_code == 412  # strong comparison
    current = client.get("/books/1").headers["etag"]
    assert client.delete("/books/1", headers={"If-Match": current}).status_code == 204
