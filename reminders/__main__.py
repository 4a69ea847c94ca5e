"""``python -m reminders`` is the same as the ``reminders`` command."""

import sys

from .cli import main

sys.exit(main())
