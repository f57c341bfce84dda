"""microflask: Flask's API on ASGI, async first, compiled onto Starlette."""

from __future__ import annotations

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
    make_response,
    redirect,
    send_file,
    send_from_directory,
    stream_with_context,
    url_for,
)
from .json import jsonify
from .templating import render_template, render_template_string, stream_template, stream_template_string
from .views import MethodView, View
from .wrappers import Request, Response

__version__ = "0.1.0"

__all__ = [
    "Blueprint",
    "Config",
    "HTTPException",
    "Markup",
    "MethodView",
    "MicroFlask",
    "Request",
    "Response",
    "View",
    "abort",
    "after_this_request",
    "copy_current_request_context",
    "current_app",
    "escape",
    "flash",
    "g",
    "get_flashed_messages",
    "has_app_context",
    "has_request_context",
    "jsonify",
    "make_response",
    "redirect",
    "render_template",
    "render_template_string",
    "request",
    "send_file",
    "send_from_directory",
    "session",
    "stream_template",
    "stream_template_string",
    "stream_with_context",
    "url_for",
    "websocket",
]
