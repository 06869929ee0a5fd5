"""`ProbeRecorder`: the Keras callback that measures the chosen probes while a model trains.

Records are taken on the same probe set every time, so they are comparable across training: before the first
step (step 0), then after every epoch, or after every `every_steps` steps and at the end of each epoch's last
step when `every_steps` is set. Each record is `{"step", "epoch", <probe name>: <its output>}`; `epoch` is
fractional between epoch ends (steps done / steps per epoch). The recorder keeps its position (`steps_done`,
`epochs_done`) so a run resumed from a checkpoint continues the same series.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras

from ..validation import check_int
from .layers import check_images, check_labels
from .registry import check_probes, measure


class ProbeRecorder(keras.callbacks.Callback):
    """Measure `probes` on (`images`, `labels`) before training and during it; the records are in `.records`."""

    def __init__(self, probes: Sequence[str], images, labels, *, every_steps: int = 0, steps_per_epoch: int,
                 records: list | None = None, steps_done: int = 0):
        super().__init__()
        self.probes = check_probes(probes)
        self.images, self.labels = images, labels
        self.every_steps = check_int("every_steps", every_steps, low=0)
        self.steps_per_epoch = check_int("steps_per_epoch", steps_per_epoch, low=1)
        self.records = list(records or [])
        self.steps_done = check_int("steps_done", steps_done, low=0)

    def set_model(self, model):
        super().set_model(model)
        self.images = check_images(self.images, model)
        self.labels = check_labels(self.labels, len(self.images))

    def record(self) -> dict:
        """Measure now, append the record and return it."""
        row = {"step": self.steps_done, "epoch": round(self.steps_done / self.steps_per_epoch, 6),
               **measure(self.model, self.probes, self.images, self.labels)}
        self.records.append(row)
        return row

    def on_train_begin(self, logs=None):
        if not self.records:  # the state at initialisation, once per run (not again on resume)
            self.record()

    def on_train_batch_end(self, batch, logs=None):
        self.steps_done += 1
        at_epoch_end = self.steps_done % self.steps_per_epoch == 0
        if self.every_steps and self.steps_done % self.every_steps == 0 and not at_epoch_end:
            self.record()

    def on_epoch_end(self, epoch, logs=None):
        self.record()
