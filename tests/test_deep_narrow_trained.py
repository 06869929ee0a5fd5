"""Chapter 5's deep and narrow networks trained to the end: end states, rescue and kill, convergence."""

import math

import pandas as pd
import pytest

from rectifiers.experiments import deep_narrow_trained as trained
from rectifiers.engine.stored_studies import training_seconds


def runs_frame():
    # width 2, depth 20: ReLU born collapsed twice (one rescued), one killed; Leaky: one near chance, one learned
    return pd.DataFrame({
        "width": 2, "depth": 20, "key": list("abcdef"),
        "setting": ["ReLU"] * 4 + ["Leaky ReLU α=0.3"] * 2,
        "born_collapsed": [True, True, False, False, False, False],
        "collapsed": [True, False, True, False, False, False],
        "failed": [True, False, True, True, True, False],
        "test_accuracy": [0.1, 0.6, 0.1, 0.15, 0.2, 0.7]})


def test_each_network_ends_in_one_state_and_training_rescues_or_kills():
    table = trained.endpoints(runs_frame())
    relu = table[table.setting == "ReLU"].iloc[0]
    assert (relu.learned, relu.near_chance, relu.collapsed) == (1, 1, 2)
    assert (relu.born_collapsed, relu.rescued, relu.killed) == (2, 1, 1)
    assert relu.learned_accuracy == pytest.approx(0.6)
    leaky = table[table.setting != "ReLU"].iloc[0]
    assert (leaky.learned, leaky.near_chance, leaky.collapsed) == (1, 1, 0)
    shown = trained.endpoint_table(table)
    assert list(shown.columns) == ["depth × width", "ReLU", "Leaky ReLU α=0.3"]
    assert shown.iloc[0]["ReLU"] == "1 / 1 / 2 · 0.60" and shown.iloc[0]["depth × width"] == "20×2"
    assert trained.rescue_table(table).iloc[0]["ReLU"] == "2 → 1, 1"
    sentence = trained.rescue_sentence(table)
    assert "ReLU: 1 of 2 rescued, 1 of 2 killed" in sentence
    assert trained.accuracy_sentence(table).startswith("The best median test accuracy of the networks that learned: "
                                                       "0.70 at width 2 (Leaky ReLU α=0.3, depth 20)")


def record(key, accuracies, spreads):
    return {"key": key, "status": "complete",
            "history": {"epoch": list(range(1, len(accuracies) + 1)), "test_accuracy": accuracies},
            "probes": {"output_spread": [{"epoch": e, "logit_spread": s} for e, s in spreads]}}


def test_convergence_is_measured_on_the_networks_that_learned_only():
    runs = runs_frame()
    flat, rising = [0.5] * 20, [0.3 + 0.02 * e for e in range(20)]
    records = [record(k, rising if k == "f" else flat, [(0, 1.0), (10, 1.0), (20, 1.0)]) for k in runs.key]
    curves = trained.curves(records, runs)
    numbers = trained.convergence(curves)
    assert numbers["runs"] == 2  # the two networks that learned: b (flat) and f (rising)
    assert numbers["largest"] == pytest.approx(0.1) and numbers["within_point"] == 0.5
    assert "still changing" in trained.convergence_text(numbers)
    summary = trained.curve_summary(curves)
    assert set(summary.healthy) == {1} and set(summary.runs) == {4, 2}
    assert trained.convergence(trained.curves([record(k, [0.5] * 3, [(0, 1.0)]) for k in runs.key], runs)) is None
    with pytest.raises(ValueError, match="same order"):
        trained.curves(records[::-1], runs)


def test_collapse_between_counts_the_networks_that_changed_state():
    runs = runs_frame()
    spreads = {"a": 0.0, "b": 0.0, "c": 1.0, "d": 1.0, "e": 1.0, "f": 1.0}  # at epoch 10: b recovers, c collapses later
    records = [record(k, [0.5] * 20, [(0, 1.0), (10, spreads[k]), (20, 1.0)]) for k in runs.key]
    numbers = trained.collapse_between(records, runs)
    assert (numbers["collapsed_then"], numbers["collapsed_end"]) == (2, 2)
    assert (numbers["to collapsed"], numbers["from collapsed"]) == (1, 1)
    assert "still moving" in trained.collapse_between_text(numbers)
    assert trained.collapse_between(records, runs, epoch=7) is None


def test_a_stacked_segment_shares_its_groups_time():
    assert training_seconds([{"wall_s": 200.0, "stacked_runs": 20}, {"wall_s": 3.0}]) == pytest.approx(13.0)
    assert math.isclose(training_seconds([]), 0.0)


def test_the_curve_figure_draws_one_median_per_setting_and_shape_without_bands():
    from rectifiers.figures.where_leaky import deep_curve_figure

    runs = pd.concat([runs_frame(), runs_frame().assign(depth=5, key=list("ghijkl"))], ignore_index=True)
    records = [record(k, [0.5] * 20, [(0, 1.0)]) for k in runs.key]
    figure = deep_curve_figure(trained.curve_summary(trained.curves(records, runs)))
    assert [t.name for t in figure.data] == ["ReLU (1 of 4 runs)", "Leaky ReLU α=0.3 (1 of 2 runs)"] * 2
    assert [s.label for s in figure.layout.sliders[0].steps] == ["5×2", "20×2"]
