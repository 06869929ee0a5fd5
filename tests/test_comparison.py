"""The replication table and seed-noise verdicts on snapshots whose answer is known."""

import numpy as np
import pandas as pd
import pytest

from rectifiers.experiments.comparison import relative_differences, replication_table, seed_noise_verdicts, seed_to_seed_spread


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
    # The table's cells are one family: a cell at p = .04 alone among eight is not distinguishable after Holm.
    assert (v.p_holm >= v.p_value).all()
    lone = seed_noise_verdicts(noise, alpha=0.01)
    assert ((lone.p_holm <= 0.05) == (lone.verdict == "distinguishable from seed noise")).all()


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
    from rectifiers.experiments.comparison import side_by_side
    from rectifiers.experiments.seed_article import seed_table

    ours = replication_table(snapshots([0.97], [0.98]), alpha=0.01, seed=0)
    both = side_by_side(ours, seed_table())
    assert list(both.columns[:2]) == [("train accuracy", "ours"), ("train accuracy", "article")]
    assert both.loc[10, ("test loss", "article")] == 1.87 and both.loc[1, ("test loss", "ours")] == pytest.approx(50.0)


def test_verdicts_for_reading_keeps_every_cell():
    from rectifiers.experiments.comparison_report import verdicts_for_reading

    v = seed_noise_verdicts(snapshots([0.970, 0.971, 0.969], [0.980, 0.981, 0.979]), alpha=0.01)
    table = verdicts_for_reading(v)
    assert len(table) == len(v) and table.verdict.eq("distinguishable").all()
    acc = table[table.metric.str.endswith("accuracy")]
    assert acc["95 % CI"].str.match(r"^[+−][\d,.]+ % to [+−][\d,.]+ %$").all()  # real minus signs, 3 digits
    loss = table[table.metric.str.endswith("loss")]
    assert loss["ReLU vs Leaky ReLU"].str.match(r"^×[\d.]+$").all()
    assert not table.to_string().count("nan") and "_" not in " ".join(table.metric)


# --- the loss measure ----------------------------------------------------------------------------------------------


def test_loss_verdicts_use_log_ratios_not_relative_differences():
    """Losses near zero: 1e-7 vs 2e-7 is "half the loss", not a -50 % cell that swings with round-off."""
    relu, leaky = [1e-7, 1.1e-7, 0.9e-7, 1.05e-7, 0.95e-7], [2e-7, 2.2e-7, 1.8e-7, 2.1e-7, 1.9e-7]
    rows = [dict(activation=a, alpha=0.01, seed=s, epoch=100, train_accuracy=1.0, test_accuracy=0.98,
                 train_loss=loss, test_loss=0.15) for a, losses in (("relu", relu), ("leaky_relu", leaky))
            for s, loss in enumerate(losses)]
    v = seed_noise_verdicts(pd.DataFrame(rows), alpha=0.01).set_index("metric")
    train = v.loc["train_loss"]
    assert train.unit == "ratio" and train.shown == pytest.approx(0.5, rel=1e-6)
    assert train["mean"] == pytest.approx(np.log(0.5), rel=1e-6)
    assert train.verdict == "distinguishable from seed noise" and train.better == "ReLU"
    assert v.loc["test_loss"].shown == pytest.approx(1.0) and v.loc["test_accuracy"].unit == "%"
    # Symmetric: swapping the activations turns ×0.5 into ×2, not -50 % into +100 %.
    swapped = pd.DataFrame(rows).replace({"activation": {"relu": "leaky_relu", "leaky_relu": "relu"}})
    assert seed_noise_verdicts(swapped, alpha=0.01).set_index("metric").loc["train_loss", "mean"] == \
        pytest.approx(-train["mean"])


def test_near_zero_denominators_are_marked_in_the_articles_table():
    from rectifiers.experiments.comparison import near_zero_cells
    from rectifiers.experiments.comparison_report import replication_for_reading

    frame = snapshots([0.97], [0.98], epochs=(1, 100))
    frame.loc[(frame.epoch == 100), ["train_loss", "test_loss"]] = [[3e-7, 0.2], [2e-7, 0.1]]  # relu, leaky
    near = near_zero_cells(frame, 0.01, 0)
    assert bool(near.loc[100, "train_loss"]) and not near.loc[100, "test_loss"] and not near.loc[1].any()
    table = replication_for_reading(frame, 0.01, 0)
    assert table.loc["100", ("train loss", "ours")] == "+50.0 % †"
    assert table.loc["100", ("test loss", "ours")] == "+100 %"
    assert table.loc["1", ("train accuracy", "article")] == "+0.279 %"


# --- the article's rows, as far as the runs go -------------------------------------------------------------------


def test_the_1000_epoch_row_appears_when_the_runs_reach_it():
    from rectifiers.experiments.comparison_report import rows_sentence

    partial = snapshots([0.97, 0.98], [0.98, 0.97], epochs=(1, 10, 100))
    sentence = rows_sentence(partial, 0.01, {"epochs_done_min": 100, "epochs_planned": 1000})
    assert "1, 10 and 100 epochs" in sentence and "1,000-epoch row appears when the runs reach it" in sentence
    assert "stored up to epoch 100 of 1,000" in sentence
    full = snapshots([0.97, 0.98], [0.98, 0.97], epochs=(1, 10, 100, 1000))
    assert list(replication_table(full, 0.01, 0).index) == [1, 10, 100, 1000]
    assert set(seed_noise_verdicts(full, 0.01).epoch) == {1, 10, 100, 1000}
    assert rows_sentence(full, 0.01, {"epochs_done_min": 1000, "epochs_planned": 1000}).startswith("All 4")


def test_missing_leaky_runs_are_a_clear_error_not_a_type_error():
    from rectifiers.experiments.comparison import has_pairs, paired_metrics

    relu_only = snapshots([0.97], [0.98])
    relu_only = relu_only[relu_only.activation == "relu"].assign(alpha=None)  # the store records no α for ReLU
    with pytest.raises(ValueError, match="none of leaky_relu with alpha=0.05"):
        paired_metrics(relu_only, 0.05)
    assert not has_pairs(relu_only, 0.05) and not has_pairs(snapshots([0.9], [0.9]), 0.05)


# --- missing runs: the exact command that trains them ---------------------------------------------------------------


def test_missing_runs_get_the_study_file_that_trains_them_or_one_to_save(tmp_path):
    import yaml

    from rectifiers.experiments.comparison import gather, study_yaml
    from rectifiers.engine import ResultsStore
    from rectifiers.engine import load_study, study_from_dict

    settings = dict(datasets=["mnist"], activations=["relu", "leaky_relu"], seeds=[0], epochs=[1, 3], n_train=200,
                    n_test=100)
    studies = tmp_path / "studies"
    studies.mkdir()
    (studies / "wide.yaml").write_text(yaml.safe_dump(dict(name="wide", alphas=[0.01, 0.05], **settings)))
    (studies / "other.yaml").write_text(yaml.safe_dump(dict(name="other", alphas=[0.3], **settings)))
    (studies / "broken.yaml").write_text("name: [")
    store = ResultsStore(tmp_path / "store")

    wanted = study_from_dict(dict(name="cnn_comparison_mnist_a0.05", alphas=[0.05], **settings))
    results = gather(wanted, store, until_epoch=1)
    assert not results.records and len(results.missing) == 2
    assert results.training_command(studies) == "python -m rectifiers study studies/wide.yaml --until-epoch 1"

    unmatched = gather(study_from_dict(dict(name="cnn_comparison_mnist_a0.1", alphas=[0.1], **settings)), store)
    command = unmatched.training_command(studies)
    assert command.startswith("python -m rectifiers study studies/cnn_comparison_mnist_a0.1.yaml\n")
    written = tmp_path / "saved.yaml"
    written.write_text(study_yaml(unmatched.plan.study))
    assert load_study(written).configs() == unmatched.plan.study.configs()  # the YAML trains exactly those runs
    assert "alphas: [0.1]" in command


@pytest.mark.slow
def test_broken_records_are_named_by_the_chapters_loaders_not_dropped(tmp_path):
    import json

    import yaml

    from rectifiers.engine import ResultsStore
    from rectifiers.engine import load_study
    from rectifiers.engine.stored_studies import study_records
    from rectifiers.experiments.comparison import gather

    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(dict(name="tiny", datasets=["mnist"], activations=["relu", "leaky_relu"],
                                        alphas=[0.01], seeds=[0, 1], epochs=[1], n_train=200, n_test=100)))
    study, store = load_study(path), ResultsStore(tmp_path / "store")
    assert len(gather(study, store, train=True, progress=False).records) == 4
    assert study_records(path, store=store)  # all four usable
    files = sorted(store.runs_dir.glob("*.json"))
    no_snapshots, nan_metric = files[0], files[1]
    record = json.loads(no_snapshots.read_text())
    no_snapshots.write_text(json.dumps({**record, "snapshots": {}}))
    record = json.loads(nan_metric.read_text())
    record["snapshots"][0]["test_loss"] = float("nan")
    nan_metric.write_text(json.dumps(record))

    results = gather(study, store)  # Chapter 4's loader
    assert len(results.records) == 2 and not results.complete and not results.missing
    assert [u.split(": ")[0] for u in results.unusable] == [str(no_snapshots), str(nan_metric)]
    assert "snapshots must be a list" in results.unusable[0] and "NaN" in results.unusable[1]
    message = results.missing_message("python -m rectifiers study tiny.yaml")
    assert "2 stored file(s) of study 'tiny' could not be used" in message
    assert no_snapshots.name in message and nan_metric.name in message

    with pytest.raises(FileNotFoundError) as error:  # Chapters 2-3's loader stops, naming every file
        study_records(path, store=store)
    assert "2 stored file(s) could not be used" in str(error.value)
    assert no_snapshots.name in str(error.value) and nan_metric.name in str(error.value)


def test_reader_tables_have_readers_words_and_no_raw_numbers():
    from rectifiers.experiments.comparison_report import overfitting_for_reading

    rows = [dict(activation=a, alpha=al, seed=s, epoch=e, train_loss=1 / e**3, test_loss=abs(e - 11) / 100 + 0.1,
                 test_accuracy=0.97 + e / 10000) for a, al in (("relu", None), ("leaky_relu", 0.01))
            for s in range(2) for e in range(1, 21)]
    table = overfitting_for_reading(pd.DataFrame(rows), 0.01)
    assert list(table.index) == ["ReLU", "Leaky ReLU (α=0.01)"]
    assert table.loc["ReLU", "lowest test loss at epoch (mean)"] == "11"
    assert table.loc["ReLU", "test accuracy at the last epoch"] == "97.20 %"
    text = table.to_string()
    assert "nan" not in text.lower() and "_" not in text and "11.0000" not in text


def test_the_scale_is_read_from_the_records_without_machine_paths():
    from types import SimpleNamespace

    from rectifiers.experiments.comparison import StudyResults
    from rectifiers.experiments.comparison_report import scale_sentence, scale_summary

    def record(seed, activation, done):
        return dict(config=dict(seed=seed, batch_size=32, epochs=[1000]), epochs_done=done,
                    experiment=dict(n_train=5000, n_test=10000),
                    data=dict(name="mnist", n_train=5000, n_test=10000, is_sample=True,
                              description="train: /some/where/mnist_5k.csv.gz"),
                    segments=[dict(wall_s=360.0 * done / 100, backend="tensorflow", device="CPU",
                                   started="2026-05-01T10:00:00", finished="2026-05-02T10:00:00",
                                   versions=dict(tensorflow="2.19.0", keras="3.10.0"),
                                   hardware=dict(cpu="AMD EPYC", cores=2))], activation=activation)

    plan = SimpleNamespace(runs=[SimpleNamespace(config=SimpleNamespace(last_epoch=1000))] * 4)
    records = [record(s, a, 100) for s in (0, 1) for a in ("relu", "leaky_relu")]
    sentence = scale_sentence(scale_summary(StudyResults(plan, records)))
    assert sentence == ("4 runs (2 seeds per activation) on 5,000 of the 60,000 training images, trained to epoch 100 "
                        "of 1,000: 400 epochs in 0.4 hours on 2 CPU cores (AMD EPYC) with Keras' tensorflow backend")
    records[0]["epochs_done"] = 1000
    assert "trained to epochs 100–1,000 of 1,000" in scale_sentence(scale_summary(StudyResults(plan, records)))


def test_the_articles_tables_are_shown_in_readers_words():
    from rectifiers.experiments import comparison_report, seed_article

    table = comparison_report.seed_article_for_reading()
    assert list(table.columns) == ["train accuracy", "train loss", "test accuracy", "test loss"]
    assert list(table.index) == ["1", "10", "100", "1,000"] and table.loc["1,000", "test loss"] == "+2.11 %"
    averages = comparison_report.averages_for_reading(seed_article.averages_check())
    assert "test loss" in averages.index and "_" not in "".join(averages.index)
    assert averages.loc["test loss"].tolist() == ["+0.85 %", "+1.671 %"]


def test_verdicts_leave_out_epochs_that_only_some_seeds_reached():
    all_seeds = snapshots([0.970, 0.971, 0.969], [0.980, 0.981, 0.979], epochs=(1, 10))
    ahead = snapshots([0.97], [0.98], epochs=(1000,))  # seed 0 alone has reached epoch 1000
    v = seed_noise_verdicts(pd.concat([all_seeds, ahead]), alpha=0.01)
    assert set(v.epoch) == {1, 10} and set(v.n_seeds) == {3}


def test_the_long_run_sentence_uses_only_seeds_with_both_runs_at_the_last_epoch():
    from rectifiers.experiments.comparison_report import MISSING, long_run_sentence

    all_seeds = snapshots([0.970, 0.980, 0.990], [0.960, 0.970, 0.980], epochs=(100,))
    ahead = snapshots([0.975, 0.985], [0.965, 0.975], epochs=(1000,))  # seeds 0 and 1 reached epoch 1000
    ahead = ahead[~((ahead.seed == 1) & (ahead.activation == "leaky_relu"))]  # seed 1's Leaky run has not
    sentence = long_run_sentence(pd.concat([all_seeds, ahead]))
    assert sentence.startswith("In the one seed trained to epoch 1,000 so far (seed 0), ")
    assert "ReLU's test accuracy went from 97.00 % to 97.50 %" in sentence
    assert "Leaky ReLU's test accuracy went from 96.00 % to 96.50 % and its test loss from 0.040 to 0.035" in sentence
    assert sentence.endswith("The seed-noise verdict for the 1,000-epoch row waits until all 3 seeds have reached it: "
                             "over 1 of them its interval would not mean what the other rows' do")
    assert long_run_sentence(all_seeds) == MISSING
    every = snapshots([0.975, 0.985, 0.995], [0.965, 0.975, 0.985], epochs=(1000,))
    done = long_run_sentence(pd.concat([all_seeds, every]))
    assert done.startswith("In all 3 seeds (means over them), ReLU's test accuracy went from 98.00 % to 98.50 %")
    assert done.endswith("the seed-noise verdicts above include the 1,000-epoch row")


def test_a_loss_of_exactly_zero_leaves_its_cell_without_a_verdict_and_says_so():
    from rectifiers.experiments.comparison import NOT_COMPARABLE
    from rectifiers.experiments.comparison_report import verdict_sentence, verdicts_for_reading

    snaps = snapshots([0.970, 0.971, 0.969], [0.980, 0.981, 0.979], epochs=(1, 10))
    snaps.loc[(snaps.epoch == 10) & (snaps.seed == 0), "train_loss"] = 0.0  # float32 underflow in both of seed 0
    v = seed_noise_verdicts(snaps, alpha=0.01)
    cell = v[(v.epoch == 10) & (v.metric == "train_loss")].iloc[0]
    assert cell.verdict == f"{NOT_COMPARABLE}: exactly 0 in 2 of 6 runs" and cell.better == "—"
    assert len(v) == 8  # the cell stays in the table
    shown = verdicts_for_reading(v)
    assert shown.iloc[list(v.index).index(cell.name)]["ReLU vs Leaky ReLU"] == "—"
    sentence = verdict_sentence(v)
    assert "of the 7 judged cells" in sentence
    assert sentence.endswith("train loss at epoch 10 has no verdict: a loss of exactly 0 in 2 of 6 runs, and a ratio "
                             "to 0 does not exist")
    same = seed_noise_verdicts(snapshots([0.97] * 3, [0.97] * 3, epochs=(1,)), alpha=0.01)
    assert set(same[same.metric == "train_accuracy"].better) == {"neither"}


def test_the_stored_table_is_judged_as_one_family():
    """The replication's cells, from the stored runs: one uncorrected interval excludes 0 (train accuracy after one
    epoch, p = .04), but among the table's cells it does not survive Holm's correction."""
    from rectifiers.engine import load_study
    from rectifiers.experiments import comparison

    from conftest import ROOT

    snapshots = comparison.gather(load_study(ROOT / "studies/mnist_seed_replication.yaml")).snapshots()
    v = seed_noise_verdicts(snapshots, alpha=0.01)
    assert v.ci_excludes_zero.sum() >= 1 and (v.verdict == "distinguishable from seed noise").sum() == 0
