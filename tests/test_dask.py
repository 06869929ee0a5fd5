"""Studies on Dask: a local cluster on loopback trains a study like one process does, and a worker killed
mid-run costs nothing: the run resumes from its checkpoint on another worker and ends with the same numbers."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from rectifiers.engine import ResultsStore, plan, run_plan, study_from_dict
from rectifiers.engine import dask_executor
from rectifiers.engine.cli import main

from conftest import TINY_DATA

TIMINGS = ("fit_s", "eval_s", "save_s")
STUDY = dict(name="dask_test", datasets=["mnist"], activations=["relu", "leaky_relu"], seeds=[0], epochs=[1, 2],
             checkpoint_every=1, **TINY_DATA)

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("offline")]


@pytest.fixture(scope="module")
def client():
    """Two 1-thread worker processes on loopback, as `python -m rectifiers study` starts by default."""
    os.environ["RECTIFIERS_OFFLINE"] = "1"
    from distributed import Client

    cluster = dask_executor.local_cluster(workers=2)
    with Client(cluster) as c:
        yield c
    cluster.close()


def numbers(record: dict) -> dict:
    """A record's results without timings, times and session details: what must not depend on how it ran."""
    history = {k: v for k, v in record["history"].items() if k not in TIMINGS}
    return {"key": record["key"], "status": record["status"], "epochs_done": record["epochs_done"],
            "snapshots": [{k: v for k, v in s.items() if k != "eval_s"} for s in record["snapshots"]],
            "history": history, "experiment": record["experiment"]}


def run(study: dict, store: ResultsStore, client, **kw) -> list[dict]:
    the_plan = plan(study_from_dict(study), store)
    problems = dask_executor.run_on_dask(the_plan, store, the_plan.to_train, client=client, progress=False, **kw)
    assert problems == []
    return [store.get(r.key) for r in the_plan.runs]


def test_a_study_on_a_local_cluster_equals_the_same_study_in_one_process(client, tmp_path):
    on_dask = run(STUDY, ResultsStore(tmp_path / "dask"), client)
    assert [r["status"] for r in on_dask] == ["complete", "complete"]
    here = ResultsStore(tmp_path / "here")
    records, problems = run_plan(plan(study_from_dict(STUDY), here), here, executor="sequential", progress=False)
    assert problems == [] and [r["key"] for r in records] == [r["key"] for r in on_dask]
    # This process runs TensorFlow with 2 threads, the workers with 1: float32 sums may differ in the last digits.
    for mine, theirs in zip(records, on_dask):
        assert mine["snapshots"] == [pytest.approx(s | {"eval_s": m["eval_s"]}, rel=1e-4)
                                     for s, m in zip(theirs["snapshots"], mine["snapshots"])]
    again = run(STUDY, ResultsStore(tmp_path / "dask"), client)  # nothing left to do: the same records
    assert again == on_dask


def test_a_worker_killed_mid_run_costs_nothing(client, tmp_path):
    study = {**STUDY, "activations": ["leaky_relu"], "epochs": [2, 4, 12], "dropout": 0.5}
    undisturbed = run(study, ResultsStore(tmp_path / "undisturbed"), client)[0]

    store = ResultsStore(tmp_path / "killed")
    result = {}
    thread = threading.Thread(target=lambda: result.update(records=run(study, store, client)))
    thread.start()
    deadline, killed = time.monotonic() + 120, None
    while time.monotonic() < deadline and killed is None and thread.is_alive():
        records = store.scan()[0]
        busy = [w for w, keys in client.processing().items() if keys]
        if records and records[0]["epochs_done"] >= 2 and busy:
            killed = client.run(os.getpid, workers=busy)[busy[0]]
            os.kill(killed, signal.SIGKILL)
        time.sleep(0.05)
    thread.join(180)
    assert killed is not None, "the run finished before a worker could be killed"
    final = result["records"][0]
    assert final["status"] == "complete" and len(final["segments"]) == 2  # resumed once, after the kill
    assert 2 <= final["segments"][1]["epochs"][0] < 12
    assert numbers(final) == numbers(undisturbed)


def test_an_unreachable_scheduler_is_named_before_any_training(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(dask_executor, "CONNECT_TIMEOUT_S", 1)
    smoke = tmp_path / "s.yaml"
    smoke.write_text("name: s\ndatasets: [mnist]\nactivations: [relu]\nseeds: [0]\nepochs: [1]\nn_train: 50\n"
                     "n_test: 50\n")
    assert main(["study", str(smoke), "--results", str(tmp_path / "r"), "--scheduler", "tcp://127.0.0.1:9"]) == 2
    assert "cannot reach the Dask scheduler at 'tcp://127.0.0.1:9' (--scheduler)" in capsys.readouterr().err
    assert not list((tmp_path / "r").glob("runs/*.json"))


def test_a_run_trained_on_dask_says_so_and_is_not_resumed_under_other_threads(client, tmp_path):
    from rectifiers.engine import environment

    store = ResultsStore(tmp_path)
    the_plan = plan(study_from_dict({**STUDY, "activations": ["relu"]}), store, until_epoch=1)
    assert dask_executor.run_on_dask(the_plan, store, the_plan.to_train, client=client, progress=False) == []
    record = store.get(the_plan.runs[0].key)
    assert record["segments"][0]["threads"] == {"intra_op": 1, "inter_op": 1}
    assert record["segments"][0]["executor"] == "dask"
    if environment.threads()["intra_op"] == 1:
        pytest.skip("this process computes with 1 thread too")
    records, problems = run_plan(plan(study_from_dict({**STUDY, "activations": ["relu"]}), store), store,
                                 executor="sequential", progress=False)
    assert len(problems) == 1 and "under another numerical setting (threads" in problems[0]
    assert records == [record]


def _serve(answer: bytes | None):
    """A TCP server on loopback that sends `answer` to each connection (None: says nothing), as a wrong
    --scheduler address may: an SSH banner, a silent port. Returns its port."""
    import socket

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)

    def serve():
        while True:
            connection, _ = server.accept()
            if answer:
                connection.sendall(answer)
            threading.Timer(30, connection.close).start()

    threading.Thread(target=serve, daemon=True).start()
    return server.getsockname()[1]


def _http_server() -> int:
    import http.server

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server.server_address[1]


@pytest.mark.parametrize("service", ["banner", "silent", "http"])
def test_a_scheduler_address_that_is_no_scheduler_fails_in_time_with_one_line(service, tmp_path, capsys):
    port = {"banner": lambda: _serve(b"SSH-2.0-OpenSSH_9.6\r\n" * 4), "silent": lambda: _serve(None),
            "http": _http_server}[service]()
    smoke = tmp_path / "s.yaml"
    smoke.write_text("name: s\ndatasets: [mnist]\nactivations: [relu]\nseeds: [0]\nepochs: [1]\nn_train: 50\n"
                     "n_test: 50\n")
    started = time.monotonic()
    assert main(["study", str(smoke), "--results", str(tmp_path / "r"), "--scheduler",
                 f"tcp://127.0.0.1:{port}"]) == 2
    assert time.monotonic() - started < dask_executor.CONNECT_TIMEOUT_S + 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"error: cannot reach the Dask scheduler at "
                                               f"'tcp://127.0.0.1:{port}' (--scheduler) within")
    assert "EiB" not in err[0] and not list((tmp_path / "r").glob("runs/*.json"))


def _default_ctrl_c() -> None:
    """In the study command's process: Ctrl-C raises KeyboardInterrupt even when this test runs in a background job
    (whose shell starts its children with SIGINT ignored, and Python then leaves it ignored: the command would train
    on to its end and exit 0)."""
    signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.mark.parametrize("stop", ["ctrl-c", "scheduler-dies"])
def test_ctrl_c_or_a_dead_scheduler_stops_the_studys_runs_on_external_workers(stop, tmp_path):
    """A scheduler and a worker started with Dask's own commands on loopback; while the worker trains, the study
    command is interrupted (SIGINT) or the scheduler is killed: the worker stops at its next checkpoint instead of
    training on."""
    import subprocess
    import sys

    from conftest import ROOT

    env = {**os.environ, "PYTHONPATH": str(ROOT), "RECTIFIERS_OFFLINE": "1", **dask_executor.THREAD_ENV}
    scheduler_file = tmp_path / "scheduler.json"
    daemons = [subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
                                 "--port", "0", "--no-dashboard", "--scheduler-file", str(scheduler_file)],
                                env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    try:
        deadline = time.monotonic() + 60
        while not scheduler_file.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        address = __import__("json").loads(scheduler_file.read_text())["address"]
        daemons.append(subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads",
                                         "1", "--nworkers", "1", "--no-dashboard"], env=env, cwd=ROOT,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        study = tmp_path / "long.yaml"
        study.write_text(__import__("json").dumps({**STUDY, "activations": ["relu"], "epochs": [400]}))
        results = ResultsStore(tmp_path / "results")
        command = subprocess.Popen([sys.executable, "-m", "rectifiers", "study", str(study), "--results",
                                    str(results.root), "--scheduler", address, "--no-progress"], env=env, cwd=ROOT,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                   preexec_fn=_default_ctrl_c)

        def done() -> int:
            records = results.scan()[0]
            return records[0]["epochs_done"] if records else 0

        deadline = time.monotonic() + 180
        while done() < 2 and time.monotonic() < deadline and command.poll() is None:
            time.sleep(0.1)
        assert 2 <= done() < 400, command.communicate()
        if stop == "ctrl-c":
            command.send_signal(signal.SIGINT)
            assert command.wait(60) == 130, command.communicate()
        else:
            daemons[0].kill()
            daemons[0].wait(30)
        at_exit = done()
        time.sleep(8)  # an epoch of 200 images takes well under a second: a worker training on would be far ahead
        assert done() <= at_exit + 1 and results.scan()[0][0]["status"] == "partial"
    finally:
        for process in [*reversed(daemons), *([command] if "command" in locals() else [])]:
            process.terminate()
            process.wait(30)
