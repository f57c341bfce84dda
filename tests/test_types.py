"""Issue 17 point 4: ``request.args``/``form``/``files``/``values``, ``session``, ``g``,
``websocket`` and the test clients' responses have real static types, not ``Any``.

A sample app using them in ``def`` and ``async def`` views (the common code of both kinds:
``request.form["x"]`` in a sync view, ``await request.form`` in an async one) passes
``mypy --strict``, and each wrong use in it is flagged on its own line.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SAMPLE = """from typing import assert_type

from microflask import MicroFlask, g, request, session, websocket
from microflask.ctx import _AppCtxGlobals
from microflask.datastructures import FileStorage, MultiDict
from microflask.sessions import SessionMixin
from microflask.testing import TestClient, TestResponse
from microflask.websockets import Websocket

app = MicroFlask(__name__)


@app.post("/sync")
def sync_view() -> str:
    name: str = request.form["name"]
    tags: list[str] = request.args.getlist("tag")
    page: int | None = request.args.get("page", type=int)
    upload: FileStorage = request.files["upload"]
    session["user"] = name
    session.permanent = True
    g.user = name
    assert_type(request.values, MultiDict[str])
    return f"{name} {tags} {page} {upload.filename} {g.user}"


@app.post("/async")
async def async_view() -> dict[str, str]:
    form = await request.form
    files = await request.files
    assert_type(form, MultiDict[str])
    assert_type(files, MultiDict[FileStorage])
    first: str | None = request.args.get("q")
    return {"name": form["name"], "q": first or ""}


@app.websocket("/ws")
async def socket() -> None:
    assert_type(websocket, Websocket)
    await websocket.accept()
    await websocket.send_json({"user": session.get("user")})


def test_client() -> None:
    client = app.test_client()
    assert_type(client, TestClient)
    response = client.get("/sync")
    assert_type(response, TestResponse)
    code: int = response.status_code
    with client.session_transaction() as sess:
        assert_type(sess, SessionMixin)
    assert_type(g, _AppCtxGlobals)
    assert code


async def test_async_client() -> None:
    async with app.async_test_client() as client:
        response = await client.post("/async", data={"name": "x"})
        assert_type(response, TestResponse)


@app.get("/wrong")
def wrong() -> str:
    session[1] = "x"  # wrong: session keys are str
    request.args.getlist(1)  # wrong: a key is a str
    status: str = app.test_client().get("/").status_code  # wrong: an int
    number: int = request.form["n"]  # wrong: form values are str
    assert number
    return status
"""


def _mypy_errors(tmp_path: Path, source: str) -> tuple[list[int], str]:
    (tmp_path / "sample.py").write_text(source)
    command = [sys.executable, "-m", "mypy", "--strict", "--follow-imports=silent", "--no-error-summary"]
    command += ["--cache-dir", str(tmp_path / "cache"), "sample.py"]
    result = subprocess.run(
        command, cwd=tmp_path, env={**os.environ, "MYPYPATH": str(ROOT)}, capture_output=True, text=True
    )
    errors = [line for line in result.stdout.splitlines() if ": error:" in line]
    return sorted({int(line.split(":")[1]) for line in errors}), result.stdout


def test_request_session_g_websocket_and_test_client_have_real_types(tmp_path: Path) -> None:
    """Every ``assert_type`` in the sample holds (an ``Any`` would fail it) and only the lines
    marked ``# wrong`` are errors: a non-str session key or ``getlist`` key, an int status
    code taken for a str, a form value taken for an int."""
    lines, output = _mypy_errors(tmp_path, SAMPLE)
    source = SAMPLE.splitlines()
    wrong = [n for n, line in enumerate(source, 1) if "# wrong" in line]
    assert len(wrong) == 4
    assert [source[n - 1].strip() for n in lines] == [source[n - 1].strip() for n in wrong], output


def test_a_proxy_typed_any_would_fail_the_sample(tmp_path: Path) -> None:
    """The check has teeth: the same assertion on an ``Any`` value is an error."""
    source = "from typing import Any, assert_type\n\nvalue: Any = 1\nassert_type(value, int)\n"
    lines, output = _mypy_errors(tmp_path, source)
    assert lines == [4], output
