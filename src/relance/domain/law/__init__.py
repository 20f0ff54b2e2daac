"""The late-payment law engine: rate tables, penalty regimes, limitation periods.

Pure Python. It must not import Django nor anything from ``relance`` except
``relance.domain`` and ``relance.errors``; it never reads the clock; money is ``Decimal``.
This first step holds the rate tables (``rates``) and calendar helpers (``dates``).
"""
