"""A reading list built from Flask extensions, running on microflask.

People register and log in (Flask-Login, passwords hashed by Flask-Bcrypt), then add the books
they read through a WTForms form with a CSRF token (Flask-WTF), stored with SQLAlchemy models
(Flask-SQLAlchemy; sqlite in ``instance/reading.sqlite``, or the file ``READING_DATABASE``
names). The extensions are the unchanged packages from PyPI: ``import microflask.flask_patch``
(first) makes ``flask`` microflask.

The account pages are plain ``def`` views (bcrypt and the database block: a worker thread, as in
Flask); the reading list is an ``async def`` view whose form Flask-WTF validates on the event
loop, with the database work run off the loop by ``await app.ensure_async(...)``.

    microflask --app examples/flask_extensions/app.py run          # or: uvicorn app:app
"""

# isort: off
import microflask.flask_patch  # noqa: F401  (first: from here on, "flask" is microflask)

# isort: on
import os
from datetime import UTC, datetime
from typing import Any

from flask import Flask, flash, redirect, render_template, request, url_for
from flask_bcrypt import Bcrypt
from flask_login import LoginManager, UserMixin, current_user, login_required, login_user, logout_user
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect, FlaskForm
from sqlalchemy import DateTime, ForeignKey, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)
bcrypt = Bcrypt()
csrf = CSRFProtect()
login_manager = LoginManager()
login_manager.login_view = "login"
login_manager.login_message_category = "info"


# -- models -------------------------------------------------------------------------------------
class User(UserMixin, db.Model):  # type: ignore[name-defined,misc]
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(40), unique=True)
    password_hash: Mapped[str] = mapped_column(String(100))
    books: Mapped[list["Book"]] = relationship(back_populates="reader", order_by="Book.id")


class Book(db.Model):  # type: ignore[name-defined,misc]
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(120))
    author: Mapped[str] = mapped_column(String(80))
    added: Mapped[datetime] = mapped_column(DateTime, default=lambda: datetime.now(UTC))
    reader_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    reader: Mapped[User] = relationship(back_populates="books")


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    return db.session.get(User, int(user_id))


# -- forms (each renders and checks its CSRF token) -----------------------------------------------
class LoginForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired(), Length(max=40)])
    password = PasswordField("Password", validators=[DataRequired()])


class RegisterForm(LoginForm):
    password = PasswordField("Password", validators=[DataRequired(), Length(min=8, max=72)])
    confirm = PasswordField("Repeat password", validators=[EqualTo("password", "The passwords differ.")])


class BookForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(max=120)])
    author = StringField("Author", validators=[DataRequired(), Length(max=80)])


# -- the app ------------------------------------------------------------------------------------
def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__)
    database = os.environ.get("READING_DATABASE") or os.path.join(app.instance_path, "reading.sqlite")
    app.config.update(
        # The session cookie and the CSRF tokens are signed with it: set READING_SECRET_KEY.
        SECRET_KEY=os.environ.get("READING_SECRET_KEY", "dev: replace me"),
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{database}",
    )
    app.config.update(config or {})
    if app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{database}":
        os.makedirs(os.path.dirname(database), exist_ok=True)
    db.init_app(app)
    bcrypt.init_app(app)
    csrf.init_app(app)
    login_manager.init_app(app)
    with app.app_context():
        db.create_all()

    @app.route("/", methods=["GET", "POST"])
    @login_required
    async def books() -> Any:
        form = BookForm()  # Flask-WTF reads request.form: the body was read before the view
        if form.validate_on_submit():
            await app.ensure_async(add_book)(form.title.data, form.author.data)  # sqlite blocks: off the loop
            flash(f"Added “{form.title.data}”.", "success")
            return redirect(url_for("books"))
        listed = await app.ensure_async(books_of)(current_user.id)
        status = 400 if form.errors else 200
        return await render_template("books.html", form=form, books=listed), status

    @app.route("/register", methods=["GET", "POST"])
    def register() -> Any:
        form = RegisterForm()
        if form.validate_on_submit():
            if db.session.scalar(db.select(User).filter_by(username=form.username.data)) is not None:
                form.username.errors.append("That name is taken.")
            else:
                password_hash = bcrypt.generate_password_hash(form.password.data).decode()
                db.session.add(User(username=form.username.data, password_hash=password_hash))
                db.session.commit()
                flash("Registered. Please log in.", "success")
                return redirect(url_for("login"))
        return render_template("register.html", form=form), 400 if form.errors else 200

    @app.route("/login", methods=["GET", "POST"])
    def login() -> Any:
        form = LoginForm()
        if form.validate_on_submit():
            user = db.session.scalar(db.select(User).filter_by(username=form.username.data))
            if user is not None and bcrypt.check_password_hash(user.password_hash, form.password.data):
                login_user(user)
                flash(f"Welcome, {user.username}!", "success")
                return redirect(safe_next(request.args.get("next")) or url_for("books"))
            form.password.errors.append("Wrong username or password.")
        return render_template("login.html", form=form), 400 if form.errors else 200

    @app.post("/logout")
    def logout() -> Any:
        logout_user()
        flash("Logged out.", "info")
        return redirect(url_for("login"))

    return app


def add_book(title: str, author: str) -> None:
    db.session.add(Book(title=title, author=author, reader_id=current_user.id))
    db.session.commit()


def books_of(user_id: int) -> list[Book]:
    return list(db.session.scalars(db.select(Book).filter_by(reader_id=user_id).order_by(Book.id)))


def safe_next(target: str | None) -> str | None:
    """Flask-Login's ``next``, kept only when it is a path on this site."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


app = create_app()
