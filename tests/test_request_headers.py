"""Werkzeug's parsed request headers: accept_languages/charsets/encodings, authorization,
cache_control, pragma, if_match/if_none_match, dates, if_range, range, max_forwards,
access_route and the CORS preflight headers; on requests (async and def views) and websockets."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

import pytest
from starlette.testclient import TestClient

from microflask import MicroFlask, Request, request, websocket
from microflask.datastructures import Accept
from microflask.headervalues import parse_http_date
from microflask.requestheaders import (
    Authorization,
    CharsetAccept,
    ContentRange,
    ETags,
    LanguageAccept,
    Range,
    RequestCacheControl,
    parse_etags,
    parse_if_range,
    parse_range,
)

HOSTILE = [
    "",
    " ",
    ",,,",
    '"',
    "\\",
    "=",
    ";q=",
    "a;q=nan",
    "x" * 20000,
    '"' * 5000,
    "," * 5000,
    "é ü \x7f",
    "9" * 5000,
    "bytes=" + "1-2," * 2000,
    "Basic " + "=" * 300,
]

ATTRIBUTES = [
    "accept_languages",
    "accept_charsets",
    "accept_encodings",
    "authorization",
    "cache_control",
    "pragma",
    "if_match",
    "if_none_match",
    "if_modified_since",
    "if_unmodified_since",
    "date",
    "if_range",
    "range",
    "max_forwards",
    "content_encoding",
    "content_md5",
    "remote_user",
    "access_route",
    "access_control_request_headers",
    "access_control_request_method",
]

HEADERS = {
    "accept_languages": "Accept-Language",
    "accept_charsets": "Accept-Charset",
    "accept_encodings": "Accept-Encoding",
    "authorization": "Authorization",
    "cache_control": "Cache-Control",
    "pragma": "Pragma",
    "if_match": "If-Match",
    "if_none_match": "If-None-Match",
    "if_modified_since": "If-Modified-Since",
    "if_unmodified_since": "If-Unmodified-Since",
    "date": "Date",
    "if_range": "If-Range",
    "range": "Range",
    "max_forwards": "Max-Forwards",
    "access_route": "X-Forwarded-For",
    "access_control_request_headers": "Access-Control-Request-Headers",
}


def _basic(credentials: bytes) -> str:
    return "Basic " + base64.b64encode(credentials).decode()


# -- through a real view ------------------------------------------------------------------------------


def _summary() -> dict[str, Any]:
    auth = request.authorization
    rng = request.range
    return {
        "lang": request.accept_languages.best_match(["en", "fr"]),
        "langs": list(request.accept_languages.values()),
        "charset": request.accept_charsets.best_match(["iso-8859-1", "utf-8"]),
        "encoding": request.accept_encodings.best_match(["br", "gzip"]),
        "auth": None if auth is None else [auth.type, auth.username, auth.password, auth.token],
        "max_age": request.cache_control.max_age,
        "no_cache": "no-cache" in request.pragma,
        "if_none_match": sorted(request.if_none_match.as_set()),
        "since": None if request.if_modified_since is None else request.if_modified_since.isoformat(),
        "range": None if rng is None else rng.range_for_length(1000),
        "max_forwards": request.max_forwards,
        "route": request.access_route,
        "preflight": [request.access_control_request_method, sorted(request.access_control_request_headers or ())],
    }


FULL = {
    "Accept-Language": "en-US,en;q=0.8,fr;q=0.5",
    "Accept-Charset": "utf-8, iso-8859-1;q=0.5",
    "Accept-Encoding": "gzip, br;q=0.9",
    "Authorization": _basic(b"ada:s3cr:et"),
    "Cache-Control": "max-age=0",
    "Pragma": "no-cache",
    "If-None-Match": '"v1", W/"v2"',
    "If-Modified-Since": "Sun, 06 Nov 1994 08:49:37 GMT",
    "Range": "bytes=-100",
    "Max-Forwards": "3",
    "X-Forwarded-For": "203.0.113.7, 10.0.0.1",
    "Access-Control-Request-Method": "PUT",
    "Access-Control-Request-Headers": "X-Token, Content-Type",
}

FULL_ANSWER = {
    "lang": "en",
    "langs": ["en-US", "en", "fr"],
    "charset": "utf-8",
    "encoding": "gzip",
    "auth": ["basic", "ada", "s3cr:et", None],
    "max_age": 0,
    "no_cache": True,
    "if_none_match": ["v1"],
    "since": "1994-11-06T08:49:37+00:00",
    "range": [900, 1000],
    "max_forwards": 3,
    "route": ["203.0.113.7", "10.0.0.1"],
    "preflight": ["PUT", ["Content-Type", "X-Token"]],
}

EMPTY_ANSWER = {
    "lang": None,
    "langs": [],
    "charset": None,
    "encoding": None,
    "auth": None,
    "max_age": None,
    "no_cache": False,
    "if_none_match": [],
    "since": None,
    "range": None,
    "max_forwards": None,
    "route": ["127.0.0.1"],
    "preflight": [None, []],
}


def _app() -> MicroFlask:
    app = MicroFlask(__name__)

    @app.route("/async")
    async def in_async() -> dict[str, Any]:
        return _summary()

    @app.route("/sync")
    def in_sync() -> dict[str, Any]:
        return _summary()

    @app.route("/touch")
    async def touch() -> dict[str, Any]:
        return {name: repr(getattr(request, name)) for name in ATTRIBUTES}

    return app


@pytest.mark.parametrize("path", ["/async", "/sync"])
def test_every_header_through_a_view(path: str) -> None:
    with _app().test_client() as client:
        assert client.get(path, headers=FULL).json == FULL_ANSWER
        assert client.get(path, headers={"Accept-Encoding": "identity"}).json == EMPTY_ANSWER


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_values_never_fail_a_request(value: str) -> None:
    headers = {header: value.encode("latin-1") for header in HEADERS.values()}
    headers["Authorization"] = value.encode("latin-1") or b"x"
    with _app().test_client() as client:
        assert client.get("/touch", headers=headers).status_code == 200
        assert client.get("/async", headers=headers).status_code == 200


def test_websocket_handshake_has_the_headers() -> None:
    app = MicroFlask(__name__)

    @app.websocket("/ws")
    async def handshake() -> None:
        await websocket.accept()
        auth = websocket.authorization
        await websocket.send_json(
            {
                "token": auth.token if auth else None,
                "lang": websocket.accept_languages.best_match(["de", "en"]),
                "route": websocket.access_route,
            }
        )
        await websocket.close()

    headers = {"Authorization": "Bearer abc.def", "Accept-Language": "de-AT", "X-Forwarded-For": "198.51.100.1"}
    with app.test_client() as client, client.websocket_connect("/ws", headers=headers) as ws:
        assert ws.receive_json() == {"token": "abc.def", "lang": "de", "route": ["198.51.100.1"]}


def test_values_are_parsed_once_per_request() -> None:
    app = MicroFlask(__name__)

    @app.route("/")
    async def index() -> dict[str, bool]:
        return {
            "auth": request.authorization is request.authorization,
            "langs": request.accept_languages is request.accept_languages,
            "etags": request.if_match is request.if_match,
            "range": request.range is request.range,
        }

    with app.test_client() as client:
        r = client.get("/", headers={"Authorization": "Bearer t", "If-Match": '"a"', "Range": "bytes=0-1"})
        assert r.json == {"auth": True, "langs": True, "etags": True, "range": True}


def test_repeated_header_lines_are_joined() -> None:
    headers = [(b"x-forwarded-for", b"1.1.1.1"), (b"x-forwarded-for", b"2.2.2.2, 3.3.3.3")]
    headers += [(b"accept-language", b"fr"), (b"accept-language", b"de;q=0.5")]
    req = Request({"type": "http", "method": "GET", "path": "/", "headers": headers, "client": ("9.9.9.9", 1)})
    assert req.access_route == ["1.1.1.1", "2.2.2.2", "3.3.3.3"]
    assert list(req.accept_languages.values()) == ["fr", "de"]


# -- extension-style use --------------------------------------------------------------------------


def test_httpauth_style_basic_login() -> None:
    app = MicroFlask(__name__)
    users = {"ada": "lovelace"}

    @app.route("/secret")
    def secret() -> Any:
        auth = request.authorization
        if auth is None or auth.type != "basic" or users.get(auth.username or "") != auth.password:
            return "denied", 401, {"WWW-Authenticate": 'Basic realm="x"'}
        return f"hello {auth.username}"

    with app.test_client() as client:
        assert client.get("/secret", headers={"Authorization": _basic(b"ada:lovelace")}).text == "hello ada"
        assert client.get("/secret", headers={"Authorization": _basic(b"ada:wrong")}).status_code == 401
        assert client.get("/secret", headers={"Authorization": "Basic %%%"}).status_code == 401
        assert client.get("/secret").status_code == 401


def test_babel_style_locale_selection() -> None:
    app = MicroFlask(__name__)

    @app.route("/")
    async def index() -> str:
        return request.accept_languages.best_match(["en", "fr"]) or "default"

    with app.test_client() as client:
        assert client.get("/", headers={"Accept-Language": "fr-CA,fr;q=0.9,en;q=0.8"}).text == "fr"
        assert client.get("/", headers={"Accept-Language": "en-GB"}).text == "en"
        assert client.get("/", headers={"Accept-Language": "de"}).text == "default"
        assert client.get("/").text == "default"


# -- Accept and its kinds -------------------------------------------------------------------------


def test_accept_is_a_read_only_list_best_first() -> None:
    accept = Accept("text/*;q=0.5, text/html;q=0.2, application/json, */*;q=0.1")
    assert list(accept) == [("application/json", 1.0), ("text/html", 0.2), ("text/*", 0.5), ("*/*", 0.1)]
    assert accept[0] == ("application/json", 1.0)
    assert accept["text/plain"] == 0.5
    assert accept["image/png"] == 0.1
    assert len(accept) == 4 and accept.provided
    assert list(accept.values()) == ["application/json", "text/html", "text/*", "*/*"]
    assert accept.best == "application/json"
    assert accept.find("text/html") == 1 and accept.find("image/png") == 3 and Accept("a/b").find("c/d") == -1
    with pytest.raises(ValueError):
        Accept("a/b").index("c/d")
    assert accept.to_header() == "application/json,text/html;q=0.2,text/*;q=0.5,*/*;q=0.1"
    assert not Accept(None).provided and Accept(None).best is None and not Accept("")
    assert Accept([("gzip", 1), ("br", 0.5)]).best == "gzip"


def test_accept_best_match_prefers_quality_then_specificity() -> None:
    assert Accept("text/*, application/json").best_match(["text/html", "application/json"]) == "application/json"
    assert Accept("*/*").best_match(["text/html", "application/json"]) == "text/html"
    assert Accept("a/b;q=0").best_match(["a/b"], default="none") == "none"
    assert "a/b" not in Accept("a/b;q=0")


def test_accept_skips_invalid_quality_and_keeps_case() -> None:
    accept = Accept("text/html;q=2, text/plain;q=abc, Text/CSV;Q=0.3")
    assert list(accept) == [("Text/CSV", 0.3)]
    assert accept.quality("text/csv") == 0.3
    assert Accept("application/XHTML+xml").accept_html


def test_accept_encodings_wildcard() -> None:
    encodings = Accept("gzip;q=0.5, *;q=0.1, identity;q=0")
    assert encodings.quality("gzip") == 0.5 and encodings.quality("br") == 0.1
    assert "identity" not in encodings and "br" in encodings
    assert encodings.best_match(["identity", "br", "gzip"]) == "gzip"


@pytest.mark.parametrize(
    ("header", "options", "expected"),
    [
        ("en-US,en;q=0.8", ["en", "de"], "en"),
        ("en-US", ["en", "de"], "en"),
        ("en", ["en-GB", "de"], "en-GB"),
        ("de-CH, fr;q=0.5", ["fr", "de"], "fr"),  # an exact match first, as Werkzeug
        ("de-CH, fr;q=0.5", ["it", "de"], "de"),
        ("en_us", ["en-US"], "en-US"),
        ("*", ["ja"], "ja"),
        ("fr;q=0, *;q=0.1", ["fr", "it"], "it"),
        ("zh-Hant-TW;q=0.9, zh;q=0.8", ["zh-TW", "zh"], "zh"),
        ("es", ["en", "fr"], None),
        ("", ["en"], None),
    ],
)
def test_language_best_match_falls_back_to_primary_tags(header: str, options: list[str], expected: str | None) -> None:
    assert LanguageAccept(header).best_match(options) == expected


def test_language_accept_lookup() -> None:
    langs = LanguageAccept("en-US,en;q=0.8,fr;q=0.5")
    assert "en_us" in langs and "EN" in langs and "de" not in langs
    assert langs["en-us"] == 1.0 and langs["fr"] == 0.5 and langs["de"] == 0
    assert list(langs) == [("en-US", 1.0), ("en", 0.8), ("fr", 0.5)]
    assert LanguageAccept("es").best_match(["en"], default="en") == "en"


def test_charset_accept_matches_codecs() -> None:
    charsets = CharsetAccept("UTF8, latin1;q=0.5")
    assert "utf-8" in charsets and "ISO-8859-1" in charsets and "ascii" not in charsets
    assert charsets.best_match(["iso-8859-1", "utf-8"]) == "utf-8"
    assert "no-such-codec" in CharsetAccept("No-Such-Codec")


# -- Authorization --------------------------------------------------------------------------------


def test_basic_authorization() -> None:
    auth = Authorization.from_header(_basic(b"ada:pass:word"))
    assert auth is not None
    assert (auth.type, auth.username, auth.password, auth.token) == ("basic", "ada", "pass:word", None)
    assert auth["username"] == "ada" and auth.get("password") == "pass:word" and "username" in auth
    assert auth.to_header() == _basic(b"ada:pass:word") and str(auth) == auth.to_header()
    assert auth == Authorization("basic", {"username": "ada", "password": "pass:word"})


def test_basic_authorization_decodes_utf8_then_latin1() -> None:
    utf8 = Authorization.from_header(_basic("zoë:pässword".encode()))
    latin1 = Authorization.from_header(_basic("zoë:pässword".encode("latin-1")))
    assert utf8 is not None and latin1 is not None
    assert (utf8.username, utf8.password) == ("zoë", "pässword") == (latin1.username, latin1.password)
    no_colon = Authorization.from_header(_basic(b"ada"))
    assert no_colon is not None and (no_colon.username, no_colon.password) == ("ada", "")


@pytest.mark.parametrize("header", ["", "   ", "Basic !!!", "Basic é", "Basic abc", "basic " + "=" * 10])
def test_malformed_authorization_is_none(header: str) -> None:
    assert Authorization.from_header(header) is None


def test_bearer_and_digest_authorization() -> None:
    bearer = Authorization.from_header("Bearer abc.DEF-ghi==")
    assert bearer is not None and (bearer.type, bearer.token, bearer.parameters) == ("bearer", "abc.DEF-ghi==", {})
    assert bearer.to_header() == "Bearer abc.DEF-ghi==" and bearer.username is None
    digest = Authorization.from_header(
        'Digest username="Mufasa", realm="test@host.com", nonce="dcd98b", uri="/dir/index.html", '
        'qop=auth, nc=00000001, cnonce="0a4f113b", response="6629fae4", opaque="5ccc", note="a, \\"b\\""'
    )
    assert digest is not None and digest.type == "digest" and digest.token is None
    assert digest.username == "Mufasa" and digest.realm == "test@host.com" and digest["uri"] == "/dir/index.html"
    assert digest.get("qop") == "auth" and digest.nc == "00000001" and digest.note == 'a, "b"'
    assert digest.get("missing", "x") == "x" and digest.missing is None
    assert digest.to_header().startswith('Digest username=Mufasa, realm="test@host.com", nonce=dcd98b')
    assert Authorization.from_header(digest.to_header()) == digest


# -- Cache-Control, Pragma ------------------------------------------------------------------------


def test_request_cache_control() -> None:
    cc = RequestCacheControl('max-age=60, max-stale, min-fresh="5", no-cache, no-store, no-transform, only-if-cached')
    assert (cc.max_age, cc.max_stale, cc.min_fresh, cc.stale_if_error) == (60, True, 5, None)
    assert cc.no_cache and cc.no_store and cc.no_transform and cc.only_if_cached and cc.provided
    assert RequestCacheControl("max-stale=30").max_stale == 30
    assert RequestCacheControl("MAX-AGE=abc").max_age is None and "max-age" in RequestCacheControl("MAX-AGE=abc")
    assert RequestCacheControl("max-age=-1").max_age is None
    empty = RequestCacheControl(None)
    assert not empty.provided and empty.max_age is None and not empty.no_cache
    assert RequestCacheControl("no-cache, max-age=0").to_header() == "no-cache, max-age=0"
    with pytest.raises(TypeError):
        cc["max-age"] = "1"
    with pytest.raises(TypeError):
        cc.update({})


# -- entity tags ----------------------------------------------------------------------------------


def test_etags() -> None:
    etags = parse_etags('"a", W/"b", "c,d", e')
    assert etags.as_set() == {"a", "c,d", "e"} and etags.as_set(include_weak=True) == {"a", "b", "c,d", "e"}
    assert "a" in etags and "b" not in etags and etags.contains("a") and not etags.contains("b")
    assert etags.contains_weak("b") and etags.is_weak("b") and not etags.is_weak("a") and etags.is_strong("a")
    assert etags.contains_raw('"a"') and etags.contains_raw('W/"b"') and not etags.contains_raw('"b"')
    assert list(etags) == ["a", "c,d", "e"] and len(etags) == 3 and bool(etags) and not etags.star_tag
    assert etags.to_header() == '"a", "c,d", "e", W/"b"'
    assert etags(data=b"x") is False and etags("a") and etags("b", include_weak=True)


def test_star_and_empty_etags() -> None:
    star = parse_etags("*")
    assert star.star_tag and "anything" in star and star.contains_raw('"x"') and star.to_header() == "*" and star
    assert not parse_etags(None) and not parse_etags("") and len(ETags()) == 0 and not parse_etags(",,")


# -- dates, If-Range, Range -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994"],
)
def test_http_dates_in_every_format(value: str) -> None:
    assert parse_http_date(value) == datetime(1994, 11, 6, 8, 49, 37, tzinfo=UTC)


def test_dates_are_utc_and_invalid_ones_none() -> None:
    assert parse_http_date("Sun, 06 Nov 1994 10:49:37 +0200") == datetime(1994, 11, 6, 8, 49, 37, tzinfo=UTC)
    for value in (None, "", "yesterday", "Sun, 06 Nov 99999 08:49:37 GMT", "Sun, 32 Nov 1994 08:49:37 GMT"):
        assert parse_http_date(value) is None


def test_if_range() -> None:
    by_date = parse_if_range("Sun, 06 Nov 1994 08:49:37 GMT")
    assert by_date.date == datetime(1994, 11, 6, 8, 49, 37, tzinfo=UTC) and by_date.etag is None
    assert by_date.to_header() == "Sun, 06 Nov 1994 08:49:37 GMT"
    by_tag = parse_if_range('W/"v1"')
    assert (by_tag.etag, by_tag.date, by_tag.to_header()) == ("v1", None, '"v1"')
    assert (parse_if_range(None).etag, parse_if_range(None).date, parse_if_range("").to_header()) == (None, None, "")


@pytest.mark.parametrize(
    ("header", "ranges"),
    [
        ("bytes=0-499", [(0, 500)]),
        ("bytes=500-", [(500, None)]),
        ("bytes=-500", [(-500, None)]),
        ("BYTES=0-0, 5-9", [(0, 1), (5, 10)]),
        ("bytes=0-0,-1", [(0, 1), (-1, None)]),
        ("items=1-2", [(1, 3)]),
    ],
)
def test_range(header: str, ranges: list[tuple[int, int | None]]) -> None:
    parsed = parse_range(header)
    assert parsed is not None and parsed.ranges == ranges and parsed.units == header.split("=")[0].lower()


@pytest.mark.parametrize(
    "header",
    [None, "", "bytes", "bytes=", "bytes=abc", "bytes=5-1", "bytes=-0", "bytes=0-4,2-8", "bytes=-5,0-1",
     "bytes=1-,3-4", "bytes=+1-2", "bytes=1-2-3", "bytes=²-3", "by tes=1-2", "bytes=" + "9" * 30 + "-"],
)  # fmt: skip
def test_malformed_range_is_none(header: str | None) -> None:
    assert parse_range(header) is None


def test_range_for_length_and_content_range() -> None:
    assert Range("bytes", [(0, 500)]).range_for_length(1000) == (0, 500)
    assert Range("bytes", [(0, 500)]).range_for_length(100) == (0, 100)
    assert Range("bytes", [(500, None)]).range_for_length(1000) == (500, 1000)
    assert Range("bytes", [(-100, None)]).range_for_length(1000) == (900, 1000)
    assert Range("bytes", [(-5000, None)]).range_for_length(1000) == (0, 1000)  # RFC 9110 14.1.2: the whole body
    assert Range("bytes", [(1000, None)]).range_for_length(1000) is None
    assert Range("bytes", [(0, 1), (5, 6)]).range_for_length(1000) is None
    assert Range("items", [(0, 1)]).range_for_length(1000) is None
    assert Range("bytes", [(0, 1)]).range_for_length(None) is None
    content_range = Range("bytes", [(-100, None)]).make_content_range(1000)
    assert content_range is not None
    assert (content_range.units, content_range.start, content_range.stop, content_range.length) == (
        "bytes",
        900,
        1000,
        1000,
    )
    assert content_range.to_header() == "bytes 900-999/1000"
    assert Range("bytes", [(0, 10)]).to_content_range_header(5) == "bytes 0-4/5"
    assert Range("bytes", [(0, 10)]).make_content_range(0) is None
    assert Range("bytes", [(0, 500), (-5, None), (600, None)]).to_header() == "bytes=0-499,-5,600-"


def test_content_range_set_and_unset() -> None:
    seen: list[str] = []
    content_range = ContentRange("bytes", 0, 10, None, on_update=lambda cr: seen.append(cr.to_header()))
    assert content_range.to_header() == "bytes 0-9/*" and content_range
    content_range.set(None, None, 50)
    content_range.unset()
    assert seen == ["bytes */50", ""] and not content_range


# -- the small ones -------------------------------------------------------------------------------


def test_small_headers() -> None:
    app = MicroFlask(__name__)

    @app.route("/")
    def index() -> dict[str, Any]:
        return {
            "date": request.date.isoformat() if request.date else None,
            "unmodified": request.if_unmodified_since.isoformat() if request.if_unmodified_since else None,
            "encoding": request.content_encoding,
            "md5": request.content_md5,
            "remote_user": request.remote_user,
            "max_forwards": request.max_forwards,
            "pragma": request.pragma.to_header(),
            "if_match": request.if_match.to_header(),
            "if_range": request.if_range.etag,
            "cache": request.cache_control.no_cache,
            "ua": [request.user_agent.string, str(request.user_agent), request.user_agent.browser],
        }

    headers = {
        "Date": "Tue, 15 Nov 1994 08:12:31 GMT",
        "If-Unmodified-Since": "Tue, 15 Nov 1994 08:12:31 GMT",
        "Content-Encoding": "gzip",
        "Content-MD5": "Q2hlY2sgSW50ZWdyaXR5IQ==",
        "Max-Forwards": " 10 ",
        "Pragma": "no-cache, x-y",
        "If-Match": '"a"',
        "If-Range": '"a"',
        "Cache-Control": "no-cache",
        "User-Agent": "curl/8.0",
    }
    with app.test_client() as client:
        assert client.get("/", headers=headers).json == {
            "date": "1994-11-15T08:12:31+00:00",
            "unmodified": "1994-11-15T08:12:31+00:00",
            "encoding": "gzip",
            "md5": "Q2hlY2sgSW50ZWdyaXR5IQ==",
            "remote_user": None,
            "max_forwards": 10,
            "pragma": "no-cache, x-y",
            "if_match": '"a"',
            "if_range": "a",
            "cache": True,
            "ua": ["curl/8.0", "curl/8.0", None],
        }
        assert client.get("/", headers={"Max-Forwards": "-1"}).json["max_forwards"] is None


def test_remote_user_from_the_scope() -> None:
    app = MicroFlask(__name__)

    @app.route("/")
    async def index() -> str:
        return str(request.remote_user)

    async def with_user(scope: Any, receive: Any, send: Any) -> None:
        await app({**scope, "remote_user": "ada"} if scope["type"] == "http" else scope, receive, send)

    with TestClient(with_user) as client:
        assert client.get("/").text == "ada"
