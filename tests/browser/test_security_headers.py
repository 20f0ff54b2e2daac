"""In Chromium, the pages work under the Content-Security-Policy (no violation reported) and
nothing is loaded from another site: the API docs' Swagger UI comes from the install."""

from __future__ import annotations

import pytest

from relance.apps.workspace.services import user_create
from tests.factories import CreditorFactory, debtor_with_overdue_invoices

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Correct-Horse-Battery-9"


def test_pages_and_api_docs_run_under_the_policy_with_local_assets(live_server, page):
    from django.utils import timezone

    creditor = CreditorFactory(name="Alpha SAS")
    debtor_with_overdue_invoices(creditor=creditor, count=2, as_of=timezone.localdate())
    user_create(username="camille", password=PASSWORD, role="admin", creditors=[creditor])
    violations: list[str] = []
    elsewhere: list[str] = []
    page.on(
        "console",
        lambda m: violations.append(m.text)
        if "Content Security Policy" in m.text or "Refused to" in m.text
        else None,
    )

    def only_here(route):
        if not route.request.url.startswith(live_server.url):
            elsewhere.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    page.route("**/*", only_here)
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Nom d’utilisateur").fill("camille")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Connexion").click()
    page.wait_for_url(f"{live_server.url}/")
    for path in ("/", "/debtors/", "/worklist/", "/imports/", "/settings/"):
        page.goto(f"{live_server.url}{path}")
    page.goto(f"{live_server.url}/api/docs")
    page.wait_for_selector("#swagger-ui .info .title", timeout=30_000)
    assert "Relance API" in page.inner_text("#swagger-ui .info .title")
    assert violations == []
    assert elsewhere == []
