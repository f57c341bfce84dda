"""``import microflask.flask_patch``: ``flask`` and its submodules are microflask's (issue 15, part 1).

Each scenario runs in a fresh interpreter, since the patch changes how ``flask`` imports. A fake
``flask`` package on ``sys.path`` stands in for the real Flask that extensions install beside
themselves: it must never be the one imported.
"""

from __future__ import annotations

import functools
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import anyio
import pytest

from microflask import MicroFlask, g, request


@pytest.fixture
def fake_flask(tmp_path: Path) -> Path:
    package = tmp_path / "site" / "flask"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("raise AssertionError('the real flask was imported')\nFlask = 'real'\n")
    (package / "globals.py").write_text("raise AssertionError('the real flask.globals was imported')\n")
    return package.parent


def run(code: str, site: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"},
        check=False,
    )


def test_flask_and_its_submodules_are_microflasks(fake_flask: Path) -> None:
    result = run(
        """
        import sys
        import microflask.flask_patch
        import flask
        import microflask
        assert flask is microflask and flask.Flask is microflask.MicroFlask
        from flask import Flask, current_app, g, request, session, jsonify
        import flask.globals, flask.signals, flask.json, flask.json.provider, flask.json.tag
        import flask.ctx, flask.wrappers, flask.views, flask.sessions, flask.templating
        import flask.helpers, flask.typing, flask.testing, flask.cli, flask.logging
        for name in ("globals", "signals", "json", "ctx", "wrappers", "views", "sessions", "templating",
                     "helpers", "typing", "testing", "cli", "logging"):
            module = sys.modules["flask." + name]
            assert module is sys.modules["microflask." + name], name
            assert getattr(flask, name) is module, name
        from flask.globals import request_ctx, app_ctx
        from flask.signals import request_started, Namespace
        from flask.json.provider import DefaultJSONProvider
        from flask.typing import ResponseReturnValue
        assert microflask.flask_patch.patched()
        try:
            import flask.no_such_module
        except ModuleNotFoundError:
            pass
        else:
            raise AssertionError("a module microflask lacks must not import")
        print("ok")
        """,
        fake_flask,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_importing_flask_first_is_a_clear_error(tmp_path: Path) -> None:
    site = tmp_path / "site"
    (site / "flask").mkdir(parents=True)
    (site / "flask" / "__init__.py").write_text("Flask = 'real'\n")
    result = run("import flask\nimport microflask.flask_patch\n", site)
    assert result.returncode == 1
    assert "import microflask.flask_patch first" in result.stderr


def test_an_app_without_the_patch_does_not_load_it(fake_flask: Path) -> None:
    result = run(
        """
        import sys, microflask
        app = microflask.MicroFlask("x")
        assert "microflask.flask_patch" not in sys.modules
        try:
            import flask
        except AssertionError as e:
            assert "real flask" in str(e)  # without the patch, flask is whatever is installed
        print("ok")
        """,
        fake_flask,
    )
    assert result.returncode == 0, result.stderr


def test_a_flask_style_extension_in_sync_and_async_views(fake_flask: Path) -> None:
    extension = fake_flask / "flask_greeter.py"
    extension.write_text(
        textwrap.dedent(
            """
            from flask import current_app, g, request
            from flask.signals import request_finished

            class Greeter:
                def __init__(self, app=None):
                    if app is not None:
                        self.init_app(app)

                def init_app(self, app):
                    app.extensions["greeter"] = self
                    app.before_request(self._before)
                    request_finished.connect(self._finished, app)

                def _before(self):
                    g.greeting = current_app.config.get("GREETING", "hello") + " " + request.args.get("who", "you")

                def _finished(self, sender, response):
                    response.headers["X-Greeted"] = "yes"
            """
        )
    )
    result = run(
        """
        import microflask.flask_patch
        from flask import Flask, g
        from flask_greeter import Greeter

        app = Flask(__name__)
        app.config["GREETING"] = "hi"
        Greeter(app)

        @app.route("/sync")
        def sync_view():
            return g.greeting

        @app.route("/async")
        async def async_view():
            return g.greeting

        client = app.test_client()
        for path in ("/sync", "/async"):
            r = client.get(path + "?who=ada")
            assert (r.text, r.headers["x-greeted"]) == ("hi ada", "yes"), (path, r.text)
        assert "greeter" in app.extensions
        print("ok")
        """,
        fake_flask,
    )
    assert result.returncode == 0, result.stderr


# -- ensure_sync / ensure_async (what extensions call to run the app's callbacks) ----------------------


def test_ensure_sync_runs_an_async_callback_from_a_sync_view() -> None:
    app = MicroFlask(__name__)

    async def load_user(user_id: str) -> str:
        await anyio.sleep(0)
        return f"user {user_id} in {request.path}"

    def plain(x: int) -> int:
        return x

    assert app.ensure_sync(plain) is plain

    @app.route("/")
    def index() -> str:
        return str(app.ensure_sync(load_user)("7"))

    assert app.test_client().get("/").text == "user 7 in /"
    with app.test_request_context("/cli"):  # sync code with no loop anywhere: it gets one of its own
        assert app.ensure_sync(load_user)("8") == "user 8 in /cli"


def test_ensure_sync_in_an_async_views_decorator_gives_the_coroutine_to_await() -> None:
    app = MicroFlask(__name__)

    def flask_style_decorator(view: Any) -> Any:  # as Flask-Login's login_required is written
        @functools.wraps(view)
        def decorated(*args: Any, **kwargs: Any) -> Any:
            return app.ensure_sync(view)(*args, **kwargs)

        return decorated

    @app.route("/<name>")
    @flask_style_decorator
    async def index(name: str) -> str:
        await anyio.sleep(0)
        return f"hello {name}"

    assert app.test_client().get("/ada").text == "hello ada"


@pytest.mark.anyio
async def test_ensure_async_runs_a_sync_callback_in_a_thread_with_the_context() -> None:
    app = MicroFlask(__name__)
    seen: list[Any] = []

    def remember(value: int) -> int:
        seen.append((value, g.marker))
        return value * 2

    async def already_async() -> None:
        pass

    assert app.ensure_async(already_async) is already_async
    async with app.app_context():
        g.marker = "ctx"
        assert await app.ensure_async(remember)(21) == 42
    assert seen == [(21, "ctx")]
