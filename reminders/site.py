"""``reminders export --site DIR``: the feeds and the page as files, byte for byte as served.

For when one machine is not enough: nginx or a CDN serves the folder (docs/web.md has an nginx
configuration that keeps the headers right).  Each feed is written with its gzip twin
(``.ics.gz``, for nginx's ``gzip_static``), and every file's modification time is set to the
feed's Last-Modified, so nginx sends the same Last-Modified as the app.  Private calendars are not
written: their feeds exist only behind tokens, and tokens are never written to files.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

from .controllers import write_atomically
from .errors import OutputError
from .settings import Loaded


def export_site(config_path: str, loaded: Loaded, folder: str) -> list[str]:
    """Write the site to ``folder``; return one line per file written, for the terminal."""
    from .server import current_feeds
    from .webpage import render_index

    now = datetime.now(UTC)
    feeds = current_feeds(config_path, loaded, {}, now)
    files: list[tuple[str, bytes, int]] = []
    for path in feeds.public:
        resource = feeds.resources[path]
        files.append((path.lstrip("/"), resource.body, resource.last_modified))
        files.append((path.lstrip("/") + ".gz", resource.gzipped, resource.last_modified))
    page = render_index(feeds, feeds.today)
    files.append(("index.html", page.html, int(now.timestamp())))
    try:
        os.makedirs(os.path.join(folder, "calendars"), exist_ok=True)
    except OSError as exc:
        raise OutputError(folder, exc.strerror or str(exc)) from None
    lines = []
    for name, data, stamp in files:
        target = os.path.join(folder, *name.split("/"))
        write_atomically(target, data)
        os.utime(target, (stamp, stamp))
        lines.append(f"wrote {target} ({len(data)} bytes)")
    skipped = [r.calendar for r in feeds.resources.values() if r.private]
    if skipped:
        lines.append(
            f"not written (private, served only with a token): {', '.join(sorted(skipped))}"
        )
    return lines
