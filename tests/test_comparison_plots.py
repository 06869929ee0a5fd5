"""The CNN chapter's figures: titled, labelled, one colour per activation, sliders that switch epochs."""

import numpy as np
import pandas as pd
import pytest

from rectifiers.experiments.comparison import seed_noise_verdicts, seed_to_seed_spread
from rectifiers.figures.comparison import alpha_sweep, differences_vs_noise, learning_curves, snapshots_by_epoch
from rectifiers.figures.common import COLOURS

MODELS = [("relu", None), ("leaky_relu", 0.01), ("leaky_relu", 0.1)]  # the store records no α for ReLU


@pytest.fixture
def snapshots():
    rng = np.random.default_rng(0)
    return pd.DataFrame([
        dict(activation=a, alpha=al, seed=s, epoch=e, train_accuracy=0.9 + rng.random() / 20,
             test_accuracy=0.9 + rng.random() / 20, train_loss=rng.random(), test_loss=rng.random())
        for a, al in MODELS for s in range(3) for e in (1, 10, 100)
    ])


def test_learning_curves_has_faint_seeds_and_bold_means():
    history = pd.DataFrame([
        dict(activation=a, alpha=al, seed=s, epoch=e, train_loss=1 / e, test_loss=1 / e,
             train_accuracy=1 - 1 / e, test_accuracy=1 - 1 / e if e % 2 else np.nan)
        for a, al in MODELS[:2] for s in range(2) for e in range(1, 11)
    ])
    fig = learning_curves(history)
    assert len(fig.data) == 2 * 4 * (2 + 1)  # models x panels x (seeds + mean)
    means = [t for t in fig.data if t.showlegend]
    assert [t.line.color for t in means] == [COLOURS["relu"], COLOURS["leaky_relu"]]
    assert fig.layout.xaxis.type == "log" and fig.layout.title.text
    test_acc = [t for t in fig.data if t.xaxis == "x4" and t.showlegend is False]
    assert all(len(t.x) == 5 for t in test_acc)  # epochs without a test evaluation are skipped, not zeros


def test_mean_curve_skips_epochs_that_only_some_seeds_have_and_spikes_are_marked():
    rows = [dict(activation="relu", alpha=None, seed=s, epoch=e, train_loss=(100.0 if (s, e) == (1, 9) else 1 / e),
                 test_loss=1 / e, train_accuracy=0.9, test_accuracy=0.9 + s / 100 if (s == 0 or e % 5 == 0) else np.nan)
            for s in range(2) for e in range(1, 11)]
    fig = learning_curves(pd.DataFrame(rows))
    mean = [t for t in fig.data if t.showlegend and t.xaxis == "x4" or (t.name == "ReLU" and t.xaxis == "x4")][0]
    assert list(mean.x) == [5, 10] and list(mean.y) == pytest.approx([0.905, 0.905])
    spikes = [t for t in fig.data if t.name and "loss spike" in t.name]
    assert len(spikes) == 1 and list(spikes[0].x) == [9]


def test_snapshot_slider_shows_one_epoch_at_a_time(snapshots):
    fig = snapshots_by_epoch(snapshots)
    steps = fig.layout.sliders[0].steps
    assert [s.label for s in steps] == ["1", "10", "100"]
    for step in steps:
        assert sum(step.args[0]["visible"]) == 3 * 4  # models x metrics
    assert sum(bool(t.visible) for t in fig.data) == 12


def test_differences_figure_carries_ci_article_and_noise(snapshots):
    fig = differences_vs_noise(seed_noise_verdicts(snapshots, 0.01), seed_to_seed_spread(snapshots))
    names = {t.name for t in fig.data}
    assert names == {"ReLU seed vs ReLU seed", "our mean over seeds, 95 % CI", "seed article (one run)"}
    assert fig.layout.yaxis.title.text == "accuracy: ReLU relative to Leaky ReLU (%)"
    # Loss panels (2 and 4) show the ratio ReLU ÷ Leaky ReLU on log axes, never a relative difference of losses.
    assert fig.layout.yaxis2.type == "log" and fig.layout.yaxis4.type == "log" and fig.layout.yaxis.type != "log"
    ours = [t for t in fig.data if t.name == "our mean over seeds, 95 % CI" and t.xaxis == "x2"][0]
    assert min(ours.y) > 0


def test_alpha_sweep_slider_over_epochs(snapshots):
    fig = alpha_sweep(snapshots)
    assert fig.layout.xaxis.type == "log" and fig.layout.xaxis.title.text.startswith("negative slope")
    assert len(fig.layout.sliders[0].steps) == 3


def test_robust_range_ignores_outliers_but_keeps_zero():
    from rectifiers.figures.comparison import robust_range

    low, high = robust_range([1.0] * 50 + [2.0] * 50 + [6e6])
    assert low < 0 < 1 < high < 10
    assert robust_range([]) == (-1.0, 1.0)


def test_long_learning_curves_are_drawn_at_fewer_epochs_but_keep_snapshots_and_spikes():
    from rectifiers.figures.comparison import _drawn_epochs

    drawn = _drawn_epochs(range(1, 1001), keep=[100, 777])
    assert set(range(1, 30)) <= set(drawn)  # every early epoch
    assert {1, 10, 100, 1000, 777} <= set(drawn) and len(drawn) < 350  # and a thinned tail
    assert list(_drawn_epochs(range(1, 21))) == list(range(1, 21))  # a short run keeps every epoch
