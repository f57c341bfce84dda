"""Flask-APScheduler (``flask_apscheduler.APScheduler``), as its docs show it:
``scheduler.init_app(app)``, jobs from the config (``JOBS``, a function by its textual
reference) and from ``@scheduler.task``, a job using ``scheduler.app.app_context()``, jobs added
and run from the app's own views, and its REST API (``SCHEDULER_API_ENABLED``): the scheduler's
info, the job list, a job added, read, changed, paused, resumed, run and deleted through it, the
scheduler started, paused and shut down, and its HTTP Basic authentication (``SCHEDULER_AUTH``
with ``@scheduler.authenticate``); in def and async def views.

Nothing waits for a timer: jobs run through the API's run endpoint or ``scheduler.run_job(id)``,
and their effect is asserted. The triggers are an hour or more away, so a started scheduler
fires nothing while a test runs; every started scheduler is shut down afterwards.
"""

# isort: off
import microflask.flask_patch  # noqa: F401  (first: from here on, flask is microflask)

# isort: on
import base64
from collections.abc import Iterator
from typing import Any

import pytest
from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask, current_app, g, jsonify, request, url_for
from flask_apscheduler import APScheduler
from flask_apscheduler.auth import HTTPBasicAuth

RUNS: list[Any] = []  # what the jobs did


def record(tag: str, times: int = 1) -> None:
    """A job named in the config by its textual reference (``module:function``)."""
    RUNS.extend([tag] * times)


class Config:
    """The config object of the docs' quick start."""

    JOBS = [
        {"id": "job1", "func": f"{__name__}:record", "args": ("from config",), "trigger": "interval", "hours": 1},
        {
            "id": "nightly",
            "func": f"{__name__}:record",
            "kwargs": {"tag": "nightly", "times": 2},
            "trigger": "cron",
            "hour": 3,
            "minute": 30,
        },
    ]
    SCHEDULER_API_ENABLED = True
    SCHEDULER_TIMEZONE = "UTC"
    GREETING = "hello from the app"


def make_app(kind: str, **settings: Any) -> tuple[Flask, APScheduler]:
    app = Flask(__name__)
    app.testing = True  # errors propagate to the test
    app.config.from_object(Config())
    app.config.update(settings)
    scheduler = APScheduler(BackgroundScheduler())

    @scheduler.task("interval", id="do_job_2", minutes=90, misfire_grace_time=900)
    def job2() -> None:
        # The docs' pattern: a job (on the scheduler's thread) enters the app's context itself.
        with scheduler.app.app_context():
            g.job = "job2"
            RUNS.append((current_app.config["GREETING"], g.job))

    scheduler.init_app(app)

    if kind == "def":

        @app.post("/reports")
        def schedule_report() -> Any:
            name = request.get_json()["name"]
            job = scheduler.add_job(
                id=f"report-{name}",
                func=record,
                args=(f"report {name}",),
                trigger="date",
                run_date="2999-01-01T00:00:00+00:00",
            )
            return jsonify(id=job.id, pending=job.pending), 201

        @app.post("/reports/<name>/now")
        def run_report(name: str) -> Any:
            scheduler.run_job(f"report-{name}")
            return jsonify(runs=len(RUNS))

        @app.get("/jobs")
        def job_ids() -> Any:
            return jsonify(sorted(job.id for job in scheduler.get_jobs()))

    else:

        @app.post("/reports")
        async def schedule_report() -> Any:
            name = (await request.get_json())["name"]
            job = scheduler.add_job(
                id=f"report-{name}",
                func=record,
                args=(f"report {name}",),
                trigger="date",
                run_date="2999-01-01T00:00:00+00:00",
            )
            return jsonify(id=job.id, pending=job.pending), 201

        @app.post("/reports/<name>/now")
        async def run_report(name: str) -> Any:
            await app.ensure_async(scheduler.run_job)(f"report-{name}")
            return jsonify(runs=len(RUNS))

        @app.get("/jobs")
        async def job_ids() -> Any:
            return jsonify(sorted(job.id for job in scheduler.get_jobs()))

    return app, scheduler


@pytest.fixture(autouse=True)
def clean_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    RUNS.clear()
    # Not in debug mode: there, start() only starts in a reloader's child (WERKZEUG_RUN_MAIN).
    for name in ("MICROFLASK_DEBUG", "FLASK_DEBUG"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(params=["def", "async"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def setup(kind: str) -> Iterator[tuple[Flask, APScheduler]]:
    app, scheduler = make_app(kind)
    try:
        yield app, scheduler
    finally:
        if scheduler.running:
            scheduler.shutdown()


def test_jobs_from_the_config_and_the_decorator(setup: tuple[Flask, APScheduler]) -> None:
    app, scheduler = setup
    assert app.apscheduler is scheduler  # init_app puts it on the app
    assert sorted(job.id for job in scheduler.get_jobs()) == ["do_job_2", "job1", "nightly"]
    scheduler.run_job("job1")
    scheduler.run_job("nightly")
    assert RUNS == ["from config", "nightly", "nightly"]
    with pytest.raises(JobLookupError):
        scheduler.run_job("nope")


def test_a_job_in_the_app_context(setup: tuple[Flask, APScheduler]) -> None:
    app, scheduler = setup
    assert scheduler.app is app
    scheduler.get_job("do_job_2").func()  # as the scheduler's thread would call it
    assert RUNS == [("hello from the app", "job2")]


def test_jobs_from_the_apps_views(setup: tuple[Flask, APScheduler]) -> None:
    app, _ = setup
    client = app.test_client()
    made = client.post("/reports", json={"name": "weekly"})
    assert made.status_code == 201 and made.get_json() == {"id": "report-weekly", "pending": True}
    assert "report-weekly" in client.get("/jobs").get_json()
    assert client.post("/reports/weekly/now").get_json() == {"runs": 1}
    assert RUNS == ["report weekly"]


def test_the_api_info_and_the_job_list(setup: tuple[Flask, APScheduler]) -> None:
    app, scheduler = setup
    client = app.test_client()
    info = client.get("/scheduler")
    assert info.status_code == 200 and info.mimetype == "application/json"
    assert info.get_json() == {"current_host": scheduler.host_name, "allowed_hosts": ["*"], "running": False}

    jobs = {job["id"]: job for job in client.get("/scheduler/jobs").get_json()}
    assert sorted(jobs) == ["do_job_2", "job1", "nightly"]
    assert jobs["job1"]["func"] == f"{__name__}:record"
    assert jobs["job1"]["args"] == ["from config"] and jobs["job1"]["trigger"] == "interval"
    assert jobs["job1"]["hours"] == 1
    assert jobs["nightly"]["trigger"] == "cron" and jobs["nightly"]["hour"] == "3"
    assert jobs["nightly"]["kwargs"] == {"tag": "nightly", "times": 2}
    assert client.get("/scheduler/jobs/nightly").get_json()["minute"] == "30"
    missing = client.get("/scheduler/jobs/nope")
    assert missing.status_code == 404 and missing.get_json() == {"error_message": "Job nope not found"}


def test_the_api_adds_changes_runs_and_deletes_a_job(setup: tuple[Flask, APScheduler]) -> None:
    app, scheduler = setup
    scheduler.start(paused=True)  # jobs go to their store (where ids must be unique); nothing fires
    client = app.test_client()
    new = {
        "id": "added",
        "func": f"{__name__}:record",
        "args": ["through the api"],
        "trigger": "interval",
        "minutes": 45,
        "start_date": "2999-01-01T00:00:00+00:00",  # a string, parsed by the extension
    }
    added = client.post("/scheduler/jobs", json=new)
    assert added.status_code == 200, added.text
    assert added.get_json()["id"] == "added" and added.get_json()["minutes"] == 45
    assert added.get_json()["start_date"].startswith("2999-01-01T00:00:00")
    again = client.post("/scheduler/jobs", json=new)
    assert again.status_code == 409 and again.get_json() == {"error_message": "Job added already exists."}

    ran = client.post("/scheduler/jobs/added/run")
    assert ran.status_code == 200 and ran.get_json()["id"] == "added"
    assert RUNS == ["through the api"]
    assert client.post("/scheduler/jobs/nope/run").status_code == 404

    changed = client.patch("/scheduler/jobs/added", json={"args": ["changed"], "trigger": "interval", "hours": 2})
    assert changed.status_code == 200, changed.text
    assert changed.get_json()["args"] == ["changed"] and changed.get_json()["hours"] == 2
    client.post("/scheduler/jobs/added/run")
    assert RUNS == ["through the api", "changed"]

    deleted = client.delete("/scheduler/jobs/added")
    assert deleted.status_code == 204 and deleted.data == b""
    assert scheduler.get_job("added") is None
    assert client.delete("/scheduler/jobs/added").status_code == 404
    # A job the scheduler cannot make: the extension's 500 with the message.
    broken = client.post("/scheduler/jobs", json={"id": "broken", "func": "no.such.module:f", "trigger": "date"})
    assert broken.status_code == 500 and "no.such.module" in broken.get_json()["error_message"]


def test_the_api_pauses_and_resumes_jobs_and_the_scheduler(setup: tuple[Flask, APScheduler]) -> None:
    app, scheduler = setup
    client = app.test_client()
    assert client.post("/scheduler/start").status_code == 204
    assert scheduler.running and client.get("/scheduler").get_json()["running"] is True
    already = client.post("/scheduler/start")
    assert already.status_code == 400 and "already running" in already.get_json()["error_message"]

    assert client.get("/scheduler/jobs/job1").get_json()["next_run_time"] is not None
    paused = client.post("/scheduler/jobs/job1/pause")
    assert paused.status_code == 200 and paused.get_json()["next_run_time"] is None
    assert scheduler.get_job("job1").next_run_time is None
    resumed = client.post("/scheduler/jobs/job1/resume")
    assert resumed.get_json()["next_run_time"] is not None
    assert client.post("/scheduler/jobs/nope/pause").status_code == 404

    assert client.post("/scheduler/pause").status_code == 204
    assert client.post("/scheduler/resume").status_code == 204
    # A paused job still runs on demand.
    client.post("/scheduler/jobs/job1/pause")
    assert client.post("/scheduler/jobs/job1/run").status_code == 200
    assert RUNS == ["from config"]

    assert client.post("/scheduler/shutdown", json={"wait": True}).status_code == 204
    assert not scheduler.running
    stopped = client.post("/scheduler/shutdown")  # no body: the extension reads it silently
    assert stopped.status_code == 400 and "not running" in stopped.get_json()["error_message"]


def test_the_api_prefix_and_basic_authentication(kind: str) -> None:
    app, scheduler = make_app(
        kind, SCHEDULER_API_PREFIX="/admin/scheduler", SCHEDULER_AUTH=HTTPBasicAuth(), SCHEDULER_ENDPOINT_PREFIX="sch."
    )

    @scheduler.authenticate
    def authenticate(auth: Any) -> bool:
        return bool(auth["username"] == "guest" and auth["password"] == "guest")

    client = app.test_client()
    assert client.get("/scheduler").status_code == 404  # moved under the prefix
    denied = client.get("/admin/scheduler/jobs")
    assert denied.status_code == 401 and denied.text == "Access Denied"
    assert denied.headers["WWW-Authenticate"] == 'Basic realm="Authentication Required"'

    def basic(user: str, password: str) -> dict[str, str]:
        return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}

    assert client.get("/admin/scheduler/jobs", headers=basic("guest", "wrong")).status_code == 401
    assert client.get("/admin/scheduler/jobs", headers={"Authorization": "Bearer x"}).status_code == 401
    allowed = client.get("/admin/scheduler/jobs", headers=basic("guest", "guest"))
    assert allowed.status_code == 200 and len(allowed.get_json()) == 3
    assert client.post("/admin/scheduler/jobs/job1/run", headers=basic("guest", "guest")).status_code == 200
    assert RUNS == ["from config"]
    with app.test_request_context():
        assert url_for("sch.get_jobs") == "/admin/scheduler/jobs"
