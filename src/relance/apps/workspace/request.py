"""The request a workspace page receives, as typed for mypy.

``access.workspace_view`` lets only a logged-in person through and sets ``grant``, ``grants`` and
``creditor`` on the request; django-htmx's middleware sets ``htmx``. Pages behind the decorator
annotate their request with ``WorkspaceRequest`` so these attributes are checked like any other,
instead of each use being silenced. Nothing here exists at run time beyond the class itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:
    from django.contrib.auth.models import User
    from django_htmx.middleware import HtmxDetails

    from relance.apps.creditors.models import Creditor
    from relance.apps.workspace.selectors import Grant


class WorkspaceRequest(HttpRequest):
    user: User  # the decorator sends anyone else to the login page
    grant: Grant
    grants: list[Grant]
    creditor: Creditor
    htmx: HtmxDetails
