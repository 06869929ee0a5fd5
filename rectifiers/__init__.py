"""The computations behind the book "ReLU or Leaky ReLU?".

Notebooks narrate; this package computes. One module per concept: activations, data, models, plots, widgets,
gradients, dying, comparison, stats; `engine/` trains every network of the book (run configs, model families,
trainers, the results store, studies, the Dask executor, the command line) and `probes/` holds what it measures
during training. `training`, `results` and `study` are the engine's former module names, kept for imports.
"""

__version__ = "0.1.0"
