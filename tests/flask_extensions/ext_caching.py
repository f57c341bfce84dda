"""Flask-Caching's quick start: Cache with SimpleCache, @cache.cached on views and @cache.memoize
on a function; in def and async def views. Flask-Caching's decorators are sync: around an
async view they run on the request's worker thread, where ``ensure_sync`` gives them the view's
result to cache, as in Flask."""

# isort: off
import microflask.flask_patch  # noqa: F401  (first: from here on, flask is microflask)

# isort: on
import pytest
from flask import Flask
from flask_caching import Cache


def make_app(kind: str) -> tuple[Flask, list[str]]:
    app = Flask(__name__)
    cache = Cache(app, config={"CACHE_TYPE": "SimpleCache"})
    calls: list[str] = []

    @cache.memoize(timeout=60)
    def square(n: int) -> int:
        calls.append(f"square {n}")
        return n * n

    if kind == "def":

        @app.route("/page")
        @cache.cached(timeout=60)
        def page() -> str:
            calls.append("page")
            return f"page {len(calls)}"

        @app.route("/square/<int:n>")
        def squared(n: int) -> dict[str, int]:
            return {"square": square(n)}

    else:

        @app.route("/page")
        @cache.cached(timeout=60)
        async def page() -> str:
            calls.append("page")
            return f"page {len(calls)}"

        @app.route("/square/<int:n>")
        async def squared(n: int) -> dict[str, int]:
            return {"square": square(n)}

    return app, calls


@pytest.fixture(params=["def", "async"])
def kind(request: pytest.FixtureRequest) -> str:
    return request.param


def test_cached_view(kind: str) -> None:
    app, calls = make_app(kind)
    client = app.test_client()
    assert [client.get("/page").text for _ in range(3)] == ["page 1"] * 3
    assert calls == ["page"]


def test_memoized_function(kind: str) -> None:
    app, calls = make_app(kind)
    client = app.test_client()
    assert [client.get(f"/square/{n}").get_json()["square"] for n in (3, 3, 4)] == [9, 9, 16]
    assert calls == ["square 3", "square 4"]
