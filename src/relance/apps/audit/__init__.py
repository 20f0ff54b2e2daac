"""The audit trail: append-only, hash-chained events; the creditor's proof."""
