"""The reloader's child is marked as Werkzeug's is: ``microflask run --debug`` (reload on) serves
the app in a child process with ``WERKZEUG_RUN_MAIN=true``, so code that must start once under a
reloader (a scheduler such as Flask-APScheduler's ``start()`` in debug mode, a background thread)
starts in the serving process and not in the reloader's own, which loaded the app first.
``microflask.serving.is_running_from_reloader()`` reads it, as Werkzeug's function does.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from subprocess_server import CLEAN_EXIT, ServerProcess, free_port, get, python

from microflask import MicroFlask
from microflask.discovery import ScriptInfo
from microflask.helpers import get_debug_flag
from microflask.serving import RUN_MAIN, is_running_from_reloader, reloader_child

APP = """\
import os
import sys

from microflask import MicroFlask
from microflask.serving import is_running_from_reloader

# Printed by every process that loads the module: the reloader's own, then its child.
print(f"loaded pid={os.getpid()} run_main={os.environ.get('WERKZEUG_RUN_MAIN')}"
      f" from_reloader={is_running_from_reloader()}", flush=True)

app = MicroFlask(__name__)


@app.get("/")
def index():
    return {"from_reloader": is_running_from_reloader(), "pid": os.getpid()}
"""


@pytest.fixture
def no_run_main(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(RUN_MAIN, "")  # recorded: put back (unset) after the test, even if set meanwhile
    monkeypatch.delenv(RUN_MAIN)


@pytest.mark.usefixtures("no_run_main")
def test_is_running_from_reloader_reads_werkzeugs_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    assert is_running_from_reloader() is False
    monkeypatch.setenv(RUN_MAIN, "true")
    assert is_running_from_reloader() is True
    monkeypatch.setenv(RUN_MAIN, "1")  # Werkzeug's check is for "true" exactly
    assert is_running_from_reloader() is False


@pytest.mark.usefixtures("no_run_main")
def test_reloader_child_sets_it_for_the_block_then_restores(monkeypatch: pytest.MonkeyPatch) -> None:
    with reloader_child():
        assert os.environ[RUN_MAIN] == "true" and is_running_from_reloader()
    assert RUN_MAIN not in os.environ
    monkeypatch.setenv(RUN_MAIN, "before")
    with reloader_child():
        assert os.environ[RUN_MAIN] == "true"
    assert os.environ[RUN_MAIN] == "before"


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[dict[str, Any], str | None]]]:
    """Uvicorn replaced by a recorder of its options and of WERKZEUG_RUN_MAIN while it runs."""
    import uvicorn

    calls: list[tuple[dict[str, Any], str | None]] = []
    monkeypatch.setattr(uvicorn, "run", lambda target, **kw: calls.append((kw, os.environ.get(RUN_MAIN))))
    monkeypatch.setenv("MICROFLASK_APP", "")  # recorded: put back (unset) after the test, even if set meanwhile
    monkeypatch.delenv("MICROFLASK_APP")
    monkeypatch.setenv("MICROFLASK_DEBUG", "")  # recorded: put back (unset) after the test, even if set meanwhile
    monkeypatch.delenv("MICROFLASK_DEBUG")
    monkeypatch.setenv(RUN_MAIN, "")  # recorded: put back (unset) after the test, even if set meanwhile
    monkeypatch.delenv(RUN_MAIN)
    monkeypatch.setattr("microflask.cli._loaded_app", None)
    yield calls


@pytest.mark.parametrize(
    ("args", "reload", "run_main"),
    [
        (["run", "--debug"], True, "true"),  # reload on with debug: the child is marked
        (["run", "--reload"], True, "true"),
        (["run", "--debug", "--no-reload"], False, None),  # one process, no reloader: not marked
        (["run"], False, None),
    ],
)
def test_run_marks_the_reloaders_child_only(
    served: list[tuple[dict[str, Any], str | None]], args: list[str], reload: bool, run_main: str | None
) -> None:
    app = MicroFlask(__name__)
    result = app.test_cli_runner().invoke(args=args, obj=ScriptInfo(app=app, location="web:app"))
    assert result.exit_code == 0, result.output
    [(options, seen)] = served
    assert options["reload"] is reload
    assert seen == run_main  # what the processes Uvicorn starts inherit
    assert RUN_MAIN not in os.environ  # the command's own process is left as it was


def test_run_debug_serves_from_a_marked_child(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(APP)
    port = free_port()
    with ServerProcess(python("-m", "microflask", "run", "--debug", "--port", str(port)), tmp_path) as server:
        server.wait_for("Started reloader process")
        server.wait_for("Application startup complete")  # in the reloader's child
        server.wait_listening(port)
        status, body = get(port, "/")
        assert status == 200 and json.loads(body)["from_reloader"] is True
        assert server.stop() in CLEAN_EXIT
    loads = re.findall(r"loaded pid=(\d+) run_main=(\S+) from_reloader=(\S+)", server.output)
    # The reloader's process loads the app first, unmarked; its child again, marked.
    assert [(run_main, flag) for _, run_main, flag in loads] == [("None", "False"), ("true", "True")]
    assert loads[0][0] != loads[1][0]


SCHEDULER_APP = """\
import microflask.flask_patch  # first: from here on, flask is microflask

from flask import Flask
from flask_apscheduler import APScheduler

app = Flask(__name__)
app.config["SCHEDULER_API_ENABLED"] = True
scheduler = APScheduler()


@scheduler.task("interval", id="hourly", hours=1)
def hourly():
    pass


scheduler.init_app(app)
scheduler.start()  # in debug mode, Flask-APScheduler starts only in the reloader's child
print(f"scheduler running={scheduler.running}", flush=True)
"""


@pytest.mark.skipif(
    importlib.util.find_spec("flask_apscheduler") is None, reason="pip install -e '.[dev]' (Flask-APScheduler)"
)
def test_flask_apschedulers_start_in_debug_mode_runs_in_the_child(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(SCHEDULER_APP)
    port = free_port()
    with ServerProcess(python("-m", "microflask", "run", "--debug", "--port", str(port)), tmp_path) as server:
        server.wait_for("Application startup complete")
        server.wait_listening(port)
        status, body = get(port, "/scheduler")
        assert status == 200 and json.loads(body)["running"] is True
        status, body = get(port, "/scheduler/jobs")
        assert [job["id"] for job in json.loads(body)] == ["hourly"]
        assert server.stop() in CLEAN_EXIT
    # Not in the reloader's own process (loaded first), once in the child.
    assert re.findall(r"scheduler running=(\w+)", server.output) == ["False", "True"]


# -- the debug flag is in the environment while the app loads ----------------------------------
@pytest.mark.parametrize(("given", "env", "seen"), [(True, None, True), (False, "1", False), (None, "1", True)])
def test_a_given_debug_flag_is_seen_by_the_factory(
    monkeypatch: pytest.MonkeyPatch, given: bool | None, env: str | None, seen: bool
) -> None:
    monkeypatch.setenv("MICROFLASK_DEBUG", "")  # recorded: put back (unset) after the test, even if set meanwhile
    monkeypatch.delenv("MICROFLASK_DEBUG")
    monkeypatch.setenv("FLASK_DEBUG", "")  # recorded: put back (unset) after the test, even if set meanwhile
    monkeypatch.delenv("FLASK_DEBUG")
    if env is not None:
        monkeypatch.setenv("FLASK_DEBUG", env)
    seen_by_factory: list[bool] = []

    def create_app() -> MicroFlask:
        seen_by_factory.append(get_debug_flag())  # as Flask's --debug, early enough for a factory
        return MicroFlask(__name__)

    info = ScriptInfo(create_app=create_app, set_debug_flag=None)
    info.debug = given
    app = info.load_app()
    assert seen_by_factory == [seen] and app.debug is seen
    assert "MICROFLASK_DEBUG" not in os.environ  # only while loading
