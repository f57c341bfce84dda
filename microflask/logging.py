"""The app's logger (``app.logger``), as Flask's ``flask.logging``.

``app.logger`` is ``logging.getLogger(app.name)``. When nothing configured would print its
records, it gets :data:`default_handler`, which writes to :data:`wsgi_errors_stream`: the
current request's error stream when one was given (``app.test_request_context(errors_stream=...)``
or the ASGI scope key ``"wsgi.errors"``), else ``sys.stderr``.
"""

from __future__ import annotations

import logging
import sys
from typing import IO, TYPE_CHECKING, Any

from .globals import _Proxy, current_context

if TYPE_CHECKING:
    from .appbase import AppBase

__all__ = ["ERRORS_STREAM_KEY", "create_logger", "default_handler", "has_level_handler", "wsgi_errors_stream"]

#: The ASGI scope key holding a request's error stream: WSGI's name (ASGI has none), which the
#: test client and ``test_request_context(errors_stream=...)`` fill from their environ.
ERRORS_STREAM_KEY = "wsgi.errors"


def _errors_stream() -> IO[str]:
    ctx = current_context()
    if ctx is not None and ctx.request is not None:
        stream: IO[str] | None = ctx.request.scope.get(ERRORS_STREAM_KEY)
        if stream is not None:
            return stream
    return sys.stderr  # looked up each time: whoever replaced sys.stderr (pytest, a daemon) is followed


#: The stream log records go to: the request's error stream if it has one, else ``sys.stderr``
#: (Flask's name, kept so code moved from Flask works; ``_get_current_object()`` gives the stream).
wsgi_errors_stream: Any = _Proxy(_errors_stream, "wsgi_errors_stream")

#: Added to ``app.logger`` when nothing else would print its records (as Flask does).
default_handler = logging.StreamHandler(wsgi_errors_stream)
default_handler.setFormatter(logging.Formatter("[%(asctime)s] %(levelname)s in %(module)s: %(message)s"))


def create_logger(app: AppBase) -> logging.Logger:
    """``logging.getLogger(app.name)``; DEBUG level when the app is in debug mode (and no level
    was set); :data:`default_handler` added when no handler would emit its records."""
    logger = logging.getLogger(app.name)
    if app.debug and not logger.level:
        logger.setLevel(logging.DEBUG)
    if not has_level_handler(logger):
        logger.addHandler(default_handler)
    return logger


def has_level_handler(logger: logging.Logger) -> bool:
    """Whether some handler on ``logger`` or up its chain (while records propagate) would emit
    records at the logger's effective level."""
    level = logger.getEffectiveLevel()
    current: logging.Logger | None = logger
    while current:
        if any(handler.level <= level for handler in current.handlers):
            return True
        if not current.propagate:
            break
        current = current.parent
    return False
