"""Chapter 6: paired comparisons with ReLU, the guide's rule, the stored studies, and the chapter in train mode."""

import json
import re

import numpy as np
import pandas as pd
import papermill
import pytest

from rectifiers.experiments import family_guide, rectifier_family
from tests.conftest import NOTEBOOKS, ROOT

NOTEBOOK = "06_harder_data_and_family"


def synthetic_final(gaps: dict, seeds=range(5), noise=0.004, seed=0) -> pd.DataFrame:
    """A `rectifier_family.at_epoch` frame: ReLU plus one variant per `gaps` item (its true accuracy gap), with a seed
    effect shared by every variant of a seed (what pairing cancels) and a small independent noise."""
    rng = np.random.default_rng(seed)
    shared = rng.normal(0, 0.02, size=len(seeds))  # large: unpaired, it would hide every gap below
    rows = []
    for activation, alpha, gap in [("relu", None, 0.0)] + [(a, al, g) for (a, al), g in gaps.items()]:
        for i, s in enumerate(seeds):
            acc = 0.88 + shared[i] + gap + (rng.normal(0, noise) if activation != "relu" else 0.0)
            rows.append(dict(variant=rectifier_family.variant(activation, alpha), activation=activation, alpha=alpha, seed=s,
                             test_accuracy=acc, test_loss=0.35 - gap, train_accuracy=acc, train_loss=0.3))
    return pd.DataFrame(rows)


def test_paired_differences_cancel_the_seed_effect_and_verdicts_follow_the_intervals():
    final = synthetic_final({("leaky_relu", 0.01): 0.0, ("leaky_relu", 0.3): -0.03, ("gelu", None): 0.03})
    diffs = rectifier_family.differences_from_relu(final).set_index("variant")
    assert diffs.attrs["comparisons"] == 3 and diffs.attrs["corrected"] == pytest.approx(1 - 0.05 / 3)
    assert diffs.loc["GELU", "verdict"] == "better than ReLU" and diffs.loc["GELU", "survives_correction"]
    assert diffs.loc["Leaky ReLU (α=0.3)", "verdict"] == "worse than ReLU"
    assert abs(diffs.loc["GELU", "acc_gap_pp"] - 3.0) < 0.5  # percentage points
    for row in diffs.itertuples():
        inside = row.acc_low <= 0 <= row.acc_high
        assert row.verdict == "within seed noise" or not inside  # Holm's verdict is stricter than the interval
        assert row.acc_low_corrected <= row.acc_low and row.acc_high_corrected >= row.acc_high  # wider
        assert row.n_seeds == 5


def test_guide_rows_are_the_decision_procedure_s_verdicts_with_holm_over_every_variant():
    none = synthetic_final({("leaky_relu", 0.01): 0.0, ("elu", None): 0.0})
    assert family_guide.recommend(none, ["leaky_relu"]) == "either"
    better = synthetic_final({("leaky_relu", 0.1): 0.02, ("leaky_relu", 0.3): 0.04})
    assert family_guide.recommend(better, ["leaky_relu"]) == "prefer Leaky ReLU (α=0.1) or Leaky ReLU (α=0.3)"
    worse = synthetic_final({("leaky_relu", 0.01): 0.0, ("leaky_relu", 0.3): -0.04})
    assert family_guide.recommend(worse, ["leaky_relu"]).startswith("avoid Leaky ReLU (α=0.3)")
    all_worse = synthetic_final({("swish", None): -0.04})
    assert family_guide.recommend(all_worse, rectifier_family.OTHERS).startswith("prefer ReLU")
    assert family_guide.recommend(none.iloc[:0], ["leaky_relu"]) == "not measured"


def test_the_chapter_studies_share_the_replication_runs_and_the_notebook_defaults_are_the_yaml_files():
    from rectifiers.engine import load_study, run_key, load_run_data

    data = {}

    def keys(studies):
        out = set()
        for s in studies:
            for c in s.configs():
                where = (c.dataset, c.n_train, c.n_test, c.data_seed)
                if where not in data:
                    data[where] = load_run_data(c)
                out.add(run_key(c, data[where]))
        return out

    mnist = rectifier_family.chapter_studies("mnist")
    replication = keys([load_study(ROOT / "studies/mnist_seed_replication.yaml")])
    sweep = keys([load_study(ROOT / "studies/mnist_alpha_sweep.yaml")])
    mine = keys(mnist)
    assert replication <= mine and len(mine & sweep) == 4 * 3  # ReLU, α 0.01, 0.1, 0.3 × seeds 0-2
    assert len(mine) == 8 * 5
    # The notebook's default parameters give exactly the YAML files' runs (no hidden second grid).
    defaults = dict(seeds=[0, 1, 2, 3, 4], activations=["relu", "leaky_relu", "prelu", "elu", "gelu", "swish"],
                    alphas=[0.01, 0.1, 0.3], n_test=10000)
    assert keys(rectifier_family.chapter_studies("mnist", **defaults, n_train=None, epochs=[1, 10, 100, 1000])) == mine
    fashion = [c for s in rectifier_family.chapter_studies("fashion_mnist") for c in s.configs()]
    assert {(c.n_train, c.n_test, c.epochs, c.keep_weights) for c in fashion} == {(20000, 10000, (10,), "none")}
    assert len({(c.activation, c.alpha, c.seed) for c in fashion if c.activation != "relu"}
               | {("relu", c.seed) for c in fashion if c.activation == "relu"}) == 8 * 5
    with pytest.raises(ValueError, match="dataset must be one of"):
        rectifier_family.chapter_studies("cifar10")


def test_guide_evidence_rows_are_backed_by_the_stored_studies():
    rows = family_guide.guide_evidence()
    situations = [r["situation"] for r in rows]
    for needed in ("harder data (Fashion-MNIST), seed CNN", "the rest of the family (PReLU, ELU, GELU, Swish)"):
        assert needed in situations
    # The book has one cost verdict (Chapter 4's paired epochs, comparison_cost.training_cost), not a second here.
    assert not any(s.startswith("cost") for s in situations)
    text = (NOTEBOOKS / f"{NOTEBOOK}.ipynb").read_text()
    by_dataset = {}
    for dataset in rectifier_family.STUDIES:
        results = rectifier_family.gather_family(dataset)
        by_dataset[dataset] = rectifier_family.differences_from_relu(rectifier_family.at_epoch(results.snapshots(), results.epoch))
    for row in rows:
        assert set(row) >= {"situation", "recommendation", "evidence", "seeds", "section", "studies"}
        assert f"({row['section']})=" in text  # a MyST label of the chapter
        assert row["studies"] and all((ROOT / p).is_file() for p in row["studies"])
        assert row["seeds"] >= 2 and re.search(r"\d", row["evidence"])
    fashion = by_dataset["fashion_mnist"]
    harder = rows[situations.index("harder data (Fashion-MNIST), seed CNN")]
    results = rectifier_family.gather_family("fashion_mnist")
    final = rectifier_family.at_epoch(results.snapshots(), results.epoch)
    assert harder["recommendation"] == family_guide.recommend(final, ["leaky_relu"])
    rest = rows[situations.index("the rest of the family (PReLU, ELU, GELU, Swish)")]
    assert rest["recommendation"] == family_guide.recommend(final, rectifier_family.OTHERS)
    assert "PReLU (slope starting at 0.01)" in rest["evidence"]


TINY = dict(mode="train", seeds=[0, 1], activations=["relu", "leaky_relu", "gelu"], leaky_alphas=[0.01],
            fashion_n_train=100, fashion_epochs=1, mnist_n_train=100, mnist_epochs=[1], mnist_read_epoch=1,
            n_test=60, live_n_train=50, live_n_test=20)


@pytest.mark.slow
def test_train_mode_numbers_agree_with_the_runs_it_stored(notebook_runner, tmp_path):
    from rectifiers.engine import load_runs

    root = tmp_path / "store"
    root.mkdir()  # a store parameter must name an existing folder
    glued = notebook_runner(NOTEBOOK, results_dir=str(root), **TINY)
    runs = load_runs(root)
    assert len(runs) == 2 * 3 * 2  # datasets × activations × seeds
    for dataset in ("fashion_mnist", "mnist"):
        shown = pd.DataFrame(json.loads(glued[f"ch6_{dataset}_differences"]))
        snaps = rectifier_family.snapshots_frame(load_runs(root, dataset=dataset))
        recomputed = rectifier_family.differences_from_relu(rectifier_family.at_epoch(rectifier_family._with_variant(snaps), 1))
        assert list(shown.variant) == ["Leaky ReLU (α=0.01)", "GELU"]
        np.testing.assert_allclose(shown.acc_gap_pp, recomputed.acc_gap_pp, atol=1e-9)
        assert list(shown.verdict) == list(recomputed.verdict)
    assert "2 paired seeds" in glued["ch6_fashion_verdicts"]
    assert "100 training images" in glued["ch6_fashion_scale"]


@pytest.mark.slow
@pytest.mark.parametrize("parameters, message", [
    (dict(activations=["relu", "tanh"]), "parameter 'activations' must list at least 2 of"),
    (dict(mnist_read_epoch=5), "parameter 'mnist_read_epoch' must be one of"),
    (dict(seeds=[0]), "parameter 'seeds'"),
])
def test_bad_parameters_fail_clearly(notebook_runner, parameters, message):
    with pytest.raises(papermill.PapermillExecutionError, match=message) as failure:
        notebook_runner(NOTEBOOK, **parameters)
    assert failure.value.cell_index <= 3  # the check cell (after papermill's injected one), before any work


@pytest.mark.slow
def test_live_pair_explorer_trains_a_pair_from_the_same_weights():
    from rectifiers.widgets.family import pair_explorer

    box = pair_explorer(dataset="fashion_mnist", n_train=40, n_test=20, epochs=1, max_epochs=2)
    box.second.value = ("elu", 0.01)
    live = box.train()
    assert set(live) == {("relu", 0.01), ("elu", 0.01)} and box.progress.value == 2
    assert box.status.value.startswith("Done after 1 epoch(s): ReLU") and "ELU" in box.status.value
    box.epochs.value = 2  # the curves no longer match the controls: said, and drawn faded
    assert box.status.value.startswith("Out of date: the live curves are for ReLU and ELU, 1 epoch(s)")
    box.second.value = ("gelu", 0.01)
    figure = box.output.outputs[0]["data"]["application/vnd.plotly.v1+json"]
    live = [t for t in figure["data"] if "(live" in t["name"]]
    assert {t["name"] for t in live} == {"ReLU (live, 1 seed)", "ELU (live, 1 seed)"}
    assert all(t.get("opacity") == 0.35 for t in live) and "press Train for ReLU and GELU" in box.status.value
