"""Mounted ASGI apps (``app.mount(path, asgi_app, name)``): finding the one that serves a path,
calling it as Starlette's ``Mount`` would, and building URLs into a mounted MicroFlask app."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from .exceptions import BuildError

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["Mounts"]


class Mounts:
    """The ASGI apps mounted below path prefixes (``app.mount``)."""

    def __init__(self) -> None:
        self._mounts: list[tuple[str, ASGIApp, str | None]] = []

    def add(self, path: str, app: ASGIApp, name: str | None) -> None:
        if not path.startswith("/"):
            raise ValueError(f"Mount path {path!r} must start with '/'.")
        self._mounts.append((path.rstrip("/"), app, name))

    def apps(self) -> list[ASGIApp]:
        return [app for _, app, _ in self._mounts]

    def find(self, scope: Scope, path: str) -> Callable[[Scope, Receive, Send], Any] | None:
        """The mounted app serving ``path``, ready to call with the parent's scope."""
        for prefix, app, _ in self._mounts:
            if path == prefix or path.startswith(prefix + "/") or not prefix:
                return functools.partial(_call_mounted, app, prefix)
        return None

    def build(self, name: str, endpoint: str, values: dict[str, Any], method: str | None) -> str:
        """``url_for("name:endpoint")``: the path of ``endpoint`` in the MicroFlask app mounted as ``name``."""
        for prefix, app, mount_name in self._mounts:
            if mount_name == name:
                url_map = getattr(app, "url_map", None)
                if url_map is None:
                    raise BuildError(
                        f"{name}:{endpoint}", values, method, f"The app mounted as {name!r} has no url_map."
                    )
                app.inject_url_defaults(endpoint, values)  # type: ignore[attr-defined]
                return prefix + url_map.build(endpoint, values, method)  # type: ignore[no-any-return]
        raise BuildError(f"{name}:{endpoint}", values, method, f"No app is mounted with the name {name!r}.")

    def __iter__(self) -> Iterator[tuple[str, ASGIApp, str | None]]:
        return iter(self._mounts)


async def _call_mounted(app: ASGIApp, prefix: str, scope: Scope, receive: Receive, send: Send) -> None:
    # As Starlette's Mount: the prefix moves into root_path; path stays whole (ASGI's rule).
    child = dict(scope)
    child["root_path"] = scope.get("root_path", "") + prefix
    await app(child, receive, send)
