"""Werkzeug's typed response headers on microflask's Response: each property reads and writes
its header, malformed headers read as None/empty, ETags, and make_conditional's 304/412/206/416."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from microflask import MicroFlask, Response, request, send_file
from microflask.exceptions import RangeNotSatisfiable
from microflask.headervalues import (
    ContentRange,
    ContentSecurityPolicy,
    ResponseCacheControl,
    WWWAuthenticate,
    http_date,
    parse_http_date,
)

WHEN = datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC)
WHEN_TEXT = "Thu, 02 Jan 2020 03:04:05 GMT"


# -- dates ---------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["expires", "last_modified", "date"])
def test_date_properties_round_trip(name: str) -> None:
    header = name.replace("_", "-")
    response = Response("x")
    assert getattr(response, name) is None
    setattr(response, name, WHEN)
    assert response.headers[header] == WHEN_TEXT
    assert getattr(response, name) == WHEN
    assert getattr(response, name).tzinfo is not None
    setattr(response, name, datetime(2020, 1, 2, 3, 4, 5))  # naive: UTC
    assert response.headers[header] == WHEN_TEXT
    setattr(response, name, 0)  # a timestamp
    assert response.headers[header] == "Thu, 01 Jan 1970 00:00:00 GMT"
    setattr(response, name, None)
    assert header not in response.headers


@pytest.mark.parametrize("value", ["garbage", "", "Sun, 06 Nov 99999 08:49:37 GMT", "0", "\x00"])
def test_malformed_dates_read_as_none(value: str) -> None:
    response = Response("x", headers={"Expires": value, "Retry-After": value, "Last-Modified": value})
    assert response.expires is None
    assert response.last_modified is None
    assert response.retry_after is None or value == "0"


def test_http_date_forms() -> None:
    assert parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT") == datetime(1994, 11, 6, 8, 49, 37, tzinfo=UTC)
    assert parse_http_date("Sun Nov  6 08:49:37 1994") == datetime(1994, 11, 6, 8, 49, 37, tzinfo=UTC)
    assert http_date(WHEN) == WHEN_TEXT


def test_age_and_retry_after() -> None:
    response = Response("x")
    response.age = 30
    assert response.headers["age"] == "30"
    assert response.age == timedelta(seconds=30)
    response.age = timedelta(minutes=2)
    assert response.headers["age"] == "120"
    for bad in ("-5", "x", "9" * 30):
        response.headers["age"] = bad
        assert response.age is None
    response.age = None
    assert "age" not in response.headers

    response.retry_after = 120
    assert response.headers["retry-after"] == "120"
    before = datetime.now(UTC)
    assert before + timedelta(seconds=110) < response.retry_after < before + timedelta(seconds=130)  # type: ignore[operator]
    response.retry_after = WHEN
    assert response.headers["retry-after"] == WHEN_TEXT
    assert response.retry_after == WHEN
    response.retry_after = None
    assert response.retry_after is None


# -- Cache-Control -------------------------------------------------------------------------
def test_cache_control_writes_back() -> None:
    response = Response("x")
    assert isinstance(response.cache_control, ResponseCacheControl)
    assert response.cache_control.max_age is None
    response.cache_control.max_age = 60
    response.cache_control.public = True
    response.cache_control.stale_while_revalidate = 5
    assert response.headers["cache-control"] == "max-age=60, public, stale-while-revalidate=5"
    response.cache_control.no_cache = True
    assert response.cache_control.no_cache is True
    response.cache_control.no_cache = "Set-Cookie, Authorization"
    assert 'no-cache="Set-Cookie, Authorization"' in response.headers["cache-control"]
    response.cache_control.private = True
    response.cache_control.immutable = True
    cc = response.cache_control
    assert (cc.private, cc.immutable, cc.no_store, cc.must_revalidate) == (True, True, False, False)
    for name in ("max_age", "public", "stale_while_revalidate", "no_cache", "private", "immutable"):
        setattr(response.cache_control, name, None)
    assert "cache-control" not in response.headers
    response.cache_control = "no-store"  # type: ignore[assignment]
    assert response.cache_control.no_store
    response.cache_control = None  # type: ignore[assignment]
    assert "cache-control" not in response.headers


def test_send_file_response_shares_the_cache_control(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("hello")
    app = MicroFlask(__name__)

    @app.route("/")
    def view() -> Any:
        rv = send_file(str(tmp_path / "a.txt"), max_age=10)
        assert isinstance(rv.cache_control, ResponseCacheControl)
        rv.cache_control.immutable = True
        rv.expires = WHEN
        return rv

    rv = app.test_client().get("/")
    assert rv.headers["cache-control"] == "public, max-age=10, immutable"
    assert rv.headers["expires"] == WHEN_TEXT


# -- content headers -----------------------------------------------------------------------
def test_plain_text_properties() -> None:
    response = Response("x")
    names = ["content_location", "content_encoding", "content_md5", "accept_ranges", "access_control_allow_origin"]
    names += ["cross_origin_opener_policy", "cross_origin_embedder_policy"]
    for name in names:
        assert getattr(response, name) is None
        setattr(response, name, "v-" + name)
        assert response.headers[name.replace("_", "-")] == "v-" + name
        assert getattr(response, name) == "v-" + name
        setattr(response, name, None)
        assert name.replace("_", "-") not in response.headers


def test_header_sets() -> None:
    response = Response("x")
    response.content_language = ["en", "de"]
    assert response.headers["content-language"] == "en, de"
    response.content_language.add("fr")
    assert response.headers["content-language"] == "en, de, fr"
    assert "DE" in response.content_language
    response.access_control_allow_methods = ["GET", "POST"]
    response.access_control_allow_headers.add("X-Token")
    response.access_control_expose_headers = "ETag"
    assert response.headers["access-control-allow-methods"] == "GET, POST"
    assert response.headers["access-control-allow-headers"] == "X-Token"
    assert list(response.access_control_expose_headers) == ["ETag"]


def test_cors_credentials_and_max_age() -> None:
    response = Response("x")
    assert response.access_control_allow_credentials is False
    response.access_control_allow_credentials = True
    assert response.headers["access-control-allow-credentials"] == "true"
    assert response.access_control_allow_credentials is True
    response.access_control_allow_credentials = False
    assert "access-control-allow-credentials" not in response.headers
    response.access_control_max_age = 600
    assert response.headers["access-control-max-age"] == "600"
    assert response.access_control_max_age == 600
    response.headers["access-control-max-age"] = "soon"
    assert response.access_control_max_age is None


def test_mimetype_params() -> None:
    response = Response("x", mimetype="text/plain")
    assert response.mimetype_params == {"charset": "utf-8"}
    response.mimetype_params["charset"] = "latin-1"
    assert response.headers["content-type"] == "text/plain; charset=latin-1"
    response.mimetype_params["format"] = "a b"
    assert response.headers["content-type"] == 'text/plain; charset=latin-1; format="a b"'
    response.mimetype_params = {}
    assert response.headers["content-type"] == "text/plain"


def test_content_range() -> None:
    response = Response("x")
    assert not response.content_range
    assert response.content_range.to_header() == ""
    response.content_range = "bytes 0-4/10"
    cr = response.content_range
    assert (cr.units, cr.start, cr.stop, cr.length) == ("bytes", 0, 5, 10)
    cr.stop = 7
    assert response.headers["content-range"] == "bytes 0-6/10"
    response.content_range = ContentRange("bytes", 2, 4, None)
    assert response.headers["content-range"] == "bytes 2-3/*"
    response.content_range = (0, 3, 10)  # type: ignore[assignment]
    assert response.headers["content-range"] == "bytes 0-2/10"
    response.content_range.unset()
    assert "content-range" not in response.headers
    response.content_range = "bytes */10"
    assert response.content_range.start is None and response.content_range.length == 10
    for bad in ("bytes 5-2/10", "bytes 0-20/10", "garbage", "bytes a-b/c", "bytes */*"):
        response.headers["content-range"] = bad
        assert not response.content_range
    response.content_range = None  # type: ignore[assignment]
    assert "content-range" not in response.headers


# -- WWW-Authenticate ----------------------------------------------------------------------
def test_www_authenticate() -> None:
    response = Response("x", status=401)
    assert response.www_authenticate.type == "basic"
    assert "www-authenticate" not in response.headers  # nothing sent until it is changed
    response.www_authenticate.realm = "Login Required"
    assert response.headers["www-authenticate"] == 'Basic realm="Login Required"'
    response.www_authenticate = WWWAuthenticate("bearer", {"realm": "api", "error": "invalid_token"})
    assert response.headers["www-authenticate"] == 'Bearer realm="api", error="invalid_token"'
    response.www_authenticate = WWWAuthenticate("negotiate", token="abc==")
    assert response.headers["www-authenticate"] == "Negotiate abc=="
    assert response.www_authenticate.token == "abc=="
    response.www_authenticate = None  # type: ignore[assignment]
    assert "www-authenticate" not in response.headers


def test_www_authenticate_parses_what_extensions_send() -> None:
    # Flask-HTTPAuth writes the header text itself: '<scheme> realm="<realm>"'.
    response = Response("Unauthorized Access", status=401)
    response.headers["WWW-Authenticate"] = 'Digest realm="Authentication Required",nonce="n1",opaque="o\\"1",qop="auth"'
    challenge = response.www_authenticate
    assert challenge.type == "digest"
    assert challenge.realm == "Authentication Required"
    assert (challenge.nonce, challenge.opaque, challenge["qop"]) == ("n1", 'o"1', "auth")
    challenge.stale = "TRUE"
    assert response.headers["www-authenticate"].endswith(", stale=TRUE")
    for bad in ("garbage,,,===", "Basic realm", '"', ",", 'Basic realm="open'):
        response.headers["www-authenticate"] = bad
        assert isinstance(response.www_authenticate.parameters, dict)  # never an error
    response.headers["www-authenticate"] = "   "
    assert response.www_authenticate.type == "basic"


# -- Content-Security-Policy ---------------------------------------------------------------
def test_content_security_policy() -> None:
    response = Response("x")
    assert response.content_security_policy.default_src is None
    response.content_security_policy.default_src = "'self'"
    response.content_security_policy.img_src = "*"
    assert response.headers["content-security-policy"] == "default-src 'self'; img-src *"
    response.content_security_policy.img_src = None
    assert response.headers["content-security-policy"] == "default-src 'self'"
    response.content_security_policy_report_only = {"default-src": "'none'", "report-uri": "/csp"}  # type: ignore[assignment]
    assert response.headers["content-security-policy-report-only"] == "default-src 'none'; report-uri /csp"
    assert response.content_security_policy_report_only.report_uri == "/csp"
    response.content_security_policy = None  # type: ignore[assignment]
    assert "content-security-policy" not in response.headers


def test_content_security_policy_from_talisman_style_header() -> None:
    # Flask-Talisman writes the policy text to the header; it reads back directive by directive.
    response = Response("x")
    response.headers["Content-Security-Policy"] = (
        "default-src 'self' *.example.com; script-src 'nonce-abc'; upgrade-insecure-requests"
    )
    csp = response.content_security_policy
    assert isinstance(csp, ContentSecurityPolicy)
    assert csp.default_src == "'self' *.example.com"
    assert csp.script_src == "'nonce-abc'"
    assert csp.upgrade_insecure_requests == ""
    csp["frame-ancestors"] = "'none'"
    assert response.headers["content-security-policy"].endswith("; upgrade-insecure-requests; frame-ancestors 'none'")
    response.headers["Content-Security-Policy"] = ";;; ;"
    assert dict(response.content_security_policy) == {}


# -- through the test client ---------------------------------------------------------------
def test_properties_from_a_view() -> None:
    app = MicroFlask(__name__)

    @app.route("/")
    def view() -> Any:
        response = Response("hi")
        response.cache_control.max_age = 30
        response.expires = WHEN
        response.content_language = ["en"]
        response.access_control_allow_origin = "*"
        response.content_security_policy.default_src = "'self'"
        return response

    rv = app.test_client().get("/")
    assert rv.headers["cache-control"] == "max-age=30"
    assert rv.headers["expires"] == WHEN_TEXT
    assert rv.headers["content-language"] == "en"
    assert rv.headers["access-control-allow-origin"] == "*"
    assert rv.headers["content-security-policy"] == "default-src 'self'"


# -- ETags and make_conditional ------------------------------------------------------------
def test_etags() -> None:
    response = Response("hello")
    assert response.get_etag() == (None, None)
    response.set_etag("abc")
    assert response.headers["etag"] == '"abc"'
    assert response.get_etag() == ("abc", False)
    response.set_etag("abc", weak=True)
    assert response.headers["etag"] == 'W/"abc"'
    assert response.get_etag() == ("abc", True)
    with pytest.raises(ValueError):
        response.set_etag('a"b')
    response.headers["etag"] = "unquoted"
    assert response.get_etag() == ("unquoted", False)
    response.add_etag()  # one is there
    assert response.get_etag() == ("unquoted", False)
    response.add_etag(overwrite=True)
    tag, weak = response.get_etag()
    assert weak is False and tag and len(tag) == 40
    other = Response("hello")
    other.add_etag()
    assert other.get_etag() == response.get_etag()


def _conditional_app() -> MicroFlask:
    app = MicroFlask(__name__)

    @app.route("/", methods=["GET", "POST"])
    def view() -> Any:
        response = Response("0123456789", mimetype="text/plain")
        response.set_etag("v1")
        response.last_modified = WHEN
        response.cache_control.max_age = 60
        response.headers["Vary"] = "Cookie"
        return response.make_conditional(request, accept_ranges=True)

    @app.route("/auto")
    def auto() -> Any:
        response = Response("some body")
        response.add_etag()
        return response.make_conditional(request)

    return app


def test_make_conditional_304() -> None:
    client = _conditional_app().test_client()
    first = client.get("/")
    assert first.status_code == 200
    assert first.headers["accept-ranges"] == "bytes"
    assert "date" in first.headers
    for headers in ({"If-None-Match": '"v1"'}, {"If-None-Match": 'W/"v1", "v0"'}, {"If-None-Match": "*"}):
        rv = client.get("/", headers=headers)
        assert rv.status_code == 304
        assert rv.data == b""
        assert rv.headers["etag"] == '"v1"'
        assert rv.headers["cache-control"] == "max-age=60"
        assert rv.headers["vary"] == "Cookie"
        assert "content-type" not in rv.headers
    assert client.get("/", headers={"If-Modified-Since": WHEN_TEXT}).status_code == 304
    assert client.get("/", headers={"If-Modified-Since": "Thu, 02 Jan 2020 03:00:00 GMT"}).status_code == 200
    # If-None-Match wins over If-Modified-Since (RFC 9110 §13.2.2)
    assert client.get("/", headers={"If-None-Match": '"v0"', "If-Modified-Since": WHEN_TEXT}).status_code == 200
    assert client.head("/", headers={"If-None-Match": '"v1"'}).status_code == 304
    assert client.post("/", headers={"If-None-Match": '"v1"'}).status_code == 200  # only GET and HEAD
    assert client.get("/", headers={"If-Modified-Since": "garbage"}).status_code == 200


def test_add_etag_then_if_none_match() -> None:
    client = _conditional_app().test_client()
    etag = client.get("/auto").headers["etag"]
    rv = client.get("/auto", headers={"If-None-Match": etag})
    assert rv.status_code == 304
    assert rv.data == b""


def test_make_conditional_412() -> None:
    client = _conditional_app().test_client()
    assert client.get("/", headers={"If-Match": '"other"'}).status_code == 412
    assert client.get("/", headers={"If-Match": 'W/"v1"'}).status_code == 412  # strong comparison
    assert client.get("/", headers={"If-Match": '"x", "v1"'}).status_code == 200
    assert client.get("/", headers={"If-Match": "*"}).status_code == 200
    assert client.get("/", headers={"If-Unmodified-Since": "Wed, 01 Jan 2020 00:00:00 GMT"}).status_code == 412
    assert client.get("/", headers={"If-Unmodified-Since": WHEN_TEXT}).status_code == 200
    assert client.get("/", headers={"If-Unmodified-Since": "nonsense"}).status_code == 200


@pytest.mark.parametrize(
    ("header", "body", "content_range"),
    [
        ("bytes=2-4", b"234", "bytes 2-4/10"),
        ("bytes=-3", b"789", "bytes 7-9/10"),
        ("bytes=5-", b"56789", "bytes 5-9/10"),
        ("bytes=5-100", b"56789", "bytes 5-9/10"),
        ("bytes=0-0", b"0", "bytes 0-0/10"),
    ],
)
def test_make_conditional_206(header: str, body: bytes, content_range: str) -> None:
    rv = _conditional_app().test_client().get("/", headers={"Range": header})
    assert rv.status_code == 206
    assert rv.data == body
    assert rv.headers["content-range"] == content_range
    assert rv.headers["content-length"] == str(len(body))


@pytest.mark.parametrize("header", ["garbage", "bytes=2-4,6-7", "items=0-1", "bytes=4-2", "bytes=-", "bytes=a-b"])
def test_ranges_not_understood_give_the_whole_body(header: str) -> None:
    rv = _conditional_app().test_client().get("/", headers={"Range": header})
    assert rv.status_code == 200
    assert rv.data == b"0123456789"


def test_make_conditional_416_and_if_range() -> None:
    client = _conditional_app().test_client()
    rv = client.get("/", headers={"Range": "bytes=20-30"})
    assert rv.status_code == 416
    assert rv.headers["content-range"] == "bytes */10"
    assert client.get("/", headers={"Range": "bytes=2-4", "If-Range": '"v1"'}).status_code == 206
    assert client.get("/", headers={"Range": "bytes=2-4", "If-Range": '"v0"'}).status_code == 200
    assert client.get("/", headers={"Range": "bytes=2-4", "If-Range": WHEN_TEXT}).status_code == 206
    assert client.get("/", headers={"Range": "bytes=2-4", "If-Range": "garbage"}).status_code == 200
    # a matching If-None-Match comes before the range
    assert client.get("/", headers={"Range": "bytes=2-4", "If-None-Match": '"v1"'}).status_code == 304


def test_make_conditional_takes_an_environ_or_a_scope() -> None:
    environ = {"REQUEST_METHOD": "GET", "HTTP_IF_NONE_MATCH": '"v1"'}
    response = Response("x")
    response.set_etag("v1")
    assert response.make_conditional(environ).status_code == 304
    scope = {"type": "http", "method": "GET", "headers": [(b"range", b"bytes=0-1")]}
    response = Response("hello")
    assert response.make_conditional(scope, accept_ranges=True).get_data() == b"he"
    with pytest.raises(RangeNotSatisfiable) as info:
        Response("hello").make_conditional({**scope, "headers": [(b"range", b"bytes=9-")]}, accept_ranges=True)
    assert info.value.get_headers() == {"Content-Range": "bytes */5"}
    with pytest.raises(TypeError):
        Response("x").make_conditional(42)


def test_make_conditional_on_a_file_response(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("file body")
    app = MicroFlask(__name__)

    @app.route("/")
    def view() -> Any:
        rv = send_file(str(tmp_path / "a.txt"), conditional=False, etag="f1")
        return rv.make_conditional(request)

    client = app.test_client()
    assert client.get("/").data == b"file body"
    rv = client.get("/", headers={"If-None-Match": '"f1"'})
    assert (rv.status_code, rv.data) == (304, b"")


# -- the rest of Werkzeug's response ---------------------------------------------------------
def test_get_json_and_json() -> None:
    assert Response('{"a": 1}', mimetype="application/json").get_json() == {"a": 1}
    assert Response('{"a": 1}', mimetype="application/json").json == {"a": 1}
    assert Response('{"a": 1}').get_json() is None
    assert Response('{"a": 1}').get_json(force=True) == {"a": 1}
    broken = Response("{", mimetype="application/json")
    assert broken.get_json(silent=True) is None
    with pytest.raises(ValueError):
        broken.get_json()


def test_body_helpers() -> None:
    response = Response("ab")
    assert response.is_streamed is False
    assert response.calculate_content_length() == 2
    assert response.default_status == 200
    assert response.automatically_set_content_length is True
    assert response.autocorrect_location_header is False
    response.stream.write(b"cd")
    response.stream.writelines(["e", b"f"])
    assert response.get_data() == b"abcdef"
    assert response.headers["content-length"] == "6"
    assert response.stream.tell() == 6
    streamed = Response(iter([b"a", b"b"]))
    assert streamed.is_streamed is True
    assert streamed.calculate_content_length() is None

    class Created(Response):
        default_status = 201

    assert Created("x").status_code == 201


def test_call_on_close_runs_after_the_send() -> None:
    app = MicroFlask(__name__)
    ran: list[str] = []

    @app.route("/")
    def view() -> Any:
        response = Response("body")

        @response.call_on_close
        def done() -> None:
            ran.append("sync")

        async def done_async() -> None:
            ran.append("async")

        response.call_on_close(done_async)
        return response

    rv = app.test_client().get("/")
    assert rv.data == b"body"
    assert ran == ["sync", "async"]


def test_close_runs_the_sync_functions_once() -> None:
    ran: list[int] = []
    response = Response("x")
    response.call_on_close(lambda: ran.append(1))
    with response:
        pass
    response.close()
    assert ran == [1]
