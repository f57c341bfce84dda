"""Property-based tests (hypothesis): URL rules build and match back, query/form/JSON parsing
never fails with anything but its documented 4xx, and an altered session cookie never yields
different session data.

Example counts are moderate and the runs derandomized, so the file is quick and stable in CI.
"""

from __future__ import annotations

import base64
import string
import uuid
from typing import Any
from urllib.parse import unquote

import anyio
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from microflask import MicroFlask, Request, request, session
from microflask.sessions import SecureCookieSessionInterface

SETTINGS = settings(
    max_examples=100,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
SECRET_KEY = "property-secret"


# -- rules: build, then match back -----------------------------------------------------------------

LITERAL = st.text(alphabet=string.ascii_letters + string.digits + "-_.~", min_size=1, max_size=8).filter(
    lambda s: s not in (".", "..")
)
NAMES = st.text(alphabet=string.ascii_lowercase, min_size=1, max_size=6)
#: Text for a ``string`` variable: anything but a slash (servers hand the path over decoded).
SEGMENT_TEXT = st.text(st.characters(blacklist_characters="/", blacklist_categories=("Cs",)), min_size=1, max_size=12)
PATH_TEXT = st.lists(SEGMENT_TEXT, min_size=1, max_size=4).map("/".join)
#: Floats whose str() has no exponent (the float converter's to_url is str(), as Werkzeug's).
FLOATS = st.floats(min_value=0, max_value=1e12, allow_nan=False, allow_infinity=False).filter(
    lambda f: "e" not in repr(f)
)


@st.composite
def rules(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    """A rule of literal and typed-variable segments, and values for its variables."""
    names = iter(draw(st.lists(NAMES, min_size=8, max_size=8, unique=True)))
    segments: list[str] = []
    values: dict[str, Any] = {}
    count = draw(st.integers(min_value=1, max_value=5))
    path_used = False
    for _ in range(count):
        kind = draw(st.sampled_from(["literal", "string", "int", "prefixed-int", "float", "uuid", "any", "path"]))
        if kind == "literal":
            segments.append(draw(LITERAL))
            continue
        name = next(names)
        if kind == "string":
            segments.append(f"<{name}>")
            values[name] = draw(SEGMENT_TEXT)
        elif kind == "int":
            segments.append(f"<int:{name}>")
            values[name] = draw(st.integers(min_value=0, max_value=10**30))
        elif kind == "prefixed-int":
            prefix = draw(st.text(alphabet=string.ascii_letters, min_size=1, max_size=4))
            segments.append(f"{prefix}<int:{name}>")
            values[name] = draw(st.integers(min_value=0, max_value=10**6))
        elif kind == "float":
            segments.append(f"<float:{name}>")
            values[name] = draw(FLOATS)
        elif kind == "uuid":
            segments.append(f"<uuid:{name}>")
            values[name] = draw(st.uuids())
        elif kind == "any":
            items = draw(st.lists(LITERAL, min_size=1, max_size=4, unique=True))
            segments.append(f"<any({', '.join(repr(i) for i in items)}):{name}>")
            values[name] = draw(st.sampled_from(items))
        elif not path_used:  # one path variable at most: two would make the split ambiguous
            path_used = True
            segments.append(f"<path:{name}>")
            values[name] = draw(PATH_TEXT)
        else:
            segments.append(draw(LITERAL))
    rule = "/" + "/".join(segments) + draw(st.sampled_from(["", "/"]))
    return rule, values


def app_with(rule: str) -> MicroFlask:
    app = MicroFlask(__name__, static_folder=None)

    async def view(**values: Any) -> str:
        return "matched"

    app.add_url_rule(rule, "target", view, methods=["GET", "POST"])
    app.add_url_rule("/other/static/route", "other", view)
    return app


@SETTINGS
@given(rules())
@example(("/<a>/<int:n>", {"a": "%2F?#", "n": 0}))
@example(("/x/<path:p>/edit", {"p": "a/edit/b"}))
@example(("/<float:x>/", {"x": 0.5}))
def test_built_urls_match_back_to_the_same_endpoint_and_values(rule_values: tuple[str, dict[str, Any]]) -> None:
    rule, values = rule_values
    app = app_with(rule)
    built = app.url_map.build("target", values)
    assert built.startswith("/") and "?" not in built and "#" not in built
    for method in ("GET", "POST"):
        matched, got = app.url_map.match(unquote(built), method)  # the server decodes the path
        assert matched.endpoint == "target"
        assert got == values
        assert {k: type(v) for k, v in got.items()} == {k: type(v) for k, v in values.items()}


@settings(SETTINGS, max_examples=50)
@given(rules(), st.dictionaries(NAMES.map(lambda s: "q_" + s), st.text(max_size=10), max_size=3))
def test_url_for_puts_extra_values_in_the_query_string(
    rule_values: tuple[str, dict[str, Any]], extra: dict[str, str]
) -> None:
    from urllib.parse import parse_qsl, urlsplit

    rule, values = rule_values
    app = app_with(rule)
    with app.test_request_context("/"):
        url = app.url_for("target", **values, **extra)
    parts = urlsplit(url)
    matched, got = app.url_map.match(unquote(parts.path))
    assert (matched.endpoint, got) == ("target", values)
    assert dict(parse_qsl(parts.query, keep_blank_values=True)) == extra


@SETTINGS
@given(rules())
def test_built_urls_are_served_by_the_app(rule_values: tuple[str, dict[str, Any]]) -> None:
    """The same round trip through the ASGI app: the view of the rule answers."""
    rule, values = rule_values
    app = app_with(rule)
    path = app.url_map.build("target", values)
    status, body = call(app, "GET", unquote(path), raw_path=path.encode())
    assert (status, body) == (200, b"matched")


# -- parsing: only the documented 4xx ---------------------------------------------------------------


def call(
    app: MicroFlask,
    method: str,
    path: str,
    query: bytes = b"",
    headers: list[tuple[bytes, bytes]] | None = None,
    body: bytes = b"",
    raw_path: bytes | None = None,
) -> tuple[int, bytes]:
    """One request straight into the ASGI app, with the exact bytes given (no client normalising)."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": raw_path if raw_path is not None else path.encode("utf-8", "surrogateescape"),
        "root_path": "",
        "query_string": query,
        "headers": [(b"host", b"localhost"), *(headers or [])],
        "client": ("127.0.0.1", 50000),
        "server": ("localhost", 80),
    }
    messages: list[dict[str, Any]] = []

    async def main() -> None:
        sent = False

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            await anyio.sleep_forever()  # no disconnect while the app answers
            raise AssertionError("unreachable")

        async def send(message: dict[str, Any]) -> None:
            messages.append(message)

        await app(scope, receive, send)

    anyio.run(main)
    start = next(m for m in messages if m["type"] == "http.response.start")
    return start["status"], b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")


def parsing_app() -> MicroFlask:
    app = MicroFlask(__name__, static_folder=None)
    app.config.update(MAX_FORM_PARTS=50, MAX_FORM_MEMORY_SIZE=200, MAX_CONTENT_LENGTH=4096)

    @app.route("/args")
    async def args() -> Any:
        return {"args": [list(pair) for pair in request.args.items(multi=True)], "a": request.args.getlist("a")}

    @app.post("/form")
    async def form() -> Any:
        fields = await request.form
        files = await request.files
        values = await request.values
        return {"fields": len(fields.items(multi=True)), "files": len(files.items(multi=True)), "values": len(values)}

    @app.post("/json")
    async def json_view() -> Any:
        return {"value": await request.get_json()}

    @app.route("/sync-form", methods=["POST"])
    def sync_form() -> Any:
        return {"fields": len(request.form.items(multi=True)), "json": request.get_json(silent=True) is not None}

    return app


PARSING_APP = parsing_app()
QUERY_BYTES = st.one_of(
    st.binary(max_size=200),
    st.lists(st.sampled_from([b"a", b"=", b"&", b";", b"%", b"%2", b"%zz", b"%ff", b"+", b"\xff", b"b", b"%00"])).map(
        b"".join
    ),
)


@SETTINGS
@given(QUERY_BYTES)
@example(b"%")
@example(b"a=%ff%fe&%%=1")
@example(b"&".join([b"a"] * 5000))
def test_any_query_string_is_parsed_without_a_server_error(query: bytes) -> None:
    status, _ = call(PARSING_APP, "GET", "/args", query=query)
    assert status == 200


URLENCODED = [(b"content-type", b"application/x-www-form-urlencoded")]


@SETTINGS
@given(QUERY_BYTES)
@example(b"a=" + b"x" * 300)
@example(b"&".join(b"f%d=v" % i for i in range(60)))
def test_any_urlencoded_body_gives_200_or_its_documented_4xx(body: bytes) -> None:
    for path in ("/form", "/sync-form"):
        status, _ = call(PARSING_APP, "POST", path, headers=URLENCODED, body=body)
        assert status in (200, 400, 413), (path, status)


@st.composite
def multipart_bodies(draw: st.DrawFn) -> tuple[bytes, bytes]:
    """Multipart bodies from well-formed to mangled: parts, then random cuts and insertions."""
    boundary = draw(st.sampled_from([b"XX", b"----b0undary", b"a" * 70]))
    parts = []
    for i in range(draw(st.integers(0, 6))):
        name = draw(st.sampled_from([b"f", b"\xff", b"", b'a"b', b"x" * 50])) + str(i).encode()
        disposition = b'Content-Disposition: form-data; name="' + name + b'"'
        if draw(st.booleans()):
            disposition += b'; filename="' + draw(st.sampled_from([b"a.txt", b"../../x", b"\xff", b""])) + b'"'
        headers = draw(st.sampled_from([disposition, b"X-Nothing: 1", disposition + b"\r\nContent-Type: text/plain"]))
        parts.append(b"--" + boundary + b"\r\n" + headers + b"\r\n\r\n" + draw(st.binary(max_size=300)) + b"\r\n")
    body = b"".join(parts) + draw(st.sampled_from([b"--" + boundary + b"--\r\n", b"", b"--" + boundary]))
    if draw(st.booleans()) and body:
        cut = draw(st.integers(0, len(body)))
        body = body[:cut] + draw(st.binary(max_size=20)) + body[cut + draw(st.integers(0, 10)) :]
    content_type = draw(
        st.sampled_from(
            [b"multipart/form-data; boundary=" + boundary, b"multipart/form-data", b"multipart/form-data; boundary="]
        )
    )
    return content_type, body


@SETTINGS
@given(multipart_bodies())
def test_any_multipart_body_gives_200_or_its_documented_4xx(content_type_body: tuple[bytes, bytes]) -> None:
    content_type, body = content_type_body
    for path in ("/form", "/sync-form"):
        status, _ = call(PARSING_APP, "POST", path, headers=[(b"content-type", content_type)], body=body)
        assert status in (200, 400, 413), (path, status)


def unraisable_during(action: Any) -> list[Any]:
    """What ended up in ``sys.unraisablehook`` (e.g. a ResourceWarning from ``__del__``) while
    ``action()`` ran and the garbage was collected."""
    import gc
    import sys

    caught: list[Any] = []
    hook = sys.unraisablehook
    sys.unraisablehook = caught.append
    try:
        action()
        gc.collect()
    finally:
        sys.unraisablehook = hook
    return caught


def test_a_truncated_multipart_upload_closes_its_partial_file() -> None:
    body = b'--XX\r\nContent-Disposition: form-data; name="f"; filename="a.txt"\r\n\r\npartial data'
    statuses: list[int] = []
    headers = [(b"content-type", b"multipart/form-data; boundary=XX")]
    caught = unraisable_during(
        lambda: statuses.append(call(PARSING_APP, "POST", "/form", headers=headers, body=body)[0])
    )
    assert statuses == [400]
    assert not [u for u in caught if isinstance(u.exc_value, ResourceWarning)], [str(u.exc_value) for u in caught]


JSON_HEADERS = [(b"content-type", b"application/json")]


@SETTINGS
@given(st.one_of(st.binary(max_size=100), st.text(max_size=100).map(lambda s: s.encode("utf-8", "surrogatepass"))))
@example(b"[" * 5000)
@example(b'{"a": ' * 2000)
@example(b"\xef\xbb\xbf{}")
def test_any_json_body_gives_200_or_400(body: bytes) -> None:
    status, _ = call(PARSING_APP, "POST", "/json", headers=JSON_HEADERS, body=body)
    assert status in (200, 400, 413)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)


@SETTINGS
@given(JSON_VALUES)
@example(2**64)
@example(-(2**100))
@example({"s": "\u2028\x00"})
def test_json_values_round_trip_through_a_view(value: Any) -> None:
    import json

    status, body = call(PARSING_APP, "POST", "/json", headers=JSON_HEADERS, body=json.dumps(value).encode())
    assert status == 200
    assert json.loads(body) == {"value": value}


# -- sessions: an altered cookie never yields different data ----------------------------------------

COOKIE_ALPHABET = string.ascii_letters + string.digits + "-_."
SESSION_VALUES = st.dictionaries(
    st.text(string.ascii_letters, min_size=1, max_size=6),
    st.one_of(st.integers(), st.text(max_size=20), st.booleans(), st.lists(st.integers(), max_size=3)),
    min_size=1,
    max_size=4,
)


def session_app() -> MicroFlask:
    app = MicroFlask(__name__, static_folder=None)
    app.config["SECRET_KEY"] = SECRET_KEY
    return app


SESSION_APP = session_app()
INTERFACE = SecureCookieSessionInterface()


def sign(data: dict[str, Any]) -> str:
    signer = INTERFACE.get_signing_serializer(SESSION_APP)
    assert signer is not None
    return str(signer.dumps(data))


def open_with(cookie: str) -> dict[str, Any]:
    """The session the app's cookie interface opens for a request carrying ``cookie``."""
    scope = {"type": "http", "method": "GET", "path": "/", "headers": [(b"cookie", f"session={cookie}".encode())]}
    opened = INTERFACE.open_session_sync(SESSION_APP, Request(scope))
    assert opened is not None
    return dict(opened)


def decoded_segments(cookie: str) -> list[bytes] | None:
    """The bytes each dot-separated segment decodes to (None if it does not decode)."""
    try:
        return [base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)) for part in cookie.split(".")]
    except ValueError:
        return None


def check_altered(original: str, altered: str, data: dict[str, Any]) -> None:
    opened = open_with(altered)
    if decoded_segments(altered) == decoded_segments(original):
        # Base64 leaves the low bits of a segment's last character unused, so a few edits decode
        # to the very same signed bytes: the same session, never different data.
        assert opened in ({}, data)
    else:
        assert opened == {}, f"altered cookie {altered!r} was accepted"


@SETTINGS
@given(SESSION_VALUES, st.data())
def test_flipping_any_character_of_a_session_cookie_gives_an_empty_session(
    data: dict[str, Any], draw: st.DataObject
) -> None:
    cookie = sign(data)
    assert open_with(cookie) == data
    position = draw.draw(st.integers(0, len(cookie) - 1), label="position")
    replacement = draw.draw(st.sampled_from(COOKIE_ALPHABET).filter(lambda c: c != cookie[position]), label="char")
    check_altered(cookie, cookie[:position] + replacement + cookie[position + 1 :], data)


@SETTINGS
@given(SESSION_VALUES, st.data())
def test_truncating_or_extending_a_session_cookie_gives_an_empty_session(
    data: dict[str, Any], draw: st.DataObject
) -> None:
    cookie = sign(data)
    cut = draw.draw(st.integers(0, len(cookie) - 1), label="cut")
    assert open_with(cookie[:cut]) == {}
    suffix = draw.draw(st.text(COOKIE_ALPHABET, min_size=1, max_size=4), label="suffix")
    check_altered(cookie, cookie + suffix, data)


def test_every_single_character_flip_of_one_cookie_is_rejected() -> None:
    """Exhaustively, for one cookie: every position, every replacement character."""
    data = {"user": "ann", "id": 7, "roles": ["reader"]}
    cookie = sign(data)
    accepted_same = 0
    for position, original_char in enumerate(cookie):
        for replacement in COOKIE_ALPHABET:
            if replacement != original_char:
                altered = cookie[:position] + replacement + cookie[position + 1 :]
                check_altered(cookie, altered, data)
                accepted_same += open_with(altered) == data
    # Only base64's unused low bits can be edited, in a segment's last character: a handful.
    assert accepted_same <= 3 * 15


def test_session_through_the_test_client_rejects_a_flipped_cookie() -> None:
    app = session_app()

    @app.route("/set")
    async def set_user() -> str:
        session["user"] = "ann"
        return "set"

    @app.route("/get")
    async def get_user() -> str:
        return str(session.get("user"))

    with app.test_client() as client:
        client.get("/set")
        cookie = client.cookies["session"]
        assert client.get("/get").text == "ann"
        middle = len(cookie) // 2
        flipped = cookie[:middle] + ("A" if cookie[middle] != "A" else "B") + cookie[middle + 1 :]
        client.cookies.clear()
        client.cookies.set("session", flipped)
        assert client.get("/get").text == "None"


@pytest.mark.parametrize("value", [uuid.UUID(int=0), uuid.UUID(int=2**128 - 1)])
def test_uuid_extremes_round_trip(value: uuid.UUID) -> None:
    app = app_with("/u/<uuid:u>")
    path = app.url_map.build("target", {"u": value})
    assert app.url_map.match(path)[1] == {"u": value}
