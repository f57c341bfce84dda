"""Sentry's SDK as its Flask docs show it: ``sentry_sdk.init(dsn=...)``, which finds Flask
installed and sets up its Flask integration. That integration wraps Flask's WSGI entry
(``Flask.__call__``); here the wrapper is refused (microflask serves ASGI, see
microflask/appclass.py) and the app keeps serving, while the integration's signal receivers
report errors with the request's body and endpoint; in def and async def views. Events go to a
transport of the test's own: nothing leaves the process."""

# isort: off
import microflask.flask_patch  # noqa: F401  (first: from here on, flask is microflask)

# isort: on
import logging
from collections.abc import Iterator
from typing import Any

import pytest
import sentry_sdk
from flask import Flask, request
from sentry_sdk.integrations.asgi import SentryAsgiMiddleware
from sentry_sdk.transport import Transport

EVENTS: list[dict[str, Any]] = []


class KeptEvents(Transport):
    def capture_envelope(self, envelope: Any) -> None:
        for item in envelope.items:  # errors and, with tracing on, transactions
            if item.headers.get("type") in ("event", "transaction"):
                EVENTS.append(item.payload.json)


class KeptRecords(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def init_sentry() -> None:
    sentry_sdk.init(dsn="http://public@127.0.0.1:9/1", transport=KeptEvents(), default_integrations=True)


# The integrations set themselves up once per process, at the first init: what they logged then.
SETUP_LOG = KeptRecords()
logging.getLogger("microflask").addHandler(SETUP_LOG)
init_sentry()
logging.getLogger("microflask").removeHandler(SETUP_LOG)


@pytest.fixture(autouse=True)
def sentry() -> Iterator[None]:
    EVENTS.clear()
    init_sentry()
    yield
    sentry_sdk.get_client().close()


def make_app(kind: str) -> Flask:
    app = Flask(__name__)

    if kind == "def":

        @app.post("/orders")
        def order() -> Any:
            if request.json.get("qty", 0) < 1:
                raise ValueError("no quantity")
            return {"ok": True}

    else:

        @app.post("/orders")
        async def order() -> Any:
            data = await request.get_json()
            if data.get("qty", 0) < 1:
                raise ValueError("no quantity")
            return {"ok": True}

    return app


@pytest.fixture(params=["def", "async"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_the_app_serves_and_errors_are_reported(kind: str) -> None:
    assert "flask" in sentry_sdk.get_client().integrations  # Sentry took microflask for Flask
    assert any("replaced MicroFlask.__call__ with a WSGI wrapper" in m for m in SETUP_LOG.messages)
    assert Flask.__call__.__module__ == "microflask.app"  # the ASGI entry stayed
    client = make_app(kind).test_client()
    assert client.post("/orders", json={"qty": 2}).json == {"ok": True}
    assert EVENTS == []
    assert client.post("/orders", json={"qty": 0}).status_code == 500
    (event,) = EVENTS
    (exception,) = event["exception"]["values"]
    assert (exception["type"], exception["value"]) == ("ValueError", "no quantity")
    assert exception["mechanism"]["type"] == "flask" and exception["mechanism"]["handled"] is False
    assert event["transaction"] == "order"
    assert event["request"]["data"] == {"qty": 0}


def test_a_handled_error_is_not_reported(kind: str) -> None:
    app = make_app(kind)

    @app.errorhandler(ValueError)
    def bad_order(e: ValueError) -> tuple[dict[str, str], int]:
        return {"error": str(e)}, 400

    assert app.test_client().post("/orders", json={}).json == {"error": "no quantity"}
    assert EVENTS == []


def test_its_asgi_middleware_adds_transactions_with_the_request(kind: str) -> None:
    """What the refused WSGI wrapper did, done by Sentry's ASGI middleware (as documented)."""
    sentry_sdk.init(dsn="http://public@127.0.0.1:9/1", transport=KeptEvents(), traces_sample_rate=1.0)
    app = make_app(kind)
    app.add_middleware(SentryAsgiMiddleware)
    client = app.test_client()
    assert client.post("/orders", json={"qty": 1}).json == {"ok": True}
    assert client.post("/orders", json={"qty": 0}).status_code == 500
    sentry_sdk.flush()
    (error,) = [e for e in EVENTS if e.get("type") != "transaction"]
    transactions = [e for e in EVENTS if e.get("type") == "transaction"]
    assert [t["transaction"] for t in transactions] == ["order", "order"]
    assert error["request"]["url"] == "http://localhost/orders" and error["request"]["method"] == "POST"
    assert error["request"]["data"] == {"qty": 0}
