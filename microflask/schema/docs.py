"""Interactive API docs, served by the app itself: never from a CDN.

Two pages read ``/openapi.json``: Swagger UI at ``/docs`` and ReDoc at ``/redoc``. They work
offline and behind a firewall: their scripts come from installed packages (the ``api`` extra),
served by the app under the page's path, and only the files each page uses are served. Neither
page has an inline script, so a strict ``Content-Security-Policy`` (``script-src 'self'``)
allows them; the options (``swagger_ui_parameters``, ``redoc_options``) reach the browser in a
small ``init.js`` served beside the page.

- Swagger UI 5 (reads OpenAPI 3.1) comes from ``swagger-ui-bundle-v2``.
- ReDoc 3 comes from ``flask-openapi-redoc``, the one package on PyPI that ships its standalone
  bundle. microflask only reads its files: it finds their folder without importing the package
  (which would import Flask).
"""

from __future__ import annotations

import importlib.util
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from html import escape
from typing import Any

from ..exceptions import NotFound
from ..helpers import send_from_directory, url_for
from ..wrappers import Response
from .spec import hide

__all__ = ["redoc_folder", "register_docs", "swagger_ui_folder"]


@dataclass(frozen=True)
class _Viewer:
    """One docs page: its HTML, its script's template and the files it may serve."""

    name: str  # in the page's title and in the "not installed" answer
    package: str  # the distribution that ships the files (part of the api extra)
    page: str  # the HTML, with {title}, {spec} (the document's URL) and a placeholder per link
    links: Mapping[str, str]  # placeholder -> file name, under the page's path
    assets: Mapping[str, tuple[str, str | None]]  # served name -> (its path in the folder, its type)
    init: str  # init.js, with %s for the options as a JSON object
    policy: str | None = None  # the page's Content-Security-Policy


_HEAD = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
"""

SWAGGER_UI = _Viewer(
    name="Swagger UI",
    package="swagger-ui-bundle-v2",
    page=_HEAD
    + """<link rel="stylesheet" href="{css}">
<link rel="icon" type="image/png" href="{icon}">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{spec}"></div>
<script src="{bundle}"></script>
<script src="{preset}"></script>
<script src="{init}"></script>
</body>
</html>
""",
    links={
        "css": "swagger-ui.css",
        "icon": "favicon-32x32.png",
        "bundle": "swagger-ui-bundle.js",
        "preset": "swagger-ui-standalone-preset.js",
        "init": "init.js",
    },
    assets={
        name: (name, None)
        for name in (
            "swagger-ui.css",
            "swagger-ui-bundle.js",
            "swagger-ui-standalone-preset.js",
            "favicon-32x32.png",
            "favicon-16x16.png",
            "oauth2-redirect.html",
            "oauth2-redirect.js",
        )
    },
    init="""window.addEventListener("load", function () {
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
""",
)

# ReDoc 3's bundle is an ES module (``export {init, ...}``): init.js imports it, so both are
# module scripts, which browsers refuse unless they are served with a JavaScript type.
REDOC = _Viewer(
    name="ReDoc",
    package="flask-openapi-redoc",
    page=_HEAD
    + """<link rel="icon" type="image/svg+xml" href="{icon}">
<link rel="modulepreload" href="{bundle}">
</head>
<body>
<div id="redoc" data-spec-url="{spec}"></div>
<script type="module" src="{init}"></script>
</body>
</html>
""",
    links={"icon": "redoc.svg", "bundle": "redoc.standalone.js", "init": "init.js"},
    assets={
        "redoc.standalone.js": ("js/redoc.standalone.js", "text/javascript"),
        "redoc.svg": ("images/redoc.svg", "image/svg+xml"),
    },
    # ReDoc also reads options from its element's attributes: it gets a bare element of its own.
    init="""import { init } from "./redoc.standalone.js";

const root = document.getElementById("redoc");
const element = document.createElement("div");
root.appendChild(element);
document.body.style.margin = "0";
init(root.dataset.specUrl, %s, element);
""",
    # Its sidebar shows Redocly's logo from their CDN: the page's policy keeps images local.
    policy="img-src 'self' data:",
)

#: ReDoc's defaults under ``redoc_options``: ReDoc 3 reports usage to Redocly's servers unless
#: told not to, and these docs fetch nothing from elsewhere.
REDOC_DEFAULTS: Mapping[str, Any] = {"disableTelemetry": True}


def swagger_ui_folder() -> str | None:
    """The folder of the installed Swagger UI distribution (None when it is not installed)."""
    try:
        import swagger_ui_bundle  # the api extra's swagger-ui-bundle-v2; loaded only by apps that serve /docs
    except ImportError:
        return None
    return os.fspath(swagger_ui_bundle.swagger_ui_path)


def redoc_folder() -> str | None:
    """The folder of ReDoc's files in the installed ``flask-openapi-redoc`` (None when it is not
    installed). Found without importing the package: it imports Flask, and only its files are used."""
    try:
        spec = importlib.util.find_spec("flask_openapi_redoc")  # a top-level name: nothing is executed
    except (ImportError, ValueError):
        return None
    for location in (spec and spec.submodule_search_locations) or ():
        folder = os.path.join(location, "templates", "redoc")
        if all(os.path.isfile(os.path.join(folder, path)) for path, _ in REDOC.assets.values()):
            return folder
    return None


def register_docs(app: Any, api: Any) -> None:
    """Add the docs pages of ``api`` to ``app``: Swagger UI at ``api.docs_path`` and ReDoc at
    ``api.redoc_path`` (a path that is None serves nothing; neither is served without the document)."""
    if not api.openapi_path:
        return
    if api.docs_path:
        options = json.dumps(api.swagger_ui_parameters)
        _register_page(app, api, SWAGGER_UI, api.docs_path, "openapi_docs", swagger_ui_folder(), options)
    if api.redoc_path:
        options = json.dumps({**REDOC_DEFAULTS, **api.redoc_options})
        _register_page(app, api, REDOC, api.redoc_path, "openapi_redoc", redoc_folder(), options)


def _register_page(
    app: Any, api: Any, viewer: _Viewer, path: str, endpoint: str, folder: str | None, options: str
) -> None:
    """The page at ``path`` (endpoint ``endpoint``) and its files under it (``endpoint_asset``):
    init.js, and ``viewer.assets`` from ``folder``; any other name is a 404."""
    prefix = path.rstrip("/")
    asset_endpoint = f"{endpoint}_asset"
    init_js = (viewer.init % options).encode()

    @hide
    async def docs_page() -> Response:
        if folder is None:
            return Response(
                f"The API docs need {viewer.name}: pip install 'microflask[api]' ({viewer.package}).",
                501,
                mimetype="text/plain",
            )
        links = {key: escape(url_for(asset_endpoint, filename=name)) for key, name in viewer.links.items()}
        title = escape(f"{api.title} - {viewer.name}")
        page = Response(viewer.page.format(title=title, spec=escape(url_for("openapi_json")), **links))
        if viewer.policy:
            page.headers["Content-Security-Policy"] = viewer.policy
        return page

    @hide
    async def docs_asset(filename: str) -> Any:
        if filename == "init.js":
            return Response(init_js, mimetype="text/javascript")
        if folder is None or filename not in viewer.assets:
            raise NotFound()
        file, mimetype = viewer.assets[filename]
        return await send_from_directory(folder, file, mimetype=mimetype)

    app.add_url_rule(prefix or "/", endpoint=endpoint, view_func=docs_page)
    app.add_url_rule(f"{prefix}/<filename>", endpoint=asset_endpoint, view_func=docs_asset)
