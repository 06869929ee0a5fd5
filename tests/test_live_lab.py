"""A live session as a reader has it: `make lab`'s JupyterLab with the project's kernel, driven in headless Chromium.

Opens Chapter 4's working copy, runs every cell, moves the Train explorer's α slider, trains with the smallest
settings and checks the progress bar, the curves (the live run's α in the legend) and the prose's glued values;
and that no notebook in the repository was written. Then every chapter: Run All shows every output (no "Show
more outputs" bar), prose with no raw role and no unrun `glued(` code, and after a save and a reload the
explorers are still live widgets, not their text. A chapter whose kernel's results store is empty completes Run
All with a message and prose that says the runs are missing. Needs Debian's chromium; about a minute per chapter on two busy
cores. `LIVE_SHOTS=folder` keeps a screenshot of each chapter after Run All and after the reload.
"""

from __future__ import annotations

import hashlib
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

from conftest import NOTEBOOKS, ROOT

pytestmark = pytest.mark.slow

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHAPTER = "04_cnn_comparison.ipynb"
SHOTS = ROOT / "_build" / "screenshots"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _notebook_digests() -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(NOTEBOOKS.glob("*.ipynb"))}


def _serve(home: Path, **environment):
    """JupyterLab on 127.0.0.1 over working copies made as `make lab` makes them, its kernels given `environment`;
    yields (url, token, folder)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"headless Chromium not found at {CHROMIUM} (set CHROMIUM, or install Debian's chromium)")
    copies = home / "lab"
    subprocess.run([sys.executable, "-m", "rectifiers.lab", str(copies)], check=True, cwd=ROOT)
    port, token = _free_port(), "rectifiers-live-test"
    # The kernelspec runs `python`: the venv's, as `make lab` arranges.
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
           "IPYTHONDIR": str(ROOT / "book" / "ipython"), "PYTHONPATH": str(ROOT),
           "JUPYTER_CONFIG_DIR": str(home / "config"), "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
           "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"), "TF_CPP_MIN_LOG_LEVEL": "2", **environment}
    env.pop("RECTIFIERS_STATIC_BOOK", None)
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
               f"--notebook-dir={copies}", f"--IdentityProvider.token={token}", "--LabApp.news_url=None",
               "--ServerApp.log_level=WARN"]
    if os.geteuid() == 0:  # CI runs as root; JupyterLab refuses that without the flag
        command.append("--allow-root")
    SHOTS.mkdir(parents=True, exist_ok=True)
    log_path = SHOTS / f"live-lab{'-' + home.name if environment else ''}.log"
    log = open(log_path, "w")  # kept for a look after a failure
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=copies)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2)
            break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                pytest.fail(f"JupyterLab did not start: {log_path.read_text()[-2000:]}")
            time.sleep(0.5)
    yield url, token, copies
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
    log.close()


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    yield from _serve(tmp_path_factory.mktemp("lab"))


@pytest.fixture(scope="module")
def empty_store_lab(tmp_path_factory):
    """The same, with kernels whose results store is an empty folder (`$RECTIFIERS_RESULTS_DIR`)."""
    empty = tmp_path_factory.mktemp("empty-store")
    yield from _serve(tmp_path_factory.mktemp("empty-lab"), RECTIFIERS_RESULTS_DIR=str(empty))


def _widget_for(page, label: str):
    """The ipywidgets slider whose description is `label`."""
    return page.locator(".widget-slider", has=page.locator(".widget-label", has_text=label)).last


def _set_slider(page, label: str, value: str):
    """Type a value into the slider's readout, as a reader can in ipywidgets 8."""
    readout = _widget_for(page, label).locator(".widget-readout")
    readout.click()
    page.keyboard.press("Control+A")
    page.keyboard.type(value)
    page.keyboard.press("Enter")


def _open_and_run_all(page, url: str, token: str, chapter: str) -> None:
    _open(page, url, token, chapter)
    _run_all(page)


def _open(page, url: str, token: str, chapter: str) -> None:
    """The chapter alone in JupyterLab, its kernel started and idle."""
    page.goto(f"{url}/lab/tree/{chapter}?token={token}&reset")  # reset: only this chapter open
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
    page.locator(".jp-NotebookPanel-toolbar").wait_for()
    page.get_by_text(re.compile(r"Python 3 \(ipykernel\) \| Idle")).wait_for(timeout=60_000)  # status bar
    page.wait_for_timeout(1000)


def _run_all(page) -> None:
    dialog = page.locator(".jp-Dialog", has_text="Select Kernel")
    if dialog.count():  # JupyterLab asks when a run comes before the session; keep the chapter's kernel
        dialog.get_by_role("button", name="Select").click()
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=False).first.click()


def _wait_idle(page, timeout_ms: int = 150_000) -> None:
    page.wait_for_timeout(1500)  # let Run All start
    page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").wait_for(timeout=timeout_ms)


def _rendered_prose(page) -> str:
    """The text of the markdown cells as rendered (not the source of a cell not rendered yet)."""
    return " ".join(page.locator(".jp-MarkdownCell .myst").all_inner_texts())


def _reads_whole(page, chapter: str) -> None:
    """Every output shown, every role rewritten, every value computed (after a complete Run All)."""
    assert page.locator(".jp-TrimmedOutputs").count() == 0, f"{chapter}: a cell hides outputs ('Show more outputs')"
    prose = _rendered_prose(page)
    for raw in ("glue:text", "{cite}", "{ref}", "{doc}", "glued("):
        assert raw not in prose, f"{chapter}: {raw!r} left in the prose"
    errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    assert errors.count() == 0, errors.all_inner_texts()[:3]


def _shut_down_kernels(url: str, token: str) -> None:
    """The chapter's kernel goes with its test: the next chapter gets the cores."""
    import json

    with urllib.request.urlopen(f"{url}/api/kernels?token={token}", timeout=10) as answer:
        kernels = json.load(answer)
    for kernel in kernels:
        urllib.request.urlopen(urllib.request.Request(f"{url}/api/kernels/{kernel['id']}?token={token}",
                                                      method="DELETE"), timeout=30)


def _shot(page, name: str) -> None:
    """A screenshot of the chapter's last explorer (or its top), kept in $LIVE_SHOTS when set."""
    if not (folder := os.environ.get("LIVE_SHOTS")):
        return
    scroller = "document.querySelector('.jp-WindowedPanel-outer')"
    page.evaluate(f"() => {scroller}.scrollTo(0, 0)")
    where = None
    for _ in range(400):  # JupyterLab attaches only the cells near the view: find the last explorer's place
        page.wait_for_timeout(100)
        if page.locator(".jp-OutputArea-output .jupyter-widgets").count():
            where = page.evaluate(f"() => {scroller}.scrollTop")
        if page.evaluate(f"() => {{ const s = {scroller}; const end = s.scrollTop + s.clientHeight >= s.scrollHeight - 2;"
                         " s.scrollBy(0, s.clientHeight * 0.8); return end; }"):
            break
    if where is not None:
        page.evaluate(f"() => {scroller}.scrollTo(0, {where})")
        page.wait_for_timeout(500)
        # The explorer's top (its controls), not its last widget (the figure at its foot).
        page.locator(".jp-OutputArea-output:has(.jupyter-widgets)").last.evaluate("e => e.scrollIntoView({block: 'start'})")
    else:
        page.evaluate(f"() => {scroller}.scrollTo(0, 0)")
    page.wait_for_timeout(1000)
    Path(folder).mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=False)


def _scan_outputs(page) -> tuple[bool, bool]:
    """Scroll the notebook from top to bottom (JupyterLab attaches only the cells near the view): whether any
    output is a live widget, and whether any shows a widget's text instead (`VBox(children=...)`)."""
    live = text = False
    page.evaluate("() => document.querySelector('.jp-WindowedPanel-outer').scrollTo(0, 0)")
    for _ in range(400):
        page.wait_for_timeout(150)
        live |= page.locator(".jp-OutputArea-output .jupyter-widgets").count() > 0
        shown = " ".join(page.locator(".jp-OutputArea-output").all_inner_texts())
        text |= "VBox(children=" in shown or "HBox(children=" in shown
        at_end = page.evaluate("() => { const s = document.querySelector('.jp-WindowedPanel-outer');"
                               " const end = s.scrollTop + s.clientHeight >= s.scrollHeight - 2;"
                               " s.scrollBy(0, s.clientHeight * 0.8); return end; }")
        if at_end:
            break
    return live, text


def _save_reload_and_find_explorers_live(page, chapter: str) -> None:
    """Save, reload the page: the explorers come back as widgets (a trusted save), not as `VBox(children=...)`."""
    had_widgets, _ = _scan_outputs(page)
    page.get_by_role("menuitem", name="File", exact=True).click()
    page.get_by_role("menuitem", name="Save Notebook", exact=False).first.click()
    page.wait_for_timeout(3000)
    page.reload()
    page.wait_for_selector(".jp-Notebook .jp-Cell", state="attached", timeout=60_000)
    page.get_by_text(re.compile(r"Python 3 \(ipykernel\) \| Idle")).wait_for(timeout=60_000)
    page.wait_for_timeout(3000)
    live, text = _scan_outputs(page)
    assert not text, f"{chapter}: after a reload, explorers show as text (the save was not trusted)"
    assert live or not had_widgets, f"{chapter}: after a reload, no explorer is a live widget"


def _figure_title(page) -> str:
    return page.locator(".jp-OutputArea .js-plotly-plot .gtitle").last.text_content()


def test_a_live_session_runs_a_chapter_trains_and_leaves_the_repository_alone(lab):
    from playwright.sync_api import sync_playwright

    url, token, copies = lab
    before = _notebook_digests()
    started = time.monotonic()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        _open_and_run_all(page, url, token, CHAPTER)
        try:
            # The explorer's Train button is the last widget; Done-free status means it drew.
            train = page.locator(".jupyter-widgets button", has_text="Train")
            train.wait_for(timeout=150_000)
            page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").wait_for(timeout=150_000)
            train.scroll_into_view_if_needed()
            title = _figure_title(page)
            assert "Press Train" in title

            _set_slider(page, "α", "0.05")
            page.wait_for_function(
                "() => [...document.querySelectorAll('.js-plotly-plot .gtitle')].some(t => t.textContent.includes('α = 0.05'))",
                timeout=20_000,
            )
            assert _figure_title(page) != title  # the figure says what Train will train now

            _set_slider(page, "epochs", "1")
            page.wait_for_function(
                "() => [...document.querySelectorAll('.js-plotly-plot .gtitle')].some(t => t.textContent.includes('for 1 epoch.'))",
                timeout=20_000,
            )
            train.dblclick()  # a double click trains once
            status = page.locator(".widget-label", has_text=re.compile("^Done: test accuracy after 1 epoch "))
            status.wait_for(timeout=120_000)
            bar = page.locator(".widget-hprogress .progress-bar").last
            assert bar.evaluate("b => parseFloat(b.style.width)") == pytest.approx(100)
            legend = page.locator(".jp-OutputArea .js-plotly-plot").last.locator(".legendtext").evaluate_all(
                "texts => texts.map(t => t.textContent)")
            assert sum("live run" in t for t in legend) == 2, legend
            assert any(t.startswith("Leaky ReLU (α=0.05), live run") for t in legend), legend  # the α trained

            # TensorFlow's C++ start-up and per-training log stays in the terminal (book/ipython's kernel config).
            stderr = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
            assert stderr.count() == 0, stderr.all_inner_texts()[:3]

            prose = " ".join(page.locator(".jp-MarkdownCell").all_inner_texts())
            assert "not computed yet" not in prose  # Run All filled every glued value in
            _reads_whole(page, CHAPTER)
        finally:
            SHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOTS / "live-lab-chapter4.png"), full_page=False)
            browser.close()
    elapsed = time.monotonic() - started
    assert elapsed < 150, f"the live session took {elapsed:.0f} s"

    # The session wrote its working copy (autosave) and nothing in the repository.
    assert _notebook_digests() == before
    for path in NOTEBOOKS.glob("*.ipynb"):
        notebook = nbformat.read(path, as_version=4)
        assert not any(c.get("outputs") for c in notebook.cells if c.cell_type == "code"), path
    assert (copies / CHAPTER).exists()


@pytest.mark.parametrize("chapter", [p.name for p in sorted(NOTEBOOKS.glob("*.ipynb"))])
def test_a_chapter_reads_whole_after_run_all_and_its_explorers_survive_a_reload(lab, chapter):
    from playwright.sync_api import sync_playwright

    url, token, _ = lab
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        try:
            # Before Run All, a paragraph's values say they are not computed yet, instead of showing code.
            _open(page, url, token, chapter)
            page.wait_for_selector(".jp-MarkdownCell .myst", timeout=60_000)
            page.wait_for_timeout(1000)
            before = _rendered_prose(page)
            assert "glued(" not in before and "not computed yet" in before
            _run_all(page)
            _wait_idle(page)
            _shot(page, f"{Path(chapter).stem}-after-run-all")
            _reads_whole(page, chapter)
            _save_reload_and_find_explorers_live(page, chapter)
            _shot(page, f"{Path(chapter).stem}-after-reload")
        finally:
            SHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOTS / f"live-lab-{Path(chapter).stem}.png"), full_page=False)
            browser.close()
            _shut_down_kernels(url, token)


def test_a_chapter_pointed_at_an_empty_store_completes_run_all_with_a_message(empty_store_lab):
    from playwright.sync_api import sync_playwright

    url, token, _ = empty_store_lab
    chapter = "05_where_leaky_relu_wins.ipynb"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        try:
            _open_and_run_all(page, url, token, chapter)
            _wait_idle(page)
            _reads_whole(page, chapter)  # no traceback (stderr), no raw role, no unrun value
            page.evaluate("() => document.querySelector('.jp-WindowedPanel-outer').scrollTo(0, 0)")
            page.wait_for_timeout(1500)  # the cells at the top attach: the store's message and the first numbers
            shown = " ".join(page.locator(".jp-OutputArea-output").all_inner_texts())
            assert "Not stored here" in shown and "python -m rectifiers study" in shown, shown[:2000]
            assert "— (runs missing)" in _rendered_prose(page)
        finally:
            SHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOTS / "live-lab-empty-store.png"), full_page=False)
            browser.close()
            _shut_down_kernels(url, token)
