"""Shared test helpers: paths, and running a chapter with papermill and reading back what it glued."""

from __future__ import annotations

import ast
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
BUILD = ROOT / "_build" / "html"

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("PLOTLY_RENDERER", "plotly_mimetype")


def glued_values(notebook) -> dict:
    """Values a notebook recorded with `myst_nb.glue`, parsed from their text/plain repr where possible."""
    values = {}
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            meta = output.get("metadata", {}).get("scrapbook")
            if not meta:
                continue
            text = output.get("data", {}).get("application/papermill.record/text/plain")
            try:
                values[meta["name"]] = ast.literal_eval(text)
            except (ValueError, SyntaxError, TypeError):
                values[meta["name"]] = text
    return values


def crowded_cells(notebook) -> dict[int, int]:
    """Code cells (by index) with more outputs than JupyterLab shows before its "Show more outputs" bar."""
    from rectifiers.prose import MAX_OUTPUTS

    return {index: len(cell.outputs) for index, cell in enumerate(notebook.cells)
            if cell.cell_type == "code" and len(cell.get("outputs", [])) > MAX_OUTPUTS}


def run_notebook(name: str, tmp_path: Path, **parameters) -> dict:
    """Execute notebooks/<name>.ipynb with papermill and the given parameters; return its glued values.

    Every executed chapter is also held to JupyterLab's output limit: a cell past it hides its figure in a live
    session (each glued number is an invisible output).
    """
    import nbformat
    import papermill

    output = tmp_path / f"{name}.out.ipynb"
    papermill.execute_notebook(
        str(NOTEBOOKS / f"{name}.ipynb"),
        str(output),
        parameters=parameters,
        kernel_name="python3",
        cwd=str(ROOT),
        progress_bar=False,
        request_save_on_cell_execute=False,
    )
    executed = nbformat.read(output, as_version=4)
    crowded = crowded_cells(executed)
    assert not crowded, f"{name}: cells (index: outputs) past JupyterLab's visible outputs: {crowded}"
    return glued_values(executed)


@pytest.fixture
def notebook_runner(tmp_path):
    """Call with (name, **parameters) to run a chapter and get its glued values."""
    return lambda name, **parameters: run_notebook(name, tmp_path, **parameters)
