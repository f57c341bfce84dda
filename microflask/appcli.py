"""``app.cli``: the app's own commands.

:class:`AppGroup` is a ``typer.Typer``: ``@app.cli.command()`` adds a function (``async def``
too), ``app.cli.add_command()`` a plain Click command or group; both run inside the app
context and become ``microflask NAME``.

Typer has its own copy of Click, so a real Click command cannot be a child of a Typer group
as such: :class:`_ClickCommand` stands in for it and runs it with Click's own ``main()``.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from contextlib import nullcontext
from typing import TYPE_CHECKING, Any, TypeVar

import typer
import typer.main
from typer import _click as typer_click  # Typer's Click: the base of its commands and contexts
from typer.core import TyperCommand, TyperGroup

from .globals import current_context

if TYPE_CHECKING:
    from .app import MicroFlask
    from .ctx import AppContext

__all__ = ["AppGroup", "app_context_for"]

F = TypeVar("F", bound=Callable[..., Any])
#: The help panel the app's commands are listed under in ``microflask --help``.
APP_COMMANDS_PANEL = "App commands"


def app_context_for(app: MicroFlask | None) -> AppContext | nullcontext[None]:
    """A new context of ``app`` to enter (``with`` or ``async with``), or nothing to do when
    ``app``'s context is already active (or there is no app)."""
    ctx = current_context()
    if app is None or (ctx is not None and ctx.app is app):
        return nullcontext()
    return app.app_context()


def _in_app_context(app: MicroFlask | None, f: F) -> F:
    """``f`` run inside ``app``'s context; an ``async def`` command runs on a new event loop."""
    if inspect.iscoroutinefunction(f):

        @functools.wraps(f)
        def run_async(*args: Any, **kwargs: Any) -> Any:
            import anyio

            async def call() -> Any:
                async with app_context_for(app):
                    return await f(*args, **kwargs)

            return anyio.run(call)

        return run_async  # type: ignore[return-value]

    @functools.wraps(f)
    def run(*args: Any, **kwargs: Any) -> Any:
        with app_context_for(app):
            return f(*args, **kwargs)

    return run  # type: ignore[return-value]


class _ClickCommand(TyperCommand):
    """A plain Click command (or group) under a Typer group. Click parses its arguments,
    standalone, so its errors and ``--help`` look as they always do; it runs in the app context."""

    def __init__(self, command: Any, name: str, app: MicroFlask | None) -> None:
        super().__init__(
            name,
            context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
            help=getattr(command, "help", None),
            short_help=getattr(command, "short_help", None),
            hidden=bool(getattr(command, "hidden", False)),
            add_help_option=False,
        )
        self.command = command
        self.app = app

    def get_short_help_str(self, limit: int = 45) -> str:
        return str(self.command.get_short_help_str(limit))

    def invoke(self, ctx: typer_click.Context) -> Any:
        try:
            with app_context_for(self.app):
                return self.command.main(args=[*ctx.args], prog_name=ctx.command_path, obj=ctx.obj)
        except SystemExit as e:  # Click's standalone mode ends with sys.exit(code)
            if e.code not in (0, None):
                raise typer.Exit(e.code if isinstance(e.code, int) else 1) from None
        return None


class AppGroup(typer.Typer):
    """``app.cli``: a Typer app whose commands run inside the app context.

    ``@app.cli.command()`` registers a function (an ``async def`` runs on its own event loop),
    ``app.cli.add_command(cmd)`` a Click command or group; ``app.cli.add_typer(sub, name=...)``
    a group of Typer commands. ``microflask NAME`` runs them. ``command(with_appcontext=False)``
    registers a command that runs without pushing a context.
    """

    def __init__(self, app: MicroFlask | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("add_completion", False)
        super().__init__(**kwargs)
        self.app = app
        #: What ``add_command`` received, by name.
        self.click_commands: dict[str, Any] = {}

    def command(  # type: ignore[override]
        self, name: str | None = None, *, with_appcontext: bool = True, **kwargs: Any
    ) -> Callable[[F], F]:
        register = super().command(name, **kwargs)

        def decorator(f: F) -> F:
            register(_in_app_context(self.app, f) if with_appcontext else f)
            return f

        return decorator

    def add_command(self, command: Any, name: str | None = None) -> None:
        """Add a Click command or group (anything with Click's ``main()``), or a Typer-built command."""
        name = name or getattr(command, "name", None)
        if not name:
            raise TypeError("The command has no name: pass add_command(command, name=...).")
        if not callable(getattr(command, "main", None)):
            raise TypeError(f"add_command() takes a Click command, not {type(command).__name__}.")
        self.click_commands[name] = command

    def get_group(self) -> TyperGroup:
        """All the commands, Typer's and Click's, as one command group."""
        group = typer.main.get_group(self)
        for name, command in self.click_commands.items():
            if not isinstance(command, typer_click.Command):
                command = _ClickCommand(command, name, self.app)
            group.add_command(command, name)
        for command in group.commands.values():
            if not getattr(command, "rich_help_panel", None):  # None, or Typer's unset placeholder
                command.rich_help_panel = APP_COMMANDS_PANEL  # type: ignore[attr-defined]
        return group
