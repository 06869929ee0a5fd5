"""Live explorer of Chapter 2: depth, α and initial-scale sliders that re-measure the gradient profile.

A new depth or α builds fresh networks and measures their gradients on CPU (about a second per network), so the
explorer avoids work it can: every measured profile is kept for when the slider comes back, init-scale moves
reuse the built networks, and where the chapter's stored grid holds the setting (He initialisation, the same
width and seeds) ReLU and Leaky ReLU are read from it instead of measured. The busy line and latest-wins
updates come from `rectifiers.widgets.common.live_figure`. Callbacks need a kernel; the static book shows what was
drawn at build time, next to plotly sliders over the precomputed grid.
"""

from __future__ import annotations

from collections.abc import Sequence

import ipywidgets as W
import numpy as np

from ..activations import DEFAULT_ALPHA, SLOPED, check_activation
from ..figures.gradients import gradient_profile_figure
from ..experiments.gradients import GradientProfile, check_batch, gradient_profile
from ..validation import check_finite, check_int
from .common import alpha_slider, live_figure

EXPLORER_INITIALIZERS = {"sigmoid": "glorot", "tanh": "glorot", "relu": "he", "leaky_relu": "he", "prelu": "he"}
"""Initialisation whose standard deviation the init-scale slider multiplies (He for rectifiers, for any α)."""

_KEPT = 256  # measured profiles kept per explorer (a few KB each)


def stored_profile(grid: dict | None, activation: str, depth: int, alpha: float, init_scale: float, width: int,
                   seeds: Sequence[int], n_images: int) -> GradientProfile | None:
    """The profile a stored `gradient_grid` holds for this setting, or None when it does not hold it."""
    if grid is None or activation not in ("relu", "leaky_relu") or EXPLORER_INITIALIZERS[activation] != "he":
        return None
    slope = 0.0 if activation == "relu" else alpha
    made = grid.get("made", {}).get("parameters", {})
    if made.get("width") != width or made.get("n_images") != n_images or not set(seeds) <= set(grid["seeds"]):
        return None
    try:
        d, a, s = grid["depths"].index(depth), grid["alphas"].index(slope), grid["init_scales"].index(init_scale)
    except ValueError:
        return None
    rows = [grid["norms"][d][a][s][grid["seeds"].index(seed)] for seed in seeds]
    return GradientProfile(activation, float(alpha if activation in SLOPED else DEFAULT_ALPHA), "he",
                           float(init_scale), width, tuple(seeds), np.array(rows, dtype=np.float64))


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
    grid: dict | None = None,
) -> W.VBox:
    """Sliders for depth, α and init scale above a gradient-profile figure, re-measured on every change.

    `grid`, a stored `gradient_grid` measured on the same images, answers the settings it holds at once.
    """
    images, labels = check_batch(images, labels)
    for name in activations:
        check_activation(name, alpha)
    max_depth = check_int("max_depth", max_depth, low=1)
    depth = check_int("depth", depth, low=1, high=max_depth)
    init_scale = check_finite("init_scale", init_scale, low=0.1, high=3.0)
    style = dict(continuous_update=False, layout=W.Layout(width="60%"), style={"description_width": "initial"})
    controls = {
        "depth": W.IntSlider(value=depth, min=1, max=max_depth, description="hidden layers", **style),
        "alpha": alpha_slider(alpha),
        "init_scale": W.FloatSlider(value=init_scale, min=0.1, max=3.0, step=0.05, description="init scale",
                                    readout_format=".2f", **style),
    }
    for control in controls.values():  # one label width: the three slider tracks start at the same x
        control.style.description_width = "8em"
    measured: dict[tuple, GradientProfile] = {}

    def profile(name, depth, alpha, init_scale):
        slope = alpha if name in SLOPED else None  # α does not change the other networks
        key = (name, depth, slope, init_scale)
        if key not in measured:
            found = stored_profile(grid, name, depth, alpha, init_scale, width, seeds, len(labels))
            if found is None:
                found = gradient_profile(images, labels, depth=depth, width=width, activation=name, alpha=alpha,
                                         initializer=EXPLORER_INITIALIZERS.get(name, "he"), init_scale=init_scale,
                                         seeds=seeds)
            if len(measured) >= _KEPT:
                measured.pop(next(iter(measured)))
            measured[key] = found
        return measured[key]

    def draw(depth, alpha, init_scale):
        profiles = [profile(name, depth, alpha, init_scale) for name in activations]
        title = f"Gradient norm per layer at initialisation: {depth} hidden layers, init scale {init_scale:g}"
        return gradient_profile_figure(profiles, title=title)

    box = live_figure(controls, draw)
    box.measured = measured
    return box
