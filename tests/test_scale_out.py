"""Scale-out, for real: two Uvicorn processes on two ports share one redis-server.

The app is examples/chat_redis. A login through one process is seen through the other (Redis
sessions, and signed-cookie sessions with a shared SECRET_KEY); a rate limit counts the
requests of both; a chat message sent to one process reaches a websocket client of the
other. Then Redis is killed (SIGKILL) under a running process: requests get a 503 instead of
hanging, and the app recovers once Redis is back on the same port.

Every wait is bounded: HTTP and websocket clients have timeouts (hang guards, not timing
assertions), and polls have deadlines.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from conftest_redis import RedisServer, fresh_redis_server, redis_server  # noqa: F401
from subprocess_server import ServerProcess, clean_env, free_port, python
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect as websocket_connect

APP_DIR = Path(__file__).resolve().parent.parent / "examples" / "chat_redis"
#: A hang guard for one request or one websocket message.
GUARD = 5.0
#: The most a recovery may take before the test fails.
RECOVERY_DEADLINE = 15.0
QUOTA = 10


class App:
    """One Uvicorn process serving examples/chat_redis on 127.0.0.1:``port``."""

    def __init__(self, redis_url: str, **env: str) -> None:
        self.port = free_port()
        settings = {
            "REDIS_URL": redis_url,
            "SECRET_KEY": "shared secret of the test cluster",
            "RATE_LIMIT": "1000/minute",
            "LOGIN_LIMIT": "100/minute",
            "QUOTA_LIMIT": f"{QUOTA}/minute",
            **env,
        }
        self.server = ServerProcess(
            python("-m", "uvicorn", "app:app", "--host", "127.0.0.1", "--port", str(self.port), "--no-access-log"),
            cwd=APP_DIR,
            env=clean_env(**settings),
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def ws_url(self, path: str) -> str:
        return f"ws://127.0.0.1:{self.port}{path}"

    def wait_ready(self) -> None:
        self.server.wait_for("Application startup complete")
        self.server.wait_listening(self.port)

    def stop(self) -> None:
        self.server.kill()


def start_apps(redis_url: str, count: int = 2, **env: str) -> list[App]:
    """Start ``count`` processes at once, then wait until each serves."""
    apps = [App(redis_url, **env) for _ in range(count)]
    try:
        for app in apps:
            app.wait_ready()
    except BaseException:
        for app in apps:
            app.stop()
        raise
    return apps


def http_client() -> httpx2.Client:
    return httpx2.Client(timeout=GUARD, trust_env=False)


def cookie_header(client: httpx2.Client) -> dict[str, str]:
    return {"Cookie": "; ".join(f"{c.name}={c.value}" for c in client.cookies.jar)}


def receive_until(ws: Any, kind: str) -> dict[str, Any]:
    """The next message of type ``kind`` (joins and leaves may come first)."""
    deadline = time.monotonic() + GUARD
    while True:
        message: dict[str, Any] = json.loads(ws.recv(timeout=max(0.0, deadline - time.monotonic())))
        if message["type"] == kind:
            return message


@pytest.fixture(scope="module")
def pair(redis_server: RedisServer) -> Iterator[list[App]]:  # noqa: F811
    """Two processes with Redis sessions, Redis rate limits and Redis broadcast."""
    redis_server.flushall()
    apps = start_apps(redis_server.url)
    try:
        yield apps
    finally:
        for app in apps:
            app.stop()


def test_redis_session_login_is_seen_by_the_other_process(pair: list[App]) -> None:
    one, two = pair
    with http_client() as client:
        assert client.get(f"{one.url}/me").json()["name"] is None
        login = client.post(f"{one.url}/login", json={"name": "ada"})
        assert login.status_code == 200, login.text
        me = client.get(f"{two.url}/me").json()
        assert me["name"] == "ada"
        assert me["pid"] != login.json()["pid"]  # really another process
        assert client.post(f"{two.url}/logout").status_code == 200
        assert client.get(f"{one.url}/me").json()["name"] is None


def test_signed_cookie_login_is_seen_by_the_other_process(redis_server: RedisServer) -> None:  # noqa: F811
    one, two = start_apps(redis_server.url, CHAT_SESSIONS="cookie")
    try:
        with http_client() as client:
            login = client.post(f"{one.url}/login", json={"name": "grace"})
            assert login.status_code == 200, login.text
            assert client.get(f"{two.url}/me").json()["name"] == "grace"
    finally:
        one.stop()
        two.stop()


def test_rate_limit_is_shared_by_the_processes(pair: list[App]) -> None:
    one, two = pair
    statuses, remaining, pids = [], [], set()
    with http_client() as client:
        for i in range(QUOTA + 2):
            response = client.get(f"{(one, two)[i % 2].url}/api/quota")
            statuses.append(response.status_code)
            remaining.append(response.headers["RateLimit-Remaining"])
            if response.status_code == 200:
                pids.add(response.json()["pid"])
            else:
                assert 0 < int(response.headers["Retry-After"]) <= 60
    assert statuses == [200] * QUOTA + [429, 429]
    assert remaining == [str(n) for n in range(QUOTA - 1, -1, -1)] + ["0", "0"]
    assert len(pids) == 2


def test_chat_message_reaches_a_client_of_the_other_process(pair: list[App]) -> None:
    one, two = pair
    with http_client() as client:
        assert client.post(f"{one.url}/login", json={"name": "ada"}).status_code == 200
        # Ada (logged in through process one) listens on process two...
        with websocket_connect(
            two.ws_url("/ws/lobby"), additional_headers=cookie_header(client), open_timeout=GUARD, close_timeout=GUARD
        ) as ada:
            welcome = receive_until(ada, "welcome")
            assert welcome["name"] == "ada"
            two_pid = welcome["pid"]
            # ...and Bob talks on process one.
            with websocket_connect(one.ws_url("/ws/lobby?name=bob"), open_timeout=GUARD, close_timeout=GUARD) as bob:
                bob_welcome = receive_until(bob, "welcome")
                assert bob_welcome["pid"] != two_pid
                assert sorted(bob_welcome["members"]) == ["ada", "bob"]
                bob.send(json.dumps({"text": "hello across processes"}))
                message = receive_until(ada, "message")
                assert message["text"] == "hello across processes"
                assert message["name"] == "bob"
                assert message["pid"] == bob_welcome["pid"]
                assert receive_until(bob, "message")["text"] == "hello across processes"
            assert receive_until(ada, "leave")["name"] == "bob"


def test_redis_outage_answers_503_then_recovers(fresh_redis_server: RedisServer) -> None:  # noqa: F811
    redis = fresh_redis_server
    (app,) = start_apps(redis.url, count=1)
    try:
        with http_client() as client:
            assert client.post(f"{app.url}/login", json={"name": "ada"}).status_code == 200
            assert client.get(f"{app.url}/api/quota").status_code == 200

            redis.kill()  # SIGKILL: the connections the app holds are dropped mid-life
            # Each request completes within the client's timeout (a hang guard) with a 503.
            assert client.get(f"{app.url}/me").status_code == 503  # loading the session
            assert client.get(f"{app.url}/api/quota").status_code == 503  # counting the rate limit
            assert client.get(f"{app.url}/readyz").status_code == 503
            # Liveness needs no Redis (a probe sends no session cookie).
            assert httpx2.get(f"{app.url}/healthz", timeout=GUARD, trust_env=False).status_code == 200
            with pytest.raises(InvalidStatus) as refused:  # no subscription without Redis
                websocket_connect(app.ws_url("/ws/lobby?name=eve"), open_timeout=GUARD).close()
            assert refused.value.response.status_code == 503

            redis.start()  # back on the same port (empty: it kept nothing on disk)
            deadline = time.monotonic() + RECOVERY_DEADLINE
            while client.get(f"{app.url}/readyz").status_code != 200:
                assert time.monotonic() < deadline, f"no recovery within {RECOVERY_DEADLINE} s:\n{app.server.output}"
                time.sleep(0.05)  # poll interval; the deadline bounds the wait
            assert client.get(f"{app.url}/api/quota").status_code == 200
            me = client.get(f"{app.url}/me")
            assert me.status_code == 200
            assert me.json()["name"] is None  # the session died with that Redis; nothing stale
            assert client.post(f"{app.url}/login", json={"name": "ada"}).status_code == 200
            assert client.get(f"{app.url}/me").json()["name"] == "ada"
            with websocket_connect(
                app.ws_url("/ws/lobby"), additional_headers=cookie_header(client), open_timeout=GUARD
            ) as ada:
                assert receive_until(ada, "welcome")["name"] == "ada"
        assert "Redis at redis://127.0.0.1" in app.server.output  # the outage was logged
    finally:
        app.stop()
