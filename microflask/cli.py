"""The ``microflask`` command (Typer): ``run``, ``routes``, ``shell``, and the app's own commands.

``microflask`` is a Typer app whose group (:class:`MicroFlaskGroup`) knows the built-in
commands and, for any other name, finds the app (see :mod:`microflask.discovery`) and looks
the name up in ``app.cli``, as Flask's ``FlaskGroup`` does. The app's commands run inside an
app context. ``app.cli`` is an :class:`AppGroup`: a Click group and a Typer app, whose
``command()`` decorator and ``add_command()`` add to ``microflask``.

This module is also Flask's ``flask.cli`` for Click users: ``FlaskGroup``, ``AppGroup``,
``with_appcontext``, ``ScriptInfo``, ``locate_app``, ``run_command``... (defined in
:mod:`microflask.clickapi`, :mod:`microflask.appcli` and :mod:`microflask.discovery`).

``microflask run`` serves through Uvicorn. It points Uvicorn at :func:`_serve_target` (a
factory) and passes the app's location and the debug flag in ``MICROFLASK_APP`` and
``MICROFLASK_DEBUG``, so the reloader's child and every worker process find the same app.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import sys
import traceback
from collections.abc import Iterable
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import click
import click.testing
import typer
import typer.main
from typer import _click as typer_click  # Typer's own Click: the base of its commands and contexts
from typer.core import TyperGroup
from typer.testing import CliRunner as _TyperCliRunner
from typer.testing import Result

from .appcli import AppGroup, app_context_for, plugin_command, with_appcontext
from .clickapi import (
    CertParamType,
    FlaskGroup,
    SeparatedPathType,
    format_routes,
    get_version,
    interact,
    pass_script_info,
    routes_command,
    run_command,
    shell_command,
    version_text,
)
from .discovery import (
    NoAppException,
    ScriptInfo,
    find_app_by_string,
    find_best_app,
    locate_app,
    plugin_entry_points,
    prepare_import,
)
from .serving import load_dotenv, reloader_child, running_from_cli

if TYPE_CHECKING:
    from .app import MicroFlask

__all__ = [
    "AppGroup",
    "CertParamType",
    "CliRunner",
    "FlaskGroup",
    "MicroFlaskGroup",
    "NoAppException",
    "ScriptInfo",
    "SeparatedPathType",
    "cli",
    "find_app_by_string",
    "find_best_app",
    "format_routes",
    "get_version",
    "load_dotenv",
    "locate_app",
    "main",
    "pass_script_info",
    "prepare_import",
    "routes_command",
    "run_command",
    "shell_command",
    "with_appcontext",
]

#: The app ``microflask run`` loaded in this process (Uvicorn serving in-process gets it back).
_loaded_app: MicroFlask | None = None


# -- the microflask command ------------------------------------------------------------------
def _script_info(ctx: typer_click.Context) -> ScriptInfo:
    return ctx.find_root().ensure_object(ScriptInfo)


def _report(e: NoAppException) -> None:
    """One line on stderr; the traceback of the app's own error above it with ``--debug``."""
    hint = ""
    if e.__cause__ is not None:
        if e.show_traceback:
            traceback.print_exception(e.__cause__)
        else:
            hint = " (--debug shows the traceback)"
    typer.echo(f"Error: {e}{hint}", err=True)


def _fail(message: str) -> NoReturn:
    typer.echo(f"Error: {message}", err=True)
    raise typer.Exit(2)


#: ``ctx.meta`` key: the plugin commands the ``microflask`` group loaded, by name.
_PLUGINS_GIVEN = "microflask.plugin_commands"


class MicroFlaskGroup(TyperGroup):
    """The ``microflask`` group: built-in commands first, then the app's, found on demand, then
    the installed plugins' (:func:`~microflask.discovery.plugin_entry_points`). The app loads
    before a plugin is looked up, so that an app importing ``microflask.flask_patch`` makes
    Flask's plugins usable; on a name clash the app's command wins (in Flask the plugin's does)."""

    def get_command(self, ctx: typer_click.Context, cmd_name: str) -> typer_click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is None:  # not built in: the app's, else a plugin's
            try:
                command = _script_info(ctx).app_group().get_command(ctx, cmd_name)
            except NoAppException as e:
                command = self._plugin(ctx, cmd_name)
                if command is None:
                    message = (
                        f"No such command {cmd_name!r}: it is not built in, and the app's commands are unknown. {e}"
                    )
                    raise NoAppException(message, show_traceback=e.show_traceback) from e.__cause__
            if command is None:
                command = self._plugin(ctx, cmd_name)
        return command

    @staticmethod
    def _plugin(ctx: typer_click.Context, cmd_name: str) -> typer_click.Command | None:
        given: dict[str, typer_click.Command] = ctx.meta.setdefault(_PLUGINS_GIVEN, {})
        if cmd_name not in given:
            command = plugin_command(ctx, cmd_name)
            if command is None:
                return None
            given[cmd_name] = command
        return given[cmd_name]

    def list_commands(self, ctx: typer_click.Context) -> list[str]:
        names = super().list_commands(ctx)
        info = _script_info(ctx)
        try:
            names += [name for name in info.app_group().list_commands(ctx) if name not in names]
        except NoAppException as e:  # help without the app's commands, saying why
            typer.echo(f"Note: the app's commands are not listed. {e}", err=True)
        for name in sorted(plugin_entry_points()):
            if name not in names:
                try:
                    self._plugin(ctx, name)  # loaded here: one that fails to load is left out of the help
                except Exception as e:
                    typer.echo(f"Note: the plugin command {name!r} could not be loaded: {e!r}", err=True)
                    continue
                names.append(name)
        return names

    def resolve_command(
        self, ctx: typer_click.Context, args: list[str]
    ) -> tuple[str | None, typer_click.Command | None, list[str]]:
        name, command, rest = super().resolve_command(ctx, args)
        if name is not None and name not in self.commands and name not in ctx.meta.get(_PLUGINS_GIVEN, ()):
            ctx.with_resource(app_context_for(_script_info(ctx).load_app()))  # the app's command: in its context
        return name, command, rest

    def main(  # type: ignore[override]
        self,
        args: Iterable[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        extra.setdefault("obj", ScriptInfo(set_debug_flag=None))
        try:
            with running_from_cli():
                return super().main(
                    None if args is None else list(args),
                    prog_name or "microflask",
                    complete_var,
                    standalone_mode,
                    **extra,
                )
        except NoAppException as e:
            if not standalone_mode:
                raise
            _report(e)
            sys.exit(2)


def _set_app(ctx: typer.Context, value: str | None) -> str | None:
    if value:
        _script_info(ctx).app_import_path = value
    return value


def _set_debug(ctx: typer.Context, value: bool | None) -> bool | None:
    if value is not None:
        _script_info(ctx).debug = value
    return value


def _show_version(value: bool) -> None:
    if not value:
        return
    typer.echo(version_text())
    raise typer.Exit()


_APP_HELP = (
    "Where the app is: MODULE, MODULE:NAME, MODULE:create_app() or a file path."
    " Default: MICROFLASK_APP, else app.py, asgi.py or wsgi.py here."
)
AppOption = Annotated[str | None, typer.Option("--app", "-A", metavar="MODULE:ATTR", help=_APP_HELP)]


class _MicroFlaskTyper(typer.Typer):
    """The ``microflask`` Typer app, which Click's own test runner can invoke too."""

    @property
    def name(self) -> str:
        return str(self.info.name)

    def main(self, args: Iterable[str] | None = None, prog_name: str | None = None, **extra: Any) -> Any:
        """Run the command as Click's ``main()`` does (``sys.argv`` when ``args`` is None)."""
        args = None if args is None else list(args)
        return typer.main.get_command(self).main(args=args, prog_name=prog_name or self.name, **extra)


cli = _MicroFlaskTyper(
    name="microflask",
    cls=MicroFlaskGroup,
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@cli.callback()
def _options(
    app: Annotated[
        str | None,
        typer.Option("--app", "-A", metavar="MODULE:ATTR", help=_APP_HELP, is_eager=True, callback=_set_app),
    ] = None,
    debug: Annotated[
        bool | None,
        typer.Option(
            "--debug/--no-debug",
            help="Turn DEBUG on (or off) for the app. Default: the MICROFLASK_DEBUG environment variable.",
            is_eager=True,
            callback=_set_debug,
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            help="Show the microflask, Python, Starlette and Uvicorn versions and exit.",
            is_eager=True,
            callback=_show_version,
        ),
    ] = False,
) -> None:
    """Run, inspect and manage a microflask application; its own commands (app.cli) are listed too."""


def _load(ctx: typer.Context, app: str | None, debug: bool | None = None) -> MicroFlask:
    info = _script_info(ctx)
    if app:
        info.app_import_path = app
    if debug is not None:
        info.debug = debug
    return info.load_app()


# -- run -----------------------------------------------------------------------------------
class LogLevel(StrEnum):
    critical = "critical"
    error = "error"
    warning = "warning"
    info = "info"
    debug = "debug"
    trace = "trace"


def is_local_host(host: str) -> bool:
    """Whether ``host`` is this machine only (loopback): what DEBUG may bind to."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


@cli.command()
def run(
    ctx: typer.Context,
    app: AppOption = None,
    host: Annotated[str, typer.Option("--host", "-h", help="The interface to bind to.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", "-p", min=0, max=65535, help="The port to bind to.")] = 5000,
    reload: Annotated[
        bool | None,
        typer.Option("--reload/--no-reload", help="Restart when a Python file changes. Default: on with --debug."),
    ] = None,
    debug: Annotated[
        bool | None,
        typer.Option(
            "--debug/--no-debug",
            help="DEBUG on (tracebacks on error pages, template reloading) and reload. Development only.",
        ),
    ] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", "-w", min=1, help="Worker processes (not with reload).")
    ] = None,
    root_path: Annotated[
        str, typer.Option("--root-path", help="The URL prefix a proxy serves the app under, such as /app.")
    ] = "",
    proxy_headers: Annotated[
        bool,
        typer.Option(
            "--proxy-headers/--no-proxy-headers",
            help="Trust X-Forwarded-For/-Proto from the addresses in --forwarded-allow-ips.",
        ),
    ] = True,
    forwarded_allow_ips: Annotated[
        str | None,
        typer.Option(
            "--forwarded-allow-ips",
            help="Comma-separated proxy addresses to trust, or '*'. Default: FORWARDED_ALLOW_IPS or 127.0.0.1.",
        ),
    ] = None,
    log_level: Annotated[LogLevel, typer.Option("--log-level", help="Uvicorn's log level.")] = LogLevel.info,
    allow_external: Annotated[
        bool,
        typer.Option(
            "--allow-external",
            help="With DEBUG on, allow binding beyond this machine (the debug page shows source code).",
        ),
    ] = False,
) -> None:
    """Serve the app with Uvicorn, for development (in production run uvicorn or gunicorn directly)."""
    global _loaded_app
    info = _script_info(ctx)
    application = _load(ctx, app, debug)
    debug_flag = info.effective_debug()
    if application.debug and not allow_external and not is_local_host(host):
        _fail(
            f"Refusing to serve with DEBUG on at {host}: the debug error page shows source code and file paths"
            f" to anyone who can connect. Use --host 127.0.0.1 (or localhost, ::1), or pass --allow-external."
        )
    use_reload = bool(debug_flag) if reload is None else reload
    if use_reload and workers is not None and workers > 1:
        _fail("--workers cannot be combined with reloading (--debug turns it on): add --no-reload.")
    if (use_reload or (workers or 1) > 1) and info.location is None:
        _fail("reloading and --workers need the app's location: pass --app or set MICROFLASK_APP.")
    if info.location is not None:
        os.environ["MICROFLASK_APP"] = info.location
    if debug_flag is not None:
        os.environ["MICROFLASK_DEBUG"] = "1" if debug_flag else "0"
    _loaded_app = application

    mode = f"debug {'on' if application.debug else 'off'}, reload {'on' if use_reload else 'off'}"
    typer.echo(f" * Serving microflask app {application.name!r} ({mode})")
    if host in ("0.0.0.0", "::"):
        typer.echo(f" * Running on all addresses: {_url(host, port)}, here {_url('127.0.0.1', port)}")
    else:
        typer.echo(f" * Running on {_url(host, port)} (press CTRL+C to quit)")
    if application.debug:
        typer.echo(" * DEBUG is on: never use it in production.")

    import uvicorn

    options: dict[str, Any] = {}
    if use_reload:
        cwd = os.getcwd()
        root = application.root_path
        options["reload_dirs"] = [cwd] if root == cwd or root.startswith(cwd + os.sep) else [cwd, root]
    # The reloader's child serves with WERKZEUG_RUN_MAIN=true, as under Flask's reloader.
    with reloader_child() if use_reload else contextlib.nullcontext():
        uvicorn.run(
            "microflask.cli:_serve_target",
            factory=True,
            host=host,
            port=port,
            reload=use_reload,
            workers=workers,
            root_path=root_path,
            proxy_headers=proxy_headers,
            forwarded_allow_ips=forwarded_allow_ips,
            log_level=log_level.value,
            **options,
        )


def _serve_target() -> MicroFlask:
    """Uvicorn's app factory for ``microflask run``: the app loaded here already, or (in the
    reloader's child and in worker processes) the one ``MICROFLASK_APP``/``MICROFLASK_DEBUG`` name."""
    if _loaded_app is not None:
        return _loaded_app
    try:
        return ScriptInfo(set_debug_flag=None).load_app()
    except NoAppException as e:
        _report(e)
        raise SystemExit(2) from None


# -- routes --------------------------------------------------------------------------------
class RouteSort(StrEnum):
    endpoint = "endpoint"
    methods = "methods"
    rule = "rule"
    match = "match"


@cli.command()
def routes(
    ctx: typer.Context,
    app: AppOption = None,
    sort: Annotated[
        RouteSort,
        typer.Option("--sort", "-s", help="Sort by endpoint, methods or rule; 'match' keeps registration order."),
    ] = RouteSort.endpoint,
    all_methods: Annotated[bool, typer.Option("--all-methods", help="Show HEAD and OPTIONS too.")] = False,
) -> None:
    """Show the app's routes: endpoint, methods and rule."""
    rules = list(_load(ctx, app).url_map.iter_rules())
    if not rules:
        typer.echo("No routes were registered.")
        return
    typer.echo("\n".join(format_routes(rules, sort.value, all_methods)))


# -- shell ---------------------------------------------------------------------------------
@cli.command()
def shell(
    ctx: typer.Context,
    app: AppOption = None,
    plain: Annotated[
        bool, typer.Option("--plain", help="Use Python's own shell even when IPython is installed.")
    ] = False,
) -> None:
    """Open a Python shell in the app's context, with app, g and the shell context processors' names.

    IPython is used when it is installed. Code in PYTHONSTARTUP runs first.
    """
    interact(_load(ctx, app), plain)


# -- entry point ----------------------------------------------------------------------------
class CliRunner(_TyperCliRunner):
    """Invokes ``microflask`` in-process against one app, for tests: ``app.test_cli_runner()``.

    ``runner.invoke(args=["hello", "--name", "x"])`` runs ``microflask hello --name x`` with the
    app handed over (no discovery) and returns a result with ``output`` (stdout and stderr),
    ``stdout``, ``stderr``, ``exit_code`` and ``exception``. The built-in commands work too.
    """

    #: The ``microflask`` command, invoked unless another Typer app is given.
    microflask = cli

    def __init__(self, app: MicroFlask, **kwargs: Any) -> None:
        self.app = app
        super().__init__(**kwargs)

    def invoke(  # type: ignore[override]
        self, cli: Any = None, args: str | list[str] | None = None, **kwargs: Any
    ) -> Result:
        """Invoke ``microflask`` (``cli`` None or ``app.cli``), a Click command (with the app in
        its :class:`ScriptInfo`, as Flask's runner does), or another Typer app, with ``args``."""
        if cli is None or cli is self.app.cli:
            cli = self.microflask
            kwargs.setdefault("obj", ScriptInfo(app=self.app, set_debug_flag=None))
        elif isinstance(cli, click.Command):  # Click's own runner, for Click's command
            kwargs.setdefault("obj", ScriptInfo(app=self.app, set_debug_flag=None))
            runner = click.testing.CliRunner(charset=self.charset, env=self.env)
            return runner.invoke(cli, args, **kwargs)  # type: ignore[return-value]
        kwargs.setdefault("prog_name", "microflask")
        return super().invoke(cli, args, **kwargs)


def main(args: list[str] | None = None) -> Any:
    """The ``microflask`` console script (and ``python -m microflask``)."""
    load_dotenv()
    return typer.main.get_command(cli).main(args=args, prog_name="microflask")
