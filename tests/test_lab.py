"""`make lab`: working copies of the chapters whose prose shows the values the kernel glued."""

from __future__ import annotations

import json
import re

import nbformat
import pytest

from conftest import NOTEBOOKS
from rectifiers import lab
from rectifiers.prose import MISSING


def test_roles_the_live_renderer_does_not_know_are_rewritten():
    cites = {"maas2013rectifier": "[Maas et al., 2013](https://example.org/maas)", "he2015delving": "He et al., 2015"}
    text = ("α = {glue:text}`alpha:g` and {glue:text}`name` {cite}`maas2013rectifier`; "
            "{cite}`maas2013rectifier, he2015delving`, see {doc}`the intro <../book/intro>`.")
    assert lab.live_markdown(text, cites) == (
        'α = {eval}`glued("alpha", "g")` and {eval}`glued("name", "")` ([Maas et al., 2013](https://example.org/maas)); '
        "([Maas et al., 2013](https://example.org/maas); He et al., 2015), see the intro."
    )


def test_glued_values_are_recorded_and_formatted_as_the_book_formats_them():
    message = {"msg_type": "display_data", "content": {
        "data": {"application/papermill.record/text/plain": "0.012345"},
        "metadata": {"scrapbook": {"name": "ratio", "mime_prefix": "application/papermill.record/"}}}}
    assert lab._record_glue(message) is message  # still published
    assert lab.glued("ratio", ".2f") == "0.01" and lab.glued("ratio") == "0.012345"
    lab._record_glue({"content": {"data": {"text/plain": "'ReLU'"}, "metadata": {"scrapbook": {
        "name": "winner", "mime_prefix": ""}}}})
    assert lab.glued("winner") == "ReLU"
    assert lab.glued("never_glued", ".2f") == lab.NOT_YET
    lab._record_glue({"content": {"data": {"text/plain": repr(MISSING)}, "metadata": {"scrapbook": {
        "name": "unstored", "mime_prefix": ""}}}})
    assert lab.glued("unstored", ".3f") == MISSING  # a number's format on the text of a chapter without its runs


def test_working_copies_never_touch_the_chapters_and_keep_an_older_copy(tmp_path):
    chapters = tmp_path / "notebooks"
    chapters.mkdir()
    source = chapters / "01_x.ipynb"
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("value {glue:text}`v:.1f`")])
    nbformat.write(notebook, source)
    copies = tmp_path / "lab"
    assert lab.prepare(copies, chapters) == ["01_x.ipynb: copied from notebooks/01_x.ipynb"]
    copy = nbformat.read(copies / "01_x.ipynb", as_version=4)
    assert copy.cells[0].source == 'value {eval}`glued("v", ".1f")`'
    # Until the paragraph runs, jupyterlab-myst shows its stored result: a placeholder, not the code.
    assert copy.cells[0].metadata["user_expressions"] == [{"expression": 'glued("v", ".1f")', "result": {
        "status": "ok", "data": {"text/plain": repr(lab.NOT_YET)}, "metadata": {}}}]
    assert lab.prepare(copies, chapters)[0].endswith("kept (the chapter has not changed since it was copied)")
    older = nbformat.read(copies / "01_x.ipynb", as_version=4)
    older.metadata["rectifiers"]["rewrite"] = lab.REWRITE - 1  # a copy made before {ref} and placeholders
    nbformat.write(older, copies / "01_x.ipynb")
    assert "made by an older `make lab`" in lab.prepare(copies, chapters)[0]

    notebook.cells[0].source = "changed {glue:text}`v:.2f`"
    nbformat.write(notebook, source)
    before = source.read_bytes()
    (said,) = lab.prepare(copies, chapters)
    assert "the chapter changed since it was copied" in said and "01_x.previous.ipynb" in said
    assert source.read_bytes() == before  # read, never written
    assert (copies / "01_x.previous.ipynb").exists()  # the reader's older copy is not lost
    assert "changed" in nbformat.read(copies / "01_x.ipynb", as_version=4).cells[0].source


def test_references_become_the_titles_of_their_sections_linked_to_their_chapters():
    targets = {"ch5-gan": ("05_1_gan.ipynb", "GAN discriminators"), "claims": ("book/references.md", "The claims")}
    text = "see {ref}`ch5-gan`, {ref}`that section <ch5-gan>` and {ref}`the list <claims>`; {ref}`claims`."
    assert lab.live_markdown(text, {}, targets) == (
        "see [GAN discriminators](05_1_gan.ipynb), [that section](05_1_gan.ipynb) and "
        "the list (“The claims”, on the book's references page); “The claims” (on the book's references page).")


def test_every_reference_of_the_book_names_a_labelled_section():
    targets = lab.ref_targets()
    assert targets["ch5-gan"] == ("05_1_gan_discriminators.ipynb", "GAN discriminators: does Leaky ReLU help?")
    assert targets["forum-claims"][0] == "book/references.md"


@pytest.mark.parametrize("chapter", sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")))
def test_every_chapter_copy_has_no_role_left_that_jupyterlab_myst_cannot_render(tmp_path, chapter):
    cites, targets = lab.citations(), lab.ref_targets()
    notebook = nbformat.read(NOTEBOOKS / chapter, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            text = lab.live_markdown(cell.source, cites, targets)
            assert "{glue" not in text and "{cite" not in text and "{doc}" not in text and "{ref}" not in text
            assert not re.search(r"[–-]\n", cell.source), f"{chapter}: a range broken after its dash reads '2.79– 3.68'"
            for label in re.findall(r"\{ref\}`(?:[^`<]*<)?([^`>]+)>?`", cell.source):
                assert label in targets, f"{chapter}: {{ref}} to {label!r}, which no section is labelled"


def test_a_broken_working_copy_is_named_kept_and_replaced(tmp_path):
    chapters, copies = tmp_path / "notebooks", tmp_path / "lab"
    chapters.mkdir()
    copies.mkdir()
    nbformat.write(nbformat.v4.new_notebook(), chapters / "01_x.ipynb")
    (copies / "01_x.ipynb").write_text("{ not json")
    (said,) = lab.prepare(copies, chapters)
    assert "could not be read" in said and (copies / "01_x.previous.ipynb").read_text() == "{ not json"
    assert nbformat.read(copies / "01_x.ipynb", as_version=4).metadata["rectifiers"]["source"] == "notebooks/01_x.ipynb"


def test_a_working_copy_opens_trusted_and_each_save_after_run_all_is_signed(tmp_path, monkeypatch):
    # The server's cycle with jupyterlab-myst's notary: open (mark cells), Run All (code cells gain outputs and the
    # frontend marks them trusted; a paragraph's {eval} results arrive, but its cell keeps the mark it was opened
    # with), save (sign only if every cell is trusted), reload (trusted only if the signature is stored). An unsigned
    # copy opened untrusted, was never signed on saving, and a reload showed the explorers as text.
    from jupyterlab_myst import MySTNotebookNotary

    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path / "jupyter"))  # a signature store of the test's own
    chapters = tmp_path / "notebooks"
    chapters.mkdir()
    nbformat.write(nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("glue('v', 1.5)"), nbformat.v4.new_markdown_cell("value {glue:text}`v:.1f`")]),
        chapters / "01_x.ipynb")
    lab.prepare(tmp_path / "lab", chapters)
    copy = tmp_path / "lab" / "01_x.ipynb"
    with MySTNotebookNotary() as notary:
        opened = nbformat.read(copy, as_version=4)
        assert notary.check_signature(opened), "a fresh working copy is not signed"
        notary.mark_cells(opened, True)
        code, paragraph = opened.cells
        code.outputs = [nbformat.v4.new_output("display_data", {"application/vnd.jupyter.widget-view+json": {}})]
        code.metadata["trusted"] = True  # the frontend trusts what its kernel just computed
        paragraph.metadata["user_expressions"][0]["result"]["data"] = {"text/plain": "'1.5'"}
        saved = nbformat.from_dict(json.loads(json.dumps(opened)))
        assert notary.check_cells(saved), "Run All's save of a working copy would not be signed"
        notary.sign(saved)
        nbformat.write(saved, copy)
        assert notary.check_signature(nbformat.read(copy, as_version=4)), "a reload would find the save untrusted"


def test_jupyterlab_and_its_extensions_agree():
    # jupyterlab-myst 2.7.0 is built for JupyterLab 4.5 and older; `jupyter labextension list` flags it under 4.6.
    import subprocess
    import sys

    listing = subprocess.run([sys.executable, "-m", "jupyterlab.labextensions", "list"], capture_output=True,
                             text=True, check=True)
    said = listing.stdout + listing.stderr
    assert "jupyterlab-myst" in said and "not compatible" not in said, said
