"""The pure core of Relance.

Frozen dataclasses and functions: money, calendar, law (rates, penalties, prescription),
ledger records, scenario engine, matching. No Django, no database, no network, no clock:
``as_of`` is always an argument. Must not import anything else from ``relance`` but
``relance.domain`` and ``relance.domain.errors``.
"""
