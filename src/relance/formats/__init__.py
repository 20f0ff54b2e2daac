"""One module per external standard (FEC, ledger CSV, CAMT, OFX, CFONB...).

Each parses a file into ``relance.domain`` records and returns the problems it met, with
their line, column, code and message, instead of stopping at the first one. Imports only
``relance.domain`` and ``relance.domain.errors``.
"""
