"""Learning curves over seeds on small synthetic histories: the mean, and loss spikes."""

import numpy as np
import pandas as pd
import pytest

from rectifiers.experiments.comparison_curves import loss_spikes, mean_over_seeds, spike_counts


def history(test_every_by_seed, epochs=20, spike=None):
    """ReLU runs whose seed s is tested every `test_every_by_seed[s]` epochs; `spike` = (seed, epoch)."""
    rows = []
    for seed, every in enumerate(test_every_by_seed):
        for e in range(1, epochs + 1):
            loss = 1.0 / e
            if spike and (seed, e) == spike:
                loss = 50.0 / e  # 50× the epoch before's trend: more than an order of magnitude
            rows.append(dict(activation="relu", alpha=None, seed=seed, epoch=e, train_loss=loss,
                             test_accuracy=(0.9 + seed / 100) if e % every == 0 or e == 1 else np.nan))
    return pd.DataFrame(rows)


def test_mean_uses_only_epochs_where_every_seed_has_a_value():
    h = history([1, 5, 5])  # seed 0 tested every epoch, the others every 5 (as ReLU seed 0 in the store)
    mean = mean_over_seeds(h, "test_accuracy")
    assert list(mean.epoch) == [1, 5, 10, 15, 20] and (mean.n_seeds == 3).all()
    assert mean["mean"].to_numpy() == pytest.approx([0.91] * 5)  # never seed 0's 0.90 alone


def test_mean_separates_models_and_rejects_unknown_metrics():
    h = pd.concat([history([1, 1]), history([1, 1]).assign(activation="leaky_relu", alpha=0.01)])
    mean = mean_over_seeds(h, "train_loss")
    assert set(mean.activation) == {"relu", "leaky_relu"} and len(mean) == 40
    with pytest.raises(ValueError, match="metric must be one of"):
        mean_over_seeds(h, "accuracy")


def test_a_loss_jump_over_ten_fold_is_a_spike_and_counted_per_model():
    h = history([1, 1, 1], spike=(1, 12))
    spikes = loss_spikes(h)
    assert len(spikes) == 1 and spikes.iloc[0][["seed", "epoch"]].tolist() == [1, 12]
    assert spikes.iloc[0].growth == pytest.approx(50 * 11 / 12)
    counts = spike_counts(h, spikes).iloc[0]
    assert (counts.runs, counts.runs_with_spike, counts.spikes) == (3, 1, 1)


def test_slow_growth_and_gaps_between_epochs_are_not_spikes():
    h = history([1, 1])
    h.loc[(h.seed == 0) & (h.epoch == 8), "train_loss"] *= 9  # 9× is under the threshold
    assert loss_spikes(h).empty
    gap = h[~h.epoch.between(5, 9)].copy()  # epochs 4 -> 10 are not consecutive
    gap.loc[gap.epoch == 10, "train_loss"] = 100.0
    assert loss_spikes(gap).empty


def test_a_tenfold_jump_among_losses_below_the_floor_is_not_a_spike():
    from rectifiers.experiments.comparison_curves import SPIKE_FLOOR
    from rectifiers.experiments.comparison_report import spikes_sentence

    h = history([1, 1])
    h.loc[h.seed == 0, "train_loss"] *= 1e-9  # a memorised training set: losses of 1e-9 and below
    h.loc[(h.seed == 0) & (h.epoch == 8), "train_loss"] = SPIKE_FLOOR / 2  # a million-fold, but still tiny
    h.loc[(h.seed == 0) & (h.epoch == 15), "train_loss"] = 0.1  # a real spike
    spikes = loss_spikes(h)
    assert spikes[["seed", "epoch"]].values.tolist() == [[0, 15]]
    assert spikes_sentence(h, spikes, 0.01) == "1 of 2 ReLU runs (seed 0 at epoch 15)"
    for e in (3, 6, 9, 12):  # more than three spikes are told by count, not one by one
        h.loc[(h.seed == 1) & (h.epoch == e), "train_loss"] = 50.0
    many = loss_spikes(h)
    assert spikes_sentence(h, many, 0.01) == ("2 of 2 ReLU runs (5 spikes, 1–4 per run that had one, the first at "
                                              "epochs 3–15)")
