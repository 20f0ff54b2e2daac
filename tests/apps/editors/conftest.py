"""The letters tests' creditor (with its rate-ready debtor builder) and media folder, and the
workspace's two creditors and logged-in clients."""

from tests.apps.collection.test_letters import creditor, media  # noqa: F401
from tests.apps.workspace.conftest import (  # noqa: F401
    admin_a,
    collector_a,
    creditor_a,
    creditor_b,
    debtor_a,
    debtor_b,
    login,
    today,
    viewer_a,
)
