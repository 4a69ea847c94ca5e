"""The commands: argument parsing, printing, and the one place where daemon and feed server meet.

Imports every folder; nothing imports it.  ``main`` is the console script's entry
(``reminders.cli:main``, as it has always been named).
"""

from .commands import main

__all__ = ["main"]
