"""Werkzeug's two multi-value dicts (what webargs' documented location loaders use): the request's
``args``, ``form``, ``files`` and ``values`` are immutable ``ImmutableMultiDict``s whose ``copy()``
is a ``MultiDict`` to change, with Werkzeug's semantics (``update`` appends, ``d[k] = v``
replaces every value); and ``str(request.url_rule)`` is the rule's pattern (flasgger reads it)."""

from __future__ import annotations

import copy
import io
from typing import Any

import pytest

from microflask import MicroFlask, request
from microflask.datastructures import ImmutableMultiDict, MultiDict
from microflask.exceptions import BadRequestKeyError
from microflask.rules import Rule


def test_a_multidict_changes_as_werkzeugs() -> None:
    d: MultiDict[Any] = MultiDict([("a", 1), ("b", 2), ("a", 3)])
    d["a"] = 9  # replaces every value, where the key was
    assert d.items(multi=True) == [("a", 9), ("b", 2)]
    d.add("b", 4)
    assert d.getlist("b") == [2, 4]
    assert d["b"] == 2
    d.setlist("b", [5, 6])
    assert d.items(multi=True) == [("a", 9), ("b", 5), ("b", 6)]
    d.update({"a": [10, 11], "c": 12}, d=13)  # appends: the old values stay
    assert d.getlist("a") == [9, 10, 11]
    assert d.to_dict() == {"a": 9, "b": 5, "c": 12, "d": 13}
    d.update(MultiDict([("c", 14)]))
    d.update([("e", 15)])
    assert d.getlist("c") == [12, 14]
    assert d.setdefault("e", 0) == 15
    assert d.setdefault("f", 16) == 16
    assert d.pop("a") == 9
    assert "a" not in d
    assert d.pop("a", None) is None
    assert d.poplist("b") == [5, 6]
    assert d.poplist("nothing") == []
    assert d.popitem() == ("f", 16)
    assert d.popitemlist() == ("e", [15])
    del d["d"]
    assert list(d) == ["c"]
    assert d.listvalues() == [[12, 14]]
    with pytest.raises(BadRequestKeyError):
        del d["nothing"]
    with pytest.raises(KeyError):
        d.pop("nothing")
    d.clear()
    assert len(d) == 0
    with pytest.raises(KeyError):
        d.popitem()


def test_mappings_with_lists_give_one_value_each() -> None:
    d: MultiDict[Any] = MultiDict({"tag": ["x", "y"], "page": 1})
    assert d.getlist("tag") == ["x", "y"]
    assert d["tag"] == "x"
    assert d.getlist("page") == [1]


def test_copies() -> None:
    inner = [1]
    d: MultiDict[Any] = MultiDict([("a", inner), ("a", 2)])
    shallow, deep = d.copy(), d.deepcopy()
    assert shallow == d == deep
    assert shallow.getlist("a")[0] is inner
    assert deep.getlist("a")[0] is not inner
    assert copy.copy(d) == d
    assert copy.deepcopy(d).getlist("a")[0] is not inner
    shallow.add("b", 3)
    assert "b" not in d


def test_an_immutable_multidict_refuses_changes_and_copies_to_a_multidict() -> None:
    frozen: ImmutableMultiDict[str] = ImmutableMultiDict([("a", "1"), ("a", "2")])
    changes = [
        lambda: frozen.__setitem__("a", "3"),
        lambda: frozen.__delitem__("a"),
        lambda: frozen.add("b", "1"),
        lambda: frozen.setlist("a", []),
        lambda: frozen.update({"b": "1"}),
        lambda: frozen.pop("a"),
        lambda: frozen.poplist("a"),
        lambda: frozen.popitem(),
        lambda: frozen.setdefault("b", "1"),
        lambda: frozen.clear(),
    ]
    for change in changes:
        with pytest.raises(TypeError, match="'ImmutableMultiDict' objects are immutable"):
            change()
    assert frozen.getlist("a") == ["1", "2"]
    changeable = frozen.copy()
    assert type(changeable) is MultiDict
    changeable.add("a", "3")
    assert frozen.getlist("a") == ["1", "2"]
    assert hash(frozen) == hash(ImmutableMultiDict([("a", "1"), ("a", "2")]))
    assert isinstance(frozen, MultiDict)


@pytest.mark.parametrize("kind", ["def", "async"])
def test_the_request_data_is_immutable_and_its_copy_is_not(kind: str) -> None:
    app = MicroFlask(__name__)

    def answer(form: Any, files: Any, values: Any) -> dict[str, Any]:
        kinds = {type(d).__name__ for d in (request.args, form, files, values)}
        try:
            request.args["q"] = "changed"
        except TypeError as e:
            refused = str(e)
        merged = request.args.copy()
        merged.update(form)
        merged["extra"] = "yes"
        return {
            "kinds": sorted(kinds),
            "refused": refused,
            "merged": merged.to_dict(flat=False),
            "args": request.args.to_dict(flat=False),
            "file": files["doc"].filename,
        }

    if kind == "def":

        @app.post("/")
        def view() -> dict[str, Any]:
            return answer(request.form, request.files, request.values)

    else:

        @app.post("/")
        async def view() -> dict[str, Any]:
            return answer(await request.form, await request.files, await request.values)

    data = (
        app.test_client()
        .post("/?q=1&q=2", data={"q": "3", "name": "ada", "doc": (io.BytesIO(b"x"), "a.txt")})
        .get_json()
    )
    assert data == {
        "kinds": ["ImmutableMultiDict"],
        "refused": "'ImmutableMultiDict' objects are immutable",
        "merged": {"q": ["1", "2", "3"], "name": ["ada"], "extra": ["yes"]},
        "args": {"q": ["1", "2"]},
        "file": "a.txt",
    }


def test_a_rule_as_a_string_is_its_pattern() -> None:
    rule = Rule("/user/<int:uid>", "user")
    assert str(rule) == "/user/<int:uid>"
    assert repr(rule) == "<Rule '/user/<int:uid>' (GET, HEAD, OPTIONS) -> user>"
    app = MicroFlask(__name__)

    @app.get("/items/<int:item_id>/")
    async def item(item_id: int) -> str:
        return f"{request.url_rule} {item_id}"

    assert app.test_client().get("/items/3/").text == "/items/<int:item_id>/ 3"
