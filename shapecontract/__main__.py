"""``python -m shapecontract``: the same as the ``shapecontract`` command."""

import sys

from .cli import main

sys.exit(main())
