"""What the user wrote, read and checked: the config, the calendars, the templates' environment,
and the start-up cache.  Imports core only.
"""
