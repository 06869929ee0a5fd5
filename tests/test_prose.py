"""A chapter glues the numbers its prose quotes, and only those (each glue is an output of its cell)."""

from __future__ import annotations

import nbformat
import pytest

from rectifiers import prose


def _chapter(path, *markdown):
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(m) for m in markdown]), path)


def test_quoted_names_are_the_chapters_own_roles_and_other_pages_references_to_it(tmp_path):
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "book").mkdir()
    _chapter(tmp_path / "notebooks" / "01_a.ipynb", "rate {glue:text}`rate:.1%` and {glue:text}`runs`")
    _chapter(tmp_path / "notebooks" / "02_b.ipynb", "its own {glue:text}`other` and {glue:text}`01_a.ipynb::shared:s`")
    (tmp_path / "book" / "intro.md").write_text("see {glue:text}`../notebooks/01_a.ipynb::intro_number:.2f`")
    assert prose.quoted_names("01_a", tmp_path) == {"rate", "runs", "shared", "intro_number"}
    assert prose.quoted_names("02_b", tmp_path) == {"other"}
    with pytest.raises(ValueError, match="chapter must name a notebook in notebooks/"):
        prose.quoted_names("03_missing", tmp_path)


def test_glue_quoted_glues_only_what_the_prose_quotes(monkeypatch):
    glued = []
    monkeypatch.setattr("myst_nb.glue", lambda name, value, display=True: glued.append((name, value, display)))
    shown = prose.glue_quoted({"lr_runs": 10, "mlp_adam_lr03_relu_failed": 2}, "05_where_leaky_relu_wins")
    assert glued == [("lr_runs", 10, False)]
    assert shown is None  # a cell that ends with it shows the reader nothing (it once showed a dict of every value)
