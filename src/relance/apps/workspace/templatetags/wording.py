"""``{{ problem|problem_text }}``: a problem built below Django, in the reader's language."""

from __future__ import annotations

from django import template

from relance.apps.workspace import wording

register = template.Library()
register.filter("problem_text", wording.stored_problem_text)
register.filter("error_text", wording.error_text)
register.filter("note_text", wording.note_text)
