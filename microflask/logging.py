"""The app's logger: ``app.logger``, named after the app, with a default stderr handler."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .appbase import AppBase

__all__ = ["create_logger", "default_handler", "has_level_handler"]

#: Added to ``app.logger`` when nothing else would print its records (as Flask does).
default_handler = logging.StreamHandler()
default_handler.setFormatter(logging.Formatter("[%(asctime)s] %(levelname)s in %(module)s: %(message)s"))


def create_logger(app: AppBase) -> logging.Logger:
    """``logging.getLogger(app.name)``; DEBUG level when the app is in debug mode."""
    logger = logging.getLogger(app.name)
    if app.debug and not logger.level:
        logger.setLevel(logging.DEBUG)
    if not has_level_handler(logger):
        logger.addHandler(default_handler)
    return logger


def has_level_handler(logger: logging.Logger) -> bool:
    """Whether some handler up the chain would emit this logger's records."""
    level = logger.getEffectiveLevel()
    current: logging.Logger | None = logger
    while current:
        if any(handler.level <= level for handler in current.handlers):
            return True
        if not current.propagate:
            break
        current = current.parent
    return False
