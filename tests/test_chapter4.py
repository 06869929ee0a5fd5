"""Chapter 4 run by papermill in train mode on a tiny study: its tables agree with the runs it stored."""

import json
from io import StringIO

import pandas as pd
import papermill
import pytest

from rectifiers.experiments.comparison import replication_table
from rectifiers.engine import load_runs, snapshots_frame

TINY = dict(mode="train", epochs=[1, 2], until_epoch=0, seeds=[0, 1], sweep_alphas=[0.01, 0.3], sweep_seeds=[0],
            sweep_until_epoch=0, n_train=150, n_test=100, test_every=1, live_n_train=50, live_n_test=20)


@pytest.mark.slow
def test_train_mode_tables_match_the_stored_runs(notebook_runner, tmp_path):
    root = tmp_path / "store"
    root.mkdir()  # a store parameter must name an existing folder
    glued = notebook_runner("04_cnn_comparison", results_dir=str(root), **TINY)
    assert glued["cnn_runs_stored"] == glued["cnn_runs_planned"] == "4"
    assert glued["cnn_n_seeds"] == "2" and glued["cnn_n_train"] == "150"

    table = pd.read_json(StringIO(glued["cnn_replication_table"]))
    assert table.shape == (2, 4) and list(table.index) == [1, 2]
    recomputed = replication_table(snapshots_frame(load_runs(root)), 0.01, 0)
    pd.testing.assert_frame_equal(table, recomputed, check_names=False, check_dtype=False, atol=1e-9)

    verdicts = json.loads(glued["cnn_verdicts"])
    assert len(verdicts) == int(glued["cnn_cells"]) == 8
    distinct = sum(v["verdict"] == "distinguishable from seed noise" for v in verdicts)
    assert glued["cnn_distinct_cells"] == str(distinct)
    for v in verdicts:  # the verdict follows from the interval, and "better" from the sign
        inside = v["ci_low"] <= 0 <= v["ci_high"]
        assert v["verdict"] == ("within seed noise" if inside else "distinguishable from seed noise")
        lower_better = v["metric"].endswith("loss")
        assert v["better"] == ("ReLU" if (v["mean"] < 0) == lower_better else "Leaky ReLU")
    assert len(load_runs(root)) == 5  # 4 comparison runs + the α = 0.3 sweep run (α = 0.01 runs are shared)
    assert glued["sweep_n_alphas"] == "2" and glued["sweep_epoch"] == "2"

    # Issue 10 item 2: a stored record the store refuses is named in the page, not silently left out.
    import nbformat

    broken = sorted((root / "runs").glob("mnist-relu-*.json"))[0]
    record = json.loads(broken.read_text())
    broken.write_text(json.dumps({**record, "snapshots": {}}))
    notebook_runner("04_cnn_comparison", results_dir=str(root), **{**TINY, "mode": "stored"})
    nb = nbformat.read(tmp_path / "04_cnn_comparison.out.ipynb", as_version=4)
    printed = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
    assert "1 stored file(s) of study" in printed and f"{broken.name}: snapshots must be a list" in printed
    assert "All 4 runs are stored" not in printed


@pytest.mark.slow
def test_stored_mode_without_runs_builds_and_says_what_is_missing(notebook_runner, tmp_path):
    """A fresh clone with no stored runs: the chapter still runs, names the missing runs and the command."""
    from rectifiers.experiments.comparison_report import MISSING

    empty = tmp_path / "empty-store"
    empty.mkdir()
    glued = notebook_runner("04_cnn_comparison", results_dir=str(empty), seeds=[0], sweep_seeds=[0],
                            sweep_alphas=[0.01], epochs=[1, 2], until_epoch=0, sweep_until_epoch=0, n_train=150,
                            n_test=100, live_n_train=50, live_n_test=20)
    assert glued["cnn_runs_stored"] == "0" and glued["cnn_runs_planned"] == "2"
    assert glued["cnn_verdict_sentence"] == MISSING and glued["sweep_best_alpha"] == MISSING
    assert not empty.exists() or not any(empty.rglob("*.json"))  # stored mode trains nothing


@pytest.mark.slow
def test_unknown_and_ill_typed_parameters_fail_clearly(notebook_runner):
    with pytest.raises(papermill.PapermillExecutionError, match="unknown parameter.*'seedz'"):
        notebook_runner("04_cnn_comparison", seedz=[1])
    with pytest.raises(papermill.PapermillExecutionError, match="'seeds' must be list\\[int\\]"):
        notebook_runner("04_cnn_comparison", seeds="0,1")
    with pytest.raises(papermill.PapermillExecutionError, match="parameter 'mode' must be one of 'stored', 'train'"):
        notebook_runner("04_cnn_comparison", mode="fast")
    with pytest.raises(papermill.PapermillExecutionError, match="parameter 'alpha' must be between 0 and 1"):
        notebook_runner("04_cnn_comparison", alpha=1.5)
    from rectifiers.parameters import installed_backends

    missing = [b for b in ("jax", "torch") if b not in installed_backends()]
    if missing:  # said in the check cell, not as a ModuleNotFoundError from inside Keras
        with pytest.raises(papermill.PapermillExecutionError, match="installed are 'tensorflow'") as failure:
            notebook_runner("04_cnn_comparison", backend=missing[0])
        assert failure.value.cell_index <= 3


@pytest.mark.slow
def test_stored_mode_for_an_alpha_without_runs_names_them_and_the_command(tmp_path):
    """Issue 10 item 8: `-p alpha 0.05` in stored mode said nothing useful and crashed in paired_metrics."""
    import nbformat

    from rectifiers.experiments.comparison_report import MISSING
    from tests.conftest import NOTEBOOKS, ROOT, glued_values

    out = tmp_path / "out.ipynb"
    papermill.execute_notebook(str(NOTEBOOKS / "04_cnn_comparison.ipynb"), str(out), parameters=dict(alpha=0.05),
                               kernel_name="python3", cwd=str(ROOT), progress_bar=False)
    nb = nbformat.read(out, as_version=4)
    printed = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
    assert "5 of 10 runs of study 'cnn_comparison_mnist_a0.05'" in printed
    assert printed.count("mnist-leaky_relu-a0.05-s") == 5
    assert "python -m rectifiers study studies/cnn_comparison_mnist_a0.05.yaml\n" in printed  # to the last epoch
    assert "alphas: [0.05]" in printed
    glued = glued_values(nb)
    assert glued["cnn_verdict_sentence"] == MISSING and glued["cnn_runs_stored"] == "5"
