"""The Request object: sync attributes, the async body, bad input, limits and sync views."""

from __future__ import annotations

import inspect
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from starlette.datastructures import UploadFile

from microflask import MicroFlask, g, request

# -- sync attributes -------------------------------------------------------------------------


def test_method_path_full_path_url_base_url() -> None:
    app = MicroFlask(__name__)

    @app.route("/items/<name>", methods=["GET", "POST"])
    async def item(name: str) -> dict[str, Any]:
        return {
            "method": request.method,
            "path": request.path,
            "full_path": request.full_path,
            "url": str(request.url),
            "url_eq": request.url == "http://localhost/items/box?a=1&b=two",
            "base_url": request.base_url,
            "host": request.host,
            "scheme": request.scheme,
            "remote_addr": request.remote_addr,
        }

    with app.test_client() as client:
        r = client.get("/items/box?a=1&b=two")
        assert r.status_code == 200
        assert r.json == {
            "method": "GET",
            "path": "/items/box",
            "full_path": "/items/box?a=1&b=two",
            "url": "http://localhost/items/box?a=1&b=two",
            "url_eq": True,
            "base_url": "http://localhost/items/box",
            "host": "localhost",
            "scheme": "http",
            "remote_addr": "127.0.0.1",
        }
        assert client.post("/items/box").json["method"] == "POST"


def test_full_path_always_has_question_mark() -> None:
    app = MicroFlask(__name__)

    @app.route("/p")
    async def p() -> str:
        return request.full_path

    with app.test_client() as client:
        assert client.get("/p").text == "/p?"
        assert client.get("/p?x=1").text == "/p?x=1"


def test_base_url_quotes_path_and_drops_query() -> None:
    app = MicroFlask(__name__)

    @app.route("/<name>")
    async def p(name: str) -> str:
        return f"{name}|{request.path}|{request.base_url}"

    with app.test_client() as client:
        assert client.get("/a%20b?q=1").text == "a b|/a b|http://localhost/a%20b"


def test_host_and_scheme_follow_host_header_and_base_url() -> None:
    app = MicroFlask(__name__)

    @app.route("/")
    async def index() -> dict[str, Any]:
        return {"host": request.host, "scheme": request.scheme, "base_url": request.base_url}

    with app.test_client(base_url="https://example.com:8443") as client:
        assert client.get("/").json == {
            "host": "example.com:8443",
            "scheme": "https",
            "base_url": "https://example.com:8443/",
        }
    with app.test_client() as client:
        r = client.get("/", headers={"Host": "other.test"})
        assert r.json["host"] == "other.test"
        assert r.json["base_url"] == "http://other.test/"


@pytest.mark.anyio
async def test_remote_addr_with_async_client() -> None:
    app = MicroFlask(__name__)

    @app.route("/")
    async def index() -> str:
        return str(request.remote_addr)

    async with app.async_test_client() as client:
        r = await client.get("/")
        assert r.text == "127.0.0.1"


def test_args_is_a_multidict() -> None:
    app = MicroFlask(__name__)

    @app.route("/")
    async def index() -> dict[str, Any]:
        args = request.args
        return {
            "a": args.get("a"),
            "a_item": args["a"],
            "all_a": args.getlist("a"),
            "n": args.get("n", type=int),
            "bad_n": args.get("bad", -1, type=int),
            "missing": args.get("missing", "dflt"),
            "missing_typed": args.get("missing", 7, type=int),
            "ints": args.getlist("a", type=int),
            "blank": args.get("blank"),
            "space": args.get("s"),
            "contains": "a" in args and "zzz" not in args,
            "flat": args.to_dict(),
            "lists": args.to_dict(flat=False),
        }

    with app.test_client() as client:
        r = client.get("/?a=1&a=2&a=x&n=42&bad=abc&blank=&s=hello+world%21")
        assert r.status_code == 200
        assert r.json == {
            "a": "1",
            "a_item": "1",
            "all_a": ["1", "2", "x"],
            "n": 42,
            "bad_n": -1,
            "missing": "dflt",
            "missing_typed": 7,
            "ints": [1, 2],
            "blank": "",
            "space": "hello world!",
            "contains": True,
            "flat": {"a": "1", "n": "42", "bad": "abc", "blank": "", "s": "hello world!"},
            "lists": {"a": ["1", "2", "x"], "n": ["42"], "bad": ["abc"], "blank": [""], "s": ["hello world!"]},
        }


def test_empty_args() -> None:
    app = MicroFlask(__name__)

    @app.route("/")
    async def index() -> dict[str, Any]:
        return {"len": len(request.args), "get": request.args.get("a"), "list": request.args.getlist("a")}

    with app.test_client() as client:
        assert client.get("/").json == {"len": 0, "get": None, "list": []}


def test_missing_arg_key_is_400_not_500() -> None:
    app = MicroFlask(__name__)

    @app.route("/async")
    async def async_view() -> str:
        return request.args["missing"]

    @app.route("/sync")
    def sync_view() -> str:
        return request.args["missing"]

    with app.test_client() as client:
        assert client.get("/async").status_code == 400
        assert client.get("/sync").status_code == 400
        assert client.get("/async?missing=ok").text == "ok"
        assert client.get("/sync?missing=ok").text == "ok"


def test_missing_arg_key_is_also_a_key_error() -> None:
    app = MicroFlask(__name__)

    @app.route("/")
    async def index() -> str:
        try:
            request.args["missing"]
        except KeyError:
            return "caught"
        return "not raised"

    with app.test_client() as client:
        assert client.get("/").text == "caught"


def test_headers_are_case_insensitive() -> None:
    app = MicroFlask(__name__)

    @app.route("/")
    async def index() -> dict[str, Any]:
        return {
            "lower": request.headers.get("x-custom"),
            "mixed": request.headers["X-Custom"],
            "missing": request.headers.get("x-missing"),
            "ua": request.headers.get("user-agent") is not None,
        }

    with app.test_client() as client:
        r = client.get("/", headers={"X-CUSTOM": "value"})
        assert r.json == {"lower": "value", "mixed": "value", "missing": None, "ua": True}


def test_cookies() -> None:
    app = MicroFlask(__name__)

    @app.route("/")
    async def index() -> dict[str, Any]:
        return dict(request.cookies)

    with app.test_client() as client:
        assert client.get("/").json == {}
        assert client.get("/", headers={"Cookie": "a=1; b=two"}).json == {"a": "1", "b": "two"}


def test_view_args_endpoint_url_rule() -> None:
    app = MicroFlask(__name__)

    @app.route("/users/<int:user_id>/posts/<slug>", endpoint="user_post")
    async def post(user_id: int, slug: str) -> dict[str, Any]:
        assert request.url_rule is not None
        return {
            "view_args": request.view_args,
            "endpoint": request.endpoint,
            "rule": request.url_rule.rule,
            "methods": sorted(request.url_rule.methods),
            "id_type": type(request.view_args["user_id"]).__name__,
        }

    with app.test_client() as client:
        r = client.get("/users/5/posts/hello")
        assert r.json == {
            "view_args": {"user_id": 5, "slug": "hello"},
            "endpoint": "user_post",
            "rule": "/users/<int:user_id>/posts/<slug>",
            "methods": ["GET", "HEAD", "OPTIONS"],
            "id_type": "int",
        }


def test_no_route_has_no_url_rule_or_endpoint() -> None:
    app = MicroFlask(__name__)
    seen: dict[str, Any] = {}

    @app.route("/")
    async def index() -> str:
        return "x"

    @app.errorhandler(404)
    async def not_found(e: Exception) -> tuple[str, int]:
        seen.update(rule=request.url_rule, endpoint=request.endpoint, view_args=request.view_args)
        return "nope", 404

    with app.test_client() as client:
        assert client.get("/missing").status_code == 404
    assert seen == {"rule": None, "endpoint": None, "view_args": None}


@pytest.mark.parametrize(
    ("content_type", "mimetype", "is_json"),
    [
        ("application/json", "application/json", True),
        ("application/json; charset=utf-8", "application/json", True),
        ("Application/JSON", "application/json", True),
        ("application/vnd.api+json", "application/vnd.api+json", True),
        ("text/plain; charset=latin-1", "text/plain", False),
        ("application/jsonp", "application/jsonp", False),
    ],
)
def test_content_type_mimetype_is_json(content_type: str, mimetype: str, is_json: bool) -> None:
    app = MicroFlask(__name__)

    @app.route("/", methods=["POST"])
    async def index() -> dict[str, Any]:
        return {
            "content_type": request.content_type,
            "mimetype": request.mimetype,
            "is_json": request.is_json,
            "content_length": request.content_length,
        }

    with app.test_client() as client:
        r = client.post("/", content=b"12345", headers={"Content-Type": content_type})
        assert r.json == {"content_type": content_type, "mimetype": mimetype, "is_json": is_json, "content_length": 5}


def test_no_body_no_content_type() -> None:
    app = MicroFlask(__name__)

    @app.route("/")
    async def index() -> dict[str, Any]:
        return {
            "content_type": request.content_type,
            "mimetype": request.mimetype,
            "is_json": request.is_json,
            "content_length": request.content_length,
        }

    with app.test_client() as client:
        assert client.get("/").json == {"content_type": None, "mimetype": "", "is_json": False, "content_length": None}


def test_accept_mimetypes() -> None:
    app = MicroFlask(__name__)

    @app.route("/")
    async def index() -> dict[str, Any]:
        accept = request.accept_mimetypes
        return {
            "json_in": "application/json" in accept,
            "xml_in": "application/xml" in accept,
            "html_q": accept.quality("text/html"),
            "json_q": accept.quality("application/json"),
            "other_text_q": accept.quality("text/csv"),
            "best": accept.best_match(["text/html", "application/json"]),
            "best_none": accept.best_match(["image/png"], default="fallback"),
            "accept_json": accept.accept_json,
            "accept_html": accept.accept_html,
        }

    with app.test_client() as client:
        r = client.get("/", headers={"Accept": "text/html;q=0.5, application/json, text/*;q=0.2"})
        assert r.json == {
            "json_in": True,
            "xml_in": False,
            "html_q": 0.5,
            "json_q": 1.0,
            "other_text_q": 0.2,
            "best": "application/json",
            "best_none": "fallback",
            "accept_json": True,
            "accept_html": True,
        }


def test_accept_wildcard_matches_everything() -> None:
    app = MicroFlask(__name__)

    @app.route("/")
    async def index() -> dict[str, Any]:
        accept = request.accept_mimetypes
        return {"png": "image/png" in accept, "best": accept.best_match(["text/html", "application/json"])}

    with app.test_client() as client:
        assert client.get("/", headers={"Accept": "*/*"}).json == {"png": True, "best": "text/html"}


# -- the body, async -----------------------------------------------------------------------------


@pytest.mark.anyio
async def test_get_data_bytes_text_and_data_property() -> None:
    app = MicroFlask(__name__)

    @app.route("/", methods=["POST"])
    async def index() -> dict[str, Any]:
        raw = await request.get_data()
        text = await request.get_data(as_text=True)
        data = await request.data
        return {
            "raw_type": type(raw).__name__,
            "raw": raw.decode(),
            "text_type": type(text).__name__,
            "text": text,
            "data_same": data == raw,
        }

    async with app.async_test_client() as client:
        body = "héllo wörld".encode()
        r = await client.post("/", content=body, headers={"Content-Type": "text/plain; charset=utf-8"})
        assert r.json == {
            "raw_type": "bytes",
            "raw": "héllo wörld",
            "text_type": "str",
            "text": "héllo wörld",
            "data_same": True,
        }


@pytest.mark.anyio
async def test_get_data_as_text_uses_charset_param() -> None:
    app = MicroFlask(__name__)

    @app.route("/", methods=["POST"])
    async def index() -> str:
        return await request.get_data(as_text=True)

    async with app.async_test_client() as client:
        r = await client.post(
            "/", content="café".encode("latin-1"), headers={"Content-Type": "text/plain; charset=latin-1"}
        )
        assert r.text == "café"


@pytest.mark.anyio
async def test_empty_body() -> None:
    app = MicroFlask(__name__)

    @app.route("/", methods=["POST"])
    async def index() -> dict[str, Any]:
        return {"data": (await request.get_data()).decode(), "form": dict(await request.form)}

    async with app.async_test_client() as client:
        r = await client.post("/")
        assert r.json == {"data": "", "form": {}}


@pytest.mark.anyio
async def test_get_json_and_json_property() -> None:
    app = MicroFlask(__name__)

    @app.route("/", methods=["POST"])
    async def index() -> dict[str, Any]:
        first = await request.get_json()
        second = await request.json
        return {"first": first, "second": second, "raw": (await request.get_data()).decode()}

    async with app.async_test_client() as client:
        r = await client.post("/", json={"b": [1, 2, {"c": None}], "a": "ü"})
        assert r.status_code == 200
        assert r.json["first"] == {"b": [1, 2, {"c": None}], "a": "ü"}
        assert r.json["second"] == r.json["first"]
        assert '"a"' in r.json["raw"]


@pytest.mark.anyio
async def test_get_json_scalar_and_list_bodies() -> None:
    app = MicroFlask(__name__)

    @app.route("/", methods=["POST"])
    async def index() -> dict[str, Any]:
        return {"value": await request.get_json()}

    async with app.async_test_client() as client:
        for value in [[1, 2, 3], "text", 5, None, True]:
            r = await client.post("/", content=json.dumps(value), headers={"Content-Type": "application/json"})
            assert r.json == {"value": value}


@pytest.mark.anyio
async def test_get_json_wrong_content_type_is_415() -> None:
    app = MicroFlask(__name__)

    @app.route("/", methods=["POST"])
    async def index() -> dict[str, Any]:
        return {"value": await request.get_json()}

    async with app.async_test_client() as client:
        r = await client.post("/", content=b'{"a": 1}', headers={"Content-Type": "text/plain"})
        assert r.status_code == 415
        r = await client.post("/", content=b'{"a": 1}')
        assert r.status_code == 415


@pytest.mark.anyio
async def test_get_json_silent() -> None:
    app = MicroFlask(__name__)

    @app.route("/", methods=["POST"])
    async def index() -> dict[str, Any]:
        return {"value": await request.get_json(silent=True)}

    async with app.async_test_client() as client:
        r = await client.post("/", content=b"{not json", headers={"Content-Type": "application/json"})
        assert (r.status_code, r.json) == (200, {"value": None})
        r = await client.post("/", content=b'{"a": 1}', headers={"Content-Type": "text/plain"})
        assert (r.status_code, r.json) == (200, {"value": None})
        r = await client.post("/", json={"a": 1})
        assert (r.status_code, r.json) == (200, {"value": {"a": 1}})


@pytest.mark.anyio
async def test_get_json_force_ignores_content_type() -> None:
    app = MicroFlask(__name__)

    @app.route("/", methods=["POST"])
    async def index() -> dict[str, Any]:
        return {"value": await request.get_json(force=True)}

    async with app.async_test_client() as client:
        r = await client.post("/", content=b'{"a": [1]}', headers={"Content-Type": "text/plain"})
        assert (r.status_code, r.json) == (200, {"value": {"a": [1]}})
        r = await client.post("/", content=b'{"a": [1]}')
        assert (r.status_code, r.json) == (200, {"value": {"a": [1]}})
        r = await client.post("/", content=b"nope", headers={"Content-Type": "text/plain"})
        assert r.status_code == 400


@pytest.mark.anyio
async def test_form_urlencoded() -> None:
    app = MicroFlask(__name__)

    @app.route("/", methods=["POST"])
    async def index() -> dict[str, Any]:
        form = await request.form
        return {
            "name": form["name"],
            "tags": form.getlist("tag"),
            "first_tag": form.get("tag"),
            "age": form.get("age", type=int),
            "files": len(await request.files),
        }

    async with app.async_test_client() as client:
        r = await client.post("/", data={"name": "Zoë & co", "tag": ["a", "b"], "age": "30"})
        assert r.status_code == 200
        assert r.json == {"name": "Zoë & co", "tags": ["a", "b"], "first_tag": "a", "age": 30, "files": 0}


@pytest.mark.anyio
async def test_form_missing_key_is_400() -> None:
    app = MicroFlask(__name__)

    @app.route("/", methods=["POST"])
    async def index() -> str:
        return (await request.form)["missing"]

    async with app.async_test_client() as client:
        r = await client.post("/", data={"other": "x"})
        assert r.status_code == 400


@pytest.mark.anyio
async def test_form_multipart_and_files() -> None:
    app = MicroFlask(__name__)

    @app.route("/", methods=["POST"])
    async def index() -> dict[str, Any]:
        form = await request.form
        files = await request.files
        upload = files["doc"]
        assert isinstance(upload, UploadFile)
        others = files.getlist("many")
        return {
            "title": form["title"],
            "form_keys": sorted(form),
            "file_keys": sorted(files),
            "filename": upload.filename,
            "file_type": upload.content_type,
            "content": (await upload.read()).decode(),
            "many": [(f.filename, (await f.read()).decode()) for f in others],
        }

    async with app.async_test_client() as client:
        r = await client.post(
            "/",
            data={"title": "Report"},
            files=[
                ("doc", ("report.txt", b"hello file", "text/plain")),
                ("many", ("a.bin", b"AAA", "application/octet-stream")),
                ("many", ("b.bin", b"BBB", "application/octet-stream")),
            ],
        )
        assert r.status_code == 200, r.text
        assert r.json == {
            "title": "Report",
            "form_keys": ["title"],
            "file_keys": ["doc", "many"],
            "filename": "report.txt",
            "file_type": "text/plain",
            "content": "hello file",
            "many": [["a.bin", "AAA"], ["b.bin", "BBB"]],
        }


@pytest.mark.anyio
async def test_values_combines_args_and_form() -> None:
    app = MicroFlask(__name__)

    @app.route("/", methods=["POST"])
    async def index() -> dict[str, Any]:
        values = await request.values
        return {
            "a": values["a"],
            "all_a": values.getlist("a"),
            "q": values.get("q"),
            "f": values.get("f"),
        }

    async with app.async_test_client() as client:
        r = await client.post("/?a=from-args&q=1", data={"a": "from-form", "f": "2"})
        assert r.json == {"a": "from-args", "all_a": ["from-args", "from-form"], "q": "1", "f": "2"}


@pytest.mark.anyio
async def test_values_on_get_is_just_args() -> None:
    app = MicroFlask(__name__)

    @app.route("/")
    async def index() -> dict[str, Any]:
        return (await request.values).to_dict(flat=False)

    async with app.async_test_client() as client:
        r = await client.get("/?a=1&a=2&b=3")
        assert r.json == {"a": ["1", "2"], "b": ["3"]}


@pytest.mark.anyio
async def test_stream_yields_the_body() -> None:
    app = MicroFlask(__name__)

    @app.route("/", methods=["POST"])
    async def index() -> dict[str, Any]:
        chunks = [chunk async for chunk in request.stream()]
        return {"n": len(chunks), "body": b"".join(chunks).decode()}

    async def body() -> AsyncIterator[bytes]:
        for part in (b"one,", b"two,", b"three"):
            yield part

    async with app.async_test_client() as client:
        r = await client.post("/", content=body())
        assert r.status_code == 200
        assert r.json["body"] == "one,two,three"
        assert r.json["n"] >= 1
        r = await client.post("/", content=b"plain body")
        assert r.json["body"] == "plain body"


@pytest.mark.anyio
async def test_body_readable_after_stream_cached() -> None:
    app = MicroFlask(__name__)

    @app.route("/", methods=["POST"])
    async def index() -> dict[str, Any]:
        data = await request.get_data()
        streamed = b"".join([c async for c in request.stream()])
        return {"data": data.decode(), "streamed": streamed.decode(), "json": await request.get_json()}

    async with app.async_test_client() as client:
        r = await client.post("/", content=b"[1, 2]", headers={"Content-Type": "application/json"})
        assert r.json == {"data": "[1, 2]", "streamed": "[1, 2]", "json": [1, 2]}


# -- bad input is a 4xx, never a 500 --------------------------------------------------------------


def _json_app() -> MicroFlask:
    app = MicroFlask(__name__)

    @app.route("/", methods=["POST"])
    async def index() -> dict[str, Any]:
        return {"value": await request.get_json()}

    @app.route("/sync", methods=["POST"])
    def sync_index() -> dict[str, Any]:
        return {"value": request.get_json()}

    return app


@pytest.mark.parametrize("path", ["/", "/sync"])
@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"{bad json", id="malformed"),
        pytest.param(b"", id="empty"),
        pytest.param(b'{"a": 1', id="truncated"),
        pytest.param(b'"\xff\xfe"', id="invalid-utf8"),
        pytest.param(b"\xc3\x28", id="invalid-utf8-bare"),
        pytest.param(b"[" * 100_000, id="deeply-nested-list"),
        pytest.param(b'{"a":' * 100_000, id="deeply-nested-object"),
    ],
)
def test_bad_json_is_400(path: str, body: bytes) -> None:
    with _json_app().test_client() as client:
        r = client.post(path, content=body, headers={"Content-Type": "application/json"})
        assert r.status_code == 400


@pytest.mark.anyio
async def test_bad_json_message_is_short_and_safe() -> None:
    async with _json_app().async_test_client() as client:
        r = await client.post("/", content=b"[" * 100_000, headers={"Content-Type": "application/json"})
        assert r.status_code == 400
        assert len(r.content) < 5_000
        assert "Traceback" not in r.text


def _form_app() -> MicroFlask:
    app = MicroFlask(__name__)

    @app.route("/", methods=["POST"])
    async def index() -> dict[str, Any]:
        form = await request.form
        files = await request.files
        return {"form": form.to_dict(), "files": sorted(files)}

    return app


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        pytest.param(
            "multipart/form-data",
            b"--x\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n--x--\r\n",
            id="no-boundary",
        ),
        pytest.param(
            "multipart/form-data; boundary=xyz",
            b'--xyz\r\nContent-Disposition: form-data; name="a"\r\n\r\nvalue-without-end',
            id="truncated",
        ),
        pytest.param("multipart/form-data; boundary=xyz", b"this is not multipart at all", id="garbage"),
        pytest.param(
            "multipart/form-data; boundary=xyz",
            b"--xyz\r\nContent-Disposition: form-data\r\n\r\nno name\r\n--xyz--\r\n",
            id="part-without-name",
        ),
        pytest.param(
            "multipart/form-data; boundary=xyz",
            b'--xyz\r\nContent-Disposition: form-data; name="a"\r\n',
            id="headers-only",
        ),
    ],
)
def test_broken_multipart_is_400(content_type: str, body: bytes) -> None:
    with _form_app().test_client() as client:
        r = client.post("/", content=body, headers={"Content-Type": content_type})
        assert r.status_code == 400, r.text


def test_form_with_other_content_type_is_empty() -> None:
    with _form_app().test_client() as client:
        r = client.post("/", content=b"a=1", headers={"Content-Type": "text/plain"})
        assert r.json == {"form": {}, "files": []}


def test_urlencoded_form_with_odd_bytes_is_not_500() -> None:
    with _form_app().test_client() as client:
        r = client.post("/", content=b"a=%ZZ&b=%ff&c", headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert r.status_code in (200, 400)


# -- MAX_CONTENT_LENGTH ---------------------------------------------------------------------------


def _limited_app(limit: int) -> MicroFlask:
    app = MicroFlask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = limit

    @app.route("/data", methods=["POST"])
    async def data() -> dict[str, Any]:
        return {"size": len(await request.get_data())}

    @app.route("/form", methods=["POST"])
    async def form() -> dict[str, Any]:
        return (await request.form).to_dict()

    @app.route("/sync", methods=["POST"])
    def sync_data() -> dict[str, Any]:
        return {"size": len(request.data)}

    return app


@pytest.mark.anyio
async def test_body_under_max_content_length_works() -> None:
    async with _limited_app(100).async_test_client() as client:
        r = await client.post("/data", content=b"x" * 100)
        assert (r.status_code, r.json) == (200, {"size": 100})
        r = await client.post("/sync", content=b"x" * 50)
        assert (r.status_code, r.json) == (200, {"size": 50})

        async def chunks() -> AsyncIterator[bytes]:
            for _ in range(10):
                yield b"y" * 10

        r = await client.post("/data", content=chunks())
        assert (r.status_code, r.json) == (200, {"size": 100})


@pytest.mark.anyio
@pytest.mark.parametrize("path", ["/data", "/form", "/sync"])
async def test_max_content_length_by_header_is_413(path: str) -> None:
    async with _limited_app(100).async_test_client() as client:
        r = await client.post(path, content=b"x" * 101, headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert r.status_code == 413


@pytest.mark.anyio
async def test_max_content_length_for_streamed_body_is_413() -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(20):
            yield b"y" * 10

    async with _limited_app(100).async_test_client() as client:
        r = await client.post("/data", content=chunks())
        assert "content-length" not in r.request.headers
        assert r.status_code == 413


def test_request_max_content_length_attribute_enforced() -> None:
    """The mechanism itself (a Request subclass with a limit) works by header and by stream."""
    from microflask import Request

    class LimitedRequest(Request):
        max_content_length = 10

    app = MicroFlask(__name__)
    app.request_class = LimitedRequest

    @app.route("/", methods=["POST"])
    async def index() -> dict[str, Any]:
        return {"size": len(await request.get_data())}

    with app.test_client() as client:
        assert client.post("/", content=b"x" * 10).json == {"size": 10}
        assert client.post("/", content=b"x" * 11).status_code == 413


@pytest.mark.anyio
async def test_request_max_content_length_attribute_streamed() -> None:
    from microflask import Request

    class LimitedRequest(Request):
        max_content_length = 10

    app = MicroFlask(__name__)
    app.request_class = LimitedRequest

    @app.route("/", methods=["POST"])
    async def index() -> dict[str, Any]:
        return {"size": len(await request.get_data())}

    async def chunks(n: int) -> AsyncIterator[bytes]:
        for _ in range(n):
            yield b"abc"

    async with app.async_test_client() as client:
        r = await client.post("/", content=chunks(3))
        assert (r.status_code, r.json) == (200, {"size": 9})
        r = await client.post("/", content=chunks(4))
        assert "content-length" not in r.request.headers
        assert r.status_code == 413


# -- sync views --------------------------------------------------------------------------------


def test_sync_view_reads_form_args_without_await() -> None:
    app = MicroFlask(__name__)

    @app.route("/", methods=["POST"])
    def index() -> dict[str, Any]:
        return {
            "name": request.form["name"],
            "tags": request.form.getlist("tag"),
            "q": request.args.get("q"),
            "values": request.values.to_dict(flat=False),
        }

    with app.test_client() as client:
        r = client.post("/?q=search", data={"name": "Ann", "tag": ["x", "y"]})
        assert r.status_code == 200, r.text
        assert r.json == {
            "name": "Ann",
            "tags": ["x", "y"],
            "q": "search",
            "values": {"q": ["search"], "name": ["Ann"], "tag": ["x", "y"]},
        }


def test_sync_view_reads_json_and_data() -> None:
    app = MicroFlask(__name__)

    @app.route("/", methods=["POST"])
    def index() -> dict[str, Any]:
        data = request.data
        return {
            "get_json": request.get_json(),
            "json": request.json,
            "data": data.decode(),
            "data_type": type(data).__name__,
            "text": request.get_data(as_text=True),
        }

    with app.test_client() as client:
        r = client.post("/", content=b'{"k": [1, 2]}', headers={"Content-Type": "application/json"})
        assert r.status_code == 200, r.text
        assert r.json == {
            "get_json": {"k": [1, 2]},
            "json": {"k": [1, 2]},
            "data": '{"k": [1, 2]}',
            "data_type": "bytes",
            "text": '{"k": [1, 2]}',
        }


def test_sync_view_json_errors() -> None:
    app = MicroFlask(__name__)

    @app.route("/", methods=["POST"])
    def index() -> dict[str, Any]:
        return {"value": request.get_json()}

    @app.route("/silent", methods=["POST"])
    def silent() -> dict[str, Any]:
        return {"value": request.get_json(silent=True)}

    @app.route("/force", methods=["POST"])
    def force() -> dict[str, Any]:
        return {"value": request.get_json(force=True)}

    with app.test_client() as client:
        assert client.post("/", content=b"{}", headers={"Content-Type": "text/plain"}).status_code == 415
        assert client.post("/", content=b"{", headers={"Content-Type": "application/json"}).status_code == 400
        assert client.post("/silent", content=b"{", headers={"Content-Type": "application/json"}).json == {
            "value": None
        }
        assert client.post("/force", content=b"[1]", headers={"Content-Type": "text/plain"}).json == {"value": [1]}


def test_sync_view_reads_files() -> None:
    app = MicroFlask(__name__)

    @app.route("/", methods=["POST"])
    def index() -> dict[str, Any]:
        upload = request.files["up"]
        assert isinstance(upload, UploadFile)
        return {
            "filename": upload.filename,
            "content": upload.file.read().decode(),
            "field": request.form["f"],
        }

    with app.test_client() as client:
        r = client.post("/", data={"f": "v"}, files={"up": ("u.txt", b"uploaded", "text/plain")})
        assert r.status_code == 200, r.text
        assert r.json == {"filename": "u.txt", "content": "uploaded", "field": "v"}


def test_sync_view_file_read_is_sync_as_in_flask() -> None:
    app = MicroFlask(__name__)

    @app.route("/", methods=["POST"])
    def index() -> dict[str, Any]:
        result = request.files["up"].read()
        if inspect.iscoroutine(result):
            result.close()
            return {"content": f"<{type(result).__name__}>"}
        return {"content": result.decode()}

    with app.test_client() as client:
        r = client.post("/", files={"up": ("u.txt", b"uploaded", "text/plain")})
        assert r.json == {"content": "uploaded"}


def test_sync_view_missing_form_key_is_400() -> None:
    app = MicroFlask(__name__)

    @app.route("/", methods=["POST"])
    def index() -> str:
        return request.form["missing"]

    with app.test_client() as client:
        assert client.post("/", data={"a": "1"}).status_code == 400


def test_sync_view_sees_g_from_async_before_request() -> None:
    app = MicroFlask(__name__)

    @app.before_request
    async def load_user() -> None:
        g.user = "alice"
        g.body = await request.get_data()

    @app.route("/", methods=["POST"])
    def index() -> dict[str, Any]:
        return {"user": g.user, "body": g.body.decode(), "data": request.data.decode()}

    with app.test_client() as client:
        r = client.post("/", content=b"payload")
        assert r.status_code == 200, r.text
        assert r.json == {"user": "alice", "body": "payload", "data": "payload"}


@pytest.mark.anyio
async def test_sync_view_with_async_client_and_stream() -> None:
    app = MicroFlask(__name__)

    @app.route("/", methods=["POST"])
    def index() -> dict[str, Any]:
        return {"data": request.get_data(as_text=True), "method": request.method, "path": request.path}

    async def body() -> AsyncIterator[bytes]:
        yield b"ab"
        yield b"cd"

    async with app.async_test_client() as client:
        r = await client.post("/", content=body())
        assert r.json == {"data": "abcd", "method": "POST", "path": "/"}


@pytest.mark.anyio
async def test_async_view_body_accessors_are_awaitable() -> None:
    """In an async view the body accessors return awaitables (Quart style), not values."""
    app = MicroFlask(__name__)

    @app.route("/", methods=["POST"])
    async def index() -> dict[str, Any]:
        results = {}
        for name, value in [
            ("data", request.data),
            ("form", request.form),
            ("files", request.files),
            ("values", request.values),
            ("json", request.get_json(silent=True)),
        ]:
            results[name] = inspect.isawaitable(value)
            await value
        return results

    async with app.async_test_client() as client:
        r = await client.post("/", data={"a": "1"})
        assert r.json == {"data": True, "form": True, "files": True, "values": True, "json": True}
