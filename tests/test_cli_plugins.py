"""Command-line plugins installed as packages, as Flask's ``flask.commands`` entry points: the
``microflask`` command and ``FlaskGroup`` find ``microflask.commands`` ones; Flask's
``flask.commands`` ones only while ``microflask.flask_patch`` is active, since they import
``flask`` (checked in a process of its own, as an app that imports the patch runs)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import click.testing
import pytest
import typer.testing

from microflask import MicroFlask
from microflask.cli import FlaskGroup
from microflask.cli import cli as microflask_cli
from microflask.discovery import plugin_entry_points

PLUGIN = """
import click
import typer

from microflask import current_app
from microflask.cli import with_appcontext


@click.group(help="Demo tools.")
def tools():
    pass


@tools.command()
@click.argument("who")
@with_appcontext
def hello(who):
    click.echo(f"hello {who} from {current_app.name}")


@tools.command()
def bare():
    click.echo("no context needed")


greet = typer.Typer(help="Typer's way.")


@greet.command()
def wave(name: str = "you"):
    print(f"wave at {name}")
"""

FLASK_PLUGIN = """
import click
from flask import current_app
from flask.cli import with_appcontext


@click.command(help="A Flask plugin.")
@with_appcontext
def cli():
    click.echo(f"flask plugin in {current_app.name} ({type(current_app._get_current_object()).__module__})")
"""

ENTRY_POINTS = """
[microflask.commands]
tools = mf_plugin_demo:tools
greet = mf_plugin_demo:greet
broken = mf_plugin_demo:not_there

[flask.commands]
flaskdemo = mf_flask_plugin_demo:cli
"""

APP = """
import microflask.flask_patch
from flask import Flask

app = Flask("patched_app")
"""


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A folder on sys.path holding two plugin modules and the package metadata naming them."""
    folder = tmp_path / "site"
    (folder / "mf_plugin_demo-1.0.dist-info").mkdir(parents=True)
    (folder / "mf_plugin_demo-1.0.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: mf-plugin-demo\nVersion: 1.0\n"
    )
    (folder / "mf_plugin_demo-1.0.dist-info" / "entry_points.txt").write_text(ENTRY_POINTS)
    (folder / "mf_plugin_demo.py").write_text(PLUGIN)
    (folder / "mf_flask_plugin_demo.py").write_text(FLASK_PLUGIN)
    monkeypatch.syspath_prepend(str(folder))
    yield folder
    sys.modules.pop("mf_plugin_demo", None)


def make_app() -> MicroFlask:
    return MicroFlask("demo_app")


def test_entry_points_without_the_patch(site: Path) -> None:
    assert sorted(plugin_entry_points()) == ["broken", "greet", "tools"]  # flask.commands: only with the patch


def test_microflask_command_runs_a_plugin_in_the_app_context(site: Path) -> None:
    runner = make_app().test_cli_runner()
    result = runner.invoke(args=["tools", "hello", "ada"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "hello ada from demo_app\n"
    assert runner.invoke(args=["tools", "bare"]).stdout == "no context needed\n"
    # A Typer app of one command is that command, as Typer makes it.
    assert runner.invoke(args=["greet", "--name", "bob"]).stdout == "wave at bob\n"
    listing = runner.invoke(args=["--help"]).stdout
    assert "Plugin commands" in listing and "tools" in listing and "Demo tools." in listing
    assert "flaskdemo" not in listing and "broken" not in listing
    broken = runner.invoke(args=["--help"]).stderr
    assert "Note: the plugin command 'broken' could not be loaded: AttributeError(" in broken
    assert isinstance(runner.invoke(args=["broken"]).exception, AttributeError)  # called: its error
    assert runner.invoke(args=["flaskdemo"]).exit_code == 2
    assert "mf_flask_plugin_demo" not in sys.modules  # a Flask plugin is never imported without the patch


def test_plugin_runs_without_an_app_when_it_needs_none(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no app.py here
    monkeypatch.delenv("MICROFLASK_APP", raising=False)
    monkeypatch.delenv("FLASK_APP", raising=False)
    result = typer.testing.CliRunner().invoke(microflask_cli, ["tools", "bare"])
    assert result.exit_code == 0 and result.stdout == "no context needed\n"
    failed = typer.testing.CliRunner().invoke(microflask_cli, ["tools", "hello", "ada"])
    assert failed.exit_code == 2 and "Could not locate" in failed.output


def test_flaskgroup_adds_plugins_and_keeps_its_own_commands(site: Path) -> None:
    group = FlaskGroup(create_app=make_app)
    result = click.testing.CliRunner().invoke(group, ["tools", "hello", "ada"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "hello ada from demo_app\n"
    assert "routes" in group.commands and "flaskdemo" not in group.commands
    assert sorted(set(group.commands) - {"run", "shell", "routes"}) == ["tools"]  # loaded when needed
    listing = click.testing.CliRunner().invoke(group, ["--help"])
    assert "greet" in listing.stdout and "broken" not in listing.stdout
    assert "Note: the plugin command 'broken' could not be loaded" in listing.stderr
    assert isinstance(click.testing.CliRunner().invoke(group, ["broken"]).exception, AttributeError)


def test_flask_plugins_with_the_patch(site: Path, tmp_path: Path) -> None:
    app_dir = tmp_path / "project"
    app_dir.mkdir()
    (app_dir / "app.py").write_text(textwrap.dedent(APP))
    env = {"PATH": "", "PYTHONPATH": f"{site}{':'}{Path(__file__).parent.parent}"}
    result = subprocess.run(
        [sys.executable, "-m", "microflask", "--app", "app.py", "flaskdemo"],
        cwd=app_dir,
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "flask plugin in patched_app (microflask.app)\n"
