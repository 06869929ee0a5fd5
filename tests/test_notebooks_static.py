"""Every chapter notebook is committed clean and declares its parameters the way papermill needs."""

from __future__ import annotations

import ast
import re

import nbformat
import papermill
import pytest
import yaml

from conftest import NOTEBOOKS, ROOT

CHAPTERS = sorted(NOTEBOOKS.glob("*.ipynb"))


def test_there_are_chapters():
    assert CHAPTERS, "no notebooks in notebooks/"


def test_every_chapter_is_in_the_table_of_contents():
    def files(entries):  # a chapter's sections are entries too
        for entry in entries:
            yield entry["file"]
            yield from files(entry.get("sections", []))

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = set(files(entry for part in toc["parts"] for entry in part["chapters"]))
    missing = [p.stem for p in CHAPTERS if f"notebooks/{p.stem}" not in files]
    assert missing == [], f"notebooks missing from _toc.yml: {missing}"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
class TestChapter:
    def test_valid_nbformat(self, path):
        nbformat.validate(nbformat.read(path, as_version=4))

    def test_committed_without_outputs(self, path):
        nb = nbformat.read(path, as_version=4)
        dirty = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and (c.outputs or c.execution_count)]
        assert dirty == [], f"cells {dirty} of {path.name} have outputs or execution counts"

    def test_kernelspec_is_python3(self, path):
        assert nbformat.read(path, as_version=4).metadata["kernelspec"]["name"] == "python3"

    def test_starts_with_a_title(self, path):
        first = nbformat.read(path, as_version=4).cells[0]
        # A MyST target line `(label)=` may precede the title, so that other pages can {ref} it.
        title = re.sub(r"^\s*\([\w-]+\)=\s*\n", "", first.source)
        assert first.cell_type == "markdown" and title.lstrip().startswith("# ")

    def test_one_typed_commented_parameters_cell_first(self, path):
        nb = nbformat.read(path, as_version=4)
        tagged = [i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", [])]
        assert len(tagged) == 1, f"{path.name}: {len(tagged)} cells tagged 'parameters'"
        code = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
        assert tagged[0] == code[0], "the parameters cell must be the first code cell"
        source = nb.cells[tagged[0]].source
        tree = ast.parse(source)
        assert tree.body, "the parameters cell is empty"
        for node in tree.body:
            assert isinstance(node, ast.AnnAssign), f"parameter on line {node.lineno} has no type annotation"
            line = source.splitlines()[node.lineno - 1]
            assert "#" in line, f"parameter {ast.unparse(node.target)!r} has no comment"
        declared = papermill.inspect_notebook(str(path))  # papermill must see every parameter, with its type
        assert len(declared) == len(tree.body), f"papermill sees {sorted(declared)} only"
        assert all(p["inferred_type_name"] != "None" for p in declared.values())

    def test_parameters_are_checked_next(self, path):
        nb = nbformat.read(path, as_version=4)
        code = [c for c in nb.cells if c.cell_type == "code"]
        # Types and ranges, by the chapter's rules (rectifiers.chapter_parameters), in the cell right after.
        assert f"check_parameters(__annotations__, globals(), rules=chapter_parameters.RULES[{path.stem!r}])" \
            in code[1].source
