"""The portal's two forms: a problem with an invoice, a payment plan proposal."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from relance.apps.portal.services import MAX_FIRST_DAYS, MAX_INSTALMENTS, MAX_TEXT


class DisputeForm(forms.Form):
    invoice = forms.TypedChoiceField(label=_("Invoice"), coerce=int)
    reason = forms.CharField(
        label=_("What is wrong with it?"),
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, invoices: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["invoice"].choices = invoices  # type: ignore[attr-defined]


class PlanForm(forms.Form):
    instalments = forms.IntegerField(
        label=_("Number of instalments"), min_value=2, max_value=MAX_INSTALMENTS, initial=3
    )
    first = forms.DateField(
        label=_("First instalment on"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    message = forms.CharField(
        label=_("Message (optional)"),
        max_length=MAX_TEXT,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, as_of: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.as_of = as_of

    def clean_first(self) -> date:
        first: date = self.cleaned_data["first"]
        if not self.as_of <= first <= self.as_of + timedelta(days=MAX_FIRST_DAYS):
            raise forms.ValidationError(
                _("The first instalment must fall between today and three months from now.")
            )
        return first
