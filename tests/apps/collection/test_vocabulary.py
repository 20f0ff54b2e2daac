"""Every code the models, the scenario engine and the templates know has its words in
``domain.vocabulary``, and the pages, the letters and the CLI say those words."""

from __future__ import annotations

import pytest
from django.utils import translation

from relance.apps.collection.models import Action
from relance.apps.workspace.views.labels import CHANNEL_LABELS, STEP_LABELS, TIMELINE_LABELS
from relance.cli import build_parser
from relance.documents.templates import STEPS
from relance.domain import scenario, vocabulary


def test_every_action_state_has_its_words():
    assert set(vocabulary.STATES) == set(Action.State.values)
    assert set(vocabulary.STATE_WORDS) == set(Action.State.values)
    assert {f"action.{s}" for s in Action.State.values} <= set(vocabulary.EVENTS)


def test_every_channel_a_scenario_may_name_has_its_words():
    for table in (vocabulary.CHANNELS, vocabulary.LETTER_CHANNELS, vocabulary.CHANNEL_WORDS):
        assert set(table) == set(scenario.CHANNELS)


def test_every_step_with_a_template_has_a_label():
    assert set(STEPS) <= set(vocabulary.STEPS)


@pytest.mark.parametrize(("lang", "expected"), [("fr", "lettre recommandée"), ("en", "registered letter")])
def test_a_page_says_the_vocabulary_in_its_reader_language(lang, expected):
    with translation.override(lang):
        assert str(CHANNEL_LABELS["registered_letter"]) == expected
        assert str(STEP_LABELS["formal_notice"]) == vocabulary.STEPS["formal_notice"].say(lang)
        assert str(TIMELINE_LABELS["action.skipped"]) == vocabulary.EVENTS["action.skipped"].say(lang)


def test_the_cli_offers_the_vocabulary_states_and_channels(capsys):
    parser = build_parser()
    with pytest.raises(SystemExit):
        parser.parse_args(["actions", "list", "--channel", "pigeon"])
    err = capsys.readouterr().err
    for channel in vocabulary.CHANNELS:
        assert channel in err
    args = parser.parse_args(["actions", "list", "--state", "skipped", "--channel", "registered_letter"])
    assert (args.state, args.channel) == ("skipped", "registered_letter")
