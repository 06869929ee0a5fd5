"""The seed article's published numbers, as cited data (not computed here), and checks of its arithmetic.

Source: "Leaky ReLU vs. ReLU Activation Functions: Which is Better?" (online article; its code is not published).
One run per setting, no seeds, no error bars. Values are "ReLU relative to LReLU" in percent: a negative
accuracy or a positive loss means ReLU did worse.
"""

from __future__ import annotations

import pandas as pd

METRICS = ("train_accuracy", "train_loss", "test_accuracy", "test_loss")
"""Column order of the article's table."""

TABLE = {
    1: (+0.2789, -0.9952, -0.5230, +1.0000),
    10: (-0.1166, +0.4811, -0.0190, +1.8700),
    100: (-0.0574, +0.1367, -0.1600, +1.7030),
    1000: (-0.0888, +0.3474, -0.0900, +2.1124),
}
"""Epochs → the article's relative differences (%), in METRICS order."""

CLAIMED_AVERAGES = {"train_accuracy": +0.003275, "test_accuracy": -0.2424, "test_loss": +0.85}
"""The article's summary over its four trials, in the same sign convention: ReLU's train accuracy 0.003275 %
better; Leaky ReLU's test accuracy 0.2424 % higher and its test loss 0.85 % lower."""

ALPHA = 0.01
EPOCHS = tuple(TABLE)


def seed_table() -> pd.DataFrame:
    """The article's table: one row per epoch count, one column per metric (ReLU relative to LReLU, %)."""
    frame = pd.DataFrame.from_dict(TABLE, orient="index", columns=list(METRICS))
    frame.index.name = "epochs"
    return frame


def averages_check() -> pd.DataFrame:
    """The article's claimed averages next to the averages of its own table's rows."""
    means = seed_table().mean()
    rows = [
        {"metric": m, "claimed (%)": CLAIMED_AVERAGES[m], "mean of the table (%)": round(float(means[m]), 6)}
        for m in CLAIMED_AVERAGES
    ]
    return pd.DataFrame(rows).set_index("metric")
