"""flaskr_port: a Flask-tutorial-style blog, ported to microflask by changing its imports.

Written as a plain Flask app would be: an application factory, SQLite through the stdlib,
blueprints, sync ``def`` views, Jinja templates and a Click command. Only the import lines
say microflask (``MicroFlask`` where Flask has ``Flask``).
"""

import os

from microflask import MicroFlask


def create_app(test_config=None):
    """The application factory: ``microflask --app flaskr_port run`` calls it."""
    app = MicroFlask(__name__, instance_relative_config=True)
    app.config.from_mapping(
        # Only good for local development: override it in instance/config.py.
        SECRET_KEY="dev",
        DATABASE=os.path.join(app.instance_path, "flaskr_port.sqlite"),
    )

    if test_config is None:
        # The deployment's settings (SECRET_KEY above all), if there is a config file.
        app.config.from_pyfile("config.py", silent=True)
    else:
        app.config.from_mapping(test_config)

    # The database file lives in the instance folder: make sure it exists.
    os.makedirs(app.instance_path, exist_ok=True)

    @app.route("/hello")
    def hello():
        return "Hello, World!"

    from . import db

    db.init_app(app)

    from . import auth, blog

    app.register_blueprint(auth.bp)
    app.register_blueprint(blog.bp)

    # The blog is the front page: url_for("index") and url_for("blog.index") are both "/".
    app.add_url_rule("/", endpoint="index")

    return app
