"""``python -m sknn_hep``: the ``sknn-hep`` command."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
