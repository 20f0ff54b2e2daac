"""``python -m relance.cli``: the ``relance`` console script, for tests and for hosts without it."""

import sys

from relance.cli import main

sys.exit(main())
