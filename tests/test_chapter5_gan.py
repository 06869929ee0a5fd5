"""Chapter 5's GAN section run by papermill in train mode on a tiny study: its glued verdict agrees with the runs it
stored, a regime whose runs are missing says so, and bad parameters fail clearly."""

from __future__ import annotations

import papermill
import pytest

CHAPTER = "05_1_gan_discriminators"
SETTINGS = {"seeds": [0, 1], "epochs": [1, 2], "n_train": 128, "n_test": 100}
TINY = dict(mode="train", regimes=["standard"], settings=SETTINGS, live_n_train=64, live_epochs=1)


@pytest.mark.slow
def test_an_empty_store_completes_and_each_regime_says_how_far_its_training_got(notebook_runner, tmp_path):
    (tmp_path / "empty").mkdir()  # a store parameter must name an existing folder
    glued = notebook_runner(CHAPTER, results_dir=str(tmp_path / "empty"), live_n_train=64, live_epochs=1)
    assert "not all stored yet (0 of 24)" in glued["gan_standard_setup"]  # no traceback: Run All completes
    assert "not all stored yet (0 of 30)" in glued["gan_stressed_setup"]
    assert "python -m rectifiers study studies/ch5_gan_stressed.yaml" in glued["gan_stressed_setup"]
    assert "not all stored yet (0 of 30)" in glued["gan_unnormalised_setup"]
    assert glued["gan_standard_verdict"] == glued["gan_stressed_conclusion"] == ""  # no number without its runs
    assert glued["live_epochs"] == 1  # what does not need the runs is still computed


@pytest.mark.slow
def test_train_mode_glues_what_the_stored_runs_say(notebook_runner, tmp_path):
    from rectifiers.engine import ResultsStore
    from rectifiers.experiments import gan, gan_text

    root = tmp_path / "store"
    root.mkdir()  # a store parameter must name an existing folder
    glued = notebook_runner(CHAPTER, results_dir=str(root), **TINY)
    the_study = gan.study("standard", SETTINGS)
    assert the_study.name == "ch5_gan_long_custom"  # never mixed with the stored study's runs
    records = gan.load_records(the_study, ResultsStore(root))
    assert len(records) == 6
    expected = gan_text.chapter_values("standard", records)
    for name in ("setup", "convergence", "verdict", "dynamics", "conclusion"):
        assert glued[f"gan_standard_{name}"] == expected[f"gan_standard_{name}"]
    assert "2 paired seeds per discriminator, 128 images, 2 epochs, 4 updates" in glued["gan_standard_setup"]
    assert "Over 2 seeds per setting" in glued["gan_standard_verdict"]
    assert expected["gan_standard_recommendation"] in glued["gan_standard_conclusion"]
    assert "gan_stressed_setup" not in glued  # a regime not asked for is not computed
    # The stored mode reads the same runs and trains nothing more.
    again = notebook_runner(CHAPTER, results_dir=str(root), **{**TINY, "mode": "stored"})
    assert again["gan_standard_verdict"] == glued["gan_standard_verdict"]
    assert len(list((root / "runs").glob("*.json"))) == 6


@pytest.mark.slow
def test_stored_mode_names_what_is_missing(notebook_runner, tmp_path):
    import nbformat

    (tmp_path / "empty").mkdir()
    glued = notebook_runner(CHAPTER, results_dir=str(tmp_path / "empty"), **{**TINY, "mode": "stored"})
    assert "not all stored yet (0 of 6)" in glued["gan_standard_setup"]
    assert "train mode" in glued["gan_standard_setup"]  # a custom study is trained by the chapter, not by a study file
    printed = "".join(o.get("text", "") for c in nbformat.read(tmp_path / f"{CHAPTER}.out.ipynb", 4).cells
                      for o in c.get("outputs", []))
    assert "6 run(s) not trained" in printed and "python -m rectifiers study" in printed


@pytest.mark.slow
@pytest.mark.parametrize("parameters, message", [
    (dict(mode="fast"), "parameter 'mode' must be one of 'stored', 'train'"),
    (dict(regimes=["calm"]), "parameter 'regimes' must list at least 1 of 'standard', 'stressed', 'unnormalised'"),
    (dict(settings={"seed": [0]}), "parameter 'settings' has unknown key(s) 'seed'"),
    (dict(settings={"seeds": [0]}), "parameter 'settings': 'seeds' must list at least 2 distinct seeds"),
    (dict(settings={"epochs": [5, 1]}), "parameter 'settings': 'epochs' must be a list of strictly increasing"),
])
def test_bad_parameters_fail_clearly(notebook_runner, parameters, message):
    with pytest.raises(papermill.PapermillExecutionError, match=message.replace("(", r"\(").replace(")", r"\)")):
        notebook_runner(CHAPTER, **parameters)
