"""Tearing a context down, as Flask 3.2 does: every teardown function and every
``request_tearing_down`` / ``appcontext_tearing_down`` receiver runs even when one raises; the
errors are then raised together in an ``ExceptionGroup`` (the request path logs them, and raises
them only where errors propagate: see ``MicroFlask._teardown``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import signals
from .plans import Hook, teardown_hooks

if TYPE_CHECKING:
    from .app import MicroFlask
    from .ctx import AppContext

__all__ = ["grouped", "leave_context", "leave_context_sync", "run"]


def grouped(failed: list[Exception] | None, failed_app: list[Exception] | None) -> ExceptionGroup[Exception]:
    """The errors of a context's teardown, grouped as Flask 3.2 raises them."""
    groups = []
    if failed:
        groups.append(ExceptionGroup("Errors during request teardown", failed))
    if failed_app:
        groups.append(ExceptionGroup("Errors during app teardown", failed_app))
    return ExceptionGroup("Errors during context teardown", groups)


async def run(
    app: MicroFlask, ctx: AppContext, hooks: tuple[Hook, ...], error: BaseException | None, signal: Any
) -> list[Exception] | None:
    """The request path's teardown: run ``hooks`` then send ``signal``; each error is logged."""
    failed: list[Exception] | None = None
    for func, is_async in hooks:
        try:
            await app._call(ctx, func, is_async, error)
        except Exception as e:
            app.logger.exception("Error in teardown function %s", getattr(func, "__qualname__", func))
            failed = [*(failed or ()), e]
    if signals.state.connected:
        for receiver_error in await signals.send_async_to_all(signal, app, exc=error):
            app.logger.error("Error in a %s receiver", signal.name, exc_info=receiver_error)
            failed = [*(failed or ()), receiver_error]
    return failed


async def _call_all(
    app: MicroFlask, ctx: AppContext, hooks: tuple[Hook, ...], exc: BaseException | None
) -> list[Exception]:
    failed: list[Exception] = []
    for func, is_async in hooks:
        try:
            await app._call(ctx, func, is_async, exc)
        except Exception as e:
            failed.append(e)
    return failed


def _call_all_sync(hooks: tuple[Hook, ...], exc: BaseException | None) -> list[Exception]:
    failed: list[Exception] = []
    for func, _ in hooks:
        try:
            func(exc)
        except Exception as e:
            failed.append(e)
    return failed


async def leave_context(app: MicroFlask, ctx: AppContext, exc: BaseException | None) -> None:
    """Leaving ``async with`` a context: its teardown functions and signals, errors raised together."""
    request_hooks, app_hooks = teardown_hooks(app, ctx)
    failed = await _call_all(app, ctx, request_hooks, exc)
    if ctx.request is not None:
        failed += await signals.send_async_to_all(signals.request_tearing_down, app, exc=exc)
        await ctx.request.close()  # the uploaded files, as Flask's context pop closes the request
    failed_app = await _call_all(app, ctx, app_hooks, exc)
    failed_app += await signals.send_async_to_all(signals.appcontext_tearing_down, app, exc=exc)
    if failed or failed_app:
        raise grouped(failed, failed_app)


def leave_context_sync(app: MicroFlask, ctx: AppContext, exc: BaseException | None) -> None:
    """Leaving a plain ``with`` block: as :func:`leave_context`, for sync teardown functions only."""
    request_hooks, app_hooks = teardown_hooks(app, ctx)
    for func, is_async in (*request_hooks, *app_hooks):
        if is_async:
            raise RuntimeError(
                f"The teardown function {func.__qualname__} is async: leave the context with"
                " 'async with' (not 'with') so it can be awaited."
            )
    failed = _call_all_sync(request_hooks, exc)
    if ctx.request is not None:
        failed += signals.send_sync_to_all(signals.request_tearing_down, app, exc=exc)
        ctx.request.close_sync()
    failed_app = _call_all_sync(app_hooks, exc)
    failed_app += signals.send_sync_to_all(signals.appcontext_tearing_down, app, exc=exc)
    if failed or failed_app:
        raise grouped(failed, failed_app)
