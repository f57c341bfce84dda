"""Production serving: a real ``uvicorn`` process on 127.0.0.1, lifespan and graceful shutdown.

Every wait is bounded (``DEADLINE``) and waits on an event (a log line, a response), never on
a sleep. The slow view waits for a file the test creates; polling for it is the app's job.
"""

from __future__ import annotations

import http.client
import signal
from pathlib import Path

import pytest
from subprocess_server import CLEAN_EXIT, DEADLINE, ServerProcess, free_port, get, python

APP = """
import os
import sys
from pathlib import Path

import anyio

from microflask import MicroFlask

HERE = Path(__file__).parent
app = MicroFlask(__name__)


@app.before_serving
async def started():
    (HERE / f"before_serving-{os.getpid()}").write_text("ran")


@app.after_serving
async def stopped():
    (HERE / f"after_serving-{os.getpid()}").write_text("ran")


@app.route("/")
async def index():
    return {"pid": os.getpid()}


@app.route("/slow")
async def slow():
    print("SLOW-STARTED", file=sys.stderr, flush=True)
    with anyio.fail_after(20):  # the test releases it long before
        while not (HERE / "release").exists():
            await anyio.sleep(0.01)
    return "released"
"""

FACTORY = """
from microflask import MicroFlask


def create_app(greeting="hello from the factory"):
    app = MicroFlask(__name__)

    @app.route("/")
    async def index():
        return greeting

    return app
"""


@pytest.fixture
def app_dir(tmp_path: Path) -> Path:
    (tmp_path / "prodapp.py").write_text(APP)
    (tmp_path / "factory.py").write_text(FACTORY)
    return tmp_path


def uvicorn(app_dir: Path, port: int, *args: str) -> ServerProcess:
    return ServerProcess(python("-m", "uvicorn", *args, "--host", "127.0.0.1", "--port", str(port)), app_dir)


def assert_no_errors(server: ServerProcess) -> None:
    assert "Traceback" not in server.output
    assert "ERROR" not in server.output


def test_sigterm_lets_the_request_in_flight_finish(app_dir: Path) -> None:
    port = free_port()
    with uvicorn(app_dir, port, "prodapp:app") as server:
        server.wait_for("Uvicorn running on")  # logged once the socket listens, after startup
        assert len(list(app_dir.glob("before_serving-*"))) == 1
        assert get(port, "/")[0] == 200

        slow = http.client.HTTPConnection("127.0.0.1", port, timeout=DEADLINE)
        slow.request("GET", "/slow")
        server.wait_for("SLOW-STARTED")  # the request is in the view now
        server.proc.send_signal(signal.SIGTERM)
        server.wait_for("Shutting down")  # the signal was handled...
        server.wait_for("Waiting for connections to close")  # ...and the server waits for our request
        assert not list(app_dir.glob("after_serving-*"))  # the shutdown has not run yet

        (app_dir / "release").touch()
        response = slow.getresponse()
        assert (response.status, response.read()) == (200, b"released")
        slow.close()

        assert server.stop() in CLEAN_EXIT
        assert "Application shutdown complete" in server.output
        assert len(list(app_dir.glob("after_serving-*"))) == 1
        assert_no_errors(server)


def test_workers(app_dir: Path) -> None:
    port = free_port()
    with uvicorn(app_dir, port, "prodapp:app", "--workers", "2") as server:
        server.wait_for("Uvicorn running on")  # the supervisor listens, then starts the workers
        server.wait_for("Application startup complete")
        server.wait_for("Application startup complete")
        server.wait_listening(port)  # a worker listens (on the supervisor's socket) after its startup
        status, body = get(port, "/")
        assert status == 200 and b'"pid"' in body
        assert len(list(app_dir.glob("before_serving-*"))) == 2

        assert server.stop() in CLEAN_EXIT
        assert server.output.count("Application shutdown complete") == 2
        assert len(list(app_dir.glob("after_serving-*"))) == 2
        assert_no_errors(server)


def test_factory(app_dir: Path) -> None:
    port = free_port()
    with uvicorn(app_dir, port, "--factory", "factory:create_app") as server:
        server.wait_for("Uvicorn running on")
        assert get(port, "/") == (200, b"hello from the factory")
        assert server.stop() in CLEAN_EXIT
        assert_no_errors(server)
