"""REST API (django-ninja, OpenAPI). Endpoints call services and selectors only."""
