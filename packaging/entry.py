"""The bundle's entry script: what ``dist/lookout/lookout`` runs (``console.cli:main``)."""

import sys

from console.cli import main

if __name__ == "__main__":
    sys.exit(main())
