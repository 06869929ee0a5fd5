"""`python -m rectifiers study FILE [--dry-run] [--until-epoch N] [--scheduler ADDRESS]`, `runs`, `migrate`."""

import sys

from .engine.cli import main

if __name__ == "__main__":
    sys.exit(main())
