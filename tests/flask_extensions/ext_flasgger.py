"""Flasgger, as its README shows: ``Swagger(app)`` reading YAML docstrings, ``@swag_from`` with
a dict of specs, a YAML file and ``validation=True`` (a 400 with jsonschema's message), a
``SwaggerView``, the ``/apispec_1.json`` document built from the app's rules (paths with
``{param}``, definitions), and the ``/apidocs/`` page with Swagger UI's static files, which
flasgger ships in its package and serves from its blueprint; in def and async def views."""

# isort: off
import microflask.flask_patch  # noqa: F401  (first: from here on, flask is microflask)

# isort: on
from pathlib import Path
from typing import Any

import pytest
from flasgger import LazyJSONEncoder, LazyString, Swagger, SwaggerView, swag_from
from flask import Blueprint, Flask, jsonify, request

COLORS = {"cmyk": ["cyan", "magenta", "yellow", "black"], "rgb": ["red", "green", "blue"]}

COLOR_SPECS = {
    "parameters": [
        {"name": "palette", "in": "path", "type": "string", "enum": ["all", "rgb", "cmyk"], "required": True}
    ],
    "definitions": {
        "Palette": {
            "type": "object",
            "properties": {"palette_name": {"type": "array", "items": {"$ref": "#/definitions/Color"}}},
        },
        "Color": {"type": "string"},
    },
    "responses": {"200": {"description": "A list of colors", "schema": {"$ref": "#/definitions/Palette"}}},
}

USER_SPECS = {
    "parameters": [{"name": "body", "in": "body", "required": True, "schema": {"$ref": "#/definitions/User"}}],
    "definitions": {
        "User": {
            "type": "object",
            "required": ["username"],
            "properties": {"username": {"type": "string"}, "age": {"type": "integer", "minimum": 0}},
        }
    },
    "responses": {"201": {"description": "The user, created"}},
}

PET_YAML = """\
Create a pet
---
tags:
  - pets
parameters:
  - name: body
    in: body
    required: true
    schema:
      id: Pet
      required:
        - name
      properties:
        name:
          type: string
        legs:
          type: integer
responses:
  201:
    description: The pet, created
"""


def colors_for(palette: str) -> dict[str, Any]:
    return COLORS if palette == "all" else {palette: COLORS.get(palette)}


def make_app(kind: str, tmp_path: Path) -> Flask:
    app = Flask(__name__)
    app.config["SWAGGER"] = {"title": "Colors API", "uiversion": 3}
    Swagger(app)
    pet_file = tmp_path / "pet_post.yml"
    pet_file.write_text(PET_YAML)

    if kind == "def":

        @app.route("/colors/<palette>/")
        def colors(palette: str) -> Any:
            """Example endpoint returning a list of colors by palette
            This is using docstrings for specifications.
            ---
            parameters:
              - name: palette
                in: path
                type: string
                enum: ['all', 'rgb', 'cmyk']
                required: true
                default: all
            responses:
              200:
                description: A list of colors (may be filtered by palette)
                examples:
                  rgb: ['red', 'green', 'blue']
            """
            return jsonify(colors_for(palette))

        @app.route("/palettes/<palette>/")
        @swag_from(COLOR_SPECS)
        def palettes(palette: str) -> Any:
            return jsonify(colors_for(palette))

        @app.route("/users", methods=["POST"])
        @swag_from(USER_SPECS, validation=True)
        def create_user() -> Any:
            return jsonify(request.json), 201

        @app.route("/pets", methods=["POST"])
        @swag_from(str(pet_file), validation=True)
        def create_pet() -> Any:
            return jsonify(request.get_json()), 201

    else:

        @app.route("/colors/<palette>/")
        async def colors(palette: str) -> Any:
            """Example endpoint returning a list of colors by palette
            This is using docstrings for specifications.
            ---
            parameters:
              - name: palette
                in: path
                type: string
                enum: ['all', 'rgb', 'cmyk']
                required: true
                default: all
            responses:
              200:
                description: A list of colors (may be filtered by palette)
                examples:
                  rgb: ['red', 'green', 'blue']
            """
            return jsonify(colors_for(palette))

        @app.route("/palettes/<palette>/")
        @swag_from(COLOR_SPECS)
        async def palettes(palette: str) -> Any:
            return jsonify(colors_for(palette))

        @app.route("/users", methods=["POST"])
        @swag_from(USER_SPECS, validation=True)
        async def create_user() -> Any:
            return jsonify(await request.get_json()), 201

        @app.route("/pets", methods=["POST"])
        @swag_from(str(pet_file), validation=True)
        async def create_pet() -> Any:
            return jsonify(await request.get_json()), 201

    class Greeting(SwaggerView):
        parameters = [{"name": "name", "in": "query", "type": "string", "required": False}]
        responses = {"200": {"description": "A greeting"}}
        summary = "Say hello"

        def get(self) -> Any:
            return jsonify({"hello": request.args.get("name", "world")})

    app.add_url_rule("/greeting", view_func=Greeting.as_view("greeting"), methods=["GET"])
    return app


@pytest.fixture(params=["def", "async"])
def client(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    return make_app(request.param, tmp_path).test_client()


def test_the_views_answer(client: Any) -> None:
    assert client.get("/colors/rgb/").get_json() == {"rgb": ["red", "green", "blue"]}
    assert client.get("/palettes/cmyk/").get_json() == {"cmyk": COLORS["cmyk"]}
    assert client.get("/greeting?name=ada").get_json() == {"hello": "ada"}


def test_the_spec_document(client: Any) -> None:
    response = client.get("/apispec_1.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    spec = response.get_json()
    assert spec["swagger"] == "2.0"
    assert spec["info"]["title"] == "Colors API"
    paths = spec["paths"]
    assert set(paths) == {"/colors/{palette}/", "/palettes/{palette}/", "/users", "/pets", "/greeting"}
    colors = paths["/colors/{palette}/"]["get"]
    assert colors["summary"] == "Example endpoint returning a list of colors by palette"
    assert colors["description"].startswith("This is using docstrings for specifications.")
    assert colors["parameters"][0]["enum"] == ["all", "rgb", "cmyk"]
    assert colors["responses"]["200"]["examples"] == {"rgb": ["red", "green", "blue"]}
    palettes = paths["/palettes/{palette}/"]["get"]
    assert palettes["responses"]["200"]["schema"] == {"$ref": "#/definitions/Palette"}
    assert spec["definitions"]["Palette"]["properties"]["palette_name"]["items"] == {"$ref": "#/definitions/Color"}
    assert spec["definitions"]["User"]["required"] == ["username"]
    assert spec["definitions"]["Pet"]["properties"]["legs"] == {"type": "integer"}
    assert paths["/pets"]["post"]["tags"] == ["pets"]
    assert paths["/pets"]["post"]["summary"] == "Create a pet"
    assert paths["/greeting"]["get"]["summary"] == "Say hello"
    assert list(paths["/users"]) == ["post"]  # HEAD and OPTIONS are left out


def test_validation_with_swag_from(client: Any) -> None:
    ok = client.post("/users", json={"username": "ada", "age": 36})
    assert ok.status_code == 201
    assert ok.get_json() == {"username": "ada", "age": 36}
    bad = client.post("/users", json={"age": -1})
    assert bad.status_code == 400
    assert "'username' is a required property" in bad.text
    assert client.post("/users", json={"username": "ada", "age": -1}).status_code == 400
    assert client.post("/pets", json={"name": "Rex", "legs": 4}).status_code == 201
    no_name = client.post("/pets", json={"legs": 4})
    assert no_name.status_code == 400
    assert "'name' is a required property" in no_name.text


def test_the_apidocs_page_and_its_static_files(client: Any) -> None:
    page = client.get("/apidocs/")
    assert page.status_code == 200
    assert page.mimetype == "text/html"
    assert "/apispec_1.json" in page.text
    assert "/flasgger_static/swagger-ui-bundle.js" in page.text
    assert "Colors API" in page.text
    script = client.get("/flasgger_static/swagger-ui-bundle.js")
    assert script.status_code == 200
    assert script.mimetype in ("text/javascript", "application/javascript")
    assert b"SwaggerUIBundle" in script.data
    css = client.get("/flasgger_static/swagger-ui.css")
    assert css.status_code == 200
    assert css.mimetype == "text/css"
    icon = client.get("/flasgger_static/favicon-32x32.png")
    assert icon.mimetype == "image/png"
    assert icon.data.startswith(b"\x89PNG")
    assert client.get("/flasgger_static/nothing.js").status_code == 404
    # ?json=1 lists the specs; the old URL redirects to the page.
    assert client.get("/apidocs/?json=1").get_json()["specs"][0]["url"] == "/apispec_1.json"
    old = client.get("/apidocs/index.html")
    assert old.status_code == 302
    assert old.headers["Location"].endswith("/apidocs/")


@pytest.mark.parametrize("kind", ["def", "async"])
def test_openapi3_template_lazy_strings_and_a_blueprint(kind: str) -> None:
    """``config["openapi"]`` (components/schemas), a ``template`` whose ``host`` is a
    ``LazyString`` read per request through flasgger's ``LazyJSONEncoder`` provider, and the
    rules of a blueprint."""
    app = Flask(__name__)
    app.json_provider_class = LazyJSONEncoder
    app.json = LazyJSONEncoder(app)
    app.config["SWAGGER"] = {"title": "Notes", "openapi": "3.0.2"}
    template = {
        "info": {"title": "Notes API", "version": "1.2.0", "description": "notes"},
        "host": LazyString(lambda: request.host),
    }
    Swagger(app, template=template)
    notes = Blueprint("notes", __name__, url_prefix="/notes")
    spec = """List notes
    ---
    parameters:
      - name: q
        in: query
        schema:
          type: string
    responses:
      200:
        description: The notes
        content:
          application/json:
            schema:
              $ref: '#/components/schemas/Note'
    components:
      schemas:
        Note:
          type: object
          properties:
            text:
              type: string
    """
    if kind == "def":

        @notes.get("/")
        def list_notes() -> Any:
            return jsonify([{"text": request.args.get("q", "hi")}])

    else:

        @notes.get("/")
        async def list_notes() -> Any:
            return jsonify([{"text": request.args.get("q", "hi")}])

    list_notes.__doc__ = spec
    app.register_blueprint(notes)
    client = app.test_client()
    assert client.get("/notes/?q=yo").get_json() == [{"text": "yo"}]
    document = client.get("/apispec_1.json", base_url="http://api.example.test").get_json()
    assert document["openapi"] == "3.0.2"
    assert "swagger" not in document
    assert document["info"] == {"title": "Notes API", "version": "1.2.0", "description": "notes"}
    assert document["host"] == "api.example.test"
    operation = document["paths"]["/notes/"]["get"]
    assert operation["summary"] == "List notes"
    assert operation["parameters"][0]["name"] == "q"
    assert document["components"]["schemas"]["Note"]["properties"] == {"text": {"type": "string"}}


@pytest.mark.parametrize("kind", ["def", "async"])
def test_parse_and_validate_the_request(kind: str) -> None:
    """``Swagger(app, parse=True)``: a before-request hook parses the arguments the specs
    declare (with Flask-RESTful's ``reqparse``) into ``request.parsed_data``, and validates them."""
    app = Flask(__name__)
    Swagger(app, parse=True)
    spec = """Greet
    ---
    parameters:
      - name: name
        in: query
        type: string
        required: true
      - name: times
        in: query
        type: integer
      - name: who
        in: path
        type: string
        required: true
    responses:
      200:
        description: A greeting
    """
    if kind == "def":

        @app.get("/greet/<who>")
        def greet(who: str) -> Any:
            data = request.parsed_data  # type: ignore[attr-defined]
            return jsonify({"args": data["args"], "path": data["path"]})

    else:

        @app.get("/greet/<who>")
        async def greet(who: str) -> Any:
            data = request.parsed_data  # type: ignore[attr-defined]
            return jsonify({"args": data["args"], "path": data["path"]})

    greet.__doc__ = spec
    client = app.test_client()
    assert client.get("/greet/ada?name=Ada&times=2").get_json() == {
        "args": {"name": "Ada", "times": 2},
        "path": {"who": "ada"},
    }
    # Its 400s (Flask-RESTful's reqparse aborts): a missing argument, one of the wrong type.
    assert client.get("/greet/ada").status_code == 400
    assert client.get("/greet/ada?name=Ada&times=often").status_code == 400
