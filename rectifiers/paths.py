"""Where the repository is: the one definition of its root, for every layer (chapters name files relative to it)."""

from __future__ import annotations

from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
"""The repository's root folder (this package's parent): studies, results and notebooks are named relative to it."""
