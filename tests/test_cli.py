"""The ``microflask`` command: discovery, routes, shell, run, the app's own commands.

Most tests drive ``python -m microflask`` as a real subprocess against app files in a temporary
directory. The one-shot commands of every test run at once, a few in parallel, in the
module-scoped ``runs`` fixture (each case is a :class:`Case`); the servers (``run``) are started
by their tests, which wait on their logs with deadlines. In-process tests use
``app.test_cli_runner()``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
import pytest
import typer
import typer.testing
from subprocess_server import CLEAN_EXIT, DEADLINE, ServerProcess, clean_env, free_port, get, python

from microflask import MicroFlask, current_app, g
from microflask.cli import AppGroup, CliRunner, format_routes, is_local_host
from microflask.cli import cli as microflask_cli
from microflask.discovery import ScriptInfo, load_dotenv

APP = '''
import anyio
import click

from microflask import MicroFlask, current_app, g

app = MicroFlask(__name__)


@app.route("/")
async def index():
    return "hello"


@app.route("/users/<int:id>", methods=["GET", "POST"])
async def user(id):
    return {"id": id}


@app.route("/info")
async def info():
    return {"debug": current_app.debug, "auto_reload": current_app.config["TEMPLATES_AUTO_RELOAD"]}


@app.route("/boom")
async def boom():
    raise ValueError("kaboom <b>")


async def chat():
    pass


app.add_url_rule("/ws", "chat", chat, websocket=True)


@app.shell_context_processor
def extra_names():
    return {"answer": 42}


@app.cli.command()
def greet(name: str = "world", shout: bool = False):
    """Greet someone."""
    text = f"hello {name} from {current_app.name}"
    print(text.upper() if shout else text)


@app.cli.command()
async def agreet():
    """Greet, asynchronously."""
    await anyio.sleep(0)
    print(f"async hello from {current_app.name}")


@click.command("clickcmd")
@click.option("--who", default="nobody")
def clickcmd(who):
    """A plain Click command."""
    click.echo(f"click says hi to {who} from {current_app.name}")


app.cli.add_command(clickcmd)
'''

#: Apps for the discovery cases: ``make(label)`` builds an app whose only rule is ``/label``.
MAKE = """
from microflask import MicroFlask


def make(label):
    app = MicroFlask(__name__, static_folder=None)
    app.add_url_rule("/" + label, "found", lambda: label)
    return app
"""


@dataclass
class Case:
    """One ``python -m microflask ARGS`` run in a fresh directory holding ``files``."""

    args: tuple[str, ...]
    files: dict[str, str] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    input: str | None = None


def web(body: str) -> dict[str, str]:
    return {"web.py": MAKE + body}


# Each found app answers `routes` with a rule naming the form that found it.
FOUND: dict[str, tuple[Case, str]] = {
    "app.py": (
        Case(("routes",), {"app.py": MAKE + "app = make('app-py')", "wsgi.py": "raise SystemExit(9)"}),
        "/app-py",
    ),
    "asgi.py": (Case(("routes",), {"asgi.py": MAKE + "application = make('asgi-py')"}), "/asgi-py"),
    "wsgi.py": (Case(("routes",), {"wsgi.py": MAKE + "app = make('wsgi-py')"}), "/wsgi-py"),
    "env": (Case(("routes",), web("app = make('env')"), {"MICROFLASK_APP": "web"}), "/env"),
    "module:attr": (Case(("--app", "web:other", "routes"), web("app = make('a')\nother = make('attr')")), "/attr"),
    "module:factory()": (
        Case(("--app", "web:create_app()", "routes"), web("def create_app():\n    return make('factory')")),
        "/factory",
    ),
    "module:factory": (
        Case(("--app", "web:create_app", "routes"), web("def create_app():\n    return make('factory-name')")),
        "/factory-name",
    ),
    "module:factory(args)": (
        Case(
            ("--app", 'web:create_app("dev", suffix="-x")', "routes"),
            web("def create_app(label, suffix=''):\n    return make(label + suffix)"),
        ),
        "/dev-x",
    ),
    "module application": (Case(("--app", "web", "routes"), web("application = make('application')")), "/application"),
    "module single instance": (Case(("--app", "web", "routes"), web("site = make('single')")), "/single"),
    "module create_app": (
        Case(("--app", "web", "routes"), web("def create_app():\n    return make('create-app')")),
        "/create-app",
    ),
    "module make_app": (
        Case(("--app", "web", "routes"), web("def make_app():\n    return make('make-app')")),
        "/make-app",
    ),
    "file path": (
        Case(("--app", "examples/hello/app.py", "routes"), {"examples/hello/app.py": MAKE + "app = make('path')"}),
        "/path",
    ),
    "path:attr": (
        Case(
            ("--app", "examples/hello/app:site", "routes"), {"examples/hello/app.py": MAKE + "site = make('path-attr')"}
        ),
        "/path-attr",
    ),
    "dotted package": (
        Case(("--app", "pkg.web", "routes"), {"pkg/__init__.py": "", "pkg/web.py": MAKE + "app = make('package')"}),
        "/package",
    ),
    "package file path": (
        Case(("--app", "pkg/web.py", "routes"), {"pkg/__init__.py": "", "pkg/web.py": MAKE + "app = make('pkg-path')"}),
        "/pkg-path",
    ),
    ".microflaskenv": (
        Case(
            ("routes",),
            {**web("app = make('dotenv')"), ".microflaskenv": "MICROFLASK_APP=web\n"},
            {"MICROFLASK_SKIP_DOTENV": "0"},
        ),
        "/dotenv",
    ),
}

FACTORY_ERROR = "def create_app():\n    raise RuntimeError('no database')\n"

# Each failure prints one line on stderr that says what was tried, and exits with 2.
FAILS: dict[str, tuple[Case, str]] = {
    "nothing here": (
        Case(("routes",)),
        "Could not locate a microflask application: no --app option, no MICROFLASK_APP environment variable,"
        " and no app.py, asgi.py or wsgi.py in ",
    ),
    "no module": (Case(("--app", "nosuch", "routes")), "Could not import 'nosuch' (--app nosuch): no such module in "),
    "import error in app": (
        Case(("--app", "web", "routes"), web("import not_installed_dependency")),
        "Importing 'web' (--app web) failed: ModuleNotFoundError: No module named 'not_installed_dependency'"
        " (--debug shows the traceback)",
    ),
    "error in app": (
        Case(("--app", "web", "routes"), web("1 / 0")),
        "Importing 'web' (--app web) failed: ZeroDivisionError: division by zero (--debug shows the traceback)",
    ),
    "syntax error": (
        Case(("--app", "web", "routes"), web("app = (")),
        "Importing 'web' (--app web) failed: SyntaxError",
    ),
    "default file broken": (
        Case(("routes",), {"app.py": "1 / 0"}),
        "Importing 'app' (found app.py) failed: ZeroDivision",
    ),
    "no attribute": (
        Case(("--app", "web:nope", "routes"), web("app = make('x')")),
        "Module 'web' has no attribute 'nope' (looked for 'web:nope').",
    ),
    "not an app": (
        Case(("--app", "web:thing", "routes"), web("thing = 42")),
        "'web:thing' is a int, not a MicroFlask application.",
    ),
    "factory raises": (
        Case(("--app", "web:create_app()", "routes"), web(FACTORY_ERROR)),
        "'web:create_app()' raised RuntimeError: no database (--debug shows the traceback)",
    ),
    "factory arguments": (
        Case(("--app", "web:create_app()", "routes"), web("def create_app(config):\n    return make('x')")),
        "'web:create_app()' cannot be called with these arguments: missing a required argument: 'config'.",
    ),
    "factory not literal": (
        Case(("--app", "web:create_app(config)", "routes"), web("def create_app(config):\n    return make('x')")),
        "Could not parse the arguments of 'create_app(config)' (in 'web:create_app(config)'): only literal values",
    ),
    "unparsable": (Case(("--app", "web:app.x", "routes"), web("app = make('x')")), "Could not parse 'app.x'"),
    "factory returns nothing": (
        Case(("--app", "web", "routes"), web("def create_app():\n    return None")),
        "'web:create_app()' returned a NoneType, not a MicroFlask application.",
    ),
    "async factory": (
        Case(("--app", "web:create_app", "routes"), web("async def create_app():\n    return make('x')")),
        "'web:create_app' is an async function; an app factory must be a plain def returning the app.",
    ),
    "no app in module": (
        Case(("--app", "web", "routes"), web("x = 1")),
        "Module 'web' has no MicroFlask application (looked for app, application, any single instance,"
        " create_app() and make_app()); name it with 'web:NAME'.",
    ),
    "two apps": (
        Case(("--app", "web", "routes"), web("one = make('1')\ntwo = make('2')")),
        "Module 'web' holds 2 MicroFlask applications; name one with 'web:NAME'.",
    ),
    "unknown command, no app": (
        Case(("nosuchcommand",)),
        "No such command 'nosuchcommand': it is not built in, and the app's commands are unknown. Could not locate",
    ),
    "debug refuses 0.0.0.0": (
        Case(("run", "--debug", "--host", "0.0.0.0"), {"app.py": APP}),
        "Refusing to serve with DEBUG on at 0.0.0.0: the debug error page shows source code and file paths to"
        " anyone who can connect. Use --host 127.0.0.1 (or localhost, ::1), or pass --allow-external.",
    ),
}

OTHER: dict[str, Case] = {
    "version": Case(("--version",)),
    "help": Case(("--help",), {"app.py": APP}),
    "routes": Case(("routes",), {"app.py": APP}),
    "greet": Case(("greet", "--name", "bob", "--shout"), {"app.py": APP}),
    "clickcmd": Case(("clickcmd", "--who", "me"), {"app.py": APP}),
    "debug traceback": Case(("--debug", "--app", "web", "routes"), web("1 / 0")),
    "shell": Case(("shell", "--plain"), {"app.py": APP}, input="print(app.name, answer)\nprint(g)\n"),
}


def _run(case: Case, where: Path) -> subprocess.CompletedProcess[str]:
    for name, text in case.files.items():
        path = where / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return subprocess.run(
        python("-m", "microflask", *case.args),
        cwd=where,
        env=clean_env(**case.env),
        input=case.input or "",
        capture_output=True,
        text=True,
        timeout=DEADLINE,
    )


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, subprocess.CompletedProcess[str]]:
    """Every case's result, by name; the cases run a few at a time."""
    cases = {name: case for name, (case, _) in {**FOUND, **FAILS}.items()} | OTHER
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        futures = {name: pool.submit(_run, case, tmp_path_factory.mktemp("cli")) for name, case in cases.items()}
        return {name: future.result() for name, future in futures.items()}


# -- discovery ---------------------------------------------------------------------------------
@pytest.mark.parametrize("name", FOUND)
def test_discovery_finds_the_app(runs: dict[str, subprocess.CompletedProcess[str]], name: str) -> None:
    result = runs[name]
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.splitlines()[-1].split() == ["found", "GET", FOUND[name][1]]


@pytest.mark.parametrize("name", FAILS)
def test_failure_is_one_line(runs: dict[str, subprocess.CompletedProcess[str]], name: str) -> None:
    result = runs[name]
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    assert FAILS[name][1] in lines[0]


def test_debug_shows_the_traceback(runs: dict[str, subprocess.CompletedProcess[str]]) -> None:
    result = runs["debug traceback"]
    assert result.returncode == 2
    assert result.stderr.startswith("Traceback (most recent call last):")
    assert "1 / 0" in result.stderr
    last = result.stderr.splitlines()[-1]
    assert last == "Error: Importing 'web' (--app web) failed: ZeroDivisionError: division by zero"


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Work in ``tmp_path``; ``sys.path`` and the modules imported from there are put back after."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))
    for key in ("MICROFLASK_APP", "MICROFLASK_DEBUG"):
        monkeypatch.setenv(key, "")  # recorded: put back (unset) after the test, even if set meanwhile
        monkeypatch.delenv(key)
    before = set(sys.modules)
    yield tmp_path
    for name in set(sys.modules) - before:
        if str(getattr(sys.modules[name], "__file__", None) or "").startswith(str(tmp_path)):
            del sys.modules[name]


def module(where: Path, body: str) -> str:
    """A uniquely named module in ``where`` made of MAKE and ``body``; its name."""
    name = f"web_{uuid.uuid4().hex[:10]}"
    (where / f"{name}.py").write_text(MAKE + body)
    return name


def invoke(*args: str) -> Any:
    """``microflask ARGS`` in-process (discovery included)."""
    return typer.testing.CliRunner().invoke(microflask_cli, list(args))


def test_app_option_after_the_command_and_before_the_environment(here: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    name = module(here, "app = make('option')")
    monkeypatch.setenv("MICROFLASK_APP", "nosuch")
    for args in (("routes", "--app", name), ("--app", name, "routes"), ("-A", name, "routes")):
        result = invoke(*args)
        assert result.exit_code == 0, result.output
        assert result.output.splitlines()[-1].split() == ["found", "GET", "/option"]


def test_more_failures_in_process(here: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    name = module(here, FACTORY_ERROR)
    cases = [
        ((), "Could not import 'nosuch' (MICROFLASK_APP=nosuch:app): no such module"),
        (("--app", "sub/none.py"), "Could not import 'none' (--app sub/none.py): no such module"),
        (("--app", name), f"'{name}:create_app()' raised RuntimeError: no database (--debug shows the traceback)"),
    ]
    monkeypatch.setenv("MICROFLASK_APP", "nosuch:app")
    for args, message in cases:
        result = invoke(*args, "routes")
        assert result.exit_code == 2
        assert result.stdout == ""
        assert result.stderr.splitlines() == [result.stderr.strip()]
        assert message in result.stderr


def test_load_dotenv(here: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (here / ".microflaskenv").write_text("MICROFLASK_APP=from_microflaskenv\nMF_TEST_ONLY_IN_MICROFLASKENV=yes\n")
    (here / ".env").write_text("MICROFLASK_APP=from_env\nMF_TEST_PRESET=from_env\n")
    for key in ("MF_TEST_ONLY_IN_MICROFLASKENV", "MICROFLASK_SKIP_DOTENV"):
        monkeypatch.setenv(key, "")  # recorded: put back (unset) after the test, even if set meanwhile
        monkeypatch.delenv(key)
    monkeypatch.setenv("MF_TEST_PRESET", "preset")
    assert load_dotenv()
    assert os.environ["MICROFLASK_APP"] == "from_env"  # .env wins over .microflaskenv
    assert os.environ["MF_TEST_ONLY_IN_MICROFLASKENV"] == "yes"
    assert os.environ["MF_TEST_PRESET"] == "preset"  # the environment wins over both
    monkeypatch.setenv("MICROFLASK_SKIP_DOTENV", "1")
    assert not load_dotenv()


# -- version, help, routes, shell ----------------------------------------------------------------
def test_version(runs: dict[str, subprocess.CompletedProcess[str]]) -> None:
    result = runs["version"]
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "microflask 0.1.0"
    assert lines[1] == f"Python {sys.version.split()[0]}"
    assert any(line.startswith("Uvicorn ") for line in lines)


def test_console_script(tmp_path: Path) -> None:
    script = Path(sys.executable).with_name("microflask")  # [project.scripts] in pyproject.toml
    if not script.exists():
        pytest.skip("microflask is not installed as a package here (pip install -e .)")
    result = subprocess.run(
        [str(script), "--version"], cwd=tmp_path, env=clean_env(), capture_output=True, text=True, timeout=DEADLINE
    )
    assert (result.returncode, result.stdout.splitlines()[0]) == (0, "microflask 0.1.0")


def test_help_lists_builtin_and_app_commands(runs: dict[str, subprocess.CompletedProcess[str]]) -> None:
    result = runs["help"]
    assert result.returncode == 0
    for text in ("Usage: microflask", "--app", "--version", "run", "routes", "shell", "App commands"):
        assert text in result.stdout
    app_panel = result.stdout.split("App commands")[1].splitlines()
    for name, summary in (("greet", "Greet someone."), ("agreet", "Greet, asynchronously."), ("clickcmd", "Click")):
        assert any(name in line and summary in line for line in app_panel), name


def test_routes(runs: dict[str, subprocess.CompletedProcess[str]]) -> None:
    result = runs["routes"]
    assert result.returncode == 0
    assert [line.split() for line in result.stdout.splitlines()] == [
        ["Endpoint", "Methods", "Rule"],
        ["--------", "---------", "-----------------------"],
        ["boom", "GET", "/boom"],
        ["chat", "WEBSOCKET", "/ws"],
        ["index", "GET", "/"],
        ["info", "GET", "/info"],
        ["static", "GET", "/static/<path:filename>"],
        ["user", "GET,", "POST", "/users/<int:id>"],
    ]


def test_shell_has_the_app_and_its_names(runs: dict[str, subprocess.CompletedProcess[str]]) -> None:
    result = runs["shell"]
    assert result.returncode == 0, result.stderr
    assert "app 42" in result.stdout
    assert "<microflask.g of 'app'>" in result.stdout
    assert "App: app (debug off)" in result.stderr  # code.interact writes its banner to stderr


# -- the app's commands ----------------------------------------------------------------------------
def test_app_commands_in_a_subprocess(runs: dict[str, subprocess.CompletedProcess[str]]) -> None:
    assert (runs["greet"].returncode, runs["greet"].stdout) == (0, "HELLO BOB FROM APP\n")
    assert (runs["clickcmd"].returncode, runs["clickcmd"].stdout) == (0, "click says hi to me from app\n")


@pytest.fixture
def app() -> MicroFlask:
    app = MicroFlask(__name__, static_folder=None)
    torn_down: list[Any] = []
    app.extensions["torn_down"] = torn_down
    app.teardown_appcontext(torn_down.append)

    @app.route("/")
    async def index() -> str:
        return "hi"

    @app.cli.command()
    def hello(name: str = "world") -> None:
        """Say hello."""
        g.seen = True
        typer.echo(f"hello {name} from {current_app.name}")

    @app.cli.command()
    async def ahello(times: int = 1) -> None:
        """Say hello, asynchronously."""
        typer.echo(" ".join([f"async hello from {current_app.name}"] * times))

    @app.cli.command(with_appcontext=False)
    def bare() -> None:
        typer.echo(f"context: {current_app.name if g else None}")

    @app.cli.command()
    def fail() -> None:
        raise typer.Exit(3)

    @click.command()
    @click.argument("who")
    def clicky(who: str) -> None:
        """Click, in the app context."""
        click.echo(f"click hello {who} from {current_app.name}")

    app.cli.add_command(clicky)

    @click.group()
    def db() -> None:
        """Database commands."""

    @db.command()
    def init() -> None:
        click.echo(f"db init for {current_app.name}")

    app.cli.add_command(db)

    users = typer.Typer(help="User commands.")

    @users.command("list")
    def list_users() -> None:
        typer.echo(f"users of {current_app.name}")

    app.cli.add_typer(users, name="users")
    return app


def test_runner_invokes_typer_commands_in_the_app_context(app: MicroFlask) -> None:
    runner = app.test_cli_runner()
    assert isinstance(runner, CliRunner)
    result = runner.invoke(args=["hello", "--name", "ann"])
    assert (result.exit_code, result.output) == (0, f"hello ann from {app.name}\n")
    assert len(app.extensions["torn_down"]) == 1  # the context was pushed, and popped
    result = runner.invoke(args=["ahello", "--times", "2"])
    assert (result.exit_code, result.output) == (0, f"async hello from {app.name} async hello from {app.name}\n")
    assert runner.invoke(args=["fail"]).exit_code == 3


def test_runner_invokes_click_commands_and_groups(app: MicroFlask) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["clicky", "bob"])
    assert (result.exit_code, result.output) == (0, f"click hello bob from {app.name}\n")
    assert runner.invoke(args=["db", "init"]).output == f"db init for {app.name}\n"
    assert runner.invoke(args=["users", "list"]).output == f"users of {app.name}\n"
    missing = runner.invoke(args=["clicky"])
    assert missing.exit_code == 2
    assert "Missing argument 'WHO'" in missing.output
    bad = runner.invoke(args=["clicky", "--bad", "x"])
    assert bad.exit_code == 2 and "No such option" in bad.output
    help = runner.invoke(args=["clicky", "--help"])
    assert help.exit_code == 0
    assert "Usage: microflask clicky [OPTIONS] WHO" in help.output and "Click, in the app context." in help.output


def test_runner_errors(app: MicroFlask) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["nosuchcommand"])
    assert result.exit_code == 2 and "No such command 'nosuchcommand'" in result.output
    result = runner.invoke(args=["hello", "--bad"])
    assert result.exit_code == 2 and "No such option" in result.output


def test_runner_commands_without_an_app_context(app: MicroFlask) -> None:
    result = app.test_cli_runner().invoke(args=["bare"])
    # the microflask group pushes the context for every app command; the wrapper adds none
    assert (result.exit_code, result.output) == (0, f"context: {app.name}\n")
    result = app.test_cli_runner().invoke(app.cli, ["hello"])
    assert result.output == f"hello world from {app.name}\n"


def test_app_commands_run_in_the_context_outside_the_microflask_group(app: MicroFlask) -> None:
    result = typer.testing.CliRunner().invoke(app.cli, ["hello", "--name", "direct"])
    assert (result.exit_code, result.output) == (0, f"hello direct from {app.name}\n")


def test_runner_help_and_builtins(app: MicroFlask) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["--help"])
    assert result.exit_code == 0
    for name in ("run", "routes", "shell", "hello", "ahello", "clicky", "db", "users"):
        assert name in result.output
    for command in ("run", "routes", "shell", "hello", "users"):
        result = runner.invoke(args=[command, "--help"])
        assert result.exit_code == 0, result.output
        assert f"Usage: microflask {command}" in result.output
    result = runner.invoke(args=["routes"])
    assert result.output.splitlines()[2].split() == ["index", "GET", "/"]


def test_add_command_checks(app: MicroFlask) -> None:
    with pytest.raises(TypeError, match="no name"):
        app.cli.add_command(click.Command(None))
    with pytest.raises(TypeError, match="takes a Click command"):
        app.cli.add_command(print, "print")
    assert isinstance(app.cli, AppGroup) and isinstance(app.cli, typer.Typer)


# -- routes -----------------------------------------------------------------------------------------
@pytest.fixture
def routes_app() -> MicroFlask:
    app = MicroFlask(__name__, static_folder=None)

    async def view() -> str:
        return ""

    app.add_url_rule("/b", "zeta", view, methods=["POST"])
    app.add_url_rule("/a", "alpha", view)
    app.add_url_rule("/c", "mid", view, methods=["DELETE", "GET"])
    return app


@pytest.mark.parametrize(
    ("sort", "order"),
    [("endpoint", ["alpha", "mid", "zeta"]), ("rule", ["alpha", "zeta", "mid"]), ("methods", ["mid", "alpha", "zeta"]),
     ("match", ["zeta", "alpha", "mid"])],
)  # fmt: skip
def test_routes_sort(routes_app: MicroFlask, sort: str, order: list[str]) -> None:
    result = routes_app.test_cli_runner().invoke(args=["routes", "--sort", sort])
    assert result.exit_code == 0
    assert [line.split()[0] for line in result.output.splitlines()[2:]] == order


def test_routes_all_methods_and_empty(routes_app: MicroFlask) -> None:
    lines = format_routes(routes_app.url_map.iter_rules(), "endpoint", all_methods=True)
    assert lines[2].split() == ["alpha", "GET,", "HEAD,", "OPTIONS", "/a"]
    result = routes_app.test_cli_runner().invoke(args=["routes", "--sort", "bogus"])
    assert result.exit_code == 2
    empty = MicroFlask(__name__, static_folder=None).test_cli_runner().invoke(args=["routes"])
    assert (empty.exit_code, empty.output) == (0, "No routes were registered.\n")


# -- run ----------------------------------------------------------------------------------------------
def get_json(port: int, path: str) -> Any:
    status, body = get(port, path)
    assert status == 200
    return json.loads(body)


@pytest.fixture
def app_dir(tmp_path: Path) -> Path:
    (tmp_path / "app.py").write_text(APP)
    return tmp_path


def test_run_serves(app_dir: Path) -> None:
    port = free_port()
    with ServerProcess(python("-m", "microflask", "run", "--port", str(port)), app_dir) as server:
        assert f" * Running on http://127.0.0.1:{port}" in server.wait_for(" * Running on")
        server.wait_for("Uvicorn running on")
        assert get(port, "/") == (200, b"hello")
        assert get_json(port, "/info") == {"auto_reload": None, "debug": False}
        status, body = get(port, "/boom")
        assert status == 500 and b"kaboom" not in body and b"Traceback" not in body
        assert server.stop() in CLEAN_EXIT
    assert "Application shutdown complete" in server.output


def test_run_debug_reloads_and_passes_debug_to_the_child(app_dir: Path) -> None:
    port = free_port()
    with ServerProcess(python("-m", "microflask", "run", "--debug", "--port", str(port)), app_dir) as server:
        server.wait_for("Started reloader process")
        server.wait_for("Application startup complete")  # in the reloader's child...
        server.wait_listening(port)  # ...which listens on the socket the reloader bound, after that
        assert get_json(port, "/info") == {"auto_reload": True, "debug": True}
        status, body = get(port, "/boom")
        assert status == 500
        assert b"ValueError" in body and b"kaboom &lt;b&gt;" in body and b"kaboom <b>" not in body
        assert server.stop() in CLEAN_EXIT
    assert "debug on, reload on" in server.output
    assert "Stopping reloader process" in server.output


# -- run's options, in-process (Uvicorn replaced by a recorder) -------------------------------------
@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, dict[str, Any]]]]:
    import uvicorn

    calls: list[tuple[str, dict[str, Any]]] = []
    monkeypatch.setattr(uvicorn, "run", lambda target, **kw: calls.append((target, kw)))
    monkeypatch.setenv("MICROFLASK_APP", "")  # recorded: put back (unset) after the test, even if set meanwhile
    monkeypatch.delenv("MICROFLASK_APP")
    monkeypatch.setenv("MICROFLASK_DEBUG", "")  # recorded: put back (unset) after the test, even if set meanwhile
    monkeypatch.delenv("MICROFLASK_DEBUG")
    monkeypatch.setattr("microflask.cli._loaded_app", None)
    yield calls


def test_run_passes_options_to_uvicorn(app: MicroFlask, served: list[tuple[str, dict[str, Any]]]) -> None:
    args = ["run", "--host", "0.0.0.0", "--port", "8000", "--workers", "3", "--root-path", "/api"]
    args += ["--no-proxy-headers", "--forwarded-allow-ips", "10.0.0.1", "--log-level", "warning"]
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 2  # workers need the app's location: a handed-over app has none
    assert "need the app's location" in result.output
    result = app.test_cli_runner().invoke(args=args, obj=ScriptInfo(app=app, location="web:app"))
    assert result.exit_code == 0, result.output
    assert "Running on all addresses: http://0.0.0.0:8000, here http://127.0.0.1:8000" in result.output
    [(target, options)] = served
    assert target == "microflask.cli:_serve_target"
    assert options == {
        "factory": True,
        "host": "0.0.0.0",
        "port": 8000,
        "reload": False,
        "workers": 3,
        "root_path": "/api",
        "proxy_headers": False,
        "forwarded_allow_ips": "10.0.0.1",
        "log_level": "warning",
    }
    assert os.environ["MICROFLASK_APP"] == "web:app"
    assert "MICROFLASK_DEBUG" not in os.environ


def test_run_debug(app: MicroFlask, served: list[tuple[str, dict[str, Any]]]) -> None:
    result = app.test_cli_runner().invoke(args=["run", "--debug"], obj=ScriptInfo(app=app, location="web:app"))
    assert result.exit_code == 0, result.output
    assert "debug on, reload on" in result.output
    [(_, options)] = served
    assert options["reload"] is True and options["reload_dirs"][0] == os.getcwd()
    assert (os.environ["MICROFLASK_DEBUG"], app.debug, app.config["TEMPLATES_AUTO_RELOAD"]) == ("1", True, True)

    result = app.test_cli_runner().invoke(args=["run", "--debug", "--workers", "2"])
    assert result.exit_code == 2 and "--workers cannot be combined with reloading" in result.output
    result = app.test_cli_runner().invoke(args=["run", "--debug"])
    assert result.exit_code == 2 and "need the app's location" in result.output


def test_run_debug_host_check(app: MicroFlask, served: list[tuple[str, dict[str, Any]]]) -> None:
    runner = app.test_cli_runner()
    for host in ("127.0.0.1", "localhost", "::1", "127.0.0.2"):
        assert runner.invoke(args=["run", "--debug", "--no-reload", "--host", host]).exit_code == 0, host
    for host in ("0.0.0.0", "::", "192.168.0.5", "example.com"):
        result = runner.invoke(args=["run", "--debug", "--no-reload", "--host", host])
        assert result.exit_code == 2 and "Refusing to serve with DEBUG on" in result.output, host
    result = runner.invoke(args=["run", "--debug", "--no-reload", "--host", "0.0.0.0", "--allow-external"])
    assert result.exit_code == 0 and "DEBUG is on: never use it in production" in result.output
    app.config["DEBUG"] = True  # set by the app itself, not the command line: still refused
    assert runner.invoke(args=["run", "--host", "0.0.0.0"]).exit_code == 2
    assert len(served) == 5


def test_is_local_host() -> None:
    assert all(map(is_local_host, ["127.0.0.1", "LOCALHOST", "::1", "[::1]", "127.1.2.3"]))
    assert not any(map(is_local_host, ["0.0.0.0", "::", "10.0.0.1", "myhost", ""]))


def test_serve_target_loads_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, served: list[Any]
) -> None:
    from microflask.cli import _serve_target

    name = f"served_{os.getpid()}_{abs(hash(tmp_path)) % 10**6}"
    (tmp_path / f"{name}.py").write_text(MAKE + "app = make('served')")
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.setenv("MICROFLASK_APP", str(tmp_path / f"{name}.py"))
    monkeypatch.setenv("MICROFLASK_DEBUG", "1")
    try:
        served_app = _serve_target()
        assert isinstance(served_app, MicroFlask) and served_app.debug
        assert [rule.rule for rule in served_app.url_map.iter_rules()] == ["/served"]
    finally:
        sys.modules.pop(name, None)
