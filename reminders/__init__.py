"""Remembrance-day reminders: calendar sources, ICS export, notices and yearly plans."""

__version__ = "0.1.0"
