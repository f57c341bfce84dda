"""Flask-AppBuilder (the framework under Apache Airflow and Superset), its documented minimal app:
Flask-SQLAlchemy through FAB's ``SQLA`` on an SQLite file, ``AppBuilder(app, db.session)``, a
model with a ``ModelView`` (``appbuilder.add_view``) and a ``ModelRestApi`` (``add_api``),
AUTH_DB with an admin user made by the security manager. Through the test client: the login
form, CRUD through the forms (list with sorting, paging and a search filter, add, edit, show,
delete), a custom ``BaseView`` with ``@has_access``, the REST API with a JWT from
``/api/v1/security/login`` (list with a rison query, get, post, put, delete, ``_info``), and
access denied to an anonymous user and to a user without the permission. With
``WTF_CSRF_ENABLED`` as the docs allow in tests, and once with CSRFProtect on (the form's token;
the API exempts its blueprints). Its documented ``flask fab create-admin`` runs as
``microflask fab create-admin`` (FAB's ``flask.commands`` plugin, found while the patch is active).

FAB's views are its own sync classes (``@expose`` methods wrapped by ``@has_access``, which
calls them without awaiting), so only ``def`` views are tested here.
"""

# isort: off
import microflask.flask_patch  # noqa: F401  (first: from here on, flask is microflask)

# isort: on
import io
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, url_for
from flask_appbuilder import AppBuilder, BaseView, Model, ModelRestApi, ModelView, expose, has_access
from flask_appbuilder.models.mixins import FileColumn
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.utils.legacy import get_sqla_class
from flask_wtf import CSRFProtect
from markupsafe import Markup
from sqlalchemy import Column, Integer, String, event


class Contact(Model):
    __tablename__ = "contact"
    id = Column(Integer, primary_key=True)
    name = Column(String(50), unique=True, nullable=False)

    def __repr__(self) -> str:
        return self.name


class ContactModelView(ModelView):
    datamodel = SQLAInterface(Contact)
    list_columns = ["name"]
    search_columns = ["name"]
    page_size = 2


class Document(Model):
    __tablename__ = "document"
    id = Column(Integer, primary_key=True)
    title = Column(String(50), nullable=False)
    file = Column(FileColumn, nullable=False)

    def download(self) -> Markup:
        return Markup(f'<a href="{url_for("DocumentModelView.download", filename=str(self.file))}">Download</a>')


class DocumentModelView(ModelView):
    datamodel = SQLAInterface(Document)
    list_columns = ["title", "download"]
    add_columns = ["title", "file"]


class ContactApi(ModelRestApi):
    resource_name = "contact"
    datamodel = SQLAInterface(Contact)


class GreetingView(BaseView):
    default_view = "hello"

    @expose("/hello/<name>")
    @has_access
    def hello(self, name: str) -> str:
        return f"hello {name}"


def make_app(tmp_path: Path, csrf: bool = False) -> Flask:
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY="a test secret of at least thirty-two bytes",
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'app.db'}",
        WTF_CSRF_ENABLED=csrf,
        AUTH_TYPE=1,  # AUTH_DB: users and hashed passwords in the database
        UPLOAD_FOLDER=f"{tmp_path}/uploads/",
    )
    (tmp_path / "uploads").mkdir(exist_ok=True)
    if csrf:
        CSRFProtect(app)
    db = get_sqla_class()()
    db.init_app(app)
    with app.app_context():
        # Test speed only: FAB commits each of its ~60 permissions at start; no fsync for each.
        event.listen(db.engine, "connect", lambda connection, _: connection.execute("PRAGMA synchronous=OFF"))
        appbuilder = AppBuilder(app, db.session)
        appbuilder.add_view(ContactModelView, "Contacts", category="Contacts")
        appbuilder.add_view(DocumentModelView, "Documents", category="Contacts")
        appbuilder.add_view_no_menu(GreetingView)  # its view takes an argument: no menu link
        appbuilder.add_api(ContactApi)
        sm = appbuilder.sm
        sm.add_user("admin", "Ada", "Admin", "admin@example.org", sm.find_role(sm.auth_role_admin), "password")
        sm.add_user("viewer", "Vic", "Viewer", "viewer@example.org", sm.add_role("Nobody"), "password")
    return app


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    return make_app(tmp_path)


def login(client: Any, username: str = "admin", password: str = "password") -> Any:
    return client.post("/login/", data={"username": username, "password": password})


def names_listed(client: Any, query: str = "") -> list[str]:
    response = client.get(f"/contactmodelview/list/{query}")
    assert response.status_code == 200
    return re.findall(r"<td>\s*([A-Z][a-z]+)\s*</td>", response.get_data(as_text=True))


def api_token(client: Any, username: str = "admin") -> dict[str, str]:
    response = client.post(
        "/api/v1/security/login", json={"username": username, "password": "password", "provider": "db"}
    )
    assert response.status_code == 200, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['access_token']}"}


def test_login_page_and_login(app: Flask) -> None:
    client = app.test_client()
    page = client.get("/login/")
    assert page.status_code == 200
    assert 'name="username"' in page.get_data(as_text=True)
    assert 'name="password"' in page.get_data(as_text=True)

    wrong = login(client, password="nope")
    assert wrong.status_code == 302 and wrong.headers["Location"].startswith("/login/")
    assert "Invalid login" in client.get("/login/").get_data(as_text=True)  # the flashed message

    ok = login(client)
    assert ok.status_code == 302 and ok.headers["Location"] == "/"
    index = client.get("/").get_data(as_text=True)
    assert "Ada Admin" in index and "/logout/" in index  # the navbar of a logged-in user
    assert client.get("/logout/").status_code == 302
    assert client.get("/contactmodelview/list/").status_code == 302  # logged out again


def test_anonymous_access_denied(app: Flask) -> None:
    client = app.test_client()
    response = client.get("/contactmodelview/list/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login/?next=http://localhost/contactmodelview/list/"
    assert "Access is Denied" in client.get("/login/").get_data(as_text=True)
    assert client.post("/contactmodelview/add", data={"name": "Mallory"}).status_code == 302
    assert client.get("/greetingview/hello/x").status_code == 302
    api = client.get("/api/v1/contact/")
    assert api.status_code == 401 and api.get_json() == {"msg": "Missing Authorization Header"}


def test_user_without_permission_is_forbidden(app: Flask) -> None:
    client = app.test_client()
    assert login(client, "viewer").headers["Location"] == "/"
    assert client.get("/contactmodelview/list/").status_code == 403
    assert client.get("/greetingview/hello/x").status_code == 403
    assert client.get("/api/v1/contact/", headers=api_token(client, "viewer")).status_code == 403


def test_crud_through_the_model_view(app: Flask) -> None:
    client = app.test_client()
    login(client)
    assert client.get("/contactmodelview/add").status_code == 200
    for name in ["Cy", "Ada", "Bob"]:
        response = client.post("/contactmodelview/add", data={"name": name})
        assert response.status_code == 302, response.get_data(as_text=True)
    duplicate = client.post("/contactmodelview/add", data={"name": "Ada"})
    assert duplicate.status_code == 200 and "Already exists." in duplicate.get_data(as_text=True)

    assert names_listed(client) == ["Cy", "Ada"]  # page_size = 2, in insertion order
    assert names_listed(client, "?page_ContactModelView=1") == ["Bob"]
    assert names_listed(client, "?_oc_ContactModelView=name&_od_ContactModelView=asc") == ["Ada", "Bob"]
    assert names_listed(client, "?_flt_0_name=B") == ["Bob"]  # the "starts with" search filter
    # The column headers link to the other sort order, built from a mutable copy of request.args.
    listed = client.get("/contactmodelview/list/?_oc_ContactModelView=name&_od_ContactModelView=asc")
    assert "_od_ContactModelView=desc" in listed.get_data(as_text=True)

    ada = client.get("/api/v1/contact/?q=(filters:!((col:name,opr:eq,value:Ada)))", headers=api_token(client))
    ada_id = ada.get_json()["ids"][0]
    edit_page = client.get(f"/contactmodelview/edit/{ada_id}")
    assert edit_page.status_code == 200 and 'value="Ada"' in edit_page.get_data(as_text=True)
    assert client.post(f"/contactmodelview/edit/{ada_id}", data={"name": "Adele"}).status_code == 302
    assert "Adele" in client.get(f"/contactmodelview/show/{ada_id}").get_data(as_text=True)

    assert client.post(f"/contactmodelview/delete/{ada_id}").status_code == 302
    assert names_listed(client, "?_oc_ContactModelView=name&_od_ContactModelView=asc") == ["Bob", "Cy"]


def test_file_upload_and_download(app: Flask, tmp_path: Path) -> None:
    client = app.test_client()
    login(client)
    upload = {"title": "Notes", "file": (io.BytesIO(b"meeting notes"), "notes.txt")}
    response = client.post("/documentmodelview/add", data=upload, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    [stored] = (tmp_path / "uploads").iterdir()
    assert stored.name.endswith("_sep_notes.txt") and stored.read_bytes() == b"meeting notes"

    listed = client.get("/documentmodelview/list/").get_data(as_text=True)
    link = re.search(r'href="(/documentmodelview/download/[^"]+)"', listed)
    assert link is not None and "Notes" in listed
    download = client.get(link[1])
    assert download.status_code == 200 and download.data == b"meeting notes"
    # The original name (quoted here, bare in Werkzeug's: both are valid).
    assert download.headers["Content-Disposition"].replace('"', "") == "attachment; filename=notes.txt"
    download.close()


def test_custom_base_view(app: Flask) -> None:
    client = app.test_client()
    login(client)
    response = client.get("/greetingview/hello/world")
    assert response.status_code == 200 and response.get_data(as_text=True) == "hello world"


def test_rest_api_with_jwt(app: Flask) -> None:
    client = app.test_client()
    headers = api_token(client)
    created = client.post("/api/v1/contact/", json={"name": "Eve"}, headers=headers)
    assert created.status_code == 201
    contact_id = created.get_json()["id"]
    assert created.get_json() == {"id": contact_id, "result": {"name": "Eve"}}
    client.post("/api/v1/contact/", json={"name": "Dan"}, headers=headers)

    listed = client.get("/api/v1/contact/", headers=headers).get_json()
    assert listed["count"] == 2 and [row["name"] for row in listed["result"]] == ["Eve", "Dan"]
    query = "?q=(filters:!((col:name,opr:sw,value:D)),order_column:name,order_direction:asc)"
    assert client.get(f"/api/v1/contact/{query}", headers=headers).get_json()["result"] == [{"name": "Dan"}]
    info = client.get("/api/v1/contact/_info", headers=headers).get_json()
    assert sorted(info["permissions"]) == ["can_delete", "can_get", "can_info", "can_post", "can_put"]

    assert client.get(f"/api/v1/contact/{contact_id}", headers=headers).get_json()["result"] == {"name": "Eve"}
    assert client.put(f"/api/v1/contact/{contact_id}", json={"name": "Eva"}, headers=headers).status_code == 200
    assert client.get(f"/api/v1/contact/{contact_id}", headers=headers).get_json()["result"] == {"name": "Eva"}

    invalid = client.post("/api/v1/contact/", json={"nam": "typo"}, headers=headers)
    assert invalid.status_code == 422 and "name" in invalid.get_json()["message"]
    assert client.delete(f"/api/v1/contact/{contact_id}", headers=headers).status_code == 200
    assert client.get(f"/api/v1/contact/{contact_id}", headers=headers).status_code == 404
    assert client.get("/api/v1/contact/", headers={"Authorization": "Bearer nope"}).status_code == 422


def test_csrf_protect_forms_and_exempt_api(tmp_path: Path) -> None:
    app = make_app(tmp_path, csrf=True)
    client = app.test_client()
    assert login(client).status_code == 400  # CSRFProtect: no token
    page = client.get("/login/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert token is not None
    response = client.post("/login/", data={"username": "admin", "password": "password", "csrf_token": token[1]})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    # The REST API is exempt from CSRFProtect (it authenticates with the JWT).
    headers = api_token(client)
    assert client.post("/api/v1/contact/", json={"name": "Eve"}, headers=headers).status_code == 201


APP_MODULE = """
import microflask.flask_patch
from pathlib import Path

from flask import Flask
from flask_appbuilder import AppBuilder
from flask_appbuilder.utils.legacy import get_sqla_class

app = Flask(__name__)
app.config.update(
    SECRET_KEY="a test secret of at least thirty-two bytes",
    SQLALCHEMY_DATABASE_URI=f"sqlite:///{Path(__file__).parent / 'app.db'}",
    AUTH_TYPE=1,
)
db = get_sqla_class()()
db.init_app(app)
with app.app_context():
    appbuilder = AppBuilder(app, db.session)
"""


def microflask_command(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    source = str(Path(__file__).parents[2])  # the checkout, where microflask is
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([source, os.environ.get("PYTHONPATH", "")])}
    return subprocess.run(
        [sys.executable, "-m", "microflask", "--app", "app.py", *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_fab_create_admin_command(tmp_path: Path) -> None:
    app = make_app(tmp_path)  # the database, with its tables; then an admin added from the command line
    (tmp_path / "app.py").write_text(textwrap.dedent(APP_MODULE))
    names = ["--firstname", "Grace", "--lastname", "Hopper", "--email", "grace@example.org"]
    created = microflask_command(tmp_path, "fab", "create-admin", "--username", "grace", *names, "--password", "cobol")
    assert created.returncode == 0, created.stdout + created.stderr
    assert "Admin User grace created." in created.stdout
    listed = microflask_command(tmp_path, "fab", "list-users")
    assert "username:grace | email:grace@example.org | role:[Admin]" in listed.stdout

    client = app.test_client()
    response = login(client, "grace", "cobol")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert client.get("/contactmodelview/list/").status_code == 200
