"""The smallest microflask app: `make run`, then open http://127.0.0.1:5000/."""

from microflask import MicroFlask, request, url_for

app = MicroFlask(__name__)


@app.route("/")
async def index() -> str:
    return f'<h1>Hello from microflask!</h1><p>Try <a href="{url_for("user", id=1)}">a JSON endpoint</a>.</p>'


@app.route("/users/<int:id>", methods=["GET", "POST"])
async def user(id: int) -> tuple[dict[str, object], int] | dict[str, object]:
    if request.method == "POST":
        data = await request.get_json()
        return {"id": id, "saved": data}, 201
    return {"id": id, "next": url_for("user", id=id + 1)}
