"""Files the commands write: whole or not at all."""

from __future__ import annotations

import os
from collections.abc import Iterable

from ..core.errors import OutputError


def write_atomically(path: str, data: bytes | Iterable[bytes | memoryview]) -> int:
    """Write ``data`` (bytes, or parts of them) to ``path`` through a temporary file and a
    rename: never a partial file.  Returns the number of bytes written."""
    import tempfile  # only the commands that write files pay for it

    folder = os.path.dirname(path) or "."
    try:
        handle, temp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", dir=folder)
    except OSError as exc:
        raise OutputError(path, exc.strerror or str(exc)) from None
    try:
        size = 0
        with os.fdopen(handle, "wb") as out:
            for part in (data,) if isinstance(data, bytes) else data:
                size += out.write(part)
        os.chmod(temp, 0o644)
        os.replace(temp, path)
    except OSError as exc:
        if os.path.exists(temp):
            os.unlink(temp)
        raise OutputError(path, exc.strerror or str(exc)) from None
    except BaseException:  # the parts' maker failed, or an interrupt: no file left behind
        if os.path.exists(temp):
            os.unlink(temp)
        raise
    return size
