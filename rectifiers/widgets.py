"""Live controls for the chapters: sliders bound to an Output that a figure is redrawn into.

The pattern is explicit (controls + `Output` + `.observe`) rather than `ipywidgets.interact`, which sometimes
stalls notebook execution (nbclient issue 312). Callbacks need a running kernel: in the static book a widget
shows what it drew when the book was built, which is why each chapter also has plotly sliders over
precomputed values.
"""

from __future__ import annotations

import html
import json
import uuid
from collections.abc import Callable, Mapping

import ipywidgets as W
import plotly.io as pio

from .activations import DEFAULT_ALPHA
from .validation import check_finite

PLOTLY_MIME = "application/vnd.plotly.v1+json"


def figure_output(fig) -> dict:
    """A plotly figure as a notebook display_data output, drawable both live and in the static book.

    The bundle is what plotly's active renderer produces (JupyterLab, Colab, ...), plus plotly's JSON. When it
    has no HTML (the book's `plotly_mimetype` renderer), an HTML drawing that uses the page's shared plotly.js
    is added, because the static widget manager renders HTML inside an `Output` but not plotly's JSON.
    """
    bundle = dict(fig._repr_mimebundle_())
    bundle.setdefault(PLOTLY_MIME, json.loads(pio.to_json(fig, validate=False)))
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


def live_figure(controls: Mapping[str, W.ValueWidget], draw: Callable[..., object]) -> W.VBox:
    """Controls above an Output that shows `draw(**values)`, redrawn whenever a control's value changes.

    `controls` maps `draw`'s keyword names to widgets with a `.value`; `draw` returns a plotly figure. The
    returned box has `.output` (the Output) and `.redraw()` for tests and callers.
    """
    if not controls:
        raise ValueError("controls must name at least one widget, e.g. {'alpha': FloatSlider(...)}")
    output = W.Output()

    def redraw(change=None):
        fig = draw(**{name: widget.value for name, widget in controls.items()})
        output.outputs = (figure_output(fig),)

    for widget in controls.values():
        widget.observe(redraw, names="value")
    redraw()
    box = W.VBox([*controls.values(), output])
    box.output, box.redraw = output, redraw
    return box


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
    )


def alpha_explorer(alpha: float = DEFAULT_ALPHA, *, x_range=(-4.0, 4.0), n_points: int = 201) -> W.VBox:
    """Live: Leaky ReLU and its autodiff derivative, redrawn as the α slider moves (ReLU for reference)."""
    from .plots import activation_figure

    def draw(alpha):
        return activation_figure(
            ["relu", "leaky_relu"], alpha, x_range=x_range, n_points=n_points, title=f"Leaky ReLU with α = {alpha:.2f}"
        )

    return live_figure({"alpha": alpha_slider(alpha)}, draw)
