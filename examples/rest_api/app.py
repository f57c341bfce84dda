"""A JSON REST API on microflask: a book catalogue with create, read, update and delete.

Run it from this folder (after ``make install`` at the repository root)::

    ../../.venv/bin/uvicorn app:app --reload

Then try ``curl -i http://127.0.0.1:8000/books``. What it shows:

- every answer is JSON, errors included: one error handler turns any HTTP error (404, 405,
  415, malformed JSON...) into ``{"error": ..., "message": ...}``;
- input validation: a body that is not a JSON object is a 400, a well-formed object with bad
  fields is a 422 listing every problem by field;
- pagination with ``?page=&per_page=``, the totals in the body and RFC 8288 ``Link`` headers;
- conditional requests: each book and each page has an ``ETag``; ``If-None-Match`` with the
  current tag answers 304 Not Modified with no body, and ``If-Match`` on PUT, PATCH and DELETE
  refuses to overwrite a book someone else changed meanwhile (412 Precondition Failed).

The books live in memory, in a store kept in ``app.extensions``: every worker process has its
own. A real API would put them in a database; the views would not change much.
"""

from __future__ import annotations

import hashlib
import itertools
import math
from datetime import UTC, datetime
from typing import Any

from microflask import HTTPException, MicroFlask, Response, abort, current_app, request, url_for
from microflask.json import dumps

TITLE_MAX = 200
AUTHOR_MAX = 100
TAGS_MAX = 10
PER_PAGE_DEFAULT = 10
PER_PAGE_MAX = 100

SAMPLE_BOOKS = [
    {"title": "The Pragmatic Programmer", "author": "Andrew Hunt, David Thomas", "year": 1999, "tags": ["craft"]},
    {"title": "Structure and Interpretation of Computer Programs", "author": "Abelson, Sussman", "year": 1985},
    {"title": "Designing Data-Intensive Applications", "author": "Martin Kleppmann", "year": 2017},
    {"title": "The Art of Computer Programming", "author": "Donald Knuth", "year": 1968, "tags": ["classic"]},
]


# -- the store --------------------------------------------------------------------------------


class BookStore:
    """Books by id, in memory. Views never await between reading and writing it, so no lock."""

    def __init__(self) -> None:
        self.books: dict[int, dict[str, Any]] = {}
        self._ids = itertools.count(1)

    def add(self, fields: dict[str, Any]) -> dict[str, Any]:
        book = {"id": next(self._ids), **fields, "updated": _now()}
        self.books[book["id"]] = book
        return book

    def get(self, id: int) -> dict[str, Any]:
        book = self.books.get(id)
        if book is None:
            abort(404, f"There is no book {id}.")
        return book

    def page(self, page: int, per_page: int) -> tuple[list[dict[str, Any]], int]:
        """One page of books in id order, and the number of books in all."""
        ids = sorted(self.books)
        start = (page - 1) * per_page
        return [self.books[i] for i in ids[start : start + per_page]], len(ids)


def store() -> BookStore:
    return current_app.extensions["rest_api"]  # type: ignore[no-any-return]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


# -- validation -------------------------------------------------------------------------------

FIELDS = {"title", "author", "year", "tags"}
REQUIRED = {"title", "author"}


def validate(data: Any, partial: bool = False) -> dict[str, Any]:
    """The book fields in ``data``, checked; aborts with 400 (not an object) or 422 (bad fields).

    ``partial`` (PATCH): only the fields present are checked, and none is required.
    """
    if not isinstance(data, dict):
        abort(400, "The body must be a JSON object.")
    errors: dict[str, str] = {}
    for name in sorted(data.keys() - FIELDS):
        errors[name] = "Unknown field."
    if not partial:
        for name in sorted(REQUIRED - data.keys()):
            errors[name] = "This field is required."
    for name, limit in (("title", TITLE_MAX), ("author", AUTHOR_MAX)):
        if name in data:
            value = data[name]
            if not isinstance(value, str) or not value.strip():
                errors[name] = "Must be a non-empty string."
            elif len(value) > limit:
                errors[name] = f"Must be at most {limit} characters."
    if "year" in data and data["year"] is not None:
        year = data["year"]
        if isinstance(year, bool) or not isinstance(year, int) or not -3000 <= year <= datetime.now(UTC).year:
            errors["year"] = "Must be a whole number, not in the future."
    if "tags" in data:
        tags = data["tags"]
        if not isinstance(tags, list) or not all(isinstance(t, str) and t.strip() for t in tags):
            errors["tags"] = "Must be a list of non-empty strings."
        elif len(tags) > TAGS_MAX:
            errors["tags"] = f"At most {TAGS_MAX} tags."
    if errors:
        raise ValidationFailed(errors)
    clean = {k: v.strip() if isinstance(v, str) else v for k, v in data.items()}
    if "tags" in clean:
        clean["tags"] = sorted({t.strip() for t in clean["tags"]})
    return clean


class ValidationFailed(HTTPException):
    """422 with the problems by field: ``{"title": "This field is required.", ...}``."""

    code = 422
    description = "The request body has invalid fields."

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__()
        self.errors = errors


def page_arguments() -> tuple[int, int]:
    """``?page=`` (from 1) and ``?per_page=`` (1 to PER_PAGE_MAX); a 400 listing what is wrong."""
    errors = {}
    page = whole_number(request.args.get("page", "1"))
    per_page = whole_number(request.args.get("per_page", str(PER_PAGE_DEFAULT)))
    if page is None or page < 1:
        errors["page"] = "Must be a whole number from 1."
    if per_page is None or not 1 <= per_page <= PER_PAGE_MAX:
        errors["per_page"] = f"Must be a whole number from 1 to {PER_PAGE_MAX}."
    if errors or page is None or per_page is None:
        raise InvalidQuery(errors)
    return page, per_page


def whole_number(text: str) -> int | None:
    """``int(text)`` for plain digits (an optional minus), else None: "abc", "1e3", " 2", "٣" are refused.

    (``request.args.get(name, default, type=int)`` would quietly give the default for "abc".)
    """
    digits = text.removeprefix("-")
    return int(text) if digits.isascii() and digits.isdigit() and len(digits) <= 9 else None


class InvalidQuery(ValidationFailed):
    code = 400
    description = "The query string has invalid values."


# -- conditional requests ---------------------------------------------------------------------


def etag_of(body: bytes) -> str:
    """A strong entity tag for a representation: a hash of its bytes."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def etag_in(header: str | None, etag: str, weak: bool = True) -> bool:
    """Whether an ``If-None-Match`` (weak comparison) or ``If-Match`` (strong) header names ``etag``."""
    if header is None:
        return False
    for candidate in header.split(","):
        candidate = candidate.strip()
        if candidate == "*":
            return True
        if candidate.startswith("W/"):
            if not weak:
                continue
            candidate = candidate[2:]
        if candidate == etag:
            return True
    return False


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """``data`` as JSON with its ETag; a 304 with no body when the client's copy is current."""
    body = (dumps(data) + "\n").encode()
    etag = etag_of(body)
    all_headers = {"ETag": etag, **(headers or {})}
    if status == 200 and request.method in ("GET", "HEAD") and etag_in(request.headers.get("if-none-match"), etag):
        return Response(status=304, headers=all_headers)
    return Response(body, status=status, headers=all_headers, mimetype="application/json")


def book_etag(book: dict[str, Any]) -> str:
    return etag_of((dumps(book) + "\n").encode())


def check_if_match(book: dict[str, Any]) -> None:
    """``If-Match``: change the book only if the client has seen its current version."""
    header = request.headers.get("if-match")
    if header is not None and not etag_in(header, book_etag(book), weak=False):
        abort(412, "The book was changed since you read it; GET it again and retry.")


# -- the app ----------------------------------------------------------------------------------


def create_app(config: dict[str, Any] | None = None) -> MicroFlask:
    """Build the API. Config: ``SEED`` (default True) adds a few sample books."""
    app = MicroFlask(__name__)
    app.config["SEED"] = True
    app.config.from_mapping(config or {})
    app.extensions["rest_api"] = books = BookStore()
    if app.config["SEED"]:
        for fields in SAMPLE_BOOKS:
            books.add(fields)

    @app.errorhandler(HTTPException)
    async def json_error(error: HTTPException) -> Any:
        """Every HTTP error as JSON, e.g. ``{"error": "Not Found", "message": "There is no book 9."}``."""
        body: dict[str, Any] = {"error": error.name, "message": error.description}
        if isinstance(error, ValidationFailed):
            body["fields"] = error.errors
        return body, error.code, error.get_headers()

    @app.get("/")
    async def index() -> Any:
        return {"books": url_for("list_books", _external=True)}

    @app.get("/books")
    async def list_books() -> Response:
        page, per_page = page_arguments()
        items, total = store().page(page, per_page)
        pages = max(1, math.ceil(total / per_page))
        if page > pages:
            abort(404, f"There are only {pages} pages of {per_page} books.")
        links = {"first": 1, "last": pages}
        if page > 1:
            links["prev"] = page - 1
        if page < pages:
            links["next"] = page + 1
        urls = {rel: url_for("list_books", page=n, per_page=per_page) for rel, n in links.items()}
        data = {"items": items, "page": page, "per_page": per_page, "total": total, "pages": pages, "links": urls}
        link_header = ", ".join(f'<{url}>; rel="{rel}"' for rel, url in urls.items())
        return json_response(data, headers={"Link": link_header})

    @app.post("/books")
    async def create_book() -> Response:
        fields = validate(await request.get_json())
        book = store().add(fields)
        return json_response(book, 201, {"Location": url_for("get_book", id=book["id"])})

    @app.get("/books/<int:id>")
    async def get_book(id: int) -> Response:
        return json_response(store().get(id))

    @app.put("/books/<int:id>")
    async def replace_book(id: int) -> Response:
        book = store().get(id)
        check_if_match(book)
        fields = validate(await request.get_json())
        book.clear()
        book.update({"id": id, **fields, "updated": _now()})
        return json_response(book)

    @app.patch("/books/<int:id>")
    async def update_book(id: int) -> Response:
        book = store().get(id)
        check_if_match(book)
        fields = validate(await request.get_json(), partial=True)
        book.update(fields, updated=_now())
        return json_response(book)

    @app.delete("/books/<int:id>")
    async def delete_book(id: int) -> Any:
        book = store().get(id)
        check_if_match(book)
        del store().books[id]
        return "", 204

    return app


app = create_app()
