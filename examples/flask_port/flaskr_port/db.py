"""The SQLite database: one connection per app context, kept in ``g``."""

import sqlite3
from datetime import datetime

import click

from microflask import current_app, g


def get_db():
    """The connection of the current app context, opened on first use."""
    if "db" not in g:
        g.db = sqlite3.connect(current_app.config["DATABASE"], detect_types=sqlite3.PARSE_DECLTYPES)
        g.db.row_factory = sqlite3.Row
    return g.db


def close_db(e=None):
    """Close the connection, if this context opened one."""
    db = g.pop("db", None)
    if db is not None:
        db.close()


def init_db():
    """Drop and recreate the tables from schema.sql."""
    db = get_db()
    with current_app.open_resource("schema.sql") as f:
        db.executescript(f.read().decode("utf8"))


@click.command("init-db")
def init_db_command():
    """Clear the existing data and create new tables."""
    init_db()
    click.echo("Initialized the database.")


# TIMESTAMP columns come back as datetime objects.
sqlite3.register_converter("timestamp", lambda value: datetime.fromisoformat(value.decode()))


def init_app(app):
    """Register the database functions with the app."""
    app.teardown_appcontext(close_db)
    app.cli.add_command(init_db_command)
