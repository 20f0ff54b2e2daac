"""Delivery adapters: e-mail (SMTP), post (PDF batches), registered letters, phone tasks. Below the Django apps.

The ``Channel`` protocol (``base``) and the registry of every channel (``registry``).
"""
