"""Server-side sessions in a real Redis (microflask.contrib.redis.RedisSessionInterface)."""

from __future__ import annotations

import datetime
import logging
import socket
import uuid
from typing import Any

import anyio
import pytest
from conftest_redis import RedisServer, redis_server, redis_url  # noqa: F401
from subprocess_server import free_port

from microflask import MicroFlask, session, websocket
from microflask.contrib.redis import RedisSession, RedisSessionInterface, regenerate_session
from microflask.sessions import SecureCookieSessionInterface

pytestmark = pytest.mark.anyio

#: A hang guard for a whole request, not a timing assertion.
GUARD = 5.0


def make_app(url: str, **interface_options: Any) -> tuple[MicroFlask, RedisSessionInterface]:
    app = MicroFlask(__name__)
    app.config.update(SECRET_KEY="test secret", TESTING=True)
    interface = RedisSessionInterface(url, **interface_options)
    interface.init_app(app)

    @app.post("/login/<name>")
    async def login(name: str) -> str:
        regenerate_session()
        session["user"] = name
        return "ok"

    @app.get("/me")
    async def me() -> dict[str, Any]:
        return {"user": session.get("user")}

    @app.get("/me-sync")
    def me_sync() -> dict[str, Any]:
        return {"user": session.get("user")}

    @app.post("/logout")
    async def logout() -> str:
        session.clear()
        return "bye"

    @app.post("/permanent")
    async def permanent() -> str:
        session.permanent = True
        session["user"] = "perm"
        return "ok"

    @app.get("/sid")
    async def sid() -> dict[str, Any]:
        return {"sid": session.sid}

    @app.websocket("/ws")
    async def ws() -> None:
        await websocket.accept()
        await websocket.send_json({"user": session.get("user")})

    return app, interface


def session_cookie(response: Any) -> str:
    for header in response.headers.get_list("set-cookie"):
        if header.startswith("session="):
            return str(header)
    raise AssertionError(f"no session cookie in {response.headers}")


def replace_cookie(client: Any, value: str) -> None:
    """Make the client send ``value`` as its session cookie (and nothing else)."""
    client.cookies.clear()
    client.cookies.set("session", value)


def key_of(interface: RedisSessionInterface, sid: str) -> str:
    return interface.key(sid)


async def test_login_is_stored_in_redis_and_read_back(redis_server: RedisServer, redis_url: str) -> None:  # noqa: F811
    app, interface = make_app(redis_url)
    async with app.async_test_client() as client:
        assert (await client.get("/me")).json == {"user": None}
        assert redis_server.command("DBSIZE") == b":0\r\n"  # an unused session stores nothing
        response = await client.post("/login/ada")
        cookie = session_cookie(response)
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
        assert (await client.get("/me")).json == {"user": "ada"}
        assert (await client.get("/me-sync")).json == {"user": "ada"}
        sid = (await client.get("/sid")).json["sid"]
        assert len(sid) >= 43
        # Only the signed id travels: the cookie is "<sid>.<signature>", nothing else.
        # (Not `"ada" not in cookie`: a random id or signature can contain those letters.)
        value = cookie.partition(";")[0].removeprefix("session=")
        assert value.rpartition(".")[0] == sid
        assert redis_server.command("EXISTS", key_of(interface, sid)) == b":1\r\n"
        ttl = int(redis_server.command("TTL", key_of(interface, sid))[1:].strip())
        assert 0 < ttl <= int(app.permanent_session_lifetime.total_seconds())


async def test_tampered_cookie_starts_a_new_session(redis_url: str) -> None:  # noqa: F811
    app, _ = make_app(redis_url)
    async with app.async_test_client() as client:
        await client.post("/login/ada")
        value = client.cookies["session"]
        sid, _, signature = value.rpartition(".")
        replace_cookie(client, f"{sid}x.{signature}")
        assert (await client.get("/me")).json == {"user": None}
        replace_cookie(client, "garbage")
        assert (await client.get("/me")).json == {"user": None}


async def test_an_unknown_signed_id_is_not_reused(redis_server: RedisServer, redis_url: str) -> None:  # noqa: F811
    """A valid cookie whose data is gone (expired, deleted) gets a fresh id when written."""
    app, interface = make_app(redis_url)
    async with app.async_test_client() as client:
        await client.post("/login/ada")
        old = (await client.get("/sid")).json["sid"]
        redis_server.command("DEL", key_of(interface, old))
        assert (await client.get("/me")).json == {"user": None}
        await client.post("/login/bob")
        new = (await client.get("/sid")).json["sid"]
        assert new != old


async def test_clear_deletes_the_key_and_the_cookie(redis_server: RedisServer, redis_url: str) -> None:  # noqa: F811
    app, interface = make_app(redis_url)
    async with app.async_test_client() as client:
        await client.post("/login/ada")
        sid = (await client.get("/sid")).json["sid"]
        response = await client.post("/logout")
        assert "max-age=0" in session_cookie(response).lower()
        assert redis_server.command("EXISTS", key_of(interface, sid)) == b":0\r\n"
        assert "session" not in client.cookies
        assert (await client.get("/me")).json == {"user": None}


async def test_regenerate_moves_the_data_to_a_new_id(redis_server: RedisServer, redis_url: str) -> None:  # noqa: F811
    app, interface = make_app(redis_url)

    @app.post("/elevate")
    async def elevate() -> str:
        session.regenerate()
        session["admin"] = True
        return "ok"

    async with app.async_test_client() as client:
        await client.post("/login/ada")
        first = (await client.get("/sid")).json["sid"]
        old_cookie = client.cookies["session"]
        await client.post("/login/ada")  # logging in again: a new id (regenerate_session)
        second = (await client.get("/sid")).json["sid"]
        assert second != first
        assert redis_server.command("EXISTS", key_of(interface, first)) == b":0\r\n"
        await client.post("/elevate")
        third = (await client.get("/sid")).json["sid"]
        assert third not in (first, second)
        assert (await client.get("/me")).json == {"user": "ada"}
        # The cookie from before the login (a planted one) no longer opens the session.
        replace_cookie(client, old_cookie)
        assert (await client.get("/me")).json == {"user": None}


async def test_values_round_trip_tagged_json(redis_url: str) -> None:  # noqa: F811
    app, _ = make_app(redis_url)
    value = {
        "tuple": (1, 2),
        "bytes": b"\x00\xff",
        "uuid": uuid.UUID(int=7),
        "when": datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.UTC),
    }

    @app.post("/store")
    async def store() -> str:
        session["value"] = value
        return "ok"

    @app.get("/check")
    async def check() -> dict[str, bool]:
        return {"same": session["value"] == value}

    async with app.async_test_client() as client:
        await client.post("/store")
        assert (await client.get("/check")).json == {"same": True}


async def test_permanent_session_cookie_has_an_expiry(redis_url: str) -> None:  # noqa: F811
    app, _ = make_app(redis_url)
    async with app.async_test_client() as client:
        assert "expires=" not in session_cookie(await client.post("/login/ada")).lower()
        assert "expires=" in session_cookie(await client.post("/permanent")).lower()
        # Refreshed on each request (SESSION_REFRESH_EACH_REQUEST), as Flask does.
        assert "expires=" in session_cookie(await client.get("/me")).lower()


async def test_reading_refreshes_the_ttl(redis_server: RedisServer, redis_url: str) -> None:  # noqa: F811
    app, interface = make_app(redis_url)
    async with app.async_test_client() as client:
        await client.post("/login/ada")
        sid = (await client.get("/sid")).json["sid"]
        redis_server.command("EXPIRE", key_of(interface, sid), "100")
        await client.get("/me")
        ttl = int(redis_server.command("TTL", key_of(interface, sid))[1:].strip())
        assert ttl > 100


async def test_websocket_reads_the_session(redis_url: str) -> None:  # noqa: F811
    app, _ = make_app(redis_url)
    with app.test_client() as client:
        client.post("/login/ada")
        with client.websocket_connect("/ws") as ws:
            assert ws.receive_json() == {"user": "ada"}


async def test_session_transaction(redis_url: str) -> None:  # noqa: F811
    app, _ = make_app(redis_url)
    async with app.async_test_client() as client:
        async with client.session_transaction() as sess:
            assert isinstance(sess, RedisSession)
            sess["user"] = "grace"
        assert (await client.get("/me")).json == {"user": "grace"}


async def test_without_secret_key_writing_explains(redis_url: str) -> None:  # noqa: F811
    app, _ = make_app(redis_url)
    app.config["SECRET_KEY"] = None
    async with app.async_test_client() as client:
        assert (await client.get("/me")).json == {"user": None}
        with pytest.raises(RuntimeError, match="SECRET_KEY"):
            await client.post("/login/ada")


async def test_the_cookie_interface_is_still_the_default() -> None:
    assert isinstance(MicroFlask(__name__).session_interface, SecureCookieSessionInterface)


async def test_unreachable_redis_answers_503_and_logs(caplog: pytest.LogCaptureFixture) -> None:
    port = free_port()  # nothing listens there
    app, interface = make_app(f"redis://127.0.0.1:{port}/0", connect_timeout=0.5, timeout=0.5)
    app.config["TESTING"] = False
    with caplog.at_level(logging.ERROR):
        async with app.async_test_client() as client:
            # No cookie: nothing to load, but the login cannot be saved.
            with anyio.fail_after(GUARD):  # a hang guard, not a timing assertion
                response = await client.post("/login/ada")
            assert response.status_code == 503
            assert "set-cookie" not in response.headers
            # A (validly signed) cookie: loading the session fails.
            signer = interface.get_signer(app)
            assert signer is not None
            client.cookies.set("session", signer.sign("some-id").decode())
            with anyio.fail_after(GUARD):
                response = await client.get("/me")
            assert response.status_code == 503
            assert "Service Unavailable" in response.text
    assert any("Redis" in r.getMessage() and "unavailable" in r.getMessage() for r in caplog.records)
    assert "Connection" in caplog.text or "connect" in caplog.text


async def test_a_redis_that_never_answers_gives_503(caplog: pytest.LogCaptureFixture) -> None:
    """Connections are accepted (by the kernel) but nothing ever replies: the socket timeout
    ends the wait."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        port = silent.getsockname()[1]
        app, interface = make_app(f"redis://127.0.0.1:{port}/0", connect_timeout=0.3, timeout=0.3, retries=0)
        app.config["TESTING"] = False
        signer = interface.get_signer(app)
        assert signer is not None
        with caplog.at_level(logging.ERROR):
            async with app.async_test_client() as client:
                client.cookies.set("session", signer.sign("some-id").decode())
                with anyio.fail_after(GUARD):  # a hang guard, not a timing assertion
                    response = await client.get("/me")
        assert response.status_code == 503
        assert "Timeout" in caplog.text


async def test_the_client_is_closed_at_shutdown(redis_url: str) -> None:  # noqa: F811
    app, interface = make_app(redis_url)
    async with app.async_test_client() as client:
        await client.post("/login/ada")
        assert interface.connector._client is not None
    assert interface.connector._client is None


async def test_assigned_without_init_app_still_works_and_closes(redis_url: str) -> None:  # noqa: F811
    app = MicroFlask(__name__)
    app.config["SECRET_KEY"] = "k"
    interface = app.session_interface = RedisSessionInterface(redis_url, prefix="other:")

    @app.post("/set")
    async def set_value() -> str:
        session["x"] = 1
        return "ok"

    @app.get("/get")
    async def get_value() -> dict[str, Any]:
        return {"x": session.get("x")}

    async with app.async_test_client() as client:
        await client.post("/set")
        assert (await client.get("/get")).json == {"x": 1}
    assert interface.connector._client is None


async def test_a_client_passed_in_is_used_and_left_open(redis_url: str) -> None:  # noqa: F811
    from redis.asyncio import Redis

    client = Redis.from_url(redis_url)
    try:
        app, _ = make_app(redis_url, client=client)
        async with app.async_test_client() as test_client:
            await test_client.post("/login/ada")
            assert (await test_client.get("/me")).json == {"user": "ada"}
        assert await client.ping()  # still open: it is the caller's to close
        assert await client.dbsize() == 1
    finally:
        await client.aclose()
