"""Notices sent: rendering, template checks, channels, the ledger, delivery, reload, the daemon.

Imports plan, config and core; never web (the daemon is handed its feed server by cli).
"""
