"""Creditors: the companies owed money, the tenants of an install."""
