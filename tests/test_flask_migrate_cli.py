"""Flask-Migrate's ``db`` commands through our command line (issue 15): ``microflask db init``,
``db migrate`` and ``db upgrade`` on a patched app, each in its own process as a user runs them."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
from contextlib import closing
from pathlib import Path

import pytest

pytest.importorskip("flask_migrate")

APP = """
import os
import microflask.flask_patch
from flask import Flask
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy

app = Flask(__name__)
app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + os.path.join(os.path.dirname(__file__), "app.db")
db = SQLAlchemy(app)
Migrate(app, db)


class Book(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    title = db.Column(db.String(80), nullable=False)
"""


def microflask_command(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "microflask", "--app", "app.py", *args],
        cwd=folder,
        capture_output=True,
        text=True,
        check=False,
    )


def test_db_init_migrate_upgrade(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(textwrap.dedent(APP))
    assert "db" in microflask_command(tmp_path, "--help").stdout
    for args in (("db", "init"), ("db", "migrate", "-m", "books"), ("db", "upgrade")):
        result = microflask_command(tmp_path, *args)
        assert result.returncode == 0, (args, result.stdout, result.stderr)
    assert list((tmp_path / "migrations" / "versions").glob("*_books.py"))
    with closing(sqlite3.connect(tmp_path / "app.db")) as connection:
        tables = {row[0] for row in connection.execute("select name from sqlite_master")}
    assert {"book", "alembic_version"} <= tables
