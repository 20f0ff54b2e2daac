"""The Settings page's outgoing mail server form."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

SECURITY_CHOICES = [
    ("starttls", _("STARTTLS (port 587, the usual)")),
    ("ssl", _("SSL/TLS from the start (port 465)")),
    ("none", _("None (a relay on the local network only)")),
]


class MailServerForm(forms.Form):
    host = forms.CharField(label=_("Server (host)"), max_length=255, required=False)
    port = forms.IntegerField(label=_("Port"), min_value=1, max_value=65535, initial=587)
    security = forms.ChoiceField(label=_("Security"), choices=SECURITY_CHOICES)
    username = forms.CharField(label=_("User"), max_length=255, required=False)
    password = forms.CharField(
        label=_("Password"), max_length=255, required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Left empty, the password stored stays as it is."),
    )
    remove = forms.BooleanField(
        label=_("No server of our own: use the install's (RELANCE_EMAIL_URL)"), required=False
    )
