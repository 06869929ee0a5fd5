"""The GAN's probe: a grid of generated digits from fixed noise, stored in the run's record as a small PNG.

Snapshot weights of a study of many GANs are not kept (`keep_weights`), so what the generator drew at epoch 0
(before training) and at each snapshot epoch is kept here: 25 digits, 5 × 5, 140 × 140 grey pixels, about 10 KB
of base64 per row. The noise is the same for every run and epoch, so grids compare across settings and epochs.
"""

from __future__ import annotations

import math

import numpy as np

from .base import Probe, register_probe

GRID_COLUMNS = 5
GRID_IMAGES = 25
GRID_NOISE_SEED = 1511  # not the evaluation noise's seed: the grid is a different draw


@register_probe
class GeneratedDigits(Probe):
    """`png`: base64 PNG of the generator's 5 × 5 grid of digits from fixed noise."""

    name = "generated_digits"

    def measure(self, trainer, epoch: int) -> dict:
        images = trainer.generate(GRID_IMAGES, seed=GRID_NOISE_SEED)
        return {"png": sample_grid_png(images, GRID_COLUMNS), "columns": GRID_COLUMNS}


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
