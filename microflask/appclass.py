"""The app class's metaclass: the ASGI entry stays when WSGI code replaces ``__call__``.

Instrumentation written for Flask wraps the WSGI entry by assigning the class's ``__call__``:
``Flask.__call__ = wrapper(environ, start_response)`` (Sentry's Flask integration does, as soon
as ``sentry_sdk.init()`` finds Flask installed; with ``microflask.flask_patch`` active its
``Flask`` is this class). Under ASGI every request would then fail. Such an assignment is
refused with a warning in the log; the wrapper's library usually has an ASGI middleware for
what the WSGI one did (``app.add_middleware``). Anything else assigned to ``__call__`` (an
ASGI-shaped function) is applied as usual.
"""

from __future__ import annotations

import inspect
import logging
from typing import Any

__all__ = ["AppClass", "is_wsgi_callable"]

logger = logging.getLogger("microflask")


def is_wsgi_callable(func: Any) -> bool:
    """Whether ``func`` (a function assigned as a class's ``__call__``) takes ``(self, environ,
    start_response)``: two positional arguments after ``self``, as a WSGI app's ``__call__``."""
    try:
        parameters = list(inspect.signature(func).parameters.values())
    except (TypeError, ValueError):
        return False
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) == 3 and not any(p.kind is p.VAR_POSITIONAL for p in parameters)


class AppClass(type):
    """The metaclass of ``MicroFlask`` (and of its subclasses): see the module docstring."""

    def __setattr__(cls, name: str, value: Any) -> None:
        if name == "__call__" and is_wsgi_callable(value):
            logger.warning(
                "%s.%s replaced %s.__call__ with a WSGI wrapper; it is not applied: microflask serves"
                " ASGI. Use the library's ASGI middleware instead (app.add_middleware(...)).",
                getattr(value, "__module__", "?"),
                getattr(value, "__qualname__", value),
                cls.__name__,
            )
            return
        super().__setattr__(name, value)
