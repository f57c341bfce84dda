"""HTTP exceptions, abort(), error handlers, default error pages and unhandled errors."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

import pytest

import microflask
from microflask import HTTPException, MicroFlask, Response, abort, request
from microflask import exceptions as exc

# (status code, class name as Werkzeug names it)
WERKZEUG_NAMES = [
    (400, "BadRequest"),
    (401, "Unauthorized"),
    (403, "Forbidden"),
    (404, "NotFound"),
    (405, "MethodNotAllowed"),
    (406, "NotAcceptable"),
    (408, "RequestTimeout"),
    (409, "Conflict"),
    (410, "Gone"),
    (411, "LengthRequired"),
    (412, "PreconditionFailed"),
    (413, "RequestEntityTooLarge"),
    (414, "RequestURITooLarge"),
    (415, "UnsupportedMediaType"),
    (416, "RangeNotSatisfiable"),
    (417, "ExpectationFailed"),
    (418, "ImATeapot"),
    (422, "UnprocessableEntity"),
    (423, "Locked"),
    (424, "FailedDependency"),
    (428, "PreconditionRequired"),
    (429, "TooManyRequests"),
    (431, "RequestHeaderFieldsTooLarge"),
    (451, "UnavailableForLegalReasons"),
    (500, "InternalServerError"),
    (501, "NotImplemented"),
    (502, "BadGateway"),
    (503, "ServiceUnavailable"),
    (504, "GatewayTimeout"),
    (505, "HTTPVersionNotSupported"),
]


def _error_records(caplog: pytest.LogCaptureFixture, app: MicroFlask) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == app.logger.name and r.levelno >= logging.ERROR]


# -- the exception classes ------------------------------------------------------------------


@pytest.mark.parametrize(("code", "name"), WERKZEUG_NAMES)
def test_exception_classes_have_werkzeug_names_and_codes(code: int, name: str) -> None:
    phrase = HTTPStatus(code).phrase
    cls = getattr(exc, name)
    assert issubclass(cls, HTTPException)
    assert issubclass(cls, Exception)
    assert cls.code == code
    assert exc.default_exceptions[code] is cls
    error = cls()
    assert error.code == code
    assert error.name == phrase
    assert isinstance(error.description, str) and error.description
    assert str(error).startswith(f"{code} {phrase}")


def test_http_exception_is_reexported() -> None:
    assert microflask.HTTPException is exc.HTTPException


def test_description_overrides_default() -> None:
    error = exc.NotFound("no such user")
    assert error.description == "no such user"
    assert exc.NotFound().description != "no such user"


def test_method_not_allowed_carries_allow_header() -> None:
    error = exc.MethodNotAllowed(["POST", "GET"])
    assert error.get_headers() == {"Allow": "GET, POST"}
    assert exc.MethodNotAllowed().get_headers() == {}


def test_bad_request_key_error_is_also_a_key_error() -> None:
    error = exc.BadRequestKeyError("name")
    assert isinstance(error, exc.BadRequest)
    assert isinstance(error, KeyError)
    assert error.code == 400


# -- abort ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("code", "name"), WERKZEUG_NAMES)
def test_abort_raises_the_class_for_the_code(code: int, name: str) -> None:
    with pytest.raises(getattr(exc, name)) as info:
        abort(code)
    assert info.value.code == code


def test_abort_with_description() -> None:
    with pytest.raises(exc.Forbidden) as info:
        abort(403, "members only")
    assert info.value.description == "members only"


@pytest.mark.parametrize("code", [200, 302, 399, 499, 600, 999])
def test_abort_unknown_code_raises_lookup_error(code: int) -> None:
    with pytest.raises(LookupError):
        abort(code)


@pytest.mark.parametrize("code", [400, 401, 403, 404, 409, 410, 418, 422, 429, 500, 501, 503])
def test_abort_in_view_sends_status_and_default_page(code: int) -> None:
    app = MicroFlask(__name__)

    @app.route("/")
    async def index() -> str:
        abort(code)

    with app.test_client() as client:
        r = client.get("/")
    assert r.status_code == code
    phrase = exc.default_exceptions[code]().name
    assert f"<title>{code} {phrase}</title>".replace("'", "&#x27;") in r.text
    assert r.headers["content-type"].startswith("text/html")


def test_abort_description_shown_escaped_in_page() -> None:
    app = MicroFlask(__name__)

    @app.route("/")
    async def index() -> str:
        abort(400, "The field <b>name</b> is required")

    with app.test_client() as client:
        r = client.get("/")
    assert r.status_code == 400
    assert "The field &lt;b&gt;name&lt;/b&gt; is required" in r.text
    assert "<b>name</b>" not in r.text


def test_abort_description_in_sync_view() -> None:
    app = MicroFlask(__name__)

    @app.route("/")
    def index() -> str:
        abort(409, "already exists")

    with app.test_client() as client:
        r = client.get("/")
    assert r.status_code == 409
    assert "already exists" in r.text


def test_abort_with_response_sends_it_as_is() -> None:
    app = MicroFlask(__name__)

    @app.route("/")
    async def index() -> str:
        abort(Response("custom body", 418, headers={"X-Why": "teapot"}))

    with app.test_client() as client:
        r = client.get("/")
    assert r.status_code == 418
    assert r.text == "custom body"
    assert r.headers["x-why"] == "teapot"


def test_abort_with_response_in_before_request() -> None:
    app = MicroFlask(__name__)

    @app.before_request
    async def guard() -> None:
        if "token" not in request.args:
            abort(Response("need a token", 401))

    @app.route("/")
    async def index() -> str:
        return "secret"

    with app.test_client() as client:
        assert client.get("/").text == "need a token"
        assert client.get("/").status_code == 401
        assert client.get("/?token=1").text == "secret"


def test_raising_http_exception_class_directly() -> None:
    app = MicroFlask(__name__)

    @app.route("/")
    async def index() -> str:
        raise exc.Gone("moved away for good")

    with app.test_client() as client:
        r = client.get("/")
    assert r.status_code == 410
    assert "moved away for good" in r.text


def test_custom_http_exception_subclass() -> None:
    class PaymentRequired(HTTPException):
        code = 402
        description = "Pay first."

    app = MicroFlask(__name__)

    @app.route("/")
    async def index() -> str:
        raise PaymentRequired()

    with app.test_client() as client:
        r = client.get("/")
    assert r.status_code == 402
    assert "Payment Required" in r.text
    assert "Pay first." in r.text


# -- default error pages ------------------------------------------------------------------------


def test_default_404_page_is_short_html() -> None:
    app = MicroFlask(__name__)
    with app.test_client() as client:
        r = client.get("/nowhere")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("text/html")
    assert "<title>404 Not Found</title>" in r.text
    assert "<h1>Not Found</h1>" in r.text
    assert exc.NotFound.description in r.text
    assert len(r.data) < 1000


def test_default_405_page_has_allow_header() -> None:
    app = MicroFlask(__name__)

    @app.route("/only-get")
    async def only_get() -> str:
        return "ok"

    with app.test_client() as client:
        r = client.post("/only-get")
    assert r.status_code == 405
    assert "GET" in [m.strip() for m in r.headers["allow"].split(",")]
    assert "POST" not in r.headers["allow"]
    assert "<title>405 Method Not Allowed</title>" in r.text


def test_default_error_page_json_when_client_accepts_json() -> None:
    app = MicroFlask(__name__)

    @app.route("/forbidden")
    async def forbidden() -> str:
        abort(403, "not yours")

    with app.test_client() as client:
        r = client.get("/nowhere", headers={"Accept": "application/json"})
        assert r.status_code == 404
        assert r.headers["content-type"].startswith("application/json")
        assert r.json == {"code": 404, "name": "Not Found", "description": exc.NotFound.description}

        r = client.get("/forbidden", headers={"Accept": "application/json"})
        assert r.status_code == 403
        assert r.get_json() == {"code": 403, "name": "Forbidden", "description": "not yours"}


def test_default_error_page_html_when_client_prefers_html() -> None:
    app = MicroFlask(__name__)
    with app.test_client() as client:
        r = client.get("/nowhere", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("text/html")


@pytest.mark.anyio
async def test_default_error_pages_async_client() -> None:
    app = MicroFlask(__name__)
    async with app.async_test_client() as client:
        r = await client.get("/nowhere")
        assert r.status_code == 404
        assert "<h1>Not Found</h1>" in r.text
        r = await client.get("/nowhere", headers={"Accept": "application/json"})
        assert r.json["code"] == 404


def test_malformed_json_is_400_not_500() -> None:
    app = MicroFlask(__name__)

    @app.route("/", methods=["POST"])
    async def index() -> Any:
        return await request.get_json()

    with app.test_client() as client:
        r = client.post("/", content=b"{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 400


def test_missing_query_arg_is_400() -> None:
    app = MicroFlask(__name__)

    @app.route("/")
    async def index() -> str:
        return request.args["name"]

    with app.test_client() as client:
        assert client.get("/?name=x").text == "x"
        assert client.get("/").status_code == 400


def test_body_over_max_content_length_is_413() -> None:
    app = MicroFlask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = 10

    @app.route("/", methods=["POST"])
    async def index() -> str:
        data = await request.get_data()
        return str(len(data))

    with app.test_client() as client:
        assert client.post("/", content=b"x" * 10).text == "10"
        r = client.post("/", content=b"x" * 100)
    assert r.status_code == 413


# -- error handlers -------------------------------------------------------------------------------


def test_errorhandler_by_code_for_routing_404() -> None:
    app = MicroFlask(__name__)

    @app.errorhandler(404)
    async def not_found(e: HTTPException) -> Any:
        assert isinstance(e, exc.NotFound)
        return f"custom 404 for {request.path}", 404

    with app.test_client() as client:
        r = client.get("/missing")
    assert r.status_code == 404
    assert r.text == "custom 404 for /missing"


def test_errorhandler_by_code_for_abort_sync_handler() -> None:
    app = MicroFlask(__name__)

    @app.errorhandler(403)
    def forbidden(e: HTTPException) -> Any:
        return {"error": e.description}, 403

    @app.route("/")
    async def index() -> str:
        abort(403, "nope")

    with app.test_client() as client:
        r = client.get("/")
    assert r.status_code == 403
    assert r.json == {"error": "nope"}


def test_errorhandler_by_http_exception_class() -> None:
    app = MicroFlask(__name__)

    @app.errorhandler(exc.NotFound)
    async def not_found(e: exc.NotFound) -> Any:
        return "handled", 404

    with app.test_client() as client:
        r = client.get("/missing")
    assert (r.status_code, r.text) == (404, "handled")


def test_errorhandler_for_code_catches_subclass_of_that_error() -> None:
    class UserNotFound(exc.NotFound):
        description = "no such user"

    app = MicroFlask(__name__)

    @app.errorhandler(404)
    async def not_found(e: exc.NotFound) -> Any:
        return f"{type(e).__name__}: {e.description}", 404

    @app.route("/user")
    async def user() -> str:
        raise UserNotFound()

    with app.test_client() as client:
        assert client.get("/user").text == "UserNotFound: no such user"


def test_errorhandler_by_exception_class() -> None:
    app = MicroFlask(__name__)

    @app.errorhandler(ValueError)
    async def bad_value(e: ValueError) -> Any:
        return f"bad value: {e}", 422

    @app.route("/")
    async def index() -> str:
        raise ValueError("seven")

    with app.test_client() as client:
        r = client.get("/")
    assert r.status_code == 422
    assert r.text == "bad value: seven"


def test_errorhandler_for_exception_raised_in_sync_view() -> None:
    app = MicroFlask(__name__)

    @app.errorhandler(ValueError)
    def bad_value(e: ValueError) -> Any:
        return f"bad value: {e}", 400

    @app.route("/")
    def index() -> str:
        raise ValueError("sync")

    with app.test_client() as client:
        r = client.get("/")
    assert (r.status_code, r.text) == (400, "bad value: sync")


def test_most_specific_handler_wins() -> None:
    app = MicroFlask(__name__)

    @app.errorhandler(LookupError)
    async def lookup(e: LookupError) -> Any:
        return "lookup", 400

    @app.errorhandler(KeyError)
    async def key(e: KeyError) -> Any:
        return "key", 400

    @app.route("/key")
    async def raise_key() -> str:
        raise KeyError("k")

    @app.route("/index")
    async def raise_index() -> str:
        raise IndexError("i")

    with app.test_client() as client:
        assert client.get("/key").text == "key"
        assert client.get("/index").text == "lookup"


def test_most_specific_handler_wins_regardless_of_registration_order() -> None:
    app = MicroFlask(__name__)

    @app.errorhandler(KeyError)
    async def key(e: KeyError) -> Any:
        return "key", 400

    @app.errorhandler(LookupError)
    async def lookup(e: LookupError) -> Any:
        return "lookup", 400

    @app.errorhandler(Exception)
    async def anything(e: Exception) -> Any:
        return "exception", 500

    @app.route("/<kind>")
    async def raise_it(kind: str) -> str:
        raise {"key": KeyError, "index": IndexError, "type": TypeError}[kind]()

    with app.test_client() as client:
        assert client.get("/key").text == "key"
        assert client.get("/index").text == "lookup"
        assert client.get("/type").text == "exception"


def test_http_exception_handler_catches_all_http_errors() -> None:
    app = MicroFlask(__name__)

    @app.errorhandler(HTTPException)
    async def any_http(e: HTTPException) -> Any:
        return {"code": e.code, "kind": type(e).__name__}, e.code

    @app.route("/forbidden")
    async def forbidden() -> str:
        abort(403)

    @app.route("/get-only")
    async def get_only() -> str:
        return "ok"

    with app.test_client() as client:
        r = client.get("/missing")
        assert (r.status_code, r.json) == (404, {"code": 404, "kind": "NotFound"})
        r = client.get("/forbidden")
        assert (r.status_code, r.json) == (403, {"code": 403, "kind": "Forbidden"})
        r = client.delete("/get-only")
        assert (r.status_code, r.json) == (405, {"code": 405, "kind": "MethodNotAllowed"})
        assert client.get("/get-only").text == "ok"


def test_http_exception_handler_gets_500_for_unhandled_exceptions(caplog: pytest.LogCaptureFixture) -> None:
    # As in Flask: the InternalServerError wrapping an unhandled error is an HTTPException too.
    app = MicroFlask(__name__)
    seen: list[HTTPException] = []

    @app.errorhandler(HTTPException)
    async def any_http(e: HTTPException) -> Any:
        seen.append(e)
        return "http handler", e.code

    @app.route("/")
    async def index() -> str:
        raise RuntimeError("not http")

    with caplog.at_level(logging.ERROR), app.test_client() as client:
        r = client.get("/")
    assert (r.status_code, r.text) == (500, "http handler")
    (error,) = seen
    assert isinstance(error, exc.InternalServerError)
    assert isinstance(error.original_exception, RuntimeError)
    assert len(_error_records(caplog, app)) == 1


def test_code_handler_preferred_over_http_exception_handler() -> None:
    app = MicroFlask(__name__)

    @app.errorhandler(HTTPException)
    async def any_http(e: HTTPException) -> Any:
        return "generic", e.code

    @app.errorhandler(404)
    async def not_found(e: HTTPException) -> Any:
        return "specific", 404

    with app.test_client() as client:
        assert client.get("/missing").text == "specific"


def test_handler_return_values() -> None:
    app = MicroFlask(__name__)

    @app.errorhandler(400)
    async def h400(e: HTTPException) -> Any:
        return "body only"

    @app.errorhandler(401)
    async def h401(e: HTTPException) -> Any:
        return "with headers", 401, {"WWW-Authenticate": 'Basic realm="x"'}

    @app.errorhandler(403)
    async def h403(e: HTTPException) -> Any:
        return Response("a response", 403, mimetype="text/plain")

    @app.errorhandler(409)
    async def h409(e: HTTPException) -> Any:
        return {"conflict": True}, 409

    @app.errorhandler(410)
    async def h410(e: HTTPException) -> Any:
        return e  # the error itself: its default page

    @app.route("/<int:code>")
    async def index(code: int) -> str:
        abort(code)

    with app.test_client() as client:
        r = client.get("/400")
        assert (r.status_code, r.text) == (200, "body only")
        r = client.get("/401")
        assert (r.status_code, r.text) == (401, "with headers")
        assert r.headers["www-authenticate"] == 'Basic realm="x"'
        r = client.get("/403")
        assert (r.status_code, r.text) == (403, "a response")
        assert r.headers["content-type"].startswith("text/plain")
        r = client.get("/409")
        assert (r.status_code, r.json) == (409, {"conflict": True})
        r = client.get("/410")
        assert r.status_code == 410
        assert "<title>410 Gone</title>" in r.text


def test_register_error_handler_non_decorator() -> None:
    app = MicroFlask(__name__)

    async def handler(e: Exception) -> Any:
        return "registered", 400

    app.register_error_handler(ZeroDivisionError, handler)

    @app.route("/")
    async def index() -> str:
        return str(1 / 0)

    with app.test_client() as client:
        assert client.get("/").text == "registered"


def test_errorhandler_registration_errors() -> None:
    app = MicroFlask(__name__)

    def handler(e: Exception) -> str:
        return "x"

    with pytest.raises(ValueError, match="999"):
        app.errorhandler(999)(handler)
    with pytest.raises(TypeError):
        app.register_error_handler(ValueError(), handler)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        app.register_error_handler(int, handler)  # type: ignore[arg-type]


def test_error_in_before_request_goes_to_handler() -> None:
    app = MicroFlask(__name__)

    @app.before_request
    async def check() -> None:
        raise PermissionError("blocked")

    @app.errorhandler(PermissionError)
    async def denied(e: PermissionError) -> Any:
        return f"denied: {e}", 403

    @app.route("/")
    async def index() -> str:
        return "never"

    with app.test_client() as client:
        r = client.get("/")
    assert (r.status_code, r.text) == (403, "denied: blocked")


# -- unhandled exceptions -----------------------------------------------------------------------


def _boom_app() -> MicroFlask:
    app = MicroFlask(__name__)

    @app.route("/boom")
    async def boom() -> str:
        raise ValueError("kaboom <script>alert(1)</script>")

    @app.route("/sync-boom")
    def sync_boom() -> str:
        raise ValueError("sync kaboom")

    return app


def test_unhandled_exception_is_500_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    app = _boom_app()
    with caplog.at_level(logging.ERROR), app.test_client() as client:
        r = client.get("/boom")
    assert r.status_code == 500
    assert "<title>500 Internal Server Error</title>" in r.text
    records = _error_records(caplog, app)
    assert len(records) == 1
    record = records[0]
    assert record.exc_info is not None
    assert record.exc_info[0] is ValueError
    assert "/boom" in record.getMessage()
    assert "Traceback" in caplog.text
    assert "kaboom" in caplog.text


def test_unhandled_exception_in_sync_view_is_500_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    app = _boom_app()
    with caplog.at_level(logging.ERROR), app.test_client() as client:
        r = client.get("/sync-boom")
    assert r.status_code == 500
    records = _error_records(caplog, app)
    assert len(records) == 1
    assert records[0].exc_info is not None and records[0].exc_info[0] is ValueError


@pytest.mark.anyio
async def test_unhandled_exception_async_client(caplog: pytest.LogCaptureFixture) -> None:
    app = _boom_app()
    with caplog.at_level(logging.ERROR):
        async with app.async_test_client() as client:
            r = await client.get("/boom")
    assert r.status_code == 500
    assert len(_error_records(caplog, app)) == 1


def test_no_traceback_in_500_page_without_debug(caplog: pytest.LogCaptureFixture) -> None:
    app = _boom_app()
    assert app.config["DEBUG"] is False
    with caplog.at_level(logging.ERROR), app.test_client() as client:
        r = client.get("/boom")
        r_sync = client.get("/sync-boom")
        r_json = client.get("/boom", headers={"Accept": "application/json"})
    for response in (r, r_sync, r_json):
        assert response.status_code == 500
        assert "Traceback" not in response.text
        assert "kaboom" not in response.text
        assert "ValueError" not in response.text
        assert "test_errors.py" not in response.text
    assert r_json.json == {
        "code": 500,
        "name": "Internal Server Error",
        "description": exc.InternalServerError.description,
    }


def test_traceback_in_500_page_with_debug_is_escaped(caplog: pytest.LogCaptureFixture) -> None:
    app = _boom_app()
    app.config["DEBUG"] = True
    with caplog.at_level(logging.ERROR), app.test_client(raise_server_exceptions=False) as client:
        r = client.get("/boom")
    assert r.status_code == 500
    assert "Traceback" in r.text
    assert "ValueError: kaboom &lt;script&gt;alert(1)&lt;/script&gt;" in r.text
    assert "<script>" not in r.text
    assert "test_errors.py" in r.text


@pytest.mark.parametrize("debug", [False, True])
def test_no_config_values_or_secrets_in_500_page(caplog: pytest.LogCaptureFixture, debug: bool) -> None:
    app = MicroFlask(__name__)
    app.config.update(
        DEBUG=debug,
        SECRET_KEY="s3cr3t-signing-key-value",
        DATABASE_URL="postgresql://admin:hunter2-password@db.internal/prod",
    )

    @app.route("/")
    async def index() -> str:
        raise RuntimeError("database unreachable")

    # Under DEBUG the error also propagates (as Flask): look at the page that went out.
    with caplog.at_level(logging.ERROR), app.test_client(raise_server_exceptions=False) as client:
        r = client.get("/")
    assert r.status_code == 500
    for secret in ("s3cr3t-signing-key-value", "hunter2-password", "db.internal", "SECRET_KEY", "DATABASE_URL"):
        assert secret not in r.text


def test_error_handler_that_raises_gives_plain_500(caplog: pytest.LogCaptureFixture) -> None:
    app = MicroFlask(__name__)

    @app.errorhandler(ValueError)
    async def broken(e: ValueError) -> Any:
        raise RuntimeError("handler broke")

    @app.errorhandler(404)
    def broken_404(e: HTTPException) -> Any:
        raise RuntimeError("404 handler broke")

    @app.route("/")
    async def index() -> str:
        raise ValueError("original")

    with caplog.at_level(logging.ERROR), app.test_client() as client:
        r = client.get("/")
        r404 = client.get("/missing")
    for response in (r, r404):
        assert response.status_code == 500
        assert "<title>500 Internal Server Error</title>" in response.text
        assert "broke" not in response.text
    assert len(_error_records(caplog, app)) == 2


def test_500_handler_that_raises_gives_plain_500(caplog: pytest.LogCaptureFixture) -> None:
    app = MicroFlask(__name__)

    @app.errorhandler(500)
    async def broken(e: HTTPException) -> Any:
        raise RuntimeError("500 handler broke")

    @app.route("/")
    async def index() -> str:
        raise ValueError("original")

    with caplog.at_level(logging.ERROR), app.test_client() as client:
        r = client.get("/")
    assert r.status_code == 500
    assert "<title>500 Internal Server Error</title>" in r.text
    assert "broke" not in r.text
    assert "500 handler broke" in caplog.text


@pytest.mark.parametrize("key", [500, exc.InternalServerError])
def test_500_handler_gets_original_exception(caplog: pytest.LogCaptureFixture, key: Any) -> None:
    app = MicroFlask(__name__)
    seen: list[Any] = []

    @app.errorhandler(key)
    async def server_error(e: exc.InternalServerError) -> Any:
        seen.append(e)
        return f"sorry: {type(e.original_exception).__name__}", 500

    @app.route("/")
    async def index() -> str:
        raise KeyError("missing")

    with caplog.at_level(logging.ERROR), app.test_client() as client:
        r = client.get("/")
    assert (r.status_code, r.text) == (500, "sorry: KeyError")
    (error,) = seen
    assert isinstance(error, exc.InternalServerError)
    assert isinstance(error.original_exception, KeyError)
    assert error.original_exception.args == ("missing",)
    # the unhandled error is still logged
    assert len(_error_records(caplog, app)) == 1


def test_500_handler_sync_function_and_abort_500() -> None:
    app = MicroFlask(__name__)
    seen: list[Any] = []

    @app.errorhandler(500)
    def server_error(e: exc.InternalServerError) -> Any:
        seen.append(e)
        return "custom 500", 500

    @app.route("/")
    async def index() -> str:
        abort(500)

    with app.test_client() as client:
        r = client.get("/")
    assert (r.status_code, r.text) == (500, "custom 500")
    assert isinstance(seen[0], exc.InternalServerError)
    assert seen[0].original_exception is None


def test_specific_handler_preferred_over_500_handler(caplog: pytest.LogCaptureFixture) -> None:
    app = MicroFlask(__name__)

    @app.errorhandler(500)
    async def server_error(e: HTTPException) -> Any:
        return "500 handler", 500

    @app.errorhandler(ValueError)
    async def value_error(e: ValueError) -> Any:
        return "value handler", 400

    @app.route("/value")
    async def value() -> str:
        raise ValueError()

    @app.route("/type")
    async def type_() -> str:
        raise TypeError()

    with caplog.at_level(logging.ERROR), app.test_client() as client:
        assert client.get("/value").text == "value handler"
        assert client.get("/type").text == "500 handler"


# -- propagation -----------------------------------------------------------------------------


@pytest.mark.parametrize("config", [{"PROPAGATE_EXCEPTIONS": True}, {"TESTING": True}])
def test_propagate_exceptions_reach_sync_client(config: dict[str, Any]) -> None:
    app = _boom_app()
    app.config.update(config)
    with app.test_client() as client, pytest.raises(ValueError, match="kaboom"):
        client.get("/boom")


@pytest.mark.anyio
@pytest.mark.parametrize("config", [{"PROPAGATE_EXCEPTIONS": True}, {"TESTING": True}])
async def test_propagate_exceptions_reach_async_client(config: dict[str, Any]) -> None:
    app = _boom_app()
    app.config.update(config)
    async with app.async_test_client() as client:
        with pytest.raises(ValueError, match="kaboom"):
            await client.get("/boom")


def test_propagate_exception_from_sync_view_is_the_original_exception() -> None:
    app = _boom_app()
    app.config["TESTING"] = True
    with app.test_client() as client, pytest.raises(ValueError, match="sync kaboom"):
        client.get("/sync-boom")


@pytest.mark.anyio
async def test_propagate_exception_from_sync_view_async_client() -> None:
    app = _boom_app()
    app.config["PROPAGATE_EXCEPTIONS"] = True
    async with app.async_test_client() as client:
        with pytest.raises(ValueError, match="sync kaboom"):
            await client.get("/sync-boom")


def test_propagate_false_overrides_testing(caplog: pytest.LogCaptureFixture) -> None:
    app = _boom_app()
    app.config.update(TESTING=True, PROPAGATE_EXCEPTIONS=False)
    with caplog.at_level(logging.ERROR), app.test_client() as client:
        assert client.get("/boom").status_code == 500


def test_http_exceptions_are_not_propagated_when_testing() -> None:
    app = MicroFlask(__name__)
    app.config["TESTING"] = True

    @app.route("/")
    async def index() -> str:
        abort(403)

    with app.test_client() as client:
        assert client.get("/").status_code == 403
        assert client.get("/missing").status_code == 404


def test_handled_exceptions_are_not_propagated_when_testing() -> None:
    app = MicroFlask(__name__)
    app.config["TESTING"] = True

    @app.errorhandler(ValueError)
    async def handled(e: ValueError) -> Any:
        return "handled", 400

    @app.route("/")
    async def index() -> str:
        raise ValueError()

    with app.test_client() as client:
        assert client.get("/").text == "handled"
