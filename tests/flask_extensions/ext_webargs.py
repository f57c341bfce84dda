"""webargs' Flask parser, as its docs show: ``@use_args`` / ``@use_kwargs`` with marshmallow
fields from the query string, a JSON body, a form, headers, cookies, uploaded files and the
URL's ``view_args``; nested and list fields; its 422 (an ``HTTPException`` carrying
``err.data["messages"]`` and ``err.data["headers"]``) turned into JSON by the app's
``@app.errorhandler(422)``; a custom ``@parser.error_handler``; ``async def`` views (webargs
awaits them itself) as well as ``def`` views."""

# isort: off
import microflask.flask_patch  # noqa: F401  (first: from here on, flask is microflask)

# isort: on
import io
from typing import Any

import marshmallow as ma
import pytest
from flask import Flask, jsonify, request
from flask.views import MethodView
from webargs import fields, validate
from webargs.flaskparser import FlaskParser, abort, parser, use_args, use_kwargs
from webargs.multidictproxy import MultiDictProxy

HELLO_ARGS = {"name": fields.Str(load_default="Friend")}
ADD_ARGS = {"x": fields.Float(required=True), "y": fields.Float(required=True)}


class UserSchema(ma.Schema):
    username = fields.Str(required=True, validate=validate.Length(min=2))
    email = fields.Email(required=True)
    tags = fields.List(fields.Str(), load_default=list)
    address = fields.Nested({"city": fields.Str(required=True), "zip": fields.Str()}, required=True)


def make_app(kind: str) -> Flask:
    """The same views as ``def`` or ``async def`` functions (webargs wraps both kinds)."""
    app = Flask(__name__)

    def view(func: Any) -> Any:
        if kind == "def":
            return func

        async def async_view(*args: Any, **kwargs: Any) -> Any:
            return func(*args, **kwargs)

        async_view.__name__ = func.__name__
        return async_view

    @app.route("/")
    @use_args(HELLO_ARGS, location="query")
    @view
    def index(args: dict[str, Any]) -> str:
        return f"Hello {args['name']}"

    @app.route("/add", methods=["POST"])
    @use_kwargs(ADD_ARGS)  # location="json", webargs' default
    @view
    def add(x: float, y: float) -> Any:
        return jsonify({"result": x + y})

    @app.route("/users", methods=["POST"])
    @use_args(UserSchema())
    @view
    def create_user(user: dict[str, Any]) -> Any:
        return jsonify(user), 201

    @app.route("/search")
    @use_args({"tag": fields.List(fields.Str()), "page": fields.Int(validate=validate.Range(min=1))}, location="query")
    @view
    def search(args: dict[str, Any]) -> Any:
        return jsonify(args)

    @app.route("/login", methods=["POST"])
    @use_args({"user": fields.Str(required=True), "remember": fields.Bool(load_default=False)}, location="form")
    @view
    def login(args: dict[str, Any]) -> Any:
        return jsonify(args)

    @app.route("/whoami")
    @use_args({"X-Api-Key": fields.Str(required=True)}, location="headers")
    @use_args({"session_id": fields.Str(required=True)}, location="cookies")
    @view
    def whoami(headers: dict[str, Any], cookies: dict[str, Any]) -> str:
        return f"{headers['X-Api-Key']} {cookies['session_id']}"

    @app.route("/upload", methods=["POST"])
    @use_args({"doc": fields.Raw(required=True, metadata={"type": "file"})}, location="files")
    @view
    def upload(args: dict[str, Any]) -> str:
        doc = args["doc"]
        return f"{doc.filename}: {doc.read().decode()}"

    @app.route("/user/<int:uid>")
    @use_args({"uid": fields.Str(), "per_page": fields.Int()}, location="query")
    @view
    def user_detail(args: dict[str, Any], uid: int) -> str:
        return f"The user page for user {uid}, showing {args['per_page']} posts."

    @app.route("/greeting/<name>/")
    @use_args({"name": fields.Str(validate=validate.Length(max=5))}, location="view_args")
    @view
    def greeting(args: dict[str, Any], **kwargs: Any) -> str:
        return f"Hello {args['name']} ({kwargs['name']})"

    @app.route("/echo", methods=["POST"])
    @use_args({"name": fields.Str(required=True)}, location="json_or_form")
    @view
    def echo(args: dict[str, Any]) -> str:
        return args["name"]

    @app.route("/parsed")
    @view
    def parsed() -> str:
        # webargs' parse() inside the view (sync: the query string needs no await).
        args = parser.parse({"q": fields.Str(required=True)}, request, location="query")
        return args["q"]

    class UserView(MethodView):
        @use_args({"name": fields.Str(required=True)}, location="json")
        @view
        def post(self, args: dict[str, Any]) -> str:
            return f"created {args['name']}"

    app.add_url_rule("/users/view", view_func=UserView.as_view("user_view"))

    @app.route("/strict")
    @use_args({"token": fields.Str(required=True)}, location="query", error_headers={"X-Token-Error": "missing"})
    @view
    def strict(args: dict[str, Any]) -> str:
        return "ok"

    # webargs' documented error handling: the 422 (and 400) as JSON, with its headers.
    @app.errorhandler(422)
    @app.errorhandler(400)
    def handle_error(err: Any) -> Any:
        headers = err.data.get("headers", None)
        messages = err.data.get("messages", ["Invalid request."])
        if headers:
            return jsonify({"errors": messages}), err.code, headers
        return jsonify({"errors": messages}), err.code

    return app


@pytest.fixture(params=["def", "async"])
def client(request: pytest.FixtureRequest) -> Any:
    return make_app(request.param).test_client()


def test_query_args_with_a_default(client: Any) -> None:
    assert client.get("/").text == "Hello Friend"
    assert client.get("/?name=Ada").text == "Hello Ada"


def test_json_body_through_use_kwargs(client: Any) -> None:
    response = client.post("/add", json={"x": 1.5, "y": "2"})
    assert response.status_code == 200
    assert response.get_json() == {"result": 3.5}


def test_validation_errors_are_422_with_the_messages(client: Any) -> None:
    response = client.post("/add", json={"x": "one"})
    assert response.status_code == 422
    assert response.get_json() == {
        "errors": {"json": {"x": ["Not a valid number."], "y": ["Missing data for required field."]}}
    }
    assert client.get("/search?page=0").get_json() == {
        "errors": {"query": {"page": ["Must be greater than or equal to 1."]}}
    }


def test_a_body_that_is_not_json_is_400(client: Any) -> None:
    response = client.post("/add", data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.get_json() == {"errors": {"json": ["Invalid JSON body."]}}


def test_a_body_that_is_not_utf8_or_empty(client: Any) -> None:
    response = client.post("/add", data=b"\xff\xfe{", content_type="application/json")
    assert response.status_code == 400
    assert response.get_json() == {"errors": {"json": ["Invalid JSON body."]}}
    empty = client.post("/add", data=b"", content_type="application/json")
    assert empty.status_code == 422  # an empty body is no data, not bad JSON


def test_error_headers_of_use_args(client: Any) -> None:
    response = client.get("/strict")
    assert response.status_code == 422
    assert response.headers["X-Token-Error"] == "missing"
    assert response.get_json() == {"errors": {"query": {"token": ["Missing data for required field."]}}}
    assert client.get("/strict?token=t").text == "ok"


def test_a_body_of_another_type_is_missing(client: Any) -> None:
    # webargs reads JSON only from a JSON mimetype: a form post leaves the fields missing.
    response = client.post("/add", data={"x": "1", "y": "2"})
    assert response.status_code == 422
    assert response.get_json()["errors"]["json"]["x"] == ["Missing data for required field."]


def test_nested_and_list_fields_from_a_schema(client: Any) -> None:
    user = {"username": "ada", "email": "ada@example.com", "tags": ["math"], "address": {"city": "London"}}
    response = client.post("/users", json=user)
    assert response.status_code == 201
    assert response.get_json() == user
    bad = client.post("/users", json={"username": "a", "email": "nope", "tags": [1], "address": {}})
    assert bad.status_code == 422
    assert bad.get_json()["errors"]["json"] == {
        "username": ["Shorter than minimum length 2."],
        "email": ["Not a valid email address."],
        "tags": {"0": ["Not a valid string."]},
        "address": {"city": ["Missing data for required field."]},
    }
    unknown = client.post("/users", json={**user, "admin": True})
    assert unknown.get_json()["errors"]["json"] == {"admin": ["Unknown field."]}


def test_repeated_query_args_fill_a_list(client: Any) -> None:
    assert client.get("/search?tag=a&tag=b&page=2").get_json() == {"tag": ["a", "b"], "page": 2}
    assert client.get("/search").get_json() == {}


def test_form_data(client: Any) -> None:
    assert client.post("/login", data={"user": "ada", "remember": "true"}).get_json() == {
        "user": "ada",
        "remember": True,
    }
    assert client.post("/login", data={}).get_json() == {
        "errors": {"form": {"user": ["Missing data for required field."]}}
    }


def test_headers_and_cookies(client: Any) -> None:
    client.set_cookie("session_id", "s3cr3t")
    assert client.get("/whoami", headers={"X-Api-Key": "k1"}).text == "k1 s3cr3t"
    response = client.get("/whoami")
    assert response.status_code == 422
    assert response.get_json() == {"errors": {"headers": {"X-Api-Key": ["Missing data for required field."]}}}


def test_uploaded_files(client: Any) -> None:
    response = client.post("/upload", data={"doc": (io.BytesIO(b"file body"), "notes.txt")})
    assert response.text == "notes.txt: file body"
    missing = client.post("/upload", data={"other": "x"})
    assert missing.get_json() == {"errors": {"files": {"doc": ["Missing data for required field."]}}}


def test_view_args_beside_the_query(client: Any) -> None:
    assert client.get("/user/7?per_page=20").text == "The user page for user 7, showing 20 posts."
    assert client.get("/greeting/Ada/").text == "Hello Ada (Ada)"
    response = client.get("/greeting/Augusta/")
    assert response.status_code == 422
    assert response.get_json() == {"errors": {"view_args": {"name": ["Longer than maximum length 5."]}}}


def test_json_or_form_parse_and_method_views(client: Any) -> None:
    assert client.post("/echo", json={"name": "from json"}).text == "from json"
    assert client.post("/echo", data={"name": "from form"}).text == "from form"
    assert client.post("/echo", json={}).status_code == 422
    assert client.get("/parsed?q=found").text == "found"
    assert client.get("/parsed").get_json() == {"errors": {"query": {"q": ["Missing data for required field."]}}}
    assert client.post("/users/view", json={"name": "ada"}).text == "created ada"
    assert client.post("/users/view", json={}).status_code == 422


@pytest.mark.parametrize("kind", ["def", "async"])
def test_a_custom_location_loader(kind: str) -> None:
    """``@parser.location_loader`` adds a location; here the query string and JSON body merged,
    repeated keys kept (``tags`` from both)."""
    custom = FlaskParser()

    @custom.location_loader("query_and_json")
    def load_data(req: Any, schema: ma.Schema) -> Any:
        # As webargs' docs: a changeable copy of Werkzeug's (immutable) args, the JSON added.
        newdata = req.args.copy()
        if req.is_json:
            newdata.update(req.get_json())
        return MultiDictProxy(newdata, schema)

    app = Flask(__name__)

    if kind == "def":

        @app.post("/merge")
        @custom.use_args(
            {"a": fields.Int(), "b": fields.Int(), "tags": fields.List(fields.Str())}, location="query_and_json"
        )
        def merge(args: dict[str, Any]) -> Any:
            return jsonify(args)

    else:

        @app.post("/merge")
        @custom.use_args(
            {"a": fields.Int(), "b": fields.Int(), "tags": fields.List(fields.Str())}, location="query_and_json"
        )
        async def merge(args: dict[str, Any]) -> Any:
            return jsonify(args)

    client = app.test_client()
    assert client.post("/merge?a=1", json={"b": 2}).get_json() == {"a": 1, "b": 2}
    assert client.post("/merge?a=1").get_json() == {"a": 1}
    both = client.post("/merge?tags=x&tags=y", json={"tags": ["z"]})
    assert both.get_json() == {"tags": ["x", "y", "z"]}


class CustomError(Exception):
    def __init__(self, messages: Any, status: int) -> None:
        super().__init__(messages)
        self.messages = messages
        self.status = status


@pytest.mark.parametrize("kind", ["def", "async"])
def test_a_custom_parser_error_handler(kind: str) -> None:
    custom = FlaskParser()

    @custom.error_handler
    def handle_error(
        error: ma.ValidationError, req: Any, schema: ma.Schema, *, error_status_code: Any, error_headers: Any
    ) -> None:
        raise CustomError(error.messages, error_status_code or 400)

    app = Flask(__name__)

    @app.errorhandler(CustomError)
    def on_custom(err: CustomError) -> Any:
        return jsonify({"custom": err.messages}), err.status

    if kind == "def":

        @app.route("/echo")
        @custom.use_args({"n": fields.Int(required=True)}, location="query", error_status_code=409)
        def echo(args: dict[str, Any]) -> Any:
            return jsonify(args)

    else:

        @app.route("/echo")
        @custom.use_args({"n": fields.Int(required=True)}, location="query", error_status_code=409)
        async def echo(args: dict[str, Any]) -> Any:
            return jsonify(args)

    client = app.test_client()
    assert client.get("/echo?n=3").get_json() == {"n": 3}
    response = client.get("/echo?n=x")
    assert response.status_code == 409
    assert response.get_json() == {"custom": {"query": {"n": ["Not a valid integer."]}}}


def test_an_async_error_handler_for_async_views() -> None:
    """webargs awaits an ``async def`` error handler when it parses for an ``async def`` view."""
    custom = FlaskParser()
    seen: list[str] = []

    @custom.error_handler
    async def handle_error(
        error: ma.ValidationError, req: Any, schema: ma.Schema, *, error_status_code: Any, error_headers: Any
    ) -> None:
        seen.append(req.path)
        raise CustomError(error.messages, 400)

    app = Flask(__name__)

    @app.errorhandler(CustomError)
    async def on_custom(err: CustomError) -> Any:
        return jsonify({"custom": err.messages}), err.status

    @app.route("/echo")
    @custom.use_args({"n": fields.Int(required=True)}, location="query")
    async def echo(args: dict[str, Any]) -> Any:
        return jsonify(args)

    client = app.test_client()
    assert client.get("/echo?n=1").get_json() == {"n": 1}
    response = client.get("/echo")
    assert response.status_code == 400
    assert response.get_json() == {"custom": {"query": {"n": ["Missing data for required field."]}}}
    assert seen == ["/echo"]


@pytest.mark.parametrize("kind", ["def", "async"])
def test_webargs_abort_and_the_default_error_page(kind: str) -> None:
    """Without an error handler, webargs' 422 is Flask's error page; its own ``abort`` keeps
    the keyword arguments on ``err.data``, error headers included."""
    app = Flask(__name__)
    seen: dict[str, Any] = {}

    def check(args: dict[str, Any]) -> str:
        if args["n"] > 10:
            abort(403, messages={"n": ["too big"]}, headers={"X-Why": "big"})
        return str(args["n"])

    if kind == "def":

        @app.route("/n")
        @parser.use_args({"n": fields.Int(required=True)}, location="query")
        def n(args: dict[str, Any]) -> str:
            return check(args)

    else:

        @app.route("/n")
        @parser.use_args({"n": fields.Int(required=True)}, location="query")
        async def n(args: dict[str, Any]) -> str:
            return check(args)

    @app.errorhandler(403)
    def forbidden(err: Any) -> Any:
        seen.update(err.data)
        return jsonify(err.data["messages"]), 403, err.data["headers"]

    client = app.test_client()
    assert client.get("/n?n=3").text == "3"
    page = client.get("/n")
    assert page.status_code == 422
    assert page.mimetype == "text/html"
    assert "Unprocessable" in page.text
    big = client.get("/n?n=11")
    assert big.status_code == 403
    assert big.get_json() == {"n": ["too big"]}
    assert big.headers["X-Why"] == "big"
    assert seen["headers"] == {"X-Why": "big"}
