"""``MultiDict.copy()`` and the mutable multi-dict it gives, as Werkzeug's: ``request.args`` stays
immutable, a copy can be changed and turned into a URL (Flask-AppBuilder builds its sort and page
links that way). Our own tests."""

from __future__ import annotations

import copy
from collections.abc import MutableMapping

import pytest

from microflask import MicroFlask, request, url_for
from microflask.datastructures import MultiDict, MutableMultiDict
from microflask.exceptions import BadRequestKeyError


def pairs(d: MultiDict[str]) -> list[tuple[str, str]]:
    return d.items(multi=True)


def test_copy_is_mutable_and_independent() -> None:
    original = MultiDict([("a", "1"), ("b", "2"), ("a", "3")])
    copied = original.copy()
    assert isinstance(copied, MutableMultiDict) and isinstance(copied, MultiDict)
    assert isinstance(copied, MutableMapping) and not isinstance(original, MutableMapping)
    assert copied == original and pairs(copied) == pairs(original)
    copied["a"] = "x"
    copied.add("c", "4")
    assert pairs(original) == [("a", "1"), ("b", "2"), ("a", "3")]
    assert copied.copy() == copied and copied.copy() is not copied
    with pytest.raises(TypeError):
        original["a"] = "x"  # type: ignore[index]


def test_setitem_replaces_every_value_in_place() -> None:
    d = MultiDict([("a", "1"), ("b", "2"), ("a", "3")]).copy()
    d["a"] = "x"
    assert pairs(d) == [("a", "x"), ("b", "2")]
    assert d["a"] == "x" and d.getlist("a") == ["x"]
    d["new"] = "n"
    assert pairs(d) == [("a", "x"), ("b", "2"), ("new", "n")]


def test_add_setlist_setdefault() -> None:
    d: MutableMultiDict[str] = MutableMultiDict()
    d.add("tag", "red")
    d.add("tag", "blue")
    assert d["tag"] == "red" and d.getlist("tag") == ["red", "blue"] and len(d) == 1
    d.setlist("tag", ["green", "white"])
    assert d.getlist("tag") == ["green", "white"] and d["tag"] == "green"
    d.setlist("tag", [])
    assert "tag" not in d and d.to_dict() == {}
    assert d.setdefault("page", "1") == "1"
    assert d.setdefault("page", "2") == "1"
    assert d.to_dict() == {"page": "1"}


def test_pop_poplist_delete_clear() -> None:
    d = MultiDict([("a", "1"), ("b", "2"), ("a", "3")]).copy()
    assert d.pop("a") == "1" and "a" not in d and d.getlist("a") == []
    assert d.pop("a", "gone") == "gone"
    with pytest.raises(BadRequestKeyError):
        d.pop("a")
    d.add("c", "x")
    d.add("c", "y")
    assert d.poplist("c") == ["x", "y"] and d.poplist("c") == []
    del d["b"]
    assert len(d) == 0
    with pytest.raises(BadRequestKeyError):
        del d["b"]
    d.update(a="1", b="2")
    assert d.popitem() == ("a", "1")
    d.clear()
    assert len(d) == 0 and pairs(d) == []


def test_update_adds_values_as_werkzeug() -> None:
    d = MultiDict([("a", "1")]).copy()
    d.update(MultiDict([("a", "2"), ("b", "3")]))
    d.update({"b": ["4", "5"], "c": "6"})
    d.update([("d", "7")], e="8")
    assert pairs(d) == [("a", "1"), ("a", "2"), ("b", "3"), ("b", "4"), ("b", "5"), ("c", "6"), ("d", "7"), ("e", "8")]
    assert d["b"] == "3"


def test_deepcopy_copies_values() -> None:
    d = MultiDict([("rows", [1, 2])])
    deep = d.deepcopy()
    deep["rows"].append(3)
    assert d["rows"] == [1, 2] and isinstance(deep, MutableMultiDict)
    assert copy.deepcopy(deep) == deep


def test_a_view_builds_a_link_from_a_copy_of_the_query() -> None:
    app = MicroFlask(__name__)

    @app.get("/items/<kind>")
    def items(kind: str) -> dict[str, str]:
        args = request.args.copy()
        args["page"] = str(args.get("page", 1, type=int) + 1)
        args.pop("debug", None)
        return {"next": url_for(request.endpoint, **request.view_args, **args.to_dict())}

    response = app.test_client().get("/items/books?q=ada&page=2&debug=1")
    assert response.status_code == 200
    assert response.get_json() == {"next": "/items/books?q=ada&page=3"}
