"""``python -m console`` runs the ``lookout`` command."""

import sys

from console.cli import main

sys.exit(main())
