"""An app with Flask-Login, Flask-WTF (CSRFProtect) and Flask-SQLAlchemy, and small pages for
Flask-CORS, Flask-Caching, Flask-Limiter, Flask-Bcrypt and Flask-Mail, served by a real
``uvicorn --loop uvloop`` in tests/test_flask_extensions_served.py (issue 15, point 3).

The same pages exist twice: under ``/def/`` as plain ``def`` views (on a worker thread, as in
Flask) and under ``/async/`` as ``async def`` views (the forms are validated on the event loop,
where Flask-WTF reads ``request.form`` synchronously; the database work runs off the loop with
``await app.ensure_async(...)``). ``DATABASE`` (environment) is the sqlite file.
"""

# isort: off
import microflask.flask_patch  # noqa: F401  (first: from here on, flask is microflask)

# isort: on
import asyncio
import os

from flask import Blueprint, Flask, jsonify, redirect, render_template_string, request, url_for
from flask_bcrypt import Bcrypt
from flask_caching import Cache
from flask_cors import CORS
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, UserMixin, current_user, login_required, login_user
from flask_mail import Mail, Message, email_dispatched
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect, FlaskForm
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

PASSWORDS = {"ada": "engine"}  # a test app: the password check is not the subject here

LOGIN_PAGE = """<form method=post>{{ form.csrf_token }}{{ form.name }}{{ form.password }}</form>
{% for field, errors in form.errors.items() %}<p class=error>{{ field }}: {{ errors|join(", ") }}</p>{% endfor %}"""
NOTES_PAGE = """<p>user {{ current_user.id }}</p>
<form method=post>{{ form.csrf_token }}{{ form.text }}</form>
<ul>{% for note in notes %}<li>{{ note.text }} ({{ note.kind }}, {{ note.author }})</li>{% endfor %}</ul>"""


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)


class Note(db.Model):  # type: ignore[name-defined,misc]
    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(10))
    author: Mapped[str] = mapped_column(ForeignKey("account.name"))


class Account(db.Model):  # type: ignore[name-defined,misc]
    name: Mapped[str] = mapped_column(String(40), primary_key=True)


class User(UserMixin):
    def __init__(self, name: str) -> None:
        self.id = name


class LoginForm(FlaskForm):
    name = StringField("name", validators=[DataRequired()])
    password = PasswordField("password", validators=[DataRequired()])


class NoteForm(FlaskForm):
    text = StringField("text", validators=[DataRequired(), Length(max=100)])


app = Flask(__name__)
app.config.update(
    SECRET_KEY="served test secret",
    SQLALCHEMY_DATABASE_URI=f"sqlite:///{os.environ['DATABASE']}",
    CACHE_TYPE="SimpleCache",
    BCRYPT_LOG_ROUNDS=4,
    MAIL_SUPPRESS_SEND=True,
    MAIL_DEFAULT_SENDER="app@example.test",
)
db.init_app(app)
csrf = CSRFProtect(app)
CORS(app, resources={r"/(def|async)/api/.*": {"origins": "http://allowed.test"}})
cache = Cache(app)
limiter = Limiter(get_remote_address, app=app, storage_uri="memory://")
bcrypt = Bcrypt(app)
mail = Mail(app)
counters = {"computed": 0, "mailed": 0}


@email_dispatched.connect
def count_mail(sender: object, **extra: object) -> None:
    counters["mailed"] += 1


login_manager = LoginManager(app)
login_manager.blueprint_login_views = {"def": "def.sync_login", "async": "async.async_login"}

with app.app_context():
    db.create_all()
    if db.session.get(Account, "ada") is None:
        db.session.add(Account(name="ada"))
        db.session.commit()


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    return User(user_id) if user_id in PASSWORDS else None


def check(form: LoginForm) -> bool:
    return PASSWORDS.get(form.name.data or "") == form.password.data


def add_note(text: str, kind: str) -> None:
    db.session.add(Note(text=text, kind=kind, author=current_user.id))
    db.session.commit()


def notes_of(name: str) -> list[Note]:
    return list(db.session.scalars(db.select(Note).where(Note.author == name).order_by(Note.id)))


sync_pages = Blueprint("def", __name__, url_prefix="/def")
async_pages = Blueprint("async", __name__, url_prefix="/async")


@sync_pages.route("/login", methods=["GET", "POST"])
def sync_login() -> object:
    form = LoginForm()
    if form.validate_on_submit() and check(form):
        login_user(User(form.name.data or ""))
        return redirect(url_for("def.sync_notes"))
    return render_template_string(LOGIN_PAGE, form=form), 200 if request.method == "GET" else 401


@sync_pages.route("/notes", methods=["GET", "POST"])
@login_required
def sync_notes() -> object:
    form = NoteForm()
    if form.validate_on_submit():
        add_note(form.text.data or "", "def")
        return redirect(url_for("def.sync_notes"))
    return render_template_string(NOTES_PAGE, form=form, notes=notes_of(current_user.id))


@async_pages.route("/login", methods=["GET", "POST"])
async def async_login() -> object:
    form = LoginForm()  # Flask-WTF reads request.form synchronously: the body was read first
    if form.validate_on_submit() and check(form):
        login_user(User(form.name.data or ""))
        return redirect(url_for("async.async_notes"))
    page = await render_template_string(LOGIN_PAGE, form=form)
    return page, 200 if request.method == "GET" else 401


@async_pages.route("/notes", methods=["GET", "POST"])
@login_required
async def async_notes() -> object:
    form = NoteForm()
    if form.validate_on_submit():
        await app.ensure_async(add_note)(form.text.data or "", "async")  # sqlite blocks: off the loop
        return redirect(url_for("async.async_notes"))
    notes = await app.ensure_async(notes_of)(current_user.id)
    return await render_template_string(NOTES_PAGE, form=form, notes=notes)


@sync_pages.get("/api/ping")
def sync_ping() -> object:
    return jsonify(kind="def")


@async_pages.get("/api/ping")
async def async_ping() -> object:
    return jsonify(kind="async")


@sync_pages.get("/cached")
@cache.cached(timeout=60)
def sync_cached() -> str:
    counters["computed"] += 1
    return f"computed {counters['computed']}"


@async_pages.get("/cached")
@cache.cached(timeout=60)
async def async_cached() -> str:
    counters["computed"] += 1
    return f"computed {counters['computed']}"


@sync_pages.get("/limited")
@limiter.limit("2/minute")
def sync_limited() -> str:
    return "within the limit"


@async_pages.get("/limited")
@limiter.limit("2/minute")
async def async_limited() -> str:
    return "within the limit"


@sync_pages.post("/hash")
@csrf.exempt
def sync_hash() -> object:
    digest = bcrypt.generate_password_hash(request.form["password"])
    return jsonify(ok=bcrypt.check_password_hash(digest, request.form["password"]))


@async_pages.post("/hash")
@csrf.exempt
async def async_hash() -> object:
    password = (await request.form)["password"]
    digest = await app.ensure_async(bcrypt.generate_password_hash)(password)  # hashing is slow: off the loop
    return jsonify(ok=await app.ensure_async(bcrypt.check_password_hash)(digest, password))


@sync_pages.post("/mail")
@csrf.exempt
def sync_mail() -> object:
    mail.send(Message("hello", recipients=["ada@example.test"], body="from a def view"))
    return jsonify(mailed=counters["mailed"])


@async_pages.post("/mail")
@csrf.exempt
async def async_mail() -> object:
    message = Message("hello", recipients=["ada@example.test"], body="from an async view")
    await app.ensure_async(mail.send)(message)  # a real server would block on SMTP: off the loop
    return jsonify(mailed=counters["mailed"])


@app.get("/loop")
async def loop() -> str:
    """The event loop's class, to show what serves the app."""
    return type(asyncio.get_running_loop()).__module__


app.register_blueprint(sync_pages)
app.register_blueprint(async_pages)
