"""``python -m flowerlite``: the same CLI as the ``flowerlite`` command."""

import sys

from .cli import main

sys.exit(main())
