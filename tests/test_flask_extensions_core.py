"""What Flask extensions need from the core (issue 15, point 2), tested without the extensions:
Werkzeug's header API on responses (assignable ``response.headers``), and sync body access from
sync code running inside an ``async def`` view's request once the body was read."""

from __future__ import annotations

import copy

import pytest
import werkzeug.datastructures as wd

from microflask import MicroFlask, Response
from microflask.httputil import SafeHeaders
from microflask.werkzeug_interop import adopt_werkzeug_hierarchy

# -- response headers ------------------------------------------------------------------


def cookies(response: Response) -> list[str]:
    return response.headers.getlist("set-cookie")


@pytest.mark.parametrize(
    "value",
    [
        {"X-One": "1", "X-Two": ["2", "3"]},
        [("X-One", "1"), ("X-Two", "2"), ("X-Two", "3")],
        wd.MultiDict([("X-One", "1"), ("X-Two", "2"), ("X-Two", "3")]),
        wd.Headers([("X-One", "1"), ("X-Two", "2"), ("X-Two", "3")]),
        SafeHeaders(raw=[(b"x-one", b"1"), (b"x-two", b"2"), (b"x-two", b"3")]),
    ],
    ids=["dict", "pairs", "werkzeug-multidict", "werkzeug-headers", "ours"],
)
def test_response_headers_are_assignable_from_any_headers_like_value(value: object) -> None:
    response = Response("body")
    response.headers = value
    assert response.headers.getlist("x-two") == ["2", "3"]
    assert response.raw_headers == [(b"x-one", b"1"), (b"x-two", b"2"), (b"x-two", b"3")]
    response.headers.add("X-Three", 3)  # later changes still reach what is sent
    assert response.raw_headers[-1] == (b"x-three", b"3")


def test_assigned_headers_stay_safe_from_injection() -> None:
    response = Response("body")
    response.headers = [("X-Evil", "a\r\nSet-Cookie: stolen=1")]
    assert response.raw_headers == [(b"x-evil", b"a  Set-Cookie: stolen=1")]
    with pytest.raises(ValueError, match="Invalid header name"):
        response.headers = {"Bad Name": "x"}


def test_assigning_the_headers_back_keeps_repeated_headers() -> None:
    app = MicroFlask(__name__)

    @app.after_request
    def rewrap(response: Response) -> Response:
        response.headers = response.headers  # what an extension may do after wrapping them
        response.headers.add("X-After", "yes")
        return response

    @app.route("/")
    def index() -> Response:
        response = Response("ok")
        response.set_cookie("a", "1")
        response.set_cookie("b", "2")
        return response

    reply = app.test_client().get("/")
    assert reply.headers.get_all("set-cookie") == ["a=1; Path=/; SameSite=Lax", "b=2; Path=/; SameSite=Lax"]
    assert reply.headers["x-after"] == "yes"


def test_response_headers_have_werkzeugs_api() -> None:
    headers = Response("body").headers
    headers.set("Content-Disposition", "attachment", filename="a b.txt")
    assert headers["content-disposition"] == 'attachment; filename="a b.txt"'
    headers.add("Link", "</a>", rel="preload")
    headers.add("Link", "</b>", rel="preload", nopush=True)
    assert headers.getlist("link") == ["</a>; rel=preload", "</b>; rel=preload; nopush"]
    headers.setlist("X-N", ["1", "x", "3"])
    assert headers.getlist("x-n", type=int) == [1, 3]
    assert headers.get("x-n", type=int) == 1
    assert headers.get("x-missing", 7, type=int) == 7
    assert headers.setlistdefault("x-n", ["9"]) == ["1", "x", "3"]
    assert headers.setlistdefault("x-new", ["9"]) == ["9"]
    headers.update({"X-N": "only"}, Server="kw")
    assert headers.getlist("x-n") == ["only"]
    assert headers["server"] == "kw"
    headers.extend([("X-N", "again")])
    assert headers.get_all("x-n") == ["only", "again"]
    assert headers.pop("x-n") == "only" and "x-n" not in headers
    assert headers.pop("x-n", None) is None
    with pytest.raises(KeyError):
        headers.pop("x-n")
    assert headers.popitem() == ("server", "kw")
    headers.remove("link")
    headers.remove("link")  # none left: fine
    assert ("x-new", "9") in headers.to_wsgi_list()
    assert "x-new: 9\r\n" in str(headers)
    duplicate = copy.copy(headers)
    duplicate.clear()
    assert len(duplicate) == 0 and "x-new" in headers


def test_response_headers_count_as_werkzeugs_headers_once_werkzeug_is_imported() -> None:
    adopt_werkzeug_hierarchy()  # the app does it when it freezes
    assert isinstance(Response("x").headers, wd.Headers)
    headers = Response("x").headers
    headers.add("X-A", "1")
    assert headers.getlist("x-a") == ["1"]  # our methods, not Werkzeug's, answer
