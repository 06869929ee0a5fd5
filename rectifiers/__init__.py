"""The computations behind the book "ReLU or Leaky ReLU?".

Notebooks narrate; this package computes. One module per concept:
activations, data, models, training, results, study, plots, widgets, gradients, dying, stats.
"""

__version__ = "0.1.0"
