"""An API with webargs (``@use_args`` on a JSON body and the query string, its 422 as JSON) and
Flasgger (its spec document, the ``/apidocs/`` page and Swagger UI's files from its package),
served by a real ``uvicorn --loop uvloop`` in tests/test_flask_extensions_served.py. The views
exist as ``def`` views under ``/def/`` and as ``async def`` views under ``/async/``.
"""

# isort: off
import microflask.flask_patch  # noqa: F401  (first: from here on, flask is microflask)

# isort: on
from typing import Any

from flasgger import Swagger
from flask import Blueprint, Flask, jsonify
from webargs import fields, validate
from webargs.flaskparser import use_args

app = Flask(__name__)
app.config["SWAGGER"] = {"title": "Served API"}
Swagger(app)

ITEM = {"name": fields.Str(required=True), "qty": fields.Int(validate=validate.Range(min=1), load_default=1)}
PAGE = {"page": fields.Int(load_default=1), "tag": fields.List(fields.Str())}
SPEC = """Add an item
---
parameters:
  - name: body
    in: body
    required: true
    schema:
      id: Item
      properties:
        name:
          type: string
        qty:
          type: integer
responses:
  201:
    description: The item, added
"""

sync_api = Blueprint("def", __name__, url_prefix="/def")
async_api = Blueprint("async", __name__, url_prefix="/async")


@sync_api.post("/items")
@use_args(ITEM)
def sync_add(item: dict[str, Any]) -> Any:
    return jsonify(kind="def", **item), 201


@async_api.post("/items")
@use_args(ITEM)
async def async_add(item: dict[str, Any]) -> Any:
    return jsonify(kind="async", **item), 201


sync_add.__doc__ = async_add.__doc__ = SPEC


@sync_api.get("/items")
@use_args(PAGE, location="query")
def sync_list(args: dict[str, Any]) -> Any:
    return jsonify(kind="def", **args)


@async_api.get("/items")
@use_args(PAGE, location="query")
async def async_list(args: dict[str, Any]) -> Any:
    return jsonify(kind="async", **args)


@app.errorhandler(422)
@app.errorhandler(400)
def handle_error(err: Any) -> Any:
    """webargs' documented error handling: its messages as JSON."""
    messages = err.data.get("messages", ["Invalid request."])
    return jsonify({"errors": messages}), err.code, err.data.get("headers") or {}


app.register_blueprint(sync_api)
app.register_blueprint(async_api)
