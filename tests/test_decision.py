"""The book's one decision procedure (`rectifiers.decision`) on synthetic situations, and its calibration."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from rectifiers import calibration, decision

ACCURACY = decision.Endpoints(failure="synthetic", metric="test accuracy")


def situation(settings: dict, seeds: int = 10, seed: int = 0) -> pd.DataFrame:
    """settings: name -> (failed per seed, or a count of failed seeds first; healthy accuracy gap). Healthy runs
    score 0.9 + gap + a seed effect shared by every setting + small noise; failed runs 0.1."""
    rng = np.random.default_rng(seed)
    shared = rng.normal(0, 0.02, seeds)
    rows = []
    for name, (failed, gap) in settings.items():
        failed = np.arange(seeds) < failed if np.isscalar(failed) else np.asarray(failed, bool)
        acc = np.where(failed, 0.1, 0.9 + gap + shared + rng.normal(0, 0.003, seeds))
        rows += [{"setting": name, "seed": s, "failed": f, "metric": a} for s, f, a in zip(range(seeds), failed, acc)]
    return pd.DataFrame(rows)


def test_exact_mcnemar_counts_only_discordant_seeds():
    b, c, p = decision.exact_mcnemar([1, 1, 0, 0, 1, 0, 0, 0], [1, 0, 0, 0, 0, 0, 0, 0])
    assert (b, c) == (2, 0) and p == pytest.approx(sps.binomtest(0, 2, 0.5).pvalue) == 0.5
    assert decision.exact_mcnemar([0, 0], [0, 0])[2] == 1.0
    assert decision.exact_mcnemar([0] * 10, [1] * 10)[2] == pytest.approx(2 / 1024)


def test_holm_steps_down_and_is_monotone():
    adjusted = decision.holm([0.01, 0.04, 0.03, np.nan])
    assert adjusted[0] == pytest.approx(0.03) and adjusted[2] == pytest.approx(0.06)
    assert adjusted[1] == pytest.approx(0.06) and math.isnan(adjusted[3])  # max(0.04 * 1, 0.06)


def test_sign_flip_test_is_exact_for_few_seeds():
    assert decision.sign_flip_test([1.0] * 6) == pytest.approx(2 / 64)
    assert decision.sign_flip_test([0, 0, 0]) == 1.0


def test_prefer_names_one_alternative_only_when_the_data_separate_it_from_the_others():
    one = decision.decide(situation({"ReLU": (8, 0), "A": (0, 0), "B": (8, 0), "C": (8, 0)}), ACCURACY)
    assert one.category == "prefer" and one.verdict == "prefer A"
    both = decision.decide(situation({"ReLU": (9, 0), "A": (0, 0), "B": (0, 0)}), ACCURACY)
    assert both.verdict == "prefer A or B"  # never a tie-break pick
    # B fails in 5 of 10 against ReLU's 8: not shown better than ReLU, nor worse than A. It is named after a dash, as
    # not separated from the winner, never among the winners (a reader would take "prefer A or B" as B beating ReLU).
    close = decision.decide(situation({"ReLU": (8, 0), "A": (0, 0), "B": (5, 0)}), ACCURACY)
    assert close.verdict == "prefer A — not separated from it, but not shown better than ReLU: B"
    assert close.comparisons.set_index("alternative").better.to_dict() == {"A": True, "B": False}


def test_avoid_names_a_harm_and_prefer_relu_when_every_alternative_is_worse():
    harm = decision.decide(situation({"ReLU": (0, 0), "A": (10, 0), "B": (0, 0)}), ACCURACY)
    assert harm.verdict == "avoid A" and harm.category == "avoid"
    worse = decision.decide(situation({"ReLU": (0, 0), "A": (10, 0), "B": (10, 0)}), ACCURACY)
    assert worse.verdict.startswith("prefer ReLU")


def test_either_and_neither():
    assert decision.decide(situation({"ReLU": (0, 0), "A": (0, 0), "B": (0, 0)}), ACCURACY).verdict == "either"
    neither = decision.decide(situation({"ReLU": (10, 0), "A": (9, 0), "B": (10, 0)}), ACCURACY)
    assert neither.category == "neither" and "lower the learning rate" in neither.verdict


def test_holm_turns_several_borderline_wins_into_either():
    """Three alternatives each at p = .02 against ReLU: each alone would win; corrected (×3) none does."""
    d = np.array([0.01, 0.02, -0.005, 0.015, 0.01, 0.002, 0.02, -0.008, 0.012, 0.004])
    relu = 0.9 + np.random.default_rng(0).normal(0, 0.02, 10)
    runs = pd.DataFrame([{"setting": name, "seed": s, "failed": False, "metric": relu[s] + (d[s] if name != "ReLU" else 0)}
                         for name in ("ReLU", "A", "B", "C") for s in range(10)])
    judged = decision.decide(runs, ACCURACY)
    assert (judged.comparisons.p_metric < 0.05).all() and judged.verdict == "either", judged.sentence()
    assert judged.comparisons.p_metric_holm.to_numpy() == pytest.approx(3 * judged.comparisons.p_metric.to_numpy())
    alone = decision.decide(runs[runs.setting.isin(["ReLU", "A"])], ACCURACY)
    assert alone.verdict == "prefer A"


def test_accuracy_counts_every_seed_not_only_the_survivors():
    """A fails half its seeds; its survivors score higher than ReLU's, but over every seed it is worse."""
    runs = situation({"ReLU": (0, 0), "A": ([1, 1, 1, 1, 1, 0, 0, 0, 0, 0], 0.02)})
    row = decision.decide(runs, ACCURACY).comparisons.iloc[0]
    assert row.survivor_difference > 0 > row.difference and row.survivor_seeds == 5
    assert row.metric_test == "sign-flip permutation"


def test_a_diverged_run_counts_as_the_worst_value_of_its_situation():
    runs = situation({"ReLU": (0, 0), "A": (10, 0)})
    runs.loc[runs.setting == "A", "metric"] = np.nan
    row = decision.decide(runs, ACCURACY).comparisons.iloc[0]
    assert row.difference == pytest.approx(runs[runs.setting == "ReLU"].metric.min() - runs.metric.mean() * 0
                                           - runs[runs.setting == "ReLU"].metric.mean())


def test_a_verdict_that_flips_within_the_band_is_unclear():
    scores = np.r_[[0.12] * 10, [0.35] * 10]  # ReLU near chance; A between the band's ends
    runs = pd.DataFrame({"setting": ["ReLU"] * 10 + ["A"] * 10, "seed": list(range(10)) * 2, "metric": scores,
                         "score": scores, "diverged": False})
    bar = decision.FailureBar(0.3, 0.2, 0.4, "synthetic")
    runs, band = decision.band_columns(runs, "score", bar)
    judged = decision.decide(runs, ACCURACY, band=band)
    assert judged.category == "unclear" and judged.at_band[0.4].startswith("neither")
    assert judged.at_band[0.2] == "prefer A"


def test_the_failure_bar_comes_from_the_healthy_runs():
    bar = decision.bar_from_healthy([0.7, 0.85, np.nan])
    assert bar.value == pytest.approx(0.1 + 0.6 / 3) and (bar.low, bar.high) == pytest.approx((0.2, 0.5))
    with pytest.raises(ValueError, match="not above chance"):
        decision.bar_from_healthy([0.05])
    # a gentlest setting where some runs failed too: the healthy ones are those more than halfway to the best
    assert decision.bar_from_healthy([0.1, 0.09, 0.7, 0.6]).value == pytest.approx(0.1 + 0.5 / 3)
    with pytest.raises(ValueError, match="runs lacks the column"):
        decision.decide(pd.DataFrame({"setting": ["ReLU"], "seed": [0]}), ACCURACY)


def test_calibration_false_positives_stay_within_five_percent():
    n = 150
    rate = calibration.false_positive_rate(n, seed=11)
    assert rate <= 0.05 + 2 * math.sqrt(0.05 * 0.95 / n), rate
    assert calibration.lines({"false_positives": 0.01, "null_situations": 5, "power": [
        {"rate": 0.5, "at": "x"}]}) == ["false positives: 0.010 over 5 null situations", "power: 0.50 at x"]


def test_the_command_prints_the_two_line_formats(capsys):
    from rectifiers.engine.cli import main

    assert main(["calibrate", "--null", "20", "--per-case", "5"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("false positives: ") and out[0].endswith(" over 20 null situations")
    assert all(line.startswith("power: ") and " at " in line for line in out[1:]) and len(out) == 5
    assert main(["calibrate", "--null", "0"]) == 2


def test_the_stored_calibration_measured_this_procedure():
    measured = calibration.stored()
    assert measured["false_positives"] <= 0.05 + 2 * math.sqrt(0.05 * 0.95 / measured["null_situations"])
