"""Chapter 3 (the dying ReLU) runs with small parameters and records values that agree with the theory."""

from __future__ import annotations

import pytest

from conftest import ROOT

CHAPTER = "03_dying_relu"
SMALL = dict(table_widths=[2, 4], table_depths=[10, 20], mc_networks=3000, explorer_networks=300, explorer_images=200)


def copy_of_the_stored_runs(folder):
    """A results store holding the records of the repository's runs (not their checkpoints): the chapter reads the
    studies from it and trains its small demonstration run into it, never into the committed results/."""
    import shutil

    (folder / "runs").mkdir(parents=True)
    for path in (ROOT / "results" / "runs").glob("*.json"):
        shutil.copy(path, folder / "runs" / path.name)
    return str(folder)


@pytest.mark.slow
def test_chapter_runs_and_its_numbers_agree_with_theory(notebook_runner, tmp_path):
    glued = notebook_runner(CHAPTER, **SMALL, runs_dir=copy_of_the_stored_runs(tmp_path / "results"))
    # Width 2, depth 10 on [0, 1]: the exact theory lies within the estimate's 95 % Wilson interval.
    assert glued["born_dead_w2_d10_low"] <= glued["theory_w2_d10"] <= glued["born_dead_w2_d10_high"]
    assert glued["theory_w2_d10"] == pytest.approx(1 - 0.75**10)
    # Both signs: no more often than one ray (the chapter's Monte Carlo, repeated: only its quoted numbers are glued).
    from rectifiers.experiments import dying

    two_sided = dying.born_dead_monte_carlo(4, 20, domain="[-1,1]", n_networks=3000, seed=0)
    assert two_sided.at(10)["p"] == glued["born_dead_two_sided_w4_d10"]
    assert two_sided.at(10)["low"] <= glued["theory_w4_d10"]
    # Leaky ReLU networks are never born dead.
    assert glued["leaky_dead_count"] == 0 and glued["leaky_networks"] == 3000
    # The dead unit shown gets exactly zero gradient; the live one does not.
    assert glued["dead_unit_gradient"] == 0.0 and glued["live_unit_gradient"] > 0
    assert glued["dead_unit_max_preactivation"] <= 0
    # Read from the stored grids: RAI is born dead less often than symmetric initialisation with biases.
    assert glued["rai_w4_deep"] < glued["symmetric_bias_w4_deep"]


def test_each_part_of_the_stored_results_names_the_numbers_it_gives():
    from rectifiers.experiments import dying
    from rectifiers.prose import MISSING, quoted_names

    stored, quoted = dying.load_stored_results(), quoted_names(CHAPTER)
    assert dying.missing_values("training") == dict.fromkeys(
        sorted((set(dying.sweep_values(stored["training"])) | {"sweep_train_min"}) & quoted), MISSING)
    assert set(dying.missing_values("width")) == set(dying.width_values(stored["width"])) & quoted
    assert set(dying.missing_values("born_dead")) == {
        "init_depth", "grid_networks", "symmetric_w4_deep", "symmetric_bias_w4_deep", "rai_w4_deep"}
    with pytest.raises(ValueError, match="part must be one of 'born_dead', 'training', 'width'"):
        dying.missing_values("sweep")


@pytest.mark.slow
def test_an_empty_store_completes_with_a_message_and_prose_that_says_runs_missing(notebook_runner, tmp_path):
    import nbformat

    from rectifiers.prose import MISSING

    empty = tmp_path / "empty"
    empty.mkdir()  # both stores are parameters that must name an existing folder
    glued = notebook_runner(CHAPTER, **SMALL, results_dir=str(empty), runs_dir=str(empty))
    # No traceback: Run All completes, every number of the missing runs says so, and the rest is computed.
    assert glued["rai_w4_deep"] == glued["sweep_runs"] == glued["width64_relu_acc"] == MISSING
    assert glued["leaky_networks"] == 3000 and glued["dead_unit_gradient"] == 0.0
    printed = "".join(o.get("text", "") for c in nbformat.read(tmp_path / f"{CHAPTER}.out.ipynb", 4).cells
                      for o in c.get("outputs", []))
    assert "recompute=True" in printed and "python -m rectifiers study" in printed


@pytest.mark.slow
def test_recompute_writes_the_grid_it_then_shows(notebook_runner, tmp_path):
    import json

    from rectifiers.experiments.dying import BORN_DEAD_FILE

    grid = dict(widths=[2, 4], max_depth=12, n_networks=300, n_inputs=9, seed=3)
    store = copy_of_the_stored_runs(tmp_path / "results")  # the training studies are stored: nothing retrains
    glued = notebook_runner(
        CHAPTER, recompute=True, results_dir=str(tmp_path), recompute_settings=grid, runs_dir=store, **SMALL
    )
    how = json.loads((tmp_path / BORN_DEAD_FILE).read_text())["how"]
    assert how["parameters"] == grid and how["made_by"] == "rectifiers.experiments.dying.born_dead_grid"
    assert glued["grid_networks"] == 300 and glued["init_depth"] == 12


@pytest.mark.slow
@pytest.mark.parametrize(
    "parameters, message",
    [
        (dict(mc_networks=0), "parameter 'mc_networks' must be >= 1; got 0"),
        (dict(table_widths="2, 4"), "parameter 'table_widths' must be list\\[int\\]"),
        (dict(table_depths=[50, 10]), "parameter 'table_depths' must be a list of strictly increasing numbers"),
    ],
)
def test_bad_parameters_fail_clearly(notebook_runner, parameters, message):
    import papermill

    with pytest.raises(papermill.PapermillExecutionError, match=message):
        notebook_runner(CHAPTER, **parameters)
