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


@pytest.fixture
def offline(monkeypatch):
    """No download: the engine reads MNIST from the local copies only (a test module uses it with
    `pytestmark = pytest.mark.usefixtures("offline")`)."""
    monkeypatch.setenv("RECTIFIERS_OFFLINE", "1")


# --- tiny runs: the smallest settings the engine trains in seconds ---------------------------------------------------

TINY_DATA = dict(n_train=200, n_test=100)
"""200 MNIST training images and 100 test images."""
TINY_RUN = dict(**TINY_DATA, epochs=(1, 2))
"""A run's settings (`RunConfig(**TINY_RUN)`): two epochs on `TINY_DATA`."""


# --- a linear chain whose gradients are known by hand ----------------------------------------------------------------


def chain_model(kernels, activation="linear"):
    """Dense layers with fixed kernels (zero biases) named like an `mlp`, each followed by an activation, then a
    softmax classifier with the last kernel."""
    import keras
    import numpy as np

    layers = [keras.Input((kernels[0].shape[0],))]
    for i, k in enumerate(kernels[:-1], start=1):
        layers += [keras.layers.Dense(k.shape[1], kernel_initializer=keras.initializers.Constant(k), name=f"dense_{i}"),
                   keras.layers.Activation(activation, name=f"act_{i}")]
    layers.append(keras.layers.Dense(kernels[-1].shape[1], activation="softmax", name="classifier",
                                     kernel_initializer=keras.initializers.Constant(kernels[-1])))
    model = keras.Sequential(layers)
    for i, k in enumerate(kernels[:-1], start=1):
        assert np.allclose(model.get_layer(f"dense_{i}").kernel.numpy(), k)
    return model


def hand_gradients(x, y, kernels):
    """∂(mean cross-entropy)/∂W of each kernel of a linear chain x W1 W2 … → softmax, in float64 (backpropagation
    written out)."""
    import numpy as np

    hs = [np.asarray(x, dtype=np.float64)]
    for k in kernels:
        hs.append(hs[-1] @ k)
    p = np.exp(hs[-1] - hs[-1].max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    delta, grads = (p - np.eye(p.shape[1])[y]) / len(x), []
    for k, h in zip(reversed(kernels), reversed(hs[:-1])):
        grads.append(h.T @ delta)
        delta = delta @ k.T
    return grads[::-1]


@pytest.fixture(scope="module")
def linear_chain():
    """(kernels, x, y): a 4 → 3 → 3 → 2 linear chain and 16 inputs with their labels, x in float32 (as a model
    reads it)."""
    import numpy as np

    rng = np.random.default_rng(3)
    kernels = [rng.normal(0, 0.5, (4, 3)), rng.normal(0, 0.5, (3, 3)), rng.normal(0, 0.5, (3, 2))]
    return kernels, rng.normal(size=(16, 4)).astype(np.float32), rng.integers(0, 2, 16)
