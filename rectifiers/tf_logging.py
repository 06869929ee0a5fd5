"""TensorFlow log plumbing shared by the analyses."""

from __future__ import annotations

import contextlib
import logging


@contextlib.contextmanager
def quiet_retracing():
    """Silence TensorFlow's "excessive retracing" warning where tracing many small functions is the point
    (a fresh model per probe, one function per activation); errors still get through."""
    logger = logging.getLogger("tensorflow")  # the logger tf.get_logger() returns
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)
