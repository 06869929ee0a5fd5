"""The replication table and seed-noise verdicts on snapshots whose answer is known."""

import numpy as np
import pandas as pd
import pytest

from rectifiers.comparison import relative_differences, replication_table, seed_noise_verdicts, seed_to_seed_spread


def snapshots(relu_acc, leaky_acc, epochs=(1, 10)):
    rows = []
    for epoch in epochs:
        for activation, accs in (("relu", relu_acc), ("leaky_relu", leaky_acc)):
            for seed, acc in enumerate(accs):
                rows.append(dict(activation=activation, alpha=0.01, seed=seed, epoch=epoch, train_accuracy=acc,
                                 test_accuracy=acc, train_loss=1 - acc, test_loss=1 - acc))
    return pd.DataFrame(rows)


def test_replication_table_uses_the_seed_articles_sign_convention():
    table = replication_table(snapshots([0.97], [0.98]), alpha=0.01, seed=0)
    assert list(table.index) == [1, 10]
    assert table.loc[1, "test_accuracy"] == pytest.approx(100 * (0.97 - 0.98) / 0.98)
    assert table.loc[1, "test_loss"] == pytest.approx(50.0)  # 0.03 vs 0.02: ReLU's loss 50 % higher


def test_consistent_gap_is_distinguishable_and_noise_is_not():
    gap = snapshots([0.970, 0.971, 0.969, 0.970, 0.972], [0.980, 0.981, 0.979, 0.980, 0.982])
    v = seed_noise_verdicts(gap, alpha=0.01)
    assert len(v) == 2 * 4 and set(v.n_seeds) == {5}
    assert (v.verdict == "distinguishable from seed noise").all() and (v.better == "Leaky ReLU").all()
    noise = snapshots([0.970, 0.980, 0.975, 0.972, 0.978], [0.978, 0.971, 0.976, 0.979, 0.970])
    assert (seed_noise_verdicts(noise, alpha=0.01).verdict == "within seed noise").all()


def test_single_seed_has_no_interval():
    v = seed_noise_verdicts(snapshots([0.97], [0.98]), alpha=0.01)
    assert (v.verdict == "one seed: no interval").all() and v.p_value.isna().all()


def test_missing_runs_and_unknown_seed_are_reported():
    with pytest.raises(ValueError, match="no stored snapshots"):
        relative_differences(pd.DataFrame(), alpha=0.01)
    with pytest.raises(ValueError, match="alpha=0.3"):
        relative_differences(snapshots([0.9], [0.9]), alpha=0.3)
    with pytest.raises(ValueError, match=r"seed must be one of the stored seeds \[0\]"):
        replication_table(snapshots([0.9], [0.9]), alpha=0.01, seed=7)


def test_seed_to_seed_spread_counts_every_pair():
    spread = seed_to_seed_spread(snapshots([0.97, 0.98, 0.99], [0.9, 0.9, 0.9], epochs=(1,)))
    assert len(spread) == 3 * 4  # 3 pairs x 4 metrics
    row = spread[(spread.seeds == "0 vs 1") & (spread.metric == "test_accuracy")].difference.item()
    assert row == pytest.approx(100 * (0.97 - 0.98) / 0.98)
    assert np.isfinite(spread.difference).all()


def test_side_by_side_interleaves_ours_and_the_articles_columns():
    from rectifiers.comparison import side_by_side
    from rectifiers.seed_article import seed_table

    ours = replication_table(snapshots([0.97], [0.98]), alpha=0.01, seed=0)
    both = side_by_side(ours, seed_table())
    assert list(both.columns[:2]) == [("train accuracy", "ours"), ("train accuracy", "article")]
    assert both.loc[10, ("test loss", "article")] == 1.87 and both.loc[1, ("test loss", "ours")] == pytest.approx(50.0)


def test_verdicts_for_reading_keeps_every_cell():
    from rectifiers.comparison import verdicts_for_reading

    v = seed_noise_verdicts(snapshots([0.970, 0.971, 0.969], [0.980, 0.981, 0.979]), alpha=0.01)
    table = verdicts_for_reading(v)
    assert len(table) == len(v) and table.verdict.eq("distinguishable").all()
    assert table["95 % CI (%)"].str.match(r"^\[[+-]\d+\.\d{3}, [+-]\d+\.\d{3}\]$").all()
