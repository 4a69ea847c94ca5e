"""The index page (templates/web/): calendars with subscribe links, the next observances."""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

from .feeds import FeedSet


class Rendered(NamedTuple):
    html: bytes
    csp: str


def render_index(feeds: FeedSet, today: date) -> Rendered:
    from markupsafe import escape

    items = "".join(
        f'<li><a href="{escape(p)}">{escape(feeds.resources[p].name)}</a></li>'
        for p in feeds.public
    )
    html = f"<!doctype html><title>Feeds</title><ul>{items}</ul>"
    return Rendered(html.encode(), "default-src 'none'")
