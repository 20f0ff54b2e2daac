"""Delivery adapters: e-mail (SMTP), post (PDF batches), registered letters, phone tasks. Below the Django apps."""
