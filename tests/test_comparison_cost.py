"""The paired cost of Leaky ReLU in training, on synthetic epoch times whose answer is known."""

import numpy as np
import pandas as pd
import pytest

from rectifiers.experiments.comparison_cost import cost_sentence, epoch_cost


def timed(ratios, relu_s=(5.0, 4.0, 6.0, 5.5, 4.5), epochs=10, jitter=0.0):
    rng = np.random.default_rng(0)
    rows = []
    for seed, (ratio, base) in enumerate(zip(ratios, relu_s)):
        for e in range(1, epochs + 1):
            noise = np.exp(jitter * rng.standard_normal(2))  # load drifting on a shared machine
            rows.append(dict(activation="relu", alpha=None, seed=seed, epoch=e, fit_s=base * noise[0]))
            rows.append(dict(activation="leaky_relu", alpha=0.01, seed=seed, epoch=e, fit_s=base * ratio * noise[1]))
    return pd.DataFrame(rows)


def test_paired_ratio_recovers_a_known_cost():
    cost = epoch_cost(timed([1.2] * 5), 0.01)
    assert cost.ratio.mean == pytest.approx(1.2) and cost.ratio.n == 5
    assert list(cost.per_seed.ratio) == pytest.approx([1.2] * 5)


def test_verdict_names_the_ratio_and_the_faster_one_when_the_interval_excludes_1():
    faster = epoch_cost(timed([0.86, 0.88, 0.87, 0.85, 0.89]), 0.01)
    assert faster.ratio.high < 1
    text = cost_sentence(faster)
    assert "13 % faster" in text and "Leaky ReLU ÷ ReLU = 0.87" in text and "noise" not in text
    slower = cost_sentence(epoch_cost(timed([1.10, 1.12, 1.11, 1.09, 1.13]), 0.01))
    assert "11 % slower" in slower


def test_an_interval_including_1_says_so_with_its_bounds():
    cost = epoch_cost(timed([0.8, 1.2, 1.0, 0.9, 1.1]), 0.01)
    assert cost.ratio.low < 1 < cost.ratio.high
    text = cost_sentence(cost)
    assert "cannot tell the two apart" in text and f"{cost.ratio.low:.2f}–{cost.ratio.high:.2f}" in text


def test_unsteady_epoch_times_are_reported_as_a_shared_machine():
    shared = epoch_cost(timed([1.0] * 5, jitter=0.5), 0.01)
    assert shared.spread > 1.5 and "shared the machine" in cost_sentence(shared)
    assert "shared" not in cost_sentence(epoch_cost(timed([1.0, 1.01, 0.99, 1.0, 1.0]), 0.01))


def test_no_pair_of_timed_runs_is_a_clear_error():
    with pytest.raises(ValueError, match="alpha=0.3"):
        epoch_cost(timed([1.0] * 5), 0.3)
    with pytest.raises(ValueError, match="history must have the columns"):
        epoch_cost(pd.DataFrame(), 0.01)


def test_the_cost_verdict_is_the_decision_procedure_s_and_names_a_cheaper_activation_only_when_separated():
    from rectifiers.experiments.comparison_cost import cost_verdict, recommend_cost

    dearer = epoch_cost(timed([1.10, 1.12, 1.11, 1.09, 1.13]), 0.01)
    assert recommend_cost(dearer).startswith("prefer ReLU") and cost_verdict(dearer).startswith("ReLU is cheaper: ")
    cheaper = epoch_cost(timed([0.86, 0.88, 0.87, 0.85, 0.89]), 0.01)
    assert recommend_cost(cheaper) == "prefer Leaky ReLU"
    steady = epoch_cost(timed([1.0, 1.01, 0.99, 1.0, 1.02]), 0.01)  # within ±10 %: the same cost
    assert recommend_cost(steady) == "either"
    level = epoch_cost(timed([0.8, 1.2, 1.0, 0.9, 1.1]), 0.01)  # no difference shown, interval beyond ±10 %
    assert recommend_cost(level) == "not measurable here" and cost_verdict(level).startswith("no measurable difference")
    assert "95 % CI" in cost_verdict(level) and "5 paired seeds" in cost_verdict(level)
    one = epoch_cost(timed([1.5]), 0.01)  # one pair has no interval: never a winner
    assert recommend_cost(one) == "not measurable here" and "no interval" in cost_verdict(one)


def test_the_book_s_one_cost_verdict_is_chapter_4_s_paired_epochs_and_the_guide_uses_it():
    from rectifiers.experiments import guide
    from rectifiers.experiments.comparison_cost import COST_STUDY, guide_evidence, training_cost

    cost = training_cost()
    assert cost.ratio.n >= 5 and cost.ratio.low < cost.ratio.mean < cost.ratio.high
    (row,) = guide_evidence()
    assert row["studies"] == [COST_STUDY] and row["seeds"] == cost.ratio.n and row["section"] == "ch4-cost"
    sources = [source for group, source, _ in guide.SOURCES if group == "cost"]
    assert sources == [guide_evidence]
