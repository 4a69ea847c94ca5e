"""``python -m reminders`` is the same as the ``reminders`` command."""

import sys

from .cli.commands import main

sys.exit(main())
