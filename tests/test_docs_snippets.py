"""Every ```python block of the docs (docs/*.md and README.md) runs, one test per block.

Each block is saved as ``app.py`` in a fresh temporary folder and run there as a script
(``__name__ == "__main__"``, warnings as errors), so a block must be complete: its imports,
its app, and, by convention, an ``if __name__ == "__main__":`` part whose asserts check that
the code does what the text around it says. The blocks run in parallel in forked children of
one process that has imported microflask already (tests/snippet_runner.py), which keeps the
whole set to a few seconds.

Two HTML comments on the line before a block change what happens to it:

- ``<!-- no-test -->``: the block is not run. For what is not meant to run on its own, such
  as a config file for another tool shown with Python syntax. Use it sparingly.
- ``<!-- excerpt: examples/blog/app.py -->``: the block is a verbatim excerpt of that file
  (the tutorial walks through the examples this way). The test checks that the file still
  contains it, line for line, and runs the file itself; the example's own tests exercise it.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from subprocess_server import clean_env

ROOT = Path(__file__).resolve().parent.parent
RUNNER = Path(__file__).resolve().parent / "snippet_runner.py"
SOURCES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<ticks>`{3,}|~{3,})\s*(?P<lang>[\w+-]*)[^\n]*$")
MARKER = re.compile(r"^\s*<!--\s*(?P<kind>no-test|excerpt)\s*(?::\s*(?P<arg>.*?))?\s*-->\s*$")
PYTHON = {"python", "py", "python3"}


@dataclass(frozen=True)
class Block:
    file: Path
    line: int  # of the first line of code
    code: str
    marker: str | None = None  # "no-test" or "excerpt"
    source: str | None = None  # the excerpt's file, relative to the repository root

    @property
    def id(self) -> str:
        return f"{self.file.relative_to(ROOT)}:{self.line}"


def blocks_of(path: Path) -> list[Block]:
    """The fenced ```python blocks of a Markdown file (also indented ones, in list items)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    found = []
    i = 0
    while i < len(lines):
        opening = FENCE.match(lines[i])
        if not opening:
            i += 1
            continue
        indent, ticks = opening["indent"], opening["ticks"]
        end = i + 1
        while end < len(lines) and not re.match(rf"^[ \t]*{re.escape(ticks[0])}{{{len(ticks)},}}\s*$", lines[end]):
            end += 1
        if opening["lang"].lower() in PYTHON:
            body = [line[len(indent) :] if line.startswith(indent) else line.lstrip() for line in lines[i + 1 : end]]
            before = next((lines[j] for j in range(i - 1, -1, -1) if lines[j].strip()), "")
            marker = MARKER.match(before)
            found.append(
                Block(
                    path,
                    i + 2,
                    textwrap.dedent("\n".join(body)) + "\n",
                    marker["kind"] if marker else None,
                    marker["arg"] if marker else None,
                )
            )
        i = end + 1
    return found


BLOCKS = [block for path in SOURCES for block in blocks_of(path)]
RUNNABLE = [block for block in BLOCKS if block.marker is None]
EXCERPTS = [block for block in BLOCKS if block.marker == "excerpt"]


def contains_lines(text: str, excerpt: str) -> bool:
    """Whether ``excerpt``'s lines appear in ``text`` consecutively, all shifted by one indentation."""
    lines = text.splitlines()
    wanted = excerpt.rstrip("\n").splitlines()
    first = wanted[0]
    for start, line in enumerate(lines):
        if not line.endswith(first) or line.strip() != first.strip():
            continue
        shift = line[: len(line) - len(first)]
        if shift.strip():
            continue
        window = lines[start : start + len(wanted)]
        if len(window) == len(wanted) and all(
            have == (shift + want if want.strip() else have) and (want.strip() or not have.strip())
            for have, want in zip(window, wanted, strict=True)
        ):
            return True
    return False


# -- running ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def results(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Run the selected blocks (and the files excerpts come from) at once; results by id."""
    module = request.node.module if hasattr(request.node, "module") else None
    selected: set[str] = set()
    for item in request.session.items:
        if getattr(item, "module", None) is module and hasattr(item, "callspec"):
            selected.update(str(value) for value in item.callspec.params.values())
    jobs = []
    work = tmp_path_factory.mktemp("snippets")
    for n, block in enumerate(RUNNABLE):
        if block.id in selected:
            folder = work / f"{n:03d}"
            folder.mkdir()
            (folder / "app.py").write_text(block.code, encoding="utf-8")
            jobs.append({"id": block.id, "path": str(folder / "app.py"), "cwd": str(folder)})
    for n, source in enumerate(sorted({b.source for b in EXCERPTS if b.id in selected and b.source})):
        folder = work / f"file-{n:03d}"  # the file runs where it is, but works in an empty folder
        folder.mkdir()
        jobs.append({"id": f"file:{source}", "path": str(ROOT / source), "cwd": str(folder)})
    for job in jobs:
        job["output"] = job["cwd"] + ".out"  # next to the folder, which holds only the script
    if not jobs:
        return {}
    jobs_file, results_file = work / "jobs.json", work / "results.json"
    jobs_file.write_text(json.dumps(jobs))
    run = subprocess.run(
        [sys.executable, str(RUNNER), str(jobs_file), str(results_file)],
        cwd=work,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, f"the snippet runner failed:\n{run.stdout}\n{run.stderr}"
    return json.loads(results_file.read_text())  # type: ignore[no-any-return]


def check(results: dict[str, Any], key: str, what: str) -> None:
    result = results[key]
    if result["returncode"] is None:
        pytest.fail(f"{what} did not finish within the timeout; its output:\n{result['output']}")
    assert result["returncode"] == 0, f"{what} failed (exit {result['returncode']}):\n{result['output']}"


@pytest.mark.parametrize("block_id", [block.id for block in RUNNABLE])
def test_snippet_runs(block_id: str, results: dict[str, Any]) -> None:
    check(results, block_id, f"the ```python block at {block_id}")


@pytest.mark.parametrize("block_id", [block.id for block in EXCERPTS])
def test_excerpt_is_current_and_its_file_runs(block_id: str, results: dict[str, Any]) -> None:
    block = next(b for b in EXCERPTS if b.id == block_id)
    assert block.source, f"{block_id}: say which file it is an excerpt of: <!-- excerpt: path/to/file.py -->"
    source = ROOT / block.source
    assert source.is_file(), f"{block_id}: {block.source} does not exist"
    assert contains_lines(source.read_text(encoding="utf-8"), block.code), (
        f"{block_id} is no longer an excerpt of {block.source}; copy the current code into the docs:\n{block.code}"
    )
    check(results, f"file:{block.source}", block.source)


# -- the collector itself -----------------------------------------------------------------------


def test_the_docs_have_snippets() -> None:
    assert len(RUNNABLE) > 50
    assert all(block.code.strip() for block in BLOCKS), [b.id for b in BLOCKS if not b.code.strip()]


def test_markers_sit_right_before_a_python_block() -> None:
    """A marker that does not precede a ```python block is a typo, and would let a block go untested."""
    marked = {(block.file, block.line) for block in BLOCKS if block.marker}
    for path in SOURCES:
        lines = path.read_text(encoding="utf-8").splitlines()
        for n, line in enumerate(lines):
            if line.lstrip().startswith("<!--") and ("no-test" in line or "excerpt" in line):
                assert MARKER.match(line), f"{path.name}:{n + 1}: a malformed marker: {line!r}"
                fence = next(j for j in range(n + 1, len(lines)) if lines[j].strip())
                assert (path, fence + 2) in marked, (
                    f"{path.name}:{n + 1}: the marker is not right before a ```python block"
                )


def test_collector(tmp_path: Path) -> None:
    text = textwrap.dedent(
        """\
        Intro.

        ```python
        print("one")
        ```

        <!-- no-test -->
        ```python
        not python at all
        ```

        - a list item:

          ```python
          if True:
              print("indented")
          ```

        ````markdown
        ```python
        inside another fence: not a block
        ```
        ````

        <!-- excerpt: examples/blog/app.py -->

        ```py
        x = 1
        ```
        ```sh
        echo no
        ```
        """
    )
    path = tmp_path / "page.md"
    path.write_text(text)
    found = blocks_of(path)
    assert [(b.line, b.code, b.marker, b.source) for b in found] == [
        (4, 'print("one")\n', None, None),
        (9, "not python at all\n", "no-test", None),
        (15, 'if True:\n    print("indented")\n', None, None),
        (28, "x = 1\n", "excerpt", "examples/blog/app.py"),
    ]


def test_contains_lines() -> None:
    text = "def f():\n    if x:\n        return 1\n\n    return 2\n"
    assert contains_lines(text, "if x:\n    return 1\n")
    assert contains_lines(text, "if x:\n    return 1\n\nreturn 2\n")
    assert not contains_lines(text, "if x:\n    return 2\n")
    assert not contains_lines(text, "if x:\nreturn 1\n")
