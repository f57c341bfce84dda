"""Developer experience (issue 17): mistakes fail at once, where they happen, saying what to do.

A bad return value names the function that returned it; a forgotten ``await`` says so on the
user's line; error messages list what would have been right.
"""

from __future__ import annotations

import asyncio
import functools
import gc
import io
import logging
import os
import re
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import click
import jinja2
import pytest

from microflask import (
    Blueprint,
    MicroFlask,
    after_this_request,
    jsonify,
    render_template,
    render_template_string,
    request,
    send_file,
    stream_template_string,
)
from microflask.concurrency import MissingAwaitError

# -- a bad return value names the function that returned it ---------------------------------


def test_a_view_returning_an_invalid_value_is_named_with_its_endpoint() -> None:
    app = MicroFlask(__name__)
    app.testing = True

    @app.route("/", endpoint="home")
    async def show_home() -> Any:
        return 42

    with pytest.raises(
        TypeError, match=r"The view function 'test_a_view.*show_home' for endpoint 'home'.*it was a int"
    ):
        app.test_client().get("/")


def test_an_error_handler_returning_an_invalid_value_is_named_not_the_view() -> None:
    app = MicroFlask(__name__)
    app.testing = True

    @app.errorhandler(404)
    def page_not_found(e: Exception) -> Any:
        return None

    @app.errorhandler(ValueError)
    async def bad_value(e: Exception) -> Any:
        return 3.5, 400

    @app.route("/boom")
    async def boom() -> str:
        raise ValueError("boom")

    client = app.test_client()
    with pytest.raises(TypeError) as info:
        client.get("/nowhere")
    assert "The error handler" in str(info.value)
    assert "page_not_found" in str(info.value) and "for NotFound" in str(info.value)
    assert "returned None" in str(info.value)
    assert "view function" not in str(info.value)
    with pytest.raises(TypeError, match=r"The error handler '.*bad_value' for ValueError.*it was a float"):
        client.get("/boom")


def test_a_500_handler_returning_an_invalid_value_is_named_in_the_log(caplog: pytest.LogCaptureFixture) -> None:
    app = MicroFlask(__name__)

    @app.errorhandler(500)
    def server_error(e: Exception) -> Any:
        return {1, 2}

    @app.route("/")
    def index() -> str:
        raise RuntimeError("broken")

    with caplog.at_level(logging.ERROR):
        assert app.test_client().get("/").status_code == 500
    assert "The error handler 'test_a_500_handler" in caplog.text
    assert "server_error' for InternalServerError" in caplog.text


def test_a_before_request_hook_returning_an_invalid_value_is_named() -> None:
    app = MicroFlask(__name__)
    app.testing = True
    bp = Blueprint("admin", __name__)

    @bp.before_request
    def require_login() -> Any:
        return 401

    @bp.route("/")
    async def dashboard() -> str:
        return "secret"

    app.register_blueprint(bp, url_prefix="/admin")
    with pytest.raises(TypeError, match=r"The before_request function '.*require_login'.*it was a int"):
        app.test_client().get("/admin/")


def test_an_after_request_hook_returning_none_is_named() -> None:
    app = MicroFlask(__name__)
    app.testing = True

    @app.after_request
    def add_header(response: Any) -> None:
        response.headers["X-Seen"] = "1"  # and forgot "return response"

    @app.route("/")
    def index() -> str:
        return "hello"

    @app.route("/once")
    def once() -> str:
        @after_this_request
        def forgot(response: Any) -> None:
            pass

        return "hello"

    client = app.test_client()
    with pytest.raises(TypeError, match=r"The after_request function '.*add_header'.*returned None: it must return"):
        client.get("/")
    with pytest.raises(TypeError, match=r"The after_this_request function '.*forgot'"):
        client.get("/once")


def test_an_unawaited_helper_returned_is_explained() -> None:
    app = MicroFlask(__name__)
    app.testing = True

    class Later:
        def __await__(self) -> Any:
            yield from ()
            return "never"

    @app.route("/awaitable")
    def awaitable() -> Any:
        return Later(), 201

    client = app.test_client()
    with pytest.raises(TypeError, match="must be awaited"):
        client.get("/awaitable")


# -- a forgotten await says so at once, on the user's line ------------------------------------


def _raising_line(info: pytest.ExceptionInfo[BaseException], function: str) -> str:
    """The source line of ``function`` in the traceback of ``info``: where the error was raised."""
    for entry in info.traceback:
        if entry.name == function:
            return str(entry.statement).strip()
    raise AssertionError(f"{function} is not in the traceback")


@pytest.mark.parametrize(
    ("misuse", "accessor"),
    [
        pytest.param(lambda: request.get_json()["x"], "request.get_json()", id="subscript"),
        pytest.param(lambda: request.json.get("x"), "request.json", id="attribute"),
        pytest.param(lambda: not request.form, "request.form", id="truth"),
        pytest.param(lambda: [key for key in request.form], "request.form", id="iteration"),
        pytest.param(lambda: len(request.files), "request.files", id="len"),
        pytest.param(lambda: "x" in request.values, "request.values", id="contains"),
        pytest.param(lambda: request.get_data().decode(), "request.get_data()", id="decode"),
        pytest.param(lambda: request.data + b"!", "request.data", id="concatenate"),
        pytest.param(lambda: f"{request.get_json()}", "request.get_json()", id="format"),
        pytest.param(lambda: jsonify(request.get_json()), "request.get_json()", id="jsonify"),
    ],
)
def test_a_request_body_accessor_used_without_await_says_which_await(misuse: Any, accessor: str) -> None:
    app = MicroFlask(__name__)
    app.testing = True

    @app.route("/", methods=["POST"])
    async def index() -> Any:
        return misuse()

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "coroutine ... was never awaited" later
        with pytest.raises(MissingAwaitError) as info:
            if accessor.startswith("request.form") or accessor in ("request.files", "request.values"):
                app.test_client().post("/", data={"x": "1"})  # a form, not parsed yet
            else:
                app.test_client().post("/", data=b'{"x": 1}', headers={"Content-Type": "application/json"})
        gc.collect()
    assert f"write 'await {accessor}'" in str(info.value)
    assert isinstance(info.value, TypeError)
    assert "misuse" in _raising_line(info, "<lambda>") or "request" in _raising_line(info, "<lambda>")


def test_the_users_line_is_in_the_traceback() -> None:
    app = MicroFlask(__name__)
    app.testing = True

    @app.route("/", methods=["POST"])
    async def create() -> Any:
        name = request.get_json()["name"]  # the forgotten await
        return name

    with pytest.raises(MissingAwaitError, match=r"write 'await request.get_json\(\)'") as info:
        app.test_client().post("/", json={"name": "x"})
    assert _raising_line(info, "create") == 'name = request.get_json()["name"]  # the forgotten await'


def test_awaiting_works_and_a_parsed_form_is_a_multidict() -> None:
    app = MicroFlask(__name__)

    @app.route("/", methods=["POST"])
    async def index() -> Any:
        form = await request.form
        assert (await request.form) is form  # a parsed form is awaitable itself
        fields = request.form  # after parsing: the MultiDict, usable without await
        return {"empty": not fields, "keys": list(fields), "json": await request.get_json(silent=True)}

    r = app.test_client().post("/", data={"a": "1", "b": "2"})
    assert r.json == {"empty": False, "keys": ["a", "b"], "json": None}


def test_returning_an_accessor_without_await_names_the_view() -> None:
    app = MicroFlask(__name__)
    app.testing = True

    @app.route("/echo", methods=["POST"])
    async def echo() -> Any:
        return request.get_json()

    @app.route("/page")
    async def page() -> Any:
        return render_template_string("hello"), 201

    client = app.test_client()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(MissingAwaitError) as info:
            client.post("/echo", json={"a": 1})
        assert "The view function '" in str(info.value) and "echo' for endpoint 'echo'" in str(info.value)
        assert "returned request.get_json() without awaiting it: write 'return await request.get_json()'" in str(
            info.value
        )
        with pytest.raises(MissingAwaitError, match=r"write 'return await render_template_string\(...\)'"):
            client.get("/page")
        gc.collect()


def test_json_encoding_a_value_not_awaited_says_so() -> None:
    app = MicroFlask(__name__)
    app.testing = True

    @app.route("/", methods=["POST"])
    async def index() -> Any:
        return {"received": request.get_json()}

    with pytest.raises(MissingAwaitError, match=r"write 'await request.get_json\(\)'"):
        app.test_client().post("/", json={"a": 1})


@pytest.mark.parametrize(
    ("misuse", "helper"),
    [
        pytest.param(lambda: render_template_string("hi") + "!", "render_template_string(...)", id="render"),
        pytest.param(lambda: render_template("page.html").upper(), "render_template(...)", id="render-file"),
        pytest.param(lambda: stream_template_string("hi").headers, "stream_template_string(...)", id="stream"),
        pytest.param(lambda: send_file(__file__).headers, "send_file(...)", id="send-file"),
    ],
)
def test_other_awaitable_helpers_used_without_await_say_so(misuse: Any, helper: str, tmp_path: Path) -> None:
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "page.html").write_text("page")
    app = MicroFlask(__name__, root_path=str(tmp_path))
    app.testing = True

    @app.route("/")
    async def index() -> Any:
        return misuse()

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(MissingAwaitError, match=re.escape(f"write 'await {helper}'")):
            app.test_client().get("/")
        gc.collect()


def test_an_uploaded_file_read_without_await_says_so() -> None:
    app = MicroFlask(__name__)
    app.testing = True

    @app.route("/", methods=["POST"])
    async def upload() -> Any:
        files = await request.files
        return files["f"].read().decode()

    with pytest.raises(MissingAwaitError, match=r"write 'await file.read\(\)'"):
        app.test_client().post("/", data={"f": (io.BytesIO(b"content"), "a.txt")})


def test_a_sync_handler_on_the_loop_still_gets_its_render_awaited() -> None:
    # Sync code on the event loop cannot await: what it returns unawaited is awaited for it.
    app = MicroFlask(__name__)

    @app.errorhandler(404)
    def not_found(e: Exception) -> Any:
        return render_template_string("missing {{ request.path }}"), 404

    @app.before_request
    def maybe_refuse() -> Any:
        if request.path == "/refused":
            return render_template_string("refused")
        return None

    @app.route("/refused")
    async def refused() -> str:
        return "never"

    client = app.test_client()
    assert (client.get("/nowhere").status_code, client.get("/nowhere").text) == (404, "missing /nowhere")
    assert client.get("/refused").text == "refused"


def test_a_flask_style_decorator_around_an_async_view_may_return_a_render() -> None:
    app = MicroFlask(__name__)

    def login_required(view: Any) -> Any:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if "user" not in request.args:
                return render_template_string("please log in"), 401
            return view(*args, **kwargs)

        return wrapper

    @app.route("/")
    @login_required
    async def index() -> str:
        return "welcome"

    client = app.test_client()
    r = client.get("/")
    assert (r.status_code, r.text) == (401, "please log in")
    assert client.get("/?user=1").text == "welcome"


@pytest.mark.anyio
async def test_the_awaitable_is_a_coroutine_to_asyncio() -> None:
    app = MicroFlask(__name__)
    async with app.test_request_context("/", method="POST", json={"a": 1}):
        task = asyncio.ensure_future(request.get_json())
        assert await task == {"a": 1}
        both = await asyncio.gather(render_template_string("{{ 1 + 1 }}"), request.get_data())
        assert both == ["2", b'{"a": 1}']
        pending = request.get_json()
        assert "await request.get_json()" in repr(pending)
        assert await pending == {"a": 1}


# -- error messages that point to the fix -----------------------------------------------------


def test_template_not_found_lists_the_folders_searched(tmp_path: Path) -> None:
    app = MicroFlask(__name__, root_path=str(tmp_path))
    app.register_blueprint(Blueprint("shop", __name__, template_folder="shop_templates", root_path=str(tmp_path)))
    with app.app_context(), pytest.raises(jinja2.TemplateNotFound) as info:
        render_template("missing.html")
    message = str(info.value)
    assert info.value.name == "missing.html"
    assert f"{tmp_path / 'templates'} (application " in message
    assert f"{tmp_path / 'shop_templates'} (blueprint 'shop')" in message
    assert "EXPLAIN_TEMPLATE_LOADING" in message


def test_explain_template_loading_logs_each_lookup(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "here.html").write_text("here")
    app = MicroFlask(__name__, root_path=str(tmp_path))
    app.config["EXPLAIN_TEMPLATE_LOADING"] = True
    with caplog.at_level(logging.INFO), app.app_context():
        assert render_template("here.html") == "here"
        with pytest.raises(jinja2.TemplateNotFound, match="was not found in the template folders"):
            render_template("gone.html")
    assert "Locating template 'here.html'" in caplog.text and "-> found" in caplog.text
    assert "Locating template 'gone.html'" in caplog.text and "-> no match" in caplog.text


def test_an_unknown_converter_lists_the_converters() -> None:
    app = MicroFlask(__name__)
    with pytest.raises(LookupError) as info:

        @app.route("/items/<integer:item_id>")
        def item(item_id: int) -> str:
            return "item"

    message = str(info.value)
    assert "Unknown converter 'integer'" in message
    assert "any, default, float, int, path, string, uuid" in message
    assert "app.url_map.converters['integer'] = YourConverter" in message


@pytest.mark.parametrize("use_async", [False, True], ids=["sync", "async"])
def test_a_missing_form_key_is_a_400_without_the_key_error_text_when_not_debugging(use_async: bool) -> None:
    app = MicroFlask(__name__)

    if use_async:

        @app.route("/", methods=["POST"])
        async def login() -> str:
            return str((await request.form)["password_field"])

    else:

        @app.route("/", methods=["POST"])
        def login() -> str:
            return str(request.form["password_field"])

    r = app.test_client().post("/", data={"username": "x"})
    assert r.status_code == 400
    assert "password_field" not in r.text and "KeyError" not in r.text
    assert "Bad Request" in r.text


def test_click_decorators_under_app_cli_command() -> None:
    app = MicroFlask(__name__)

    @app.cli.command()
    @click.option("--times", default=1, help="How many greetings.")
    @click.argument("name")
    def greet(times: int, name: str) -> None:
        """Greet someone."""
        for _ in range(times):
            click.echo(f"hello {name} from {app.name}")

    result = app.test_cli_runner().invoke(args=["greet", "--times", "2", "ada"])
    assert result.exit_code == 0, result.output
    assert result.output == f"hello ada from {app.name}\n" * 2
    helped = app.test_cli_runner().invoke(args=["greet", "--help"])
    assert "--times" in helped.output and "How many greetings." in helped.output


# -- types that catch mistakes -----------------------------------------------------------------

ROOT = Path(__file__).resolve().parent.parent

TYPED_VIEWS = """
from microflask import MicroFlask
from microflask.schema import validate_response

app = MicroFlask(__name__)


@app.route("/ok")
async def ok() -> dict[str, int]:
    return {"a": 1}


@app.get("/tuple")
def with_status() -> tuple[str, int]:
    return "created", 201


@app.post("/model")
@validate_response(dict, 201)
async def model() -> object:  # a schema-validated view may return a model
    return object()


@app.websocket("/ws")
async def socket() -> None:
    pass


@app.route("/none")
async def forgot_return() -> None:
    return None


@app.post("/int")
def number() -> int:
    return 1
"""


def test_mypy_strict_refuses_a_view_that_returns_no_response_value(tmp_path: Path) -> None:
    (tmp_path / "views.py").write_text(TYPED_VIEWS)
    command = [sys.executable, "-m", "mypy", "--strict", "--follow-imports=silent", "--no-error-summary"]
    command += ["--cache-dir", str(tmp_path / "cache"), "views.py"]
    result = subprocess.run(
        command, cwd=tmp_path, env={**os.environ, "MYPYPATH": str(ROOT)}, capture_output=True, text=True
    )
    errors = [line for line in result.stdout.splitlines() if ": error:" in line]
    lines = sorted(int(line.split(":")[1]) for line in errors)
    source = TYPED_VIEWS.splitlines()
    assert [source[n - 1] for n in lines] == ['@app.route("/none")', '@app.post("/int")'], result.stdout
    assert all('type variable "T_route"' in line for line in errors)


def test_make_lint_runs_mypy_strict_on_the_examples_and_installs_a_mypy_visible_editable() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert "mypy --strict --follow-imports=silent $$app" in makefile
    for example in ("hello/app.py", "rest_api/app.py"):
        assert example in makefile
    assert makefile.count("--config-settings editable_mode=compat") == 2
