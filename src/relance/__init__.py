"""Relance: gets unpaid invoices paid (recouvrement de créances)."""

__version__ = "0.1.0"
