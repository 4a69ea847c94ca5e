"""The configuration and its calendars, as every command loads them."""

from __future__ import annotations

from datetime import date

from ..core.settings import Loaded


def load(config_path: str, today: date) -> Loaded:
    """The config and its calendars, validated; from the start-up cache when nothing changed."""
    from . import cache
    from .langcache import prepare

    cached = cache.read(config_path, today)
    if cached is not None:
        prepare(cached.settings.organisation.language)
        return cached
    # Only a cache miss pays for the TOML parser and the schema.
    from .calendars import load_calendars
    from .config_file import load_config

    settings = load_config(config_path)
    loaded = Loaded(settings, load_calendars(settings.calendars_dir, today))
    cache.write(config_path, today, loaded)
    prepare(settings.organisation.language)
    return loaded
