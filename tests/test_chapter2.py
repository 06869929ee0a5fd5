"""Chapter 2 (saturation, vanishing and exploding gradients) run end to end with papermill on small settings."""

from __future__ import annotations

import json

import nbformat
import pytest

from conftest import NOTEBOOKS

CHAPTER = "02_saturation_gradients"

SMALL = dict(
    depth=6, width=32, seeds=[0, 1], n_probe=64, n_train=200, chain_depth=8, train_epochs=1, saturation_epochs=2,
    saturation_width=32, recompute=True, grid_depths=[1, 2, 4], grid_alphas=[0.0, 0.01],
    grid_scales=[0.5, 1.0, 1.5], grid_panels=[2, 4], live_widgets=False,
)

LONG_STUDY = """
name: test_long_sigmoid
datasets: [mnist]
activations: [sigmoid]
seeds: [0, 1]
model: mlp
depth: 4
width: 32
initializer: glorot
epochs: [2]
n_train: 200
n_test: 64
batch_size: 10
optimizer: sgd
learning_rate: 0.1
probes: [activation_stats, gradient_norms]
"""


def test_the_chapter_is_committed_clean_with_one_parameters_cell():
    nb = nbformat.read(NOTEBOOKS / f"{CHAPTER}.ipynb", as_version=4)
    assert nb.metadata.kernelspec == {"name": "python3", "display_name": "Python 3", "language": "python"}
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in code)
    tagged = [i for i, c in enumerate(code) if "parameters" in c.metadata.get("tags", [])]
    assert tagged == [0]
    assert "check_parameters(__annotations__, globals()" in code[1].source
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")


@pytest.mark.slow
def test_small_run_measures_vanishing_sigmoid_gradients(notebook_runner, tmp_path):
    grid_path, study = tmp_path / "grid.json", tmp_path / "long.yaml"
    study.write_text(LONG_STUDY)
    (tmp_path / "results").mkdir()  # a store parameter must name an existing folder
    glued = notebook_runner(CHAPTER, **SMALL, grid_path=str(grid_path), long_study=str(study),
                            runs_dir=str(tmp_path / "results"))

    # Deep sigmoid network at initialisation: the first layer gets far less gradient than ReLU's first layer.
    assert 0 < glued["sigmoid_over_relu_first"] < 0.1
    assert glued["ratio_sigmoid_mean"] < 4.0 ** -(SMALL["depth"] - 3)
    assert glued["ratio_sigmoid_min"] <= glued["ratio_sigmoid_mean"] <= glued["ratio_sigmoid_max"]
    assert glued["ratio_relu_mean"] > 100 * glued["ratio_sigmoid_mean"]
    # The 4^-L bound holds for every measured chain.
    assert glued["chain_bound_verdict"].startswith("all ")
    assert glued["chain_zero_last"] <= glued["chain_bound_last"]
    # Initialisation moves every layer: too small vanishes, too large explodes, for both rectifiers.
    for name in ("relu", "leaky_relu"):
        assert glued[f"glorot_over_he_{name}"] < 1 < glued[f"exploding_over_he_{name}"]
    assert glued["large_alpha_level_ratio"] > 1
    # Leaky units pass some gradient where ReLU passes none.
    assert glued["sat_zero_end_relu"] > 0.05 and glued["sat_zero_end_leaky_relu"] == 0.0
    # recompute=True wrote the grid file with the small axes and trained the long study into the given store;
    # every other training run went there too, measured before training and after every epoch.
    grid = json.loads(grid_path.read_text())
    assert grid["depths"] == SMALL["grid_depths"] and grid["made"]["parameters"]["seeds"] == SMALL["seeds"]
    assert glued["long_steps"] == 2 * 20 and glued["long_n_seeds"] == 2
    assert glued["train_steps"] == 7 and glued["saturation_steps"] == 40  # 200 images: 7 batches of 32, 20 of 10
    runs = [json.loads(p.read_text()) for p in (tmp_path / "results" / "runs").glob("*.json")]
    # traces: 4 activations x 2 seeds; saturation: 3; long: 2 seeds, of which seed 0 is the short sigmoid run
    # (same settings, same key: the engine trained it once)
    assert len(runs) == 4 * 2 + 3 + 2 - 1
    assert all(r["status"] == "complete" and r["probes"]["gradient_norms"][0]["epoch"] == 0 for r in runs)
    assert glued["chapter_seconds"] > 0


@pytest.mark.slow
def test_a_bad_parameter_stops_the_chapter_with_its_name(notebook_runner):
    import papermill

    with pytest.raises(papermill.PapermillExecutionError, match="parameter 'depth' must be >= 1; got 0"):
        notebook_runner(CHAPTER, depth=0)
