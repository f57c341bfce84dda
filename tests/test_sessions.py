"""Sessions (the signed cookie, its attributes, tampering, expiry, key rotation, a custom
interface) and flashed messages."""

from __future__ import annotations

import hashlib
import logging
import time
import uuid
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import anyio
import pytest
from itsdangerous import BadSignature, TimestampSigner, URLSafeTimedSerializer
from markupsafe import Markup

from microflask import (
    MicroFlask,
    Response,
    abort,
    flash,
    get_flashed_messages,
    redirect,
    render_template,
    render_template_string,
    session,
)
from microflask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionInterface

SYNC_ASYNC = pytest.mark.parametrize("use_async", [False, True], ids=["sync", "async"])


def make_app(**config: Any) -> MicroFlask:
    """An app with a secret key and views to write, read, clear and ignore the session."""
    app = MicroFlask(__name__)
    app.config["SECRET_KEY"] = "test-secret"
    app.config.update(config)

    @app.route("/set/<key>/<value>")
    async def set_value(key: str, value: str) -> str:
        session[key] = value
        return "set"

    @app.route("/get/<key>")
    async def get_value(key: str) -> str:
        return str(session.get(key))

    @app.route("/clear")
    async def clear() -> str:
        session.clear()
        return "cleared"

    @app.route("/nothing")
    async def nothing() -> str:
        return "nothing"

    return app


def cookie_parts(header: str) -> tuple[str, str, dict[str, str]]:
    """``"name=value; Path=/; HttpOnly"`` -> ``("name", "value", {"path": "/", "httponly": ""})``."""
    first, *attrs = [p.strip() for p in header.split(";")]
    name, _, value = first.partition("=")
    options: dict[str, str] = {}
    for attr in attrs:
        key, _, val = attr.partition("=")
        options[key.lower()] = val
    return name, value, options


def only_cookie(response: Any) -> tuple[str, str, dict[str, str]]:
    headers = response.headers.get_list("set-cookie")
    assert len(headers) == 1, headers
    return cookie_parts(headers[0])


def serializer(key: str | list[str], signer: type[TimestampSigner] = TimestampSigner) -> URLSafeTimedSerializer:
    """A serializer signing exactly as the cookie session does (same salt, derivation, format)."""
    return URLSafeTimedSerializer(
        key,
        salt="cookie-session",
        serializer=SecureCookieSessionInterface.serializer,
        signer=signer,
        signer_kwargs={"key_derivation": "hmac", "digest_method": hashlib.sha1},
    )


class PastSigner(TimestampSigner):
    """Signs with a timestamp an hour ago."""

    def get_timestamp(self) -> int:
        return int(time.time()) - 3600


# -- round trip ------------------------------------------------------------------------------------


def test_session_round_trip_sync_client() -> None:
    app = make_app()
    with app.test_client() as client:
        assert client.get("/get/user").text == "None"
        assert client.get("/set/user/ann").text == "set"
        assert client.get("/get/user").text == "ann"
        assert client.get("/set/other/x").status_code == 200
        assert client.get("/get/user").text == "ann"
        assert client.get("/get/other").text == "x"
        assert client.cookies.get("session")


@pytest.mark.anyio
async def test_session_round_trip_async_client() -> None:
    app = make_app()
    async with app.async_test_client() as client:
        assert (await client.get("/set/user/bob")).text == "set"
        assert (await client.get("/get/user")).text == "bob"


def test_session_in_sync_views() -> None:
    app = MicroFlask(__name__)
    app.secret_key = "k"

    @app.route("/inc")
    def inc() -> str:
        session["n"] = session.get("n", 0) + 1
        return str(session["n"])

    with app.test_client() as client:
        assert [client.get("/inc").text for _ in range(3)] == ["1", "2", "3"]


def test_sessions_are_per_client() -> None:
    app = make_app()
    with app.test_client() as one, app.test_client() as two:
        one.get("/set/user/one")
        two.get("/set/user/two")
        assert one.get("/get/user").text == "one"
        assert two.get("/get/user").text == "two"
        with app.test_client() as three:
            assert three.get("/get/user").text == "None"


def test_session_in_template_context() -> None:
    app = make_app()

    @app.route("/page")
    async def page() -> str:
        return await render_template_string("user={{ session.user }} {{ 'user' in session }}")

    with app.test_client() as client:
        assert client.get("/page").text == "user= False"
        client.get("/set/user/ann")
        assert client.get("/page").text == "user=ann True"


# -- the cookie ------------------------------------------------------------------------------------


def test_cookie_default_attributes() -> None:
    app = make_app()
    with app.test_client() as client:
        r = client.get("/set/a/b")
    name, value, options = only_cookie(r)
    assert name == "session"
    assert value
    assert options["path"] == "/"
    assert "httponly" in options
    assert options["samesite"] == "Lax"
    assert "secure" not in options
    assert "domain" not in options
    assert "expires" not in options  # not permanent: a browser-session cookie
    assert "max-age" not in options
    assert r.headers["vary"] == "Cookie"


def test_cookie_honours_config() -> None:
    app = make_app(
        SESSION_COOKIE_NAME="sid",
        SESSION_COOKIE_DOMAIN="example.test",
        SESSION_COOKIE_PATH="/app",
        SESSION_COOKIE_HTTPONLY=False,
        SESSION_COOKIE_SECURE=True,
        SESSION_COOKIE_SAMESITE="Strict",
    )
    with app.test_client() as client:
        r = client.get("/set/a/b")
    name, _, options = only_cookie(r)
    assert name == "sid"
    assert options["domain"] == "example.test"
    assert options["path"] == "/app"
    assert "httponly" not in options
    assert "secure" in options
    assert options["samesite"] == "Strict"


def test_cookie_samesite_none_and_partitioned() -> None:
    app = make_app(SESSION_COOKIE_SAMESITE=None, SESSION_COOKIE_PARTITIONED=True)
    with app.test_client() as client:
        _, _, options = only_cookie(client.get("/set/a/b"))
    assert "samesite" not in options
    assert "partitioned" in options and "secure" in options


def test_cookie_path_defaults_to_application_root() -> None:
    app = make_app(APPLICATION_ROOT="/prefix")
    with app.test_client() as client:
        _, _, options = only_cookie(client.get("/set/a/b"))
    assert options["path"] == "/prefix"


def test_custom_cookie_name_is_read_back() -> None:
    app = make_app(SESSION_COOKIE_NAME="my_session")
    with app.test_client() as client:
        client.get("/set/user/ann")
        assert "my_session" in client.cookies and "session" not in client.cookies
        assert client.get("/get/user").text == "ann"


@pytest.mark.parametrize(
    ("lifetime", "seconds"), [(timedelta(days=3), 3 * 86400), (3600, 3600)], ids=["timedelta", "int"]
)
def test_permanent_session_cookie_expires(lifetime: Any, seconds: int) -> None:
    app = make_app(PERMANENT_SESSION_LIFETIME=lifetime)

    @app.route("/permanent")
    async def permanent() -> str:
        session.permanent = True
        session["user"] = "ann"
        return str(session.permanent)

    with app.test_client() as client:
        before = datetime.now(UTC)
        r = client.get("/permanent")
        after = datetime.now(UTC)
        assert r.text == "True"
        _, _, options = only_cookie(r)
        expires = parsedate_to_datetime(options["expires"])
        assert before + timedelta(seconds=seconds - 5) <= expires <= after + timedelta(seconds=seconds + 5)
        assert client.get("/get/user").text == "ann"


def test_session_not_permanent_by_default() -> None:
    app = make_app()
    seen: list[bool] = []

    @app.route("/check")
    async def check() -> str:
        seen.append(session.permanent)
        session["x"] = 1
        return "ok"

    with app.test_client() as client:
        client.get("/check")
    assert seen == [False]


@pytest.mark.parametrize("refresh", [True, False])
def test_permanent_session_refresh_each_request(refresh: bool) -> None:
    app = make_app(SESSION_REFRESH_EACH_REQUEST=refresh)

    @app.route("/permanent")
    async def permanent() -> str:
        session.permanent = True
        session["user"] = "ann"
        return "ok"

    with app.test_client() as client:
        client.get("/permanent")
        r = client.get("/get/user")
    assert r.text == "ann"
    assert len(r.headers.get_list("set-cookie")) == (1 if refresh else 0)
    assert r.headers["vary"] == "Cookie"


def test_cookie_written_only_when_the_session_changes() -> None:
    app = make_app()
    with app.test_client() as client:
        r = client.get("/set/user/ann")
        assert len(r.headers.get_list("set-cookie")) == 1
        r = client.get("/get/user")
        assert r.text == "ann"
        assert r.headers.get_list("set-cookie") == []
        assert r.headers["vary"] == "Cookie"
        r = client.get("/nothing")
        assert r.headers.get_list("set-cookie") == []
        assert "vary" not in r.headers


def test_reading_empty_session_sends_vary_but_no_cookie() -> None:
    app = make_app()

    @app.route("/contains")
    async def contains() -> str:
        return str("user" in session)

    with app.test_client() as client:
        for url in ("/get/user", "/contains"):
            r = client.get(url)
            assert r.headers.get_list("set-cookie") == []
            assert r.headers["vary"] == "Cookie"


def test_untouched_session_sends_no_cookie_and_no_vary() -> None:
    app = make_app()
    with app.test_client() as client:
        client.get("/set/user/ann")
        r = client.get("/nothing")
    assert r.text == "nothing"
    assert r.headers.get_list("set-cookie") == []
    assert "vary" not in r.headers


def test_vary_cookie_is_added_to_an_existing_vary() -> None:
    app = make_app()

    @app.after_request
    async def vary(response: Response) -> Response:
        response.headers["Vary"] = "Accept-Encoding"
        return response

    with app.test_client() as client:
        r = client.get("/get/user")
    assert r.headers["vary"] == "Accept-Encoding, Cookie"


def test_session_clear_deletes_the_cookie() -> None:
    app = make_app()
    with app.test_client() as client:
        client.get("/set/user/ann")
        assert "session" in client.cookies
        r = client.get("/clear")
        name, value, options = only_cookie(r)
        assert name == "session"
        assert value in ("", '""')
        assert options.get("max-age") == "0" or parsedate_to_datetime(options["expires"]) < datetime.now(UTC)
        assert options["path"] == "/"
        assert "session" not in client.cookies
        assert client.get("/get/user").text == "None"


def test_removing_the_last_key_deletes_the_cookie() -> None:
    app = make_app()

    @app.route("/pop")
    async def pop() -> str:
        return str(session.pop("user", None))

    with app.test_client() as client:
        client.get("/set/user/ann")
        r = client.get("/pop")
        assert r.text == "ann"
        _, value, options = only_cookie(r)
        assert value in ("", '""')
        assert options["max-age"] == "0"
        assert "session" not in client.cookies


def test_clearing_an_empty_session_without_cookie() -> None:
    app = make_app()
    with app.test_client() as client:
        r = client.get("/clear")
    assert r.status_code == 200
    assert r.headers["vary"] == "Cookie"


def test_in_place_change_needs_modified() -> None:
    app = make_app()

    @app.route("/init")
    async def init() -> str:
        session["items"] = ["a"]
        return "ok"

    @app.route("/append/<item>")
    async def append(item: str) -> str:
        session["items"].append(item)
        return "ok"

    @app.route("/append-modified/<item>")
    async def append_modified(item: str) -> str:
        session["items"].append(item)
        session.modified = True
        return "ok"

    @app.route("/items")
    async def items() -> Any:
        return session.get("items")

    with app.test_client() as client:
        client.get("/init")
        r = client.get("/append/b")
        assert r.headers.get_list("set-cookie") == []
        assert client.get("/items").json == ["a"]
        r = client.get("/append-modified/c")
        assert len(r.headers.get_list("set-cookie")) == 1
        assert client.get("/items").json == ["a", "c"]


def test_session_new_and_modified_flags() -> None:
    app = make_app()
    seen: list[tuple[str, bool, bool]] = []

    @app.route("/flags/<action>")
    async def flags(action: str) -> str:
        before = session.modified
        if action == "write":
            session["x"] = 1
        else:
            session.get("x")
        seen.append((action, session.new, before))
        seen.append((action + "-after", session.new, session.modified))
        return "ok"

    with app.test_client() as client:
        client.get("/flags/read")
        client.get("/flags/write")
        client.get("/flags/read")
    assert seen == [
        ("read", True, False),
        ("read-after", True, False),
        ("write", True, False),
        ("write-after", True, True),
        ("read", False, False),
        ("read-after", False, False),
    ]


def test_session_changes_in_hooks_and_error_paths_are_saved() -> None:
    app = make_app()

    @app.before_request
    async def count() -> None:
        session["hits"] = session.get("hits", 0) + 1

    @app.after_request
    async def stamp(response: Response) -> Response:
        session["last_status"] = response.status_code
        return response

    @app.route("/forbidden")
    async def forbidden() -> str:
        session["tried"] = True
        abort(403)

    @app.route("/state")
    async def state() -> Any:
        return {k: session.get(k) for k in ("hits", "last_status", "tried")}

    with app.test_client() as client:
        assert client.get("/forbidden").status_code == 403
        assert client.get("/state").json == {"hits": 2, "last_status": 403, "tried": True}
        assert client.get("/state").json == {"hits": 3, "last_status": 200, "tried": True}


def test_session_interface_objects() -> None:
    app = MicroFlask(__name__)
    assert isinstance(app.session_interface, SecureCookieSessionInterface)
    s = SecureCookieSession({"a": 1})
    assert not s.modified and not s.accessed and not s.new
    assert s["a"] == 1 and s.accessed and not s.modified
    s["b"] = 2
    assert s.modified


# -- values -------------------------------------------------------------------------------------------


def test_tagged_values_round_trip() -> None:
    app = make_app()
    stamp = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
    ident = uuid.uuid4()
    values: dict[str, Any] = {
        "tuple": (1, "two", (3, 4)),
        "bytes": b"\x00\xffbinary",
        "datetime": stamp,
        "uuid": ident,
        "markup": Markup("<b>bold</b>"),
        "nested": {"list": [1, (2, 3), {"b": b"x"}], "none": None, "bool": True, "float": 1.5},
        "looks_like_tag": {" t": "not a tuple"},
        "looks_like_tag_2": {" di": {"a__": 1}},
        "unicode": "héllo ✓",
        "big_int": 2**60,
    }
    loaded: list[dict[str, Any]] = []

    @app.route("/store")
    async def store() -> str:
        session.update(values)
        return "ok"

    @app.route("/load")
    async def load() -> str:
        loaded.append(dict(session))
        return "ok"

    with app.test_client() as client:
        client.get("/store")
        client.get("/load")
    got = loaded[0]
    assert got == values
    for key in values:
        assert type(got[key]) is type(values[key]), key
    assert type(got["nested"]["list"][1]) is tuple
    assert type(got["nested"]["list"][2]["b"]) is bytes
    assert got["datetime"].tzinfo is not None


def test_naive_datetime_comes_back_as_utc() -> None:
    app = make_app()
    loaded: list[Any] = []

    @app.route("/store")
    async def store() -> str:
        session["when"] = datetime(2024, 1, 1, 12, 0, 0)
        return "ok"

    @app.route("/load")
    async def load() -> str:
        loaded.append(session["when"])
        return "ok"

    with app.test_client() as client:
        client.get("/store")
        client.get("/load")
    assert loaded == [datetime(2024, 1, 1, 12, 0, 0, tzinfo=UTC)]


def test_large_session_value_round_trips() -> None:
    app = make_app()
    big = "abc" * 1000

    @app.route("/big")
    async def store_big() -> str:
        session["big"] = big
        return "ok"

    @app.route("/check")
    async def check() -> str:
        return str(session.get("big") == big)

    with app.test_client() as client:
        r = client.get("/big")
        _, value, _ = only_cookie(r)
        assert len(value) < len(big)  # compressed
        assert client.get("/check").text == "True"


def test_cookie_is_signed_with_the_itsdangerous_format() -> None:
    app = make_app(SECRET_KEY="format-key")
    with app.test_client() as client:
        _, value, _ = only_cookie(client.get("/set/user/ann"))
    assert serializer("format-key").loads(value) == {"user": "ann"}
    with pytest.raises(BadSignature):
        serializer("other-key").loads(value)


# -- bad cookies --------------------------------------------------------------------------------------


def _valid_cookie(key: str = "test-secret") -> str:
    return serializer(key).dumps({"user": "ann"})


def _change_char(text: str, index: int) -> str:
    return text[:index] + ("A" if text[index] != "A" else "B") + text[index + 1 :]


def _bad_cookies() -> dict[str, str]:
    good = _valid_cookie()
    payload, stamp, _signature = good.split(".")
    sig_start = len(payload) + len(stamp) + 2
    return {
        "signature-changed": _change_char(good, sig_start),
        "payload-changed": _change_char(good, 1),
        "timestamp-changed": _change_char(good, len(payload) + 2),
        "other-key": _valid_cookie("some-other-key"),
        "garbage": "garbage",
        "dots": "...",
        "three-parts": "a.b.c",
        "no-signature": f"{payload}.{stamp}",
        "payload-only": payload,
        "unicode-ish": "%C3%A9t%C3%A9",
    }


def test_valid_crafted_cookie_is_accepted() -> None:
    """The control for the bad-cookie tests: the crafting helper makes real session cookies."""
    app = make_app()
    with app.test_client() as client:
        r = client.get("/get/user", headers={"Cookie": f"session={_valid_cookie()}"})
    assert r.text == "ann"


@pytest.mark.parametrize("kind", list(_bad_cookies()))
def test_bad_cookie_gives_empty_session(kind: str) -> None:
    app = make_app()
    seen: list[tuple[bool, dict[str, Any]]] = []

    @app.route("/inspect")
    async def inspect_session() -> str:
        seen.append((session.new, dict(session)))
        return "ok"

    cookie = _bad_cookies()[kind]
    with app.test_client() as client:
        r = client.get("/inspect", headers={"Cookie": f"session={cookie}"})
        assert r.status_code == 200
        assert r.headers.get_list("set-cookie") == []
        r = client.get("/get/user", headers={"Cookie": f"session={cookie}"})
        assert (r.status_code, r.text) == (200, "None")
    assert seen == [(True, {})]


def test_expired_cookie_gives_empty_session() -> None:
    app = make_app(PERMANENT_SESSION_LIFETIME=1)
    old = serializer("test-secret", PastSigner).dumps({"user": "ann"})
    fresh = serializer("test-secret").dumps({"user": "ann"})
    with app.test_client() as client:
        assert client.get("/get/user", headers={"Cookie": f"session={fresh}"}).text == "ann"
        r = client.get("/get/user", headers={"Cookie": f"session={old}"})
        assert (r.status_code, r.text) == (200, "None")


def test_old_cookie_within_lifetime_is_accepted() -> None:
    app = make_app(PERMANENT_SESSION_LIFETIME=timedelta(days=1))
    old = serializer("test-secret", PastSigner).dumps({"user": "ann"})
    with app.test_client() as client:
        assert client.get("/get/user", headers={"Cookie": f"session={old}"}).text == "ann"


def test_writing_after_a_bad_cookie_replaces_it() -> None:
    app = make_app()
    with app.test_client() as client:
        r = client.get("/set/user/new", headers={"Cookie": "session=garbage"})
        _, value, _ = only_cookie(r)
    assert serializer("test-secret").loads(value) == {"user": "new"}


# -- no secret key --------------------------------------------------------------------------------------


def test_writing_without_secret_key_is_a_500_that_says_why(caplog: pytest.LogCaptureFixture) -> None:
    app = make_app(SECRET_KEY=None)
    with app.test_client() as client:
        r = client.get("/set/user/ann")
    assert r.status_code == 500
    assert "SECRET_KEY" not in r.text  # never shown to the client
    errors = [rec for rec in caplog.records if rec.levelno == logging.ERROR and rec.exc_info]
    assert errors
    exc = errors[-1].exc_info[1]  # type: ignore[index]
    assert isinstance(exc, RuntimeError)
    assert "SECRET_KEY" in str(exc)
    assert "SECRET_KEY" in caplog.text


def test_writing_without_secret_key_raises_when_testing() -> None:
    app = make_app(SECRET_KEY=None, TESTING=True)
    with app.test_client() as client, pytest.raises(RuntimeError, match="SECRET_KEY"):
        client.get("/set/user/ann")


def test_reading_without_secret_key_gives_empty_session() -> None:
    app = make_app(SECRET_KEY=None)

    @app.route("/read-all")
    async def read_all() -> Any:
        return {"items": dict(session), "has": "user" in session, "permanent": session.permanent}

    with app.test_client() as client:
        r = client.get("/get/user", headers={"Cookie": f"session={_valid_cookie()}"})
        assert (r.status_code, r.text) == (200, "None")
        assert r.headers.get_list("set-cookie") == []
        r = client.get("/read-all")
        assert r.json == {"items": {}, "has": False, "permanent": False}


# -- key rotation ------------------------------------------------------------------------------------------


def test_secret_key_fallbacks_accept_and_resign() -> None:
    app = make_app(SECRET_KEY="old-key")
    with app.test_client() as client:
        client.get("/set/user/ann")
        old_cookie = client.cookies["session"]
        app.config["SECRET_KEY"] = "new-key"
        app.config["SECRET_KEY_FALLBACKS"] = ["older-key", "old-key"]
        r = client.get("/get/user")
        assert r.text == "ann"
        assert r.headers.get_list("set-cookie") == []
        r = client.get("/set/role/admin")
        _, value, _ = only_cookie(r)
    assert value != old_cookie
    assert serializer("new-key").loads(value) == {"user": "ann", "role": "admin"}
    with pytest.raises(BadSignature):
        serializer("old-key").loads(value)


def test_rotated_key_without_fallback_drops_the_session() -> None:
    app = make_app(SECRET_KEY="old-key")
    with app.test_client() as client:
        client.get("/set/user/ann")
        app.config["SECRET_KEY"] = "new-key"
        assert client.get("/get/user").text == "None"


# -- a custom session interface --------------------------------------------------------------------------


class StoreSession(SecureCookieSession):
    sid: str = ""


class MemorySessionInterface(SessionInterface):
    """Sessions kept server-side in a dict, keyed by a random id in the cookie."""

    opens_lazily = False

    def __init__(self) -> None:
        self.store: dict[str, dict[str, Any]] = {}
        self.events: list[str] = []

    async def open_session(self, app: MicroFlask, request: Any) -> StoreSession:
        await anyio.sleep(0)  # stands for a real lookup
        self.events.append("open")
        sid = request.cookies.get(self.get_cookie_name(app))
        if sid and sid in self.store:
            session = StoreSession(self.store[sid])
            session.sid = sid
        else:
            session = StoreSession(new=True)
            session.sid = uuid.uuid4().hex
        return session

    async def save_session(self, app: MicroFlask, session: Any, response: Any) -> None:
        await anyio.sleep(0)
        self.events.append("save")
        if session.modified:
            self.store[session.sid] = dict(session)
            self.set_cookie(app, response, session.sid, self.get_expiration_time(app, session))


def test_custom_session_interface() -> None:
    app = make_app(SECRET_KEY=None)  # a server-side store needs no signing key
    interface = MemorySessionInterface()
    app.session_interface = interface

    @app.before_request
    async def before() -> None:
        interface.events.append("before")

    @app.route("/sync-get/<key>")
    def sync_get(key: str) -> str:
        return str(session.get(key))

    with app.test_client() as client:
        r = client.get("/set/user/ann")
        assert r.text == "set"
        name, sid, options = only_cookie(r)
        assert name == "session" and options["samesite"] == "Lax" and "httponly" in options
        assert interface.store == {sid: {"user": "ann"}}
        assert client.get("/get/user").text == "ann"
        assert client.get("/sync-get/user").text == "ann"
        client.get("/set/role/admin")
        assert interface.store == {sid: {"user": "ann", "role": "admin"}}
    assert interface.events[:3] == ["open", "before", "save"]
    assert interface.events.count("open") == interface.events.count("save") == 4


def test_custom_session_interface_returning_none_gives_null_session(caplog: pytest.LogCaptureFixture) -> None:
    class NoSessions(SessionInterface):
        async def open_session(self, app: MicroFlask, request: Any) -> None:
            return None

        async def save_session(self, app: MicroFlask, session: Any, response: Any) -> None:
            raise AssertionError("a null session is never saved")

    app = make_app()
    app.session_interface = NoSessions()
    with app.test_client() as client:
        assert client.get("/get/user").text == "None"
        assert client.get("/set/user/ann").status_code == 500


# -- flash ---------------------------------------------------------------------------------------------


def make_flash_app(tmp_path: Path | None = None, **config: Any) -> MicroFlask:
    app = MicroFlask(__name__, root_path=str(tmp_path) if tmp_path else None)
    app.config["SECRET_KEY"] = "flash-secret"
    app.config.update(config)

    @app.route("/flash")
    async def do_flash() -> str:
        flash("plain")
        flash("bad thing", "error")
        flash("careful", "warning")
        return "flashed"

    @app.route("/messages")
    async def messages() -> Any:
        return get_flashed_messages()

    @app.route("/categories")
    async def categories() -> Any:
        return [list(pair) for pair in get_flashed_messages(with_categories=True)]

    @app.route("/errors")
    async def errors() -> Any:
        return get_flashed_messages(category_filter=["error"])

    @app.route("/errors-with-categories")
    async def errors_with_categories() -> Any:
        pairs = get_flashed_messages(with_categories=True, category_filter=["error", "warning"])
        return [list(pair) for pair in pairs]

    return app


def test_flash_and_get_flashed_messages() -> None:
    app = make_flash_app()
    with app.test_client() as client:
        assert client.get("/flash").text == "flashed"
        assert client.get("/messages").json == ["plain", "bad thing", "careful"]
        assert client.get("/messages").json == []


def test_flashed_messages_with_categories() -> None:
    app = make_flash_app()
    with app.test_client() as client:
        client.get("/flash")
        assert client.get("/categories").json == [
            ["message", "plain"],
            ["error", "bad thing"],
            ["warning", "careful"],
        ]
        assert client.get("/categories").json == []


def test_flashed_messages_category_filter() -> None:
    app = make_flash_app()
    with app.test_client() as client:
        client.get("/flash")
        assert client.get("/errors").json == ["bad thing"]
        assert client.get("/messages").json == []  # the filter still consumed them all
        client.get("/flash")
        assert client.get("/errors-with-categories").json == [["error", "bad thing"], ["warning", "careful"]]


def test_get_flashed_messages_twice_in_one_request() -> None:
    app = make_flash_app()
    results: list[Any] = []

    @app.route("/twice")
    async def twice() -> str:
        results.append(get_flashed_messages())
        results.append(get_flashed_messages(with_categories=True))
        results.append(get_flashed_messages(category_filter=["warning"]))
        return "ok"

    with app.test_client() as client:
        client.get("/flash")
        client.get("/twice")
        client.get("/twice")
    assert results == [
        ["plain", "bad thing", "careful"],
        [("message", "plain"), ("error", "bad thing"), ("warning", "careful")],
        ["careful"],
        [],
        [],
        [],
    ]


def test_flash_survives_a_redirect_and_accumulates() -> None:
    app = make_flash_app()

    @app.route("/login", methods=["POST"])
    async def login() -> Any:
        flash("Welcome back")
        return redirect("/messages")

    with app.test_client() as client:
        r = client.post("/login")
        assert r.status_code == 302
        client.get("/flash")
        assert client.get(r.headers["location"]).json == ["Welcome back", "plain", "bad thing", "careful"]


def test_flash_and_read_in_the_same_request() -> None:
    app = make_flash_app()

    @app.route("/both")
    async def both() -> Any:
        flash("now")
        return get_flashed_messages()

    with app.test_client() as client:
        assert client.get("/both").json == ["now"]
        assert client.get("/messages").json == []


def test_consuming_flashes_removes_them_from_the_cookie() -> None:
    app = make_flash_app()
    with app.test_client() as client:
        client.get("/flash")
        r = client.get("/messages")
        _, value, _ = only_cookie(r)
        assert value in ("", '""')  # the session held only the flashes: the cookie is deleted
        assert "session" not in client.cookies


@SYNC_ASYNC
def test_flash_in_sync_and_async_views(use_async: bool) -> None:
    app = make_flash_app()

    if use_async:

        @app.route("/f")
        async def f() -> Any:
            flash("from view", "info")
            return "ok"

    else:

        @app.route("/f")
        def f() -> Any:
            flash("from view", "info")
            return "ok"

    @app.route("/sync-read")
    def sync_read() -> Any:
        return [list(p) for p in get_flashed_messages(with_categories=True)]

    with app.test_client() as client:
        client.get("/f")
        assert client.get("/sync-read").json == [["info", "from view"]]


@pytest.mark.anyio
async def test_flash_with_async_client() -> None:
    app = make_flash_app()
    async with app.async_test_client() as client:
        await client.get("/flash")
        assert (await client.get("/errors")).json == ["bad thing"]


def test_flashed_messages_in_templates(tmp_path: Path) -> None:
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "layout.html").write_text(
        "{% for category, message in get_flashed_messages(with_categories=true) %}"
        '<p class="{{ category }}">{{ message }}</p>'
        "{% endfor %}|{{ get_flashed_messages() }}"
    )
    app = make_flash_app(tmp_path)

    @app.route("/page")
    async def page() -> str:
        return await render_template("layout.html")

    @app.route("/markup")
    async def markup() -> str:
        flash(Markup("<b>safe</b>"), "html")
        flash("<i>unsafe</i>", "text")
        return "ok"

    with app.test_client() as client:
        client.get("/flash")
        r = client.get("/page")
        assert r.text == (
            '<p class="message">plain</p><p class="error">bad thing</p><p class="warning">careful</p>'
            "|[&#39;plain&#39;, &#39;bad thing&#39;, &#39;careful&#39;]"
        )
        assert client.get("/page").text == "|[]"
        client.get("/markup")
        r = client.get("/page")
        assert r.text.startswith('<p class="html"><b>safe</b></p><p class="text">&lt;i&gt;unsafe&lt;/i&gt;</p>|')


def test_flash_without_secret_key_is_a_500(caplog: pytest.LogCaptureFixture) -> None:
    app = make_flash_app(SECRET_KEY=None)
    with app.test_client() as client:
        assert client.get("/messages").json == []  # reading is fine
        assert client.get("/flash").status_code == 500
    assert "SECRET_KEY" in caplog.text


def test_get_flashed_messages_outside_a_request() -> None:
    app = make_flash_app()
    with app.app_context(), pytest.raises(RuntimeError):
        get_flashed_messages()
