"""Chapter 8: the networks people train today (MNIST-1D), its numbers from the stored runs, train mode, the guide's
rows, the plateau measure and bad parameters."""

import json

import numpy as np
import pandas as pd
import papermill
import pytest

from rectifiers.engine import ResultsStore
from rectifiers.experiments import modern_networks as modern
from rectifiers.experiments import family_report, rectifier_family
from tests.conftest import NOTEBOOKS

NOTEBOOK = "08_modern_networks"


def test_plateau_says_which_variant_still_moves():
    epochs = np.arange(1, 201)
    rows = []
    for seed in range(3):
        for name, curve in (("ReLU", 0.9 + 0 * epochs), ("GELU", 0.8 + 0.0002 * epochs)):  # GELU: +1 pp per 50
            rows += [dict(variant=name, activation=name.lower(), alpha=None, seed=seed, epoch=e, test_accuracy=a)
                     for e, a in zip(epochs, curve)]
    table = modern.plateau(pd.DataFrame(rows)).set_index("variant")
    assert table.loc["ReLU", "converged"] and table.loc["ReLU", "change_pp"] == pytest.approx(0.0)
    assert not table.loc["GELU", "converged"] and table.loc["GELU", "change_pp"] == pytest.approx(1.0)
    assert "1 of 2 still moved" in modern.plateau_sentence({"resnet": table.reset_index()})


def test_the_chapter_s_studies_and_an_empty_store_s_guide_rows(tmp_path):
    studies = modern.chapter_studies("resnet", activations=["relu", "gelu"])
    assert [s.source for s in studies] == ["studies/ch8_mnist1d_resnet.yaml"]  # PReLU's file is left out
    assert {c.model for c in studies[0].configs()} == {"resnet1d"}
    with pytest.raises(ValueError, match="network must be one of"):
        modern.chapter_studies("vgg")
    rows = modern.guide_evidence(ResultsStore(tmp_path))
    assert [r["situation"] for r in rows] == list(modern.SITUATIONS.values())
    for row in rows:  # not measured: no seeds, and the command that trains the runs
        assert row["seeds"] is None and "python -m rectifiers study studies/ch8_mnist1d_" in row["evidence"]
    for row in modern.guide_evidence():  # a stored network's row says whether its runs had levelled off
        assert row["seeds"] is None or "Levelled off? Test accuracy's seed median over epochs " in row["evidence"]
    text = modern.unmeasured_markdown(ResultsStore(tmp_path))
    assert text.count("- ") == len(modern.UNMEASURED) and "ch8_deep_narrow_blocks.yaml" in text
    # With the real store, a topic names only its studies not stored yet (the plain CNN's grid of Chapter 5 is stored).
    for topic, paths in modern.unmeasured():
        assert paths and all(modern._records(p, ResultsStore()) is None for p in paths), topic
    assert not any("ch5_lr_cnn_adam_long.yaml" in paths for _, paths in modern.unmeasured())
    # A topic with some of its studies stored says it is answered in part and names only what is left to train.
    text, planned = modern.unmeasured_markdown(), dict(modern.UNMEASURED)
    for topic, paths in modern.unmeasured():
        partly = f"- {topic}: measured in part; still to train: {', '.join(paths)};"
        assert (partly in text) == (len(paths) < len(planned[topic])), topic
    # Chapter 7 names what is stored: a topic with every study stored as it is, one with some "(in part)".
    assert modern.measured_text(ResultsStore(tmp_path)) == ""
    measured, still = modern.measured_text(), dict(modern.unmeasured())
    for topic, paths in modern.UNMEASURED:
        stored = len(paths) - len(still.get(topic, ()))
        assert (modern.in_part(topic) in measured) == (0 < stored < len(paths)), topic
        assert (topic in measured or modern.in_part(topic) in measured) == (stored > 0), topic


@pytest.mark.slow
def test_stored_mode_numbers_equal_a_recomputation_from_the_records(notebook_runner):
    glued = notebook_runner(NOTEBOOK)
    finals, paired = {}, {}
    for network in modern.NETWORKS:
        results = modern.gather_network(network)
        finals[network], diffs = modern.final_and_differences(results)
        paired[network] = diffs is not None
        if diffs is None:
            assert f"ch8_{network}_differences" not in glued
            continue
        shown = pd.DataFrame(json.loads(glued[f"ch8_{network}_differences"]))
        assert list(shown.variant) == list(diffs.variant) and list(shown.verdict) == list(diffs.verdict)
        np.testing.assert_allclose(shown.acc_gap_pp, diffs.acc_gap_pp, atol=1e-9)
    assert glued["ch8_reference"] == modern.reference_sentence(modern.reference_table(finals))
    assert "published 0.68" in glued["ch8_reference"] and "published 0.94" in glued["ch8_reference"]
    assert "5,000 signals of length 40 (seed 42" in glued["ch8_setup"] and "8,000 steps" in glued["ch8_setup"]
    # The sections that read other studies: their numbers once stored, else a paragraph naming the command.
    if not paired["transformer"]:  # while its first runs train, ReLU's may be stored without a pair
        assert glued["ch8_transformer_found"].startswith("Not trained yet.")
        assert "ch8_mnist1d_transformer.yaml" in glued["ch8_transformer_found"]
    else:
        assert glued["ch8_transformer_verdicts"] in glued["ch8_transformer_found"]
    assert glued["ch8_transformer_budget"] == "100 epochs of 4,000 signals, batch 100 = 4,000 steps"
    from rectifiers.experiments import schedules

    for network in schedules.SCHEDULED:
        found = glued[f"ch8_schedule_{network}_found"]
        assert (found.startswith("Not trained yet.") and schedules.SCHEDULED[network] in found) if network not in \
            schedules.stored() else found.startswith(glued[f"ch8_schedule_{network}_verdict"]) or "The training: " in found
    from rectifiers.experiments import deep_narrow_blocks as dnb, normalised_fashion as nf

    fashion_results = nf.gather()
    fashion = nf.finals_and_differences(fashion_results)[1][nf.KEY]
    assert glued["ch8_fashion_budgets"] == nf.budgets_sentence(fashion_results)
    if fashion is None:
        assert glued["ch8_fashion_found"].startswith("Not trained yet.") and nf.STUDIES[nf.KEY][0] in glued[
            "ch8_fashion_found"] and "not trained yet" in glued["ch8_fashion_setup"]
    else:
        shown = pd.DataFrame(json.loads(glued["ch8_fashion_differences"]))
        np.testing.assert_allclose(shown.acc_gap_pp, fashion.acc_gap_pp, atol=1e-9)
        assert glued["ch8_fashion_verdicts"] in glued["ch8_fashion_found"]
    try:
        runs = dnb.frame(*dnb.stored())
    except FileNotFoundError:
        assert glued["ch8_blocks_found"].startswith("Not trained yet.") and dnb.STUDY in glued["ch8_blocks_found"]
    else:
        table, learning = dnb.summary(runs), dnb.learning_verdicts(runs)
        assert glued["ch8_blocks_found"] == dnb.answer(table, learning)
        assert dnb.story(table, dnb.verdicts(runs)) in glued["ch8_blocks_collapse"]
        assert dnb.learning_story(runs, learning) in glued["ch8_blocks_learning"]


TINY = dict(mode="train", networks=["resnet"], seeds=[0, 1], activations=["relu", "leaky_relu", "prelu"],
            leaky_alphas=[0.1], epochs=[2], n_train=200, n_test=100, live_n_train=100, live_n_test=50,
            live_max_epochs=2)


@pytest.mark.slow
def test_train_mode_trains_a_tiny_resnet_grid_and_glues_its_numbers(notebook_runner, tmp_path):
    from rectifiers.engine import load_runs

    (tmp_path / "tiny").mkdir()  # the store must exist before the chapter trains into it
    glued = notebook_runner(NOTEBOOK, **TINY, results_dir=str(tmp_path / "tiny"))
    runs = load_runs(tmp_path / "tiny")
    assert len(runs) == 3 * 2 and {r["config"]["model"] for r in runs} == {"resnet1d"}
    shown = pd.DataFrame(json.loads(glued["ch8_resnet_differences"]))
    final = rectifier_family.at_epoch(rectifier_family.family_snapshots(runs), 2)
    recomputed = rectifier_family.differences_from_relu(final)
    assert list(shown.variant) == ["Leaky ReLU (α=0.1)", "PReLU (slope starting at 0.25)"]
    np.testing.assert_allclose(shown.acc_gap_pp, recomputed.acc_gap_pp, atol=1e-9)
    assert "2 paired seeds" in glued["ch8_resnet_verdicts"] and "200 training" in glued["ch8_setup"]
    assert glued["ch8_mlp_verdicts"].startswith("—")  # a network not asked for says so


BAD = {"networks": (["vgg"], "parameter 'networks' must list at least 1 of"),
       "n_train": (5000, "parameter 'n_train'"),
       "seeds": ([0], "parameter 'seeds'")}


@pytest.mark.slow
def test_bad_parameters_are_refused_in_the_check_cell(notebook_runner):
    for name, (value, message) in BAD.items():
        with pytest.raises(papermill.PapermillExecutionError, match=message) as failure:
            notebook_runner(NOTEBOOK, **{name: value})
        assert failure.value.cell_index <= 3, name  # after papermill's injected cell, before any work


@pytest.mark.slow
def test_live_explorer_trains_a_pair_of_the_network_picked():
    from rectifiers.widgets.family import pair_explorer

    box = pair_explorer(dataset="mnist1d", n_train=100, n_test=50, epochs=1, max_epochs=2,
                        networks=modern.live_networks(["mlp", "resnet"]), choices=modern.LIVE_CHOICES, second=4)
    assert box.network.value == "reference MLP"
    live = box.train()
    assert set(live) == {("relu", 0.01), ("gelu", 0.01)}
    assert box.training.store.get(next(iter(box.training.records.values()))["key"])["config"]["model"] == "mnist1d_mlp"
    box.network.value = "ResNet-1D"  # the curves are now of another network: said
    assert "on the reference MLP" in box.status.value and "on the ResNet-1D" in box.status.value
    assert (NOTEBOOKS / f"{NOTEBOOK}.ipynb").is_file()


# --- AdamW with warm-up and cosine decay beside constant-rate Adam ---------------------------------------------------


@pytest.fixture(scope="module")
def two_trainings(tmp_path_factory):
    """Tiny MNIST-1D MLPs, ReLU and Leaky ReLU (0.1) over three seeds, with constant-rate Adam and with AdamW on the
    warm-up + cosine schedule."""
    from rectifiers.engine import RunConfig, train

    store = ResultsStore(tmp_path_factory.mktemp("schedules"))
    base = dict(model="mnist1d_mlp", dataset="mnist1d", width=16, n_train=300, n_test=100, epochs=(1, 3),
                batch_size=50, learning_rate=0.01, test_every=1)
    adamw = dict(optimizer="adamw", weight_decay=0.01, schedule="warmup_cosine", warmup_epochs=1)
    runs = {"constant": [], "scheduled": []}
    for seed in (0, 1, 2):
        for activation, alpha in (("relu", 0.01), ("leaky_relu", 0.1)):
            for name, more in (("constant", {}), ("scheduled", adamw)):
                config = RunConfig(activation=activation, alpha=alpha, seed=seed, **base, **more)
                runs[name].append(train(config, store=store, progress=False))
    return runs["constant"], runs["scheduled"]


def test_the_schedule_is_judged_beside_constant_adam_and_paired_by_seed(two_trainings):
    from rectifiers.experiments import schedules

    constant, scheduled = two_trainings
    compared = schedules.compare(constant, scheduled)
    assert list(compared["diffs"]) == list(schedules.OPTIMISERS)
    for name, runs in zip(schedules.OPTIMISERS, (constant, scheduled)):  # each training judged on its own runs
        final = rectifier_family.at_epoch(rectifier_family.family_snapshots(runs), 3)
        assert compared["diffs"][name].acc_gap_pp.tolist() == pytest.approx(
            rectifier_family.differences_from_relu(final).acc_gap_pp.tolist())

    def accuracy(runs, activation, seed):
        return next(r["snapshots"][-1]["test_accuracy"] for r in runs
                    if (r["config"]["activation"], r["config"]["seed"]) == (activation, seed))

    effect = compared["effect"].set_index("variant")
    assert list(effect.index) == ["ReLU", "Leaky ReLU (α=0.1)"] and set(effect.seeds) == {3}
    assert effect.loc["Leaky ReLU (α=0.1)", "change_pp"] == pytest.approx(
        np.mean([100 * (accuracy(scheduled, "leaky_relu", s) - accuracy(constant, "leaky_relu", s)) for s in range(3)]))
    assert schedules.verdict_sentence(compared).startswith(  # the same verdict under both trainings is said once
        "Over 3 paired seeds, after Holm's correction within each training: under both trainings, every variant within "
        "seed noise of ReLU; so the schedule changes no activation's verdict. ")
    scheduled_diffs = compared["diffs"][schedules.OPTIMISERS[1]].assign(verdict="better than ReLU")
    differ = {**compared, "diffs": {**compared["diffs"], schedules.OPTIMISERS[1]: scheduled_diffs}}
    assert schedules.verdict_sentence(differ).startswith(
        "Over 3 paired seeds, after Holm's correction within each training: with constant Adam, every variant within "
        "seed noise of ReLU; with AdamW + cosine, Leaky ReLU (α=0.1) better than ReLU; the verdicts that change: Leaky "
        "ReLU (α=0.1): within seed noise (Holm p = ")
    assert ") with constant Adam, better than ReLU (Holm p = " in schedules.verdict_sentence(differ)
    assert schedules.setup_text(scheduled).startswith(
        "AdamW with weight decay 0.01, the learning rate rising linearly from 0 to 0.01 over the first 1 epoch and "
        "falling along a half cosine to 0 at epoch 3; batch 50, 300 training signals, 3 epochs = 18 steps, 3 paired")
    assert "across the activations" in schedules.effect_sentence(compared["effect"])
    one_clear = compared["effect"].assign(low=[0.5, -1.0], high=[1.0, 1.0])  # the verb agrees with the count
    assert schedules.effect_sentence(one_clear).endswith("1 of the 2 intervals excludes zero (95 %, uncorrected)")
    assert schedules.effect_sentence(one_clear.assign(low=0.5)).endswith("2 of the 2 intervals exclude zero "
                                                                          "(95 %, uncorrected)")
    assert schedules.plateau_sentence("transformer", scheduled).startswith("The transformer (epochs ")
    from rectifiers.figures.family import datasets_side_by_side

    figure = datasets_side_by_side(compared["diffs"], title="t", same_scale=True)
    assert figure.layout.xaxis2.matches == "x"  # one scale: how wide each training's intervals are is the point
    assert datasets_side_by_side(compared["diffs"], title="t").layout.xaxis2.matches is None


def test_constant_rate_runs_that_train_longer_are_read_at_the_adamw_budget(two_trainings):
    """The transformer's constant-rate runs train past the AdamW runs' last epoch (for their own plateau): the
    schedule is judged at the same budget, and the section says at which epoch."""
    import copy

    from rectifiers.experiments import schedules

    constant, scheduled = two_trainings
    assert schedules.read_epoch_text(constant, scheduled) == ""
    shorter = copy.deepcopy(scheduled)  # as if the AdamW study ended at epoch 1
    for record in shorter:
        record["snapshots"] = [s for s in record["snapshots"] if s["epoch"] <= 1]
    compared = schedules.compare(constant, shorter)
    at_one = rectifier_family.at_epoch(rectifier_family.family_snapshots(constant), 1)
    assert compared["finals"][schedules.OPTIMISERS[0]].test_accuracy.tolist() == at_one.test_accuracy.tolist()
    assert schedules.read_epoch_text(constant, shorter) == (
        "Its constant-rate runs train to epoch 3 for their own plateau; here both trainings are read at epoch 1, the "
        "AdamW runs' budget")


def test_without_the_adamw_runs_the_guide_rows_say_what_to_train(tmp_path):
    from rectifiers.experiments import schedules

    rows = schedules.guide_evidence(ResultsStore(tmp_path))
    assert [r["situation"] for r in rows] == list(schedules.SITUATIONS.values())
    for row, path in zip(rows, schedules.SCHEDULED.values()):
        assert row["seeds"] is None and f"python -m rectifiers study {path}" in row["evidence"]
    assert len(schedules.open_studies(ResultsStore(tmp_path))) == len(schedules.SCHEDULED)
    for row in schedules.guide_evidence():  # a stored AdamW row says whether its runs had levelled off
        assert row["seeds"] is None or row["evidence"].split(". ")[-1].startswith(
            "Levelled off? Test accuracy's seed median over epochs ")
        assert row["seeds"] is None or ". With constant-rate Adam at the same budget (epoch " in row["evidence"]


def _fashion_finals(shift: float, gelu_gain: float) -> pd.DataFrame:
    """Five seeds of ReLU, Leaky ReLU (α=0.1) and GELU; GELU `gelu_gain` above ReLU on every seed, all `shift` up."""
    rng = np.random.default_rng(0)
    base = 0.88 + 0.004 * rng.standard_normal(5)
    rows = []
    for activation, alpha, gain in (("relu", None, 0.0), ("leaky_relu", 0.1, 0.0), ("gelu", None, gelu_gain)):
        for seed, acc in enumerate(base):
            noise = 0.001 * ((seed * 7 + len(activation)) % 3 - 1) if activation != "relu" else 0.0
            rows.append(dict(variant=rectifier_family.variant(activation, alpha), activation=activation, alpha=alpha,
                             seed=seed, test_accuracy=acc + shift + gain + noise, test_loss=0.3, train_accuracy=0.9,
                             train_loss=0.3))
    return pd.DataFrame(rows)


def test_batchnorm_on_fashion_pairs_each_activation_with_the_plain_cnn_and_says_which_verdict_changes():
    from rectifiers.experiments import normalised_fashion as nf

    finals = {nf.PLAIN: _fashion_finals(0.0, 0.0), nf.KEY: _fashion_finals(0.01, 0.02)}
    diffs = {k: rectifier_family.differences_from_relu(f) for k, f in finals.items()}
    effect = nf.batchnorm_effect(finals).set_index("variant")
    assert effect.loc["ReLU", "gain_pp"] == pytest.approx(1.0) and effect.loc["GELU", "gain_pp"] > 2.5
    assert list(nf.shared_variants(diffs)) == ["plain CNN", "BatchNorm"]
    change = nf.change_sentence(diffs)
    assert change.startswith("GELU: within seed noise without BatchNorm") and "better than ReLU with it" in change
    assert "Leaky ReLU" not in change
    assert "from 0." in nf.effect_sentence(effect.reset_index()) and "+1.00 pp" in nf.effect_sentence(effect.reset_index())
    # Not stored: every sentence says so, and the guide's row names the study to train.
    assert nf.change_sentence({nf.PLAIN: diffs[nf.PLAIN], nf.KEY: None}) == family_report.MISSING
    assert nf.effect_sentence(nf.batchnorm_effect({nf.PLAIN: finals[nf.PLAIN]})) == family_report.MISSING


def test_the_batchnorm_fashion_row_says_whether_its_runs_levelled_off():
    from rectifiers.experiments import normalised_fashion as nf

    (row,) = nf.guide_evidence()  # the stored study: like every Chapter 8 row, its evidence ends with its plateau
    last = max(s["epoch"] for r in nf._records(None)[0] for s in r["snapshots"])
    window = nf.plateau_window(last)
    assert row["evidence"].split(". ")[-1].startswith(
        f"Levelled off? Test accuracy's seed median over epochs {last - window + 1}–{last} against "
        f"{last - 2 * window + 1}–{last - window}: ")


def test_beside_the_plain_cnn_the_batchnorm_runs_are_read_at_the_plain_cnn_s_budget():
    from types import SimpleNamespace

    from rectifiers.experiments import normalised_fashion as nf

    results = nf.gather()
    plain_epoch = results[nf.PLAIN].epoch
    finals, diffs = nf.at_plain_budget(results)
    expected = rectifier_family.at_epoch(results[nf.KEY].snapshots(), plain_epoch)
    assert finals[nf.KEY].test_accuracy.tolist() == expected.test_accuracy.tolist()
    assert diffs[nf.KEY].acc_gap_pp.tolist() == pytest.approx(
        rectifier_family.differences_from_relu(expected).acc_gap_pp.tolist())
    assert nf.budgets_sentence({nf.KEY: SimpleNamespace(epoch=10), nf.PLAIN: SimpleNamespace(epoch=10)}) == (
        "Both networks train 10 epochs and are compared at epoch 10")
    longer = nf.budgets_sentence({nf.KEY: SimpleNamespace(epoch=20), nf.PLAIN: SimpleNamespace(epoch=10)})
    assert longer.startswith("The BatchNorm runs train 20 epochs, for their own plateau, and are judged against "
                             "ReLU at epoch 20; ") and longer.endswith("read at epoch 10, the plain CNN's budget")
    assert [nf.plateau_window(n) for n in (2, 10, 20, 200)] == [3, 3, 5, 50]


def test_the_batchnorm_fashion_plateau_sentence_says_when_its_verdicts_are_of_the_budget_only():
    from rectifiers.experiments import normalised_fashion as nf

    def history(late_gain: float) -> pd.DataFrame:  # ten epochs, two variants, three seeds; ReLU flat
        return pd.DataFrame([dict(variant=v, activation=a, alpha=al, seed=s, epoch=e,
                                  test_accuracy=0.87 + (late_gain if a == "gelu" and e > 7 else 0.0))
                             for v, a, al in (("ReLU", "relu", None), ("GELU", "gelu", None))
                             for s in range(3) for e in range(1, 11)])

    flat = nf.plateau_sentence(history(0.0))
    assert flat.startswith("over epochs 8–10 against 5–7, every activation's median changed by less than 0.5 pp")
    assert "not of networks trained to a plateau" not in flat
    moving = nf.plateau_sentence(history(0.01))
    assert "1 of 2 still moved by 0.5 pp or more (GELU)" in moving and moving.endswith(
        "so the verdicts above are those of this budget (10 epochs), not of networks trained to a plateau")


def test_an_empty_store_s_guide_says_to_train_the_batchnorm_fashion_study(tmp_path):
    from rectifiers.experiments import guide, normalised_fashion as nf

    rows = [r for r in guide.guide_rows(ResultsStore(tmp_path)) if r.id == "fashion_batchnorm"]
    assert len(rows) == 1 and rows[0].seeds is None and rows[0].section == nf.SECTION
    assert "python -m rectifiers study studies/ch8_fashion_bncnn.yaml" in rows[0].evidence


def test_deep_narrow_blocks_pair_with_chapter_5_and_are_judged_per_block_and_shape(monkeypatch, tmp_path):
    """Chapter 5's stored 20×2 networks, relabelled as residual ones whose output still depends on the input: on
    collapse the residual block's verdict is "either" and the plain network's stays Chapter 5's; on learning, their
    accuracies unchanged, the residual networks get the plain ones' verdict, and the guide takes that one."""
    import copy

    from rectifiers.engine.stored_studies import study_records
    from rectifiers.experiments import deep_narrow, deep_narrow_blocks as dnb, guide

    plain = [r for path in deep_narrow.STUDIES for r in study_records(path, ResultsStore())]
    blocks = []
    for record in plain:
        config = record["config"]
        if (config["width"], config["depth"]) == (2, 20) and config.get("initializer") != "rai":
            record = copy.deepcopy(record)
            record["config"]["block"] = "residual"
            record["status"] = "complete"
            record["probes"]["output_spread"][-1]["logit_spread"] = 0.5
            blocks.append(record)
    runs = dnb.frame(blocks, plain)
    assert runs.groupby("block").size().to_dict() == {"plain": 60, "residual": 60}
    table, judged = dnb.summary(runs), dnb.verdicts(runs)
    chapter5 = deep_narrow.verdicts(deep_narrow.frame(plain)).set_index(["width", "depth"]).recommendation
    assert judged.set_index("block").recommendation.to_dict() == {"plain": chapter5[2, 20], "residual": "either"}
    assert "with residual connections, no network collapsed at any shape" in dnb.story(table, judged)
    assert list(dnb.verdict_table(judged).columns) == ["depth × width", "plain", "residual"]
    assert dnb.collapse_table(table).shape == (3, 4)  # three settings; shape, setting and two blocks
    assert "60 runs" in dnb.setup_text(runs) and "20 seeds each" in dnb.setup_text(runs)
    from rectifiers.figures.blocks import blocks_figure

    figure = blocks_figure(table)  # one shape: no slider; per setting a trace of each panel, one point per block
    assert len(figure.data) == 6 and not figure.layout.sliders and all(len(t.x) == 2 for t in figure.data)
    monkeypatch.setattr(dnb, "stored", lambda store=None: (blocks, plain))
    learning = dnb.learning_verdicts(runs).set_index("block")
    assert learning.recommendation["residual"] == learning.recommendation["plain"] != "either"
    assert learning.category["residual"] in ("prefer", "unclear")  # ReLU near chance in 20 of 20, α=0.3 in 5
    assert "ReLU learned in 0 of 20 (near chance 20, collapsed 0)" in learning.evidence["residual"]
    story = dnb.learning_story(runs, learning.reset_index())
    assert "with residual connections, no ReLU network learned at any shape, the most of any setting " in story
    said = dnb.answer(table, learning.reset_index())  # the section's answer, the plain networks as its baseline
    assert said.startswith("With residual connections, no network collapsed: 0 of 60 (Chapter 5's plain networks: ")
    assert "ReLU learned in 0 of 20 of its networks" in said and "of the 1 block and shape pairs" in said
    with pytest.raises(ValueError, match="needs runs with a block"):
        dnb.answer(table[table.block == "plain"], learning.reset_index())
    rows = dnb.guide_evidence()
    assert len(rows) == 1 and rows[0]["situation"].startswith(f"{dnb.SITUATION} residual connections, 20×2")
    assert rows[0]["recommendation"] == learning.recommendation["residual"]
    assert "Judged on collapse alone (as Chapter 5 judges it): “either”." in rows[0]["evidence"]
    assert "born-dead" not in rows[0]["evidence"]  # Chapter 3's bound is for plain networks
    monkeypatch.undo()
    missing = [r for r in guide.guide_rows(ResultsStore(tmp_path)) if r.id == "deep_narrow_blocks"]
    assert len(missing) == 1 and "python -m rectifiers study studies/ch8_deep_narrow_blocks.yaml" in missing[0].evidence


def test_the_blocks_plateau_sentence_says_when_the_networks_were_still_learning():
    """Training accuracy over the last 5 epochs: a learned network still climbing, a near-chance one rising out of
    chance, and one that has levelled off."""
    import pandas as pd

    from rectifiers.experiments import deep_narrow_blocks as dnb

    climbing = {"status": "complete", "history": {"train_accuracy": [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]}}
    assert dnb.late_change(climbing) == pytest.approx(0.5)
    assert np.isnan(dnb.late_change({"status": "diverged", "history": {"train_accuracy": [0.1] * 7}}))
    runs = pd.DataFrame({"block": ["plain", "residual", "residual", "residual"],
                         "endpoint": ["collapsed", "learned", "learned", "near chance"],
                         "late_change": [0.0, 0.07, 0.02, 0.015]})
    text = dnb.plateau_sentence(runs)
    assert text.startswith("Over the last 5 epochs, training accuracy: with residual connections, the 2 that learned "
                           "changed by a median of +4.5 points (largest +7.0); 1 of the 1 near chance rose by 1 or more points")
    assert text.endswith("the verdicts hold for Chapter 5's budget, not for training to the end.")
    still = runs.assign(late_change=[0.0, 0.001, -0.002, 0.0])
    assert dnb.plateau_sentence(still).endswith("The networks that learned had levelled off.")


def test_the_verdict_count_agrees_in_number_with_one_variant_or_many():
    from rectifiers.experiments import family_report

    both = rectifier_family.differences_from_relu(_fashion_finals(0.0, 0.02))
    one = both[both.variant == "GELU"]
    assert "of 2 variants compared with ReLU over 5 paired seeds" in family_report.verdict_sentence(both, "mnist")
    said = family_report.verdict_sentence(one, "mnist")
    assert "of 1 variant compared with ReLU" in said and "correction for 1 comparison, and " in said
    assert "of the 95 % interval excluded zero" in said
