"""Hostile input over a real Uvicorn server: every case is hand-written HTTP/1.1 bytes on a raw
socket, and every answer is the right 4xx (or the 2xx/3xx that is correct), short and readable,
never a 5xx, never a traceback, a secret or a file from outside the app, and the server still
answers a normal request afterwards.

One server serves the whole module (``served`` fixture). The main app has no ``TRUSTED_HOSTS``;
an app mounted at ``/trusted`` has them, so garbage ``Host`` headers are tried both ways.
"""

from __future__ import annotations

import base64
import hashlib
import json
import socket
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from itsdangerous import URLSafeTimedSerializer
from live_server import LiveServer, RawResponse, exchange, get, parse_response, recv_all, wait_until

from microflask import MicroFlask, make_response, redirect, request, send_from_directory, session
from microflask.sessions import TaggedJSONSerializer

SECRET_KEY = "bad-input-SECRET-KEY-7f3a9c"
SECRET_FILE_CONTENT = "TOP-SECRET-FILE-CONTENT-51b2"
MAX_CONTENT_LENGTH = 256 * 1024
MAX_FORM_MEMORY_SIZE = 10_000
MAX_FORM_PARTS = 1_000
ROOT_MARK = b"@ROOT@"  # replaced by the app's root path when the case is sent

#: Paths whose request reached teardown (the close-early case waits for its own).
TEARDOWNS: list[str] = []


def create_app(root: Path) -> MicroFlask:
    app = MicroFlask(__name__, root_path=str(root))
    app.config.update(
        SECRET_KEY=SECRET_KEY,
        MAX_CONTENT_LENGTH=MAX_CONTENT_LENGTH,
        MAX_FORM_MEMORY_SIZE=MAX_FORM_MEMORY_SIZE,
        MAX_FORM_PARTS=MAX_FORM_PARTS,
    )

    @app.teardown_request
    def record_teardown(exc: BaseException | None) -> None:
        TEARDOWNS.append(request.full_path)

    @app.route("/")
    async def index() -> str:
        return "ok"

    @app.post("/json")
    async def json_view() -> Any:
        data = await request.get_json()
        return {"type": type(data).__name__}

    @app.post("/json-echo")
    async def json_echo() -> Any:
        return {"value": await request.get_json()}

    @app.post("/body")
    async def body() -> Any:
        return {"length": len(await request.get_data())}

    @app.post("/form")
    async def form() -> Any:
        fields = await request.form
        files = await request.files
        return {"fields": len(fields.items(multi=True)), "files": len(files.items(multi=True))}

    @app.route("/files/<path:name>")
    async def files(name: str) -> Any:
        return await send_from_directory("files", name)

    @app.route("/int/<int:n>")
    async def integer(n: int) -> Any:
        return {"n": str(n)}

    @app.route("/float/<float:x>")
    async def floating(x: float) -> Any:
        return {"x": repr(x)}

    @app.route("/uuid/<uuid:u>")
    async def uuid_view(u: Any) -> Any:
        return {"u": str(u)}

    @app.route("/args")
    async def args() -> Any:
        return {"count": len(request.args.items(multi=True)), "args": dict(request.args.items())}

    @app.route("/redirect")
    async def redirect_view() -> Any:
        return redirect(request.args["to"])

    @app.route("/echo-header")
    async def echo_header() -> Any:
        response = make_response("echoed")
        response.headers["X-Echo"] = request.args["v"]
        return response

    @app.route("/session")
    async def session_view() -> Any:
        session["n"] = session.get("n", 0) + 1
        return {"n": session["n"]}

    trusted = MicroFlask("bad_input_trusted", root_path=str(root))
    trusted.config.update(SECRET_KEY=SECRET_KEY, TRUSTED_HOSTS=["localhost", ".example.com"])

    @trusted.route("/")
    async def trusted_index() -> str:
        return "trusted ok"

    app.mount("/trusted", trusted)
    return app


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, Path]]:
    root = tmp_path_factory.mktemp("bad_input_app")
    (root / "static" / "css").mkdir(parents=True)
    (root / "static" / "hello.txt").write_text("hello static")
    (root / "files").mkdir()
    (root / "files" / "report.txt").write_text("report body")
    (root / "secret.txt").write_text(SECRET_FILE_CONTENT)
    (root / "files_private").mkdir()
    (root / "files_private" / "key.txt").write_text(SECRET_FILE_CONTENT)
    with LiveServer(create_app(root)) as server:
        yield server, root


# -- building requests ---------------------------------------------------------------------------


def http(
    method: str,
    target: bytes | str,
    *,
    headers: Iterable[tuple[bytes | str, bytes | str]] = (),
    body: bytes = b"",
    host: bytes | str | None = "127.0.0.1",
    length: bool | None = None,
) -> bytes:
    """One HTTP/1.1 request as bytes, with ``Connection: close``. ``Content-Length`` is added for
    a body (or when ``length`` is true) unless ``length`` is false or ``headers`` frame the body."""

    def b(value: bytes | str) -> bytes:
        return value if isinstance(value, bytes) else value.encode("latin-1")

    lines = [b"%s %s HTTP/1.1" % (b(method), b(target))]
    if host is not None:
        lines.append(b"Host: " + b(host))
    lines += [b(name) + b": " + b(value) for name, value in headers]
    framed = any(b(name).lower() in (b"content-length", b"transfer-encoding") for name, _ in headers)
    if length or (length is None and not framed and (body or method in ("POST", "PUT", "PATCH"))):
        lines.append(b"Content-Length: %d" % len(body))
    lines.append(b"Connection: close")
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def post(target: str, body: bytes, content_type: str | bytes, **kwargs: Any) -> bytes:
    return http("POST", target, headers=[("Content-Type", content_type), *kwargs.pop("headers", ())], body=body)


def multipart(parts: Iterable[bytes], boundary: bytes = b"XX", close: bool = True) -> bytes:
    return b"".join(b"--" + boundary + b"\r\n" + part + b"\r\n" for part in parts) + (
        b"--" + boundary + b"--\r\n" if close else b""
    )


def field_part(name: str, value: bytes) -> bytes:
    return b'Content-Disposition: form-data; name="%s"\r\n\r\n%s' % (name.encode(), value)


def file_part(name: str, filename: str, value: bytes) -> bytes:
    return b'Content-Disposition: form-data; name="%s"; filename="%s"\r\nContent-Type: text/plain\r\n\r\n%s' % (
        name.encode(),
        filename.encode(),
        value,
    )


MULTIPART = "multipart/form-data; boundary=XX"
URLENCODED = "application/x-www-form-urlencoded"


def chunked(chunks: Iterable[bytes]) -> bytes:
    return b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in chunks) + b"0\r\n\r\n"


def session_cookie(data: dict[str, Any], key: str = SECRET_KEY) -> str:
    """A session cookie as the app signs it (with ``key``)."""
    serializer = URLSafeTimedSerializer(
        key,
        salt="cookie-session",
        serializer=TaggedJSONSerializer(),
        signer_kwargs={"key_derivation": "hmac", "digest_method": hashlib.sha1},
    )
    return str(serializer.dumps(data))


def with_payload(cookie: str, data: dict[str, Any]) -> str:
    """``cookie`` with its payload replaced (its signature kept)."""
    _, rest = cookie.split(".", 1)
    payload = base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).rstrip(b"=").decode()
    return f"{payload}.{rest}"


# -- checks on a response --------------------------------------------------------------------------


def json_body(expected: dict[str, Any]) -> Callable[[RawResponse], None]:
    def check(response: RawResponse) -> None:
        assert json.loads(response.body) == expected

    return check


def json_has(**expected: Any) -> Callable[[RawResponse], None]:
    def check(response: RawResponse) -> None:
        data = json.loads(response.body)
        assert {k: data[k] for k in expected} == expected

    return check


def says(*fragments: str) -> Callable[[RawResponse], None]:
    """The body carries each fragment (the short message explaining the error)."""

    def check(response: RawResponse) -> None:
        for fragment in fragments:
            assert fragment in response.text

    return check


def fresh_session(response: RawResponse) -> None:
    """The cookie was not accepted: the session started empty, and a new signed cookie was set."""
    assert json.loads(response.body) == {"n": 1}
    cookie = response.header("set-cookie") or ""
    assert cookie.startswith("session=") and "HttpOnly" in cookie


def location_is(expected: str) -> Callable[[RawResponse], None]:
    def check(response: RawResponse) -> None:
        assert response.header("location") == expected
        assert response.header_all("set-cookie") == []

    return check


def echo_is(expected: str) -> Callable[[RawResponse], None]:
    def check(response: RawResponse) -> None:
        assert response.header_all("x-echo") == [expected]
        assert response.header_all("set-cookie") == []
        assert response.body == b"echoed"

    return check


# -- the corpus ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    id: str
    request: bytes
    status: int | tuple[int, ...]
    check: Callable[[RawResponse], None] | None = None
    #: Send only the request, then close the connection without reading (no answer is possible).
    close_early: bool = False
    #: The request reaches a view even though it fails: wait for its teardown before checking the log.
    reaches_view: bool = False
    marks: tuple[Any, ...] = field(default=())


def case(id: str, request: bytes, status: int | tuple[int, ...], check: Any = None, **kw: Any) -> Case:
    return Case(id, request, status, check, **kw)


DEEP = 100_000
VALID_SESSION = session_cookie({"n": 41})
SERVER_400 = says("Invalid HTTP request")  # Uvicorn's own answer to what its parser refuses
NOT_FOUND = says("Not Found")
TOO_LARGE = says("Request Entity Too Large")
BAD_FORM = says("Bad Request", "Invalid form data")
NOT_ALLOWED = says("Method Not Allowed")

CASES: list[Case] = [
    # JSON bodies
    case("json-malformed", post("/json", b"{bad:", "application/json"), 400, says("Failed to decode JSON")),
    case("json-truncated", post("/json", b'{"a": [1, 2', "application/json"), 400, says("Failed to decode JSON")),
    case("json-empty", post("/json", b"", "application/json"), 400, says("Failed to decode JSON")),
    case("json-invalid-utf8", post("/json", b'"\xff\xfe"', "application/json"), 400, says("Failed to decode JSON")),
    case("json-100k-deep-arrays", post("/json", b"[" * DEEP + b"]" * DEEP, "application/json"), 400),
    case("json-100k-deep-unclosed", post("/json", b"[" * DEEP, "application/json"), 400),
    case("json-deep-objects", post("/json", b'{"a":' * 30_000 + b"1" + b"}" * 30_000, "application/json"), 400),
    case("json-wrong-content-type", post("/json", b'{"a": 1}', "text/plain"), 415, says("Unsupported Media Type")),
    case(
        "json-lone-surrogate-echoed",
        post("/json-echo", b'{"s": "\\ud800"}', "application/json"),
        200,
        json_body({"value": {"s": "\ud800"}}),
    ),
    # Bodies over MAX_CONTENT_LENGTH, and bodies that lie about their length
    case(
        "body-over-limit-by-content-length",
        http("POST", "/body", headers=[("Content-Length", str(4 * MAX_CONTENT_LENGTH))], body=b"x" * 1000),
        413,
        TOO_LARGE,
    ),
    case(
        "body-over-limit-content-length-expect-100",
        http(
            "POST",
            "/body",
            headers=[("Content-Length", str(4 * MAX_CONTENT_LENGTH)), ("Expect", "100-continue")],
        ),
        413,
        TOO_LARGE,
    ),
    case(
        "body-over-limit-chunked",
        http(
            "POST",
            "/body",
            headers=[("Transfer-Encoding", "chunked")],
            body=chunked([b"x" * 65536] * 8),
        ),
        413,
        TOO_LARGE,
    ),
    case(
        "body-form-over-limit-chunked",
        http(
            "POST",
            "/form",
            headers=[("Transfer-Encoding", "chunked"), ("Content-Type", URLENCODED)],
            body=chunked([b"a=" + b"x" * 65536] * 8),
        ),
        413,
        TOO_LARGE,
    ),
    case(
        "body-content-length-longer-than-body-then-close",
        http("POST", "/body?close-early", headers=[("Content-Length", "100000")], body=b"x" * 10),
        (),
        close_early=True,
    ),
    case(
        "body-content-length-and-chunked",
        http(
            "POST",
            "/body",
            headers=[("Content-Length", "5"), ("Transfer-Encoding", "chunked")],
            body=b"0\r\n\r\n",
        ),
        400,
        SERVER_400,
    ),
    case(
        "body-negative-content-length",
        http("POST", "/body", headers=[("Content-Length", "-5")]),
        400,
        SERVER_400,
    ),
    case(
        "body-bad-chunk-size",
        http("POST", "/body?bad-chunk", headers=[("Transfer-Encoding", "chunked")], body=b"zz\r\nabc\r\n0\r\n\r\n"),
        400,
        SERVER_400,
        reaches_view=True,
    ),
    # Forms: broken multipart, too many parts, too large a field
    case("multipart-no-boundary", post("/form", b"0123456789", "multipart/form-data"), 400, BAD_FORM),
    case(
        "multipart-truncated",
        post("/form", multipart([field_part("a", b"value")], close=False)[:-2], MULTIPART),
        400,
        BAD_FORM,
    ),
    case(
        "multipart-no-closing-boundary",
        post("/form", multipart([field_part("a", b"value")], close=False), MULTIPART),
        400,
        BAD_FORM,
    ),
    case("multipart-garbage", post("/form", b"no boundary anywhere in here", MULTIPART), 400, BAD_FORM),
    case(
        "multipart-part-without-name",
        post("/form", multipart([b"X-Nothing: here\r\n\r\nvalue"]), MULTIPART),
        400,
        BAD_FORM,
    ),
    case(
        "multipart-5000-char-boundary",
        post("/form", b"", 'multipart/form-data; boundary="' + "B" * 5000 + '"'),
        400,
        BAD_FORM,
    ),
    case(
        "multipart-3000-fields",
        post("/form", multipart(field_part(f"f{i}", b"v") for i in range(3000)), MULTIPART),
        413,
        TOO_LARGE,
    ),
    case(
        "multipart-3000-files",
        post("/form", multipart(file_part(f"f{i}", f"a{i}.txt", b"v") for i in range(3000)), MULTIPART),
        413,
        TOO_LARGE,
    ),
    case(
        "multipart-600-fields-and-600-files",
        post(
            "/form",
            multipart(
                [*(field_part(f"f{i}", b"v") for i in range(600)), *(file_part(f"g{i}", "a", b"v") for i in range(600))]
            ),
            MULTIPART,
        ),
        413,
        TOO_LARGE,
    ),
    case(
        "multipart-field-over-max-form-memory-size",
        post("/form", multipart([field_part("big", b"x" * (2 * MAX_FORM_MEMORY_SIZE))]), MULTIPART),
        413,
        TOO_LARGE,
    ),
    case(
        "multipart-invalid-utf8-name-and-value",
        post("/form", multipart([b'Content-Disposition: form-data; name="\xff"\r\n\r\n\xff\xfe']), MULTIPART),
        200,
        json_body({"fields": 1, "files": 0}),
    ),
    case(
        "multipart-traversal-filename-kept-as-data",
        post("/form", multipart([file_part("f", "../../etc/passwd", b"v")]), MULTIPART),
        200,
        json_body({"fields": 0, "files": 1}),
    ),
    case(
        "urlencoded-3000-fields",
        post("/form", b"&".join(b"f%d=v" % i for i in range(3000)), URLENCODED),
        413,
        TOO_LARGE,
    ),
    case(
        "urlencoded-field-over-max-form-memory-size",
        post("/form", b"big=" + b"x" * (2 * MAX_FORM_MEMORY_SIZE), URLENCODED),
        413,
        TOO_LARGE,
    ),
    case(
        "urlencoded-invalid-percent-and-utf8",
        post("/form", b"a=%zz&%%=1&b=%ff%fe&\xff=\xfe", URLENCODED),
        200,
        json_body({"fields": 4, "files": 0}),
    ),
    # Path traversal: static files and send_from_directory
    case("files-control", http("GET", "/files/report.txt"), 200, lambda r: r.body == b"report body"),
    case("files-raw-dotdot", http("GET", "/files/../secret.txt"), 404, NOT_FOUND),
    case("files-raw-dotdot-deep", http("GET", "/files/" + "../" * 40 + "etc/passwd"), 404, NOT_FOUND),
    case("files-encoded-dotdot", http("GET", "/files/%2e%2e/secret.txt"), 404, NOT_FOUND),
    case("files-encoded-slash", http("GET", "/files/..%2fsecret.txt"), 404, NOT_FOUND),
    case("files-encoded-backslash", http("GET", "/files/..%5csecret.txt"), 404, NOT_FOUND),
    case("files-raw-backslash", http("GET", "/files/..\\secret.txt"), 404, NOT_FOUND),
    case("files-sibling-prefix", http("GET", "/files/../files_private/key.txt"), 404, NOT_FOUND),
    case("files-absolute", http("GET", b"/files/" + ROOT_MARK + b"/secret.txt"), 404, NOT_FOUND),
    case("files-absolute-encoded", http("GET", "/files/%2fetc%2fpasswd"), 404, NOT_FOUND),
    case("files-absolute-etc-passwd", http("GET", "/files//etc/passwd"), 404, NOT_FOUND),
    case("files-nul", http("GET", "/files/report.txt%00.png"), 404, NOT_FOUND),
    case("files-invalid-utf8", http("GET", "/files/%ff%fe"), 404, NOT_FOUND),
    case("static-control", http("GET", "/static/hello.txt"), 200, lambda r: r.body == b"hello static"),
    case("static-raw-dotdot", http("GET", "/static/../secret.txt"), 404, NOT_FOUND),
    case("static-encoded-dotdot", http("GET", "/static/%2e%2e/secret.txt"), 404, NOT_FOUND),
    case("static-encoded-slashes", http("GET", "/static/%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd"), 404, NOT_FOUND),
    case("static-encoded-backslash", http("GET", "/static/..%5c..%5csecret.txt"), 404, NOT_FOUND),
    case("static-absolute", http("GET", "/static//etc/passwd"), 404, NOT_FOUND),
    case("static-nul", http("GET", "/static/hello.txt%00"), 404, NOT_FOUND),
    case("static-directory", http("GET", "/static/css"), 404, NOT_FOUND),
    case("raw-nul-in-request-line", http("GET", b"/static/\x00"), 400, SERVER_400),
    case("raw-non-ascii-in-request-line", http("GET", b"/files/\xff\xfe"), 400, SERVER_400),
    # Converters
    case("int-huge-5000-digits", http("GET", "/int/" + "9" * 5000), 404, NOT_FOUND),
    case("int-100-digits", http("GET", "/int/" + "1" * 100), 200, json_body({"n": "1" * 100})),
    case("int-negative-unsigned", http("GET", "/int/-5"), 404, NOT_FOUND),
    case("int-unicode-digits", http("GET", "/int/%D9%A3"), 404, NOT_FOUND),  # ARABIC-INDIC DIGIT THREE
    case("float-overflow", http("GET", "/float/" + "9" * 400 + ".5"), 200, json_body({"x": "inf"})),
    case("uuid-garbage", http("GET", "/uuid/not-a-uuid"), 404, NOT_FOUND),
    # Percent-encoding, query strings
    case("path-invalid-percent-encoding", http("GET", "/%zz%%/x%"), 404, NOT_FOUND),
    case("path-60k-long", http("GET", "/" + "a/" * 30_000), 404, NOT_FOUND),
    case(
        "query-invalid-percent-encoding",
        http("GET", "/args?a=%zz&%%=1&b=%ff"),
        200,
        json_has(count=3),
    ),
    case("query-20k-parameters", http("GET", "/args?" + "&".join(["a"] * 20_000)), 200, json_has(count=20_000)),
    case(
        "query-20k-distinct-parameters-over-url-limit",
        http("GET", "/args?" + "&".join(f"k{i}=v" for i in range(20_000))),
        400,
        SERVER_400,
    ),
    # The missing key is an internal detail: named only under DEBUG (as Flask), not to clients in production.
    case(
        "query-missing-key-is-400",
        http("GET", "/redirect"),
        400,
        lambda r: "Bad Request" in r.text and "KeyError" not in r.text,
    ),
    # Methods
    case("method-unknown", http("FOO", "/"), 400, SERVER_400),
    case("method-invalid-characters", http("G@T", "/"), 400, SERVER_400),
    case("method-delete-not-allowed", http("DELETE", "/"), 405, lambda r: r.header("allow") == "GET, HEAD, OPTIONS"),
    case("method-get-on-post-route", http("GET", "/json"), 405, lambda r: r.header("allow") == "OPTIONS, POST"),
    case("method-trace", http("TRACE", "/"), 405, NOT_ALLOWED),
    case("method-propfind", http("PROPFIND", "/files/report.txt"), 405, NOT_ALLOWED),
    case("method-not-found-and-not-allowed", http("PATCH", "/nowhere"), 404, NOT_FOUND),
    # Session cookies
    case(
        "session-control-valid-cookie",
        http("GET", "/session", headers=[("Cookie", f"session={VALID_SESSION}")]),
        200,
        json_body({"n": 42}),
    ),
    case("session-garbage", http("GET", "/session", headers=[("Cookie", "session=garbage!!")]), 200, fresh_session),
    case(
        "session-forged-other-key",
        http("GET", "/session", headers=[("Cookie", f"session={session_cookie({'n': 999}, key='attacker')}")]),
        200,
        fresh_session,
    ),
    case(
        "session-payload-swapped",
        http("GET", "/session", headers=[("Cookie", f"session={with_payload(VALID_SESSION, {'n': 999})}")]),
        200,
        fresh_session,
    ),
    case(
        "session-signature-stripped",
        http("GET", "/session", headers=[("Cookie", "session=" + VALID_SESSION.rsplit(".", 1)[0])]),
        200,
        fresh_session,
    ),
    case(
        "session-oversized-60k",
        http("GET", "/session", headers=[("Cookie", "session=" + "A" * 60_000)]),
        200,
        fresh_session,
    ),
    case(
        "session-cookie-header-garbage-bytes",
        http("GET", "/session", headers=[("Cookie", b'session=\xff\xfe\x80; x="unterminated; ;;=;')]),
        200,
        fresh_session,
    ),
    # CR/LF and friends in redirect targets and in header values set from input
    case(
        "redirect-crlf",
        http("GET", "/redirect?to=/a%0d%0aSet-Cookie:%20x=1"),
        302,
        location_is("/a%0D%0ASet-Cookie:%20x=1"),
    ),
    case(
        "redirect-lf-only", http("GET", "/redirect?to=/a%0aX-Injected:%201"), 302, location_is("/a%0AX-Injected:%201")
    ),
    case(
        "redirect-html-in-target",
        http("GET", "/redirect?to=%22%3E%3Cscript%3Ealert(1)%3C/script%3E"),
        302,
        lambda r: b"<script>" not in r.body and r.header("location") == "%22%3E%3Cscript%3Ealert(1)%3C/script%3E",
    ),
    case("redirect-invalid-utf8", http("GET", "/redirect?to=/%ff"), 302, location_is("/%EF%BF%BD")),
    case(
        "header-echo-crlf", http("GET", "/echo-header?v=a%0d%0aSet-Cookie:%20x=1"), 200, echo_is("a  Set-Cookie: x=1")
    ),
    case("header-echo-nul", http("GET", "/echo-header?v=a%00b"), 200, echo_is("a b")),
    case(
        "header-echo-non-latin1",
        http("GET", "/echo-header?v=%E2%98%83"),
        200,
        echo_is("\u2603".encode().decode("latin-1")),
    ),
    # Host headers: the main app has no TRUSTED_HOSTS, /trusted has ["localhost", ".example.com"]
    case("host-garbage-bytes", http("GET", "/", host=b"\xff\xfe..//<>"), 200, lambda r: r.body == b"ok"),
    case("host-missing", http("GET", "/", host=None), 200, lambda r: r.body == b"ok"),
    case("host-70k", http("GET", "/", host="a" * 70_000), 200, lambda r: r.body == b"ok"),
    case(
        "trusted-host-control", http("GET", "/trusted/", host="api.example.com"), 200, lambda r: r.body == b"trusted ok"
    ),
    case("trusted-host-other", http("GET", "/trusted/", host="evil.test"), 400, says("Bad Request", "not trusted")),
    case("trusted-host-suffix-trick", http("GET", "/trusted/", host="evilexample.com"), 400, says("not trusted")),
    case("trusted-host-as-prefix", http("GET", "/trusted/", host="example.com.evil.test"), 400, says("not trusted")),
    case("trusted-host-garbage-bytes", http("GET", "/trusted/", host=b"\xff\xfe"), 400, says("not trusted")),
    case("trusted-host-missing", http("GET", "/trusted/", host=None), 400, says("not trusted")),
    case("trusted-host-empty", http("GET", "/trusted/", host=""), 400, says("not trusted")),
    case("trusted-host-port-only", http("GET", "/trusted/", host=":80"), 400, says("not trusted")),
    # Other malformed requests
    case("request-target-relative", http("GET", "foo"), 400, SERVER_400),
    case("http-version-unknown", b"GET / HTTP/9.9\r\nHost: x\r\nConnection: close\r\n\r\n", 400, SERVER_400),
    case("range-garbage", http("GET", "/files/report.txt", headers=[("Range", "bytes=garbage")]), 400, says("Range")),
    case(
        "accept-garbage-on-error",
        http("GET", "/nowhere", headers=[("Accept", "application/json;q=x, */*;q=")]),
        404,
        NOT_FOUND,
    ),
]

FORBIDDEN = (b"Traceback", b'File "', SECRET_KEY.encode(), SECRET_FILE_CONTENT.encode(), b"root:x:0:0")


def assert_clean(response: RawResponse, root: Path) -> None:
    """What every answer must be: no 5xx, no traceback, no secret, no foreign file, short and readable."""
    assert response.status < 500, response.raw[:2000]
    for forbidden in (*FORBIDDEN, str(root).encode()):
        assert forbidden not in response.raw, f"{forbidden!r} in the response"
    if response.status >= 400:
        assert len(response.body) <= 1024, f"a {len(response.body)}-byte error page"
        text = response.body.decode("utf-8")  # readable: valid UTF-8 text
        assert text.strip(), "an error without a message"
        assert (response.header("content-type") or "").split(";")[0] in ("text/html", "text/plain", "application/json")


def test_corpus_is_large_enough() -> None:
    assert len(CASES) >= 40
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id, marks=c.marks) for c in CASES])
def test_bad_input(served: tuple[LiveServer, Path], case: Case) -> None:
    server, root = served
    server.clear_log()
    raw_request = case.request.replace(ROOT_MARK, str(root).encode())
    marker = raw_request.split(b" ", 2)[1].decode("latin-1")
    if case.close_early:
        with server.connect() as sock:
            sock.sendall(raw_request)
        wait_until(lambda: marker in TEARDOWNS, what=f"teardown of {marker}")
    else:
        response = parse_response(exchange(server.port, raw_request))
        assert response is not None, "no response at all"
        expected = case.status if isinstance(case.status, tuple) else (case.status,)
        assert response.status in expected, response.raw[:1000]
        assert_clean(response, root)
        if case.check is not None:
            outcome = case.check(response)
            assert outcome is None or outcome, f"check failed on {response.raw[:1000]!r}"
        if case.reaches_view:
            wait_until(lambda: marker in TEARDOWNS, what=f"teardown of {marker}")
    live = get(server.port, "/")
    assert (live.status, live.body) == (200, b"ok")
    assert not server.errors(), "errors logged:\n" + server.log.text()


def read_one_response(sock: socket.socket) -> RawResponse:
    """Read exactly one response with a ``Content-Length`` body off a keep-alive connection."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed mid-response: {data!r}"
        data += chunk
    head = parse_response(data)
    assert head is not None
    length = int(head.header("content-length") or 0)
    while len(data.partition(b"\r\n\r\n")[2]) < length:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed mid-body: {data!r}"
        data += chunk
    response = parse_response(data)
    assert response is not None
    return response


def test_garbage_after_a_good_request_on_a_kept_alive_connection(served: tuple[LiveServer, Path]) -> None:
    """A good request answered on a kept-alive connection, then garbage on it: 400, connection
    closed, and the server goes on serving."""
    server, _ = served
    with server.connect() as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        first = read_one_response(sock)
        assert (first.status, first.body) == (200, b"ok")
        sock.sendall(b"\x00\x01\x02 garbage \r\n\r\n")
        rest = parse_response(recv_all(sock))
    assert rest is not None and rest.status == 400
    assert get(server.port, "/").status == 200


def test_half_sent_headers_then_close(served: tuple[LiveServer, Path]) -> None:
    """A client that sends half a request line and goes away leaves nothing behind."""
    server, _ = served
    server.clear_log()
    for partial in (b"GE", b"GET /files/rep", b"POST /body HTTP/1.1\r\nContent-Le"):
        with socket.create_connection(("127.0.0.1", server.port)) as sock:
            sock.sendall(partial)
    assert get(server.port, "/").status == 200
    assert not server.errors(), server.log.text()
