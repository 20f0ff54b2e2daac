"""Collection: scenarios and steps, cases, actions, promises, disputes, payment plans; the daily pass."""
