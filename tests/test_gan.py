"""Chapter 5's GAN: the engine's dcgan family and GANTrainer (pairing, exact resume, metrics, the judge's pinned
key), the analysis (failure rule, paired differences, the decision guide's entry) and its figures."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest

from rectifiers import gan_metrics
from rectifiers.engine import ResultsStore, RunConfig, train
from rectifiers.engine import gan as engine_gan
from rectifiers.experiments import gan, gan_text

TINY = dict(model="dcgan", epochs=(1, 2), n_train=128, n_test=100, batch_size=64, learning_rate=2e-4,
            probes=("generated_digits",), probe_every=2, test_every=0, keep_weights="none")


# --- metrics -------------------------------------------------------------------------------------------------------


def test_frechet_distance_of_gaussians():
    rng = np.random.default_rng(0)
    sigma = np.cov(rng.normal(size=(500, 4)), rowvar=False)
    assert gan_metrics.frechet_distance(np.zeros(4), sigma, np.zeros(4), sigma) == pytest.approx(0, abs=1e-8)
    # 1-D: (μ1 − μ2)² + σ1² + σ2² − 2 σ1 σ2 = 1 + 1 + 4 − 4 = 2.
    assert gan_metrics.frechet_distance(np.zeros(1), np.eye(1), np.ones(1), 4 * np.eye(1)) == pytest.approx(2.0)
    # Diagonal: the sum over coordinates of the 1-D distances.
    d = gan_metrics.frechet_distance(np.zeros(2), np.diag([1.0, 9.0]), np.array([0.0, 2.0]), np.diag([4.0, 1.0]))
    assert d == pytest.approx((1 + 4 - 4) + (4 + 9 + 1 - 6))


def test_coverage_and_label_entropy():
    uniform = np.repeat(np.arange(10), 100)
    assert gan_metrics.coverage(uniform) == 10
    assert gan_metrics.label_entropy(uniform) == pytest.approx(np.log2(10))
    one_digit = np.full(1000, 3)
    assert gan_metrics.coverage(one_digit) == 1 and gan_metrics.label_entropy(one_digit) == 0.0
    # 19 of 1,000 images (1.9 %) are below the 2 % share: not covered; 20 are.
    labels = np.concatenate([np.full(961, 0), np.full(19, 1), np.full(20, 2)])
    assert gan_metrics.coverage(labels) == 2


def test_the_judges_pinned_key_is_the_run_of_its_study():
    from rectifiers.engine import load_run_data, load_study, run_key
    from rectifiers.engine.judge import JUDGE, JUDGE_KEY, judge_record
    from rectifiers.engine.study import REPOSITORY

    (config,) = [c for c in load_study(REPOSITORY / JUDGE["study"]).configs()
                 if (c.activation, c.seed) == (JUDGE["activation"], JUDGE["seed"])]
    assert run_key(config, load_run_data(config)) == JUDGE_KEY
    record = judge_record()
    assert record["key"] == JUDGE_KEY and JUDGE["epoch"] in [s["epoch"] for s in record["snapshots"]]


# --- the engine: pairing and exact resume --------------------------------------------------------------------------


def test_paired_runs_start_from_the_same_weights_and_differ_only_in_the_activation():
    from rectifiers.engine.trainers import make_trainer

    relu = make_trainer(RunConfig(activation="relu", seed=3, **TINY))
    leaky = make_trainer(RunConfig(activation="leaky_relu", alpha=0.2, seed=3, **TINY))
    other = make_trainer(RunConfig(activation="relu", seed=4, **TINY))
    for a, b, c in zip(relu.model.variables, leaky.model.variables, other.model.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert any(not np.array_equal(a.numpy(), c.numpy()) for a, c in zip(relu.model.variables,
                                                                       other.model.variables))
    assert leaky.discriminator.get_layer("act1").negative_slope == pytest.approx(0.2)
    assert relu.generator.get_layer("relu1") is not None  # the generator is ReLU in every run


def test_the_plain_family_drops_the_discriminators_batch_norm_and_uses_adams_own_momentum():
    from rectifiers.engine.trainers import make_trainer

    plain = make_trainer(RunConfig(activation="leaky_relu", alpha=0.2, seed=3, **{**TINY, "model": "dcgan_plain"}))
    dcgan = make_trainer(RunConfig(activation="leaky_relu", alpha=0.2, seed=3, **TINY))
    layers = lambda t: [layer.name for layer in t.discriminator.layers]  # noqa: E731
    assert "bn2" in layers(dcgan) and "bn2" not in layers(plain)
    assert plain.discriminator.get_layer("conv2").use_bias and not dcgan.discriminator.get_layer("conv2").use_bias
    for name in ("conv1", "conv2", "logit"):  # the same seed starts from the same kernels in both families
        np.testing.assert_array_equal(plain.discriminator.get_layer(name).kernel.numpy(),
                                      dcgan.discriminator.get_layer(name).kernel.numpy())
    for a, b in zip(plain.generator.variables, dcgan.generator.variables):  # the generator is the same
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert plain.d_optimizer.beta_1 == plain.g_optimizer.beta_1 == 0.9 and dcgan.d_optimizer.beta_1 == 0.5


@pytest.fixture(scope="module")
def tiny_runs(tmp_path_factory):
    """A ReLU and a Leaky ReLU (0.2) run of seed 0, and the ReLU run trained again in two sessions."""
    root = tmp_path_factory.mktemp("gan")
    relu = train(RunConfig(activation="relu", seed=0, **TINY), store=ResultsStore(root / "a"), progress=False)
    leaky = train(RunConfig(activation="leaky_relu", alpha=0.2, seed=0, **TINY), store=ResultsStore(root / "a"),
                  progress=False)
    split = ResultsStore(root / "b")
    train(RunConfig(activation="relu", seed=0, **TINY), store=split, until_epoch=1, progress=False)
    resumed = train(RunConfig(activation="relu", seed=0, **TINY), store=split, progress=False)
    return relu, leaky, resumed


def test_a_resumed_gan_run_repeats_the_uninterrupted_one(tiny_runs):
    relu, _, resumed = tiny_runs
    assert len(resumed["segments"]) == 2 and relu["status"] == resumed["status"] == "complete"
    for name in ("train_d_loss", "train_g_loss", "train_d_real", "train_d_fake"):
        assert resumed["history"][name] == relu["history"][name]
    assert resumed["snapshots"][-1]["test_frechet"] == relu["snapshots"][-1]["test_frechet"]
    assert resumed["probes"] == relu["probes"]


def test_a_gan_record_holds_losses_metrics_and_digit_grids(tiny_runs):
    from rectifiers.figures.gan import decode_grid

    relu, leaky, _ = tiny_runs
    assert relu["key"].startswith("mnist-dcgan-relu-s0-") and leaky["key"].startswith("mnist-dcgan-leaky_relu-a0.2")
    assert relu["experiment"]["family_constants"]["judge"]["epoch"] == engine_gan.JUDGE["epoch"]
    snap = relu["snapshots"][-1]
    assert set(snap) >= {f"{p}_{m}" for p in ("train", "test") for m in engine_gan.GANTrainer.EVAL_METRICS}
    assert snap["test_frechet"] > 0 and 1 <= snap["test_coverage"] <= 10
    rows = relu["probes"]["generated_digits"]
    assert [r["epoch"] for r in rows] == [0, 1, 2]
    assert decode_grid(rows[-1]["png"]).shape == (140, 140)
    # Same seed, same batches and noise: the first discriminator step sees the same images, yet the activation
    # changes what the discriminator computes.
    assert relu["history"]["train_d_loss"] != leaky["history"]["train_d_loss"]


# --- the analysis: failure rule, paired differences, recommendation ------------------------------------------------


def _fake_study(template, frechet: dict[str, list[float]], coverage=None):
    """Records shaped like the study's, with the given final Fréchet distances per setting and seed."""
    records = []
    for name, values in frechet.items():
        for seed, value in enumerate(values):
            r = copy.deepcopy(template)
            r["config"]["seed"] = seed
            r["config"]["activation"] = "relu" if name == "ReLU" else "leaky_relu"
            r["config"]["alpha"] = 0.01 if name == "ReLU" else float(name.split("=")[1][:-1])
            r["snapshots"][-1]["test_frechet"] = value
            r["snapshots"][-1]["test_coverage"] = (coverage or {}).get((name, seed), 10.0)
            r["snapshots"][-1]["test_d_accuracy"] = 0.8
            records.append(r)
    return records


def test_failure_rule(tiny_runs):
    relu, *_ = tiny_runs
    (ok, collapsed) = _fake_study(relu, {"ReLU": [10.0, 10.0]}, coverage={("ReLU", 1): 7.0})
    assert not gan.failed(ok) and gan.failed(collapsed)
    lost = copy.deepcopy(ok)
    lost["snapshots"][-1]["test_d_accuracy"] = 0.995
    assert gan.failed(lost)
    diverged = {**copy.deepcopy(ok), "status": "diverged"}
    assert gan.failed(diverged)
    with pytest.raises(ValueError, match="only an ended run"):
        gan.failed({**copy.deepcopy(ok), "status": "partial"})


def test_paired_differences_and_the_recommendation_follow_the_data(tiny_runs):
    relu, *_ = tiny_runs
    clear = _fake_study(relu, {"ReLU": [30, 32, 35, 31, 33], "Leaky ReLU (α=0.01)": [29, 33, 34, 32, 32],
                               "Leaky ReLU (α=0.2)": [20, 21, 26, 22, 23]})
    diffs = gan.paired_differences(clear).set_index("comparison")
    row = diffs.loc["Leaky ReLU (α=0.2) − ReLU"]
    assert row["mean difference"] == pytest.approx(-9.8) and row.high < 0 and row["a lower"] == 5
    assert "Leaky ReLU (α=0.2) − Leaky ReLU (α=0.01)" in diffs.index
    choice, rule = gan.recommendation(clear)
    assert choice == "prefer Leaky ReLU (α=0.2)" and "decision procedure" in rule

    noisy = _fake_study(relu, {"ReLU": [30, 20, 35, 25, 33], "Leaky ReLU (α=0.01)": [29, 33, 24, 32, 30],
                               "Leaky ReLU (α=0.2)": [31, 22, 30, 27, 35]})
    assert gan.recommendation(noisy)[0] == "either"
    worse = _fake_study(relu, {"ReLU": [20, 21, 22, 23, 24], "Leaky ReLU (α=0.01)": [30, 31, 33, 34, 35],
                               "Leaky ReLU (α=0.2)": [25, 27, 26, 28, 30]})
    assert gan.recommendation(worse)[0].startswith("prefer ReLU")
    values = gan_text.verdict_values(worse)
    assert values["gan_recommendation"].startswith("prefer ReLU") and "prefer ReLU" in values["gan_verdict"]
    assert "go against the DCGAN habit" in values["gan_folk_wisdom"]
    # A collapsed run keeps its Fréchet distance (intention to treat) and counts as a failure for McNemar.
    judged = gan.gan_decision(_fake_study(relu, {"ReLU": [30] * 5, "Leaky ReLU (α=0.2)": [31] * 5},
                                          coverage={("Leaky ReLU (α=0.2)", s): 5.0 for s in range(5)}))
    assert judged.comparisons.iloc[0].alternative_failed == 5 and set(judged.at_band) == {"6 digits, 0.995",
                                                                                         "8 digits, 0.98"}
    assert values["gan_diff_leaky02_vs_relu"] == pytest.approx(5.2)


def test_figures_draw_every_run_and_their_sliders_agree(tiny_runs):
    from rectifiers.figures import gan as plots

    relu, leaky, _ = tiny_runs
    records = [relu, leaky]
    grid = plots.sample_grid_figure(records)
    assert len(grid.data) == 2 and all(d.source.startswith("data:image/png;base64,") for d in grid.data)
    assert "epoch 2" in grid.layout.title.text and not grid.layout.sliders
    strip = plots.sample_epochs_figure(records, seed=relu["config"]["seed"])
    assert len(strip.data) == 2 * 1 and strip.layout.annotations[0].text == "epoch 1"  # between untrained and last
    quality = plots.quality_figure(records)
    assert len(quality.layout.sliders[0].steps) == 3
    for step in quality.layout.sliders[0].steps:
        assert len(step.args[0]["visible"]) == len(quality.data)
    losses = plots.loss_figure(records)
    assert [s.label for s in losses.layout.sliders[0].steps] == ["0"]


# --- the decision guide ---------------------------------------------------------------------------------------------


def test_guide_evidence_from_the_stored_studies():
    rows = gan.guide_evidence()
    stored = [name for name in gan.REGIMES if gan.REGIMES[name].section in {r["section"] for r in rows}]
    assert "standard" in stored, "the standard regime's study is not stored"
    assert [paths for _, paths in gan.unmeasured()] == [(gan.REGIMES[r].study,) for r in gan.REGIMES if r not in stored]
    for name, entry in zip(stored, rows):
        regime = gan.REGIMES[name]
        records = gan.load_records(gan.study(name))
        assert set(entry) >= {"situation", "recommendation", "evidence", "seeds", "section", "studies"}
        assert entry["situation"] == (f"GAN discriminator, {regime.training}, {regime.normalisation} "
                                      f"({gan.budget_text(records)})")
        assert entry["section"] == regime.section and entry["studies"] == [regime.study]
        assert entry["seeds"] >= 8 and gan.budget(records)["epochs"] >= 30
        assert entry["recommendation"] == gan.recommendation(records)[0]
        assert all(words in entry["evidence"] for words in ("Fréchet distance", "95 % CI", "Holm"))
    assert rows[0]["situation"].startswith("GAN discriminator, DCGAN's Adam 2e-4, β1 0.5, BatchNorm (5,000 images, 60 "
                                           "epochs, 4,680 updates)")


def test_the_fresh_pair_explorer_trains_only_when_asked():
    from rectifiers.data import load_dataset
    from rectifiers.widgets.gan import fresh_pair_explorer

    data = load_dataset("mnist", n_train=128, n_test=50, seed=0)
    box = fresh_pair_explorer(data, epochs=(1,), seed=0, setting="ReLU")
    assert box.output.outputs == () and "Press Train" in box.busy.value  # a book build trains nothing
    box.button.click()  # without a kernel the training runs at once
    (shown,) = box.output.outputs
    assert "ReLU, seed 0" in str(shown["data"]["application/vnd.plotly.v1+json"]["layout"]["title"])
    assert any((Path(box.store.root) / "runs").glob("*.json"))  # trained into the scratch store, not results/
    assert box.training.progress.value == box.training.progress.max == 1 and box.busy.value.startswith("Done: ReLU")
    box.children[0].children[1].value = 3  # another seed: the figure says it is out of date until Train
    assert box.busy.value.startswith("Out of date: the figure shows ReLU, seed 0, DCGAN's settings; press Train for "
                                     "ReLU, seed 3, DCGAN's settings")
    box.children[0].children[2].value = "stressed"  # the other regime: its learning rate
    assert box.busy.value.endswith("press Train for ReLU, seed 3, ten times DCGAN's learning rate.")


# --- three regimes: studies, every seed counted, the chapter's sentences ----------------------------------------------


def test_each_regime_is_a_study_and_settings_are_checked_before_any_work():
    assert [gan.study(r).source for r in gan.REGIMES] == ["studies/ch5_gan_long.yaml", "studies/ch5_gan_stressed.yaml",
                                                           "studies/ch5_gan_unnormalised.yaml"]
    standard, stressed, plain = gan.study("standard"), gan.study("stressed"), gan.study("unnormalised")
    assert standard.settings["learning_rate"] == pytest.approx(2e-4)
    assert stressed.settings["learning_rate"] == pytest.approx(10 * standard.settings["learning_rate"])
    assert plain.settings["learning_rate"] == pytest.approx(15 * standard.settings["learning_rate"])
    assert (standard.settings["model"], stressed.settings["model"], plain.settings["model"]) == (
        "dcgan", "dcgan", "dcgan_plain")
    assert len(standard.seeds) >= 8 and len(stressed.seeds) >= 10 and len(plain.seeds) >= 10
    assert min(s.settings["epochs"][-1] for s in (standard, stressed, plain)) >= 30
    custom = gan.study("stressed", {"seeds": [0, 1], "n_train": 0})
    assert custom.name == "ch5_gan_stressed_custom" and custom.seeds == (0, 1) and custom.settings["n_train"] is None
    with pytest.raises(ValueError, match="GAN regime 'calm' is not one of 'standard', 'stressed', 'unnormalised'"):
        gan.study("calm")
    with pytest.raises(ValueError, match="parameter 'settings': 'seeds' must list at least 2 distinct seeds"):
        gan.study("standard", {"seeds": [3, 3]})
    with pytest.raises(ValueError, match="parameter 'settings': 'n_test' must be an integer ≥ 0"):
        gan.study("standard", {"n_test": -1})


def test_a_diverged_seed_counts_with_the_regimes_worst_distance(tiny_runs):
    relu, *_ = tiny_runs
    runs = _fake_study(relu, {"ReLU": [30, 32, 35], "Leaky ReLU (α=0.2)": [20, 21, 26]})
    runs[1]["status"] = "diverged"  # ReLU, seed 1: no final distance
    final = gan.final_values(runs)
    assert final.loc[1, "ReLU"] == 35  # the worst final distance of the regime
    row = gan.paired_differences(runs).iloc[0]
    assert row.seeds == 3 and row["mean difference"] == pytest.approx(((20 - 30) + (21 - 35) + (26 - 35)) / 3)


def test_convergence_reads_the_last_two_intervals_of_the_runs_that_did_not_fail(tiny_runs):
    relu, *_ = tiny_runs
    runs = _fake_study(relu, {"ReLU": [2.0, 2.2], "Leaky ReLU (α=0.2)": [1.8, 2.4]})
    for r in runs:
        last = r["snapshots"][-1]
        r["snapshots"] = [{**last, "epoch": 10, "test_frechet": last["test_frechet"] + 3.0},
                          {**last, "epoch": 20, "test_frechet": last["test_frechet"] + 0.2}, last]
    numbers = gan.convergence(runs)
    assert numbers["runs"] == 4 and numbers["epochs"] == (10, 20, 2)
    assert numbers["median_before"] == pytest.approx(-2.8) and numbers["median_last"] == pytest.approx(-0.2)
    assert numbers["still_falling"] == 1.0
    text = gan_text.convergence_text(numbers)
    assert "changed by −2.80 from epoch 10 to 20 and by −0.20" in text and "levelled off" in text  # 0.2 of 2.1
    assert "still improving" in gan_text.convergence_text({**numbers, "median_last": -0.3})  # over a tenth of 2.1
    assert "getting worse" in gan_text.convergence_text({**numbers, "median_last": 0.3})


def test_a_regime_without_its_runs_says_how_far_training_got(tmp_path):
    values = gan_text.chapter_values("stressed", None, store=ResultsStore(tmp_path))
    assert values["gan_stressed_setup"].startswith("The runs of this regime are not all stored yet (0 of 30)")
    assert "`python -m rectifiers study studies/ch5_gan_stressed.yaml`" in values["gan_stressed_setup"]
    assert values["gan_stressed_verdict"] == values["gan_stressed_convergence"] == ""
    assert [paths for _, paths in gan.unmeasured(ResultsStore(tmp_path))] == [
        ("studies/ch5_gan_long.yaml",), ("studies/ch5_gan_stressed.yaml",), ("studies/ch5_gan_unnormalised.yaml",)]


def test_a_regimes_sentences_carry_its_budget_and_verdict(tiny_runs):
    relu, *_ = tiny_runs
    runs = _fake_study(relu, {"ReLU": [30, 32, 35, 31, 33], "Leaky ReLU (α=0.2)": [20, 21, 26, 22, 23]})
    values = gan_text.chapter_values("standard", runs)
    assert values["gan_standard_setup"].startswith("DCGAN's Adam 2e-4, β1 0.5: 5 paired seeds per discriminator, "
                                                   "128 images, 2 epochs, 4 updates of each network")
    assert values["gan_standard_conclusion"].endswith("gives: prefer Leaky ReLU (α=0.2).")
    assert "the data support the DCGAN habit" in values["gan_standard_conclusion"]
    assert values["gan_standard_conclusion"].startswith("No run of this regime failed (0 of 10): the failure counts")
    table = gan_text.summary_table({"standard": runs})
    assert list(table.regime.unique()) == ["DCGAN's settings"] and table.iloc[0, -1] == "prefer Leaky ReLU (α=0.2)"
    runs[0]["status"] = "diverged"  # one failed run: the failure counts could tell
    assert gan_text.chapter_values("standard", runs)["gan_standard_conclusion"].startswith("So in this experiment")


def test_the_training_figures_keep_the_page_light(tiny_runs):
    from rectifiers.figures import gan as plots

    relu, leaky, _ = tiny_runs
    runs = []
    for seed in range(6):
        for r in (relu, leaky):
            runs.append(copy.deepcopy(r))
            runs[-1]["config"]["seed"] = seed
    grid, strip, quality, losses = plots.training_figures(runs, regime="DCGAN's settings")
    assert len(grid.data) == 2 * plots.GRID_SEEDS  # not every seed's grid: the explorer has them
    assert grid.layout.title.text == "DCGAN's settings: generated digits at epoch 2"
    assert quality.layout.title.text.startswith("DCGAN's settings: sample quality")
    assert plots.paired_figure(runs, regime="ten times DCGAN's learning rate").layout.title.text.startswith(
        "Ten times DCGAN's learning rate: final Fréchet distance")
    assert len(quality.data) == 3 * (2 + 2)  # per measure and setting: its seeds' lines in one trace, and its mean
    relu_runs = quality.data[0]  # the Fréchet distance of every ReLU seed, runs apart by a gap
    assert np.isnan(relu_runs.y).sum() == 6 and len(relu_runs.y) == 6 * (len(relu["snapshots"]) + 1)
    assert relu_runs.text[:len(relu["snapshots"])] == ("seed 0",) * len(relu["snapshots"])
    assert [s.label for s in losses.layout.sliders[0].steps] == [str(s) for s in range(plots.GRID_SEEDS)]


def test_without_any_stored_regime_the_guide_is_told_which_runs_are_missing(tmp_path):
    with pytest.raises(FileNotFoundError, match="python -m rectifiers study studies/ch5_gan_long.yaml"):
        gan.guide_evidence(ResultsStore(tmp_path))


def test_the_final_table_counts_every_seed_and_says_what_diverged(tiny_runs):
    relu, *_ = tiny_runs
    runs = _fake_study(relu, {"ReLU": [30, 32, 35], "Leaky ReLU (α=0.2)": [20, 21, 26]})
    runs[1]["status"] = "diverged"  # ReLU, seed 1
    table = gan.final_table(runs).set_index("setting")
    assert table.loc["ReLU", "Fréchet distance"] == pytest.approx((30 + 35 + 35) / 3)  # the diverged seed at the worst
    assert table.loc["ReLU", "ended"] == 2 and table.loc["ReLU", "failed"] == 1
    reading = gan.final_table_for_reading(runs).set_index("discriminator")
    assert reading.loc["ReLU", "digits covered (mean, fewest)"] == "10.0, 10 (2 not diverged)"
    assert "not diverged" not in reading.loc["Leaky ReLU (α=0.2)", "label entropy (bits)"]  # none diverged


def test_the_page_draws_grids_with_fewer_greys_and_few_epochs_in_a_strip(tiny_runs):
    import base64
    import io

    from PIL import Image

    from rectifiers.figures import gan as plots

    relu, leaky, _ = tiny_runs
    stored = relu["probes"]["generated_digits"][-1]["png"]
    page = np.asarray(Image.open(io.BytesIO(base64.b64decode(plots.page_png(stored)))).convert("L")).astype(int)
    full = plots.decode_grid(stored).astype(int)
    assert len(np.unique(page)) <= plots.PAGE_GREYS
    assert np.abs(page - full).max() <= 255 / (plots.PAGE_GREYS - 1) / 2 + 1  # the nearest of the levels
    runs = [copy.deepcopy(r) for r in (relu, leaky)]
    for r in runs:  # grids at epochs 0, 1, ..., 9: eight epochs between the untrained and the last
        r["probes"]["generated_digits"] = [{"epoch": e, "png": stored} for e in range(10)]
    strip = plots.sample_epochs_figure(runs, seed=0)
    assert [a.text for a in strip.layout.annotations[:plots.STRIP_EPOCHS]] == ["epoch 2", "epoch 5"][
        :plots.STRIP_EPOCHS]  # 2..8: spread over its first half


def test_the_gap_to_relu_is_read_at_every_snapshot_epoch(tiny_runs):
    relu, *_ = tiny_runs
    runs = _fake_study(relu, {"ReLU": [2.0, 2.0], "Leaky ReLU (α=0.2)": [2.5, 2.7]})
    for r in runs:
        last = r["snapshots"][-1]
        r["snapshots"] = [{**last, "epoch": 10, "test_frechet": last["test_frechet"] * 2}, {**last, "epoch": 20}]
    gaps = gan.gaps_over_training(runs)
    assert gaps.to_dict("records") == [{"setting": "Leaky ReLU (α=0.2)", "epoch": 10, "gap": pytest.approx(1.2),
                                        "seeds": 2},
                                       {"setting": "Leaky ReLU (α=0.2)", "epoch": 20, "gap": pytest.approx(0.6),
                                        "seeds": 2}]
    assert gan_text.gaps_sentence(gaps).endswith("Leaky ReLU (α=0.2) − ReLU +1.20 at 10, +0.60 at 20.")


def test_figure_values_go_into_the_page_as_float32(tiny_runs):
    from rectifiers.figures import gan as plots

    relu, leaky, _ = tiny_runs
    for figure in (plots.quality_figure([relu, leaky]), plots.loss_figure([relu, leaky])):
        assert {np.asarray(trace.y).dtype for trace in figure.data} == {np.dtype("float32")}


def test_the_discriminators_strength_is_read_from_runs_that_did_not_diverge(tiny_runs):
    relu, *_ = tiny_runs
    runs = _fake_study(relu, {"ReLU": [30, 32], "Leaky ReLU (α=0.2)": [20, 21]})
    runs[0]["status"] = "diverged"
    strength = gan.discriminator_strength(runs).set_index("setting")
    assert strength.loc["ReLU", "runs"] == 1 and strength.loc["ReLU", "d_accuracy"] == pytest.approx(0.8)
    assert strength.loc["ReLU", "d_loss"] == pytest.approx(relu["history"]["train_d_loss"][-1])
    text = gan_text.strength_sentence(strength.reset_index())
    assert "balanced accuracy of 0.80, 0.80" in text and "not something these runs test" in text
