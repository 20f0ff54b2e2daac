"""The REST API (django-ninja, OpenAPI at /api/docs): views over services and selectors.

``relance.api.main`` holds the endpoints, ``relance.api.access`` the tokens, grants and error
mapping. Every endpoint works for one creditor the caller is granted; another creditor's
objects are simply not found (404), never forbidden, so nobody learns that they exist.
"""
