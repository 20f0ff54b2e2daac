"""`relance user token USERNAME [--name N] [--revoke NAME]`: the token printed once, then usable."""

from __future__ import annotations

import json

import pytest

from relance.apps.api_tokens.models import ApiToken
from relance.cli import main as cli_main
from tests.api.conftest import Api, make_user

pytestmark = pytest.mark.django_db


def test_the_command_prints_a_token_that_works_until_revoked(creditor_a, capsys):
    make_user("ines", "viewer", creditor_a)
    assert cli_main(["user", "token", "ines", "--name", "ci"]) == 0
    token = capsys.readouterr().out.strip()
    assert token.startswith("rl_")
    row = ApiToken.objects.get(user__username="ines", name="ci")
    assert token not in (row.digest, row.prefix)
    assert Api(token).get("/api/creditors").status_code == 200
    assert cli_main(["user", "token", "ines", "--revoke", "ci", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"username": "ines", "name": "ci", "revoked": True}
    assert Api(token).get("/api/creditors").status_code == 401
    assert cli_main(["user", "token", "ines", "--list", "--json"]) == 0
    (listed,) = json.loads(capsys.readouterr().out)
    assert listed["name"] == "ci"
    assert listed["revoked_at"]
    assert token not in json.dumps(listed)


def test_the_command_says_what_is_wrong(creditor_a, capsys):
    assert cli_main(["user", "token", "nobody"]) == 1
    assert "no user" in capsys.readouterr().err
    make_user("ines", "viewer", creditor_a)
    assert cli_main(["user", "token", "ines", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["name"] == "default"
    assert cli_main(["user", "token", "ines"]) == 1  # the name is taken while the token is live
    assert cli_main(["user", "token", "ines", "--revoke", "other"]) == 1
