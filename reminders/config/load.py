"""The configuration and its calendars, as every command loads them."""

from __future__ import annotations

from datetime import date

from ..core.settings import Loaded

# The organisation a command works for (``--org ID``; None: the one-organisation case). Set once
# per command by the CLI (select), read by load: every command loads through it.
_selected: str | None = None


def select(org_id: str | None) -> None:
    """Make :func:`load` give the organisation ``org_id`` of the deployment (None: config.toml)."""
    global _selected
    _selected = org_id


def load(config_path: str, today: date) -> Loaded:
    """The config and its calendars, validated; from the start-up cache when nothing changed.
    With an organisation selected (``--org``), that organisation's (config/organisations.py)."""
    if _selected is not None:
        from .langcache import prepare
        from .organisations import find

        found = find(config_path, _selected, today)
        for language in found.settings.organisation.languages:  # the default among them
            prepare(language)
        return found
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
