"""Trainers: how one epoch of a model family is trained and evaluated, and which variables a checkpoint holds.

The engine (`run.train`) owns everything around them: the order of the training images, snapshots, probes,
checkpoints, records, divergence. A trainer owns the model(s) and the step. `ClassifierTrainer` trains every
family of this book with `model.fit` (softmax classifiers); a GAN is a new `Trainer` subclass with its own
`fit_epoch` (its generator/discriminator step), registered in `TRAINERS` and named by its family.

A trainer declares its metric names: `TRAIN_METRICS` (returned by `fit_epoch`, means over the epoch) and
`EVAL_METRICS` (returned by `evaluate` for a prefix "train" or "test" as `<prefix>_<metric>`). The run's
history has the columns epoch, `train_<m>` for each train metric, `test_<m>` for each eval metric, and the
timings fit_s, eval_s, save_s.
"""

from __future__ import annotations

from typing import ClassVar


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
    OPTIMIZERS = {"adam": "Adam", "sgd": "SGD", "rmsprop": "RMSprop"}

    def __init__(self, config):
        import keras

        from .families import family

        super().__init__(config)
        seed_everything(config.seed)
        self._model = family(config.model).build(config)
        optimizer = getattr(keras.optimizers, self.OPTIMIZERS[config.optimizer])(learning_rate=config.learning_rate)
        self._model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        optimizer.build(self._model.trainable_variables)

    @property
    def model(self):
        return self._model

    def variables(self) -> dict[str, list]:
        return {"model": self._model.variables, "optimizer": self._model.optimizer.variables}

    def fit_epoch(self, x, y, callbacks=()) -> dict:
        fit = self._model.fit(x, y, batch_size=self.config.batch_size, epochs=1, shuffle=False, verbose=0,
                              callbacks=list(callbacks))
        return {"loss": fit.history["loss"][0], "accuracy": fit.history["accuracy"][0]}

    def evaluate(self, x, y, prefix: str) -> dict:
        loss, accuracy = self._model.evaluate(x, y, batch_size=self.config.eval_batch_size, verbose=0)
        return {f"{prefix}_loss": float(loss), f"{prefix}_accuracy": float(accuracy)}

    @property
    def jit_compile(self) -> bool:
        return bool(self._model.jit_compile)


TRAINERS: dict[str, type[Trainer]] = {"classifier": ClassifierTrainer}
"""Trainer classes by name (`families.Family.trainer`)."""


def make_trainer(config) -> Trainer:
    """The trainer of `config`'s model family, with its model(s) built from the config's seed."""
    return TRAINERS[config.trainer](config)


from . import gan  # noqa: E402,F401 - registers TRAINERS["gan"] (imports nothing heavy)
