"""Flask/Werkzeug behaviours an OAuth provider extension relies on (found with Authlib's
``flask_oauth2``; see tests/flask_extensions/ext_authlib_server.py):

- ``Response(body, status, headers=[(name, value), ...])``: a ``Content-Type`` among the given
  pairs is the response's (no second, default one), unless ``mimetype``/``content_type`` is given;
  the in-memory body's ``Content-Length`` is its own.
- A Werkzeug ``HTTPException`` subclass written outside Werkzeug that builds its own page
  (``get_body``/``get_headers`` overridden, as Authlib's JSON errors) is sent as that page.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import werkzeug.exceptions as wz
from werkzeug.datastructures import Headers as WerkzeugHeaders
from werkzeug.datastructures import WWWAuthenticate

from microflask import MicroFlask, Response, request


def test_a_content_type_among_header_pairs_is_the_responses() -> None:
    response = Response('{"a": 1}', 201, [("Content-Type", "application/json"), ("Cache-Control", "no-store")])
    assert response.headers.getlist("Content-Type") == ["application/json"]
    assert response.mimetype == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers.getlist("Content-Length") == ["8"]


def test_an_explicit_mimetype_wins_over_the_header_pairs() -> None:
    response = Response("x", headers=[("Content-Type", "text/plain")], mimetype="application/xml")
    assert response.headers.getlist("Content-Type") == ["application/xml"]
    response = Response("x", headers=[("content-type", "text/plain")], content_type="image/svg+xml")
    assert response.headers.getlist("Content-Type") == ["image/svg+xml"]


def test_header_pairs_keep_repeated_names_and_the_bodys_length() -> None:
    pairs = [("Link", "</a>; rel=next"), ("Link", "</b>; rel=prev"), ("Content-Length", "999")]
    response = Response("four", headers=pairs)
    assert response.headers.getlist("Link") == ["</a>; rel=next", "</b>; rel=prev"]
    assert response.headers.getlist("Content-Length") == ["4"]
    assert response.headers.getlist("Content-Type") == ["text/html; charset=utf-8"]  # the default, once


def test_werkzeug_headers_and_a_mapping_give_the_same_content_type() -> None:
    werkzeug_headers = WerkzeugHeaders([("Content-Type", "application/json"), ("X-A", "1")])
    for given in (werkzeug_headers, {"Content-Type": "application/json", "X-A": "1"}):
        response = Response("{}", headers=given)
        assert response.headers.getlist("Content-Type") == ["application/json"]
        assert response.headers["X-A"] == "1"


def test_a_streamed_body_takes_the_content_type_of_its_header_pairs() -> None:
    response = Response(iter([b"a,b\n"]), headers=[("Content-Type", "text/csv"), ("Content-Length", "4")])
    assert response.headers.getlist("Content-Type") == ["text/csv"]
    assert response.headers.getlist("Content-Length") == ["4"]  # a stream has no length of its own
    assert response.data == b"a,b\n"


class JSONError(wz.HTTPException):
    """An extension's error: its own JSON body and headers (as Authlib's OAuth errors)."""

    def __init__(self, code: int, document: dict[str, Any], headers: list[tuple[str, str]]) -> None:
        super().__init__()
        self.code = code
        self.document = document
        self.extra_headers = headers

    def get_body(self, environ: Any = None, scope: Any = None) -> str:
        return json.dumps(self.document)

    def get_headers(self, environ: Any = None, scope: Any = None) -> list[tuple[str, str]]:
        return [("Content-Type", "application/json"), *self.extra_headers]


class HandledError(JSONError):
    pass


def make_app() -> MicroFlask:
    app = MicroFlask(__name__)

    @app.get("/sync")
    def sync_view() -> str:
        raise JSONError(401, {"error": "invalid_token"}, [("WWW-Authenticate", 'Bearer error="invalid_token"')])

    @app.get("/async")
    async def async_view() -> str:
        raise JSONError(403, {"error": "insufficient_scope"}, [])

    @app.get("/standard")
    def standard() -> str:
        raise wz.Unauthorized(www_authenticate=WWWAuthenticate("basic", {"realm": "r"}))

    @app.get("/handled")
    def handled() -> str:
        raise HandledError(418, {"error": "teapot"}, [])

    @app.errorhandler(HandledError)  # keyed on the class: its code is the instance's (as Authlib's)
    def teapot(e: Exception) -> tuple[str, int]:
        return f"handled {type(e).__name__} {request.path}", 418

    return app


@pytest.mark.parametrize(
    ("path", "status", "error"), [("/sync", 401, "invalid_token"), ("/async", 403, "insufficient_scope")]
)
def test_a_werkzeug_error_with_its_own_page_is_sent_as_that_page(path: str, status: int, error: str) -> None:
    reply = make_app().test_client().get(path)
    assert reply.status_code == status
    assert reply.headers.getlist("Content-Type") == ["application/json"]
    assert reply.get_json() == {"error": error}
    if status == 401:
        assert reply.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'


def test_werkzeug_standard_errors_keep_our_page_and_handlers_still_come_first() -> None:
    client = make_app().test_client()
    standard = client.get("/standard")
    assert standard.status_code == 401 and standard.mimetype == "text/html"
    assert "Unauthorized" in standard.text
    assert standard.headers["WWW-Authenticate"].startswith("Basic")
    assert client.get("/handled").text == "handled HandledError /handled"
