"""The sync and async test clients: cookies, redirects, responses, request bodies, lifespan."""

from __future__ import annotations

from typing import Any

import pytest

from microflask import MicroFlask, Response, make_response, redirect, request, url_for


def make_app() -> MicroFlask:
    app = MicroFlask(__name__)

    @app.route("/set/<name>/<value>")
    async def set_cookie(name: str, value: str) -> Response:
        response = make_response("set")
        response.set_cookie(name, value)
        return response

    @app.route("/sync-set/<name>/<value>")
    def sync_set_cookie(name: str, value: str) -> Response:
        response = make_response("set")
        response.set_cookie(name, value)
        return response

    @app.route("/delete/<name>")
    async def delete_cookie(name: str) -> Response:
        response = make_response("deleted")
        response.delete_cookie(name)
        return response

    @app.route("/cookies")
    async def cookies() -> Any:
        return dict(request.cookies)

    @app.route("/sync-cookies")
    def sync_cookies() -> Any:
        return dict(request.cookies)

    @app.route("/redirect")
    async def go() -> Response:
        return redirect(url_for("target"))

    @app.route("/redirect-and-set")
    async def go_and_set() -> Response:
        response = redirect("/cookies")
        response.set_cookie("via", "redirect")
        return response

    @app.route("/chain")
    async def chain() -> Response:
        return redirect("/redirect", 301)

    @app.route("/target")
    async def target() -> Any:
        return {"arrived": True, "method": request.method}

    @app.route("/slash/")
    async def slash() -> str:
        return "with slash"

    @app.route("/json")
    async def json_view() -> Any:
        return {"a": 1, "list": [1, 2], "text": "héllo"}

    @app.route("/html")
    async def html() -> str:
        return "<p>héllo</p>"

    @app.route("/bytes")
    async def raw() -> bytes:
        return b"\x00\x01binary"

    @app.route("/status")
    async def status() -> Any:
        return "made", 201, {"X-Custom": "yes"}

    @app.route("/echo", methods=["POST", "PUT"])
    async def echo() -> Any:
        form = await request.form
        return {
            "method": request.method,
            "form": dict(form),
            "content_type": request.mimetype,
            "header": request.headers.get("x-test"),
            "args": dict(request.args),
        }

    @app.route("/echo-json", methods=["POST"])
    async def echo_json() -> Any:
        return {"got": await request.get_json()}

    @app.route("/echo-raw", methods=["POST"])
    async def echo_raw() -> Any:
        return {"body": (await request.get_data()).decode()}

    @app.route("/sync-echo", methods=["POST"])
    def sync_echo() -> Any:
        return {"form": dict(request.form), "json": request.get_json(silent=True)}

    return app


# -- cookies -------------------------------------------------------------------------------------


def test_sync_client_keeps_cookies() -> None:
    with make_app().test_client() as client:
        assert client.get("/cookies").json == {}
        r = client.get("/set/flavour/chocolate")
        assert "flavour=chocolate" in r.headers["set-cookie"]
        assert client.get("/cookies").json == {"flavour": "chocolate"}
        client.get("/sync-set/size/large")
        assert client.get("/sync-cookies").json == {"flavour": "chocolate", "size": "large"}
        client.get("/delete/flavour")
        assert client.get("/cookies").json == {"size": "large"}


@pytest.mark.anyio
async def test_async_client_keeps_cookies() -> None:
    async with make_app().async_test_client() as client:
        assert (await client.get("/cookies")).json == {}
        await client.get("/set/flavour/chocolate")
        assert (await client.get("/cookies")).json == {"flavour": "chocolate"}
        await client.get("/sync-set/size/large")
        assert (await client.get("/sync-cookies")).json == {"flavour": "chocolate", "size": "large"}
        await client.get("/delete/flavour")
        assert (await client.get("/cookies")).json == {"size": "large"}


def test_clients_do_not_share_cookies() -> None:
    app = make_app()
    with app.test_client() as one, app.test_client() as two:
        one.get("/set/who/one")
        assert one.get("/cookies").json == {"who": "one"}
        assert two.get("/cookies").json == {}


# -- redirects ----------------------------------------------------------------------------------


def test_sync_client_does_not_follow_redirects_by_default() -> None:
    with make_app().test_client() as client:
        r = client.get("/redirect")
        assert r.status_code == 302
        assert r.headers["location"] == "/target"
        assert "Redirecting" in r.text

        r = client.get("/slash")
        assert r.status_code == 308
        assert r.headers["location"].endswith("/slash/")


def test_sync_client_follows_redirects_when_asked() -> None:
    with make_app().test_client() as client:
        r = client.get("/redirect", follow_redirects=True)
        assert r.status_code == 200
        assert r.json == {"arrived": True, "method": "GET"}
        assert [h.status_code for h in r.history] == [302]

        r = client.get("/chain", follow_redirects=True)
        assert r.json == {"arrived": True, "method": "GET"}
        assert [h.status_code for h in r.history] == [301, 302]

        r = client.get("/slash", follow_redirects=True)
        assert (r.status_code, r.text) == (200, "with slash")

    with make_app().test_client(follow_redirects=True) as client:
        assert client.get("/redirect").json == {"arrived": True, "method": "GET"}


def test_cookie_set_on_redirect_is_sent_to_the_target() -> None:
    with make_app().test_client() as client:
        r = client.get("/redirect-and-set", follow_redirects=True)
        assert r.json == {"via": "redirect"}


@pytest.mark.anyio
async def test_async_client_redirects() -> None:
    app = make_app()
    async with app.async_test_client() as client:
        r = await client.get("/redirect")
        assert r.status_code == 302
        assert r.headers["location"] == "/target"
        r = await client.get("/redirect", follow_redirects=True)
        assert (r.status_code, r.json) == (200, {"arrived": True, "method": "GET"})
        r = await client.get("/redirect-and-set", follow_redirects=True)
        assert r.json == {"via": "redirect"}

    async with app.async_test_client(follow_redirects=True) as client:
        assert (await client.get("/chain")).json == {"arrived": True, "method": "GET"}


# -- responses ----------------------------------------------------------------------------------


def test_response_attributes_json() -> None:
    with make_app().test_client() as client:
        r = client.get("/json")
    assert r.status_code == 200
    assert r.status == "200 OK"
    assert r.headers["content-type"] == "application/json"
    assert r.headers["Content-Type"] == "application/json"  # case-insensitive
    assert isinstance(r.data, bytes)
    assert r.json == {"a": 1, "list": [1, 2], "text": "héllo"}
    assert r.get_json() == r.json
    assert r.is_json
    assert r.mimetype == "application/json"
    assert r.text == r.data.decode("utf-8")


def test_response_attributes_html_and_bytes() -> None:
    with make_app().test_client() as client:
        r = client.get("/html")
        assert r.data == "<p>héllo</p>".encode()
        assert r.text == "<p>héllo</p>"
        assert r.mimetype == "text/html"
        assert not r.is_json
        with pytest.raises(ValueError):
            r.get_json()
        with pytest.raises(ValueError):
            _ = r.json
        assert r.get_json(silent=True) is None

        r = client.get("/bytes")
        assert r.data == b"\x00\x01binary"

        r = client.get("/status")
        assert r.status_code == 201
        assert r.status == "201 CREATED"
        assert r.headers["x-custom"] == "yes"
        assert r.text == "made"

        r = client.get("/missing")
        assert r.status == "404 NOT FOUND"


def test_get_json_force() -> None:
    app = MicroFlask(__name__)

    @app.route("/")
    async def index() -> Response:
        return Response('{"forced": true}', mimetype="text/plain")

    with app.test_client() as client:
        r = client.get("/")
    assert r.get_json(silent=True) is None
    assert r.get_json(force=True) == {"forced": True}


@pytest.mark.anyio
async def test_async_response_attributes() -> None:
    async with make_app().async_test_client() as client:
        r = await client.get("/json")
        assert r.status_code == 200
        assert r.status == "200 OK"
        assert r.headers["content-type"] == "application/json"
        assert r.json == {"a": 1, "list": [1, 2], "text": "héllo"}
        assert r.get_json() == {"a": 1, "list": [1, 2], "text": "héllo"}
        assert isinstance(r.data, bytes)
        r = await client.get("/status")
        assert (r.status_code, r.text, r.headers["x-custom"]) == (201, "made", "yes")


# -- request bodies and headers -------------------------------------------------------------------


def test_sync_client_sends_form_json_raw_and_headers() -> None:
    with make_app().test_client() as client:
        r = client.post("/echo", data={"name": "ann", "age": "3"}, headers={"X-Test": "hdr"}, params={"q": "1"})
        assert r.json == {
            "method": "POST",
            "form": {"name": "ann", "age": "3"},
            "content_type": "application/x-www-form-urlencoded",
            "header": "hdr",
            "args": {"q": "1"},
        }
        assert client.put("/echo", data={"k": "v"}).json["method"] == "PUT"
        assert client.post("/echo-json", json={"x": [1, 2]}).json == {"got": {"x": [1, 2]}}
        assert client.post("/echo-raw", content=b"raw body").json == {"body": "raw body"}
        assert client.post("/sync-echo", data={"a": "b"}).json == {"form": {"a": "b"}, "json": None}
        assert client.post("/sync-echo", json={"j": 1}).json == {"form": {}, "json": {"j": 1}}


def test_sync_client_multipart_upload() -> None:
    app = MicroFlask(__name__)

    @app.route("/upload", methods=["POST"])
    async def upload() -> Any:
        files = await request.files
        form = await request.form
        upload = files["doc"]
        return {"name": upload.filename, "body": (await upload.read()).decode(), "title": form["title"]}

    with app.test_client() as client:
        r = client.post("/upload", data={"title": "T"}, files={"doc": ("a.txt", b"file body", "text/plain")})
    assert r.json == {"name": "a.txt", "body": "file body", "title": "T"}


@pytest.mark.anyio
async def test_async_client_sends_form_json_and_headers() -> None:
    async with make_app().async_test_client() as client:
        r = await client.post("/echo", data={"name": "ann"}, headers={"X-Test": "hdr"})
        assert r.json["form"] == {"name": "ann"}
        assert r.json["header"] == "hdr"
        assert (await client.post("/echo-json", json={"x": 1})).json == {"got": {"x": 1}}
        assert (await client.post("/sync-echo", data={"a": "b"})).json == {"form": {"a": "b"}, "json": None}


def test_sync_client_raw_data_flask_idiom() -> None:
    with make_app().test_client() as client:
        assert client.post("/echo-raw", data=b"raw body").json == {"body": "raw body"}
        assert client.post("/echo-raw", data="text body").json == {"body": "text body"}


# -- lifespan and context use --------------------------------------------------------------------


def test_sync_client_runs_lifespan_on_enter_and_exit() -> None:
    app = make_app()
    events: list[str] = []

    @app.before_serving
    async def start() -> None:
        events.append("start")

    @app.after_serving
    async def stop() -> None:
        events.append("stop")

    client = app.test_client()
    assert events == []
    with client:
        assert events == ["start"]
        assert client.get("/json").status_code == 200
    assert events == ["start", "stop"]


@pytest.mark.anyio
async def test_async_client_runs_lifespan_on_enter_and_exit() -> None:
    app = make_app()
    events: list[str] = []

    @app.before_serving
    def start() -> None:
        events.append("start")

    @app.after_serving
    def stop() -> None:
        events.append("stop")

    client = app.async_test_client()
    assert events == []
    async with client:
        assert events == ["start"]
        assert (await client.get("/json")).status_code == 200
    assert events == ["start", "stop"]


def test_sync_client_without_with_block_sends_requests() -> None:
    client = make_app().test_client()
    assert client.get("/json").json["a"] == 1
    client.get("/set/k/v")
    assert client.get("/cookies").json == {"k": "v"}


def test_client_application_attribute() -> None:
    app = make_app()
    assert app.test_client().application is app
    assert app.async_test_client().application is app


def test_with_client_preserves_last_request_context() -> None:
    from microflask import has_request_context

    with make_app().test_client() as client:
        client.get("/target?x=1")
        assert has_request_context()
        assert request.path == "/target"
        assert request.args["x"] == "1"
