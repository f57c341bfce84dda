"""Graceful shutdown under a real ``uvicorn`` process: SIGTERM with a request in flight and
background tasks pending. The request completes, new connections are refused meanwhile, the
background tasks are awaited (at most ``BACKGROUND_TASK_SHUTDOWN_TIMEOUT`` seconds, then
cancelled), and ``after_serving`` runs last.

The app reports through marker lines appended to a file; the test waits on log lines and
files with deadlines, never on sleeps. The slow parts wait for files the test creates.
"""

from __future__ import annotations

import http.client
import signal
import socket
import threading
import time
from pathlib import Path

import pytest
from subprocess_server import DEADLINE, ServerProcess, free_port, python

APP = """
import sys
from pathlib import Path

import anyio

from microflask import MicroFlask, current_app

HERE = Path(__file__).parent
EVENTS = HERE / "events.log"
app = MicroFlask(__name__)
app.config["BACKGROUND_TASK_SHUTDOWN_TIMEOUT"] = 1


def event(text):
    with EVENTS.open("a") as f:
        f.write(text + "\\n")


async def wait_for_file(name):
    with anyio.fail_after(30):  # the test creates it long before
        while not (HERE / name).exists():
            await anyio.sleep(0.01)


@app.after_serving
async def stopped():
    event("after_serving")


@app.route("/")
async def index():
    return "ok"


async def patient_task():
    event("patient task started")
    await wait_for_file("release-task")
    event("patient task done")


async def stuck_task():
    event("stuck task started")
    try:
        await anyio.sleep_forever()
    finally:
        event("stuck task cancelled")


@app.route("/slow")
async def slow():
    current_app.add_background_task(patient_task)
    print("SLOW-STARTED", file=sys.stderr, flush=True)
    await wait_for_file("release-request")
    event("slow request done")
    return "released"


@app.route("/stuck")
async def stuck():
    current_app.add_background_task(stuck_task)
    return "task queued"
"""

#: Uvicorn re-raises the SIGTERM it handled once its graceful shutdown is complete (-15);
#: older versions exit 0. Both are a clean exit.
CLEAN_EXIT = (0, -signal.SIGTERM)


def get(port: int, path: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=DEADLINE)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def events(root: Path) -> list[str]:
    path = root / "events.log"
    return path.read_text().splitlines() if path.exists() else []


def wait_for(condition: object, what: str, timeout: float = DEADLINE) -> None:
    end = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > end:
            raise AssertionError(f"{what} not within {timeout} s")
        time.sleep(0.01)


def refused(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return False
    except ConnectionRefusedError:
        return True


@pytest.fixture
def app_dir(tmp_path: Path) -> Path:
    (tmp_path / "app.py").write_text(APP)
    return tmp_path


def start(app_dir: Path) -> tuple[ServerProcess, int]:
    port = free_port()
    server = ServerProcess(
        python(
            "-m", "uvicorn", "app:app", "--host", "127.0.0.1", "--port", str(port), "--timeout-graceful-shutdown", "20"
        ),
        cwd=app_dir,
    )
    server.wait_for("Uvicorn running on")  # logged once the socket listens
    return server, port


def test_sigterm_finishes_the_request_in_flight_awaits_background_tasks_then_after_serving(app_dir: Path) -> None:
    server, port = start(app_dir)
    with server:
        assert get(port, "/") == (200, b"ok")
        result: dict[str, object] = {}

        def in_flight() -> None:
            try:
                result["response"] = get(port, "/slow")
            except Exception as e:  # reported by the assertion below
                result["error"] = e

        client = threading.Thread(target=in_flight)
        client.start()
        server.wait_for("SLOW-STARTED")

        server.proc.send_signal(signal.SIGTERM)
        server.wait_for("Shutting down")
        # Draining: the request is still in flight, and new connections are refused.
        wait_for(lambda: refused(port), "refusing new connections")
        assert "response" not in result and "error" not in result
        assert "after_serving" not in events(app_dir)

        (app_dir / "release-request").touch()
        client.join(DEADLINE)
        assert result.get("response") == (200, b"released"), result
        # The response went out; its background task is awaited before after_serving.
        wait_for(lambda: "patient task started" in events(app_dir), "the background task to start")
        assert "after_serving" not in events(app_dir)
        assert server.proc.poll() is None  # still shutting down: waiting for the task
        (app_dir / "release-task").touch()
        code = server.stop(timeout=DEADLINE)

    assert code in CLEAN_EXIT, server.output
    assert events(app_dir) == ["slow request done", "patient task started", "patient task done", "after_serving"]
    assert "Traceback" not in server.output
    assert "cancelled" not in server.output


def test_sigterm_cancels_background_tasks_past_the_shutdown_timeout_before_after_serving(app_dir: Path) -> None:
    server, port = start(app_dir)
    with server:
        assert get(port, "/stuck") == (200, b"task queued")
        wait_for(lambda: "stuck task started" in events(app_dir), "the background task to start")
        started = time.monotonic()
        code = server.stop(timeout=DEADLINE)
        took = time.monotonic() - started

    assert code in CLEAN_EXIT, server.output
    # BACKGROUND_TASK_SHUTDOWN_TIMEOUT is 1 s: the wait is bounded by it, not by the task.
    assert 0.9 <= took < 8, took
    # The task is cancelled (its cleanup done) before after_serving closes what it might use.
    assert events(app_dir) == ["stuck task started", "stuck task cancelled", "after_serving"]
    assert "1 background task(s) still running at shutdown were cancelled" in server.output
    assert "Traceback" not in server.output


def test_sigterm_when_idle_refuses_connections_and_runs_after_serving(app_dir: Path) -> None:
    server, port = start(app_dir)
    with server:
        assert get(port, "/") == (200, b"ok")
        code = server.stop(timeout=DEADLINE)
    assert code in CLEAN_EXIT, server.output
    assert refused(port)
    assert events(app_dir) == ["after_serving"]
