"""What `make lab` does: the chapters open as working copies whose prose shows the kernel's computed values.

A live session never writes to `notebooks/`: `make lab` copies each chapter into `lab/` (ignored by git), where
JupyterLab's autosave may store outputs freely. In the copy, MyST roles that only the book build understands are
rewritten for the jupyterlab-myst renderer:

- `{glue:text}`name:fmt`` (and `{glue:md}`name``) becomes `{eval}`glued("name", "fmt")``: the value the kernel
  glued, formatted as the book formats it, filled in when the markdown cell runs (Run All runs it after the cell that computes it);
- `{cite}`key`` becomes the reference's author–year text, linked to its URL or DOI (from book/references.bib);
- `{doc}`path`` becomes its plain title-less text;
- `{ref}`label`` becomes the title of the section it names, linked to that chapter's working copy
  (`{ref}`text <label>`` keeps its text); a section outside the chapters is named with its page.

Until a paragraph runs (before Run All, or below a cell that stopped with an error), each of its `{eval}` values
shows "[not computed yet …]" rather than its code: the copy stores that as the paragraph's last result, in the
`user_expressions` metadata jupyterlab-myst reads.

A copy is signed as it is made (as `jupyter trust` would sign it), in the same signature store as the server's.
jupyterlab-myst's server notary distrusts a markdown cell whose stored `{eval}` results are not marked trusted,
and marks the cells of an unsigned notebook untrusted when it opens; its frontend never writes that mark back
after running a paragraph. An unsigned copy therefore stayed untrusted at every save, and a reload showed its
explorers as text. A signed copy opens trusted, stays trusted through Run All, and the server signs each save.

`glued` comes from this module's IPython extension, which the kernels of `make lab` load
(book/ipython/profile_default/ipython_kernel_config.py): it records every `myst_nb.glue` call's value.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import sys
from pathlib import Path

import nbformat

from .paths import REPOSITORY

NOTEBOOKS = REPOSITORY / "notebooks"
LAB = REPOSITORY / "lab"
BIBLIOGRAPHY = REPOSITORY / "book" / "references.bib"
GLUE_PREFIX = "application/papermill.record/"  # myst_nb.glue(..., display=False) hides its value under this prefix
NOT_YET = "[not computed yet: run the cells above]"
REWRITE = 4  # how copies are made; a copy made by an older rewrite is made again (2: {ref}, placeholders; 3: glue:md; 4: signed)

_glued: dict[str, str] = {}  # name -> text/plain of the value, as myst-nb stores it


# --- In the kernel: record glued values, paste them into prose ------------------------------------------------


def glued(name: str, fmt: str = "") -> str:
    """The value glued as `name`, formatted with `fmt` exactly as the book's `{glue:text}` role formats it."""
    from myst_nb.core.variables import format_plain_text

    if name not in _glued:
        return NOT_YET
    try:
        return format_plain_text(_glued[name], fmt)
    except ValueError:  # text where the prose formats a number: "— (runs missing)" when the runs are not stored
        return format_plain_text(_glued[name], "")


def _record_glue(msg):
    content = msg.get("content", {})
    meta = content.get("metadata", {}).get("scrapbook")
    if meta and "name" in meta:
        text = content.get("data", {}).get(meta.get("mime_prefix", "") + "text/plain")
        if text is not None:
            _glued[meta["name"]] = text
    return msg  # published as before


def load_ipython_extension(ipython):
    """`%load_ext rectifiers.lab`: record glued values, and give the notebook `glued` for its `{eval}` roles."""
    register = getattr(ipython.display_pub, "register_hook", None)
    if register is None:  # a terminal IPython: nothing is published, nothing to paste into
        return
    register(_record_glue)
    ipython.push({"glued": glued}, interactive=False)


# --- Before the session: working copies with prose the live renderer reads ---------------------------------------


def _authors(entry) -> str:
    last = [" ".join(p.last_names) for p in entry.persons.get("author", [])]
    if not last:
        return entry.fields.get("organization") or entry.fields.get("publisher") or entry.fields.get("title", "?")
    if len(last) == 1:
        return last[0]
    return f"{last[0]} and {last[1]}" if len(last) == 2 else f"{last[0]} et al."


def citations(bib_path: Path = BIBLIOGRAPHY) -> dict[str, str]:
    """Each bibliography key as Markdown author–year text, linked to the work's URL or DOI where it has one."""
    from pybtex.database import parse_file

    texts = {}
    for key, entry in parse_file(str(bib_path)).entries.items():
        text = f"{_authors(entry)}, {entry.fields.get('year', 'n.d.')}".replace("{", "").replace("}", "")
        doi, url = entry.fields.get("doi"), entry.fields.get("url")
        link = f"https://doi.org/{doi}" if doi else url
        texts[key] = f"[{text}]({link})" if link else text
    return texts


_ROLE = re.compile(r"\{(glue:text|glue:md|cite(?::[a-z]+)?|doc|ref)\}`([^`]*)`")
_TARGET = re.compile(r"^\(([A-Za-z0-9_-]+)\)=\s*\n#+\s+(.+)$", re.MULTILINE)  # a MyST label above its heading


def _markdown_of(page: Path) -> str:
    if page.suffix == ".md":
        return page.read_text(encoding="utf-8")
    return "\n".join(c.source for c in nbformat.read(page, as_version=4).cells if c.cell_type == "markdown")


def ref_targets(notebooks_dir: Path = NOTEBOOKS, pages_dir: Path = REPOSITORY / "book") -> dict[str, tuple[str, str]]:
    """Each `(label)=` of the book as (where it is, the title of the heading it labels): a chapter's file name,
    or `book/<page>.md` for the pages that are not chapters."""
    targets = {}
    for page in [*sorted(notebooks_dir.glob("*.ipynb")), *sorted(pages_dir.glob("*.md"))]:
        where = page.name if page.suffix == ".ipynb" else f"book/{page.name}"
        for label, title in _TARGET.findall(_markdown_of(page)):
            targets[label] = (where, title.strip())
    return targets


def _reference(content: str, targets: dict[str, tuple[str, str]]) -> str:
    text, label = content, content
    if (explicit := re.fullmatch(r"(.*?)\s*<([^<>]+)>", content)) is not None:
        text, label = explicit.groups()
    if label not in targets:
        return text
    where, title = targets[label]
    shown = text if text != label else title
    if where.endswith(".ipynb"):  # the working copies lie side by side: JupyterLab opens the linked chapter
        return f"[{shown}]({where})"
    page = f"the book's {Path(where).stem} page"
    return f"{shown} (“{title}”, on {page})" if shown != title else f"“{title}” (on {page})"


def live_markdown(source: str, cites: dict[str, str], targets: dict[str, tuple[str, str]] | None = None) -> str:
    """Markdown of the book rewritten for jupyterlab-myst (see the module's docstring)."""

    def replace(match: re.Match) -> str:
        role, content = match.groups()
        if role == "glue:text":
            name, _, fmt = content.partition(":")
            return "{eval}`glued(%s, %s)`" % (json.dumps(name), json.dumps(fmt))
        if role == "glue:md":  # pasted Markdown (Chapter 7's short answer): its plain text, as the kernel shows it
            return "{eval}`glued(%s)`" % json.dumps(content.partition(":")[0])
        if role.startswith("cite"):
            keys = [k.strip() for k in content.split(",")]
            return "(" + "; ".join(cites.get(k, k) for k in keys) + ")"
        if role == "ref":
            return _reference(content, targets or {})
        return re.sub(r"\s*<.*>$", "", content)  # {doc}`text <path>` -> text; {doc}`path` -> path

    return _ROLE.sub(replace, source)


_EVAL = re.compile(r"\{eval\}`([^`]*)`")


def not_yet_computed(markdown: str) -> list[dict]:
    """jupyterlab-myst's `user_expressions` metadata for a paragraph that has not run: each value says so."""
    placeholder = {"status": "ok", "data": {"text/plain": repr(NOT_YET)}, "metadata": {}}
    return [{"expression": expression, "result": dict(placeholder)}
            for expression in dict.fromkeys(_EVAL.findall(markdown))]


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def sign(path: Path) -> None:
    """Record the notebook at `path` as trusted in this machine's signature store (what `jupyter trust` does)."""
    from nbformat.sign import NotebookNotary

    with NotebookNotary() as notary:  # the store JupyterLab's server reads: the user's Jupyter data folder
        notary.sign(nbformat.read(path, as_version=4))


def working_copy(chapter: Path, lab_dir: Path, cites: dict[str, str],
                 targets: dict[str, tuple[str, str]] | None = None) -> str:
    """Write `lab_dir/<chapter>` from the chapter unless an up-to-date copy exists; say what was done.

    A copy of an older version of the chapter is kept beside it as `<name>.previous.ipynb`, never lost.
    """
    target = lab_dir / chapter.name
    digest = _digest(chapter)
    kept = ""
    if target.exists():
        try:
            made = nbformat.read(target, as_version=4).metadata.get("rectifiers", {})
            made_from = made.get("source_sha256") if made.get("rewrite") == REWRITE else None
            why = ("the chapter changed since it was copied" if made.get("rewrite") == REWRITE
                   else "it was made by an older `make lab`")
        except Exception as error:  # a broken copy is kept, named, and replaced
            made_from, why = None, f"it could not be read: {error}"
        if made_from == digest:
            return f"{target.name}: kept (the chapter has not changed since it was copied)"
        previous = target.with_suffix(".previous.ipynb")
        shutil.move(target, previous)
        kept = f"; the older copy ({why}) is kept as {previous}"
    notebook = nbformat.read(chapter, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            cell.source = live_markdown(cell.source, cites, targets)
            if expressions := not_yet_computed(cell.source):
                cell.metadata["user_expressions"] = expressions
    notebook.metadata["rectifiers"] = {"source": f"notebooks/{chapter.name}", "source_sha256": digest,
                                       "rewrite": REWRITE}
    nbformat.write(notebook, target)
    sign(target)  # made here from the repository's chapter: it opens trusted, and its explorers survive a reload
    return f"{target.name}: copied from notebooks/{chapter.name}{kept}"


def prepare(lab_dir: Path = LAB, notebooks_dir: Path = NOTEBOOKS) -> list[str]:
    """Working copies of every chapter in `lab_dir`."""
    lab_dir.mkdir(parents=True, exist_ok=True)
    cites, targets = citations(), ref_targets(notebooks_dir)
    return [working_copy(chapter, lab_dir, cites, targets) for chapter in sorted(notebooks_dir.glob("*.ipynb"))]


if __name__ == "__main__":
    for line in prepare(Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else LAB):
        print(line)
