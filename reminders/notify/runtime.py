"""What the daemon runs on: valid settings, calendars, templates and built channels, as one value.

``load_runtime`` either returns a complete, checked :class:`Runtime` or raises: a config or
calendar problem (an ``[organisation] country`` python-holidays does not know too, as ``check``
says it), a template that does not render with sample data, a channel that cannot work.
The daemon starts only on a complete runtime, and a reload that fails keeps the old one running.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING, NamedTuple

from ..config.sources import Stat, fingerprint
from ..core.errors import ConfigError, InvalidInput
from ..core.model import Calendar
from ..core.settings import Loaded, Settings

if TYPE_CHECKING:
    import jinja2

    from ..config.organisations import Organisation
    from ..plan.yearplans import YearPlans
    from .channels import Channel


class Runtime(NamedTuple):
    settings: Settings
    calendars: tuple[Calendar, ...]
    env: jinja2.Environment
    channels: dict[str, Channel]
    fingerprint: tuple[Stat, ...]
    # The yearly plans of this version, each built once (the notices' plans, the milestone
    # notices): a reload makes a new one, so a changed weekend or closure moves them.
    plans: YearPlans


def load_runtime(
    config_path: str, today: date, environ: Mapping[str, str], *, sends: bool = True
) -> Runtime:
    """Load and check everything the daemon needs; raise a ReminderError if anything is wrong.

    ``sends=False``: config.toml of a deployment of organisations, which sends nothing itself
    (each organisation sends, :func:`org_runtime`): its channels are not built and its notice
    rules not checked (each organisation's are, with its settings)."""
    from ..config.calendars import load_calendars
    from ..config.config_file import load_config
    from ..config.templates import environment
    from ..plan.hostcal import country_problems
    from ..plan.yearplans import YearPlans

    settings = load_config(config_path)
    # As check asks it: python-holidays must know the host country (the plans, the notices'
    # working days).  Imported here, by run, never by the light commands.
    country = country_problems(settings)
    if country:
        raise ConfigError(country)
    # Taken before reading, so an edit made while loading is seen by the next check.
    stamp = fingerprint(config_path, settings.calendars_dir, settings.templates_dir)
    calendars = load_calendars(settings.calendars_dir, today)
    # The templates as they are now: what was checked is what is sent, until a reload.
    env = environment(settings.templates_dir, snapshot=True)
    loaded = Loaded(settings, calendars)
    if not sends:
        return Runtime(settings, calendars, env, {}, stamp, YearPlans(loaded))
    return _sending(loaded, env, today, environ, stamp, "templates and notice rules")


def org_runtime(
    org: Organisation,
    base: Runtime,
    today: date,
    environ: Mapping[str, str],
    stamp: tuple[Stat, ...],
) -> Runtime:
    """One organisation's runtime in a deployment: its settings over config.toml's (``base``,
    whose calendars are the shared ones and whose templates it renders with its own settings),
    checked as :func:`load_runtime` checks one config; ReminderError naming its file.
    ``stamp``: its files' (config/organisations.org_stamp), taken before its file was read."""
    from ..config.organisations import loaded_organisation
    from ..plan.hostcal import country_problems

    loaded = loaded_organisation(org, base.calendars, today)
    country = country_problems(loaded.settings)
    if country:
        raise ConfigError(country)
    what = f"templates and notice rules of organisation {org.id}"
    return _sending(loaded, base.env, today, environ, stamp, what)


def _sending(
    loaded: Loaded,
    env: jinja2.Environment,
    today: date,
    environ: Mapping[str, str],
    stamp: tuple[Stat, ...],
    what: str,
) -> Runtime:
    """A runtime that sends: its templates and notice rules checked (InvalidInput saying
    ``what`` otherwise), its channels built."""
    from ..plan.yearplans import YearPlans
    from .template_check import check_templates

    problems = check_templates(loaded.settings, loaded.calendars, today, env)
    if problems:
        raise InvalidInput(problems, what)
    built = build_channels(loaded.settings, environ)
    return Runtime(loaded.settings, loaded.calendars, env, built, stamp, YearPlans(loaded))


def build_channels(settings: Settings, environ: Mapping[str, str]) -> dict[str, Channel]:
    """Every channel of ``settings``, built and prepared (none left open on a failure)."""
    from . import channels as registry

    built: dict[str, Channel] = {}
    try:
        for config in settings.channels:
            built[config.id] = registry.build(config, environ)
            built[config.id].prepare()
    except BaseException:
        close_channels(built)
        raise
    return built


def close_channels(built: Mapping[str, Channel]) -> None:
    for channel in built.values():
        channel.close()
