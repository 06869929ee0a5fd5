"""A run's optimiser and learning-rate schedule, built from its config (Keras imported only here, when training).

`build_optimizer(config)`: Adam, SGD, RMSprop or AdamW (decoupled weight decay, Loshchilov & Hutter 2019, applied
by Keras to every weight, as PyTorch's AdamW does by default), at a constant rate or on the schedule
`warmup_cosine`: the rate rises linearly from 0 over `warmup_epochs` epochs, then falls along a half cosine to 0
at the end of the run's last snapshot epoch. The schedule counts optimiser steps, which a checkpoint holds, so a
resumed run continues it exactly; `until_epoch` stops a run on its way, not a shorter schedule.
"""

from __future__ import annotations


def steps_per_epoch(config) -> int:
    """Optimiser steps in one epoch (the last batch may be smaller)."""
    return -(-config.n_train // config.batch_size)


def schedule_steps(config) -> tuple[int, int]:
    """(warm-up steps, total steps) of a `warmup_cosine` run."""
    per_epoch = steps_per_epoch(config)
    return config.warmup_epochs * per_epoch, config.last_epoch * per_epoch


def learning_rate_schedule(config):
    """The learning rate as Keras takes it: a number (constant) or a `LearningRateSchedule` of the step."""
    import keras

    if config.schedule == "constant":
        return config.learning_rate
    warmup, total = schedule_steps(config)
    return keras.optimizers.schedules.CosineDecay(0.0, decay_steps=total - warmup, warmup_target=config.learning_rate,
                                                  warmup_steps=warmup)


def build_optimizer(config):
    """The Keras optimiser a run's config names, with its learning rate or schedule."""
    import keras

    rate = learning_rate_schedule(config)
    if config.optimizer == "adamw":
        return keras.optimizers.AdamW(learning_rate=rate, weight_decay=config.weight_decay)
    return {"adam": keras.optimizers.Adam, "sgd": keras.optimizers.SGD,
            "rmsprop": keras.optimizers.RMSprop}[config.optimizer](learning_rate=rate)
