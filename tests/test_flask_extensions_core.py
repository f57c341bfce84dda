"""What Flask extensions need from the core (issue 15, point 2), tested without the extensions:
Werkzeug's header API on responses (assignable ``response.headers``), and sync body access from
sync code running inside an ``async def`` view's request once the body was read."""

from __future__ import annotations

import copy
import functools
import io
import sys
from collections.abc import Callable
from typing import Any

import anyio
import pytest
import werkzeug.datastructures as wd

from microflask import MicroFlask, Response, current_app, request
from microflask.httputil import SafeHeaders
from microflask.plans import supports_flask_extensions
from microflask.werkzeug_interop import adopt_werkzeug_hierarchy

# -- response headers ------------------------------------------------------------------


def cookies(response: Response) -> list[str]:
    return response.headers.getlist("set-cookie")


@pytest.mark.parametrize(
    "value",
    [
        {"X-One": "1", "X-Two": ["2", "3"]},
        [("X-One", "1"), ("X-Two", "2"), ("X-Two", "3")],
        wd.MultiDict([("X-One", "1"), ("X-Two", "2"), ("X-Two", "3")]),
        wd.Headers([("X-One", "1"), ("X-Two", "2"), ("X-Two", "3")]),
        SafeHeaders(raw=[(b"x-one", b"1"), (b"x-two", b"2"), (b"x-two", b"3")]),
    ],
    ids=["dict", "pairs", "werkzeug-multidict", "werkzeug-headers", "ours"],
)
def test_response_headers_are_assignable_from_any_headers_like_value(value: object) -> None:
    response = Response("body")
    response.headers = value
    assert response.headers.getlist("x-two") == ["2", "3"]
    assert response.raw_headers == [(b"x-one", b"1"), (b"x-two", b"2"), (b"x-two", b"3")]
    response.headers.add("X-Three", 3)  # later changes still reach what is sent
    assert response.raw_headers[-1] == (b"x-three", b"3")


def test_assigned_headers_stay_safe_from_injection() -> None:
    response = Response("body")
    response.headers = [("X-Evil", "a\r\nSet-Cookie: stolen=1")]
    assert response.raw_headers == [(b"x-evil", b"a  Set-Cookie: stolen=1")]
    with pytest.raises(ValueError, match="Invalid header name"):
        response.headers = {"Bad Name": "x"}


def test_assigning_the_headers_back_keeps_repeated_headers() -> None:
    app = MicroFlask(__name__)

    @app.after_request
    def rewrap(response: Response) -> Response:
        response.headers = response.headers  # what an extension may do after wrapping them
        response.headers.add("X-After", "yes")
        return response

    @app.route("/")
    def index() -> Response:
        response = Response("ok")
        response.set_cookie("a", "1")
        response.set_cookie("b", "2")
        return response

    reply = app.test_client().get("/")
    assert reply.headers.get_all("set-cookie") == ["a=1; Path=/; SameSite=Lax", "b=2; Path=/; SameSite=Lax"]
    assert reply.headers["x-after"] == "yes"


def test_response_headers_have_werkzeugs_api() -> None:
    headers = Response("body").headers
    headers.set("Content-Disposition", "attachment", filename="a b.txt")
    assert headers["content-disposition"] == 'attachment; filename="a b.txt"'
    headers.add("Link", "</a>", rel="preload")
    headers.add("Link", "</b>", rel="preload", nopush=True)
    assert headers.getlist("link") == ["</a>; rel=preload", "</b>; rel=preload; nopush"]
    headers.setlist("X-N", ["1", "x", "3"])
    assert headers.getlist("x-n", type=int) == [1, 3]
    assert headers.get("x-n", type=int) == 1
    assert headers.get("x-missing", 7, type=int) == 7
    assert headers.setlistdefault("x-n", ["9"]) == ["1", "x", "3"]
    assert headers.setlistdefault("x-new", ["9"]) == ["9"]
    headers.update({"X-N": "only"}, Server="kw")
    assert headers.getlist("x-n") == ["only"]
    assert headers["server"] == "kw"
    headers.extend([("X-N", "again")])
    assert headers.get_all("x-n") == ["only", "again"]
    assert headers.pop("x-n") == "only" and "x-n" not in headers
    assert headers.pop("x-n", None) is None
    with pytest.raises(KeyError):
        headers.pop("x-n")
    assert headers.popitem() == ("server", "kw")
    headers.remove("link")
    headers.remove("link")  # none left: fine
    assert ("x-new", "9") in headers.to_wsgi_list()
    assert "x-new: 9\r\n" in str(headers)
    duplicate = copy.copy(headers)
    duplicate.clear()
    assert len(duplicate) == 0 and "x-new" in headers


def test_response_headers_count_as_werkzeugs_headers_once_werkzeug_is_imported() -> None:
    adopt_werkzeug_hierarchy()  # the app does it when it freezes
    assert isinstance(Response("x").headers, wd.Headers)
    headers = Response("x").headers
    headers.add("X-A", "1")
    assert headers.getlist("x-a") == ["1"]  # our methods, not Werkzeug's, answer


# -- sync body access inside async views -------------------------------------------------


def body_reading_app(**config: object) -> MicroFlask:
    app = MicroFlask(__name__)
    app.flask_extension_support = True
    app.config.update(config)
    seen: dict[str, object] = {}
    app.config["SEEN"] = seen

    @app.before_request
    def sync_hook() -> None:  # a Flask extension's hook (Flask-WTF's CSRFProtect reads the form here)
        if request.endpoint != "ignore":
            seen["hook_form"] = dict(request.form)

    def sync_helper() -> dict[str, object]:  # sync code on the event loop, as an extension's
        files = request.files
        return {
            "form": request.form.to_dict(),
            "values": request.values.to_dict(),
            "files": {name: f.read().decode() for name, f in files.items()},
            "data": len(request.data),
            "text": len(request.get_data(as_text=True)),
            "json": request.get_json(silent=True),
        }

    @app.post("/form")
    async def form() -> dict[str, object]:
        synced = sync_helper()
        awaited = await request.form  # the app's own code keeps awaiting
        return {**synced, "awaited": awaited.to_dict(), "awaited_data": len(await request.get_data())}

    @app.post("/json")
    async def json_view() -> dict[str, object]:
        synced = sync_helper()
        return {**synced, "awaited": await request.get_json(), "awaited_json": await request.json}

    @app.post("/ignore")
    async def ignore() -> str:
        return "not read"

    return app


def test_sync_code_on_the_loop_reads_a_form_and_files_once_the_body_was_read() -> None:
    app = body_reading_app()
    reply = app.test_client().post("/form?q=1", data={"name": "ada", "upload": (io.BytesIO(b"hello"), "h.txt")})
    assert reply.status_code == 200, reply.text
    body = reply.get_json()
    assert body["form"] == {"name": "ada"} and body["awaited"] == {"name": "ada"}
    assert body["values"] == {"q": "1", "name": "ada"}
    assert body["files"] == {"upload": "hello"}
    assert body["json"] is None  # not JSON: get_json(silent=True) gives None synchronously
    assert body["data"] == body["awaited_data"] == body["text"] > 0
    assert app.config["SEEN"]["hook_form"] == {"name": "ada"}


def test_sync_code_on_the_loop_reads_json_and_async_code_still_awaits_it() -> None:
    reply = body_reading_app().test_client().post("/json", json={"a": [1, 2]})
    body = reply.get_json()
    assert body["json"] == body["awaited"] == body["awaited_json"] == {"a": [1, 2]}
    assert body["form"] == {} and body["files"] == {}


def test_the_body_limit_holds_while_reading_first() -> None:
    app = body_reading_app(MAX_CONTENT_LENGTH=10)
    client = app.test_client()
    assert client.post("/ignore", data=b"x" * 11).status_code == 413
    assert client.post("/ignore", data=b"x" * 10).text == "not read"


def test_a_broken_form_fails_only_when_it_is_used() -> None:
    client = body_reading_app().test_client()
    headers = {"Content-Type": "multipart/form-data; boundary=b"}
    broken = b"--b\r\nContent-Disposition: form-data; name=x\r\n\r\ncut short"
    assert client.post("/ignore", data=broken, headers=headers).text == "not read"
    reply = client.post("/form", data=broken, headers=headers)
    assert reply.status_code == 400 and "closing boundary" in reply.text


def test_without_the_setting_the_body_is_not_read_first_and_a_get_reads_nothing() -> None:
    app = MicroFlask(__name__)
    streamed: list[bytes] = []

    @app.post("/stream")
    async def stream() -> str:
        async for chunk in request.stream():
            streamed.append(chunk)
        return "ok"

    @app.get("/")
    async def index() -> str:
        return "ok"

    assert app.flask_extension_support is None and not supports_flask_extensions(app)
    assert app.test_client().post("/stream", data=b"abc").text == "ok"
    assert b"".join(streamed) == b"abc"
    assert not any(plan.reads_body_first for plan in {rule.plan for rule in app.url_map})

    reading = body_reading_app()
    reading.add_url_rule("/", "index", index)

    async def no_receive() -> dict[str, object]:
        raise AssertionError("a request without a body must not be read")

    async def call() -> list[dict[str, object]]:
        sent: list[dict[str, object]] = []

        async def send(message: dict[str, object]) -> None:
            sent.append(message)

        scope = {
            "type": "http",
            "method": "GET",
            "path": "/",
            "raw_path": b"/",
            "query_string": b"",
            "headers": [(b"host", b"x")],
            "scheme": "http",
            "server": ("x", 80),
            "root_path": "",
        }
        await reading(scope, no_receive, send)
        return sent

    assert anyio.run(call)[0]["status"] == 200


def test_the_patch_turns_reading_first_on(monkeypatch: pytest.MonkeyPatch) -> None:
    class Patch:
        @staticmethod
        def patched() -> bool:
            return True

    app = MicroFlask(__name__)
    assert not supports_flask_extensions(app)
    monkeypatch.setitem(sys.modules, "microflask.flask_patch", Patch)
    assert supports_flask_extensions(app)
    app.flask_extension_support = False  # an app may still opt out
    assert not supports_flask_extensions(app)


def test_a_sync_decorator_around_an_async_view_gets_its_result_with_extension_support() -> None:
    def caching(view: Callable[..., Any]) -> Callable[..., Any]:  # a Flask extension's decorator
        @functools.wraps(view)
        def decorated(**kwargs: Any) -> Any:
            rv = current_app.ensure_sync(view)(**kwargs)
            seen.append(rv)
            return rv

        return decorated

    seen: list[Any] = []
    for support in (True, False):
        seen.clear()
        app = MicroFlask(__name__)
        app.flask_extension_support = support

        @app.route("/<name>")
        @caching
        async def hello(name: str) -> str:
            return f"hello {name} {request.args['q']}"

        assert app.test_client().get("/ada?q=1").text == "hello ada 1"
        # With support the decorator runs on the worker thread and sees the value, as in Flask;
        # without, it runs on the loop and hands the coroutine on for the app to await.
        assert (seen == ["hello ada 1"]) is support
