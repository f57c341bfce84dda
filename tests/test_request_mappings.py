"""``request.headers`` and ``request.cookies`` as Werkzeug's: the headers iterate over
``(name, value)`` pairs with the names written as Werkzeug writes them (``X-Token``), with
``keys``/``items`` (``lower=True``), ``get``/``getlist`` with ``type``, ``to_wsgi_list``; the
cookies are an ``ImmutableMultiDict`` (a repeated name keeps every value, the first wins).
Code written for Flask relies on both (SpecTree does ``dict(iter(request.headers))`` and
``request.cookies.getlist(name)``). In def and async def views, and on a websocket."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from microflask import MicroFlask, request, websocket
from microflask.httputil import RequestHeaders, cookie_pairs
from microflask.multidicts import ImmutableMultiDict


def make_app(kind: str) -> MicroFlask:
    app = MicroFlask(__name__)

    def headers() -> Any:
        h = request.headers
        return {
            "iter": [list(pair) for pair in h if pair[0].startswith("X-")],
            "dict": {k: v for k, v in dict(iter(h)).items() if k.startswith("X-")},
            "mapping": {k: v for k, v in dict(h).items() if k.startswith("X-")},
            "lower": [k for k in h.keys(lower=True) if k.startswith("x-")],
            "items_lower": [list(p) for p in h.items(lower=True) if p[0].startswith("x-")],
            "lookup": [h["x-token"], h.get("X-TOKEN"), "X-Token" in h, "x-nope" in h],
            "typed": [h.get("X-Count", type=int), h.get("X-Token", -1, type=int), h.get("X-Nope", "d")],
            "list": h.getlist("X-Count", type=int),
            "wsgi": [list(p) for p in h.to_wsgi_list() if p[0].startswith("X-")],
            "len": len(h) == len(h.raw),
        }

    def cookies() -> Any:
        c = request.cookies
        return {
            "type": type(c).__name__,
            "first": c["a"],
            "all": c.getlist("a"),
            "get": [c.get("b"), c.get("nope", "d")],
            "dict": dict(c),
            "quoted": c.get("q"),
        }

    if kind == "def":
        app.get("/headers")(headers)
        app.get("/cookies")(cookies)
    else:

        async def async_headers() -> Any:
            return headers()

        async def async_cookies() -> Any:
            return cookies()

        app.get("/headers")(async_headers)
        app.get("/cookies")(async_cookies)
    return app


@pytest.mark.parametrize("kind", ["def", "async"])
def test_request_headers_are_werkzeugs(kind: str) -> None:
    client = TestClient(make_app(kind))  # sends repeated headers as they are given
    r = client.get("/headers", headers=[("X-Token", "t1"), ("x-count", "3"), ("X-Count", "x"), ("X-Count", "5")])
    data = r.json()
    pairs = [["X-Token", "t1"], ["X-Count", "3"], ["X-Count", "x"], ["X-Count", "5"]]
    assert data["iter"] == pairs
    assert data["dict"] == {"X-Token": "t1", "X-Count": "5"}  # dict(pairs): the last value
    assert data["mapping"] == {"X-Token": "t1", "X-Count": "3"}  # keys() and lookups: the first
    assert data["lower"] == ["x-token", "x-count", "x-count", "x-count"]
    assert data["items_lower"] == [[k.lower(), v] for k, v in pairs]
    assert data["lookup"] == ["t1", "t1", True, False]
    assert data["typed"] == [3, -1, "d"]
    assert data["list"] == [3, 5]
    assert data["wsgi"] == pairs
    assert data["len"] is True


@pytest.mark.parametrize("kind", ["def", "async"])
def test_request_cookies_are_a_multidict(kind: str) -> None:
    client = make_app(kind).test_client()
    r = client.get("/cookies", headers={"Cookie": 'a=1; b=two; a=3; q="x y"'})
    assert r.get_json() == {
        "type": "ImmutableMultiDict",
        "first": "1",
        "all": ["1", "3"],
        "get": ["two", "d"],
        "dict": {"a": "1", "b": "two", "q": "x y"},
        "quoted": "x y",
    }


def test_cookies_from_several_headers_and_none() -> None:
    app = MicroFlask(__name__)

    @app.get("/")
    def index() -> Any:
        return {"all": request.cookies.getlist("a"), "n": len(request.cookies)}

    client = TestClient(app)
    raw = client.get("/", headers=[("cookie", "a=1"), ("cookie", "a=2; b=3")])
    assert raw.json() == {"all": ["1", "2"], "n": 2}
    assert client.get("/").json() == {"all": [], "n": 0}


def test_cookie_pairs() -> None:
    # As Werkzeug's parse_cookie: a chunk without "=" is a name with an empty value, one without a name is skipped.
    assert cookie_pairs('a=1; ; b = 2 ;c="q\\"x";noval; =e') == [
        ("a", "1"),
        ("b", "2"),
        ("c", 'q"x'),
        ("noval", ""),
    ]
    assert cookie_pairs("") == []


def test_request_headers_class() -> None:
    h = RequestHeaders(raw=[(b"content-type", b"text/plain"), (b"www-authenticate", b"x")])
    assert list(h) == [("Content-Type", "text/plain"), ("Www-Authenticate", "x")]
    assert h.keys() == ["Content-Type", "Www-Authenticate"]
    assert h["CONTENT-TYPE"] == "text/plain"
    assert h.get_all("content-type") == ["text/plain"]
    assert h.mutablecopy()["content-type"] == "text/plain"
    assert isinstance(ImmutableMultiDict(), ImmutableMultiDict)


def test_websocket_headers_and_cookies() -> None:
    app = MicroFlask(__name__)

    @app.websocket("/ws")
    async def ws() -> None:
        await websocket.accept()
        await websocket.send_json(
            {"token": dict(iter(websocket.headers)).get("X-Token"), "a": websocket.cookies.getlist("a")}
        )
        await websocket.close()

    with TestClient(app).websocket_connect("/ws", headers={"X-Token": "w", "Cookie": "a=1; a=2"}) as conn:
        assert conn.receive_json() == {"token": "w", "a": ["1", "2"]}


@pytest.mark.anyio
async def test_test_clients_keep_one_cookie_per_name() -> None:
    """A cookie the client set itself is replaced by the one of the same name a response sets
    (the request then carries only the new one, which ``request.cookies`` reads first)."""
    app = MicroFlask(__name__)
    app.config["SECRET_KEY"] = "k"

    @app.get("/set/<value>")
    def set_value(value: str) -> Any:
        response = app.make_response("set")
        response.set_cookie("flavour", value)
        return response

    @app.get("/read")
    def read() -> Any:
        return {"flavour": request.cookies.getlist("flavour"), "header": request.headers.getlist("cookie")}

    client = app.test_client()
    client.set_cookie("flavour", "vanilla")
    assert client.get("/read").get_json()["flavour"] == ["vanilla"]
    client.get("/set/lemon")
    assert client.get("/read").get_json()["flavour"] == ["lemon"]
    assert client.get_cookie("flavour").value == "lemon"

    async with app.async_test_client() as async_client:
        async_client.set_cookie("flavour", "vanilla")
        await async_client.get("/set/mint")
        assert (await async_client.get("/read")).json == {"flavour": ["mint"], "header": ["flavour=mint"]}
