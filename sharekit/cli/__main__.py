"""``python -m sharekit.cli``: the same as the ``sharekit`` command."""

import sys

from . import main

sys.exit(main())
