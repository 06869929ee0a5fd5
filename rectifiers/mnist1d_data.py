"""MNIST-1D (Greydanus & Kobak, ICML 2024): 40-sample 1-D signals of the ten digits, generated here, offline.

`load_dataset("mnist1d")` returns signals as float32 shaped (n, 40, 1) and labels 0-9. They are made by the pinned
`mnist1d` package's `make_dataset` from its ten templates with `GENERATION_ARGS` (its own defaults: 5,000 signals,
the first 4,000 for training and the last 1,000 for testing, seed 42) — the split its authors' published accuracies
refer to (logistic regression 32 %, MLP 68 %, CNN 94 %). Its download path (`get_dataset`) is never used.

Why the default 5,000 and not more: the chapters compare activations on *paired* seeds (same initial weights and
batch order), so a difference is judged against the spread between seeds, not against the test set's binomial
noise; and a larger dataset would be an easier task than the one whose published numbers we reproduce.
`GENERATION_ARGS` enters every run's experiment (and so its key): a different choice gives new runs, never mixed ones.
"""

from __future__ import annotations

import functools
import hashlib
import random

import numpy as np

from .data import GENERATED, Generated, Source

NAME = "mnist1d"
PACKAGE_VERSION = "0.0.2.post1"
"""The `mnist1d` release pinned in requirements.txt; a different release may generate other signals."""

GENERATION_ARGS = {
    "num_samples": 5000, "train_split": 0.8, "template_len": 12, "padding": [36, 60], "scale_coeff": 0.4,
    "max_translation": 48, "corr_noise_scale": 0.25, "iid_noise_scale": 2e-2, "shear_scale": 0.75,
    "shuffle_seq": False, "final_seq_length": 40, "seed": 42,
}
"""`mnist1d.data.make_dataset`'s arguments: the package's `get_dataset_args()` without its download URL."""

SIGNAL_SHAPE = (GENERATION_ARGS["final_seq_length"], 1)
"""One input: a sequence of 40 positions with one channel."""

CLASS_NAMES = tuple(str(d) for d in range(10))


def generate() -> Generated:
    """The MNIST-1D train and test halves, generated with `GENERATION_ARGS`, and the arguments to record."""
    x_train, y_train, x_test, y_test = _make()
    digest = hashlib.md5(b"".join(a.tobytes() for a in (x_train, y_train, x_test, y_test))).hexdigest()
    halves = {}
    for half, (x, y) in (("train", (x_train, y_train)), ("test", (x_test, y_test))):
        source = Source("generated", "", len(y), checksum=f"md5 of the generated arrays {digest}",
                        files=(f"mnist1d {PACKAGE_VERSION} make_dataset (seed {GENERATION_ARGS['seed']})",))
        halves[half] = ((x, y), source)
    arguments = {"generator": "mnist1d.data.make_dataset", "package_version": PACKAGE_VERSION, **GENERATION_ARGS}
    return Generated(halves["train"], halves["test"], arguments, CLASS_NAMES)


@functools.lru_cache(maxsize=1)
def _make() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(x_train, y_train, x_test, y_test), read-only; about 3 CPU-seconds, so made once per process."""
    from importlib.metadata import version

    from mnist1d.data import make_dataset  # imported here: the package imports matplotlib
    from mnist1d.utils import ObjectView

    if version("mnist1d") != PACKAGE_VERSION:
        raise RuntimeError(f"mnist1d {version('mnist1d')} is installed; the runs are defined by {PACKAGE_VERSION} "
                           "(requirements.txt): install that release")
    # make_dataset seeds Python's and NumPy's global generators; put them back as they were.
    python_state, numpy_state = random.getstate(), np.random.get_state()
    try:
        made = make_dataset(ObjectView(dict(GENERATION_ARGS)))
    finally:
        random.setstate(python_state)
        np.random.set_state(numpy_state)
    length = GENERATION_ARGS["final_seq_length"]
    out = []
    for x, y in ((made["x"], made["y"]), (made["x_test"], made["y_test"])):
        x = np.asarray(x, dtype=np.float32).reshape(-1, length, 1)
        y = np.asarray(y, dtype=np.uint8)
        x.setflags(write=False)
        y.setflags(write=False)
        out += [x, y]
    return tuple(out)


GENERATED[NAME] = generate
