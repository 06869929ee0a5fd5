"""Shared look of the book's plotly figures: one colour per activation, titled axes, a legend."""

from __future__ import annotations

import plotly.graph_objects as go

COLOURS = {
    "relu": "#1f77b4",
    "leaky_relu": "#d62728",
    "prelu": "#ff7f0e",
    "sigmoid": "#2ca02c",
    "tanh": "#9467bd",
    "elu": "#8c564b",
    "selu": "#e377c2",
    "gelu": "#7f7f7f",
    "swish": "#bcbd22",
    "mish": "#17becf",
}
"""ReLU is always blue and Leaky ReLU always red, in every chapter."""

LABELS = {
    "relu": "ReLU",
    "leaky_relu": "Leaky ReLU",
    "prelu": "PReLU",
    "sigmoid": "sigmoid",
    "tanh": "tanh",
    "elu": "ELU",
    "selu": "SELU",
    "gelu": "GELU",
    "swish": "Swish (SiLU)",
    "mish": "Mish",
}


def colour(activation: str) -> str:
    """The book's colour for an activation name."""
    return COLOURS[activation]


def label(activation: str, alpha: float | None = None) -> str:
    """The reader-facing name of an activation, with its slope when it has one."""
    text = LABELS[activation]
    return f"{text} (α={alpha:g})" if alpha is not None and activation in ("leaky_relu", "prelu") else text


def finish(fig: go.Figure, *, title: str, x: str, y: str, height: int = 450) -> go.Figure:
    """Give a figure the book's title, axis labels (with units), legend and size."""
    fig.update_layout(
        title=dict(text=title),
        xaxis_title=x,
        yaxis_title=y,
        height=height,
        template="plotly_white",
        legend=dict(title=None),
        margin=dict(l=60, r=20, t=60, b=50),
    )
    return fig
