"""API tokens: one user's bearer keys for the REST API (``relance user token``)."""
