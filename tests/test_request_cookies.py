"""``request.cookies`` is Werkzeug's: an ImmutableMultiDict read from every ``Cookie`` header
(the first value of a repeated name wins, ``getlist`` gives all, ``get(name, default=...,
type=...)``), quoted values unquoted; as Flask-Security reads it
(``request.cookies.get(name, default=None)``)."""

from __future__ import annotations

from typing import Any

import pytest

from microflask import Flask, make_response, request, session
from microflask.httputil import cookie_pairs
from microflask.multidicts import ImmutableMultiDict
from microflask.wrappers import Request


def test_cookie_pairs_keep_order_and_repeats() -> None:
    assert cookie_pairs("a=1; b=2; a=3") == [("a", "1"), ("b", "2"), ("a", "3")]
    assert cookie_pairs(" c = 4 ; d=; f=a=b") == [("c", "4"), ("d", ""), ("f", "a=b")]
    assert cookie_pairs('q="x\\073y\\"z"; r="\\\\"; s="') == [("q", 'x;y"z'), ("r", "\\"), ("s", '"')]
    assert cookie_pairs("g=%20x") == [("g", "%20x")]  # not URL-decoded, as Werkzeug


def test_request_cookies_is_an_immutable_multidict() -> None:
    app = Flask(__name__)
    seen: dict[str, object] = {}

    @app.get("/")
    def index() -> str:
        cookies = request.cookies
        seen.update(
            type=type(cookies),
            a=cookies["a"],
            all_a=cookies.getlist("a"),
            missing=cookies.get("missing", default="none"),
            number=cookies.get("n", type=int),
            bad_number=cookies.get("a", default=-1, type=int),
            quoted=cookies.get("q"),
            plain=dict(cookies),
        )
        with pytest.raises(TypeError):
            cookies["a"] = "changed"  # type: ignore[index]
        return "ok"

    client = app.test_client()
    assert client.get("/", headers={"Cookie": 'a=first; n=7; q="x\\073y"; a=second'}).text == "ok"
    assert seen["type"] is ImmutableMultiDict
    assert seen["a"] == "first"
    assert seen["all_a"] == ["first", "second"]
    assert seen["missing"] == "none"
    assert seen["number"] == 7
    assert seen["bad_number"] == -1
    assert seen["quoted"] == "x;y"
    assert seen["plain"] == {"a": "first", "n": "7", "q": "x;y"}


def test_several_cookie_headers() -> None:
    scope = {"type": "http", "method": "GET", "path": "/", "headers": [(b"cookie", b"a=1; b=2"), (b"cookie", b"a=3")]}
    cookies = Request(scope).cookies
    assert cookies["a"] == "1"  # the first wins, as in Werkzeug
    assert cookies.getlist("a") == ["1", "3"]
    assert cookies.to_dict() == {"a": "1", "b": "2"}
    app = Flask(__name__)
    with app.test_request_context("/"):
        assert request.cookies == {}
        assert request.cookies.get("a", default=None) is None


def test_sessions_still_read_their_cookie() -> None:
    app = Flask(__name__)
    app.secret_key = "k"

    @app.get("/set")
    async def set_value() -> str:
        session["n"] = 1
        return "set"

    @app.get("/get")
    def get_value() -> str:
        return str(session.get("n"))

    client = app.test_client()
    client.get("/set")
    assert client.get("/get").text == "1"


def test_a_cookie_the_test_client_set_is_replaced_by_the_apps() -> None:
    """``client.set_cookie`` and ``session_transaction`` file their cookie where the app's own
    ``Set-Cookie`` lands, so the app's next value replaces it (both would otherwise be sent,
    the stale one first, and the first value wins)."""
    app = Flask(__name__)
    app.secret_key = "k"

    @app.get("/flavour/<name>")
    def set_flavour(name: str) -> Any:
        response = make_response("set")
        response.set_cookie("flavour", name)
        return response

    @app.get("/count")
    def count() -> str:
        session["n"] = session.get("n", 0) + 1
        return str(session["n"])

    @app.get("/seen")
    def seen() -> dict[str, Any]:
        return {"flavour": request.cookies.getlist("flavour"), "sessions": len(request.cookies.getlist("session"))}

    client = app.test_client()
    client.set_cookie("flavour", "vanilla")
    client.get("/flavour/lemon")
    assert client.get("/seen").get_json()["flavour"] == ["lemon"]
    client.set_cookie("flavour", "mint")
    assert client.get("/seen").get_json()["flavour"] == ["mint"]

    assert client.get("/count").text == "1"
    with client.session_transaction() as sess:
        sess["n"] = 10
    assert client.get("/count").text == "11"
    assert client.get("/count").text == "12"
    assert client.get("/seen").get_json()["sessions"] == 1
