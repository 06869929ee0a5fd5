"""A small DCGAN-style generator/discriminator pair on MNIST, and the trainer that trains it in the engine.

The pair follows DCGAN (Radford, Metz and Chintala 2015, arXiv:1511.06434) at MNIST scale: the generator is
Dense → 2 transposed convolutions with batch normalisation, ReLU inside and tanh out, always; the
discriminator is 2 strided convolutions → Dense logit, with the run's activation (`RunConfig.activation` /
`alpha`) after each convolution. Weights are drawn from N(0, 0.02) and Adam uses β1 = 0.5, as in DCGAN.

Pairing: both networks' initial weights depend only on the seed, never on the discriminator's activation, the
engine orders the training images by (seed, epoch), and the generator's noise at step t is drawn from a
stateless RNG keyed by (seed, t): a ReLU and a Leaky ReLU run of one seed see the same images in the same
batches, the same noise and start from the same weights.

Sample quality is judged by a digit classifier the book trained: the seed CNN (ReLU, seed 0) of Chapter 4's
replication study at epoch 100 (`JUDGE`). Its features are the mean over positions of its last pooling layer's
64 channels, so the Fréchet distance here is *not* Inception-FID and is not comparable with published FIDs.
"""

from __future__ import annotations

import math

import numpy as np

from .trainers import TRAINERS, Trainer, seed_everything

LATENT_DIM = 64
N_GENERATED = 1000  # generated images per evaluation: Fréchet distance, coverage, label entropy
EVAL_NOISE_SEED = 2015  # the evaluation noise is the same for every run and epoch: the same 1,000 latent points
COVERAGE_MIN_SHARE = 0.02  # a digit is covered when at least 2 % of the generated images are classified as it
ADAM_BETA_1 = 0.5  # DCGAN's momentum, used for both networks
INIT_STDDEV = 0.02  # DCGAN's N(0, 0.02) initial weights

JUDGE = {"study": "studies/mnist_seed_replication.yaml", "activation": "relu", "seed": 0, "epoch": 100}
"""The classifier whose features and labels judge the samples: a stored Chapter 4 run and its snapshot epoch."""

CONSTANTS = {"latent_dim": LATENT_DIM, "generator_activation": "relu", "adam_beta_1": ADAM_BETA_1,
             "init_stddev": INIT_STDDEV, "n_generated": N_GENERATED, "eval_noise_seed": EVAL_NOISE_SEED,
             "coverage_min_share": COVERAGE_MIN_SHARE, "judge": {**JUDGE, "features": "pool2, mean over positions"}}
"""What else defines a run of the `dcgan` family: part of its experiment, hence of its key."""


def build_dcgan(config):
    """The pair as one Keras model noise → D(G(noise)), with sub-models "generator" and "discriminator"."""
    import keras

    generator = build_generator(config.seed)
    discriminator = build_discriminator(config.activation, config.alpha, config.seed)
    noise = keras.Input((LATENT_DIM,), name="noise")
    return keras.Model(noise, discriminator(generator(noise)), name="dcgan")


def build_generator(seed: int):
    """Noise (64) → Dense 7·7·64 → BN → ReLU → ConvT 32 (14 × 14) → BN → ReLU → ConvT 1 (28 × 28), tanh."""
    import keras
    from keras import layers

    init = lambda k: keras.initializers.RandomNormal(0.0, INIT_STDDEV, seed=seed * 1000 + k)  # noqa: E731
    return keras.Sequential([
        keras.Input((LATENT_DIM,)),
        layers.Dense(7 * 7 * 64, use_bias=False, kernel_initializer=init(1), name="project"),
        layers.BatchNormalization(name="bn1"),
        layers.ReLU(name="relu1"),
        layers.Reshape((7, 7, 64)),
        layers.Conv2DTranspose(32, 4, strides=2, padding="same", use_bias=False, kernel_initializer=init(2),
                               name="deconv1"),
        layers.BatchNormalization(name="bn2"),
        layers.ReLU(name="relu2"),
        layers.Conv2DTranspose(1, 4, strides=2, padding="same", activation="tanh", kernel_initializer=init(3),
                               name="image"),
    ], name="generator")


def build_discriminator(activation: str, alpha: float, seed: int):
    """Image → Conv 32 stride 2 → act → Conv 64 stride 2 → BN → act → Dense logit (no batch norm on the input
    layer, as in DCGAN). The initial weights do not depend on the activation."""
    import keras
    from keras import layers

    from ..activations import activation_layer

    init = lambda k: keras.initializers.RandomNormal(0.0, INIT_STDDEV, seed=seed * 1000 + 100 + k)  # noqa: E731
    return keras.Sequential([
        keras.Input((28, 28, 1)),
        layers.Conv2D(32, 4, strides=2, padding="same", kernel_initializer=init(1), name="conv1"),
        activation_layer(activation, alpha, layer_name="act1"),
        layers.Conv2D(64, 4, strides=2, padding="same", use_bias=False, kernel_initializer=init(2), name="conv2"),
        layers.BatchNormalization(name="bn2"),
        activation_layer(activation, alpha, layer_name="act2"),
        layers.Flatten(),
        layers.Dense(1, kernel_initializer=init(3), name="logit"),
    ], name="discriminator")


class GANTrainer(Trainer):
    """Alternating steps: the discriminator on a batch of real and generated images, then the generator
    (non-saturating loss), each with its own Adam; one `tf.function` for both."""

    TRAIN_METRICS = ("d_loss", "g_loss", "d_real", "d_fake")
    EVAL_METRICS = ("frechet", "coverage", "label_entropy", "confidence", "d_accuracy")

    def __init__(self, config):
        import keras

        from .families import family

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
            return keras.optimizers.Adam(self.config.learning_rate, beta_1=ADAM_BETA_1)
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


TRAINERS["gan"] = GANTrainer


# --- the judge: a digit classifier of the book, and what it says about generated images --------------------------


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


def _load_judge() -> Judge:
    from .config import load_run_data, run_key
    from .run import load_model
    from .store import ResultsStore, StoreError
    from .study import REPOSITORY, load_study

    study = load_study(REPOSITORY / JUDGE["study"])
    (config,) = [c for c in study.configs() if (c.activation, c.seed) == (JUDGE["activation"], JUDGE["seed"])]
    store = ResultsStore(REPOSITORY / "results")
    key = run_key(config, load_run_data(config))
    record = store.get(key)
    if record is None:
        raise StoreError(f"the judge classifier {key} of {JUDGE['study']} is not stored in results/; the GAN "
                         "metrics need it (train it with `python -m rectifiers study "
                         f"{JUDGE['study']} --until-epoch {JUDGE['epoch']}`)")
    return Judge(load_model(record, JUDGE["epoch"], store=store), name=f"{key} at epoch {JUDGE['epoch']}")


def feature_statistics(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and covariance (n − 1) of feature rows."""
    return features.mean(axis=0), np.cov(features, rowvar=False)


def frechet_distance(mu1, sigma1, mu2, sigma2) -> float:
    """‖μ1 − μ2‖² + tr(Σ1 + Σ2 − 2 (Σ1 Σ2)^½), the Fréchet distance of two Gaussians (Dowson and Landau 1982).

    tr (Σ1 Σ2)^½ is the sum of the square roots of the eigenvalues of Σ1 Σ2, which are those of the symmetric
    positive semi-definite Σ1^½ Σ2 Σ1^½: real and ≥ 0, so no complex square root is needed.
    """
    w, v = np.linalg.eigh(sigma1)
    root1 = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    middle = np.linalg.eigvalsh(root1 @ sigma2 @ root1)
    trace_root = float(np.sqrt(np.clip(middle, 0, None)).sum())
    value = float(((mu1 - mu2) ** 2).sum() + np.trace(sigma1) + np.trace(sigma2) - 2 * trace_root)
    return max(value, 0.0)


def coverage(labels, min_share: float = COVERAGE_MIN_SHARE, n_classes: int = 10) -> int:
    """How many of the classes at least `min_share` of the labels fall in."""
    counts = np.bincount(np.asarray(labels, dtype=int), minlength=n_classes)
    return int((counts >= min_share * len(labels)).sum())


def label_entropy(labels, n_classes: int = 10) -> float:
    """Entropy in bits of the label distribution: log2(10) ≈ 3.32 for ten equally frequent digits, 0 for one."""
    p = np.bincount(np.asarray(labels, dtype=int), minlength=n_classes) / len(labels)
    p = p[p > 0]
    return float(-(p * np.log2(p)).sum()) + 0.0


def sample_grid_png(images, columns: int) -> str:
    """Images in [0, 1] (n, 28, 28, 1) tiled `columns` wide, as a base64 PNG (grey, 8 bit) for the record."""
    import base64
    import io

    from PIL import Image

    images = np.asarray(images)[..., 0]
    rows = math.ceil(len(images) / columns)
    tiles = np.zeros((rows * 28, columns * 28), dtype=np.uint8)
    for i, image in enumerate(images):
        r, c = divmod(i, columns)
        tiles[r * 28:(r + 1) * 28, c * 28:(c + 1) * 28] = np.clip(np.rint(image * 255), 0, 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(tiles, mode="L").save(buffer, format="PNG", optimize=True)
    return base64.b64encode(buffer.getvalue()).decode("ascii")
