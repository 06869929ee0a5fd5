"""Trainers: how the epochs of a model family are trained and evaluated, and which variables a checkpoint holds.

The engine (`run.train`) owns everything around them: the order of the training images, snapshots, probes,
checkpoints, records, divergence. A trainer owns the model(s) and the step. `ClassifierTrainer` trains every
family of this book with `model.fit` (softmax classifiers); a GAN is a new `Trainer` subclass with its own
`fit_epoch` (its generator/discriminator step), registered in `TRAINERS` and named by its family.

The engine calls `fit_epochs`, which trains a range of epochs and hands each finished epoch back to the engine.
The base class does it with one `fit_epoch` call per epoch, which is all a new trainer must write;
`ClassifierTrainer` overrides it with one `model.fit` call over the whole range, because a `fit` call has a fixed
cost (data adapter, callbacks, copies of the shuffled images) that was a fifth of a 0.9-s epoch of the seed CNN.

A trainer declares its metric names: `TRAIN_METRICS` (returned by `fit_epoch`, means over the epoch) and
`EVAL_METRICS` (returned by `evaluate` for a prefix "train" or "test" as `<prefix>_<metric>`). The run's
history has the columns epoch, `train_<m>` for each train metric, `test_<m>` for each eval metric, and the
timings fit_s, eval_s, save_s.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import ClassVar

EpochEnd = Callable[[int, dict, float], bool]
"""The engine's hook after each epoch: `end_epoch(epoch, metrics, fit_s) -> stop` (True: train no further)."""


class Trainer:
    """Base class: the model(s) of one run, built and compiled deterministically from its config."""

    TRAIN_METRICS: ClassVar[tuple[str, ...]] = ("loss",)
    EVAL_METRICS: ClassVar[tuple[str, ...]] = ("loss",)

    def __init__(self, config):
        self.config = config

    @property
    def model(self):
        """The Keras model probes measure (a GAN's trainer may return its discriminator, or a dict)."""
        raise NotImplementedError

    def variables(self) -> dict[str, list]:
        """Every variable a checkpoint must hold to resume exactly, by group (e.g. model, optimizer)."""
        raise NotImplementedError

    def fit_epoch(self, x, y, callbacks=()) -> dict:
        """Train one epoch on (x, y) in the order given; return {metric: mean over the epoch}."""
        raise NotImplementedError

    def fit_epochs(self, x, y, epochs: range, order: Callable[[int], object], end_epoch: EpochEnd,
                   callbacks=()) -> None:
        """Train the epochs `epochs` (numbered from 1), epoch `e` on `x[order(e)], y[order(e)]`; after each, call
        `end_epoch(e, {metric: mean over the epoch}, seconds the epoch's training took)` and stop if it returns True.

        This generic version calls `fit_epoch` once per epoch. A trainer whose framework can train many epochs in
        one call with a different order each epoch may override it; it must train exactly the same steps.
        """
        for epoch in epochs:
            index = order(epoch)
            x_epoch, y_epoch = x[index], y[index]
            start = time.perf_counter()
            metrics = self.fit_epoch(x_epoch, y_epoch, callbacks)
            if end_epoch(epoch, metrics, time.perf_counter() - start):
                return

    def evaluate(self, x, y, prefix: str) -> dict:
        """{f"{prefix}_{metric}": value} over the whole of (x, y)."""
        raise NotImplementedError

    @property
    def jit_compile(self) -> bool:
        return False


def seed_everything(seed: int) -> None:
    """Python, NumPy and backend RNGs from `seed`, and deterministic kernels on TensorFlow."""
    import keras

    keras.utils.set_random_seed(seed)
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()


class ClassifierTrainer(Trainer):
    """A softmax classifier trained by `model.fit` with sparse categorical cross-entropy."""

    TRAIN_METRICS = ("loss", "accuracy")
    EVAL_METRICS = ("loss", "accuracy")

    def __init__(self, config):
        import keras

        from .families import family
        from .optimizers import build_optimizer

        super().__init__(config)
        seed_everything(config.seed)
        self._model = family(config.model).build(config)
        optimizer = build_optimizer(config)
        # The metric as an object, not "accuracy": its variables then exist before the first step, so TensorFlow
        # traces the training step once, not twice (a second or more per run, much of a tiny run's time).
        accuracy = keras.metrics.SparseCategoricalAccuracy(name="accuracy")
        self._model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=[accuracy])
        optimizer.build(self._model.trainable_variables)
        self._eval_sets = []  # ((x, y), their batches) of the arrays evaluated so far

    @property
    def model(self):
        return self._model

    def variables(self) -> dict[str, list]:
        return {"model": self._model.variables, "optimizer": self._model.optimizer.variables}

    def fit_epoch(self, x, y, callbacks=()) -> dict:
        fit = self._model.fit(x, y, batch_size=self.config.batch_size, epochs=1, shuffle=False, verbose=0,
                              callbacks=list(callbacks))
        return {"loss": fit.history["loss"][0], "accuracy": fit.history["accuracy"][0]}

    def fit_epochs(self, x, y, epochs: range, order, end_epoch: EpochEnd, callbacks=()) -> None:
        """One `model.fit` call for all of `epochs`: the same batches, in the same order, as one call per epoch."""
        if not epochs:
            return
        batches = epoch_batches(x, y, epochs, order, self.config.batch_size)
        self._model.fit(batches, epochs=epochs.stop - 1, initial_epoch=epochs.start - 1,
                        steps_per_epoch=-(-len(y) // self.config.batch_size), shuffle=False, verbose=0,
                        callbacks=[*callbacks, _epoch_end_callback(end_epoch, self.TRAIN_METRICS)])

    def evaluate(self, x, y, prefix: str) -> dict:
        loss, accuracy = self._model.evaluate(self._eval_batches(x, y), verbose=0)
        return {f"{prefix}_loss": float(loss), f"{prefix}_accuracy": float(accuracy)}

    def _eval_batches(self, x, y):
        """(x, y) in batches of `eval_batch_size`, in order, as a tf.data pipeline made once per array: the same
        batches as `evaluate(x, y, batch_size=...)` at a quarter of its fixed cost per call (measured on 2,000
        images: 0.13 CPU-s a call from NumPy arrays, 0.035 s from a pipeline)."""
        for arrays, batches in self._eval_sets:
            if arrays[0] is x and arrays[1] is y:
                return batches
        import tensorflow as tf

        size, x_t, y_t = self.config.eval_batch_size, tf.constant(x), tf.constant(y)
        batches = tf.data.Dataset.range(0, len(y), size).map(lambda i: (x_t[i:i + size], y_t[i:i + size]))
        self._eval_sets.append(((x, y), batches))
        return batches

    @property
    def jit_compile(self) -> bool:
        return bool(self._model.jit_compile)


def epoch_batches(x, y, epochs: range, order, batch_size: int):
    """A tf.data pipeline of the batches of `epochs`, one epoch after another: epoch `e` is `x[order(e)],
    y[order(e)]` cut into batches of `batch_size`, the last one smaller, as `model.fit(x[order(e)], y[order(e)],
    batch_size=batch_size, shuffle=False)` cuts it. The orders are drawn in Python, one array per epoch; the
    batches are gathered in TensorFlow from one copy of (x, y), as Keras' own pipeline for arrays does."""
    import numpy as np
    import tensorflow as tf

    n = len(y)
    full = n // batch_size * batch_size

    def batch_indices(index):  # reshaping, not Dataset.batch: one tf.data element per batch, not per image
        batches = tf.data.Dataset.from_tensor_slices(tf.reshape(index[:full], [n // batch_size, batch_size]))
        return batches.concatenate(tf.data.Dataset.from_tensors(index[full:])) if full < n else batches

    orders = tf.data.Dataset.from_generator(lambda: (np.asarray(order(e), dtype=np.int64) for e in epochs),
                                            output_signature=tf.TensorSpec([n], tf.int64))
    arrays = tf.data.Dataset.from_tensors((tf.constant(x), tf.constant(y))).repeat()
    batches = tf.data.Dataset.zip((orders.flat_map(batch_indices), arrays))
    return batches.map(lambda i, xy: (tf.gather(xy[0], i), tf.gather(xy[1], i))).prefetch(2)


def _epoch_end_callback(end_epoch: EpochEnd, metrics: tuple[str, ...]):
    """A Keras callback that times each epoch's training and hands the epoch to the engine, which may stop the fit
    (Keras numbers epochs from 0, the engine from 1)."""
    import keras

    class EpochEnd(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.started = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            fit_s = time.perf_counter() - self.started
            if end_epoch(epoch + 1, {m: logs[m] for m in metrics}, fit_s):
                self.model.stop_training = True

    return EpochEnd()


TRAINERS: dict[str, type[Trainer]] = {"classifier": ClassifierTrainer}
"""Trainer classes by name (`families.Family.trainer`); plug-ins such as the GAN (`gan.py`) add theirs."""


def make_trainer(config) -> Trainer:
    """The trainer of `config`'s model family, with its model(s) built from the config's seed."""
    return TRAINERS[config.trainer](config)

