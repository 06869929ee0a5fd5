"""The GAN plug-in of the engine: the trainer of Chapter 5.1's DCGAN pair, and the family and trainer it registers.

The engine imports this module (`engine/__init__`); it registers `FAMILIES["dcgan"]` and `TRAINERS["gan"]`, and
nothing in the engine's registries imports it back. The networks are `gan_models`' (DCGAN at MNIST scale, the
run's activation in the discriminator, a ReLU generator), the sample-quality metrics `gan_metrics`', the classifier
that judges the samples `judge`'s, and the probe that keeps a grid of digits `probes/gan_samples.py`.

Pairing: both networks' initial weights depend only on the seed, never on the discriminator's activation, the
engine orders the training images by (seed, epoch), and the generator's noise at step t is drawn from a
stateless RNG keyed by (seed, t): a ReLU and a Leaky ReLU run of one seed see the same images in the same
batches, the same noise and start from the same weights. Adam uses DCGAN's β1 = 0.5.

A second family, `dcgan_plain`, is the same pair as a reader might train it without DCGAN's care: no batch
normalisation in the discriminator, and Adam's own β1 = 0.9 (Chapter 5.1's third regime). Its own family, so the
runs of `dcgan` keep their keys.
"""

from __future__ import annotations

import numpy as np

from ..gan_metrics import COVERAGE_MIN_SHARE, coverage, feature_statistics, frechet_distance, label_entropy
from ..gan_models import INIT_STDDEV, LATENT_DIM, build_dcgan
from .families import FAMILIES, Family, family
from .judge import JUDGE, JUDGE_FEATURES, load_judge
from .trainers import TRAINERS, Trainer, seed_everything

N_GENERATED = 1000  # generated images per evaluation: Fréchet distance, coverage, label entropy
EVAL_NOISE_SEED = 2015  # the evaluation noise is the same for every run and epoch: the same 1,000 latent points
ADAM_BETA_1 = 0.5  # DCGAN's momentum, used for both networks

CONSTANTS = {"latent_dim": LATENT_DIM, "generator_activation": "relu", "adam_beta_1": ADAM_BETA_1,
             "init_stddev": INIT_STDDEV, "n_generated": N_GENERATED, "eval_noise_seed": EVAL_NOISE_SEED,
             "coverage_min_share": COVERAGE_MIN_SHARE, "judge": {**JUDGE, "features": JUDGE_FEATURES}}
"""What else defines a run of the `dcgan` family: part of its experiment, hence of its key."""
PLAIN_CONSTANTS = {**CONSTANTS, "adam_beta_1": 0.9, "discriminator_normalisation": "none"}
"""...and of the `dcgan_plain` family: Adam's default momentum, and no batch normalisation in the discriminator."""


class GANTrainer(Trainer):
    """Alternating steps: the discriminator on a batch of real and generated images, then the generator
    (non-saturating loss), each with its own Adam; one `tf.function` for both."""

    TRAIN_METRICS = ("d_loss", "g_loss", "d_real", "d_fake")
    EVAL_METRICS = ("frechet", "coverage", "label_entropy", "confidence", "d_accuracy")

    def __init__(self, config):
        import keras

        super().__init__(config)
        if keras.backend.backend() != "tensorflow":
            raise ValueError(f"the dcgan model needs the tensorflow Keras backend; got {keras.backend.backend()!r}")
        seed_everything(config.seed)
        self._pair = family(config.model).build(config)
        self.generator = self._pair.get_layer("generator")
        self.discriminator = self._pair.get_layer("discriminator")
        self.g_optimizer, self.d_optimizer = self._optimizer(), self._optimizer()
        self.g_optimizer.build(self.generator.trainable_variables)
        self.d_optimizer.build(self.discriminator.trainable_variables)
        self._step = None
        self._judge = None
        self._real_statistics = {}

    def _optimizer(self):
        import keras

        if self.config.optimizer == "adam":
            return keras.optimizers.Adam(self.config.learning_rate,
                                         beta_1=family(self.config.model).constants["adam_beta_1"])
        return {"sgd": keras.optimizers.SGD, "rmsprop": keras.optimizers.RMSprop}[self.config.optimizer](
            self.config.learning_rate)

    @property
    def model(self):
        return self._pair

    def variables(self) -> dict[str, list]:
        # Both networks (with batch-norm statistics) and both optimisers: a resumed run repeats the uninterrupted one.
        return {"model": self._pair.variables, "optimizer": self.g_optimizer.variables + self.d_optimizer.variables}

    def fit_epoch(self, x, y, callbacks=()) -> dict:
        """One pass over x in the given order, in full batches (the last, partial batch is left out)."""
        import tensorflow as tf

        if self._step is None:
            self._step = tf.function(self._train_step)
        batch = self.config.batch_size
        real = 2.0 * np.asarray(x, dtype="float32") - 1.0  # the generator's tanh range
        sums = dict.fromkeys(self.TRAIN_METRICS, 0.0)
        n_batches = len(real) // batch
        for i in range(n_batches):
            for name, value in self._step(tf.constant(real[i * batch:(i + 1) * batch])).items():
                sums[name] += float(value)
        return {name: value / max(n_batches, 1) for name, value in sums.items()}

    def _train_step(self, real):
        import tensorflow as tf

        n = tf.shape(real)[0]
        step = tf.cast(self.g_optimizer.iterations, tf.int32)
        seed = self.config.seed
        bce = tf.nn.sigmoid_cross_entropy_with_logits
        noise = tf.random.stateless_normal((n, LATENT_DIM), seed=tf.stack([seed, 2 * step]))
        with tf.GradientTape() as tape:
            fake = self.generator(noise, training=True)
            real_logit = self.discriminator(real, training=True)
            fake_logit = self.discriminator(fake, training=True)
            d_loss = (tf.reduce_mean(bce(tf.ones_like(real_logit), real_logit))
                      + tf.reduce_mean(bce(tf.zeros_like(fake_logit), fake_logit)))
        variables = self.discriminator.trainable_variables
        self.d_optimizer.apply_gradients(zip(tape.gradient(d_loss, variables), variables))
        noise = tf.random.stateless_normal((n, LATENT_DIM), seed=tf.stack([seed, 2 * step + 1]))
        with tf.GradientTape() as tape:
            logit = self.discriminator(self.generator(noise, training=True), training=True)
            g_loss = tf.reduce_mean(bce(tf.ones_like(logit), logit))  # non-saturating (Goodfellow et al. 2014)
        variables = self.generator.trainable_variables
        self.g_optimizer.apply_gradients(zip(tape.gradient(g_loss, variables), variables))
        return {"d_loss": d_loss, "g_loss": g_loss, "d_real": tf.reduce_mean(tf.sigmoid(real_logit)),
                "d_fake": tf.reduce_mean(tf.sigmoid(fake_logit))}

    def generate(self, n: int = N_GENERATED, seed: int = EVAL_NOISE_SEED) -> np.ndarray:
        """n generated images in [0, 1], shaped (n, 28, 28, 1), from fixed noise."""
        from ..tf_logging import quiet_retracing

        noise = np.random.default_rng(seed).standard_normal((n, LATENT_DIM)).astype("float32")
        with quiet_retracing():  # predict on inputs of several sizes (grids, evaluations) traces a few times
            images = self.generator.predict(noise, batch_size=self.config.eval_batch_size, verbose=0)
        return (images + 1.0) / 2.0

    def evaluate(self, x, y, prefix: str) -> dict:
        """Sample quality against the real images x (judge features), and the discriminator's accuracy on them."""
        from ..tf_logging import quiet_retracing

        with quiet_retracing():  # the judge and the discriminator see sets of several sizes: a few traces each
            return self._evaluate(x, prefix)

    def _evaluate(self, x, prefix: str) -> dict:
        generated = self.generate()
        judge = self.judge()
        key = (prefix, len(x))
        if key not in self._real_statistics:  # the real images do not change during a run
            self._real_statistics[key] = feature_statistics(judge(x, self.config.eval_batch_size)[0])
        fake_features, probabilities = judge(generated, self.config.eval_batch_size)
        labels = probabilities.argmax(axis=1)
        real_logit = self.discriminator.predict(2.0 * x - 1.0, batch_size=self.config.eval_batch_size, verbose=0)
        fake_logit = self.discriminator.predict(2.0 * generated - 1.0, batch_size=self.config.eval_batch_size,
                                                verbose=0)
        out = {
            "frechet": frechet_distance(*self._real_statistics[key], *feature_statistics(fake_features)),
            "coverage": float(coverage(labels)),
            "label_entropy": label_entropy(labels),
            "confidence": float(probabilities.max(axis=1).mean()),
            # Balanced: the mean of the shares of real images called real and generated images called generated.
            "d_accuracy": float(((real_logit > 0).mean() + (fake_logit < 0).mean()) / 2),
        }
        return {f"{prefix}_{name}": value for name, value in out.items()}

    def judge(self):
        if self._judge is None:
            self._judge = load_judge()
        return self._judge


def _build_dcgan(config):
    return build_dcgan(config.activation, config.alpha, config.seed)


def _build_dcgan_plain(config):
    return build_dcgan(config.activation, config.alpha, config.seed, discriminator_batch_norm=False)


FAMILIES["dcgan"] = Family("dcgan", trainer="gan", build=_build_dcgan, tag="dcgan", constants=CONSTANTS,
                           summary="a small DCGAN pair (Chapter 5): ReLU generator; the run's activation in the "
                                   "discriminator")
FAMILIES["dcgan_plain"] = Family("dcgan_plain", trainer="gan", build=_build_dcgan_plain, tag="dcganplain",
                                 constants=PLAIN_CONSTANTS,
                                 summary="the DCGAN pair without batch normalisation in the discriminator, trained "
                                         "with Adam's β1 = 0.9 (Chapter 5.1's third regime)")
TRAINERS["gan"] = GANTrainer
