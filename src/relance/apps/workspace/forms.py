"""Forms of the workspace: they parse and label input; services validate and write."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from relance.apps.workspace.selectors import login_throttled
from relance.apps.workspace.services import login_failure_record, login_failures_clear


def client_ip(request: HttpRequest | None) -> str:
    # REMOTE_ADDR only: behind a proxy, the proxy must set it (gunicorn --forwarded-allow-ips).
    return (request.META.get("REMOTE_ADDR") or "") if request is not None else ""


class ThrottledLoginForm(AuthenticationForm):
    """Django's login form that refuses to try after 5 failures in 15 minutes (username + address)."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "throttled": _(
            "Too many failed attempts for this account from your address. "
            "Wait 15 minutes before trying again."
        ),
    }

    def clean(self) -> dict[str, Any]:
        username = (self.data.get("username") or "").strip()
        ip = client_ip(self.request)
        if username and login_throttled(username=username, ip=ip):
            raise forms.ValidationError(self.error_messages["throttled"], code="throttled")
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            if username:
                login_failure_record(username=username, ip=ip)
            raise
        login_failures_clear(username=username, ip=ip)
        return cleaned


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of file"), choices=[("ledger", _("Ledger (CSV or FEC)"))])
    file = forms.FileField(label=_("File"))

    def __init__(self, *args: Any, bank: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if bank:
            self.fields["kind"].choices = [
                ("ledger", _("Ledger (CSV or FEC)")),
                ("bank", _("Bank statement (CAMT, OFX, CFONB, CSV)")),
            ]


class HoldForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500, required=False)


class NotesForm(forms.Form):
    notes = forms.CharField(label=_("Notes"), widget=forms.Textarea(attrs={"rows": 4}), required=False)


class SettingsForm(forms.Form):
    name = forms.CharField(label=_("Legal name"), max_length=200)
    siren = forms.CharField(label=_("SIREN"), max_length=11, required=False)
    vat_number = forms.CharField(label=_("VAT number"), max_length=20, required=False)
    iban = forms.CharField(label=_("IBAN"), max_length=42, required=False)
    bic = forms.CharField(label=_("BIC"), max_length=11, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    phone = forms.CharField(label=_("Phone"), max_length=30, required=False)
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    postal_code = forms.CharField(label=_("Postal code"), max_length=10, required=False)
    city = forms.CharField(label=_("City"), max_length=100, required=False)
    payment_terms_days = forms.IntegerField(label=_("Payment terms (days)"), min_value=0, max_value=365)
    signature = forms.CharField(label=_("Signature"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
