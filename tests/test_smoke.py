from __future__ import annotations

import pytest

from microflask import MicroFlask, request, url_for


def make_app() -> MicroFlask:
    app = MicroFlask(__name__)

    @app.route("/users/<int:id>", methods=["GET", "POST"])
    async def user(id: int) -> object:
        if request.method == "POST":
            data = await request.get_json()
            return {"id": id, "saved": data}, 201
        return {"id": id, "next": url_for("user", id=id + 1)}

    return app


def test_issue_example_sync_client() -> None:
    with make_app().test_client() as client:
        r = client.get("/users/5")
        assert r.status_code == 200
        assert r.json == {"id": 5, "next": "/users/6"}
        r = client.post("/users/5", json={"a": 1})
        assert r.status_code == 201
        assert r.get_json() == {"id": 5, "saved": {"a": 1}}


@pytest.mark.anyio
async def test_issue_example_async_client() -> None:
    async with make_app().async_test_client() as client:
        r = await client.get("/users/7")
        assert r.json == {"id": 7, "next": "/users/8"}
        assert r.headers["content-type"] == "application/json"
