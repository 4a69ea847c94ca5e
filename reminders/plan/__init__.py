"""The yearly plan: the host country's calendar, the plan, and one module per output format.

Imports config and core.
"""
