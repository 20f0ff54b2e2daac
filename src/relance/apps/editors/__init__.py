"""Editors: the scenarios and the message templates, viewed and edited in the workspace."""
