"""The range of every chapter parameter, checked in each notebook's first cells (`parameters.check_parameters`).

One mapping per notebook, parameter name → rule. A bound may name another parameter ("n_train"); the message
then says which. The ranges are those the code below them accepts, so that no later cell fails with an internal
argument name.
"""

from __future__ import annotations

from .names import ACTIVATIONS
from .parameters import Folder, KerasBackend, KeywordsOf, OneOf, Range, Text

# Not imported from rectifiers.data: it imports Keras, which must not be imported before Chapter 4 has chosen its
# backend. A test keeps this equal to the package's own list.
DATASETS = ("mnist", "fashion_mnist")

SLOPE = Range(0.0, 1.0, note="0 is ReLU, 1 the identity")
SEEDS = Range(0, None, unique=True)
COUNT = Range(1, None)

ACTIVATION_FUNCTIONS = {
    "alpha": SLOPE,
    "prelu_alpha": SLOPE,
    "alphas": SLOPE,
    "x_range": Range(-100.0, 100.0, min_items=2, max_items=2, increasing=True),
    "n_points": Range(3, 100_000),
    "collapse_depth": Range(1, 64),
    "collapse_width": Range(1, 4096),
    "collapse_samples": Range(2, 1_000_000),
    "zero_images": Range(1, 10_000, note="MNIST has 10,000 test images"),
    "timing_size": Range(1024, 1 << 28, multiple_of=1024),
    "timing_repeats": Range(1, 100_000),
    "seed": Range(0, None),
}
"""Chapter 1 (notebooks/01_activation_functions.ipynb)."""

SATURATION_GRADIENTS = {
    "depth": COUNT, "width": COUNT,
    "activations": OneOf(ACTIVATIONS), "saturation_activations": OneOf(ACTIVATIONS),
    "alpha": SLOPE, "large_alpha": SLOPE,
    "seeds": SEEDS,
    "n_probe": Range(1, 10_000, note="MNIST has 10,000 test images"),
    "n_train": Range(1, 60_000),
    "data_seed": Range(0, None),
    "exploding_scale": Range(0.0, 100.0),
    "chain_depth": COUNT,
    "chain_starts": Range(-100.0, 100.0),
    "train_epochs": COUNT,
    "train_batch": Range(1, "n_train"),
    "learning_rate": Range(1e-6, 10.0),
    "saturation_depth": COUNT, "saturation_width": COUNT,
    "saturation_epochs": COUNT,
    "saturation_batch": Range(1, "n_train"),
    "saturation_learning_rate": Range(1e-6, 10.0),
    "grid_path": Text("a file path, or empty for results/gradients/grid.json"),
    "long_study": Text("a study file, relative to the repository"),
    "runs_dir": Folder("a results store, or empty for the repository's results/", ("recompute", True)),
    "recompute": OneOf((True, False)),
    "grid_depths": Range(1, None, increasing=True),
    "grid_alphas": SLOPE,
    "grid_scales": Range(0.0, 100.0),
    "grid_panels": Range(1, None, increasing=True),
    "live_widgets": OneOf((True, False)),
}
"""Chapter 2 (notebooks/02_saturation_gradients.ipynb)."""

DYING_RELU = {
    "recompute": OneOf((True, False)),
    "results_dir": Folder("the born-dead grid's folder, relative to the repository", ("recompute", True),
                          from_repository=True),
    "runs_dir": Folder("a results store, or empty for the repository's results/", ("recompute", True)),
    "recompute_settings": KeywordsOf("rectifiers.experiments.dying:born_dead_grid"),
    "table_widths": Range(1, None, increasing=True),
    "table_depths": Range(1, None, increasing=True),
    "mc_networks": COUNT,
    "mc_seed": Range(0, None),
    "explorer_networks": Range(10, None),
    "explorer_images": Range(50, 10_000),
    "demo_learning_rate": Range(1e-6, 10.0),
}
"""Chapter 3 (notebooks/03_dying_relu.ipynb)."""

CNN_COMPARISON = {
    "mode": OneOf(("stored", "train")),
    "dataset": OneOf(DATASETS),
    "epochs": Range(1, None, increasing=True),
    "until_epoch": Range(0, "epochs", note="0: to the last snapshot epoch"),
    "seeds": SEEDS,
    "alpha": SLOPE,
    "sweep_alphas": Range(0.0, 1.0, unique=True, note="0 is ReLU, 1 the identity"),
    "sweep_seeds": SEEDS,
    "sweep_until_epoch": Range(0, "epochs", note="0: to the last snapshot epoch"),
    "n_train": Range(0, 60_000, note="0: every training image available"),
    "n_test": Range(0, 10_000, note="0: the whole test set"),
    "batch_size": Range(1, 60_000),
    "test_every": COUNT,
    "backend": KerasBackend(),
    "results_dir": Folder("a results store, or empty for the repository's results/", ("mode", "train")),
    "replication_seed": OneOf("seeds"),
    "live_n_train": Range(10, 60_000),
    "live_n_test": Range(10, 10_000),
}
"""Chapter 4 (notebooks/04_cnn_comparison.ipynb)."""

WHERE_LEAKY = {
    "mode": OneOf(("stored", "train")),
    "runs_dir": Folder("a results store, or empty for the repository's results/", ("mode", "train")),
    "lr_blocks": OneOf(("mlp_adam", "mlp_sgd", "seed_cnn_adam", "seed_cnn_sgd")),
    "prelu_blocks": OneOf(("mlp_adam", "mlp_sgd", "seed_cnn_adam", "seed_cnn_sgd"), min_items=0),
    "lr_settings": KeywordsOf("rectifiers.experiments.where_leaky:overrides"),
    "deep_settings": KeywordsOf("rectifiers.experiments.where_leaky:overrides"),
    "explorer_images": Range(50, 5_000, note="the MNIST sample has 5,000 training images"),
}
"""Chapter 5 (notebooks/05_where_leaky_relu_wins.ipynb)."""

GAN_DISCRIMINATORS = {
    "mode": OneOf(("stored", "train")),
    "results_dir": Folder("a results store, or empty for the repository's results/", ("mode", "train")),
    "regimes": OneOf(("standard", "stressed", "unnormalised")),
    "settings": KeywordsOf("rectifiers.experiments.gan:overrides"),
    "live_n_train": Range(64, 60_000, note="at least one batch of 64"),
    "live_epochs": Range(1, 20),
}
"""Chapter 5, section GAN discriminators (notebooks/05_1_gan_discriminators.ipynb)."""

HARDER_DATA_AND_FAMILY = {
    "mode": OneOf(("stored", "train")),
    "seeds": Range(0, None, unique=True, min_items=2),
    "activations": OneOf(("relu", "leaky_relu", "prelu", "elu", "gelu", "swish"), min_items=2),
    "leaky_alphas": Range(0.0, 1.0, unique=True, note="0 is ReLU, 1 the identity"),
    "fashion_n_train": Range(10, 60_000),
    "fashion_epochs": COUNT,
    "mnist_n_train": Range(0, 60_000, note="0: every training image available"),
    "mnist_epochs": Range(1, None, increasing=True),
    "mnist_read_epoch": OneOf("mnist_epochs"),
    "n_test": Range(10, 10_000),
    "results_dir": Folder("a results store, or empty for the repository's results/", ("mode", "train")),
    "live_n_train": Range(10, 60_000),
    "live_n_test": Range(10, 10_000),
}
"""Chapter 6 (notebooks/06_harder_data_and_family.ipynb)."""

MODERN_NETWORKS = {
    "mode": OneOf(("stored", "train")),
    "networks": OneOf(("mlp", "cnn", "resnet", "transformer"), min_items=1),
    "seeds": Range(0, None, unique=True, min_items=2),
    "activations": OneOf(("relu", "leaky_relu", "gelu", "prelu"), min_items=2),
    "leaky_alphas": Range(0.0, 1.0, unique=True, note="0 is ReLU, 1 the identity"),
    "epochs": Range(1, None, increasing=True),
    "transformer_epochs": Range(1, None, increasing=True),
    "n_train": Range(0, 4_000, note="0: all 4,000 training signals"),
    "n_test": Range(0, 1_000, note="0: all 1,000 test signals"),
    "results_dir": Folder("a results store, or empty for the repository's results/", ("mode", "train")),
    "live_n_train": Range(100, 4_000, note="at least one batch of 100"),
    "live_n_test": Range(10, 1_000),
    "live_max_epochs": Range(1, 200),
}
"""Chapter 8 (notebooks/08_modern_networks.ipynb)."""

DECISION_GUIDE = {
    "results_dir": Folder("a results store, or empty for the repository's results/"),
}
"""Chapter 7 (notebooks/07_decision_guide.ipynb)."""

RULES = {
    "01_activation_functions": ACTIVATION_FUNCTIONS,
    "02_saturation_gradients": SATURATION_GRADIENTS,
    "03_dying_relu": DYING_RELU,
    "04_cnn_comparison": CNN_COMPARISON,
    "05_where_leaky_relu_wins": WHERE_LEAKY,
    "05_1_gan_discriminators": GAN_DISCRIMINATORS,
    "06_harder_data_and_family": HARDER_DATA_AND_FAMILY,
    "07_decision_guide": DECISION_GUIDE,
    "08_modern_networks": MODERN_NETWORKS,
}
"""Each notebook's rules, by file name."""
