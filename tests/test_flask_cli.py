"""Flask's command-line API for Click users: ``microflask.cli``'s ``FlaskGroup``, ``AppGroup``,
``with_appcontext``, ``ScriptInfo``, ``locate_app``, ``load_dotenv``, the Click commands, the
blueprints' ``cli``, and ``app.run()`` serving with Uvicorn.

Click's own ``CliRunner`` drives the Click side; ``app.test_cli_runner()`` the ``microflask``
(Typer) side. ``app.run()`` runs for real in a subprocess, and in-process with ``uvicorn.run``
replaced by a recorder.
"""

from __future__ import annotations

import os
import ssl
import subprocess
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest
import typer
from click.testing import CliRunner
from subprocess_server import CLEAN_EXIT, ServerProcess, clean_env, free_port, get, python

from microflask import Blueprint, MicroFlask, current_app
from microflask.cli import (
    AppGroup,
    FlaskGroup,
    NoAppException,
    ScriptInfo,
    find_best_app,
    format_routes,
    get_version,
    load_dotenv,
    locate_app,
    prepare_import,
    routes_command,
    run_command,
    with_appcontext,
)
from microflask.cli import cli as microflask_cli

ENV_NAMES = ("MICROFLASK_APP", "FLASK_APP", "MICROFLASK_DEBUG", "FLASK_DEBUG", "MICROFLASK_RUN_FROM_CLI")
ENV_NAMES += ("MICROFLASK_SKIP_DOTENV", "FLASK_SKIP_DOTENV")


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Work in ``tmp_path``; ``sys.path`` and the modules imported from there are put back after."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))
    before = set(sys.modules)
    yield tmp_path
    for name in set(sys.modules) - before:
        if str(getattr(sys.modules[name], "__file__", None) or "").startswith(str(tmp_path)):
            del sys.modules[name]


def make_app(name: str = "clickapp") -> MicroFlask:
    app = MicroFlask(name, static_folder=None)

    @app.route("/")
    async def index() -> str:
        return "hi"

    return app


# -- AppGroup: a Click group and a Typer app ----------------------------------------------------
def test_app_cli_is_a_click_group_and_a_typer_app_named_after_the_app() -> None:
    app = make_app()
    assert isinstance(app.cli, click.Group) and isinstance(app.cli, typer.Typer) and isinstance(app.cli, AppGroup)
    assert app.cli.name == "clickapp"
    assert Blueprint("users", __name__).cli.name == "users"


def test_click_group_of_app_groups_runs_commands_in_the_loaded_app_context() -> None:
    @click.group(cls=AppGroup)
    def tools() -> None:
        pass

    @tools.command()
    def name() -> None:
        click.echo(current_app.name)

    @tools.group()
    def db() -> None:
        pass

    @db.command()
    @click.option("--times", default=1)
    def init(times: int) -> None:
        click.echo(f"init {current_app.name} x{times}")

    @db.command()
    def seed(rows: int = 3) -> None:  # Typer's: parameters of its own, no Click decorator
        print(f"seed {rows} into {current_app.name}")

    assert isinstance(db, AppGroup)
    info = ScriptInfo(create_app=lambda: make_app("loaded"))
    runner = CliRunner()
    assert runner.invoke(tools, ["name"], obj=info).output == "loaded\n"
    assert runner.invoke(tools, ["db", "init", "--times", "2"], obj=info).output == "init loaded x2\n"
    result = runner.invoke(tools, ["db", "seed", "--rows", "5"], obj=info)
    assert (result.exit_code, result.output) == (0, "seed 5 into loaded\n")
    assert runner.invoke(tools, ["db", "--help"], obj=info).output.count("seed") == 1


def test_click_command_parameters_see_the_app_and_the_return_value_comes_back() -> None:
    app = make_app()

    def in_context(ctx: click.Context, param: click.Parameter, value: str) -> tuple[str, bool]:
        return value, current_app.name == app.name

    @app.cli.command()
    @click.argument("value", callback=in_context)
    def check(value: tuple[str, bool]) -> Any:
        loaded = click.get_current_context().find_object(ScriptInfo).load_app()
        return value, current_app._get_current_object() is loaded

    result = CliRunner().invoke(FlaskGroup(create_app=lambda: app), ["check", "x"], standalone_mode=False)
    assert result.return_value == (("x", True), True)


def test_with_appcontext_on_a_plain_click_command() -> None:
    @click.command()
    @with_appcontext
    def whoami() -> None:
        click.echo(current_app.name)

    result = CliRunner().invoke(whoami, obj=ScriptInfo(create_app=lambda: make_app("plain")))
    assert (result.exit_code, result.output) == (0, "plain\n")


def test_async_click_command_and_command_without_context() -> None:
    app = make_app()

    @app.cli.command()
    async def ping() -> None:
        click.echo(f"pong from {current_app.name}")

    @app.cli.command(with_appcontext=False)
    async def bare() -> None:
        click.echo("bare")

    group = FlaskGroup(create_app=lambda: app)
    assert CliRunner().invoke(group, ["ping"]).output == "pong from clickapp\n"
    assert CliRunner().invoke(group, ["bare"]).output == "bare\n"


def test_typer_and_click_commands_both_ways() -> None:
    app = make_app()

    @app.cli.command()
    def greet(name: str = "world") -> None:
        """Greet, Typer style."""
        print(f"hello {name} from {current_app.name}")

    @app.cli.command("shout")
    @click.argument("word")
    def shout(word: str) -> None:
        """Shout, Click style."""
        click.echo(word.upper())

    tool = typer.Typer()

    @tool.command()
    def one() -> None:
        print("one")

    @tool.command()
    def two() -> None:
        print("two")

    app.cli.add_command(tool, "tool")
    with pytest.raises(TypeError, match="takes a Click command"):
        app.cli.add_command(object(), "nope")

    # Click's side: FlaskGroup
    click_side = CliRunner()
    group = FlaskGroup(create_app=lambda: app)
    assert click_side.invoke(group, ["greet", "--name", "ann"]).output == "hello ann from clickapp\n"
    assert click_side.invoke(group, ["shout", "hey"]).output == "HEY\n"
    assert click_side.invoke(group, ["tool", "two"]).output == "two\n"
    listing = click_side.invoke(group, ["--help"]).output
    assert "Greet, Typer style." in listing and "Shout, Click style." in listing
    bad = click_side.invoke(group, ["greet", "--nope"])
    assert bad.exit_code == 2

    # Typer's side: the microflask command
    runner = app.test_cli_runner()
    assert runner.invoke(args=["greet", "--name", "bob"]).output == "hello bob from clickapp\n"
    assert runner.invoke(args=["shout", "hey"]).output == "HEY\n"
    assert runner.invoke(args=["tool", "one"]).output == "one\n"


# -- FlaskGroup ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("set_debug_flag", "args", "expected"), [(True, [], "False"), (False, [], "True"),
                         (True, ["--debug"], "True"), (True, ["--no-debug"], "False")])  # fmt: skip
def test_flaskgroup_debug_flag(set_debug_flag: bool, args: list[str], expected: str) -> None:
    def create_app() -> MicroFlask:
        app = make_app()
        app.debug = True
        return app

    @click.group(cls=FlaskGroup, create_app=create_app, set_debug_flag=set_debug_flag)
    def manage() -> None:
        pass

    @manage.command()
    def debug() -> None:
        click.echo(str(current_app.debug))

    result = CliRunner().invoke(manage, [*args, "debug"])
    assert (result.exit_code, result.output) == (0, f"{expected}\n")


def test_flaskgroup_debug_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLASK_DEBUG", "1")
    group = FlaskGroup(create_app=make_app)

    @group.command()
    def debug() -> None:
        click.echo(str(current_app.debug))

    assert CliRunner().invoke(group, ["debug"]).output == "True\n"


def test_flaskgroup_nested_in_a_click_group() -> None:
    outer = click.Group("outer")
    inner = FlaskGroup(name="web", create_app=lambda: make_app("nested"))
    outer.add_command(inner)

    @inner.command()
    def show() -> None:
        click.echo(current_app.name)

    assert CliRunner().invoke(outer, ["web", "show"]).output == "nested\n"


def test_flaskgroup_finds_the_app_with_app_option_and_reports_failures(here: Path) -> None:
    (here / "mfsite.py").write_text("from microflask import MicroFlask\nweb = MicroFlask('site')\n")
    runner = CliRunner()
    result = runner.invoke(FlaskGroup(), ["--app", "mfsite:web", "routes"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[2].split() == ["static", "GET", "/static/<path:filename>"]

    result = runner.invoke(FlaskGroup(), ["routes"])
    assert result.exit_code == 2 and "Error: Could not locate a microflask application" in result.output
    result = runner.invoke(FlaskGroup(), ["--help"])  # no app here: help, and why its commands are missing
    assert result.exit_code == 0
    assert "Usage:" in result.stdout and "routes" in result.stdout
    assert "Error: Could not locate a microflask application" in result.stderr

    def broken() -> MicroFlask:
        raise RuntimeError("no database")

    result = runner.invoke(FlaskGroup(create_app=broken), ["--help"])
    assert result.exit_code == 0 and "broken() raised RuntimeError: no database" in result.stderr
    result = runner.invoke(FlaskGroup(create_app=broken), ["nosuch"])
    assert result.exit_code == 2 and "No such command 'nosuch'" in result.stderr


def test_flaskgroup_version_and_get_version() -> None:
    result = CliRunner().invoke(FlaskGroup(), ["--version"])
    assert result.exit_code == 0
    assert result.output.splitlines()[:2] == ["microflask 0.1.0", f"Python {sys.version.split()[0]}"]
    assert "Uvicorn " in result.output and "Click " in result.output
    assert get_version(click.Context(click.Command("x")), None, False) is None  # not asked: nothing


def test_flaskgroup_env_file_and_dotenv(here: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("dotenv")
    monkeypatch.delenv("MF_FROM_ENV_FILE", raising=False)
    monkeypatch.delenv("MF_FROM_FLASKENV", raising=False)
    (here / "custom.env").write_text("MF_FROM_ENV_FILE=yes\n")
    (here / ".flaskenv").write_text("MF_FROM_FLASKENV=yes\n")
    group = FlaskGroup(create_app=make_app)

    @group.command()
    def env() -> None:
        click.echo(f"{os.environ.get('MF_FROM_ENV_FILE')} {os.environ.get('MF_FROM_FLASKENV')}")

    assert CliRunner().invoke(group, ["-e", "custom.env", "env"]).output == "yes yes\n"


def test_flaskgroup_sets_run_from_cli_while_it_runs() -> None:
    group = FlaskGroup(create_app=make_app)

    @group.command()
    def flag() -> None:
        click.echo(os.environ.get("MICROFLASK_RUN_FROM_CLI"))

    assert CliRunner().invoke(group, ["flag"]).output == "true\n"
    assert "MICROFLASK_RUN_FROM_CLI" not in os.environ


def test_the_microflask_command_runs_under_clicks_runner(here: Path) -> None:
    result = CliRunner().invoke(microflask_cli, ["--help"])
    assert result.exit_code == 0
    assert "Usage: microflask" in result.stdout
    assert "the app's commands are not listed. Could not locate" in result.stderr


# -- the Click commands -------------------------------------------------------------------------
def test_routes_command_and_domain_column() -> None:
    app = make_app()
    app.add_url_rule("/b", "zeta", lambda: "", methods=["POST"])
    result = CliRunner().invoke(routes_command, ["-s", "rule", "--all-methods"], obj=ScriptInfo(create_app=lambda: app))
    assert result.exit_code == 0
    assert [line.split()[0] for line in result.output.splitlines()[2:]] == ["index", "zeta"]
    assert "HEAD, OPTIONS" in result.output

    rule = types.SimpleNamespace
    rules = [
        rule(endpoint="a", methods={"GET"}, rule="/a", websocket=False, subdomain="api", host=None),
        rule(endpoint="b", methods={"GET"}, rule="/b", websocket=False, subdomain="", host=None),
    ]
    lines = format_routes(rules, "domain")  # type: ignore[arg-type]
    assert lines[0].split() == ["Endpoint", "Methods", "Subdomain", "Rule"]
    assert [line.split() for line in lines[2:]] == [["b", "GET", "/b"], ["a", "GET", "api", "/a"]]


def test_run_command_certificate_options(monkeypatch: pytest.MonkeyPatch) -> None:
    here = __file__
    with pytest.raises(click.BadParameter, match="Required when using"):
        run_command.make_context("run", ["--cert", here])
    with pytest.raises(click.BadParameter, match="must also be specified"):
        run_command.make_context("run", ["--key", here])
    for args in (["--cert", here, "--key", here], ["--key", here, "--cert", here]):
        assert run_command.make_context("run", args).params["cert"] == (here, here)

    monkeypatch.setitem(sys.modules, "cryptography", None)
    with pytest.raises(click.BadParameter, match="cryptography"):
        run_command.make_context("run", ["--cert", "adhoc"])
    monkeypatch.setitem(sys.modules, "cryptography", types.ModuleType("cryptography"))
    assert run_command.make_context("run", ["--cert", "adhoc"]).params["cert"] == "adhoc"
    with pytest.raises(click.BadParameter, match="adhoc"):
        run_command.make_context("run", ["--cert", "adhoc", "--key", here])

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    module = types.ModuleType("mf_tls_settings")
    module.context = context  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "mf_tls_settings", module)
    assert run_command.make_context("run", ["--cert", "mf_tls_settings:context"]).params["cert"] is context
    assert run_command.make_context("run", ["--cert", "mf_tls_settings.context"]).params["cert"] is context
    with pytest.raises(click.BadParameter):
        run_command.make_context("run", ["--cert", "mf_tls_settings:context", "--key", here])
    with pytest.raises(click.BadParameter):
        run_command.make_context("run", ["--cert", "mf_tls_settings"])  # a module, not an SSLContext
    monkeypatch.setitem(sys.modules, "ssl", None)
    with pytest.raises(click.BadParameter, match="SSL support"):
        run_command.make_context("run", ["--cert", "anything"])


def test_run_command_exclude_patterns_and_extra_files() -> None:
    ctx = run_command.make_context("run", ["--exclude-patterns", f"a{os.pathsep}b", "--extra-files", __file__])
    assert (ctx.params["exclude_patterns"], ctx.params["extra_files"]) == (["a", "b"], [__file__])


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, dict[str, Any]]]:
    import uvicorn

    calls: list[tuple[Any, dict[str, Any]]] = []
    monkeypatch.setattr(uvicorn, "run", lambda target, **kw: calls.append((target, kw)))
    return calls


def test_run_command_serves_with_uvicorn(served: list[tuple[Any, dict[str, Any]]]) -> None:
    app = make_app()
    group = FlaskGroup(create_app=lambda: app)
    here = __file__
    result = CliRunner().invoke(group, ["run", "--port", "8123", "--cert", here, "--key", here])
    assert result.exit_code == 0, result.output
    assert served == [(app, {"host": "127.0.0.1", "port": 8123, "ssl_certfile": here, "ssl_keyfile": here})]
    # debug turns reloading on, which needs the app's location: a factory has none
    result = CliRunner().invoke(group, ["--debug", "run"])
    assert result.exit_code == 0 and "Not reloading" in result.output
    assert served[-1][0] is app


def test_run_command_reloads_from_the_location(here: Path, served: list[tuple[Any, dict[str, Any]]]) -> None:
    (here / "mfsite.py").write_text("from microflask import MicroFlask\napp = MicroFlask('site')\n")
    result = CliRunner().invoke(FlaskGroup(), ["--app", "mfsite", "--debug", "run", "--exclude-patterns", "*.tmp"])
    assert result.exit_code == 0, result.output
    [(target, options)] = served
    assert target == "microflask.clickapi:serve_target"
    assert options["reload"] is True and options["factory"] is True and options["reload_excludes"] == ["*.tmp"]
    assert (os.environ.pop("MICROFLASK_APP"), os.environ.pop("MICROFLASK_DEBUG")) == ("mfsite", "1")


# -- finding the app: Flask's functions ---------------------------------------------------------
def test_find_best_app_in_a_namespace_and_factory_errors_propagate() -> None:
    class Namespace:
        site = MicroFlask("single")

    assert find_best_app(Namespace) is Namespace.site

    class Factory:
        @staticmethod
        def create_app(**options: Any) -> MicroFlask:
            return MicroFlask("made")

    assert find_best_app(Factory).name == "made"

    class Wrong:
        @staticmethod
        def create_app(config: str) -> MicroFlask:
            return MicroFlask("never")

    with pytest.raises(NoAppException):
        find_best_app(Wrong)

    class Raises:
        @staticmethod
        def make_app() -> MicroFlask:
            raise LookupError("from inside the factory")

    with pytest.raises(LookupError, match="from inside the factory"):
        find_best_app(Raises)


def test_locate_app_with_flasks_signature(here: Path) -> None:
    (here / "shop.py").write_text(
        "from microflask import MicroFlask\n"
        "def create_app(kind='a', *, suffix=''):\n    return MicroFlask(kind + suffix)\n"
        "def broken():\n    raise KeyError('inside')\n"
    )
    (here / "importfails.py").write_text("import not_installed_anywhere_mf\n")
    assert prepare_import(str(here / "shop.py")) == "shop"
    assert locate_app("shop", None).name == "a"  # type: ignore[union-attr]
    assert locate_app("shop", ' create_app("b", suffix="-x") ').name == "b-x"  # type: ignore[union-attr]
    assert locate_app("nosuchmodule_mf", None, raise_if_not_found=False) is None
    with pytest.raises(NoAppException):
        locate_app("nosuchmodule_mf", None)
    with pytest.raises(NoAppException):  # only a missing module itself is "not found"
        locate_app("importfails", None, raise_if_not_found=False)
    with pytest.raises(KeyError, match="inside"):
        locate_app("shop", "broken()")


def test_script_info(here: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (here / "wsgi.py").write_text("from microflask import MicroFlask\napp = MicroFlask('from_wsgi')\n")
    (here / "other.py").write_text("from microflask import MicroFlask\nsite = MicroFlask('other')\n")
    info = ScriptInfo()
    assert info.load_app().name == "from_wsgi" and info.load_app() is info.load_app()
    assert ScriptInfo(app_import_path=str(here / "other.py")).load_app().name == "other"
    monkeypatch.setenv("FLASK_APP", "other:site")  # Flask's name, when MICROFLASK_APP is not set
    assert ScriptInfo().load_app().name == "other"
    monkeypatch.setenv("MICROFLASK_APP", "wsgi")
    assert ScriptInfo().load_app().name == "from_wsgi"
    with pytest.raises(NoAppException, match="returned a int"):
        ScriptInfo(create_app=lambda: 42).load_app()
    assert ScriptInfo().data == {}


@pytest.mark.parametrize(("set_debug_flag", "env", "expected"), [(True, None, False), (True, "1", True),
                         (None, None, True), (None, "0", False), (False, "0", True)])  # fmt: skip
def test_script_info_set_debug_flag(
    monkeypatch: pytest.MonkeyPatch, set_debug_flag: bool | None, env: str | None, expected: bool
) -> None:
    if env is not None:
        monkeypatch.setenv("MICROFLASK_DEBUG", env)
    app = make_app()
    app.debug = True
    assert ScriptInfo(create_app=lambda: app, set_debug_flag=set_debug_flag).load_app().debug is expected


# -- .env files -------------------------------------------------------------------------------------
def test_load_dotenv_defaults_and_path(here: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("dotenv")
    names = ("MF_A", "MF_B", "MF_C", "MF_D", "MF_PRESET")
    for name in names:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MF_PRESET", "kept")
    (here / ".flaskenv").write_text("MF_A=flaskenv\nMF_B=flaskenv\nMF_PRESET=no\n")
    (here / ".microflaskenv").write_text("MF_A=microflaskenv\n")
    (here / ".env").write_text("MF_C=env\n")
    (here / "extra.env").write_text("MF_D=extra\n")
    assert load_dotenv(here / "extra.env")
    assert [os.environ[name] for name in names[:-1]] == ["microflaskenv", "flaskenv", "env", "extra"]
    assert os.environ["MF_PRESET"] == "kept"
    assert not load_dotenv("does-not-exist", load_defaults=False)
    monkeypatch.setenv("FLASK_SKIP_DOTENV", "1")
    monkeypatch.delenv("MF_C")
    assert not load_dotenv()
    assert "MF_C" not in os.environ


def test_load_dotenv_without_python_dotenv(
    here: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "dotenv", None)
    (here / ".env").write_text("MF_NEVER=1\n")
    assert not load_dotenv()
    assert "MF_NEVER" not in os.environ
    assert "install python-dotenv" in capsys.readouterr().err


# -- blueprints ---------------------------------------------------------------------------------
def test_blueprint_commands_and_cli_group() -> None:
    app = make_app()
    own = Blueprint("own", __name__)
    named = Blueprint("named", __name__, cli_group="renamed")
    merged = Blueprint("merged", __name__, cli_group=None)
    late = Blueprint("late", __name__)
    empty = Blueprint("empty", __name__, cli_group="empty")
    for bp in (own, named, merged, late):

        @bp.cli.command("hello")
        @click.option("--who", default="you")
        def hello(who: str, bp: Blueprint = bp) -> None:
            click.echo(f"{bp.name} says hi to {who} in {current_app.name}")

    @merged.cli.command()
    def tally(count: int = 1) -> None:  # Typer's, merged into the app's group too
        print(f"tally {count}")

    assert empty.cli.name == "empty"  # used, but nothing registered: not added
    for bp in (own, named, merged, empty):
        app.register_blueprint(bp)
    app.register_blueprint(late, cli_group="later")

    runner = app.test_cli_runner()  # the microflask command
    assert runner.invoke(args=["own", "hello", "--who", "ann"]).output == "own says hi to ann in clickapp\n"
    assert runner.invoke(args=["renamed", "hello"]).output == "named says hi to you in clickapp\n"
    assert runner.invoke(args=["hello"]).output == "merged says hi to you in clickapp\n"
    assert runner.invoke(args=["tally", "--count", "2"]).output == "tally 2\n"
    assert runner.invoke(args=["later", "hello"]).output == "late says hi to you in clickapp\n"
    assert runner.invoke(args=["empty", "--help"]).exit_code == 2

    group = FlaskGroup(create_app=lambda: app)  # Click's side
    assert CliRunner().invoke(group, ["renamed", "hello", "--who", "bo"]).output == "named says hi to bo in clickapp\n"
    assert CliRunner().invoke(group, ["tally"]).output == "tally 1\n"


def test_blueprints_without_commands_do_not_load_click() -> None:
    code = (
        "import sys\nfrom microflask import MicroFlask, Blueprint\n"
        "app = MicroFlask('x')\napp.register_blueprint(Blueprint('bp', 'x'))\n"
        "print(sorted(m for m in ('click', 'typer', 'uvicorn', 'microflask.appcli') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# -- app.run() ------------------------------------------------------------------------------------
def test_app_run_defaults_server_name_and_options(served: list[tuple[Any, dict[str, Any]]]) -> None:
    app = make_app()
    app.run(load_dotenv=False)
    assert served[-1] == (app, {"host": "127.0.0.1", "port": 5000})
    app.config["SERVER_NAME"] = "example.test:8080"
    app.run(debug=True, use_reloader=True, threaded=True, ssl_context=("c.pem", "k.pem"), log_level="warning")
    assert app.debug is True
    assert served[-1][1] == {
        "host": "example.test",
        "port": 8080,
        "ssl_certfile": "c.pem",
        "ssl_keyfile": "k.pem",
        "log_level": "warning",
    }
    app.run("0.0.0.0", 9000, debug=False)
    assert served[-1][1] == {"host": "0.0.0.0", "port": 9000} and app.debug is False
    app.config["SERVER_NAME"] = "localhost"
    app.run()
    assert served[-1][1] == {"host": "localhost", "port": 5000}
    app.run(port=0)  # any free port
    assert served[-1][1] == {"host": "localhost", "port": 0}
    app.config["SERVER_NAME"] = "localhost:0"
    app.run()
    assert served[-1][1] == {"host": "localhost", "port": 0}
    app.testing = True  # a test session would block forever: refused, loudly
    with pytest.raises(RuntimeError, match="TESTING on"):
        app.run()
    app.testing = False
    with pytest.raises(ValueError, match="ssl_certfile"):
        app.run(ssl_context="adhoc")


def test_app_run_reads_the_debug_flag_and_does_nothing_inside_a_command(
    served: list[tuple[Any, dict[str, Any]]], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    app = make_app()
    monkeypatch.setenv("FLASK_DEBUG", "1")
    app.run(load_dotenv=False)
    assert app.debug is True and len(served) == 1
    monkeypatch.setenv("MICROFLASK_RUN_FROM_CLI", "true")
    app.run()
    assert len(served) == 1
    assert "Ignoring a call to app.run()" in capsys.readouterr().err


HELLO = """\
from microflask import Flask

app = Flask(__name__)


@app.route("/")
def hello_world():
    return "<p>Hello, World!</p>"


if __name__ == "__main__":
    app.run(port=PORT)
"""


def test_flask_hello_world_runs_with_app_run(tmp_path: Path) -> None:
    port = free_port()
    (tmp_path / "hello.py").write_text(HELLO.replace("PORT", str(port)))
    with ServerProcess(python("hello.py"), tmp_path, clean_env()) as server:
        server.wait_listening(port)
        assert get(port, "/") == (200, b"<p>Hello, World!</p>")
        assert server.stop() in CLEAN_EXIT
    assert f"Uvicorn running on http://127.0.0.1:{port}" in server.output
    assert "Application shutdown complete" in server.output


def test_app_run_in_a_module_is_ignored_by_the_microflask_command(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(HELLO.replace('if __name__ == "__main__":\n    ', "").replace("PORT", "1"))
    result = subprocess.run(
        python("-m", "microflask", "routes"), cwd=tmp_path, env=clean_env(), capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "hello_world" in result.stdout and "Ignoring a call to app.run()" in result.stderr


def test_cli_runner_invokes_click_commands_and_its_class_can_change() -> None:
    from microflask.testing import FlaskCliRunner

    app = make_app()

    @app.cli.command("hello")
    def hello_command() -> None:
        click.echo(f"Hello from {current_app.name}")

    @click.command()
    @with_appcontext
    def other() -> None:
        click.echo(f"other in {current_app.name}")

    runner = app.test_cli_runner()
    assert runner.invoke(args=["hello"]).output == "Hello from clickapp\n"
    assert runner.invoke(hello_command).output == "Hello from clickapp\n"
    assert runner.invoke(other).output == "other in clickapp\n"
    result = runner.invoke(other, obj=ScriptInfo(create_app=lambda: make_app("given")))
    assert result.output == "other in given\n"
    # as in Flask, the command line's ScriptInfo says which app, for app.cli's commands too
    result = runner.invoke(hello_command, obj=ScriptInfo(create_app=lambda: make_app("given")))
    assert result.output == "Hello from given\n"

    class Custom(FlaskCliRunner):
        pass

    app.test_cli_runner_class = Custom
    assert isinstance(app.test_cli_runner(), Custom)
