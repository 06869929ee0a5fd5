"""The judge of a GAN's samples: a digit classifier the book trained, read back from the store by its run key.

It is the seed CNN (ReLU, seed 0) of Chapter 4's replication study at epoch 100 (`JUDGE`). Its features are the
mean over positions of its last pooling layer's 64 channels, so the Fréchet distance of Chapter 5.1 is *not*
Inception-FID and is not comparable with published FIDs. Its run key is pinned (`JUDGE_KEY`) rather than derived
from the study at every use; `tests/test_gan.py` derives it from the study and checks that they agree.
"""

from __future__ import annotations

import numpy as np

JUDGE = {"study": "studies/mnist_seed_replication.yaml", "activation": "relu", "seed": 0, "epoch": 100}
"""The classifier whose features and labels judge the samples: a stored Chapter 4 run and its snapshot epoch."""

JUDGE_KEY = "mnist-relu-s0-46381ad7e2d3"
"""The run key of `JUDGE`'s run in results/ (the run of `JUDGE["study"]` with its activation and seed)."""

JUDGE_FEATURES = "pool2, mean over positions"


class Judge:
    """A digit classifier judging images in [0, 1]: its class probabilities and its features (pool2's 64
    channels averaged over the 5 × 5 positions, as Inception-FID averages Inception's last block)."""

    def __init__(self, classifier, *, name: str = ""):
        import keras

        self.classifier, self.name = classifier, name
        pooled = keras.ops.mean(classifier.get_layer("pool2").output, axis=(1, 2))
        self._both = keras.Model(classifier.inputs, [pooled, classifier.outputs[0]])

    def __call__(self, images, batch_size: int = 500) -> tuple[np.ndarray, np.ndarray]:
        """(features, class probabilities), float64."""
        features, probabilities = self._both.predict(np.asarray(images, dtype="float32"), batch_size=batch_size,
                                                     verbose=0)
        return features.astype("float64"), probabilities.astype("float64")


_JUDGES: dict = {}  # one judge per process: every run of a study is judged by the same stored weights


def load_judge() -> Judge:
    """The seed CNN that judges samples (`JUDGE`), with its stored weights, from the repository's results/."""
    if "judge" not in _JUDGES:
        _JUDGES["judge"] = _load_judge()
    return _JUDGES["judge"]


def judge_record() -> dict:
    """The judge's stored record in the repository's results/ (StoreError naming the command if it is missing)."""
    from .store import ResultsStore, StoreError
    from .study import REPOSITORY

    record = ResultsStore(REPOSITORY / "results").get(JUDGE_KEY)
    if record is None:
        raise StoreError(f"the judge classifier {JUDGE_KEY} of {JUDGE['study']} is not stored in results/; the GAN "
                         "metrics need it (train it with `python -m rectifiers study "
                         f"{JUDGE['study']} --until-epoch {JUDGE['epoch']}`)")
    config = record["config"]
    if (config["activation"], config["seed"]) != (JUDGE["activation"], JUDGE["seed"]):
        raise StoreError(f"the stored run {JUDGE_KEY} is {config['activation']} seed {config['seed']}, not the "
                         f"judge ({JUDGE['activation']} seed {JUDGE['seed']})")
    return record


def _load_judge() -> Judge:
    from .run import load_model
    from .store import ResultsStore
    from .study import REPOSITORY

    record = judge_record()
    model = load_model(record, JUDGE["epoch"], store=ResultsStore(REPOSITORY / "results"))
    return Judge(model, name=f"{JUDGE_KEY} at epoch {JUDGE['epoch']}")
