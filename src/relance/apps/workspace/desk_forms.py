"""Forms of the collector's desk added with the letters to post: a registered letter's
delivery and a tracking file."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from relance.apps.workspace.forms import DateInput


class DeliveryForm(forms.Form):
    """What La Poste says of one registered letter (``letters.letter_deliver``)."""

    tracking = forms.CharField(label=_("Tracking number"), max_length=40)
    received = forms.DateField(label=_("Received on"), widget=DateInput(), required=False)
    not_claimed = forms.BooleanField(label=_("Came back unclaimed"), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("received") and data.get("not_claimed"):
            raise forms.ValidationError(
                _("A letter is either received on a date or not claimed, not both.")
            )
        return data


class TrackingFileForm(forms.Form):
    file = forms.FileField(label=_("Tracking file (CSV)"))
