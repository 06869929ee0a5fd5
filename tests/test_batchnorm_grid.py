"""Chapter 8's BatchNorm grid: the seed CNN without and with BatchNorm at Chapter 5's learning rates, side by side."""

from __future__ import annotations

import pytest

from rectifiers.experiments import batchnorm_grid, learning_rates


def record(model: str, lr: float, setting: str, seed: int, accuracy: float, dead: float = 0.5) -> dict:
    """A minimal stored run of the learning-rate grid (Adam, 20 epochs of 5,000 images)."""
    activation, alpha = ("relu", 0.01) if setting == "ReLU" else ("leaky_relu", float(setting.split("=")[1]))
    final = {"train_accuracy": accuracy, "test_accuracy": accuracy}
    return {"key": f"{model}-{lr}-{setting}-{seed}", "status": "complete",
            "experiment": {"n_train": 5000, "n_test": 2000},
            "config": {"model": model, "optimizer": "adam", "learning_rate": lr, "activation": activation,
                       "alpha": alpha, "seed": seed, "epochs": [20], "batch_size": 32, "test_every": 1},
            "snapshots": [final], "segments": [{"wall_s": 1.0}],
            "probes": {"dead_units": [{"epoch": 20, "dead_fraction": [dead], "dead_masks": [[1, 0]] if dead else [[0, 0]]}]}}


def grid() -> list[dict]:
    """Ten seeds per cell. Plain CNN at 0.05: ReLU fails in 7 (training accuracy 0.1), Leaky ReLU α=0.1 in none. With
    BatchNorm nothing fails. At 0.01 everything trains."""
    out = []
    for seed in range(10):
        jitter = 0.001 * seed
        for model in ("seed_cnn", "seed_cnn_bn"):
            out.append(record(model, 0.01, "ReLU", seed, 0.96 + jitter))
            out.append(record(model, 0.01, "Leaky ReLU α=0.1", seed, 0.961 + jitter))
        out.append(record("seed_cnn", 0.05, "ReLU", seed, 0.1 if seed < 7 else 0.9 + jitter))
        out.append(record("seed_cnn", 0.05, "Leaky ReLU α=0.1", seed, 0.93 + jitter))
        out.append(record("seed_cnn_bn", 0.05, "ReLU", seed, 0.97 + jitter, dead=0.0))
        out.append(record("seed_cnn_bn", 0.05, "Leaky ReLU α=0.1", seed, 0.971 - jitter, dead=0.0))
    return out


def test_the_two_models_are_set_side_by_side_seed_by_seed():
    runs = learning_rates.frame(grid())
    side = batchnorm_grid.side_by_side(runs)
    assert list(zip(side.learning_rate, side.setting))[:2] == [(0.05, "ReLU"), (0.05, "Leaky ReLU α=0.1")]
    relu = side.iloc[0]
    assert (relu.plain_failed, relu.plain_runs, relu.bn_failed, relu.bn_runs) == (7, 10, 0, 10)
    assert relu.paired_seeds == 10
    plain = (7 * 0.1 + sum(0.9 + 0.001 * s for s in range(7, 10))) / 10
    assert relu.plain_accuracy == pytest.approx(plain)
    assert relu.gain == pytest.approx(sum(0.97 + 0.001 * s for s in range(10)) / 10 - plain)
    assert relu.gain_low > 0 and relu.plain_dead == pytest.approx(0.5) and relu.bn_dead == 0
    shown = batchnorm_grid.reader_table(side)
    plain_cell, bn_cell = (shown.iloc[0][c].replace("\u2060", "").replace("\xa0", " ")
                           for c in ("failed, plain", "failed, BatchNorm"))
    assert plain_cell == "7 of 10 [40–89 %]" and bn_cell == "0 of 10 [0–28 %]" and shown.iloc[1].setting == "α=0.1"


def test_the_story_gives_relus_failures_and_the_verdict_without_and_with_batchnorm():
    runs = learning_rates.frame(grid())
    judged = learning_rates.verdicts(runs)
    text = batchnorm_grid.story(batchnorm_grid.side_by_side(runs), judged)
    high = text.split(". ")[0]
    assert high.startswith("Adam at 0.05: without BatchNorm ReLU failed in 7 of 10 runs")
    plain = judged[(judged.model == "seed_cnn") & (judged.learning_rate == 0.05)].recommendation.iloc[0]
    assert plain.startswith("prefer Leaky ReLU") and f"“{plain}”" in high
    assert "with BatchNorm ReLU failed in 0 of 10 runs" in high and "no setting failed" in high


def test_the_figure_draws_both_models_per_cell_and_its_slider_picks_the_cell():
    from rectifiers.figures.batchnorm import side_by_side_figure

    side = batchnorm_grid.side_by_side(learning_rates.frame(grid()))
    figure = side_by_side_figure(side)
    assert len(figure.data) == 8  # two cells × two models × (failures, accuracy)
    assert [t.name for t in figure.data if t.showlegend] == ["without BatchNorm", "with BatchNorm"]
    assert [t.visible for t in figure.data] == [True] * 4 + [False] * 4
    steps = figure.layout.sliders[0].steps
    assert [s.label for s in steps] == ["Adam 0.05", "Adam 0.01"]
    assert steps[1].args[0]["visible"] == [False] * 4 + [True] * 4
    assert list(figure.layout.xaxis2.ticktext) == ["ReLU", "α=0.1"]
    relu_failed = figure.data[0]
    assert relu_failed.y[0] == pytest.approx(0.7) and "7 of 10 failed" in relu_failed.text[0]
    with pytest.raises(ValueError, match="no optimiser has both"):
        side_by_side_figure(side.iloc[0:0])


def test_an_unknown_optimiser_is_named_and_an_empty_store_says_what_to_train(tmp_path):
    from rectifiers.engine import ResultsStore

    with pytest.raises(ValueError, match="optimizer must be one of adam, sgd, not 'rmsprop'"):
        batchnorm_grid.study_paths("rmsprop")
    store = ResultsStore(tmp_path)
    assert batchnorm_grid.stored(store) == {}
    text = batchnorm_grid.open_text({}, store)
    assert text.startswith("The grid with Adam is not stored yet (train studies/ch5_lr_cnn_adam_long.yaml, ")
    assert "; the grid with plain SGD is not stored yet" in text and text.endswith("python -m rectifiers study FILE).")
    shown = {o: [{"config": {"model": "seed_cnn_bn", "activation": "prelu"}}] for o in ("adam", "sgd")}
    assert batchnorm_grid.open_text(shown, store) == ""
    partly = {"adam": [{"config": {"model": "seed_cnn_bn", "activation": "relu"}}]}  # without PReLU with BatchNorm
    assert batchnorm_grid.open_text(partly, store).startswith(
        "PReLU with BatchNorm and Adam is not stored yet (train studies/ch8_lr_bncnn_prelu_adam.yaml with ")
    with pytest.raises(FileNotFoundError, match="python -m rectifiers study studies/ch8_lr_bncnn_adam.yaml"):
        batchnorm_grid.guide_evidence(store)


def test_the_stored_adam_grid_batchnorm_removes_relus_failures_at_a_high_learning_rate():
    have = batchnorm_grid.stored(optimizers=("adam",))
    if "adam" not in have:
        pytest.skip("the BatchNorm grid with Adam is not stored in this checkout")
    runs = learning_rates.frame(have["adam"])
    side = batchnorm_grid.side_by_side(runs).set_index(["learning_rate", "setting"])
    relu = side.loc[(0.05, "ReLU")]
    assert (relu.plain_failed, relu.bn_failed, relu.plain_runs, relu.bn_runs) == (7, 0, 10, 10)
    assert relu.gain_low > 0.3  # every seed counted: BatchNorm's ReLU ends far above the plain one's
    judged = learning_rates.verdicts(runs).set_index(["model", "learning_rate"]).recommendation
    assert judged["seed_cnn", 0.05].startswith("prefer Leaky ReLU") and judged["seed_cnn_bn", 0.05] == "either"
    rows = [r for r in batchnorm_grid.guide_evidence() if r["optimizer"] == "adam"]
    assert [r["situation"].split(" (")[0] for r in rows] == ["a CNN with BatchNorm, learning rate 0.05, Adam",
                                                             "a CNN with BatchNorm, learning rate 0.01, Adam"]
    assert rows[0]["situation"].endswith("(MNIST, 5,000 images, 20 epochs, 3,140 steps)")
    assert "Without BatchNorm, the same seeds: ReLU failed in 7 of 10 runs" in rows[0]["evidence"]
    assert "studies/ch8_lr_bncnn_adam.yaml" in rows[0]["studies"]


def test_the_answer_says_whether_batchnorm_removed_relus_failures_cell_by_cell():
    runs = learning_rates.frame(grid())
    judged = learning_rates.verdicts(runs)
    text = batchnorm_grid.answer(batchnorm_grid.side_by_side(runs), judged)
    plain, normalised = (judged[(judged.model == m) & (judged.learning_rate == 0.05)].recommendation.iloc[0]
                         for m in ("seed_cnn", "seed_cnn_bn"))
    assert plain.startswith("prefer Leaky ReLU") and not normalised.startswith("prefer Leaky ReLU")
    assert text == (f"Yes. With Adam at 0.05 it did (ReLU failed in 7 of 10 runs without BatchNorm and 0 of 10 with "
                    f"it), and the verdict went from “{plain}” to “{normalised}”. With Adam at 0.01 no ReLU run failed "
                    f"with or without BatchNorm.")
    # BatchNorm's ReLU fails too in 4 seeds while Leaky ReLU trains in every one: the answer is "no" and says so.
    kept = [dict(r, snapshots=[{"train_accuracy": 0.1, "test_accuracy": 0.1}])
            if r["config"]["model"] == "seed_cnn_bn" and r["config"]["learning_rate"] == 0.05
            and r["config"]["activation"] == "relu" and r["config"]["seed"] < 4 else r for r in grid()]
    runs = learning_rates.frame(kept)
    text = batchnorm_grid.answer(batchnorm_grid.side_by_side(runs), learning_rates.verdicts(runs))
    assert text.startswith("No. With Adam at 0.05 it did not (ReLU failed in 7 of 10 runs without BatchNorm and 4 of "
                           "10 with it; Leaky ReLU α=0.1 failed in 0 of 10 with BatchNorm and 0 of 10 without)")
    calm = [r for r in grid() if r["config"]["learning_rate"] == 0.01]
    runs = learning_rates.frame(calm)
    assert batchnorm_grid.answer(batchnorm_grid.side_by_side(runs), learning_rates.verdicts(runs)) == (
        "No ReLU run failed with or without BatchNorm (with Adam at 0.01): there was nothing to remove.")


def test_the_stored_sgd_grid_batchnorm_keeps_relus_failures_at_plain_sgd_1():
    have = batchnorm_grid.stored(optimizers=("sgd",))
    if "sgd" not in have:
        pytest.skip("the BatchNorm grid with plain SGD is not stored in this checkout")
    runs = learning_rates.frame(have["sgd"])
    side = batchnorm_grid.side_by_side(runs).set_index(["learning_rate", "setting"])
    relu, leaky = side.loc[(1.0, "ReLU")], side.loc[(1.0, "Leaky ReLU α=0.01")]
    assert (relu.plain_failed, relu.bn_failed, relu.bn_runs) == (10, 10, 10)
    assert (leaky.plain_failed, leaky.bn_failed, leaky.bn_runs) == (5, 0, 10)
    judged = learning_rates.verdicts(runs)
    verdict = judged.set_index(["model", "learning_rate"]).recommendation
    assert verdict["seed_cnn_bn", 1.0].startswith("prefer Leaky ReLU α=0.01")
    text = batchnorm_grid.answer(batchnorm_grid.side_by_side(runs), judged)
    assert text.startswith("No. With plain SGD at 1 it did not (ReLU failed in 10 of 10 runs without BatchNorm and "
                           "10 of 10 with it; Leaky ReLU α=0.01 failed in 0 of 10 with BatchNorm and 5 of 10 without)")
    assert text.endswith("With plain SGD at 0.3 no ReLU run failed with or without BatchNorm.")
    rows = {r["situation"].split(" (")[0]: r for r in batchnorm_grid.guide_evidence() if r["optimizer"] == "sgd"}
    high = rows["a CNN with BatchNorm, learning rate 1, plain SGD"]
    assert high["category"] == "prefer" and "ReLU failed in 10 of 10 runs" in high["evidence"]
    assert rows["a CNN with BatchNorm, learning rate 0.3, plain SGD"]["category"] == "either"
