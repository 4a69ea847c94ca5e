"""``reminders preview``: a notice exactly as it is sent."""

from __future__ import annotations

from ..core.errors import UsageError
from ..core.occurrences import FIRST_YEAR, LAST_YEAR
from ..core.settings import MILESTONE_PREFIX, Loaded, Settings

PREVIEW_FORMATS = ("text", "html", "eml")


def preview(
    loaded: Loaded,
    rule_id: str,
    observance_id: str,
    year: int,
    fmt: str,
    late: bool,
    language: str | None = None,
) -> bytes:
    """A notice exactly as it is sent, at its own fire time (so "days to go" are as sent), in
    ``language`` (one of the organisation's languages; None: the language of the channel it is
    shown for, as the daemon chooses it).

    ``text``: a Subject line, a blank line and the text body; ``html``: the HTML body; ``eml``:
    the MIME message of the rule's first e-mail channel (with its From and To), or, when the rule
    has none, the message an outbox writes as ``.eml``.
    """
    from ..config.templates import environment
    from ..core import words
    from ..core.notices import applies, find_notice, notice_in
    from ..plan.yearplans import YearPlans
    from .render import for_channel, message_for, notice_ics
    from .template_check import checked_render

    settings = loaded.settings
    plans = YearPlans(loaded)
    milestone = (
        rule_id.removeprefix(MILESTONE_PREFIX) if rule_id.startswith(MILESTONE_PREFIX) else None
    )
    rule = settings.rule(rule_id) if milestone is None else plans.notified_rule(milestone)
    if rule is None:
        known = ", ".join(
            [r.id for r in settings.notices]
            + [r.notice_id for r in settings.milestones if r.notified]
        )
        known = known or "the config has no [[notice]] rules and no notified [[milestone]]"
        raise UsageError(
            f"notice rule {rule_id!r}: no such rule; expected one of: {known}"
            " (a [[milestone]] with channels as milestone:ID)"
        )
    observances = {o.id: o for c in loaded.calendars for o in c.observances}
    observance = observances.get(observance_id)
    if observance is None:
        known = ", ".join(observances) or "the calendars have none"
        raise UsageError(
            f"observance {observance_id!r}: no such observance; expected one of: {known}"
        )
    if not applies(rule, observance):
        known = ", ".join(o.id for o in observances.values() if applies(rule, o)) or "none"
        raise UsageError(
            f"notice rule {rule_id!r} sends nothing for observance {observance_id!r}; "
            f"expected one of the observances it applies to: {known}"
        )
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise UsageError(f"year {year} is out of range; expected {FIRST_YEAR} to {LAST_YEAR}")
    notice = find_notice(
        loaded.calendars,
        rule,
        observance_id,
        year,
        settings.organisation,
        examples=settings.feed.include_examples,
    )
    if notice is not None and milestone is not None:
        notice = plans.find_milestone_notice(notice.occurrence, milestone)
        if notice is None:
            raise UsageError(
                f"milestone {milestone!r} has no date for observance {observance_id!r} in "
                f"{year}; expected an observance the milestone applies to"
            )
    if notice is None:
        raise UsageError(
            f"observance {observance_id!r} has no occurrence in {year}; expected a year from "
            f"{observance.since + 1} on in which it occurs ({observance.rule.describe()})"
        )
    now = notice.fire_at
    email = [c for c in map(settings.channel, rule.channels) if c is not None and c.type == "email"]
    channel_id = email[0].id if email else rule.channels[0]
    if language is None:
        shown, written = for_channel(notice, settings, channel_id, loaded.calendars)
    else:
        written = words.output_language(language_named(settings, language))
        shown = notice_in(notice, written, loaded.calendars)
    env = environment(settings.templates_dir)
    plan = plans.of(notice.occurrence, written)
    rendered = checked_render(env, shown, settings, now, late, plan, written)
    if fmt == "text":
        return f"Subject: {rendered.subject}\n\n{rendered.text}".encode()
    if fmt == "html":
        return rendered.html.encode()
    from .channels.smtp import build_mime

    ics = notice_ics(shown, settings, written)
    message = message_for(notice, channel_id, rendered, ics, now, late)
    if not email:
        return build_mime(message).as_bytes()
    recipients = email[0].option("recipients")
    assert isinstance(recipients, tuple | list)
    sender = str(email[0].option("sender"))
    return build_mime(message, sender, [str(r) for r in recipients]).as_bytes()


def language_named(settings: Settings, language: str) -> str:
    """``--language LANG``: one of the organisation's languages (its tag as configured, letter
    case aside); UsageError otherwise."""
    for known in settings.organisation.languages:
        if known.lower() == language.lower():
            return known
    raise UsageError(
        f"--language {language!r}: not one of the organisation's languages; expected one of: "
        + ", ".join(settings.organisation.languages)
        + " (organisation.languages in the config)"
    )
