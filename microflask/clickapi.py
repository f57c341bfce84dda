"""Flask's command-line API for Click users: :class:`FlaskGroup`, ``run_command``,
``shell_command``, ``routes_command``, ``get_version`` (``microflask.cli`` re-exports them).

``FlaskGroup`` is a Click group (an :class:`~microflask.appcli.AppGroup`) that finds the app
(``--app``, ``create_app=``, ``MICROFLASK_APP``/``FLASK_APP``, ``app.py``...), lists its
commands next to ``run``, ``shell`` and ``routes``, and runs them in its context: a project's
own ``manage.py`` built on Click keeps working. ``run`` serves with Uvicorn. The ``microflask``
command itself is Typer's (``microflask.cli``) and shares the routes table, the shell and the
version text defined here.
"""

from __future__ import annotations

import importlib
import os
import sys
import traceback
from collections.abc import Iterable
from contextlib import ExitStack
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

import click

from . import __version__
from .appcli import AppGroup, app_context_for, with_appcontext
from .discovery import NoAppException, ScriptInfo, plugin_entry_points
from .globals import current_app
from .serving import load_dotenv, running_from_cli

if TYPE_CHECKING:
    from .app import MicroFlask
    from .routing import Rule

__all__ = [
    "CertParamType",
    "FlaskGroup",
    "SeparatedPathType",
    "format_routes",
    "get_version",
    "interact",
    "pass_script_info",
    "routes_command",
    "run_command",
    "shell_command",
    "version_text",
]

#: A Click decorator passing the :class:`ScriptInfo` (made when missing) as first argument.
pass_script_info = click.make_pass_decorator(ScriptInfo, ensure=True)


# -- shared with the microflask command -------------------------------------------------------
def version_text() -> str:
    """microflask's version, Python's, and those of the libraries it runs on."""
    lines = [f"microflask {__version__}", f"Python {sys.version.split()[0]}"]
    for package in ("starlette", "uvicorn", "typer", "click"):
        try:
            lines.append(f"{package.capitalize()} {version(package)}")
        except PackageNotFoundError:  # pragma: no cover - they are dependencies
            pass
    return "\n".join(lines)


def get_version(ctx: Any, param: Any, value: Any) -> None:
    """The ``--version`` option's callback (Flask's name): print :func:`version_text`, exit."""
    if not value or ctx.resilient_parsing:
        return
    click.echo(version_text(), color=ctx.color)
    ctx.exit()


_HIDDEN_METHODS = frozenset({"HEAD", "OPTIONS"})


def format_routes(rules: Iterable[Rule], sort: str = "endpoint", all_methods: bool = False) -> list[str]:
    """The lines of the routes table (Flask's layout); websocket rules show ``WEBSOCKET``. A
    ``Host`` or ``Subdomain`` column appears when a rule has one."""
    rules = list(rules)
    domain = ""
    if any(getattr(rule, "host", None) for rule in rules):
        domain = "host"
    elif any(getattr(rule, "subdomain", None) for rule in rules):
        domain = "subdomain"
    rows: list[tuple[str, ...]] = []
    for rule in rules:
        if rule.websocket:
            methods = "WEBSOCKET"
        else:
            methods = ", ".join(sorted(rule.methods if all_methods else rule.methods - _HIDDEN_METHODS))
        row = (rule.endpoint, methods, rule.rule)
        rows.append((*row[:2], getattr(rule, domain, None) or "", row[2]) if domain else row)
    header: tuple[str, ...] = ("Endpoint", "Methods", "Rule")
    if domain:
        header = ("Endpoint", "Methods", domain.capitalize(), "Rule")
    if sort != "match":
        column = {"endpoint": 0, "methods": 1, "domain": 2 if domain else 0, "rule": len(header) - 1}[sort]
        rows.sort(key=lambda row: (row[column], row))
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    lines = [header, tuple("-" * w for w in widths), *rows]
    return ["  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip() for line in lines]


def interact(app: MicroFlask, plain: bool = False) -> None:
    """A Python shell in ``app``'s context, with ``app``, ``g`` and the shell context
    processors' names (IPython when installed and not ``plain``; PYTHONSTARTUP runs first)."""
    banner = (
        f"Python {sys.version} on {sys.platform}\n"
        f"App: {app.name} (debug {'on' if app.debug else 'off'})\n"
        f"Instance: {app.instance_path}"
    )
    namespace: dict[str, Any] = {}
    startup = os.environ.get("PYTHONSTARTUP")
    if startup and os.path.isfile(startup):
        with open(startup, encoding="utf-8") as f:
            exec(compile(f.read(), startup, "exec"), namespace)
    with app_context_for(app):
        namespace.update(app.make_shell_context())
        if not plain:
            try:
                from IPython import start_ipython
            except ImportError:
                pass
            else:
                click.echo(banner)
                start_ipython(argv=["--no-banner"], user_ns=namespace)
                return
        import code

        try:
            import readline
            import rlcompleter

            readline.set_completer(rlcompleter.Completer(namespace).complete)
            readline.parse_and_bind("tab: complete")
        except ImportError:  # pragma: no cover - no readline on this platform
            pass
        code.interact(banner=banner, local=namespace, exitmsg="")


# -- the Click commands -----------------------------------------------------------------------
@click.command("shell", short_help="Run a shell in the app context.")
@click.option("--plain", is_flag=True, help="Use Python's own shell even when IPython is installed.")
@with_appcontext
def shell_command(plain: bool) -> None:
    """Open a Python shell in the app's context, with app, g and the shell context processors' names."""
    interact(current_app._get_current_object(), plain)  # type: ignore[attr-defined]


@click.command("routes", short_help="Show the routes for the app.")
@click.option(
    "--sort",
    "-s",
    type=click.Choice(("endpoint", "methods", "domain", "rule", "match")),
    default="endpoint",
    help="Sort by endpoint, methods, domain or rule; 'match' keeps registration order.",
)
@click.option("--all-methods", is_flag=True, help="Show HEAD and OPTIONS too.")
@with_appcontext
def routes_command(sort: str, all_methods: bool) -> None:
    """Show the app's routes: endpoint, methods and rule."""
    rules = list(current_app.url_map.iter_rules())
    if not rules:
        click.echo("No routes were registered.")
        return
    click.echo("\n".join(format_routes(rules, sort, all_methods)))


class CertParamType(click.ParamType):
    """``--cert``: a certificate file, ``adhoc`` (needs the cryptography library), or the import
    name of an ``ssl.SSLContext``."""

    name = "path"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        try:
            import ssl
        except ImportError:
            raise click.BadParameter('Using "--cert" requires Python to be compiled with SSL support.', ctx, param)
        try:
            return click.Path(exists=True, dir_okay=False, resolve_path=True).convert(value, param, ctx)
        except click.BadParameter:
            name = click.STRING(value, param, ctx)
            if name.lower() == "adhoc":
                try:
                    import cryptography  # noqa: F401
                except ImportError:
                    raise click.BadParameter(
                        "Using ad-hoc certificates requires the cryptography library.", ctx, param
                    ) from None
                return "adhoc"
            found = _import_object(name)
            if isinstance(found, ssl.SSLContext):
                return found
            raise


def _import_object(name: str) -> Any:
    """The module or attribute ``name`` (``pkg.mod``, ``pkg.mod:attr``, ``pkg.mod.attr``); None if absent."""
    module_name, sep, attr = name.partition(":")
    if not sep and "." in name:
        try:
            return importlib.import_module(name)
        except ImportError:
            module_name, _, attr = name.rpartition(".")
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return None
    return getattr(module, attr, None) if attr else module


def _validate_key(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """``--key`` goes with a certificate file only; ``cert`` becomes ``(cert, key)``."""
    cert = ctx.params.get("cert")
    is_file = isinstance(cert, str) and cert != "adhoc"
    if value is not None:
        if cert == "adhoc":
            raise click.BadParameter('When "--cert" is "adhoc", "--key" is not used.', ctx, param)
        if cert is not None and not is_file:
            raise click.BadParameter('When "--cert" is an SSLContext object, "--key" is not used.', ctx, param)
        if cert is None:
            raise click.BadParameter('"--cert" must also be specified.', ctx, param)
        ctx.params["cert"] = (cert, value)
    elif is_file:
        raise click.BadParameter('Required when using "--cert".', ctx, param)
    return value


class SeparatedPathType(click.Path):
    """A list of paths separated by ``os.pathsep`` (``:``, ``;`` on Windows)."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        items = self.split_envvar_value(value) if isinstance(value, str) else value
        return [super(SeparatedPathType, self).convert(item, param, ctx) for item in items]


@click.command("run", short_help="Run a development server (Uvicorn).")
@click.option("--host", "-h", default="127.0.0.1", help="The interface to bind to.")
@click.option("--port", "-p", default=5000, help="The port to bind to.")
@click.option("--cert", type=CertParamType(), is_eager=True, help="A certificate file, to serve HTTPS.")
@click.option(
    "--key",
    type=click.Path(exists=True, dir_okay=False, resolve_path=True),
    callback=_validate_key,
    expose_value=False,
    help="The key file of --cert.",
)
@click.option("--reload/--no-reload", default=None, help="Restart when a file changes. Default: on with debug.")
@click.option("--debugger/--no-debugger", default=None, help="Accepted for Flask; DEBUG shows the debug page.")
@click.option("--with-threads/--without-threads", default=True, help="Accepted for Flask; Uvicorn is async.")
@click.option("--extra-files", default=None, type=SeparatedPathType(), help="More files the reloader watches.")
@click.option("--exclude-patterns", default=None, type=SeparatedPathType(), help="Files the reloader ignores.")
@pass_script_info
def run_command(
    info: ScriptInfo,
    host: str,
    port: int,
    reload: bool | None,
    debugger: bool | None,
    with_threads: bool,
    cert: Any,
    extra_files: list[str] | None,
    exclude_patterns: list[str] | None,
) -> None:
    """Serve the app with Uvicorn, for development (in production run uvicorn or gunicorn directly).

    With debug on (--debug, MICROFLASK_DEBUG or FLASK_DEBUG), the app reloads when a file changes.
    """
    app = info.load_app()
    options: dict[str, Any] = {"host": host, "port": port}
    if isinstance(cert, tuple):
        options.update(ssl_certfile=cert[0], ssl_keyfile=cert[1])
    elif cert is not None:
        raise click.UsageError("Uvicorn serves HTTPS from files: pass --cert CERT_FILE --key KEY_FILE.")
    use_reload = app.debug if reload is None else reload
    if use_reload and info.location is None:
        click.echo(" * Not reloading: the reloader needs the app's location (--app or MICROFLASK_APP).", err=True)
        use_reload = False
    click.echo(f" * Serving microflask app {app.name!r} (debug {'on' if app.debug else 'off'})")
    import uvicorn  # imported when serving only

    if not use_reload:
        uvicorn.run(app, **options)
        return
    assert info.location is not None
    os.environ["MICROFLASK_APP"] = info.location
    os.environ["MICROFLASK_DEBUG"] = "1" if app.debug else "0"
    uvicorn.run(
        "microflask.clickapi:serve_target",
        factory=True,
        reload=True,
        reload_includes=extra_files,
        reload_excludes=exclude_patterns,
        **options,
    )


def serve_target() -> MicroFlask:
    """Uvicorn's app factory in the reloader's child: the app ``MICROFLASK_APP`` names."""
    return ScriptInfo(set_debug_flag=None).load_app()


# -- FlaskGroup --------------------------------------------------------------------------------
def _set_env_file(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None:
        load_dotenv(value, load_defaults=False)
    return value


def _set_app(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value:
        ctx.ensure_object(ScriptInfo).app_import_path = value
    return value


def _set_debug(ctx: click.Context, param: click.Parameter, value: bool | None) -> bool | None:
    if value is not None:
        ctx.ensure_object(ScriptInfo).debug = value
    return value


class FlaskGroup(AppGroup):
    """A Click group for a project's own command line, as Flask's: the app's commands, with
    ``run``, ``shell`` and ``routes``, and the options ``--app``, ``--debug/--no-debug``,
    ``--env-file`` and ``--version``.

    ``create_app`` is a factory called (without arguments) to get the app; without it the app
    is found as the ``microflask`` command finds it. ``load_dotenv`` loads the ``.env`` files
    first; ``set_debug_flag`` sets the app's ``DEBUG`` from ``--debug`` (or the environment).
    Installed plugins' commands (:func:`~microflask.discovery.plugin_entry_points`) are added
    when looked up or listed, except where the group has a command of that name.
    """

    def __init__(
        self,
        add_default_commands: bool = True,
        create_app: Any = None,
        add_version_option: bool = True,
        load_dotenv: bool = True,
        set_debug_flag: bool = True,
        **extra: Any,
    ) -> None:
        params = list(extra.pop("params", None) or ())
        params += [
            click.Option(
                ["-e", "--env-file"],
                type=click.Path(exists=True, dir_okay=False),
                help="Load environment variables from this file (python-dotenv).",
                is_eager=True,
                expose_value=False,
                callback=_set_env_file,
            ),
            click.Option(
                ["-A", "--app"],
                metavar="IMPORT",
                help="The app: MODULE, MODULE:NAME or MODULE:create_app(). Default: MICROFLASK_APP, app.py...",
                is_eager=True,
                expose_value=False,
                callback=_set_app,
            ),
            click.Option(
                ["--debug/--no-debug"], default=None, help="Set debug mode.", expose_value=False, callback=_set_debug
            ),
        ]
        if add_version_option:
            params.append(
                click.Option(
                    ["--version"],
                    is_flag=True,
                    help="Show the versions and exit.",
                    is_eager=True,
                    expose_value=False,
                    callback=get_version,
                )
            )
        super().__init__(params=params, **extra)
        self.create_app = create_app
        self.load_dotenv = load_dotenv
        self.set_debug_flag = set_debug_flag
        if add_default_commands:
            for command in (run_command, shell_command, routes_command):
                self.add_command(command)

    def _add_plugin(self, cmd_name: str) -> None:
        """Add the installed plugin's command ``cmd_name``, unless the group has one of that name."""
        entry = plugin_entry_points().get(cmd_name)
        if entry is not None and cmd_name not in self.commands:
            self.add_command(entry.load(), cmd_name)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        self._add_plugin(cmd_name)  # as the built-in ones: there even when the app fails to load
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            return command
        try:
            app = ctx.ensure_object(ScriptInfo).load_app()
        except NoAppException as e:
            click.secho(f"Error: {e.format_message()}\n", err=True, fg="red")
            return None
        ctx.with_resource(app_context_for(app))  # the command's parameters see the app too
        return app.cli.get_command(ctx, cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        for name in plugin_entry_points():
            try:
                self._add_plugin(name)
            except Exception as e:  # one that fails to load is left out of the help
                click.secho(f"Note: the plugin command {name!r} could not be loaded: {e!r}", err=True)
        names = set(super().list_commands(ctx))
        try:
            names.update(ctx.ensure_object(ScriptInfo).load_app().cli.list_commands(ctx))
        except NoAppException as e:  # help without the app's commands, saying why
            click.secho(f"Error: {e.format_message()}\n", err=True, fg="red")
        except Exception:
            click.secho(f"{traceback.format_exc()}\n", err=True, fg="red")
        return sorted(names)

    def make_context(
        self, info_name: str | None, args: list[str], parent: click.Context | None = None, **extra: Any
    ) -> click.Context:
        if "obj" not in extra and "obj" not in self.context_settings:
            extra["obj"] = ScriptInfo(
                create_app=self.create_app, set_debug_flag=self.set_debug_flag, load_dotenv_defaults=self.load_dotenv
            )
        if self.load_dotenv:
            load_dotenv()
        with ExitStack() as stack:
            stack.enter_context(running_from_cli())
            ctx = super().make_context(info_name, args, parent, **extra)
            ctx.call_on_close(stack.pop_all().close)
        return ctx
