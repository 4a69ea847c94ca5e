"""The cyclic garbage collector paused for the work of one command.

A large export or plan makes millions of objects that all live until the output is written; the
collector would scan them again and again and free nothing (an ICS export of 10,000 events spent
0.36 s of 2.7 s in it, bench/RESULTS.md section 2).  ``gc.disable`` is process-wide, so it is used
only here, by the commands that do one job in a process of their own (``plan``, ``export``), and
never by the libraries they call: the feed server builds the same feeds and plans in a worker
thread while its event loop serves requests, and must keep collecting.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """The block runs with the cyclic collector off; its previous state comes back afterwards,
    after an exception too."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()
