"""The numbers a chapter's prose quotes, and gluing only those.

Every `myst_nb.glue(..., display=False)` is one invisible output of its cell, and JupyterLab shows a cell's first
50 outputs only: a cell that glued a whole table's worth of numbers (hundreds, most never quoted) hid its own
figure behind "Show more outputs" in a live session. A chapter therefore glues the numbers of a computed table
through `glue_quoted`, which keeps those that the book's text quotes with `{glue:text}` (the chapter's own
markdown, or another page's `chapter.ipynb::name`).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from pathlib import Path

from .paths import REPOSITORY

MAX_OUTPUTS = 50
"""JupyterLab's default `maxNumberOutputs`: a cell's outputs past it hide behind "Show more outputs"."""

MISSING = "— (runs missing)"
"""What a quoted number reads when the runs it is computed from are not stored (as Chapters 4 and 6 say it)."""

_QUOTE = re.compile(r"\{glue(?::[a-z]+)?\}`(?:([^`:]+)::)?([^`:]+)(?::[^`]*)?`")


def _markdown(path: Path) -> str:
    if path.suffix == ".md":
        return path.read_text(encoding="utf-8")
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")


@functools.lru_cache(maxsize=None)
def quoted_names(chapter: str, root: Path = REPOSITORY) -> frozenset[str]:
    """Names the book's text quotes from `notebooks/<chapter>.ipynb`: its own `{glue:text}` roles, and other
    pages' `<chapter>.ipynb::name`."""
    own = root / "notebooks" / f"{chapter}.ipynb"
    if not own.exists():
        raise ValueError(f"chapter must name a notebook in notebooks/ (e.g. '03_dying_relu'); got {chapter!r}")
    names = set()
    for page in [*sorted((root / "notebooks").glob("*.ipynb")), *sorted((root / "book").glob("*.md"))]:
        for source, name in _QUOTE.findall(_markdown(page)):
            if (not source and page == own) or (source and Path(source).stem == chapter):
                names.add(name.strip())
    return frozenset(names)


def glue_quoted(numbers: Mapping[str, object], chapter: str) -> None:
    """Glue (not displayed) each of `numbers` that the book's text quotes from `chapter`. It returns nothing, so a cell
    that ends with it shows nothing to the reader."""
    from myst_nb import glue

    quoted = quoted_names(chapter)
    for name, value in numbers.items():
        if name in quoted:
            glue(name, value, display=False)


def runs_missing(chapter: str) -> dict[str, str]:
    """Every number the book quotes from `chapter`, as `MISSING`: the prose of a chapter whose runs are not stored."""
    return {name: MISSING for name in sorted(quoted_names(chapter))}


class Paragraph:
    """Markdown that a chapter composes from computed sentences (e.g. what a section found, or that its runs are not
    stored yet): `{glue:md}` pastes it into the built book; a live session's prose shows its plain text, emphasis and
    code marks dropped (`rectifiers.lab` pastes a glued value's text/plain)."""

    def __init__(self, markdown: str):
        self.markdown = markdown

    def _repr_markdown_(self) -> str:
        return self.markdown

    def __repr__(self) -> str:
        return self.markdown.replace("**", "").replace("`", "")
