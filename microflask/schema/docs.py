"""Interactive API docs (Swagger UI), served by the app itself: never from a CDN.

The page works offline and behind a firewall: its scripts and styles come from the installed
``swagger-ui-bundle-v2`` package (Swagger UI 5, which reads OpenAPI 3.1; part of the ``api``
extra), served by the app under the docs path. The page has no inline script, so a strict
``Content-Security-Policy`` (``script-src 'self'``) allows it.
"""

from __future__ import annotations

import json
import os
from html import escape
from typing import Any

from ..exceptions import NotFound
from ..helpers import send_from_directory, url_for
from ..wrappers import Response
from .spec import hide

__all__ = ["register_docs", "swagger_ui_folder"]

#: The files of the Swagger UI distribution the page uses (nothing else is served).
ASSETS = frozenset(
    {
        "swagger-ui.css",
        "swagger-ui-bundle.js",
        "swagger-ui-standalone-preset.js",
        "favicon-32x32.png",
        "favicon-16x16.png",
        "oauth2-redirect.html",
        "oauth2-redirect.js",
    }
)

_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="stylesheet" href="{css}">
<link rel="icon" type="image/png" href="{icon}">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{spec}"></div>
<script src="{bundle}"></script>
<script src="{preset}"></script>
<script src="{init}"></script>
</body>
</html>
"""

_INIT = """window.addEventListener("load", function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.openapiUrl,
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    plugins: [SwaggerUIBundle.plugins.DownloadUrl],
    layout: "StandaloneLayout",
    ...%s
  });
});
"""


def swagger_ui_folder() -> str | None:
    """The folder of the installed Swagger UI distribution (None when it is not installed)."""
    try:
        import swagger_ui_bundle  # the api extra's swagger-ui-bundle-v2; loaded only by apps that serve /docs
    except ImportError:
        return None
    return os.fspath(swagger_ui_bundle.swagger_ui_path)


def register_docs(app: Any, api: Any) -> None:
    """Add ``api.docs_path`` (the Swagger UI page) and its assets to ``app``."""
    if not api.docs_path or not api.openapi_path:
        return
    folder = swagger_ui_folder()
    prefix = api.docs_path.rstrip("/")
    init_js = (_INIT % json.dumps(api.swagger_ui_parameters)).encode()

    @hide
    async def openapi_docs() -> Response:
        if folder is None:
            return Response(
                "The API docs need Swagger UI: pip install 'microflask[api]' (swagger-ui-bundle-v2).",
                501,
                mimetype="text/plain",
            )
        page = _PAGE.format(
            title=escape(f"{api.title} - Swagger UI"),
            css=escape(url_for("openapi_docs_asset", filename="swagger-ui.css")),
            icon=escape(url_for("openapi_docs_asset", filename="favicon-32x32.png")),
            spec=escape(url_for("openapi_json")),
            bundle=escape(url_for("openapi_docs_asset", filename="swagger-ui-bundle.js")),
            preset=escape(url_for("openapi_docs_asset", filename="swagger-ui-standalone-preset.js")),
            init=escape(url_for("openapi_docs_asset", filename="init.js")),
        )
        return Response(page)

    @hide
    async def openapi_docs_asset(filename: str) -> Any:
        if filename == "init.js":
            return Response(init_js, mimetype="text/javascript")
        if folder is None or filename not in ASSETS:
            raise NotFound()
        return await send_from_directory(folder, filename)

    app.add_url_rule(prefix or "/", endpoint="openapi_docs", view_func=openapi_docs)
    app.add_url_rule(f"{prefix}/<filename>", endpoint="openapi_docs_asset", view_func=openapi_docs_asset)
