"""How good a GAN's samples are, from a judge classifier's features and labels (Chapter 5.1): plain numpy.

The Fréchet distance between the Gaussians fitted to real and generated features, how many digits the samples
cover, and the entropy of their labels. The engine's GAN trainer computes them at every evaluation.
"""

from __future__ import annotations

import numpy as np

COVERAGE_MIN_SHARE = 0.02  # a digit is covered when at least 2 % of the generated images are classified as it


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
