"""MkDocs hooks (``hooks:`` in mkdocs.yml): repository links, and reST leftovers in docstrings.

Links. A page may link to a file outside ``docs/``, such as ``[the blog](../examples/blog/README.md)``:
the link works when the Markdown is read on a code host, but the built site has no such page.
This hook checks that the target exists in the repository (a warning otherwise, which fails
``mkdocs build --strict``) and turns the link into text naming the file, so the site has no
dead links and a mistyped path still breaks the build.

Docstrings. microflask's docstrings use a little reStructuredText, which mkdocstrings renders
as Markdown: a Sphinx role (``:class:`Foo```) shows as ``:class:Foo``, and the ``::`` that
introduces an example shows as a paragraph of its own. The API pages drop both.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from typing import Any

log = logging.getLogger("mkdocs.hooks.repository_links")

# [label](../some/path#anchor) -- not images, not absolute URLs.
LINK = re.compile(r"(?<!!)\[(?P<label>[^\]\n]+)\]\((?P<target>\.\./[^)\s#]+)(?P<anchor>#[^)\s]*)?\)")


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    docs = Path(os.path.abspath(config["docs_dir"]))
    root = Path(os.path.abspath(config["config_file_path"])).parent
    here = (docs / page.file.src_path).parent

    def replace(match: re.Match[str]) -> str:
        target = Path(os.path.normpath(here / match["target"]))  # ".." folded; symlinks kept
        if target.is_relative_to(docs):
            return match[0]  # a page of the site: MkDocs checks and converts it
        if not target.is_relative_to(root):
            log.warning("%s links outside the repository: %s", page.file.src_path, match["target"])
            return match[0]
        path = target.relative_to(root).as_posix()
        if not target.exists():
            log.warning("%s links to %s, which does not exist in the repository", page.file.src_path, path)
            return match[0]
        label = match["label"]
        shown = path.removesuffix("/README.md")
        return label if shown in label else f"{label} (`{path}` in the repository)"

    return LINK.sub(replace, markdown)


# ":class:<code>Foo</code>" -> "<code>Foo</code>"; ":class:<code>~pkg.mod.Foo</code>" -> "<code>Foo</code>".
ROLE = re.compile(r":(?:class|func|meth|attr|exc|mod|data|obj|const):<code>(?:~(?:\w+\.)*)?")
LITERAL_INTRO = re.compile(r"<p>::</p>\s*")


def on_page_content(html: str, page: Any, config: Any, files: Any) -> str:
    return LITERAL_INTRO.sub("", ROLE.sub("<code>", html))
