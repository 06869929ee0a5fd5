"""Chapter 5's GAN section run by papermill in train mode on a tiny study: its glued verdict agrees with the runs it
stored, and bad parameters fail clearly."""

from __future__ import annotations

import papermill
import pytest

CHAPTER = "05_1_gan_discriminators"
TINY = dict(mode="train", seeds=[0, 1], epochs=[1, 2], n_train=128, n_test=100, live_n_train=64, live_epochs=1)


@pytest.mark.slow
def test_an_empty_store_completes_with_a_message_and_prose_that_says_runs_missing(notebook_runner, tmp_path):
    from rectifiers.prose import MISSING

    (tmp_path / "empty").mkdir()  # a store parameter must name an existing folder
    glued = notebook_runner(CHAPTER, results_dir=str(tmp_path / "empty"), live_n_train=64, live_epochs=1)
    assert glued["gan_verdict"] == glued["gan_relu_fd"] == MISSING  # no traceback: Run All completes
    assert glued["live_epochs"] == 1  # what does not need the runs is still computed


@pytest.mark.slow
def test_train_mode_glues_what_the_stored_runs_say(notebook_runner, tmp_path):
    from rectifiers.engine import ResultsStore
    from rectifiers.experiments import gan

    root = tmp_path / "store"
    root.mkdir()  # a store parameter must name an existing folder
    glued = notebook_runner(CHAPTER, results_dir=str(root), **TINY)
    records = gan.load_records(gan.study(seeds=[0, 1], epochs=[1, 2], n_train=128, n_test=100), ResultsStore(root))
    assert len(records) == 6 and glued["gan_seeds"] == 2 and glued["gan_epochs"] == 2
    expected = gan.verdict_values(records)
    assert glued["gan_relu_fd"] == pytest.approx(expected["gan_relu_fd"])
    assert glued["gan_diff_leaky02_vs_relu"] == pytest.approx(expected["gan_diff_leaky02_vs_relu"])
    assert glued["gan_recommendation"] == expected["gan_recommendation"]
    assert expected["gan_recommendation"].split(" ")[0].rstrip(":") in ("either", "prefer", "avoid", "neither", "unclear")
    assert glued["gan_verdict"] == expected["gan_verdict"] and "Over 2 seeds per setting" in glued["gan_verdict"]
    # The stored mode reads the same runs and trains nothing more.
    again = notebook_runner(CHAPTER, results_dir=str(root), **{**TINY, "mode": "stored"})
    assert again["gan_verdict"] == glued["gan_verdict"] and len(list((root / "runs").glob("*.json"))) == 6


@pytest.mark.slow
def test_stored_mode_names_what_is_missing(notebook_runner, tmp_path):
    import nbformat

    from rectifiers.prose import MISSING

    (tmp_path / "empty").mkdir()
    glued = notebook_runner(CHAPTER, results_dir=str(tmp_path / "empty"), **{**TINY, "mode": "stored"})
    assert glued["gan_verdict"] == MISSING  # the chapter completes, and says which runs and which command
    printed = "".join(o.get("text", "") for c in nbformat.read(tmp_path / f"{CHAPTER}.out.ipynb", 4).cells
                      for o in c.get("outputs", []))
    assert "6 run(s) not trained" in printed and "python -m rectifiers study" in printed


@pytest.mark.slow
@pytest.mark.parametrize("parameters, message", [
    (dict(mode="fast"), "parameter 'mode' must be one of 'stored', 'train'"),
    (dict(seeds=[0]), "parameter 'seeds'"),
    (dict(epochs=[5, 1]), "parameter 'epochs' must be a list of strictly increasing numbers"),
])
def test_bad_parameters_fail_clearly(notebook_runner, parameters, message):
    with pytest.raises(papermill.PapermillExecutionError, match=message):
        notebook_runner(CHAPTER, **parameters)
