"""The ledger: debtors, invoices, payments, allocations and the imports that feed them."""
