"""microflask: Flask's API on ASGI, async first, compiled onto Starlette."""

from __future__ import annotations

import importlib
import sys
from typing import TYPE_CHECKING, Any

from markupsafe import Markup, escape

from .app import MicroFlask
from .blueprints import Blueprint
from .config import Config
from .ctx import (
    after_this_request,
    copy_current_request_context,
    current_app,
    g,
    has_app_context,
    has_request_context,
    request,
    session,
    websocket,
)
from .exceptions import HTTPException
from .helpers import (
    abort,
    flash,
    get_flashed_messages,
    get_template_attribute,
    make_response,
    redirect,
    send_file,
    send_from_directory,
    stream_with_context,
    url_for,
)
from .json import jsonify
from .signals import (
    appcontext_popped,
    appcontext_pushed,
    appcontext_tearing_down,
    before_render_template,
    got_request_exception,
    message_flashed,
    request_finished,
    request_started,
    request_tearing_down,
    template_rendered,
)
from .views import MethodView, View
from .wrappers import Request, Response

__version__ = "0.1.0"

#: Flask's name for the application class: ``flask.Flask(__name__)`` and ``app: Flask`` work.
Flask = MicroFlask

# Templates need Jinja, which is slow to import: loaded on first use of these names.
_LAZY = {
    "render_template": "templating",
    "render_template_string": "templating",
    "stream_template": "templating",
    "stream_template_string": "templating",
}


#: Submodules that ``import microflask`` does not load (Typer, Jinja, the test transport), which
#: Flask code reaches as attributes of the package (``flask.cli.AppGroup``): loaded on first use.
_LAZY_SUBMODULES = frozenset({"cli", "templating", "testing"})


def __getattr__(name: str) -> Any:
    if name in _LAZY_SUBMODULES:
        return importlib.import_module(f".{name}", __name__)  # which sets it on the package
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'microflask' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    setattr(sys.modules[__name__], name, value)  # (``globals`` here is the submodule, not the builtin)
    return value


if TYPE_CHECKING:
    from .templating import render_template, render_template_string, stream_template, stream_template_string

__all__ = [
    "Blueprint",
    "Config",
    "Flask",
    "HTTPException",
    "Markup",
    "MethodView",
    "MicroFlask",
    "Request",
    "Response",
    "View",
    "abort",
    "after_this_request",
    "appcontext_popped",
    "appcontext_pushed",
    "appcontext_tearing_down",
    "before_render_template",
    "copy_current_request_context",
    "current_app",
    "escape",
    "flash",
    "g",
    "get_flashed_messages",
    "get_template_attribute",
    "got_request_exception",
    "has_app_context",
    "has_request_context",
    "jsonify",
    "make_response",
    "message_flashed",
    "redirect",
    "render_template",
    "render_template_string",
    "request",
    "request_finished",
    "request_started",
    "request_tearing_down",
    "send_file",
    "send_from_directory",
    "session",
    "stream_template",
    "stream_template_string",
    "stream_with_context",
    "template_rendered",
    "url_for",
    "websocket",
]
