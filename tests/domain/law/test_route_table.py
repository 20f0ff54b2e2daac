"""One table of route codes: the dossier's, the legal stage's and the labels' cannot drift."""

from relance.domain import vocabulary
from relance.domain.law import procedure, routes


def test_the_legal_stage_takes_its_routes_from_the_dossier_table() -> None:
    assert procedure.ROUTES is routes.ROUTE_NAMES


def test_every_route_code_has_its_rules_and_nothing_else_does() -> None:
    assert tuple(routes.ROUTES) == routes.ROUTE_NAMES
    assert all(rule.name == code for code, rule in routes.ROUTES.items())


def test_every_route_code_has_its_label_and_nothing_else_does() -> None:
    assert tuple(vocabulary.ROUTES) == routes.ROUTE_NAMES
    assert vocabulary.LEGAL_ROUTES is vocabulary.ROUTES

