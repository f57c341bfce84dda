"""The README and the docs refer only to files in the repository, and those files exist.

Every relative link (``[text](path)``, ``![image](path)``) of README.md, docs/*.md and the
examples' READMEs must point at a file or folder inside the repository, and so must every
repository path the text names in backticks (``examples/chat``, ``tests/test_scale_out.py``, and
a document named by a ``../`` path, as the README once named a design file outside the repository).
Code blocks are left out: what they hold is code, not a reference.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), *sorted((ROOT / "examples").glob("*/README.md"))]

FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,})")
INLINE_CODE = re.compile(r"(`+)(?P<code>.+?)\1")
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\((?P<target><[^>]*>|[^)\s]+)(?:\s+\"[^\"]*\")?\)")
REFERENCE = re.compile(r"^\s*\[[^\]]+\]:\s*(?P<target>\S+)", re.MULTILINE)
EXTERNAL = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|//|#)", re.IGNORECASE)
# A repository path named in backticks: it starts with one of the repository's top folders.
TOP = ("examples/", "tests/", "docs/", "microflask/", "scripts/", "benchmarks/", ".ci/")
# Or a document named relative to the page, climbing out of its folder (`../shared/DESIGN.md`);
# other `../` paths in backticks are examples of path traversal (`../../etc/passwd`).
REPO_PATH = re.compile(r"^(?:\.\./[\w./-]*\.md|(?:" + "|".join(re.escape(t) for t in TOP) + r")[\w./-]*)$")
CREATED = "/instance/"  # what an app creates when it runs (the instance folder is not versioned)


def prose(path: Path) -> str:
    """The page without its fenced code blocks."""
    kept, fence = [], None
    for line in path.read_text(encoding="utf-8").splitlines():
        opening = FENCE.match(line)
        if fence is None and opening:
            fence = opening[1]
        elif fence is not None and line.strip().startswith(fence[0] * len(fence)) and not line.strip(fence[0]).strip():
            fence = None
        elif fence is None:
            kept.append(line)
    return "\n".join(kept)


def links(path: Path) -> list[str]:
    text = INLINE_CODE.sub("", prose(path))
    found = [m["target"].strip("<>") for m in LINK.finditer(text)]
    found += [m["target"] for m in REFERENCE.finditer(text)]
    return [target for target in found if not EXTERNAL.match(target)]


def named_paths(path: Path) -> list[str]:
    text = prose(path)
    names = [m["code"].strip() for m in INLINE_CODE.finditer(text)]
    return [name for name in names if REPO_PATH.match(name) and CREATED not in name]


def resolve(page: Path, target: str) -> Path:
    local = unquote(target.split("#", 1)[0].split("?", 1)[0])
    return (page.parent / local).resolve() if not local.startswith("/") else Path(local)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_points_at_a_file_of_the_repository(page: Path) -> None:
    wrong = []
    for target in links(page):
        where = resolve(page, target)
        if not where.is_relative_to(ROOT):
            wrong.append(f"{target}: outside the repository")
        elif not where.exists():
            wrong.append(f"{target}: no such file")
    assert wrong == [], f"{page.relative_to(ROOT)}: {wrong}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_repository_path_named_exists(page: Path) -> None:
    missing = []
    for name in named_paths(page):
        where = resolve(page, name) if name.startswith("../") else ROOT / name.rstrip("/")
        if not where.is_relative_to(ROOT) or not where.exists():
            missing.append(name)
    assert missing == [], f"{page.relative_to(ROOT)} names files the repository does not have: {missing}"


def test_the_checks_find_what_they_look_for(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        'See [a](docs/a.md#x), ![img](img/b.png "title"), [ext](https://example.com), [top](#top),\n'
        "[ref]: ../c.md\n"
        "`examples/chat/app.py` and `[not](a link)` and `pip install x` and `examples/blog/instance/db`\n"
        "```python\n[code](skipped.md) `tests/skipped.py`\n```\n",
        encoding="utf-8",
    )
    assert links(page) == ["docs/a.md#x", "img/b.png", "../c.md"]
    assert named_paths(page) == ["examples/chat/app.py"]
    page.write_text("`microflask/` is one module per idea (see `../shared/DESIGN.md` for the contract)\n")
    assert named_paths(page) == ["microflask/", "../shared/DESIGN.md"]
    assert resolve(page, "docs/a.md#x") == tmp_path / "docs" / "a.md"
    assert not resolve(ROOT / "README.md", "../shared/DESIGN.md").is_relative_to(ROOT)
