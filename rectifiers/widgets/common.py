"""Live controls for the chapters: sliders bound to an Output that a figure is redrawn into.

The pattern is explicit (controls + `Output` + `.observe`) rather than `ipywidgets.interact`, which sometimes
stalls notebook execution (nbclient issue 312). Callbacks need a running kernel: in the static book a widget
shows what it drew when the book was built, which is why each chapter also has plotly sliders over
precomputed values, and why every widget built for the static book says so above itself (`static_notice`).

Slow redraws go through `LatestWins`: in a live kernel they run in one worker thread, a busy line says what is
being computed, and slider moves that arrive meanwhile replace each other, so a burst of moves costs one more
computation, not one each.
"""

from __future__ import annotations

import html
import json
import os
import threading
import time
import uuid
from collections.abc import Callable, Mapping

import ipywidgets as W
import plotly.io as pio

from ..activations import DEFAULT_ALPHA
from ..validation import check_finite

PLOTLY_MIME = "application/vnd.plotly.v1+json"
STATIC_BOOK = "RECTIFIERS_STATIC_BOOK"
"""Environment variable set by the book build (book/_ext): its kernels draw widgets for a page without Python."""


def figure_output(fig) -> dict:
    """A plotly figure as a notebook display_data output, drawable both live and in the static book.

    The bundle is what plotly's active renderer produces (JupyterLab, Colab, ...), plus plotly's JSON. When it
    has no HTML (the book's `plotly_mimetype` renderer), an HTML drawing that uses the page's shared plotly.js
    is added, because the static widget manager renders HTML inside an `Output` but not plotly's JSON.
    """
    from ..book_plotly import slim_template

    bundle = dict(fig._repr_mimebundle_())
    # Its template cut to what it uses: the widget state of a static page carries the figure twice (JSON and HTML).
    bundle[PLOTLY_MIME] = slim_template(bundle.get(PLOTLY_MIME) or json.loads(pio.to_json(fig, validate=False)))
    if "text/html" not in bundle:
        bundle["text/html"] = _html_with_page_plotly(bundle[PLOTLY_MIME])
    bundle.setdefault("text/plain", f"<plotly figure: {fig.layout.title.text or 'untitled'}>")
    return {"output_type": "display_data", "data": bundle, "metadata": {}}


def _html_with_page_plotly(figure: Mapping) -> str:
    data = json.dumps(figure.get("data", []), separators=(",", ":"))
    layout = json.dumps(figure.get("layout", {}), separators=(",", ":"))
    div = f"plotly-live-{uuid.uuid4().hex[:12]}"
    # Without plotly.js on the page (e.g. a viewer that ignores plotly's JSON), say so instead of failing.
    script = (
        f"(function(){{var el=document.getElementById('{div}');"
        f"if(window.Plotly){{Plotly.newPlot(el,{data},{layout},{{responsive:true,displaylogo:false}});}}"
        f"else{{el.textContent='(this figure needs plotly.js, which this page does not load)';}}}})();"
    ).replace("</", "<\\/")
    return f'<div id="{html.escape(div)}" style="width:100%;min-height:420px;"></div><script>{script}</script>'


def static_book() -> bool:
    """Whether this kernel is drawing the static book, where no widget callback will ever run."""
    return os.environ.get(STATIC_BOOK, "") not in ("", "0")


def static_notice(what: str = "Moving these controls") -> W.HTML:
    """A line above a widget in the static book saying that it runs only in a live session."""
    return W.HTML(
        f"<div class='rectifiers-static-notice' style='border-left:4px solid #c77c02;padding:2px 8px;"
        f"background:#fff6e5'><b>Runs only in JupyterLab.</b> {html.escape(what)} needs a Python kernel "
        f"(<code>make lab</code> in a clone of the book); on this page it changes nothing. The figure below is the "
        f"one drawn for the values shown when the book was built.</div>"
    )


def has_kernel() -> bool:
    """Whether a kernel with a frontend runs this code (callbacks may then arrive while one is computing)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


class LatestWins:
    """Run `work(request)` for the newest request only.

    In a live kernel one worker thread does the work; requests that arrive while it works replace each other and
    wait `settle_s` for the slider to settle, so that only the latest is computed. `on_busy(request)` is called
    before each computation and `on_done(request, error)` after it (error is None on success). Without a kernel
    (plain Python, tests) the work runs at once, in the caller's thread. First figures are drawn by the callers
    directly, so that a book build or papermill run stores them.
    """

    def __init__(self, work, *, on_busy=None, on_done=None, background: bool | None = None, settle_s: float = 0.15):
        self.work, self.on_busy, self.on_done = work, on_busy, on_done
        self.background = has_kernel() if background is None else background
        self.settle_s = settle_s
        self._lock = threading.Lock()
        self._pending = None
        self._worker: threading.Thread | None = None
        self.superseded = 0  # requests replaced by a newer one before they were computed

    def submit(self, request) -> None:
        if not self.background:
            self._run(request)
            return
        with self._lock:
            if self._pending is not None:
                self.superseded += 1
            self._pending = (request, time.monotonic())
            if self._worker is None:
                self._worker = threading.Thread(target=self._loop, daemon=True, name="rectifiers-latest-wins")
                self._worker.start()

    def busy(self) -> bool:
        with self._lock:
            return self._worker is not None

    def wait(self, timeout: float | None = None) -> bool:
        """Block until every submitted request is done (or `timeout` seconds passed); True when idle."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.busy():
            if deadline is not None and time.monotonic() > deadline:
                return False
            time.sleep(0.02)
        return True

    def _loop(self):
        while True:
            with self._lock:
                if self._pending is None:
                    self._worker = None
                    return
                request, at = self._pending
            wait = at + self.settle_s - time.monotonic()
            if wait > 0:  # a newer move may still come: let the slider settle
                time.sleep(wait)
                continue
            with self._lock:
                if self._pending is None or self._pending[1] != at:
                    continue
                self._pending = None
            self._run(request)

    def _run(self, request):
        if self.on_busy:
            self.on_busy(request)
        try:
            self.work(request)
        except Exception as error:  # shown to the reader by on_done; the worker keeps serving
            if self.on_done is None or not self.background:
                raise
            self.on_done(request, error)
            return
        if self.on_done:
            self.on_done(request, None)


class TrainingStopped(Exception):
    """Raised inside the engine's per-epoch callback when the reader presses Stop."""


class EpochCallback:
    """Stands in for the engine's progress bar: calls `on_epoch()` after every epoch (which may raise
    `TrainingStopped` to end the training there)."""

    def __init__(self, on_epoch):
        self.on_epoch = on_epoch

    def update(self, n=1):
        self.on_epoch()

    def set_postfix(self, *args, **kwargs):
        pass

    def set_description(self, *args, **kwargs):
        pass


def temporary_store(owner):
    """A results store in a temporary folder that is removed with `owner` (or when the kernel exits)."""
    import shutil
    import tempfile
    import weakref

    from ..engine import ResultsStore

    root = tempfile.mkdtemp(prefix="rectifiers-live-")
    weakref.finalize(owner, shutil.rmtree, root, ignore_errors=True)
    return ResultsStore(root)


def _epochs(n: int) -> str:
    return f"{n} epoch" if n == 1 else f"{n} epochs"


class PairTraining:
    """The live pair-training loop every Train explorer shares: Train and Stop buttons, a progress bar over the
    epochs of all its runs, a status line, and the runs' records as they grow.

    `plan(settings)` gives the runs to train for the explorer's current `settings()` (any comparable value): a list
    of (name, RunConfig, data or None). Each is trained through the engine into a temporary store, `n_epochs` at
    most, one epoch at a time; a run stored that far is read, not trained again (so only the changed run of a
    pair trains, and more epochs resume). After every epoch `on_epoch(note)` redraws the explorer. Stop ends the
    training after the current epoch; a second Train while one trains does nothing; the status line says at once
    what trains, and that a kernel restart loses it. `summary(records, n_epochs)` is the line when done.
    `stale()` says whether the records shown were trained for other settings than the controls now show.
    """

    def __init__(self, settings, plan, n_epochs, on_epoch, summary, *, name: str):
        self.settings, self.plan, self.n_epochs, self.on_epoch, self.summary = settings, plan, n_epochs, on_epoch, summary
        self.button = W.Button(description="Train", button_style="primary", icon="play")
        self.stop = W.Button(description="Stop", icon="stop", disabled=True, tooltip="stop after the current epoch")
        self.progress = W.IntProgress(value=0, min=0, max=1, description="epochs trained",
                                      style={"description_width": "initial"})
        self.status = W.Label(value="")
        self.records: dict[str, dict] = {}
        self.trained_for = None  # the settings the records were trained for (None: nothing finished yet)
        self.store = temporary_store(self)
        self.state = {"thread": None, "stop": threading.Event()}
        self.start = wire_train_buttons(self.button, self.stop, self.state, self.train, name=name)
        if static_book():
            self.button.disabled = True  # nothing could answer it on a static page

    def stale(self) -> bool:
        return self.trained_for is not None and self.trained_for != self.settings()

    def busy(self) -> bool:
        return self.state["thread"] is not None

    def train(self, _=None) -> dict:
        """Train the runs of the current settings, in the caller's thread; returns name -> record."""
        from ..engine import load_run_data, run_key, train

        settings, n_epochs = self.settings(), self.n_epochs()
        runs = self.plan(settings)
        self.state["stop"].clear()
        self.records, self.trained_for = {}, None
        self.progress.max, self.progress.value, self.progress.bar_style = len(runs) * n_epochs, 0, ""
        names = " and ".join(name for name, _, _ in runs)
        self.status.value = (f"Training {names} for {_epochs(n_epochs)}: loading the data … (a kernel restart "
                             "would lose this training)")
        done: dict[str, int] = {}
        try:
            for name, config, data in runs:
                data = data if data is not None else load_run_data(config)
                key = run_key(config, data)

                def show(name=name, key=key):
                    record = self.store.get(key)
                    self.records[name] = record
                    done[name] = min(record["epochs_done"], n_epochs)
                    self.progress.value = sum(done.values())
                    self.status.value = (f"{name}: epoch {done[name]} of {n_epochs} (Stop ends the training after "
                                         "this epoch; a kernel restart would lose it)")
                    self.on_epoch(self.status.value)
                    if self.state["stop"].is_set():
                        raise TrainingStopped

                stored = self.store.get(key)
                if stored is not None and stored["epochs_done"] >= n_epochs:
                    show()  # trained before: not again
                else:
                    self.status.value = f"Training {name} for {_epochs(n_epochs)} … (a kernel restart would lose it)"
                    train(config, store=self.store, data=data, until_epoch=n_epochs, progress=EpochCallback(show))
                    show()
            self.trained_for = settings
            self.progress.bar_style = "success"
            self.status.value = self.summary(self.records, n_epochs)
            self.on_epoch(self.status.value)
        except TrainingStopped:
            self.progress.bar_style = "warning"
            self.status.value = (f"Stopped after {self.progress.value} of {self.progress.max} epochs; the curves show "
                                 "the epochs trained. Train again resumes the runs.")
        except BaseException as error:  # KeyboardInterrupt included: say what happened instead of a stuck bar
            self.progress.bar_style = "danger"
            self.status.value = f"Training ended early ({type(error).__name__}: {error}); Train starts it again."
            raise
        return self.records


def wire_train_buttons(button: W.Button, stop: W.Button, state: dict, run: Callable[[], object], *,
                       name: str) -> Callable[..., None]:
    """Train runs `run` (which reports in its own status line), one training at a time; Stop sets `state["stop"]`.
    Returns what a click on Train calls.

    With a kernel, `run` trains in a thread named `name`, so that Stop can be clicked meanwhile; without one (a
    test, a script) it runs at once. `state` holds "thread" (None when idle) and "stop" (a threading.Event).
    """
    def start(_=None):
        if state["thread"] is not None:  # a double click, or a click while training: one training at a time
            return
        button.disabled, stop.disabled = True, False

        def job():
            try:
                run()
            except Exception:
                pass  # reported in the status line
            finally:
                state["thread"] = None
                button.disabled, stop.disabled = False, True

        if not has_kernel():
            job()
            return
        state["thread"] = threading.Thread(target=job, daemon=True, name=name)
        state["thread"].start()

    button.on_click(start)
    stop.on_click(lambda _: state["stop"].set())
    return start


def _describe(values: Mapping, labels: Mapping[str, str] | None = None) -> str:
    """The values in the reader's words: each control's label (its description), not its keyword name."""
    labels = labels or {}
    return ", ".join(f"{labels.get(name) or name} {value:g}" if isinstance(value, float)
                     else f"{labels.get(name) or name} {value}" for name, value in values.items())


def live_figure(controls: Mapping[str, W.ValueWidget], draw: Callable[..., object]) -> W.VBox:
    """Controls above an Output that shows `draw(**values)`, redrawn whenever a control's value changes.

    `controls` maps `draw`'s keyword names to widgets with a `.value`; `draw` returns a plotly figure. While a
    redraw runs, a busy line says for which values; moves made meanwhile replace each other (`LatestWins`). The
    returned box has `.output` (the Output), `.busy` (the busy line), `.redraw()` and `.updates` (its
    `LatestWins`, whose `.wait()` tests use).
    """
    if not controls:
        raise ValueError("controls must name at least one widget, e.g. {'alpha': FloatSlider(...)}")
    output = W.Output()
    busy = W.HTML("")
    labels = {name: getattr(widget, "description", "") for name, widget in controls.items()}

    def compute(values):
        output.outputs = (figure_output(draw(**values)),)

    def show_busy(values):
        busy.value = f"<i>Computing for {html.escape(_describe(values, labels))} …</i>"

    def show_done(values, error):
        busy.value = "" if error is None else (
            f"<b>Could not draw for {html.escape(_describe(values, labels))}:</b> {html.escape(str(error))}"
        )

    updates = LatestWins(compute, on_busy=show_busy, on_done=show_done)

    def redraw(change=None):
        updates.submit({name: widget.value for name, widget in controls.items()})

    for widget in controls.values():
        widget.observe(redraw, names="value")
    compute({name: widget.value for name, widget in controls.items()})  # the first figure, at once
    notice = [static_notice("Moving these sliders")] if static_book() else []
    box = W.VBox([*notice, *(getattr(widget, "shown", widget) for widget in controls.values()), busy, output])
    box.output, box.busy, box.redraw, box.updates = output, busy, redraw, updates
    return box


def choice_slider(options, value, description: str, **kwargs) -> W.SelectionSlider:
    """A slider over a few values (`options`) whose readout is plain text. ipywidgets draws a SelectionSlider's own
    readout like a number slider's, which a reader can type into, but it ignores typing; this one shows the value
    in a Label instead. Lay out `.shown` (the slider and its readout); read and observe the slider itself."""
    if value not in list(options):
        raise ValueError(f"{description} must be one of {', '.join(map(str, options))}; got {value!r}")
    kwargs = {"continuous_update": False, "style": {"description_width": "initial"}, **kwargs}
    slider = W.SelectionSlider(options=options, value=value, description=description, readout=False, **kwargs)
    readout = W.Label(layout=W.Layout(min_width="4em"))
    W.dlink((slider, "label"), (readout, "value"))
    slider.shown = W.HBox([slider, readout])
    return slider


def alpha_slider(value: float = DEFAULT_ALPHA, *, low: float = 0.0, high: float = 1.0, step: float = 0.01) -> W.FloatSlider:
    """A slider for Leaky ReLU's negative slope α."""
    value = check_finite("alpha", value, low=low, high=high)
    return W.FloatSlider(
        value=value,
        min=low,
        max=high,
        step=step,
        description="α",
        readout_format=".2f",
        continuous_update=False,
        layout=W.Layout(width="60%"),
        style={"description_width": "initial"},
    )


def alpha_explorer(alpha: float = DEFAULT_ALPHA, *, x_range=(-4.0, 4.0), n_points: int = 201) -> W.VBox:
    """Live: Leaky ReLU and its autodiff derivative, redrawn as the α slider moves (ReLU for reference)."""
    from ..figures.common import activation_figure

    def draw(alpha):
        return activation_figure(
            ["relu", "leaky_relu"], alpha, x_range=x_range, n_points=n_points, title=f"Leaky ReLU with α = {alpha:.2f}"
        )

    return live_figure({"alpha": alpha_slider(alpha)}, draw)
