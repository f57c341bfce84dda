"""Flask-WTF's quick start: a FlaskForm with validation and a file field, CSRFProtect (400
without a token, accepted with the one the form renders); in def and async def views. In the
async views Flask-WTF's sync code reads request.form/files/get_json() on the event loop: the
patch has the body read before the view (and CSRFProtect's hook) runs."""

# isort: off
import microflask.flask_patch  # noqa: F401  (first: from here on, flask is microflask)

# isort: on
import io
import re

import pytest
from flask import Flask, render_template_string, request
from flask_wtf import CSRFProtect, FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import StringField
from wtforms.validators import DataRequired, Length

PAGE = "<form method=post>{{ form.csrf_token }}{{ form.name }}</form>"


class NameForm(FlaskForm):
    name = StringField("name", validators=[DataRequired(), Length(max=10)])


class UploadForm(FlaskForm):
    upload = FileField(validators=[FileRequired(), FileAllowed(["txt"], "text files only")])


def make_app(kind: str, csrf: bool) -> Flask:
    app = Flask(__name__)
    app.config.update(SECRET_KEY="test secret", WTF_CSRF_ENABLED=csrf)
    CSRFProtect(app)

    if kind == "def":

        @app.route("/name", methods=["GET", "POST"])
        def name() -> str:
            form = NameForm()
            if form.validate_on_submit():
                return f"hello {form.name.data}"
            if request.method == "POST":
                return f"invalid {sorted(form.errors)}", 422
            return render_template_string(PAGE, form=form)

        @app.post("/upload")
        def upload() -> str:
            form = UploadForm()
            if not form.validate_on_submit():
                return f"invalid {form.errors}", 422
            return f"{form.upload.data.filename}: {form.upload.data.read().decode()}"

    else:

        @app.route("/name", methods=["GET", "POST"])
        async def name() -> str:
            form = NameForm()
            if form.validate_on_submit():
                if not request.is_json:  # the app's own code still awaits the form
                    assert (await request.form)["name"] == form.name.data
                return f"hello {form.name.data}"
            if request.method == "POST":
                return f"invalid {sorted(form.errors)}", 422
            return await render_template_string(PAGE, form=form)

        @app.post("/upload")
        async def upload() -> str:
            form = UploadForm()
            if not form.validate_on_submit():
                return f"invalid {form.errors}", 422
            return f"{form.upload.data.filename}: {(await form.upload.data.read()).decode()}"

    return app


@pytest.fixture(params=["def", "async"])
def kind(request: pytest.FixtureRequest) -> str:
    return request.param


def test_form_validation(kind: str) -> None:
    client = make_app(kind, csrf=False).test_client()
    assert client.post("/name", data={"name": "ada"}).text == "hello ada"
    assert client.post("/name", data={"name": ""}).text == "invalid ['name']"
    assert client.post("/name", data={"name": "x" * 11}).status_code == 422
    assert client.post("/name", json={"name": "json ada"}).text == "hello json ada"  # JSON bodies too


def test_file_field(kind: str) -> None:
    client = make_app(kind, csrf=False).test_client()
    reply = client.post("/upload", data={"upload": (io.BytesIO(b"file body"), "notes.txt")})
    assert reply.text == "notes.txt: file body"
    reply = client.post("/upload", data={"upload": (io.BytesIO(b"x"), "image.png")})
    assert reply.status_code == 422 and "text files only" in reply.text
    assert "required" in client.post("/upload", data={}).text


def test_csrf_protect_answers_400_without_a_token_and_accepts_the_forms(kind: str) -> None:
    client = make_app(kind, csrf=True).test_client()
    reply = client.post("/name", data={"name": "ada"})
    assert reply.status_code == 400 and "CSRF" in reply.text
    page = client.get("/name").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert token is not None, page
    assert client.post("/name", data={"name": "ada", "csrf_token": token.group(1)}).text == "hello ada"
    assert client.post("/name", data={"name": "ada", "csrf_token": "forged"}).status_code == 400
    # The token in a header (for JavaScript clients), with a JSON body.
    reply = client.post("/name", json={"name": "js"}, headers={"X-CSRFToken": token.group(1)})
    assert reply.text == "hello js"
