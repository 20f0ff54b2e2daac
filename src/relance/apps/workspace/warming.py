"""The workspace's kept figures computed ahead of the first person who asks for them.

``figures.py`` keeps figures until the ledger moves; after an import, a pass or a bank upload
has moved it, ``figures_warm`` computes the dashboard and the debtor ranking at once, so that
the next dashboard or debtor list answers at once instead of the first person to open it
waiting seconds (the cache is shared by every server process: settings, CACHES). The morning
pass reaches it through ``collection.hooks`` (registered in ``apps.py``); the imports call it.
"""

from __future__ import annotations

from datetime import date

from relance.apps.creditors.models import Creditor
from relance.apps.workspace.debtor_selectors import debtor_ranking
from relance.apps.workspace.selectors import dashboard


def figures_warm(*, creditor: Creditor, as_of: date) -> None:
    """Compute ``creditor``'s kept figures for ``as_of`` now."""
    dashboard(creditor=creditor, as_of=as_of)
    debtor_ranking(creditor=creditor, as_of=as_of, sort="overdue", overdue_only=False)
