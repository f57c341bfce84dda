"""Static files, send_file, send_from_directory and safe_join: headers, conditional and range
requests, caching, and refusing every path that would leave the folder."""

from __future__ import annotations

import io
import os
from datetime import UTC, datetime, timedelta
from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from microflask import MicroFlask, send_file, send_from_directory, url_for
from microflask.exceptions import BuildError, NotFound
from microflask.helpers import safe_join

SECRET = "TOP-SECRET-CONTENT"
HELLO = "hello world"
LARGE_SIZE = 5 * 1024 * 1024


def large_bytes() -> bytes:
    return bytes(range(256)) * (LARGE_SIZE // 256)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """An app root with a static folder, a secret beside it and a few other files."""
    static = tmp_path / "static"
    (static / "css").mkdir(parents=True)
    (static / "empty_dir").mkdir()
    (static / "hello.txt").write_text(HELLO)
    (static / "css" / "a.css").write_text("body { color: red }")
    (static / "data.json").write_text('{"a": 1}')
    (static / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    (static / "page.html").write_text("<p>static page</p>")
    (tmp_path / "secret.txt").write_text(SECRET)
    (tmp_path / "static_private").mkdir()
    (tmp_path / "static_private" / "key.txt").write_text(SECRET)
    (tmp_path / "files").mkdir()
    (tmp_path / "files" / "report.txt").write_text("report body")
    return tmp_path


@pytest.fixture
def app(root: Path) -> MicroFlask:
    return MicroFlask(__name__, root_path=str(root))


async def asgi_get(app: Any, raw_path: str, headers: list[tuple[bytes, bytes]] | None = None) -> tuple[int, bytes]:
    """Call the ASGI app directly with a hand-built scope: ``raw_path`` goes on the wire as it is
    (no client-side normalisation of ``..``) and ``path`` is its percent-decoded form, as servers give it."""
    path = unquote(raw_path)
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": raw_path.encode("latin-1"),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"localhost"), *(headers or [])],
        "client": ("127.0.0.1", 50000),
        "server": ("localhost", 80),
    }
    messages: list[dict[str, Any]] = []
    received = False

    async def receive() -> dict[str, Any]:
        nonlocal received
        if not received:
            received = True
            return {"type": "http.request", "body": b"", "more_body": False}
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    await app(scope, receive, send)
    start = next(m for m in messages if m["type"] == "http.response.start")
    body = b"".join(bytes(m.get("body", b"")) for m in messages if m["type"] == "http.response.body")
    return start["status"], body


# -- serving ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("hello.txt", "text/plain; charset=utf-8"),
        ("css/a.css", "text/css; charset=utf-8"),
        ("data.json", "application/json"),
        ("logo.png", "image/png"),
        ("page.html", "text/html; charset=utf-8"),
    ],
)
def test_static_file_headers(app: MicroFlask, root: Path, name: str, content_type: str) -> None:
    path = root / "static" / name
    with app.test_client() as client:
        r = client.get(f"/static/{name}")
    assert r.status_code == 200
    assert r.content == path.read_bytes()
    assert r.headers["content-type"] == content_type
    assert r.headers["content-length"] == str(path.stat().st_size)
    assert r.headers["last-modified"] == formatdate(path.stat().st_mtime, usegmt=True)
    etag = r.headers["etag"]
    assert etag.startswith('"') and etag.endswith('"') and len(etag) > 2
    assert r.headers["cache-control"] == "no-cache"


def test_etag_is_stable_and_changes_with_the_file(app: MicroFlask, root: Path) -> None:
    path = root / "static" / "hello.txt"
    with app.test_client() as client:
        first = client.get("/static/hello.txt").headers["etag"]
        assert client.get("/static/hello.txt").headers["etag"] == first
        path.write_text("changed content!")
        stat = path.stat()
        os.utime(path, (stat.st_atime, stat.st_mtime + 10))
        r = client.get("/static/hello.txt")
    assert r.text == "changed content!"
    assert r.headers["etag"] != first


def test_if_none_match_gives_304(app: MicroFlask) -> None:
    with app.test_client() as client:
        etag = client.get("/static/hello.txt").headers["etag"]
        r = client.get("/static/hello.txt", headers={"If-None-Match": etag})
        assert r.status_code == 304
        assert r.content == b""
        assert r.headers["etag"] == etag
        r = client.get("/static/hello.txt", headers={"If-None-Match": f'"other", {etag}'})
        assert r.status_code == 304
        r = client.get("/static/hello.txt", headers={"If-None-Match": f"W/{etag}"})
        assert r.status_code == 304
        assert client.get("/static/hello.txt", headers={"If-None-Match": "*"}).status_code == 304
        r = client.get("/static/hello.txt", headers={"If-None-Match": '"something-else"'})
        assert (r.status_code, r.text) == (200, HELLO)


def test_if_modified_since_gives_304(app: MicroFlask) -> None:
    with app.test_client() as client:
        last_modified = client.get("/static/hello.txt").headers["last-modified"]
        r = client.get("/static/hello.txt", headers={"If-Modified-Since": last_modified})
        assert r.status_code == 304
        assert r.content == b""
        later = formatdate(parsedate_to_datetime(last_modified).timestamp() + 3600, usegmt=True)
        assert client.get("/static/hello.txt", headers={"If-Modified-Since": later}).status_code == 304
        earlier = formatdate(parsedate_to_datetime(last_modified).timestamp() - 3600, usegmt=True)
        r = client.get("/static/hello.txt", headers={"If-Modified-Since": earlier})
        assert (r.status_code, r.text) == (200, HELLO)
        r = client.get("/static/hello.txt", headers={"If-Modified-Since": "not a date"})
        assert (r.status_code, r.text) == (200, HELLO)


def test_range_request_gives_206(app: MicroFlask) -> None:
    with app.test_client() as client:
        r = client.get("/static/hello.txt", headers={"Range": "bytes=0-3"})
        assert r.status_code == 206
        assert r.content == b"hell"
        assert r.headers["content-range"] == f"bytes 0-3/{len(HELLO)}"
        assert r.headers["content-length"] == "4"
        r = client.get("/static/hello.txt", headers={"Range": "bytes=6-"})
        assert (r.status_code, r.content) == (206, b"world")
        r = client.get("/static/hello.txt", headers={"Range": "bytes=-5"})
        assert (r.status_code, r.content) == (206, b"world")


def test_unsatisfiable_range_gives_416(app: MicroFlask) -> None:
    with app.test_client() as client:
        r = client.get("/static/hello.txt", headers={"Range": "bytes=100-200"})
    assert r.status_code == 416


def test_head_request_has_headers_and_no_body(app: MicroFlask) -> None:
    with app.test_client() as client:
        r = client.head("/static/hello.txt")
    assert r.status_code == 200
    assert r.content == b""
    assert r.headers["content-length"] == str(len(HELLO))


def test_post_to_static_is_405(app: MicroFlask) -> None:
    with app.test_client() as client:
        r = client.post("/static/hello.txt")
    assert r.status_code == 405


@pytest.mark.parametrize(
    ("value", "expected"),
    [(60, "public, max-age=60"), (timedelta(hours=1), "public, max-age=3600"), (0, "public, max-age=0")],
)
def test_send_file_max_age_default(root: Path, value: Any, expected: str) -> None:
    app = MicroFlask(__name__, root_path=str(root))
    app.config["SEND_FILE_MAX_AGE_DEFAULT"] = value
    with app.test_client() as client:
        r = client.get("/static/hello.txt")
    assert r.headers["cache-control"] == expected


def test_get_send_file_max_age_override(root: Path) -> None:
    class CachingApp(MicroFlask):
        def get_send_file_max_age(self, filename: str | None) -> int | None:
            return 31536000 if filename and filename.endswith(".css") else None

    app = CachingApp(__name__, root_path=str(root))
    with app.test_client() as client:
        assert client.get("/static/css/a.css").headers["cache-control"] == "public, max-age=31536000"
        assert client.get("/static/hello.txt").headers["cache-control"] == "no-cache"


def test_url_for_static(app: MicroFlask) -> None:
    @app.route("/")
    async def index() -> str:
        return url_for("static", filename="css/a.css")

    with app.test_client() as client:
        assert client.get("/").text == "/static/css/a.css"
    with app.test_request_context("/"):
        assert url_for("static", filename="hello.txt") == "/static/hello.txt"
        assert url_for("static", filename="a b.txt") == "/static/a%20b.txt"


def test_custom_static_url_path(root: Path) -> None:
    app = MicroFlask(__name__, root_path=str(root), static_url_path="/assets")
    with app.test_client() as client:
        assert client.get("/assets/hello.txt").text == HELLO
        assert client.get("/static/hello.txt").status_code == 404
    with app.test_request_context("/"):
        assert url_for("static", filename="css/a.css") == "/assets/css/a.css"


def test_static_url_path_empty_serves_from_the_root(root: Path) -> None:
    app = MicroFlask(__name__, root_path=str(root), static_url_path="")
    with app.test_client() as client:
        assert client.get("/hello.txt").text == HELLO
        assert client.get("/css/a.css").status_code == 200
        assert client.get("/../secret.txt").status_code == 404
    with app.test_request_context("/"):
        assert url_for("static", filename="hello.txt") == "/hello.txt"


def test_static_url_path_trailing_slash_is_stripped(root: Path) -> None:
    app = MicroFlask(__name__, root_path=str(root), static_url_path="/assets/")
    with app.test_client() as client:
        assert client.get("/assets/hello.txt").text == HELLO
    with app.test_request_context("/"):
        assert url_for("static", filename="hello.txt") == "/assets/hello.txt"


def test_static_file_with_spaces_and_unicode_name(app: MicroFlask, root: Path) -> None:
    (root / "static" / "my file é.txt").write_text("spaced")
    with app.test_client() as client:
        r = client.get("/static/my%20file%20%C3%A9.txt")
    assert (r.status_code, r.text) == (200, "spaced")
    with app.test_request_context("/"):
        assert url_for("static", filename="my file é.txt") == "/static/my%20file%20%C3%A9.txt"


def test_custom_static_folder_name(root: Path) -> None:
    (root / "public").mkdir()
    (root / "public" / "x.txt").write_text("public x")
    app = MicroFlask(__name__, root_path=str(root), static_folder="public")
    assert app.static_folder == os.path.join(str(root), "public")
    with app.test_client() as client:
        assert client.get("/public/x.txt").text == "public x"
        assert client.get("/static/hello.txt").status_code == 404


def test_no_static_folder_no_static_route(root: Path) -> None:
    app = MicroFlask(__name__, root_path=str(root), static_folder=None)
    assert "static" not in app.view_functions
    with app.test_client() as client:
        assert client.get("/static/hello.txt").status_code == 404
    with app.test_request_context("/"), pytest.raises(BuildError):
        url_for("static", filename="hello.txt")


@pytest.mark.parametrize("path", ["/static/nope.txt", "/static/css/nope.css", "/static/nope/deeper.txt"])
def test_missing_static_file_is_404(app: MicroFlask, path: str) -> None:
    with app.test_client() as client:
        assert client.get(path).status_code == 404


@pytest.mark.parametrize("path", ["/static/css", "/static/css/", "/static/empty_dir", "/static/", "/static"])
def test_static_directory_is_404(app: MicroFlask, path: str) -> None:
    with app.test_client() as client:
        r = client.get(path)
    assert r.status_code == 404
    assert SECRET not in r.text


# -- traversal ----------------------------------------------------------------------------------


TRAVERSALS = [
    "/static/../secret.txt",
    "/static/css/../../secret.txt",
    "/static/../static_private/key.txt",
    "/static/..%2fsecret.txt",
    "/static/%2e%2e/secret.txt",
    "/static/%2e%2e%2fsecret.txt",
    "/static/css%2f..%2f..%2fsecret.txt",
    "/static/..%5csecret.txt",
    "/static/..\\secret.txt",
    "/static/css%5c..%5c..%5csecret.txt",
    "/static//etc/passwd",
    "/static/%2fetc%2fpasswd",
    "/static/hello.txt%00",
    "/static/%00../secret.txt",
    "/static/..",
    "/static/../",
]


@pytest.mark.anyio
@pytest.mark.parametrize("raw_path", TRAVERSALS)
async def test_traversal_is_404(app: MicroFlask, raw_path: str) -> None:
    status, body = await asgi_get(app, raw_path)
    assert status == 404
    assert SECRET.encode() not in body
    assert b"root:" not in body


@pytest.mark.anyio
async def test_traversal_to_absolute_path_of_a_real_file_is_404(app: MicroFlask, root: Path) -> None:
    status, body = await asgi_get(app, "/static/" + str(root / "secret.txt"))
    assert status == 404
    assert SECRET.encode() not in body


@pytest.mark.anyio
async def test_raw_asgi_helper_serves_good_paths(app: MicroFlask) -> None:
    """The control for the traversal tests: the same helper reaches real static files."""
    assert await asgi_get(app, "/static/hello.txt") == (200, HELLO.encode())
    assert await asgi_get(app, "/static/css/../hello.txt") == (200, HELLO.encode())
    assert await asgi_get(app, "/static/css/%2e%2e/hello.txt") == (200, HELLO.encode())


@pytest.mark.parametrize(
    "path",
    [
        "/static/..%2fsecret.txt",
        "/static/%2e%2e%2fsecret.txt",
        "/static/..%5csecret.txt",
        "/static/%00",
        "/static//etc/passwd",
    ],
)
def test_traversal_through_the_test_client(app: MicroFlask, path: str) -> None:
    with app.test_client() as client:
        r = client.get(path)
    assert r.status_code == 404
    assert SECRET not in r.text


# -- large files --------------------------------------------------------------------------------


def test_large_static_file_streams_whole(app: MicroFlask, root: Path) -> None:
    data = large_bytes()
    (root / "static" / "big.bin").write_bytes(data)
    with app.test_client() as client:
        r = client.get("/static/big.bin")
        assert r.status_code == 200
        assert r.headers["content-length"] == str(LARGE_SIZE)
        assert r.headers["content-type"] == "application/octet-stream"
        assert len(r.content) == LARGE_SIZE
        assert r.content == data
        r = client.get("/static/big.bin", headers={"Range": "bytes=3000000-3000099"})
        assert r.status_code == 206
        assert r.content == data[3000000:3000100]


@pytest.mark.anyio
async def test_large_file_with_async_client(app: MicroFlask, root: Path) -> None:
    data = large_bytes()
    (root / "files" / "big.bin").write_bytes(data)

    @app.route("/download")
    async def download() -> Any:
        return await send_file("files/big.bin", as_attachment=True)

    async with app.async_test_client() as client:
        r = await client.get("/download")
    assert r.status_code == 200
    assert r.headers["content-disposition"] == 'attachment; filename="big.bin"'
    assert len(r.content) == LARGE_SIZE
    assert r.content == data


# -- send_file --------------------------------------------------------------------------------------


def test_send_file_async_and_sync_views(app: MicroFlask, root: Path) -> None:
    path = root / "files" / "report.txt"

    @app.route("/async")
    async def async_view() -> Any:
        return await send_file(str(path))

    @app.route("/sync")
    def sync_view() -> Any:
        return send_file(str(path))

    @app.route("/pathlib")
    async def pathlib_view() -> Any:
        return await send_file(path)

    with app.test_client() as client:
        for url in ("/async", "/sync", "/pathlib"):
            r = client.get(url)
            assert (r.status_code, r.text) == (200, "report body"), url
            assert r.headers["content-type"] == "text/plain; charset=utf-8"
            assert r.headers["content-length"] == "11"
            assert "etag" in r.headers and "last-modified" in r.headers
            assert r.headers["cache-control"] == "no-cache"


def test_send_file_relative_path_from_app_root(app: MicroFlask) -> None:
    @app.route("/")
    async def index() -> Any:
        return await send_file("files/report.txt")

    @app.route("/sync")
    def sync_index() -> Any:
        return send_file("files/report.txt")

    with app.test_client() as client:
        assert client.get("/").text == "report body"
        assert client.get("/sync").text == "report body"


def test_send_file_missing_or_directory_is_404(app: MicroFlask, root: Path) -> None:
    @app.route("/missing")
    async def missing() -> Any:
        return await send_file(str(root / "nope.txt"))

    @app.route("/dir")
    def directory() -> Any:
        return send_file(str(root / "files"))

    with app.test_client() as client:
        assert client.get("/missing").status_code == 404
        assert client.get("/dir").status_code == 404


def test_send_file_as_attachment_and_download_name(app: MicroFlask) -> None:
    @app.route("/attach")
    async def attach() -> Any:
        return await send_file("files/report.txt", as_attachment=True)

    @app.route("/named")
    async def named() -> Any:
        return await send_file("files/report.txt", as_attachment=True, download_name="data.csv")

    @app.route("/inline-named")
    def inline_named() -> Any:
        return send_file("files/report.txt", download_name="shown.txt")

    with app.test_client() as client:
        r = client.get("/attach")
        assert r.headers["content-disposition"] == 'attachment; filename="report.txt"'
        r = client.get("/named")
        assert r.headers["content-disposition"] == 'attachment; filename="data.csv"'
        assert r.headers["content-type"] == "text/csv; charset=utf-8"
        assert r.text == "report body"
        r = client.get("/inline-named")
        assert r.headers["content-disposition"] == 'inline; filename="shown.txt"'


def test_send_file_non_ascii_download_name(app: MicroFlask) -> None:
    @app.route("/")
    async def index() -> Any:
        return await send_file("files/report.txt", as_attachment=True, download_name="Rapport été ✓.txt")

    with app.test_client() as client:
        r = client.get("/")
    disposition = r.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="')
    assert "filename*=UTF-8''Rapport%20%C3%A9t%C3%A9%20%E2%9C%93.txt" in disposition
    disposition.encode("latin-1")  # a header value that any client can read


def test_send_file_non_ascii_fallback_name_like_flask(app: MicroFlask) -> None:
    @app.route("/")
    async def index() -> Any:
        return await send_file("files/report.txt", as_attachment=True, download_name="résumé.txt")

    with app.test_client() as client:
        r = client.get("/")
    disposition = r.headers["content-disposition"]
    assert "filename*=UTF-8''r%C3%A9sum%C3%A9.txt" in disposition
    assert 'filename="resume.txt"' in disposition


def test_send_file_header_injection_in_download_name(app: MicroFlask) -> None:
    @app.route("/")
    async def index() -> Any:
        return await send_file("files/report.txt", as_attachment=True, download_name='a"b\r\nX-Evil: 1.txt')

    with app.test_client() as client:
        r = client.get("/")
    assert r.status_code == 200
    assert "x-evil" not in r.headers
    assert "\r" not in r.headers["content-disposition"] and "\n" not in r.headers["content-disposition"]


def test_send_file_mimetype_max_age_etag_options(app: MicroFlask) -> None:
    @app.route("/mime")
    async def mime() -> Any:
        return await send_file("files/report.txt", mimetype="application/x-custom")

    @app.route("/max-age")
    async def max_age() -> Any:
        return await send_file("files/report.txt", max_age=120)

    @app.route("/max-age-delta")
    def max_age_delta() -> Any:
        return send_file("files/report.txt", max_age=timedelta(minutes=5))

    @app.route("/max-age-callable")
    async def max_age_callable() -> Any:
        return await send_file("files/report.txt", max_age=lambda path: 7 if path.endswith(".txt") else None)

    @app.route("/no-etag")
    async def no_etag() -> Any:
        return await send_file("files/report.txt", etag=False)

    @app.route("/custom-etag")
    async def custom_etag() -> Any:
        return await send_file("files/report.txt", etag="v1")

    stamp = datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC)

    @app.route("/last-modified")
    async def last_modified() -> Any:
        return await send_file("files/report.txt", last_modified=stamp)

    with app.test_client() as client:
        assert client.get("/mime").headers["content-type"] == "application/x-custom"
        assert client.get("/max-age").headers["cache-control"] == "public, max-age=120"
        assert client.get("/max-age-delta").headers["cache-control"] == "public, max-age=300"
        assert client.get("/max-age-callable").headers["cache-control"] == "public, max-age=7"
        r = client.get("/no-etag")
        assert (r.status_code, r.text) == (200, "report body")
        assert "etag" not in r.headers
        r = client.get("/custom-etag")
        assert r.headers["etag"] == '"v1"'
        assert client.get("/custom-etag", headers={"If-None-Match": '"v1"'}).status_code == 304
        r = client.get("/last-modified")
        assert r.headers["last-modified"] == "Thu, 02 Jan 2020 03:04:05 GMT"


def test_send_file_conditional(app: MicroFlask) -> None:
    @app.route("/")
    async def index() -> Any:
        return await send_file("files/report.txt")

    @app.route("/unconditional")
    async def unconditional() -> Any:
        return await send_file("files/report.txt", conditional=False)

    with app.test_client() as client:
        etag = client.get("/").headers["etag"]
        r = client.get("/", headers={"If-None-Match": etag})
        assert (r.status_code, r.content) == (304, b"")
        r = client.get("/", headers={"Range": "bytes=0-5"})
        assert (r.status_code, r.content) == (206, b"report")
        r = client.get("/unconditional", headers={"If-None-Match": etag})
        assert (r.status_code, r.text) == (200, "report body")


def test_send_file_bytesio(app: MicroFlask) -> None:
    @app.route("/mimetype")
    async def with_mimetype() -> Any:
        return await send_file(io.BytesIO(b"raw,data\n1,2\n"), mimetype="text/csv")

    @app.route("/download-name")
    def with_download_name() -> Any:
        return send_file(io.BytesIO(b'{"x": 1}'), download_name="x.json", as_attachment=True)

    @app.route("/neither")
    async def neither() -> Any:
        return await send_file(io.BytesIO(b"??"))

    with app.test_client() as client:
        r = client.get("/mimetype")
        assert (r.status_code, r.content) == (200, b"raw,data\n1,2\n")
        assert r.headers["content-type"].startswith("text/csv")
        r = client.get("/download-name")
        assert r.status_code == 200
        assert r.json == {"x": 1}
        assert r.headers["content-type"] == "application/json"
        assert r.headers["content-disposition"] == 'attachment; filename="x.json"'
        assert client.get("/neither").status_code == 500


def test_send_file_real_file_object_is_streamed(app: MicroFlask, root: Path) -> None:
    handles: list[Any] = []

    @app.route("/")
    async def index() -> Any:
        handle = open(root / "files" / "report.txt", "rb")  # send_file owns it from here
        handles.append(handle)
        return await send_file(handle, mimetype="text/plain", download_name="r.txt")

    with app.test_client() as client:
        r = client.get("/")
    try:
        assert (r.status_code, r.text) == (200, "report body")
        assert r.headers["content-disposition"] == 'inline; filename="r.txt"'
    finally:
        open_after = not handles[0].closed
        handles[0].close()
    assert not open_after, "send_file left the file object open after sending it"


# -- send_from_directory ----------------------------------------------------------------------------


def test_send_from_directory(app: MicroFlask, root: Path) -> None:
    @app.route("/files/<path:name>")
    async def files(name: str) -> Any:
        return await send_from_directory(str(root / "files"), name)

    @app.route("/relative/<path:name>")
    def relative(name: str) -> Any:
        return send_from_directory("files", name, as_attachment=True)

    with app.test_client() as client:
        assert client.get("/files/report.txt").text == "report body"
        r = client.get("/relative/report.txt")
        assert r.text == "report body"
        assert r.headers["content-disposition"] == 'attachment; filename="report.txt"'
        assert client.get("/files/missing.txt").status_code == 404


@pytest.mark.anyio
@pytest.mark.parametrize(
    "raw_path", ["/files/../secret.txt", "/files/..%2fsecret.txt", "/files/%2e%2e/secret.txt", "/files//etc/passwd"]
)
async def test_send_from_directory_traversal_is_404(app: MicroFlask, root: Path, raw_path: str) -> None:
    @app.route("/files/<path:name>")
    async def files(name: str) -> Any:
        return await send_from_directory(str(root / "files"), name)

    status, body = await asgi_get(app, raw_path)
    assert status == 404
    assert SECRET.encode() not in body


@pytest.mark.parametrize("name", ["../secret.txt", "a/../../secret.txt", "/etc/passwd", "..\\secret.txt", "x\x00"])
def test_send_from_directory_raises_not_found(app: MicroFlask, root: Path, name: str) -> None:
    with app.app_context(), pytest.raises(NotFound):
        send_from_directory(str(root / "files"), name)


# -- safe_join ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        (("a", "b.txt"), "/base/a/b.txt"),
        (("a/b.txt",), "/base/a/b.txt"),
        (("a/../b.txt",), "/base/b.txt"),
        (("./a",), "/base/a"),
        (("a/./b",), "/base/a/b"),
        (("a//b",), "/base/a/b"),
        (("..a",), "/base/..a"),
        (("a..",), "/base/a.."),
        ((), "/base"),
    ],
)
def test_safe_join_accepts(parts: tuple[str, ...], expected: str) -> None:
    assert safe_join("/base", *parts) == expected


@pytest.mark.parametrize(
    "parts",
    [
        ("..",),
        ("../x",),
        ("a/../../x",),
        ("a", "../../x"),
        ("/etc/passwd",),
        ("a", "/etc/passwd"),
        ("//etc/passwd",),
        ("a\\b",),
        ("..\\x",),
        ("a\x00b",),
        ("a", "b\x00"),
    ],
)
def test_safe_join_refuses(parts: tuple[str, ...]) -> None:
    assert safe_join("/base", *parts) is None


def test_safe_join_with_pathlike_directory(tmp_path: Path) -> None:
    assert safe_join(tmp_path, "x.txt") == f"{tmp_path}/x.txt"
