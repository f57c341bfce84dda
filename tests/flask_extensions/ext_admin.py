"""Flask-Admin's quick start: ``Admin(app)``, a ``BaseView`` with ``@expose`` rendering its
template, a SQLAlchemy ``ModelView`` listing, creating (a posted form) and showing rows, and
the admin's static files. Flask-Admin's views are methods it calls itself, so they are ``def``
(in Flask too). With Flask-Babel installed, Flask-Admin translates through it: ``Babel(app)``."""

# isort: off
import microflask.flask_patch  # noqa: F401  (first: from here on, flask is microflask)

# isort: on
import warnings
from typing import Any

import pytest
from flask import Flask
from flask_admin import Admin, BaseView, expose
from flask_admin.contrib.sqla import ModelView
from flask_babel import Babel
from flask_sqlalchemy import SQLAlchemy


@pytest.fixture
def client() -> Any:
    app = Flask(__name__)
    app.config.update(SECRET_KEY="k", SQLALCHEMY_DATABASE_URI="sqlite://")
    db = SQLAlchemy(app)

    class Product(db.Model):  # type: ignore[name-defined]
        id = db.Column(db.Integer, primary_key=True)
        name = db.Column(db.String(50))

    class Reports(BaseView):
        @expose("/")
        def index(self) -> Any:
            return self.render("admin/index.html")

    Babel(app)
    admin = Admin(app, name="shop")
    admin.add_view(Reports(name="Reports", endpoint="reports"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # Flask-Admin 2's own: session vs db
        admin.add_view(ModelView(Product, db.session))
    with app.app_context():
        db.create_all()
        db.session.add(Product(name="kettle"))
        db.session.commit()
    return app.test_client()


def test_the_admin_pages_render(client: Any) -> None:
    home = client.get("/admin/")
    assert home.status_code == 200 and "shop" in home.text
    assert client.get("/admin/reports/").status_code == 200
    css = client.get("/admin/static/bootstrap/bootstrap4/css/bootstrap.min.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")


def test_a_model_view_lists_and_creates_rows(client: Any) -> None:
    assert "kettle" in client.get("/admin/product/").text
    form = client.get("/admin/product/new/")
    assert form.status_code == 200 and 'name="name"' in form.text
    created = client.post("/admin/product/new/", data={"name": "teapot"})
    assert (created.status_code, created.headers["location"]) == (302, "/admin/product/")
    assert "teapot" in client.get("/admin/product/").text
