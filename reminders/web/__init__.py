"""Feeds served: feeds, the ASGI app, the page, the server, its guard and workers, the site.

Imports plan, config and core; never notify (the daemon's health comes in as a callable).
"""
