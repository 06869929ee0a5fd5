"""Chapter 5 (where Leaky ReLU wins): the analyses count what the runs say, the rule picks from the data, and the
chapter runs end to end in train mode on a tiny grid."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from conftest import ROOT

CHAPTER = "05_where_leaky_relu_wins"
TINY_LR = {"seeds": [0, 1], "n_train": 200, "n_test": 100, "grid": {"learning_rate": [0.3]}}
TINY_DEEP = {"seeds": [0, 1], "n_train": 200, "n_test": 100, "grid": {"depth": [3], "width": [2, 4]}}


def lr_cells(failures: dict, runs: int = 10) -> pd.DataFrame:
    """A `learning_rates.summary`-like block: setting -> number of failed runs (accuracy columns neutral)."""
    from rectifiers.stats import wilson_interval

    rows = []
    for setting, k in failures.items():
        p = wilson_interval(k, runs)
        rows.append({"model": "mlp", "optimizer": "adam", "learning_rate": 0.1, "setting": setting, "runs": runs,
                     "failed": k, "failure_rate": p.rate, "failure_low": p.low, "failure_high": p.high,
                     "paired_seeds": 0, "difference": math.nan, "difference_low": math.nan,
                     "difference_high": math.nan})
    return pd.DataFrame(rows)


def lr_runs(block: dict, lr: float = 0.1) -> pd.DataFrame:
    """Runs of one MLP Adam block (`learning_rates.frame`'s columns): a calm learning rate 0.01 where every setting
    trains, and `lr` where each setting fails in its given number of seeds (the first ones)."""
    from rectifiers.experiments import learning_rates

    rows = []
    for rate, fails in ((0.01, {name: 0 for name in block}), (lr, block)):
        for name, k in fails.items():
            for seed in range(10):
                acc = 0.1 if seed < k else 0.8 + 0.001 * seed
                rows.append({"model": "mlp", "optimizer": "adam", "learning_rate": rate, "setting": name,
                             "activation": "relu" if name == "ReLU" else "leaky_relu", "seed": seed,
                             "status": "complete", "diverged": False, "train_accuracy": acc, "test_accuracy": acc,
                             "dead": 0.1, "epochs": 2, "n_train": 100, "wall_s": 1.0, "key": f"{rate}{name}{seed}"})
    runs = pd.DataFrame(rows)
    bar = learning_rates.failure_bar(runs)
    runs, band = learning_rates.decision.band_columns(runs, "train_accuracy", bar)
    return runs.rename(columns={c: f"failed_{i}" for i, c in enumerate(band.values())}).assign(
        bar=bar.value, bar_low=bar.low, bar_high=bar.high)


def test_the_verdict_sentences_follow_the_procedure():
    from rectifiers.experiments import learning_rates
    from rectifiers.experiments.where_leaky import alpha_verdict, lr_story

    runs = lr_runs({"ReLU": 9, "Leaky ReLU α=0.01": 9, "Leaky ReLU α=0.3": 0})
    verdicts = learning_rates.verdicts(runs)
    story = lr_story(verdicts)
    assert "The data name a choice (1 of 2): MLP 4×32, Adam 0.1: prefer Leaky ReLU α=0.3." in story
    assert "No difference the tests can vouch for (1 of 2): MLP 4×32, Adam 0.01." in story
    assert alpha_verdict(learning_rates.decisions(runs), {}).endswith(
        "with α = 0.01 in 0 of 1 (worse in 0), α = 0.3 in 1 of 1 (worse in 0).")


def test_the_learning_rate_verdicts_come_from_the_decision_procedure():
    """The failure bar is the block's own (from its lowest learning rate), and each situation's verdict is
    `decision.decide`'s: here a slope that never fails where ReLU fails in 9 of 10 seeds is preferred."""
    from rectifiers.experiments import learning_rates

    rows = []
    for lr, fails in ((0.01, {"ReLU": 0, "Leaky ReLU α=0.3": 0}), (0.1, {"ReLU": 9, "Leaky ReLU α=0.3": 0})):
        for name, k in fails.items():
            for seed in range(10):
                acc = 0.1 if seed < k else 0.8 + 0.001 * seed
                rows.append({"model": "mlp", "optimizer": "adam", "learning_rate": lr, "setting": name,
                             "activation": "relu" if name == "ReLU" else "leaky_relu", "seed": seed,
                             "status": "complete", "diverged": False, "train_accuracy": acc, "test_accuracy": acc,
                             "dead": 0.1, "epochs": 2, "n_train": 100, "wall_s": 1.0, "key": f"{lr}{name}{seed}"})
    runs = pd.DataFrame(rows)
    blocks = []
    for _, block in runs.groupby(["model", "optimizer"]):
        bar = learning_rates.failure_bar(block)
        assert bar.value == pytest.approx(0.1 + (0.8 - 0.1) / 3)
        block, band = learning_rates.decision.band_columns(block, "train_accuracy", bar)
        blocks.append(block.rename(columns={c: f"failed_{i}" for i, c in enumerate(band.values())}).assign(
            bar=bar.value, bar_low=bar.low, bar_high=bar.high))
    runs = pd.concat(blocks)
    verdicts = learning_rates.verdicts(runs).set_index("learning_rate")
    assert verdicts.loc[0.01, "recommendation"] == "either"
    assert verdicts.loc[0.1, "recommendation"] == "prefer Leaky ReLU α=0.3" and verdicts.loc[0.1, "category"] == "prefer"
    assert "McNemar p = .004" in verdicts.loc[0.1, "evidence"]


def record(status="complete", spread=(1.0, 1.0), dead=((0.0, 0.0), (0.0, 0.0)), accuracy=0.9, activation="relu"):
    """A minimal stored-run record with the probes Chapter 5 reads."""
    return {"key": "k", "status": status, "epochs_done": 2, "experiment": {"n_train": 100},
            "config": {"model": "mlp", "optimizer": "adam", "learning_rate": 0.1, "activation": activation,
                       "alpha": 0.01, "seed": 0, "epochs": [2], "width": 4, "depth": 2},
            "snapshots": [{"train_accuracy": accuracy, "test_accuracy": accuracy}] if status == "complete" else [],
            "segments": [{"wall_s": 1.0}],
            "probes": {"output_spread": [{"epoch": 0, "logit_spread": spread[0]}, {"epoch": 2, "logit_spread": spread[1]}],
                       "dead_units": [{"epoch": e, "dead_fraction": list(d), "dead_masks": [[int(f)] for f in d]}
                                      for e, d in zip((0, 2), dead)]}}


def test_collapse_is_a_constant_output_and_a_dead_layer_is_seen():
    from rectifiers.experiments import deep_narrow

    assert deep_narrow.collapsed(record(spread=(0.0, 0.0)))
    assert not deep_narrow.collapsed(record(spread=(0.0, 0.5)))
    assert deep_narrow.collapsed(record(status="diverged", spread=(0.1, None)))
    row = deep_narrow.run_row(record(spread=(0.0, 0.0), dead=((1.0, 0.0), (1.0, 0.0)), accuracy=0.1))
    assert row["born_collapsed"] and row["dead_layer_start"] and row["train_accuracy"] == pytest.approx(0.1)
    # "ended near chance" is judged against the study's own healthy runs (its widest, shallowest shape)
    runs = pd.DataFrame({"width": [16, 16, 2], "depth": [2, 2, 50], "train_accuracy": [0.7, 0.85, 0.2],
                         "status": "complete"})
    bar = deep_narrow.near_chance_bar(runs)
    assert bar.value == pytest.approx(0.3) and "0.70" in bar.words


def deep_records(collapses: dict, runs: int = 20) -> list[dict]:
    """Synthetic deep-and-narrow records at width 4, depth 20: `collapses` maps (activation, α, initializer) to how
    many of `runs` seeds end (and start) with a constant output."""
    out = []
    for (activation, alpha, initializer), k in collapses.items():
        for seed in range(runs):
            one = record(spread=(0.0, 0.0) if seed < k else (1.0, 1.0), activation=activation)
            one["config"].update(alpha=alpha, seed=seed, initializer=initializer, width=4, depth=20)
            out.append(one)
    return out


def test_relu_with_rai_is_its_own_setting_in_tables_verdicts_and_figures():
    from rectifiers.experiments import deep_narrow
    from rectifiers.experiments.where_leaky import alpha_verdict, deep_story
    from rectifiers.figures.where_leaky import alpha_figure, collapse_figure

    runs = deep_narrow.frame(deep_records({("relu", 0.01, "he"): 15, ("relu", 0.01, "rai"): 1,
                                           ("leaky_relu", 0.3, "he"): 8}))
    table = deep_narrow.summary(runs)
    assert list(table.setting) == ["ReLU", "Leaky ReLU α=0.3", deep_narrow.RAI]
    rai = table[table.setting == deep_narrow.RAI].iloc[0]
    assert (rai.collapsed, rai.runs, rai.theory) == (1, 20, 0.0)  # Chapter 3's bound is for He-initialised ReLU
    shown = deep_narrow.reader_table(table)
    assert list(shown.columns) == ["width", "depth", "ReLU", "Leaky ReLU α=0.3", deep_narrow.RAI, "ReLU at initialisation",
                                   "ReLU born dead, theory (upper bound)"]
    assert shown.iloc[0]["ReLU"] == "15 [53\u2060–\u206089\u00a0%]" and shown.iloc[0]["ReLU at initialisation"] == 15
    values = deep_narrow.prose_numbers(table)
    assert values["deep_w4_d20_relurai_collapsed"] == 1 and values["deep_w4_d20_relu_collapsed"] == 15
    verdict = deep_narrow.verdicts(runs).iloc[0]
    assert verdict.recommendation.startswith("prefer") and deep_narrow.RAI in verdict.recommendation
    assert "ReLU, RAI init collapsed in 1 of 20" in verdict.evidence
    story = deep_story(table)
    assert story.startswith("Networks collapsed after training, where any did: width 4, depth 20: ReLU 15 of 20 (15 at "
                            "initialisation; Chapter 3's bound 0.72), Leaky ReLU α=0.3 8, ReLU with RAI 1.")
    assert story.endswith("training changed it in no shape: for ReLU, collapse is decided at initialisation.")
    from rectifiers.experiments.where_leaky import rai_story

    assert rai_story(runs, table, deep_narrow.decisions(runs)).startswith(
        "ReLU with RAI initialisation collapsed significantly less often than with He's at width 4, depth 20 (1 of 20 "
        "against 15).")
    worse = deep_narrow.frame(deep_records({("relu", 0.01, "he"): 1, ("relu", 0.01, "rai"): 15}))
    text = rai_story(worse, deep_narrow.summary(worse), deep_narrow.decisions(worse))
    assert "at no shape" in text and "more often at width 4, depth 20: 15 of 20 against 1" in text
    assert "0 of those 15 had a hidden layer dead" in text and "did not die" in text  # the records have no dead layer
    quiet = deep_narrow.summary(deep_narrow.frame(deep_records({("relu", 0.01, "he"): 0, ("leaky_relu", 0.3, "he"): 0})))
    assert deep_story(quiet).startswith("No network of any setting collapsed at width 4, depth 20. ReLU's count at "
                                        "initialisation lies within")
    # the slope's verdict and figure read the leaky settings only
    assert alpha_verdict({}, deep_narrow.decisions(runs)).endswith("with α = 0.3 in 1 of 1 (worse in 0).")
    assert [t.name for t in alpha_figure(pd.DataFrame(columns=["model", "optimizer", "learning_rate"]), table).data] \
        == ["MLP 20×4"]
    names = [t.name for t in collapse_figure(table).data]
    assert "ReLU, RAI init: collapsed after training" in names and "ReLU, RAI init: collapsed at initialisation" in names
    from rectifiers.figures.where_leaky import spread_figure

    spread = spread_figure(runs).data[0]  # each network named in its hover by (width, depth, seed) numbers
    assert spread.customdata.shape == (20, 3) and tuple(spread.customdata[0]) == (4, 20, 0)
    assert spread.hovertemplate.startswith("width %{customdata[0]}, depth %{customdata[1]}, seed %{customdata[2]}")
    assert "RAI" in deep_narrow.setup_text(runs, {"n_seeds": 20, "epochs": [2], "n_train": [1000], "n_test": [500],
                                                  "runs": 60, "train_minutes": 1.0})


def test_the_verdicts_are_repeated_at_a_stricter_and_a_looser_collapse_threshold():
    from rectifiers.experiments import deep_narrow

    records = deep_records({("relu", 0.01, "he"): 15, ("leaky_relu", 0.3, "he"): 0})
    for one in records[20:]:  # the leaky networks: spreads of 1e-5, between the looser threshold and the main one
        one["probes"]["output_spread"][-1]["logit_spread"] = 1e-5
    table = deep_narrow.threshold_sensitivity(deep_narrow.frame(records))
    assert list(table.iloc[0][["spread < 1e-08", "spread < 1e-06", "spread < 0.0001"]]) == \
        ["prefer Leaky ReLU α=0.3", "prefer Leaky ReLU α=0.3", "neither: every setting failed in most of its runs; "
         "make the network wider or shallower"]
    assert table.iloc[0]["collapsed, spread < 0.0001"] == "ReLU 15, Leaky ReLU α=0.3 20"
    assert deep_narrow.sensitivity_sentence(table) == (
        "With the threshold at 1e-06 as above, at 1e-08 it changes in 0 of 1 shapes; at 0.0001 it changes in 1 of 1 "
        "shapes: width 4, depth 20 (prefer Leaky ReLU α=0.3 → neither: every setting failed in most of its runs; make "
        "the network wider or shallower). A shape whose verdict changes is marked unclear in the verdicts above and in "
        "the guide.")


def test_dead_share_is_over_all_units_and_nan_when_diverged():
    from rectifiers.experiments.learning_rates import total_dead_fraction

    assert total_dead_fraction(record(dead=((0, 0), (1.0, 0.0)))) == 0.5
    diverged = record(dead=((0, 0), (0, 0)))
    diverged["probes"]["dead_units"][-1]["dead_fraction"] = [None, None]
    assert math.isnan(total_dead_fraction(diverged))


def test_output_spread_of_a_network_with_a_dead_layer_is_exactly_zero():
    import numpy as np

    from rectifiers.models import mlp
    from rectifiers.probes.output_spread import output_spread_probe

    model = mlp(2, 4, "relu", seed=0)
    layer = model.get_layer("dense_2")
    kernel, bias = layer.get_weights()
    layer.set_weights([kernel, np.full_like(bias, -1e6)])  # every unit of layer 2 negative on every input
    images = np.random.default_rng(0).random((20, 28, 28, 1), dtype=np.float32)
    assert output_spread_probe(model, images) == {"logit_spread": 0.0, "predicted_classes": 1}
    model = mlp(2, 4, "leaky_relu", 0.3, seed=0)
    assert output_spread_probe(model, images)["logit_spread"] > 0


def test_study_overrides_replace_settings_and_grid_entries():
    from rectifiers.experiments.where_leaky import study

    one = study("studies/ch5_deep_narrow.yaml", TINY_DEEP)
    configs = one.configs()
    assert {c.seed for c in configs} == {0, 1} and {c.depth for c in configs} == {3}
    assert {c.width for c in configs} == {2, 4}
    assert {c.width for c in study("studies/ch5_deep_narrow.yaml", {"seeds": [0]}).configs()} == \
        set(study("studies/ch5_deep_narrow.yaml").grid["width"])
    with pytest.raises(ValueError, match="seeds"):
        study("studies/ch5_deep_narrow.yaml", {"seeds": [-1]})


@pytest.mark.slow
def test_chapter_trains_a_tiny_grid_and_guide_evidence_reads_it(notebook_runner, tmp_path):
    store = tmp_path / "results"
    store.mkdir()  # a store parameter must name an existing folder
    glued = notebook_runner(CHAPTER, mode="train", runs_dir=str(store), lr_blocks=["mlp_adam"], prelu_blocks=["mlp_adam"],
                            lr_settings=TINY_LR,
                            deep_settings=TINY_DEEP, explorer_images=100)
    assert glued["lr_seeds"] == "2 seeds" and glued["lr_runs"] == 2 * 4 + 2  # ReLU, three slopes, PReLU; two seeds
    assert glued["lr_situations"] >= 1 and "lr_prefer" in glued
    # the long MLP study, its budget read from its records
    assert glued["lr_grids"] == "trained to the end: MLP 4×32 with Adam (200 images, 20 epochs, 140 steps)"
    assert "runs that did not fail" in glued["lr_convergence"]
    import re

    import nbformat

    from conftest import NOTEBOOKS
    prose = "".join(c.source for c in nbformat.read(NOTEBOOKS / f"{CHAPTER}.ipynb", 4).cells if c.cell_type == "markdown")
    assert set(re.findall(r"\{glue:text\}`(\w+)", prose)) <= set(glued)  # every name the prose quotes is glued
    assert "mlp_adam_lr03_relu_failed" not in glued  # a table's numbers the prose does not quote stay unglued
    assert glued["deep_seeds"] == 2 and "width 2" in glued["deep_story"]
    assert glued["rai_story"].startswith("ReLU with RAI initialisation")
    assert glued["deep_rescue"].startswith("From initialisation to the last epoch")
    assert glued["deep_budget"] == "200 images, 20 epochs, 140 steps"  # the long studies, read from their records
    assert "networks that learned" in glued["deep_convergence"] or "No network that learned" in glued["deep_convergence"]
    assert "collapse, had settled" in glued["deep_collapse_settled"] or "still moving" in glued["deep_collapse_settled"]
    assert glued["sensitivity_sentence"].startswith("With the threshold at 1e-06 as above, at 1e-08 it changes in")
    assert glued["deep_learning_story"].startswith("Judged on learning, the verdict is “")
    assert "situations" in glued["alpha_verdict"] or "nothing for a slope" in glued["alpha_verdict"]


@pytest.mark.slow
def test_an_empty_store_completes_with_a_message_and_prose_that_says_runs_missing(notebook_runner, tmp_path):
    import nbformat

    from rectifiers.prose import MISSING, quoted_names

    (tmp_path / "empty").mkdir()  # a store parameter must name an existing folder
    glued = notebook_runner(CHAPTER, runs_dir=str(tmp_path / "empty"), explorer_images=100)
    # No traceback: Run All completes; every number the book quotes from the runs says they are missing, and the
    # live explorer's settings, which need no runs, are still computed.
    assert glued["explorer_images"] == 100 and glued["explorer_seeds"] == 10
    from_runs = quoted_names(CHAPTER) - {"explorer_images", "explorer_seeds"}
    assert {name: glued.get(name) for name in from_runs} == dict.fromkeys(from_runs, MISSING)
    printed = "".join(o.get("text", "") for c in nbformat.read(tmp_path / f"{CHAPTER}.out.ipynb", 4).cells
                      for o in c.get("outputs", []))
    assert "python -m rectifiers study" in printed and "Not stored here" in printed


def test_the_chapter_shows_the_blocks_the_guide_reads():
    import nbformat

    from conftest import NOTEBOOKS
    from rectifiers.experiments.where_leaky import CHAPTER_BLOCKS, CHAPTER_PRELU_BLOCKS

    cell = next(c for c in nbformat.read(NOTEBOOKS / f"{CHAPTER}.ipynb", 4).cells
                if "parameters" in c.metadata.get("tags", []))
    namespace = {}
    exec(cell.source, namespace)
    assert tuple(namespace["lr_blocks"]) == CHAPTER_BLOCKS
    assert tuple(namespace["prelu_blocks"]) == CHAPTER_PRELU_BLOCKS


def test_the_deep_learning_story_names_shapes_where_collapse_and_learning_disagree():
    from rectifiers.experiments.where_leaky import deep_learning_story

    learning = pd.DataFrame({"width": [2, 2, 4], "depth": [20, 50, 2], "category": ["unclear", "neither", "either"]})
    collapse = pd.DataFrame({"width": [2, 2, 4], "depth": [20, 50, 2], "category": ["prefer", "prefer", "either"]})
    said = deep_learning_story(learning, collapse)
    assert said.startswith("Judged on learning, the verdict is “unclear” at 1, “neither” at 1, “either” at 1 of the 3 ")
    assert "At 20×2 the verdict on collapse names a setting to prefer and the verdict on learning is “unclear”" in said
    assert "At 50×2 " in said and "“neither”: no setting learned in most of its runs." in said and "2×4" not in said
    assert deep_learning_story(learning, learning) == "Judged on learning, the verdict is “unclear” at 1, “neither” " \
                                                      "at 1, “either” at 1 of the 3 shapes."


def test_guide_evidence_of_the_stored_studies():
    from rectifiers.experiments.where_leaky import guide_evidence

    try:
        evidence = guide_evidence()
    except FileNotFoundError as error:  # a study not (yet) stored in this checkout
        pytest.skip(str(error).splitlines()[0])
    assert evidence
    for item in evidence:
        assert set(item) - {"optimizer"} == {"situation", "recommendation", "category", "evidence", "seeds", "section",
                                             "studies", "numbers"}
        assert item["numbers"]["category"] == item["category"]  # the numbers are the verdict's own
        assert item.get("optimizer", "adam") in ("adam", "sgd")
        assert item["section"] in ("ch5-learning-rate", "ch5-deep-narrow")
        assert all((ROOT / p).is_file() for p in item["studies"])
        assert item["recommendation"].split(" ")[0].rstrip(":") in ("prefer", "avoid", "either", "neither", "unclear")
        assert "Holm" in item["evidence"]  # the numbers behind the verdict: paired tests, corrected
    by_situation = {item["situation"].split(" (")[0]: item["recommendation"] for item in evidence}
    # Every learning-rate row is trained to the end (20 epochs on 5,000 images, the budget read from the records).
    for item in evidence:
        if "learning rate" in item["situation"]:
            assert item["situation"].endswith("(MNIST, 5,000 images, 20 epochs, 3,140 steps)")
            assert all("_long" in p for p in item["studies"]) and "early" not in item["situation"]
    # The seed CNN with plain SGD: at 0.3 every setting trains and nothing survives Holm; at 1.0, over 20 seeds, ReLU's
    # runs all end near chance (their channels dead), α = 0.1, 0.3 and PReLU diverge in every seed, and α = 0.01 fails
    # in 11 of 20: better than ReLU (Holm p < .01), yet failing in most runs, so no setting is one to use there.
    assert by_situation["learning rate 0.3, plain SGD, seed CNN"] == "either"
    assert by_situation["learning rate 1, plain SGD, seed CNN"].startswith("neither")
    # The seed CNN with Adam 0.05 trained for 20 epochs: ReLU fails in 7 of 10 seeds, every slope and PReLU in none.
    assert by_situation["learning rate 0.05, Adam, seed CNN"] == \
        "prefer Leaky ReLU α=0.01 or 0.1 or 0.3 or PReLU, slope starting at 0.25"
    assert by_situation["learning rate 0.01, Adam, seed CNN"] == "avoid PReLU, slope starting at 0.25"
    # The MLP trained to the end: at Adam 0.1 and 0.3 ReLU fails in 9 and 10 of 10 seeds and the larger slopes and
    # PReLU are preferred at every end of the bar's band (unclear only about α = 0.01); at Adam 0.03 α = 0.3 ends
    # better than ReLU (the other slopes and PReLU are not separated from it, nor shown better than ReLU); with plain
    # SGD 0.3 PReLU diverges in 7 of 10 (avoid), at 0.6 the bar decides.
    assert by_situation["learning rate 0.03, Adam, MLP 4×32"] == (
        "prefer Leaky ReLU α=0.3 — not separated from it, but not shown better than ReLU: Leaky ReLU α=0.01 or 0.1 or "
        "PReLU, slope starting at 0.25")
    for lr in ("0.1", "0.3"):
        verdict = by_situation[f"learning rate {lr}, Adam, MLP 4×32"]
        assert verdict.startswith("unclear") and verdict.count("prefer Leaky ReLU α=") == 2
        assert all("0.1 or 0.3 or PReLU" in part for part in verdict.split("; "))
    assert by_situation["learning rate 0.3, plain SGD, MLP 4×32"] == "avoid PReLU, slope starting at 0.25"
    assert by_situation["learning rate 0.6, plain SGD, MLP 4×32"].startswith("unclear (neither")
    # The deep and narrow MLPs are judged on learning (collapsed, near chance or diverged = failed), the verdict on
    # collapse alone named beside it: at 20×2 α = 0.3 kept 19 of 20 networks from collapsing, but most ended below
    # the top of the near-chance band, so the verdict changes with the bar.
    deep = {item["situation"].split(" (")[0]: item for item in evidence if item["section"] == "ch5-deep-narrow"}
    assert len(deep) == 12 and all("Judged on collapse alone: “" in item["evidence"] for item in deep.values())
    assert deep["deep and narrow MLP 20×2"]["recommendation"].startswith("unclear (prefer Leaky ReLU α=0.3")
    assert "Judged on collapse alone: “prefer Leaky ReLU α=0.3”." in deep["deep and narrow MLP 20×2"]["evidence"]
    assert deep["deep and narrow MLP 50×2"]["category"] == "neither"


def lr_record(setting: str, seed: int, accuracies, diverged_at=None, n_train=320, epochs=None) -> dict:
    """A minimal learning-rate record with a per-epoch history (`test_every: 1`); a diverged run ends with NaN."""
    activation, alpha = ("relu", 0.01) if setting == "ReLU" else ("leaky_relu", float(setting.split("=")[1]))
    epochs = epochs or len(accuracies)
    history = list(accuracies) + ([None] if diverged_at else [])
    final = {"train_accuracy": accuracies[-1], "test_accuracy": accuracies[-1]}
    out = {"key": f"{setting}-{seed}", "status": "diverged" if diverged_at else "complete",
           "experiment": {"n_train": n_train, "n_test": 100},
           "config": {"model": "mlp", "optimizer": "sgd", "learning_rate": 0.6, "activation": activation,
                      "alpha": alpha, "seed": seed, "epochs": [epochs], "batch_size": 32, "test_every": 1},
           "snapshots": [final], "segments": [{"wall_s": 1.0}],
           "history": {"epoch": list(range(1, len(history) + 1)), "test_accuracy": history},
           "probes": {"dead_units": [{"epoch": epochs, "dead_fraction": [0.5], "dead_masks": [[1, 0]]}]}}
    if diverged_at:
        out["diverged_at"] = diverged_at
    return out


def lr_records_with_curves() -> list[dict]:
    """Ten seeds of ReLU that train (the last of them still moving over the last epochs) and ten of Leaky ReLU
    α=0.3, of which three diverge at epochs 2, 3 and 3 and one ends below the bar."""
    out = []
    for seed in range(10):
        late = 0.1 if seed == 9 else 0.0
        out.append(lr_record("ReLU", seed, [0.5, 0.85, 0.85, 0.85, 0.85, 0.85, 0.85 + late]))
        if seed < 3:
            out.append(lr_record("Leaky ReLU α=0.3", seed, [0.5, 0.6, 0.7][:2 if seed == 0 else 3][:-1],
                                 diverged_at=2 if seed == 0 else 3, epochs=7))
        else:
            out.append(lr_record("Leaky ReLU α=0.3", seed, [0.1] * 7 if seed == 3 else [0.6, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8]))
    return out


def test_endpoints_count_diverged_below_bar_and_trained_with_the_epoch_of_failure_and_budget():
    from rectifiers.experiments import learning_rates

    records = lr_records_with_curves()
    runs = learning_rates.frame(records)
    assert learning_rates.budget_text(runs) == "320 images, 7 epochs, 70 steps"  # 10 batches of 32 per epoch
    table = learning_rates.endpoints(runs).set_index("setting")
    leaky = table.loc["Leaky ReLU α=0.3"]
    assert (leaky.diverged, leaky.below_bar, leaky.trained) == (3, 1, 6)
    assert leaky.diverged_at == [2, 3, 3]
    # every seed counted: a diverged run at the worst final value of its learning rate (0.1 here)
    assert leaky.itt == pytest.approx((3 * 0.1 + 0.1 + 6 * 0.8) / 10)
    assert table.loc["ReLU"].trained == 10 and table.loc["ReLU"].dead == pytest.approx(0.5)
    shown = learning_rates.endpoint_table(learning_rates.endpoints(runs))
    assert list(shown.setting) == ["ReLU", "α=0.3"] and shown["diverged at epoch"].tolist() == ["—", "2, 3, 3"]
    assert shown.cell.iloc[0] == "MLP SGD 0.6"


def test_convergence_is_measured_on_the_runs_that_did_not_fail():
    from rectifiers.experiments import learning_rates
    from rectifiers.figures.where_leaky import learning_curve_figure

    records = lr_records_with_curves()
    runs = learning_rates.frame(records)
    curves = learning_rates.curves(records, runs)
    numbers = learning_rates.convergence(curves)
    assert numbers["runs"] == 16 and (numbers["from"], numbers["to"]) == (2, 7)  # 10 ReLU + 6 Leaky that trained
    assert numbers["largest"] == pytest.approx(0.1) and numbers["within_point"] == pytest.approx(15 / 16)
    assert "16 runs that did not fail" in learning_rates.convergence_text(numbers)
    summary = learning_rates.curve_summary(curves)
    last = summary[(summary.setting == "ReLU") & (summary.epoch == 7)].iloc[0]
    assert (last.healthy, last.runs) == (10, 10) and last.high == pytest.approx(0.95)
    leaky = summary[summary.setting == "Leaky ReLU α=0.3"]
    assert set(leaky.healthy) == {6} and set(leaky.runs) == {10}  # failed runs are not in the band
    figure = learning_curve_figure(summary)
    assert any(t.name == "Leaky ReLU α=0.3 (6 of 10 runs)" for t in figure.data)
    assert len(figure.data) == summary.setting.nunique()  # medians only, the range in their hover (page weight)
    assert all("range" in t.hovertemplate and t.y.dtype == "float32" for t in figure.data)


def test_every_learning_rate_grid_reads_its_study_trained_to_the_end(monkeypatch):
    from rectifiers.experiments import learning_rates

    assert learning_rates.STUDIES["mlp", "adam"] == "studies/ch5_lr_mlp_adam_long.yaml"
    assert learning_rates.PRELU_STUDIES["mlp", "sgd"] == "studies/ch5_lr_prelu_mlp_sgd_long.yaml"
    assert learning_rates.STUDIES["seed_cnn", "sgd"] == "studies/ch5_lr_cnn_sgd_long.yaml"
    assert learning_rates.PRELU_STUDIES["seed_cnn", "sgd"] == "studies/ch5_lr_prelu_cnn_sgd_long.yaml"
    assert learning_rates.STUDIES["seed_cnn", "adam"] == "studies/ch5_lr_cnn_adam_long.yaml"
    assert all((ROOT / p).is_file() for p in [*learning_rates.STUDIES.values(), *learning_rates.PRELU_STUDIES.values()])
    assert learning_rates.model_name("seed_cnn", "sgd") == "seed CNN" == learning_rates.model_name("seed_cnn", "adam")
    assert learning_rates.model_name("mlp", "sgd") == "MLP 4×32"
    monkeypatch.setitem(learning_rates.TRAINED_TO_THE_END, ("seed_cnn", "sgd"), False)  # a grid still early: labelled
    assert learning_rates.model_name("seed_cnn", "sgd") == "seed CNN, early training"


def test_seeds_explorer_offers_each_optimisers_rates_and_refuses_others():
    from rectifiers.widgets.where_leaky import RATES, seeds_explorer

    box = seeds_explorer(learning_rate=0.1, n_train=100, n_test=50)
    box.optimizer.value = "sgd"
    assert tuple(box.rate.options) == RATES["sgd"] and box.rate.value == 0.1  # offered by both: kept
    box.optimizer.value, box.rate.value = "adam", 0.003
    box.optimizer.value = "sgd"  # 0.003 is not an SGD rate: another is chosen, and the status line says so
    assert box.rate.value in RATES["sgd"] and box.status.value.startswith(f"Learning rate set to {box.rate.value:g}")
    with pytest.raises(ValueError, match="learning_rate"):
        seeds_explorer(optimizer="sgd", learning_rate=0.05)
    with pytest.raises(ValueError, match="seeds"):
        seeds_explorer(seeds=5)  # a failure rate is a count over at least ten seeds


def test_seeds_explorer_trains_ten_seeds_of_each_stacked_and_counts_failures_with_intervals():
    from rectifiers.widgets.where_leaky import seeds_explorer

    box = seeds_explorer(learning_rate=0.3, n_train=100, n_test=50, epochs=1, seeds=10)
    records = box.train()
    assert len(records) == 20 and all(r["experiment"]["trainer"] == "stacked" for r in records)
    assert sorted({r["config"]["seed"] for r in records}) == list(range(10))
    assert "ReLU: " in box.status.value and "Leaky ReLU α=0.01: " in box.status.value
    assert box.status.value.count("95 % CI") == 2 and box.progress.value == 20
    figure = box.output.outputs[0]["data"]["application/vnd.plotly.v1+json"]
    bars = [t for t in figure["data"] if t["type"] == "bar"]
    assert [b["text"][0].endswith("of 10") for b in bars] == [True, True]


def test_a_study_not_stored_is_refused_with_the_command_that_trains_it(tmp_path):
    from rectifiers.engine import ResultsStore
    from rectifiers.experiments.where_leaky import study, study_records

    one = study("studies/ch5_deep_narrow.yaml", {"seeds": [0], "grid": {"depth": [3], "width": [4]}})
    with pytest.raises(FileNotFoundError, match="(?s)3 of the 3 runs cannot be used.*python -m rectifiers study "
                                                "studies/ch5_deep_narrow.yaml"):
        study_records(one, ResultsStore(tmp_path))


def test_the_closing_note_sets_the_early_verdicts_against_those_trained_to_the_end():
    from rectifiers.engine import ResultsStore
    from rectifiers.experiments.where_leaky import before_after

    try:
        table = before_after(["mlp_adam", "mlp_sgd", "seed_cnn_adam", "seed_cnn_sgd"], ResultsStore())
    except FileNotFoundError as error:  # a study not (yet) stored in this checkout
        pytest.skip(str(error).splitlines()[0])
    # The grids trained to the end share one budget (in the header); the early ones differ (in each cell).
    assert list(table.columns) == ["situation", "before", "after (5,000 images, 20 epochs, 3,140 steps)"]
    assert len(table) == 9 and table.situation.str.startswith("seed CNN, plain SGD").sum() == 2  # every grid
    row = table.set_index("situation").loc["MLP 4×32, plain SGD, lr 0.3"]
    assert list(row) == ["either (2,000 images, 2 epochs, 126 steps)", "avoid PReLU, slope starting at 0.25"]
    assert table.set_index("situation").loc["seed CNN, Adam, lr 0.05", "before"].endswith(
        "(2,000 images, 1 epoch, 63 steps)")

def test_grids_text_says_which_grids_are_trained_to_the_end_and_what_an_early_verdict_is_about(monkeypatch):
    from rectifiers.experiments import learning_rates

    runs = pd.DataFrame([{"model": m, "optimizer": o, "n_train": n, "epochs": e, "steps": n // 32 * e}
                         for m, o, n, e in (("mlp", "adam", 5000, 20), ("seed_cnn", "sgd", 2000, 1))])
    monkeypatch.setitem(learning_rates.TRAINED_TO_THE_END, ("seed_cnn", "sgd"), False)
    text = learning_rates.grids_text(runs)
    assert text.startswith("trained to the end: MLP 4×32 with Adam (5,000 images, 20 epochs, 3,120 steps); early "
                           "training: seed CNN with plain SGD (2,000 images, 1 epoch, 62 steps). A verdict on an "
                           "early-training grid is about the first few dozen steps")
    monkeypatch.setitem(learning_rates.TRAINED_TO_THE_END, ("seed_cnn", "sgd"), True)
    assert learning_rates.grids_text(runs) == ("trained to the end: MLP 4×32 with Adam (5,000 images, 20 epochs, 3,120 "
                                               "steps), seed CNN with plain SGD (2,000 images, 1 epoch, 62 steps)")


def test_a_close_cell_reads_its_ten_more_seeds_as_stored_but_never_in_a_chapters_own_grid():
    from rectifiers.experiments import learning_rates, where_leaky

    stored = [one.source for one in where_leaky.lr_studies(["seed_cnn_sgd"], prelu_blocks=["seed_cnn_sgd"])]
    assert stored == ["studies/ch5_lr_cnn_sgd_long.yaml", "studies/ch5_lr_cnn_sgd_long_seeds_10_19.yaml",
                      "studies/ch5_lr_prelu_cnn_sgd_long.yaml", "studies/ch5_lr_prelu_cnn_sgd_long_seeds_10_19.yaml"]
    more = where_leaky.study(learning_rates.MORE_SEEDS["seed_cnn", "sgd"][0]).configs()
    own = where_leaky.study(learning_rates.STUDIES["seed_cnn", "sgd"]).configs()
    assert {c.seed for c in more} == set(range(10, 20)) and {c.learning_rate for c in more} == {1.0}
    differs = {k for c in own[:1] for k, v in vars(c).items() if v != vars(more[0]).get(k)}
    assert differs <= {"seed", "learning_rate", "activation", "alpha"}  # the same data, budget and probes
    mine = where_leaky.lr_studies(["seed_cnn_sgd"], {"seeds": [0]})  # a chapter's grid of its own: no extra study
    assert [one.source.split(" ")[0] for one in mine] == ["studies/ch5_lr_cnn_sgd_long.yaml"]
    runs = pd.DataFrame([{"model": "seed_cnn", "optimizer": "sgd", "learning_rate": lr, "setting": "ReLU", "seed": s}
                         for lr, seeds in ((0.3, 10), (1.0, 20)) for s in range(seeds)])
    assert learning_rates.seeds_text(runs) == "10 seeds (20 in seed CNN, plain SGD 1)"
    assert learning_rates.seeds_text(runs[runs.learning_rate == 0.3]) == "10 seeds"
