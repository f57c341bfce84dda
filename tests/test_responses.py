"""Responses: every view return form, the Response object's Flask surface, JSON, redirects, HEAD."""

from __future__ import annotations

import dataclasses
import decimal
import logging
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, StreamingResponse

from microflask import MicroFlask, Response, jsonify, make_response, redirect

# -- view return forms ------------------------------------------------------------------------


def test_str_is_html_utf8() -> None:
    app = MicroFlask(__name__)

    @app.route("/")
    async def index() -> str:
        return "<b>héllo</b>"

    with app.test_client() as client:
        r = client.get("/")
        assert r.status_code == 200
        assert r.headers["content-type"] == "text/html; charset=utf-8"
        assert r.data == "<b>héllo</b>".encode()
        assert r.text == "<b>héllo</b>"
        assert r.headers["content-length"] == str(len("<b>héllo</b>".encode()))


def test_empty_str() -> None:
    app = MicroFlask(__name__)

    @app.route("/")
    async def index() -> str:
        return ""

    with app.test_client() as client:
        r = client.get("/")
        assert (r.status_code, r.data, r.headers["content-length"]) == (200, b"", "0")


def test_bytes() -> None:
    app = MicroFlask(__name__)

    @app.route("/")
    async def index() -> bytes:
        return b"\x00\x01raw\xff"

    @app.route("/ba")
    async def ba() -> bytearray:
        return bytearray(b"from bytearray")

    with app.test_client() as client:
        r = client.get("/")
        assert r.status_code == 200
        assert r.data == b"\x00\x01raw\xff"
        assert r.headers["content-length"] == "6"
        assert r.headers["content-type"].startswith("text/html")
        r = client.get("/ba")
        assert (r.status_code, r.data) == (200, b"from bytearray")


def test_dict_is_flask_json() -> None:
    app = MicroFlask(__name__)

    @app.route("/")
    async def index() -> dict[str, Any]:
        return {"b": 1, "a": {"z": [1, 2], "y": None}, "c": "ü"}

    with app.test_client() as client:
        r = client.get("/")
        assert r.status_code == 200
        assert r.headers["content-type"] == "application/json"
        assert r.data == b'{"a":{"y":null,"z":[1,2]},"b":1,"c":"\\u00fc"}\n'
        assert r.json == {"b": 1, "a": {"z": [1, 2], "y": None}, "c": "ü"}
        assert r.get_json() == r.json


def test_list_is_flask_json() -> None:
    app = MicroFlask(__name__)

    @app.route("/")
    async def index() -> list[Any]:
        return [3, {"b": 2, "a": 1}, "x"]

    with app.test_client() as client:
        r = client.get("/")
        assert r.headers["content-type"] == "application/json"
        assert r.data == b'[3,{"a":1,"b":2},"x"]\n'


def test_json_is_indented_in_debug() -> None:
    app = MicroFlask(__name__)
    app.debug = True

    @app.route("/")
    async def index() -> dict[str, Any]:
        return {"b": 1, "a": 2}

    with app.test_client() as client:
        assert client.get("/").data == b'{\n  "a": 2,\n  "b": 1\n}\n'


@pytest.mark.parametrize(
    ("rv", "status", "headers", "body"),
    [
        pytest.param(("created", 201), 201, {}, b"created", id="str-status"),
        pytest.param(("gone", "410 GONE"), 410, {}, b"gone", id="str-status-line"),
        pytest.param(({"a": 1}, 202), 202, {"content-type": "application/json"}, b'{"a":1}\n', id="dict-status"),
        pytest.param((["x"], 418), 418, {"content-type": "application/json"}, b'["x"]\n', id="list-status"),
        pytest.param(("h", {"X-A": "1", "X-B": 2}), 200, {"x-a": "1", "x-b": "2"}, b"h", id="headers-dict"),
        pytest.param(("h", [("X-A", "1"), ("X-B", "2")]), 200, {"x-a": "1", "x-b": "2"}, b"h", id="headers-list"),
        pytest.param(("h", 203, {"X-A": "1"}), 203, {"x-a": "1"}, b"h", id="status-headers-dict"),
        pytest.param(("h", 203, [("X-A", "1")]), 203, {"x-a": "1"}, b"h", id="status-headers-list"),
        pytest.param(
            ({"k": "v"}, 201, {"Location": "/k"}),
            201,
            {"location": "/k", "content-type": "application/json"},
            b'{"k":"v"}\n',
            id="json-status-headers",
        ),
        pytest.param((b"raw", 206), 206, {}, b"raw", id="bytes-status"),
        pytest.param(("", 204), 204, {}, b"", id="no-content"),
    ],
)
def test_tuple_return_forms(rv: Any, status: int, headers: dict[str, str], body: bytes) -> None:
    app = MicroFlask(__name__)

    @app.route("/")
    async def index() -> Any:
        return rv

    with app.test_client() as client:
        r = client.get("/")
        assert r.status_code == status
        for key, value in headers.items():
            assert r.headers[key] == value
        assert r.data == body


@pytest.mark.parametrize("rv", [("ignored", 204), Response("ignored", 204)], ids=["tuple", "response"])
def test_204_never_has_a_body(rv: Any) -> None:
    app = MicroFlask(__name__)

    @app.route("/")
    async def index() -> Any:
        return rv

    with app.test_client() as client:
        r = client.get("/")
        assert r.status_code == 204
        assert r.data == b""
        assert r.headers.get("content-length", "0") == "0"


def test_tuple_headers_list_keeps_repeated_headers() -> None:
    app = MicroFlask(__name__)

    @app.route("/")
    async def index() -> Any:
        return "x", [("X-Many", "1"), ("X-Many", "2")]

    with app.test_client() as client:
        assert client.get("/").headers.get_list("x-many") == ["1", "2"]


def test_tuple_headers_dict_replaces_content_type() -> None:
    app = MicroFlask(__name__)

    @app.route("/")
    async def index() -> Any:
        return "plain", {"Content-Type": "text/plain; charset=utf-8"}

    with app.test_client() as client:
        r = client.get("/")
        assert r.headers.get_list("content-type") == ["text/plain; charset=utf-8"]


def test_tuple_with_response_object_overrides_status_and_headers() -> None:
    app = MicroFlask(__name__)

    @app.route("/")
    async def index() -> Any:
        return Response("body", 200, {"X-Orig": "1"}), 404, {"X-New": "2"}

    with app.test_client() as client:
        r = client.get("/")
        assert (r.status_code, r.text) == (404, "body")
        assert (r.headers["x-orig"], r.headers["x-new"]) == ("1", "2")


@pytest.mark.parametrize(
    "rv",
    [
        pytest.param(("a", 200, {}, "extra"), id="four-tuple"),
        pytest.param(("a",), id="one-tuple"),
    ],
)
def test_bad_tuple_is_500(rv: Any) -> None:
    app = MicroFlask(__name__)

    @app.route("/")
    async def index() -> Any:
        return rv

    with app.test_client() as client:
        assert client.get("/").status_code == 500


def test_microflask_response() -> None:
    app = MicroFlask(__name__)

    @app.route("/")
    async def index() -> Response:
        return Response("text body", 201, {"X-Thing": "yes"}, mimetype="text/plain")

    with app.test_client() as client:
        r = client.get("/")
        assert r.status_code == 201
        assert r.text == "text body"
        assert r.headers["x-thing"] == "yes"
        assert r.headers["content-type"] == "text/plain; charset=utf-8"


@pytest.mark.parametrize(
    ("factory", "status", "content_type", "body", "extra"),
    [
        pytest.param(
            lambda: PlainTextResponse("plain", status_code=202),
            202,
            "text/plain; charset=utf-8",
            b"plain",
            {},
            id="plaintext",
        ),
        pytest.param(
            lambda: JSONResponse({"b": 1, "a": 2}), 200, "application/json", b'{"b":1,"a":2}', {}, id="jsonresponse"
        ),
        pytest.param(lambda: RedirectResponse("/there"), 307, None, b"", {"location": "/there"}, id="redirect"),
        pytest.param(
            lambda: RedirectResponse("/there", status_code=301),
            301,
            None,
            b"",
            {"location": "/there"},
            id="redirect-301",
        ),
    ],
)
def test_starlette_responses_pass_through(
    factory: Any, status: int, content_type: str | None, body: bytes, extra: dict[str, str]
) -> None:
    app = MicroFlask(__name__)

    @app.route("/")
    async def index() -> Any:
        return factory()

    with app.test_client() as client:
        r = client.get("/")
        assert r.status_code == status
        if content_type is not None:
            assert r.headers["content-type"] == content_type
        assert r.data == body
        for key, value in extra.items():
            assert r.headers[key] == value


def test_starlette_streaming_response() -> None:
    app = MicroFlask(__name__)

    @app.route("/")
    async def index() -> StreamingResponse:
        async def gen() -> AsyncIterator[bytes]:
            yield b"a"
            yield b"b"

        return StreamingResponse(gen(), media_type="text/plain")

    with app.test_client() as client:
        r = client.get("/")
        assert (r.status_code, r.text) == (200, "ab")
        assert r.headers["content-type"].startswith("text/plain")


def test_sync_generator_is_streamed() -> None:
    app = MicroFlask(__name__)

    @app.route("/")
    async def index() -> Iterator[str]:
        def gen() -> Iterator[str]:
            yield "one "
            yield "two "
            yield "three"

        return gen()

    with app.test_client() as client:
        r = client.get("/")
        assert r.status_code == 200
        assert r.text == "one two three"
        assert r.headers["content-type"].startswith("text/html")
        assert "content-length" not in r.headers


def test_async_generator_is_streamed() -> None:
    app = MicroFlask(__name__)

    @app.route("/")
    async def index() -> AsyncIterator[bytes]:
        async def gen() -> AsyncIterator[bytes]:
            for i in range(5):
                yield f"chunk{i};".encode()

        return gen()

    with app.test_client() as client:
        r = client.get("/")
        assert r.status_code == 200
        assert r.text == "chunk0;chunk1;chunk2;chunk3;chunk4;"


def test_generator_with_status_and_headers() -> None:
    app = MicroFlask(__name__)

    @app.route("/")
    async def index() -> Any:
        def gen() -> Iterator[str]:
            yield "a,"
            yield "b"

        return gen(), 201, {"Content-Type": "text/csv"}

    with app.test_client() as client:
        r = client.get("/")
        assert (r.status_code, r.text, r.headers["content-type"]) == (201, "a,b", "text/csv")


@pytest.mark.anyio
async def test_async_generator_with_async_client() -> None:
    app = MicroFlask(__name__)

    @app.route("/")
    async def index() -> AsyncIterator[str]:
        async def gen() -> AsyncIterator[str]:
            yield "x"
            yield "y"

        return gen()

    async with app.async_test_client() as client:
        r = await client.get("/")
        assert (r.status_code, r.text) == (200, "xy")


def test_generator_failing_before_first_chunk_is_500(caplog: pytest.LogCaptureFixture) -> None:
    app = MicroFlask(__name__)

    @app.route("/")
    async def index() -> Iterator[str]:
        def gen() -> Iterator[str]:
            raise RuntimeError("boom in generator")
            yield "never"

        return gen()

    with caplog.at_level(logging.ERROR), app.test_client() as client:
        r = client.get("/")
        assert r.status_code == 500
        assert "boom in generator" not in r.text
    assert "boom in generator" in caplog.text


def test_sync_view_returns_every_form() -> None:
    app = MicroFlask(__name__)

    @app.route("/str")
    def s() -> str:
        return "sync str"

    @app.route("/dict")
    def d() -> dict[str, int]:
        return {"z": 1, "a": 2}

    @app.route("/tuple")
    def t() -> Any:
        return "made", 201, {"X-S": "1"}

    @app.route("/gen")
    def gen_view() -> Iterator[str]:
        def gen() -> Iterator[str]:
            yield "g1"
            yield "g2"

        return gen()

    with app.test_client() as client:
        assert client.get("/str").text == "sync str"
        assert client.get("/dict").data == b'{"a":2,"z":1}\n'
        r = client.get("/tuple")
        assert (r.status_code, r.text, r.headers["x-s"]) == (201, "made", "1")
        assert client.get("/gen").text == "g1g2"


def test_none_is_500_and_log_names_the_view(caplog: pytest.LogCaptureFixture) -> None:
    app = MicroFlask(__name__)

    @app.route("/nothing", endpoint="returns_nothing")
    async def view() -> None:
        return None

    with caplog.at_level(logging.ERROR), app.test_client() as client:
        r = client.get("/nothing")
        assert r.status_code == 500
        assert "returns_nothing" not in r.text
    assert "'returns_nothing'" in caplog.text
    assert "did not return a valid response" in caplog.text


def test_sync_view_none_is_500_and_log_names_the_view(caplog: pytest.LogCaptureFixture) -> None:
    app = MicroFlask(__name__)

    @app.route("/")
    def forgot_return() -> None:
        pass

    with caplog.at_level(logging.ERROR), app.test_client() as client:
        assert client.get("/").status_code == 500
    assert "'forgot_return'" in caplog.text


@pytest.mark.parametrize(
    "rv",
    [
        pytest.param(42, id="int"),
        pytest.param(3.5, id="float"),
        pytest.param(object(), id="object"),
        pytest.param({1, 2}, id="set"),
        pytest.param((None, 200), id="none-in-tuple"),
    ],
)
def test_unsupported_return_is_500(rv: Any, caplog: pytest.LogCaptureFixture) -> None:
    app = MicroFlask(__name__)

    @app.route("/")
    async def index() -> Any:
        return rv

    with caplog.at_level(logging.ERROR), app.test_client() as client:
        r = client.get("/")
        assert r.status_code == 500
        assert "Traceback" not in r.text
    assert "did not return a valid response" in caplog.text


def test_unsupported_return_propagates_when_testing() -> None:
    app = MicroFlask(__name__)
    app.testing = True

    @app.route("/")
    async def index() -> Any:
        return 42

    with app.test_client() as client, pytest.raises(TypeError, match="int"):
        client.get("/")


# -- the Response object -----------------------------------------------------------------------


def test_response_defaults() -> None:
    r = Response()
    assert r.status_code == 200
    assert r.status == "200 OK"
    assert r.mimetype == "text/html"
    assert r.content_type == "text/html; charset=utf-8"
    assert r.get_data() == b""
    assert r.headers["content-length"] == "0"


@pytest.mark.parametrize(
    ("code", "status"),
    [
        (200, "200 OK"),
        (201, "201 CREATED"),
        (404, "404 NOT FOUND"),
        (418, "418 I'M A TEAPOT"),
        (500, "500 INTERNAL SERVER ERROR"),
    ],
)
def test_response_status_string(code: int, status: str) -> None:
    r = Response("x", code)
    assert r.status_code == code
    assert r.status == status


def test_response_status_setter_and_string_status() -> None:
    r = Response("x", "404 NOT FOUND")
    assert r.status_code == 404
    r.status = 201
    assert (r.status_code, r.status) == (201, "201 CREATED")
    r.status = "302 FOUND"
    assert r.status_code == 302
    r.status_code = 410
    assert r.status == "410 GONE"
    with pytest.raises(ValueError):
        Response("x", "not a status")


def test_response_headers() -> None:
    r = Response("x", headers={"X-A": "1"})
    assert r.headers["x-a"] == "1"
    assert r.headers["X-A"] == "1"
    r.headers["X-B"] = "2"
    assert r.headers["x-b"] == "2"
    r2 = Response("x", headers=[("X-M", "1"), ("X-M", "2")])
    assert r2.headers.getlist("x-m") == ["1", "2"]


def test_response_mimetype_get_set() -> None:
    r = Response("x")
    assert r.mimetype == "text/html"
    r.mimetype = "text/plain"
    assert r.mimetype == "text/plain"
    assert r.content_type == "text/plain; charset=utf-8"
    r.mimetype = "application/json"
    assert r.content_type == "application/json"
    assert r.is_json
    r.content_type = "application/xml; charset=latin-1"
    assert (r.mimetype, r.content_type) == ("application/xml", "application/xml; charset=latin-1")
    assert r.headers.getlist("content-type") == ["application/xml; charset=latin-1"]


def test_response_constructor_mimetype_and_content_type() -> None:
    assert Response("x", mimetype="text/plain").content_type == "text/plain; charset=utf-8"
    assert Response("{}", mimetype="application/json").content_type == "application/json"
    assert Response("x", content_type="text/csv; charset=ascii").mimetype == "text/csv"


def test_response_get_data_and_set_data() -> None:
    r = Response("héllo")
    assert r.get_data() == "héllo".encode()
    assert r.get_data(as_text=True) == "héllo"
    assert r.data == "héllo".encode()
    assert r.content_length == len("héllo".encode())
    r.set_data("a much longer body")
    assert r.get_data() == b"a much longer body"
    assert r.headers["content-length"] == str(len(b"a much longer body"))
    assert r.content_length == 18
    r.set_data(b"")
    assert r.headers["content-length"] == "0"
    r.data = "via property"
    assert r.get_data(as_text=True) == "via property"
    assert r.headers["content-length"] == "12"


def test_set_data_is_what_the_client_gets() -> None:
    app = MicroFlask(__name__)

    @app.route("/")
    async def index() -> Response:
        response = make_response("short")
        response.set_data("this is the replaced, longer body")
        return response

    @app.after_request
    async def shout(response: Response) -> Response:
        if response.mimetype == "text/html":
            response.set_data(response.get_data(as_text=True).upper())
        return response

    with app.test_client() as client:
        r = client.get("/")
        assert r.text == "THIS IS THE REPLACED, LONGER BODY"
        assert r.headers["content-length"] == str(len(r.data))


def test_set_cookie_default_attributes() -> None:
    r = Response()
    r.set_cookie("name", "value")
    assert r.headers.getlist("set-cookie") == ["name=value; Path=/; SameSite=Lax"]


def test_set_cookie_all_attributes() -> None:
    r = Response()
    r.set_cookie(
        "sid",
        "abc123",
        max_age=3600,
        expires=datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC),
        path="/app",
        domain="example.com",
        secure=True,
        httponly=True,
        samesite="Strict",
    )
    (header,) = r.headers.getlist("set-cookie")
    parts = header.split("; ")
    assert parts[0] == "sid=abc123"
    assert set(parts[1:]) == {
        "Max-Age=3600",
        "Expires=Wed, 02 Jan 2030 03:04:05 GMT",
        "Path=/app",
        "Domain=example.com",
        "Secure",
        "HttpOnly",
        "SameSite=Strict",
    }


def test_set_cookie_variants() -> None:
    r = Response()
    r.set_cookie("a", "1", max_age=timedelta(minutes=2))
    r.set_cookie("b", "2", samesite=None)
    r.set_cookie("c", "3", samesite="none", secure=True)
    r.set_cookie("d", "4", expires=0)
    r.set_cookie("e", "5", expires=datetime(2030, 1, 1))  # naive is UTC
    r.set_cookie("f", "with space;semi")
    r.set_cookie("g", "7", path=None)
    a, b, c, d, e, f, g = r.headers.getlist("set-cookie")
    assert "Max-Age=120" in a.split("; ")
    assert "SameSite" not in b
    assert {"SameSite=None", "Secure"} <= set(c.split("; "))
    assert "Expires=Thu, 01 Jan 1970 00:00:00 GMT" in d.split("; ")
    assert "Expires=Tue, 01 Jan 2030 00:00:00 GMT" in e.split("; ")
    assert f.startswith('f="with space\\073semi"')
    assert "Path" not in g


def test_set_cookie_rejects_bad_names_and_samesite() -> None:
    r = Response()
    with pytest.raises(ValueError):
        r.set_cookie("bad name", "x")
    with pytest.raises(ValueError):
        r.set_cookie("a;b", "x")
    with pytest.raises(ValueError):
        r.set_cookie("ok", "x", samesite="sometimes")
    assert r.headers.getlist("set-cookie") == []


def test_set_cookie_value_cannot_inject_headers() -> None:
    r = Response()
    try:
        r.set_cookie("a", "x\r\nX-Injected: 1")
    except ValueError:
        pass
    for header in r.headers.getlist("set-cookie"):
        assert "\r" not in header and "\n" not in header


def test_delete_cookie() -> None:
    r = Response()
    r.delete_cookie("sid", path="/app", domain="example.com")
    (header,) = r.headers.getlist("set-cookie")
    parts = header.split("; ")
    assert parts[0] in ("sid=", 'sid=""')
    assert "Max-Age=0" in parts
    assert "Expires=Thu, 01 Jan 1970 00:00:00 GMT" in parts
    assert "Path=/app" in parts
    assert "Domain=example.com" in parts


def test_cookies_reach_the_client_and_persist() -> None:
    app = MicroFlask(__name__)

    @app.route("/set")
    async def set_view() -> Response:
        response = make_response("set")
        response.set_cookie("token", "t1", httponly=True)
        response.set_cookie("theme", "dark", max_age=60)
        return response

    @app.route("/read")
    async def read_view() -> dict[str, str]:
        from microflask import request

        return dict(request.cookies)

    @app.route("/del")
    async def del_view() -> Response:
        response = make_response("deleted")
        response.delete_cookie("token")
        return response

    with app.test_client() as client:
        r = client.get("/set")
        headers = r.headers.get_list("set-cookie")
        assert "token=t1; Path=/; HttpOnly; SameSite=Lax" in headers
        assert "theme=dark; Max-Age=60; Path=/; SameSite=Lax" in headers
        assert client.get("/read").json == {"token": "t1", "theme": "dark"}
        client.get("/del")
        assert client.get("/read").json == {"theme": "dark"}


# -- make_response and jsonify ---------------------------------------------------------------------


def test_make_response_then_modify() -> None:
    app = MicroFlask(__name__)

    @app.route("/str")
    async def from_str() -> Response:
        response = make_response("hello", 201)
        response.headers["X-Extra"] = "yes"
        response.set_cookie("c", "1")
        return response

    @app.route("/dict")
    async def from_dict() -> Response:
        response = make_response({"a": 1})
        response.status_code = 202
        return response

    @app.route("/tuple")
    async def from_tuple() -> Response:
        response = make_response("x", 203, {"X-T": "t"})
        response.mimetype = "text/plain"
        return response

    @app.route("/empty")
    async def empty() -> Response:
        response = make_response()
        response.set_data("filled later")
        return response

    @app.route("/resp")
    async def from_response() -> Response:
        original = Response("orig")
        response = make_response(original)
        assert response is original
        return response

    with app.test_client() as client:
        r = client.get("/str")
        assert (r.status_code, r.text, r.headers["x-extra"]) == (201, "hello", "yes")
        assert r.headers["set-cookie"] == "c=1; Path=/; SameSite=Lax"
        r = client.get("/dict")
        assert (r.status_code, r.json, r.headers["content-type"]) == (202, {"a": 1}, "application/json")
        r = client.get("/tuple")
        assert (r.status_code, r.text, r.headers["x-t"]) == (203, "x", "t")
        assert r.headers["content-type"] == "text/plain; charset=utf-8"
        r = client.get("/empty")
        assert (r.status_code, r.text) == (200, "filled later")
        assert client.get("/resp").text == "orig"


def test_make_response_in_sync_view() -> None:
    app = MicroFlask(__name__)

    @app.route("/")
    def index() -> Response:
        response = make_response(("sync", 201))
        response.headers["X-S"] = "1"
        return response

    with app.test_client() as client:
        r = client.get("/")
        assert (r.status_code, r.text, r.headers["x-s"]) == (201, "sync", "1")


def test_jsonify_forms() -> None:
    app = MicroFlask(__name__)

    @app.route("/dict")
    async def j_dict() -> Response:
        return jsonify({"b": 1, "a": [1, 2]})

    @app.route("/kwargs")
    async def j_kwargs() -> Response:
        return jsonify(z=1, a="x")

    @app.route("/many")
    async def j_many() -> Response:
        return jsonify(1, "two", None)

    @app.route("/one")
    async def j_one() -> Response:
        return jsonify("just a string")

    @app.route("/empty")
    async def j_empty() -> Response:
        return jsonify()

    @app.route("/status")
    async def j_status() -> Any:
        return jsonify(error="nope"), 404

    with app.test_client() as client:
        r = client.get("/dict")
        assert r.headers["content-type"] == "application/json"
        assert r.data == b'{"a":[1,2],"b":1}\n'
        assert client.get("/kwargs").data == b'{"a":"x","z":1}\n'
        assert client.get("/many").data == b'[1,"two",null]\n'
        assert client.get("/one").data == b'"just a string"\n'
        assert client.get("/empty").data == b"{}\n"
        r = client.get("/status")
        assert (r.status_code, r.json) == (404, {"error": "nope"})


def test_jsonify_args_and_kwargs_is_an_error() -> None:
    app = MicroFlask(__name__)

    @app.route("/")
    async def index() -> Response:
        with pytest.raises(TypeError):
            jsonify({"a": 1}, b=2)
        return jsonify(ok=True)

    with app.test_client() as client:
        assert client.get("/").json == {"ok": True}


def test_jsonify_is_a_response_object() -> None:
    app = MicroFlask(__name__)

    @app.route("/")
    async def index() -> Response:
        response = jsonify(a=1)
        assert isinstance(response, Response)
        assert response.status_code == 200
        assert response.mimetype == "application/json"
        assert response.is_json
        assert response.get_data() == b'{"a":1}\n'
        response.status_code = 201
        response.headers["X-J"] = "1"
        return response

    with app.test_client() as client:
        r = client.get("/")
        assert (r.status_code, r.headers["x-j"], r.json) == (201, "1", {"a": 1})


@dataclasses.dataclass
class Point:
    x: int
    y: int
    label: str = "p"


@dataclasses.dataclass
class Nested:
    point: Point
    tags: list[str]


def test_json_of_special_types() -> None:
    app = MicroFlask(__name__)
    u = uuid.UUID("12345678-1234-5678-1234-567812345678")

    @app.route("/")
    async def index() -> dict[str, Any]:
        return {
            "dc": Point(1, 2),
            "nested": Nested(Point(3, 4, "q"), ["a"]),
            "dt": datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
            "naive": datetime(2024, 1, 2, 3, 4, 5),
            "date": date(2024, 1, 2),
            "uuid": u,
            "dec": decimal.Decimal("1.10"),
        }

    @app.route("/jsonify")
    async def via_jsonify() -> Response:
        return jsonify(Point(5, 6), u, decimal.Decimal("0.5"))

    with app.test_client() as client:
        r = client.get("/")
        assert r.status_code == 200, r.text
        assert r.json == {
            "dc": {"x": 1, "y": 2, "label": "p"},
            "nested": {"point": {"x": 3, "y": 4, "label": "q"}, "tags": ["a"]},
            "dt": "Tue, 02 Jan 2024 03:04:05 GMT",
            "naive": "Tue, 02 Jan 2024 03:04:05 GMT",
            "date": "Tue, 02 Jan 2024 00:00:00 GMT",
            "uuid": "12345678-1234-5678-1234-567812345678",
            "dec": "1.10",
        }
        r = client.get("/jsonify")
        assert r.json == [{"label": "p", "x": 5, "y": 6}, "12345678-1234-5678-1234-567812345678", "0.5"]


def test_json_of_aware_non_utc_datetime_is_converted_to_gmt() -> None:
    from datetime import timezone

    app = MicroFlask(__name__)

    @app.route("/")
    async def index() -> list[Any]:
        return [datetime(2024, 1, 2, 5, 4, 5, tzinfo=timezone(timedelta(hours=2)))]

    with app.test_client() as client:
        assert client.get("/").json == ["Tue, 02 Jan 2024 03:04:05 GMT"]


def test_json_of_unserializable_is_500(caplog: pytest.LogCaptureFixture) -> None:
    app = MicroFlask(__name__)

    @app.route("/")
    async def index() -> dict[str, Any]:
        return {"obj": object()}

    with caplog.at_level(logging.ERROR), app.test_client() as client:
        assert client.get("/").status_code == 500
    assert "not JSON serializable" in caplog.text


# -- redirects ----------------------------------------------------------------------------------


def test_redirect_default_and_custom_codes() -> None:
    app = MicroFlask(__name__)

    @app.route("/r")
    async def r_default() -> Response:
        return redirect("/target?x=1")

    @app.route("/r301")
    async def r301() -> Response:
        return redirect("/moved", code=301)

    @app.route("/r307")
    async def r307() -> Response:
        return redirect("https://example.com/abs", 307)

    @app.route("/r303")
    def r303() -> Response:
        return redirect("/sync-see-other", 303)

    with app.test_client() as client:
        r = client.get("/r")
        assert r.status_code == 302
        assert r.headers["location"] == "/target?x=1"
        assert r.headers["content-type"] == "text/html; charset=utf-8"
        assert 'href="/target?x=1"' in r.text
        r = client.get("/r301")
        assert (r.status_code, r.headers["location"]) == (301, "/moved")
        r = client.get("/r307")
        assert (r.status_code, r.headers["location"]) == (307, "https://example.com/abs")
        r = client.get("/r303")
        assert (r.status_code, r.headers["location"]) == (303, "/sync-see-other")


def test_redirect_response_object() -> None:
    r = redirect("/x")
    assert isinstance(r, Response)
    assert (r.status_code, r.location, r.headers["location"]) == (302, "/x", "/x")


def test_redirect_is_followed_by_client() -> None:
    app = MicroFlask(__name__)

    @app.route("/start")
    async def start() -> Response:
        return redirect("/end")

    @app.route("/end")
    async def end() -> str:
        return "arrived"

    with app.test_client() as client:
        r = client.get("/start", follow_redirects=True)
        assert (r.status_code, r.text) == (200, "arrived")


@pytest.mark.parametrize(
    ("target", "location"),
    [
        pytest.param("/x\r\nSet-Cookie: a=b", "/x%0D%0ASet-Cookie:%20a=b", id="crlf"),
        pytest.param("/x\nX-Injected: 1", "/x%0AX-Injected:%201", id="lf"),
        pytest.param("/x\rX-Injected: 1", "/x%0DX-Injected:%201", id="cr"),
        pytest.param("/a path/with spaces", "/a%20path/with%20spaces", id="spaces"),
        pytest.param("/café/ü?q=ñ", "/caf%C3%A9/%C3%BC?q=%C3%B1", id="non-ascii"),
        pytest.param("/already%20quoted", "/already%20quoted", id="pre-quoted"),
        pytest.param('/q"uote<tag>', "/q%22uote%3Ctag%3E", id="quotes-and-brackets"),
        pytest.param("/x\x00y", "/x%00y", id="nul"),
    ],
)
def test_redirect_target_is_percent_encoded(target: str, location: str) -> None:
    app = MicroFlask(__name__)

    @app.route("/")
    async def index() -> Response:
        return redirect(target)

    with app.test_client() as client:
        r = client.get("/")
        assert r.status_code == 302
        assert r.headers["location"] == location
        assert r.headers.get_list("location") == [location]
        assert "set-cookie" not in r.headers
        assert "x-injected" not in r.headers
        assert len(r.cookies) == 0
        assert "\r" not in r.text and "<tag>" not in r.text


# -- HEAD ---------------------------------------------------------------------------------------


def test_head_has_no_body_but_keeps_content_length() -> None:
    app = MicroFlask(__name__)

    @app.route("/")
    async def index() -> str:
        return "x" * 123

    @app.route("/json")
    async def as_json() -> dict[str, Any]:
        return {"key": "value"}

    @app.route("/sync")
    def sync_view() -> str:
        return "sync body"

    with app.test_client() as client:
        get = client.get("/")
        head = client.head("/")
        assert head.status_code == 200
        assert head.data == b""
        assert head.headers["content-length"] == get.headers["content-length"] == "123"
        assert head.headers["content-type"] == get.headers["content-type"]
        head = client.head("/json")
        assert head.data == b""
        assert head.headers["content-length"] == str(len(b'{"key":"value"}\n'))
        assert head.headers["content-type"] == "application/json"
        head = client.head("/sync")
        assert (head.status_code, head.data, head.headers["content-length"]) == (200, b"", "9")


def test_head_of_streamed_response_has_no_body() -> None:
    app = MicroFlask(__name__)

    @app.route("/")
    async def index() -> AsyncIterator[str]:
        async def gen() -> AsyncIterator[str]:
            yield "streamed"
            yield " body"

        return gen()

    with app.test_client() as client:
        head = client.head("/")
        assert (head.status_code, head.data) == (200, b"")
        assert client.get("/").text == "streamed body"


@pytest.mark.anyio
async def test_head_with_async_client() -> None:
    app = MicroFlask(__name__)

    @app.route("/")
    async def index() -> tuple[str, int, dict[str, str]]:
        return "hello", 201, {"X-H": "1"}

    async with app.async_test_client() as client:
        head = await client.head("/")
        assert (head.status_code, head.content, head.headers["content-length"], head.headers["x-h"]) == (
            201,
            b"",
            "5",
            "1",
        )


def test_head_for_error_response() -> None:
    app = MicroFlask(__name__)

    @app.route("/")
    async def index() -> str:
        return "x"

    with app.test_client() as client:
        get = client.get("/missing")
        head = client.head("/missing")
        assert head.status_code == get.status_code == 404
        assert head.data == b""
        assert head.headers["content-length"] == get.headers["content-length"]


# -- the test response -----------------------------------------------------------------------


def test_test_response_surface() -> None:
    app = MicroFlask(__name__)

    @app.route("/")
    async def index() -> Any:
        return {"a": 1}, 404

    @app.route("/text")
    async def text() -> str:
        return "not json"

    with app.test_client() as client:
        r = client.get("/")
        assert r.status == "404 NOT FOUND"
        assert r.mimetype == "application/json"
        assert r.is_json
        assert r.json == r.get_json() == {"a": 1}
        r = client.get("/text")
        assert r.get_json(silent=True) is None
        assert r.get_json(force=True, silent=True) is None
        with pytest.raises(ValueError):
            r.get_json()
