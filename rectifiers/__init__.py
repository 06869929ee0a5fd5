"""The computations behind the book "ReLU or Leaky ReLU?". Notebooks narrate; this package computes.

- `activations`, `models`, `modern_models`, `gan_models`, `data` (with `data_files`, `mnist1d_data`), `stats`,
  `gan_metrics`, `validation`: the math, the networks, the data sets, the statistics.
- `engine/`: trains every network of the book (run configs, model families and trainers, the results store,
  studies, the Dask executor, the command line); `probes/`: what it measures during training.
- `experiments/`: each chapter's grids and analyses over stored records; `figures/`: plotly figures and reader
  tables; `widgets/`: ipywidgets explorers for live sessions.
- `parameters`, `chapter_parameters`: the checks of the notebooks' parameters; `lab`: `make lab`'s working copies;
  `book_plotly`: the book's plotly renderer; `bench`: `make bench`.

Which of them may import which: README.md, "Layout" (checked by tests/test_layers.py).
"""

__version__ = "0.1.0"

from . import mnist1d_data  # noqa: E402,F401 - registers the generated dataset "mnist1d" in data.GENERATED
