"""Rate limiting (microflask.ratelimit), in memory and in a real Redis."""

from __future__ import annotations

import functools
import inspect
import logging
import threading
from typing import Any

import anyio
import pytest
from conftest_redis import redis_server, redis_url  # noqa: F401
from subprocess_server import free_port

from microflask import MicroFlask, request, websocket
from microflask.concurrency import on_event_loop
from microflask.contrib.redis import RedisRateLimitStorage
from microflask.ratelimit import Limit, MemoryStorage, RateLimiter, exempt, limit, parse_rate

#: A hang guard for a request, not a timing assertion.
GUARD = 5.0


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# -- rates ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "amount", "period"),
    [
        ("10/second", 10, 1),
        ("100/minute", 100, 60),
        ("1000/hour", 1000, 3600),
        ("5/10seconds", 5, 10),
        ("5 / 10 seconds", 5, 10),
        ("3 per day", 3, 86400),
        ("7/2h", 7, 7200),
        ("1/s", 1, 1),
        ("20/Minutes", 20, 60),
    ],
)
def test_parse_rate(text: str, amount: int, period: int) -> None:
    parsed = parse_rate(text)
    assert (parsed.amount, parsed.period) == (amount, period)


@pytest.mark.parametrize("text", ["", "10", "ten/minute", "10/fortnight", "0/minute", "10/0seconds", "-1/s"])
def test_parse_rate_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="rate"):
        parse_rate(text)


def test_a_bad_rate_fails_at_decoration() -> None:
    with pytest.raises(ValueError):
        limit("10 a minute")


# -- the decorator, in memory -----------------------------------------------------------
def limited_app() -> MicroFlask:
    app = MicroFlask(__name__)

    @app.get("/async")
    @limit("3/minute")
    async def async_view() -> dict[str, Any]:
        return {"loop": on_event_loop()}

    @app.get("/sync")
    @limit("2/minute")
    def sync_view() -> dict[str, Any]:
        return {"loop": on_event_loop(), "thread": threading.current_thread() is not threading.main_thread()}

    @app.get("/free")
    async def free() -> str:
        return "free"

    return app


def test_the_decorator_keeps_sync_views_sync_and_async_views_async() -> None:
    app = limited_app()
    assert inspect.iscoroutinefunction(app.view_functions["async_view"])
    assert not inspect.iscoroutinefunction(app.view_functions["sync_view"])
    assert not inspect.iscoroutinefunction(inspect.unwrap(app.view_functions["sync_view"]))
    assert app.view_functions["sync_view"].__name__ == "sync_view"


def test_a_flask_style_sync_decorator_around_an_async_view_stays_on_the_loop(redis_url: str) -> None:  # noqa: F811
    def logged(view: Any) -> Any:  # a sync decorator written for Flask
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            return view(*args, **kwargs)

        return wrapper

    app = MicroFlask(__name__)
    RateLimiter(app, storage=RedisRateLimitStorage(redis_url))

    @app.get("/")
    @limit("1/minute")
    @logged
    async def index() -> dict[str, bool]:
        return {"loop": on_event_loop()}

    assert inspect.iscoroutinefunction(app.view_functions["index"])
    with app.test_client() as client:
        assert client.get("/").json == {"loop": True}
        assert client.get("/").status_code == 429


def test_async_view_limit_and_headers() -> None:
    app = limited_app()
    with app.test_client() as client:
        for remaining in (2, 1, 0):
            response = client.get("/async")
            assert response.status_code == 200
            assert response.json == {"loop": True}
            assert response.headers["RateLimit-Limit"] == "3"
            assert response.headers["RateLimit-Remaining"] == str(remaining)
            assert 0 < int(response.headers["RateLimit-Reset"]) <= 60
            assert "Retry-After" not in response.headers
        response = client.get("/async")
        assert response.status_code == 429
        assert response.headers["RateLimit-Remaining"] == "0"
        assert response.headers["RateLimit-Limit"] == "3"
        assert 0 < int(response.headers["Retry-After"]) <= 60
        assert response.headers["Retry-After"] == response.headers["RateLimit-Reset"]
        assert "Too Many Requests" in response.text
        # Other routes have their own (here: no) limit.
        assert client.get("/free").status_code == 200
        assert "RateLimit-Limit" not in client.get("/free").headers


def test_sync_view_runs_in_a_worker_thread_and_is_limited() -> None:
    app = limited_app()
    with app.test_client() as client:
        for remaining in (1, 0):
            response = client.get("/sync")
            assert response.status_code == 200
            assert response.json == {"loop": False, "thread": True}
            assert response.headers["RateLimit-Remaining"] == str(remaining)
        assert client.get("/sync").status_code == 429


def test_429_as_json_when_preferred() -> None:
    app = limited_app()
    with app.test_client() as client:
        for _ in range(3):
            client.get("/async")
        response = client.get("/async", headers={"Accept": "application/json"})
        assert response.status_code == 429
        assert response.json["code"] == 429
        assert "Retry-After" in response.headers


def test_custom_429_handler_keeps_the_headers() -> None:
    app = MicroFlask(__name__)

    @app.errorhandler(429)
    async def too_many(e: Any) -> tuple[dict[str, str], int]:
        return {"error": "slow down"}, 429

    @app.get("/")
    @limit("1/minute")
    async def index() -> str:
        return "ok"

    with app.test_client() as client:
        client.get("/")
        response = client.get("/")
        assert response.status_code == 429
        assert response.json == {"error": "slow down"}
        assert response.headers["RateLimit-Remaining"] == "0"


def test_key_function_makes_separate_buckets() -> None:
    app = MicroFlask(__name__)

    @app.get("/")
    @limit("1/minute", key=lambda: request.headers.get("x-user"))
    async def index() -> str:
        return "ok"

    async def async_key() -> str:
        await anyio.sleep(0)  # stands for a lookup
        return request.args.get("token", "")

    @app.get("/token")
    @limit("1/minute", key=async_key)
    async def token() -> str:
        return "ok"

    with app.test_client() as client:
        assert client.get("/", headers={"x-user": "a"}).status_code == 200
        assert client.get("/", headers={"x-user": "b"}).status_code == 200
        assert client.get("/", headers={"x-user": "a"}).status_code == 429
        assert client.get("/token?token=1").status_code == 200
        assert client.get("/token?token=2").status_code == 200
        assert client.get("/token?token=1").status_code == 429


def test_window_starts_again_after_the_period() -> None:
    clock = Clock()
    app = MicroFlask(__name__)
    RateLimiter(app, storage=MemoryStorage(clock=clock))

    @app.get("/")
    @limit("2/10seconds")
    async def index() -> str:
        return "ok"

    with app.test_client() as client:
        assert [client.get("/").status_code for _ in range(3)] == [200, 200, 429]
        clock.now += 5
        response = client.get("/")
        assert response.status_code == 429
        assert response.headers["Retry-After"] == "5"
        clock.now += 5
        assert [client.get("/").status_code for _ in range(3)] == [200, 200, 429]


def test_stacked_limits_report_the_tightest() -> None:
    clock = Clock()
    app = MicroFlask(__name__)
    RateLimiter(app, storage=MemoryStorage(clock=clock))

    @app.get("/")
    @limit("2/second")
    @limit("3/hour")
    async def index() -> str:
        return "ok"

    with app.test_client() as client:
        first = client.get("/")
        assert (first.headers["RateLimit-Limit"], first.headers["RateLimit-Remaining"]) == ("2", "1")
        second = client.get("/")
        assert second.headers["RateLimit-Remaining"] == "0"
        third = client.get("/")
        assert third.status_code == 429
        assert third.headers["Retry-After"] == "1"
        clock.now += 1
        # A new per-second window; the hourly limit counted only the two requests that reached it.
        fourth = client.get("/")
        assert fourth.status_code == 200
        assert (fourth.headers["RateLimit-Limit"], fourth.headers["RateLimit-Remaining"]) == ("3", "0")
        fifth = client.get("/")
        assert fifth.status_code == 429
        assert fifth.headers["RateLimit-Limit"] == "3"
        assert int(fifth.headers["Retry-After"]) > 3000


def test_disabled_by_config() -> None:
    app = limited_app()
    app.config["RATELIMIT_ENABLED"] = False
    with app.test_client() as client:
        assert all(client.get("/async").status_code == 200 for _ in range(5))


# -- the app-wide default ---------------------------------------------------------------
def default_app(storage: Any = None, **options: Any) -> tuple[MicroFlask, RateLimiter]:
    app = MicroFlask(__name__)
    limiter = RateLimiter(default="3/minute", storage=storage, **options)

    @app.get("/a")
    async def a() -> str:
        return "a"

    @app.get("/b")
    def b() -> str:
        return "b"

    @app.get("/own")
    @limit("10/minute")
    async def own() -> str:
        return "own"

    @app.get("/health")
    @exempt
    async def health() -> str:
        return "ok"

    limiter.init_app(app)
    return app, limiter


def test_default_limit_is_shared_across_routes() -> None:
    app, limiter = default_app()
    assert app.extensions["ratelimit"] is limiter
    with app.test_client() as client:
        assert client.get("/a").headers["RateLimit-Remaining"] == "2"
        assert client.get("/b").headers["RateLimit-Remaining"] == "1"
        assert client.get("/nowhere").status_code == 404  # counted too (scanners)
        assert client.get("/a").status_code == 429
        assert client.get("/b").status_code == 429
        # Views with their own limit, exempt views and static files are not counted.
        own = client.get("/own")
        assert own.status_code == 200
        assert own.headers["RateLimit-Limit"] == "10"
        assert client.get("/health").status_code == 200
        assert "RateLimit-Limit" not in client.get("/health").headers


def test_default_limit_on_static_files_is_off(tmp_path: Any) -> None:
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "app.css").write_text("body {}")
    app = MicroFlask(__name__, root_path=str(tmp_path))
    RateLimiter(app, default="1/minute")
    with app.test_client() as client:
        assert all(client.get("/static/app.css").status_code == 200 for _ in range(3))


# -- Redis ------------------------------------------------------------------------------
def test_redis_storage_counts_and_expires(redis_url: str) -> None:  # noqa: F811
    app, limiter = default_app(RedisRateLimitStorage(redis_url))
    with app.test_client() as client:
        assert [client.get("/a").status_code for _ in range(4)] == [200, 200, 200, 429]
        blocked = client.get("/b")
        assert blocked.status_code == 429
        assert 0 < int(blocked.headers["Retry-After"]) <= 60
        assert client.get("/own").headers["RateLimit-Remaining"] == "9"
    assert isinstance(limiter.storage, RedisRateLimitStorage)
    assert limiter.storage.connector._client is None  # closed at shutdown


def test_redis_storage_with_a_sync_view(redis_url: str) -> None:  # noqa: F811
    app = limited_app()
    RateLimiter(app, storage=RedisRateLimitStorage(redis_url))
    with app.test_client() as client:
        assert [client.get("/sync").status_code for _ in range(3)] == [200, 200, 429]
        assert client.get("/sync").headers["RateLimit-Remaining"] == "0"


@pytest.mark.anyio
async def test_redis_hits_are_atomic(redis_url: str) -> None:  # noqa: F811
    storages = [RedisRateLimitStorage(redis_url) for _ in range(3)]  # three "processes"
    counts: list[int] = []

    async def hit(storage: RedisRateLimitStorage) -> None:
        count, reset_after = await storage.hit("ratelimit:test:k", 60)
        assert 0 < reset_after <= 60
        counts.append(count)

    try:
        with anyio.fail_after(GUARD):
            async with anyio.create_task_group() as tg:
                for i in range(60):
                    tg.start_soon(hit, storages[i % 3])
    finally:
        for storage in storages:
            await storage.aclose()
    assert sorted(counts) == list(range(1, 61))


@pytest.mark.anyio
async def test_redis_unreachable_answers_503(caplog: pytest.LogCaptureFixture) -> None:
    storage = RedisRateLimitStorage(f"redis://127.0.0.1:{free_port()}/0", connect_timeout=0.5, timeout=0.5)
    app, _ = default_app(storage)
    with caplog.at_level(logging.ERROR):
        async with app.async_test_client() as client:
            with anyio.fail_after(GUARD):  # a hang guard, not a timing assertion
                assert (await client.get("/a")).status_code == 503
                assert (await client.get("/own")).status_code == 503
    assert "unavailable" in caplog.text


@pytest.mark.anyio
async def test_redis_unreachable_answers_503_to_a_sync_view() -> None:
    app = limited_app()
    RateLimiter(app, storage=RedisRateLimitStorage(f"redis://127.0.0.1:{free_port()}/0", timeout=0.5))
    app.logger.disabled = True
    try:
        async with app.async_test_client() as client:
            with anyio.fail_after(GUARD):  # a hang guard
                assert (await client.get("/sync")).status_code == 503
    finally:
        app.logger.disabled = False


def test_redis_unreachable_fail_open(caplog: pytest.LogCaptureFixture) -> None:
    storage = RedisRateLimitStorage(f"redis://127.0.0.1:{free_port()}/0", connect_timeout=0.5, timeout=0.5)
    app, _ = default_app(storage, fail_open=True)
    with caplog.at_level(logging.WARNING), app.test_client() as client:
        response = client.get("/a")
        assert response.status_code == 200
        assert "RateLimit-Limit" not in response.headers
    assert "fail_open" in caplog.text


def test_fail_open_from_config(caplog: pytest.LogCaptureFixture) -> None:
    storage = RedisRateLimitStorage(f"redis://127.0.0.1:{free_port()}/0", connect_timeout=0.5, timeout=0.5)
    app = limited_app()
    RateLimiter(app, storage=storage)
    app.config["RATELIMIT_FAIL_OPEN"] = True
    with caplog.at_level(logging.WARNING), app.test_client() as client:
        assert client.get("/async").status_code == 200
        assert client.get("/sync").status_code == 200  # counted from the worker thread
    assert caplog.text.count("fail_open") == 2


def test_websocket_over_the_limit_is_refused() -> None:
    app = MicroFlask(__name__)

    @app.websocket("/ws")
    @limit("1/minute")
    async def ws() -> None:
        await websocket.accept()
        await websocket.send("hi")

    with app.test_client() as client:
        with client.websocket_connect("/ws") as connection:
            assert connection.receive_text() == "hi"
        from starlette.testclient import WebSocketDenialResponse

        with pytest.raises(WebSocketDenialResponse) as refused, client.websocket_connect("/ws"):
            pass
        assert refused.value.status_code == 429


def test_limit_repr() -> None:
    assert str(parse_rate("5/10seconds")) == "5/10seconds"
    assert parse_rate("1/minute") == Limit(1, 60, "1/minute")
