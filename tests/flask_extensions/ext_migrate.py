"""Flask-Migrate with Flask-SQLAlchemy: init, migrate and upgrade through Flask-Migrate's Python
API (the same functions its ``db init/migrate/upgrade`` commands call) in an app context; then
def and async def views use the migrated table. The ``microflask db ...`` command line is not
tested here."""

# isort: off
import microflask.flask_patch  # noqa: F401  (first: from here on, flask is microflask)

# isort: on
from pathlib import Path

import pytest
from flask import Flask, cli
from flask_migrate import Migrate, init, migrate, upgrade
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import String, inspect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

assert hasattr(cli, "with_appcontext")  # Flask-Migrate's commands import it from flask.cli

# Flask-Migrate's env.py template calls Flask-SQLAlchemy's deprecated get_engine(): their warning, not ours.
pytestmark = pytest.mark.filterwarnings("ignore:'get_engine' is deprecated:DeprecationWarning")


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)


class Note(db.Model):  # type: ignore[name-defined,misc]
    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(String(200))


@pytest.mark.parametrize("kind", ["def", "async"])
def test_init_migrate_upgrade(kind: str, tmp_path: Path) -> None:
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path / 'app.db'}"
    db.init_app(app)
    Migrate(app, db)
    migrations = str(tmp_path / "migrations")

    if kind == "def":

        @app.route("/notes")
        def notes() -> dict[str, object]:
            db.session.add(Note(text="hi"))
            db.session.commit()
            return {"count": db.session.scalar(db.select(db.func.count(Note.id)))}

    else:

        @app.route("/notes")
        async def notes() -> dict[str, object]:
            def work() -> dict[str, object]:
                db.session.add(Note(text="hi"))
                db.session.commit()
                return {"count": db.session.scalar(db.select(db.func.count(Note.id)))}

            return await app.ensure_async(work)()

    with app.app_context():
        init(directory=migrations)
        migrate(directory=migrations, message="notes")
        assert list((tmp_path / "migrations" / "versions").glob("*_notes.py"))
        upgrade(directory=migrations)
        assert "note" in inspect(db.engine).get_table_names()
    assert app.test_client().get("/notes").get_json() == {"count": 1}
