"""The headers of Django's deployment checklist, a Content-Security-Policy among them, and the
API docs behind the login with their assets served by the install (issue #19, 9)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_every_page_carries_a_strict_content_security_policy(client):
    response = client.get("/login/")
    policy = response["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["script-src"] == "'self'"  # no inline script, nothing from elsewhere
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert "camera=()" in response["Permissions-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_the_api_docs_and_schema_need_a_login(client, collector_a):
    from django.test import Client

    anonymous = Client()
    for url in ("/api/docs", "/api/openapi.json"):
        response = anonymous.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/login/")
    docs = collector_a.get("/api/docs")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower()
    assert "<script>" not in html  # the settings ride in a JSON block, run by a served file
    assert collector_a.get("/api/openapi.json").json()["info"]["title"] == "Relance API"
    from relance.apps.api_tokens.services import token_create

    token = token_create(username="camille", name="docs")[1]
    with_token = anonymous.get("/api/openapi.json", headers={"Authorization": f"Bearer {token}"})
    assert with_token.json()["info"]["title"] == "Relance API"
    wrong = anonymous.get("/api/openapi.json", headers={"Authorization": "Bearer rl_wrong"})
    assert wrong.status_code == 302


def test_swagger_assets_are_served_by_the_install(client):
    for asset in ("ninja/swagger-ui-bundle.js", "ninja/swagger-ui-init.js", "ninja/swagger-ui.css"):
        response = client.get(f"/static/{asset}")
        assert response.status_code == 200, asset
