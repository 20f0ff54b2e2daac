"""The forms of the debtor page's editing: the debtor's details and a new contact."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from relance.apps.workspace.views.labels import CONTACT_ROLE_LABELS, KIND_LABELS

LANGUAGE_CHOICES = [("fr", _("French")), ("en", _("English"))]


class DebtorForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=())
    siren = forms.CharField(label="SIREN", max_length=20, required=False)
    email = forms.CharField(
        label=_("E-mail"), max_length=254, required=False,
        help_text=_("The address Relance writes its reminders to."),
    )
    phone = forms.CharField(label=_("Phone"), max_length=30, required=False)
    address = forms.CharField(label=_("Street address"), max_length=200, required=False)
    postal_code = forms.CharField(label=_("Postcode"), max_length=10, required=False)
    city = forms.CharField(label=_("City"), max_length=100, required=False)
    country = forms.CharField(
        label=_("Country"), max_length=2, help_text=_("Two-letter code: FR, BE, CH…")
    )
    language = forms.ChoiceField(label=_("Language of the messages"), choices=LANGUAGE_CHOICES)
    is_do_not_contact = forms.BooleanField(
        label=_("Do not contact (no message, no call)"), required=False
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["kind"].choices = list(KIND_LABELS.items())  # type: ignore[attr-defined]


class ContactForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200, required=False)
    role = forms.ChoiceField(label=_("Role"), choices=(), required=False)
    email = forms.CharField(label=_("E-mail"), max_length=254, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=30, required=False)
    is_primary = forms.BooleanField(label=_("Main contact (named in the letters)"), required=False)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["role"].choices = [("", "—"), *CONTACT_ROLE_LABELS.items()]  # type: ignore[attr-defined]
