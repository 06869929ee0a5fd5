"""Live explorer of Chapter 2: depth, α and initial-scale sliders that re-measure the gradient profile.

Each move builds fresh networks and measures their gradients on CPU (a few seconds). Callbacks need a kernel;
the static book shows what was drawn at build time, next to plotly sliders over a precomputed grid.
"""

from __future__ import annotations

from collections.abc import Sequence

import ipywidgets as W

from .activations import DEFAULT_ALPHA, check_activation
from .gradient_plots import gradient_profile_figure
from .gradients import check_batch, gradient_profile
from .validation import check_finite, check_int
from .widgets import alpha_slider, live_figure

EXPLORER_INITIALIZERS = {"sigmoid": "glorot", "tanh": "glorot", "relu": "he", "leaky_relu": "he", "prelu": "he"}
"""Initialisation whose standard deviation the init-scale slider multiplies (He for rectifiers, for any α)."""


def gradient_explorer(
    images,
    labels,
    *,
    activations: Sequence[str] = ("sigmoid", "relu", "leaky_relu"),
    depth: int = 20,
    alpha: float = DEFAULT_ALPHA,
    init_scale: float = 1.0,
    width: int = 128,
    seeds: Sequence[int] = (0, 1),
    max_depth: int = 30,
) -> W.VBox:
    """Sliders for depth, α and init scale above a gradient-profile figure that is re-measured on every change."""
    images, labels = check_batch(images, labels)
    for name in activations:
        check_activation(name, alpha)
    max_depth = check_int("max_depth", max_depth, low=1)
    depth = check_int("depth", depth, low=1, high=max_depth)
    init_scale = check_finite("init_scale", init_scale, low=0.1, high=3.0)
    style = dict(continuous_update=False, layout=W.Layout(width="60%"))
    controls = {
        "depth": W.IntSlider(value=depth, min=1, max=max_depth, description="depth", **style),
        "alpha": alpha_slider(alpha),
        "init_scale": W.FloatSlider(value=init_scale, min=0.1, max=3.0, step=0.05, description="init scale",
                                    readout_format=".2f", **style),
    }

    def draw(depth, alpha, init_scale):
        profiles = [
            gradient_profile(images, labels, depth=depth, width=width, activation=name, alpha=alpha,
                             initializer=EXPLORER_INITIALIZERS.get(name, "he"), init_scale=init_scale, seeds=seeds)
            for name in activations
        ]
        return gradient_profile_figure(
            profiles, title=f"Gradient norm per layer at initialisation: {depth} hidden layers, init scale {init_scale:g}"
        )

    return live_figure(controls, draw)
