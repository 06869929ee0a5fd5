"""Studies: checked before any training, planned honestly, run and resumed; the command line."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from rectifiers.__main__ import main
from rectifiers.engine import ResultsStore
from rectifiers.engine import load_study, plan, run_study, study_from_dict

from conftest import TINY_DATA

ROOT = Path(__file__).resolve().parent.parent
SMOKE = ROOT / "studies" / "smoke.yaml"
VALID = dict(name="t", datasets=["mnist"], activations=["relu", "leaky_relu"], alphas=[0.01, 0.1], seeds=[0, 1],
             epochs=[1, 2], **TINY_DATA)


pytestmark = pytest.mark.usefixtures("offline")


@pytest.mark.parametrize(
    "change, message",
    [
        (dict(activations=["relu", "leaky"]), "activation must be one of"),
        (dict(alphas=[0.01, float("inf")]), r"alphas\[1\] must be a finite real number"),
        (dict(epochs=[1, 100, 10]), "epochs must be strictly increasing"),
        (dict(epochs=[0, 10]), r"epochs\[0\] must be an integer >= 1"),
        (dict(datasets=["cifar10"]), "dataset must be one of 'mnist', 'fashion_mnist'"),
        (dict(seeds=[0, 0]), "seeds lists an item twice"),
        (dict(seeds=[-1]), r"seeds\[0\] must be an integer in \[0, 4294967295\]"),
        (dict(seeds=[0, 2**32]), r"seeds\[1\] must be an integer in \[0, 4294967295\]; got 4294967296"),
        (dict(alphas=[0.01, 1.5]), r"alpha must be a finite real number in \[0.0, 1.0\]; got 1.5"),
        (dict(grid={"test_every": [1, 2]}), r"grid may cross these settings.*'test_every' \(recording settings"),
        (dict(activations=[]), "activations must be a non-empty list"),
        (dict(batchsize=64), "unknown study setting.*'batchsize'"),
        (dict(learning_rate=-1.0), "learning_rate must be a finite real number > 0"),
    ],
)
def test_invalid_studies_are_rejected_with_the_setting_named(change, message):
    with pytest.raises(ValueError, match=message):
        study_from_dict({**VALID, **change}, source="x.yaml")


def test_the_grid_pairs_seeds_and_collapses_alpha_for_relu():
    configs = study_from_dict(VALID).configs()
    assert [(c.seed, c.activation, c.alpha) for c in configs] == [
        (0, "relu", 0.01), (0, "leaky_relu", 0.01), (0, "leaky_relu", 0.1),
        (1, "relu", 0.01), (1, "leaky_relu", 0.01), (1, "leaky_relu", 0.1),
    ]
    assert all(c.n_train == 200 and c.epochs == (1, 2) for c in configs)


def test_committed_studies_are_valid():
    for path in sorted((ROOT / "studies").glob("*.yaml")):
        study = load_study(path)
        assert study.name == path.stem and study.configs()
    replication = load_study(ROOT / "studies" / "mnist_seed_replication.yaml")
    assert len(replication.configs()) == 10 and replication.configs()[0].epochs == (1, 10, 100, 1000)


def test_a_study_file_that_is_not_yaml_is_named(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed\n")
    with pytest.raises(ValueError, match="bad.yaml: not valid YAML"):
        load_study(bad)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_study(tmp_path / "none.yaml")


@pytest.mark.slow
def test_smoke_study_runs_resumes_and_plans(tmp_path, capsys):
    store = ResultsStore(tmp_path)
    study = load_study(SMOKE)
    before = plan(study, store, until_epoch=1)
    assert before.counts() == {"done": 0, "partial": 0, "missing": 2} and before.epochs_to_go == 2
    assert "default estimate" in before.describe()

    partial = run_study(study, store, until_epoch=1, progress=False)
    assert [r["status"] for r in partial] == ["partial", "partial"]
    middle = plan(study, store)
    assert middle.counts() == {"done": 0, "partial": 2, "missing": 0} and middle.epochs_to_go == 4
    assert "measured: mean of" not in middle.describe()  # epoch 1 includes compilation: not a measurement

    assert main(["--results", str(tmp_path), "study", str(SMOKE), "--no-progress", "--executor", "sequential"]) == 0
    out = capsys.readouterr().out
    assert "0 done, 2 partial, 0 missing; 4 epochs to train" in out and "2 runs stored" in out
    assert main(["--results", str(tmp_path), "study", str(SMOKE), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "2 done, 0 partial, 0 missing; 0 epochs to train" in out
    assert "measured: mean of 2 epochs of 2 stored runs" in out and "SAMPLE" in out
    assert main(["--results", str(tmp_path), "runs"]) == 0
    assert "2 runs in" in capsys.readouterr().out


def test_cli_dry_run_trains_nothing_and_rejects_bad_studies(tmp_path, capsys):
    assert main(["--results", str(tmp_path), "study", str(SMOKE), "--dry-run", "--until-epoch", "1"]) == 0
    out = capsys.readouterr().out
    assert "Study 'smoke'" in out and "epoch 1 now" in out and "0 done, 0 partial, 2 missing" in out
    assert not (tmp_path / "runs").exists()
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({**VALID, "activations": ["relu", "tanhh"]}))
    assert main(["--results", str(tmp_path), "study", str(bad), "--dry-run"]) == 2
    assert "activation must be one of" in capsys.readouterr().err


def test_cli_runs_reports_foreign_files(tmp_path, capsys):
    (tmp_path / "runs").mkdir()
    (tmp_path / "runs" / "notes.json").write_text("{}")
    assert main(["--results", str(tmp_path), "runs"]) == 1
    captured = capsys.readouterr()
    assert "0 runs in" in captured.out and "notes.json: not a run record" in captured.err


def test_the_same_run_listed_twice_is_planned_once(tmp_path):
    """`alphas: [1, 1.0]` names one slope twice: one run per activation and seed, one record each."""
    the_plan = plan(study_from_dict({**VALID, "alphas": [1, 1.0], "seeds": [0]}), ResultsStore(tmp_path))
    assert [r.config.activation for r in the_plan.runs] == ["relu", "leaky_relu"]
    assert len({r.key for r in the_plan.runs}) == len(the_plan.runs)


def test_the_engine_takes_the_chapters_slopes_and_no_other():
    from rectifiers import chapter_parameters
    from rectifiers.engine import RunConfig
    from rectifiers.names import ALPHA_RANGE

    assert (chapter_parameters.SLOPE.low, chapter_parameters.SLOPE.high) == ALPHA_RANGE == (0.0, 1.0)
    assert RunConfig(activation="leaky_relu", alpha=1.0).alpha == 1.0
    with pytest.raises(ValueError, match=r"alpha must be a finite real number in \[0.0, 1.0\]; got 1.5"):
        RunConfig(activation="leaky_relu", alpha=1.5)


def test_a_study_file_with_aliases_is_refused_at_once(tmp_path, capsys):
    """Nested aliases ("billion laughs") in a 1-KB file would expand to gigabytes before any check."""
    import time

    names = "abcdefghi"
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"] + [
        f"{name}: &{name} [{', '.join(['*' + before] * 10)}]" for before, name in zip(names, names[1:])]
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("\n".join(["name: bomb", "datasets: [mnist]", "activations: [relu]", "seeds: [0]", *lines]) + "\n")
    assert len(bomb.read_bytes()) < 1500
    started = time.monotonic()
    assert main(["study", str(bomb), "--dry-run"]) == 2
    assert time.monotonic() - started < 5
    assert "the alias *a repeats another part of the file" in capsys.readouterr().err


def test_the_dry_run_counts_the_start_up(tmp_path, capsys):
    from rectifiers.engine.study import STARTUP_S

    study = tmp_path / "tiny.yaml"
    study.write_text(yaml.safe_dump({**VALID, "seeds": [0], "alphas": [0.01]}))
    assert main(["study", str(study), "--results", str(tmp_path / "r"), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert f"plus about {STARTUP_S['dask'] / 60:.1f} min to start (dask executor)" in out
    assert "ends sooner with --executor sequential" in out
    assert main(["study", str(study), "--results", str(tmp_path / "r"), "--dry-run", "--executor", "sequential"]) == 0
    assert f"plus about {STARTUP_S['sequential']:.0f} s to start (sequential executor)" in capsys.readouterr().out


def test_the_readme_runs_dask_from_the_environment_and_says_how_to_bind_the_scheduler():
    readme = (ROOT / "README.md").read_text()
    commands = [line for line in readme.splitlines() if line.lstrip().startswith(("dask ", ".venv/bin/dask "))]
    assert commands and all(line.startswith(".venv/bin/dask ") for line in commands)
    assert "--host" in readme and "TLS" in readme and "run code on its workers" in readme
