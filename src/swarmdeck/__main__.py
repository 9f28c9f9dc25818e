"""``python -m swarmdeck`` is the ``swarmdeck`` command."""

from __future__ import annotations

import sys

from swarmdeck.cli import main

sys.exit(main())
