"""`python -m skinmap` is the `skinmap` command."""

import sys

from skinmap.cli import main

sys.exit(main())
