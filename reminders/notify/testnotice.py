"""``reminders channel test ID``: one test notice through one channel, now, past the ledger.

The notice is the sample that ``reminders check`` renders the templates with
(template_check.sample_notice: a made-up 25th anniversary with facts, moments and events, with
the made-up plan of template_check.sample_plan), rendered with the templates of a ``[[notice]]``
rule that uses the channel, and marked as a test in its subject and at the head of its text and
HTML.  It is never claimed nor recorded in the ledger, so it can neither block nor mark a real
delivery, and its id (``test:CHANNEL:TIME:RULE``) gives it an outbox file name and a Message-ID
of its own.  What the receiver answered (the
file written, the SMTP server's reply, each Apprise URL's result) is returned for printing.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from datetime import datetime

from ..core.errors import UsageError
from ..core.settings import Loaded, NoticeRule, Settings

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import NamedTuple
else:
    from ..core.records import NamedTuple  # typing.NamedTuple without importing typing (start-up)

SUBJECT_MARK = "[TEST] "


class TestSent(NamedTuple):
    """What ``channel test`` did: through which channel, with which rule's templates, and what
    the receiver answered."""

    channel: str  # "id (what it is)", as check shows it
    rule: str
    notice_id: str
    receipt: str


def send_test(
    loaded: Loaded,
    channel_id: str,
    now: datetime,
    environ: Mapping[str, str],
    rule_id: str | None = None,
) -> TestSent:
    """Render the sample notice for ``channel_id`` and send it now (see the module docstring).

    UsageError for an unknown channel or rule; ChannelError when the channel cannot be built or
    the receiver did not take the notice (with what it said).
    """
    from ..config.templates import environment
    from ..core.dates import local_date
    from .channels import ChannelError, DeliveryError, build
    from .render import for_channel, message_for, notice_ics
    from .template_check import checked_render, sample_notice, sample_plan

    settings = loaded.settings
    config = settings.channel(channel_id)
    if config is None:
        known = ", ".join(c.id for c in settings.channels) or "the config has no [[channel]]"
        raise UsageError(f"channel {channel_id!r}: no such channel; expected one of: {known}")
    rule = _rule_for(settings, channel_id, rule_id)
    today = local_date(now, settings.organisation.timezone)
    notice = sample_notice(rule, settings, today)
    # In the channel's language, as the daemon sends to it (the banner stays English: it is
    # the operator's).
    shown, language = for_channel(notice, settings, channel_id)
    env = environment(settings.templates_dir)
    plan = sample_plan(shown, settings, language)
    rendered = checked_render(env, shown, settings, now, False, plan, language)
    test_id = f"test:{channel_id}:{now:%Y%m%dt%H%M%Sz}:{rule.id}"
    ics = notice_ics(shown, settings, language)
    message = message_for(notice, channel_id, rendered, ics, now, False)
    message = message._replace(
        delivery_id=f"{test_id}/{channel_id}",
        notice_id=test_id,
        subject=SUBJECT_MARK + rendered.subject,
        text=_banner(channel_id) + "\n\n" + rendered.text,
        html=_with_banner(rendered.html, channel_id),
    )
    channel = build(config, environ)
    try:
        channel.prepare()
        receipt = channel.send(message)
    except DeliveryError as exc:
        raise ChannelError(channel_id, f"the test notice was not sent: {exc.reason}") from None
    finally:
        channel.close()
    return TestSent(f"{channel_id} ({channel.describe()})", rule.id, test_id, receipt)


def _rule_for(settings: Settings, channel_id: str, rule_id: str | None) -> NoticeRule:
    """The rule whose templates render the test: the one asked for, else the first rule that
    sends through the channel, else the first rule."""
    if rule_id is not None:
        rule = settings.rule(rule_id)
        if rule is None:
            known = ", ".join(r.id for r in settings.notices) or "the config has none"
            raise UsageError(
                f"--rule {rule_id!r}: no such [[notice]] rule; expected one of: {known}"
            )
        return rule
    using = [r for r in settings.notices if channel_id in r.channels]
    if using or settings.notices:
        return (using or list(settings.notices))[0]
    raise UsageError(
        "the config has no [[notice]] rules; expected at least one, whose templates render the "
        "test notice"
    )


def _banner(channel_id: str) -> str:
    return (
        f"TEST NOTICE, sent with 'reminders channel test {channel_id}' to check the channel. "
        "Nothing is due: the remembrance day, facts and events below are made-up sample data."
    )


def _with_banner(page: str, channel_id: str) -> str:
    """The HTML body with the banner as its first paragraph (inside <body> when it has one)."""
    banner = f'<p style="font-weight:bold">{html.escape(_banner(channel_id))}</p>\n'
    found = re.search(r"<body[^>]*>", page, re.IGNORECASE)
    if found is None:
        return banner + page
    return page[: found.end()] + "\n" + banner + page[found.end() :]
