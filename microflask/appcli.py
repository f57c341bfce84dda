"""``app.cli`` and ``bp.cli``: command groups that are a Click group and a Typer app at once.

:class:`AppGroup` is a ``click.Group`` (Flask's ``AppGroup``: ``@click.group(cls=AppGroup)``,
``group()``, ``add_command()``, ``get_command()``) and a ``typer.Typer``. ``@app.cli.command()``
registers a function the Flask way, as a Click command (its ``@click.option``\\s and
``@click.argument``\\s are its parameters), unless it has parameters of its own and no Click
decorator: then Typer reads them from the signature (``def greet(name: str = "world")`` gets
``--name``). Commands run inside the app context (:func:`with_appcontext`); ``async def`` ones
run on an event loop of their own.

Typer carries its own copy of Click, so a command of one cannot be the child of a group of the
other as such. Two small adapters bridge them: :class:`_TyperCommand` runs a Typer command under
a Click group, :class:`_ClickCommand` a Click command under a Typer group (the ``microflask``
command); each hands its arguments to the other's ``main()``.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import click
import typer
import typer.main
from typer import _click as typer_click  # Typer's Click: the base of its commands and contexts
from typer._click.globals import get_current_context as typer_current_context
from typer.core import TyperCommand, TyperGroup

from .discovery import ScriptInfo, plugin_entry_points
from .globals import current_context

if TYPE_CHECKING:
    from .app import MicroFlask

__all__ = ["AppGroup", "app_context_for", "plugin_command", "with_appcontext"]

F = TypeVar("F", bound=Callable[..., Any])
#: The help panel the app's commands are listed under in ``microflask --help``.
APP_COMMANDS_PANEL = "App commands"
#: The one installed plugins' commands are listed under.
PLUGIN_COMMANDS_PANEL = "Plugin commands"
#: Arguments only Typer's ``command()`` knows: a function registered with them is Typer's.
_TYPER_ONLY = frozenset({"rich_help_panel"})


def app_context_for(app: MicroFlask | None) -> AbstractContextManager[Any]:
    """A new context of ``app`` to enter (``with`` or ``async with``), or nothing to do when
    ``app``'s context is already active (or there is no app)."""
    ctx = current_context()
    if app is None or (ctx is not None and ctx.app is app):
        return nullcontext()
    return app.app_context()


def _script_info(create: bool) -> ScriptInfo | None:
    """The running command line's :class:`ScriptInfo`: Click's (made when missing and
    ``create``, as Flask's ``with_appcontext`` does), else the ``microflask`` command's."""
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        info = ctx.find_object(ScriptInfo)
        return ctx.ensure_object(ScriptInfo) if info is None and create else info
    typer_ctx = typer_current_context(silent=True)
    return typer_ctx.find_object(ScriptInfo) if typer_ctx is not None else None


def _context_to_enter(app: MicroFlask | None) -> AbstractContextManager[Any]:
    """The context a command runs in. With none active: the app of the command line's
    :class:`ScriptInfo` (as Flask), else the group's own app."""
    if current_context() is None:
        info = _script_info(create=app is None)
        if info is not None:
            app = info.load_app()
    return app_context_for(app)


def _command_callback(f: F, app: MicroFlask | None, in_context: bool) -> F:
    """``f`` as a command's callback: inside the app context when ``in_context``; an
    ``async def`` runs on a new event loop."""
    if inspect.iscoroutinefunction(f):

        @functools.wraps(f)
        def run_async(*args: Any, **kwargs: Any) -> Any:
            import anyio  # only async commands need it

            async def call() -> Any:
                if not in_context:
                    return await f(*args, **kwargs)
                async with _context_to_enter(app):  # type: ignore[attr-defined]
                    return await f(*args, **kwargs)

            return anyio.run(call)

        return run_async  # type: ignore[return-value]
    if not in_context:
        return f

    @functools.wraps(f)
    def run(*args: Any, **kwargs: Any) -> Any:
        with _context_to_enter(app):
            return f(*args, **kwargs)

    return run  # type: ignore[return-value]


def with_appcontext(f: F) -> F:
    """Run a Click command's callback inside the app context, as Flask's ``with_appcontext``:
    the active one, else the one of the app the command line loads (its :class:`ScriptInfo`)."""
    return _command_callback(f, None, True)


def _is_typer_function(f: Callable[..., Any], options: dict[str, Any]) -> bool:
    """Whether ``command()`` gives ``f`` to Typer: it has parameters and no Click decorator."""
    cls = options.get("cls")
    if cls is not None:
        return isinstance(cls, type) and issubclass(cls, typer_click.Command)
    if _TYPER_ONLY.intersection(options):
        return True
    if hasattr(f, "__click_params__") or "params" in options:
        return False
    try:
        return bool(inspect.signature(f).parameters)
    except (TypeError, ValueError):
        return False


def _passing_through(command: Any) -> dict[str, Any]:
    """The options of an adapter command that hands its arguments (and ``--help``) to ``command``."""
    return {
        "context_settings": {"ignore_unknown_options": True, "allow_extra_args": True},
        "help": command.help,
        "short_help": command.short_help,
        "hidden": command.hidden,
        "add_help_option": False,
    }


class _TyperCommand(click.Command):
    """A Typer command under a Click group: Typer parses its arguments (and ``--help``)."""

    def __init__(self, command: typer_click.Command, name: str) -> None:
        super().__init__(name, **_passing_through(command))
        self.command = command

    def get_short_help_str(self, limit: int = 45) -> str:
        return self.command.get_short_help_str(limit)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return self.command.main(args=[*ctx.args], prog_name=ctx.command_path, obj=ctx.obj)
        except SystemExit as e:  # Typer's standalone mode ends with sys.exit(code)
            if e.code not in (0, None):
                ctx.exit(e.code if isinstance(e.code, int) else 1)
        return None


class _ClickCommand(TyperCommand):
    """A Click command (or group) under a Typer group. Click parses its arguments, standalone,
    so its errors and ``--help`` look as they always do; it runs in the app context."""

    def __init__(self, command: click.Command, name: str, app: MicroFlask | None) -> None:
        super().__init__(name, **_passing_through(command))
        self.command = command
        self.app = app

    def get_short_help_str(self, limit: int = 45) -> str:
        return self.command.get_short_help_str(limit)

    def invoke(self, ctx: typer_click.Context) -> Any:
        try:
            with app_context_for(self.app):
                return self.command.main(args=[*ctx.args], prog_name=ctx.command_path, obj=ctx.obj)
        except SystemExit as e:  # Click's standalone mode ends with sys.exit(code)
            if e.code not in (0, None):
                raise typer.Exit(e.code if isinstance(e.code, int) else 1) from None
        return None


class _AppTyperGroup(TyperGroup):
    """An :class:`AppGroup` on Typer's side: its Typer commands, then its Click ones (adapted).
    Each AppGroup gets a subclass naming it (Typer builds groups from a class)."""

    app_group: ClassVar[AppGroup]

    def list_commands(self, ctx: typer_click.Context) -> list[str]:
        names = super().list_commands(ctx)
        return names + [name for name in sorted(self.app_group.commands) if name not in names]

    def get_command(self, ctx: typer_click.Context, cmd_name: str) -> typer_click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is None:
            click_command = self.app_group.commands.get(cmd_name)
            if isinstance(click_command, _TyperCommand):
                command = click_command.command
            elif click_command is not None:
                command = _ClickCommand(click_command, cmd_name, self.app_group.app)
        if command is not None and not getattr(command, "rich_help_panel", None):  # unset, or Typer's placeholder
            command.rich_help_panel = APP_COMMANDS_PANEL  # type: ignore[attr-defined]
        return command


def _group_callback() -> None:
    """The group itself does nothing: its commands do."""


class AppGroup(click.Group, typer.Typer):  # type: ignore[misc]
    """``app.cli`` and ``bp.cli``: a Click group whose commands run in the app context, and a
    Typer app.

    ``@group.command()`` registers a function: a Click command (Flask's way, with Click's
    decorators), or a Typer one when it has parameters of its own and no Click decorator;
    ``command(with_appcontext=False)`` runs it without pushing a context. ``group()`` makes a
    sub-group (an AppGroup), ``add_command()`` adds a Click command or group (or a Typer one),
    ``add_typer(sub, name=...)`` a Typer app. ``app`` is the app whose context the commands
    run in; without one (``bp.cli``, ``@click.group(cls=AppGroup)``), the app the command line
    loads.
    """

    def __init__(
        self,
        name: str | None = None,
        commands: dict[str, click.Command] | None = None,
        *,
        app: MicroFlask | None = None,
        **attrs: Any,
    ) -> None:
        click.Group.__init__(self, name, commands, **attrs)
        typer.Typer.__init__(self, name=name, add_completion=False, help=attrs.get("help"))
        self.app = app
        self.info.cls = type("AppTyperGroup", (_AppTyperGroup,), {"app_group": self})
        self.info.callback = _group_callback  # Typer then always builds a group, never one command

    def command(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        """Register a function as a command: ``@group.command()``, ``@group.command("name")``."""
        in_context = kwargs.pop("with_appcontext", True)
        if len(args) == 1 and callable(args[0]) and not kwargs:  # @group.command, no parentheses
            return self.command(with_appcontext=in_context)(args[0])
        name = args[0] if args else kwargs.pop("name", None)

        def decorator(f: Callable[..., Any]) -> Any:
            callback = _command_callback(f, self.app, in_context)
            if _is_typer_function(f, kwargs):
                typer.Typer.command(self, name, **kwargs)(callback)
                return f
            return click.Group.command(self, name, **kwargs)(callback)

        return decorator

    def group(self, *args: Any, **kwargs: Any) -> Any:
        """Make a sub-group: an :class:`AppGroup` (its commands run in the app context too)."""
        if len(args) == 1 and callable(args[0]) and not kwargs:  # @group.group, no parentheses
            return self.group()(args[0])
        kwargs.setdefault("cls", AppGroup)
        if isinstance(kwargs["cls"], type) and issubclass(kwargs["cls"], AppGroup):
            kwargs.setdefault("app", self.app)
        return click.Group.group(self, *args, **kwargs)

    def add_command(self, cmd: Any, name: str | None = None) -> None:
        """Add a Click command or group, a Typer-built command, or a Typer app."""
        if isinstance(cmd, typer.Typer) and not isinstance(cmd, click.Command):
            name = name or cmd.info.name
            cmd = typer.main.get_command(cmd)
        name = name or getattr(cmd, "name", None)
        if not name:
            raise TypeError("The command has no name: pass add_command(command, name=...).")
        if isinstance(cmd, typer_click.Command):
            cmd = _TyperCommand(cmd, name)
        elif not isinstance(cmd, click.Command):
            raise TypeError(f"add_command() takes a Click command, not {type(cmd).__name__}.")
        click.Group.add_command(self, cmd, name)

    def _typer_commands(self) -> dict[str, typer_click.Command]:
        if not (self.registered_commands or self.registered_groups):
            return {}
        return dict(typer.main.get_group(self).commands)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = click.Group.get_command(self, ctx, cmd_name)
        if command is None:
            typer_command = self._typer_commands().get(cmd_name)
            if typer_command is not None:
                command = _TyperCommand(typer_command, cmd_name)
        return command

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *self._typer_commands()})

    def has_commands(self) -> bool:
        """Whether anything was registered."""
        return bool(self.commands or self.registered_commands or self.registered_groups)

    def attach_to(self, parent: AppGroup, name: str | None) -> None:
        """Put this group's commands in ``parent``: as the group ``name``, or merged into
        ``parent`` itself when ``name`` is None (a blueprint's ``cli_group``). Nothing when empty."""
        if not self.has_commands():
            return
        if name is not None:
            self.name = name
            parent.add_command(self, name)
            return
        parent.commands.update(self.commands)
        parent.registered_commands.extend(self.registered_commands)
        parent.registered_groups.extend(self.registered_groups)

    def get_group(self) -> TyperGroup:
        """All the commands, Typer's and Click's, as one command group on Typer's side."""
        return typer.main.get_group(self)


def plugin_command(ctx: typer_click.Context, name: str) -> typer_click.Command | None:
    """The installed plugin's command ``name`` (a Click command or group, or a Typer app; see
    :func:`~microflask.discovery.plugin_entry_points`) on Typer's side, or None. As in Flask, no
    app context is pushed for it: its callbacks use ``with_appcontext`` when they need one."""
    entry = plugin_entry_points().get(name)
    if entry is None:
        return None
    group = AppGroup()
    group.add_command(entry.load(), name)
    command = group.get_group().get_command(ctx, name)
    if command is not None:
        command.rich_help_panel = PLUGIN_COMMANDS_PANEL  # type: ignore[attr-defined]
    return command
