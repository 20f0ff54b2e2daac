"""The API's schema names the same codes as the law's tables (a test keeps them from drifting)."""

from __future__ import annotations

from typing import get_args


def test_the_api_states_the_legal_stage_s_key_dates_as_the_law_lists_them():
    from relance.api.schemas import LegalKey
    from relance.domain.law.procedure import KEY_DATES

    assert get_args(LegalKey) == KEY_DATES


def test_the_api_states_the_routes_as_the_route_table_lists_them():
    from relance.api.schemas import LegalIn
    from relance.domain.law.routes import ROUTE_NAMES

    assert get_args(LegalIn.model_fields["route"].annotation) == ROUTE_NAMES
