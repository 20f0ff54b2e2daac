"""Forms of the workspace: they parse and label input; services validate and write."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import FileExtensionValidator
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from relance.apps.workspace.accounts import login_attempt_reserve, login_failures_clear
from relance.formats.bank import format_labels


def _choice_field(form: forms.BaseForm, name: str) -> forms.ChoiceField:
    """The form's own copy of the ChoiceField its class declares as ``name`` (typed as a Field)."""
    return cast(forms.ChoiceField, form.fields[name])


def client_ip(request: HttpRequest | None) -> str:
    # REMOTE_ADDR only: behind a proxy, the proxy must set it (gunicorn --forwarded-allow-ips).
    return (request.META.get("REMOTE_ADDR") or "") if request is not None else ""


THROTTLED = _(
    "Too many failed attempts for this account from your address. "
    "Wait 15 minutes before trying again."
)


class _Throttled:
    """Refuses to check a password after 5 failures in 15 minutes (username + address); each
    attempt is counted before its password is checked (``login_attempt_reserve``)."""

    request: HttpRequest | None
    data: Any

    def clean(self) -> dict[str, Any]:
        username = (self.data.get("username") or "").strip()
        ip = client_ip(self.request)
        if username and not login_attempt_reserve(username=username, ip=ip):
            raise forms.ValidationError(THROTTLED, code="throttled")
        cleaned: dict[str, Any] = super().clean()  # type: ignore[misc]
        if username:
            login_failures_clear(username=username, ip=ip)
        return cleaned


class ThrottledLoginForm(_Throttled, AuthenticationForm):
    """The workspace's login (``/login/``)."""


class ThrottledAdminLoginForm(_Throttled, AdminAuthenticationForm):
    """The Django admin's login (``/admin/login/``): the same throttle as the workspace's."""


def _bank_formats() -> str:
    """The bank formats an upload may be, in the reader's language (``relance.formats.bank``)."""
    return ", ".join(gettext(label) for label in format_labels())


class UploadForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind of file"), choices=[("ledger", _("Ledger (CSV or FEC)"))]
    )
    file = forms.FileField(label=_("File"))

    def __init__(self, *args: Any, bank: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if bank:
            _choice_field(self, "kind").choices = [
                ("ledger", _("Ledger (CSV or FEC)")),
                ("bank", _("Bank statement (%(formats)s)") % {"formats": _bank_formats()}),
            ]


class ColumnsForm(forms.Form):
    """The field each column of a CSV ledger holds, one choice per column in the file's order
    (``column_<i>``), each offered every field in the reader's words or "not used"."""

    def __init__(self, *args: Any, columns: list[tuple[str, str]], **kwargs: Any) -> None:
        from relance.apps.workspace.wording import say
        from relance.formats.ledger_csv_columns import COLUMNS, FIELD_WORDS, REQUIRED

        super().__init__(*args, **kwargs)
        choices = [("", _("(not used)"))] + [
            (
                field,
                say(FIELD_WORDS[field].template, {}, field)
                + (" *" if field in REQUIRED else ""),
            )
            for field in COLUMNS
        ]
        for index, (name, field) in enumerate(columns):
            self.fields[f"column_{index}"] = forms.ChoiceField(
                label=name or _("(no name)"), choices=choices, initial=field, required=False
            )

    def chosen(self) -> list[str]:
        """The field chosen for each column, in the file's order."""
        return [self.cleaned_data[f"column_{i}"] for i in range(len(self.fields))]


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one ``<input type="file" multiple>``, cleaned one by one (a list)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        items = (data or [None]) if isinstance(data, list | tuple) else [data]  # none: required
        return [super(MultipleFileField, self).clean(item, initial) for item in items]


class EInvoicesForm(forms.Form):
    """E-invoices to import together: Factur-X PDFs, UBL or CII XML files."""

    documents = MultipleFileField(
        label=_("E-invoices (Factur-X PDF, UBL or CII XML)"),
        help_text=_(
            "Choose one or several files, or a .zip of them: they are imported together, or not "
            "at all."
        ),
        widget=MultipleFileInput(attrs={"accept": ".pdf,.xml,.zip"}),
        allow_empty_file=True,  # the import names an empty file among the others
    )


class HoldForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500, required=False)


class DossierForm(forms.Form):
    route = forms.ChoiceField(label=_("Route"))
    consumer_credit = forms.BooleanField(label=_("The claim is a consumer credit"), required=False)
    legal_stage = forms.BooleanField(label=_("Place the case in the legal stage"), required=False)

    def __init__(self, *args: Any, routes: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice_field(self, "route").choices = list(routes.items())


class StatusFileForm(forms.Form):
    file = forms.FileField(
        label=_("Status file from an agency or a lawyer"),
        help_text=_("CSV: reference, status (paid, partly_paid, plan, abandoned), amount, date. "
                    "Taken whole, or refused whole with every line and reason."),
    )


class WriteOffForm(forms.Form):
    reason = forms.ChoiceField(label=_("Reason"))
    vat_rate = forms.DecimalField(
        label=_("VAT rate of the invoices (%)"), required=False, min_value=Decimal(0),
        max_value=Decimal(99), decimal_places=2,
    )
    penalties_invoiced = forms.BooleanField(
        label=_("The penalties and indemnities were invoiced"), required=False
    )

    def __init__(self, *args: Any, reasons: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice_field(self, "reason").choices = list(reasons.items())


class NotesForm(forms.Form):
    notes = forms.CharField(
        label=_("Notes"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )


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
    payment_terms_days = forms.IntegerField(
        label=_("Payment terms (days)"), min_value=0, max_value=365
    )
    signature = forms.CharField(
        label=_("Signature"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    pay_link_template = forms.CharField(
        label=_("Pay link"),
        max_length=300,
        required=False,
        help_text=_(
            "Your payment page's address; {invoice}, {amount} and {debtor} are filled in for "
            "each message, e.g. https://pay.example.com/?ref={invoice}&amount={amount}"
        ),
    )


class LogoForm(forms.Form):
    logo = forms.FileField(label=_("Logo (PNG or JPEG, at most 1 MB)"), required=False)
    remove = forms.BooleanField(label=_("No logo"), required=False)


class SmtpTestForm(forms.Form):
    to = forms.EmailField(label=_("Send a test message to"))


# --- calls and the case ---------------------------------------------------------------------------


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


class AmountField(forms.DecimalField):
    """A decimal amount as people type it: "1 200,50" (any spaces), or "1200.50"."""

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str):
            value = "".join(value.split()).replace("\u202f", "")
        return super().to_python(value)


def _amount(label: Any) -> forms.DecimalField:
    return AmountField(
        label=label,
        min_value=Decimal("0.01"),
        max_digits=14,
        decimal_places=2,
        localize=True,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )


class PromiseForm(forms.Form):
    amount = _amount(_("Amount promised"))
    date = forms.DateField(label=_("Promised date"), widget=DateInput())
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


class AgencyForm(forms.Form):
    """An agency collecting for the creditor (``creditors.services.agency_set``, CPCE R124-4)."""

    name = forms.CharField(label=_("Agency's name"), max_length=200)
    address = forms.CharField(label=_("Address"), max_length=200)
    postal_code = forms.CharField(label=_("Postcode"), max_length=10)
    city = forms.CharField(label=_("City"), max_length=100)
    activity = forms.CharField(label=_("Declared amicable-collection activity"), max_length=300)
    commission_rate = AmountField(
        label=_("Commission (%)"), min_value=Decimal("0"), max_digits=5, decimal_places=2, localize=True,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    since = forms.DateField(label=_("Mandate from"), widget=DateInput())


class TermsForm(forms.Form):
    """The creditor's contractual late-payment rate and its general terms' PDF
    (``legal.services.terms_set``, as ``relance terms set --cgv-file``)."""

    kind = forms.ChoiceField(
        label=_("Contractual rate"),
        choices=[("multiple", _("A multiple of the taux légal (at least 3)")), ("rate", _("A fixed annual rate (%)"))],
    )
    value = AmountField(
        label=_("Multiple or rate"), min_value=Decimal("0"), max_digits=7, decimal_places=4, localize=True,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    reference = forms.CharField(label=_("Terms that stipulate it (e.g. CGV 2026, art. 9)"), max_length=200)
    cgv = forms.FileField(
        label=_("General terms (PDF)"), required=False,
        validators=[FileExtensionValidator(["pdf"])],
        help_text=_("Kept unchanged with its SHA-256: a dossier claiming this rate cites it as a pièce. "
                    "Without a new file, the one attached before is kept."),
    )


class LegalForm(forms.Form):
    """Move the case to the legal stage (``collection.legal_stage.case_legal``)."""

    route = forms.ChoiceField(label=_("Route"))
    reference = forms.CharField(label=_("Reference (optional)"), max_length=100, required=False)

    def __init__(self, *args: Any, routes: Iterable[tuple[str, Any]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["route"]).choices = list(routes)


class LegalDateForm(forms.Form):
    """Record a key date of the legal stage (``collection.legal_stage.legal_date_record``)."""

    key = forms.ChoiceField(label=_("Key date"))
    date = forms.DateField(label=_("Date"), widget=DateInput())

    def __init__(self, *args: Any, keys: Iterable[tuple[str, Any]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["key"]).choices = list(keys)


class InvoicesField(forms.MultipleChoiceField):
    widget = forms.CheckboxSelectMultiple


class DisputeOutcomeForm(forms.Form):
    invoices = InvoicesField(label=_("Invoices disputed"))
    reason = forms.CharField(label=_("Reason given"), max_length=500)

    def __init__(self, *args: Any, invoices: Iterable[Any] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice_field(self, "invoices").choices = [(i.number, i.number) for i in invoices]


class CallBackForm(forms.Form):
    date = forms.DateField(label=_("Call back on"), widget=DateInput())
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


class WrongNumberForm(forms.Form):
    phone = forms.CharField(label=_("Number called"), max_length=30, required=False)
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


class PaidAlreadyForm(forms.Form):
    date = forms.DateField(
        label=_("Paid on (as the debtor says)"), widget=DateInput(), required=False
    )
    note = forms.CharField(label=_("How it was paid"), max_length=500, required=False)


class NoAnswerForm(forms.Form):
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


OUTCOME_FORMS: dict[str, type[forms.Form]] = {
    "promise": PromiseForm,
    "dispute": DisputeOutcomeForm,
    "call_back": CallBackForm,
    "wrong_number": WrongNumberForm,
    "paid_already": PaidAlreadyForm,
    "no_answer": NoAnswerForm,
    "voicemail": NoAnswerForm,
    "invoice_not_received": NoAnswerForm,
    "cash_difficulty": NoAnswerForm,
}
OUTCOME_LABELS = {
    "promise": _("Promise to pay"),
    "dispute": _("Dispute"),
    "call_back": _("Call back"),
    "wrong_number": _("Wrong number"),
    "paid_already": _("Already paid"),
    "no_answer": _("No answer"),
    "voicemail": _("Message left"),
    "invoice_not_received": _("Invoice not received"),
    "cash_difficulty": _("Cash difficulties"),
}
# The outcomes one click records (no field to fill: an optional note at most), in their order
# on the card; the others carry a small form (an amount, a date, invoices).
ONE_CLICK_OUTCOMES = (
    "no_answer", "voicemail", "invoice_not_received", "cash_difficulty", "paid_already",
    "wrong_number",
)


def outcome_forms(
    action: Any, invoices: Iterable[Any], data: Any = None, only: str = "", owed: Any = None
) -> list[tuple[str, Any, forms.Form]]:
    """One form per outcome of call ``action``, prefixed so that many cards share a page; the
    promise's amount starts at ``owed``, what the debtor owes."""
    found = []
    for outcome, form_class in OUTCOME_FORMS.items():
        bound = data if outcome == only else None
        kwargs: dict[str, Any] = {"prefix": f"c{action.pk}-{outcome}"}
        if outcome == "dispute":
            kwargs["invoices"] = invoices
        if outcome == "promise" and bound is None and owed:
            kwargs["initial"] = {"amount": Decimal(owed).quantize(Decimal("0.01"))}
        if outcome == "wrong_number" and bound is None:
            kwargs["initial"] = {"phone": action.debtor.phone}
        found.append((outcome, OUTCOME_LABELS[outcome], form_class(bound, **kwargs)))
    return found


class TaskDoneForm(forms.Form):
    note = forms.CharField(label=_("What was found"), max_length=500, required=False)


class DisputeOpenForm(forms.Form):
    invoice = forms.ChoiceField(label=_("Invoice"))
    reason = forms.CharField(label=_("Reason for the dispute"), max_length=500)

    def __init__(self, *args: Any, invoices: Iterable[Any] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice_field(self, "invoice").choices = [(i.number, i.number) for i in invoices]


class PlanForm(forms.Form):
    instalments = forms.IntegerField(label=_("Number of instalments"), min_value=1, max_value=60)
    first = forms.DateField(label=_("First instalment on"), widget=DateInput())
    every = forms.ChoiceField(
        label=_("Every"),
        choices=[("1m", _("month")), ("2w", _("two weeks")), ("1w", _("week"))],
        initial="1m",
    )


RATE_TABLE_LABELS = {
    "ecb_mro": _("ECB main refinancing rate (B2B penalties, C. com. L441-10)"),
    "fr_legal_professional": _("Taux légal, creditor a professional"),
    "fr_legal_individual": _("Taux légal, creditor an individual"),
    "boe_base": _("Bank of England base rate (UK)"),
}


class RateForm(forms.Form):
    """A published rate, as ``relance rates add`` records it."""

    table = forms.ChoiceField(label=_("Rate"), choices=list(RATE_TABLE_LABELS.items()))
    from_date = forms.DateField(label=_("In force from"), widget=DateInput())
    rate = AmountField(
        label=_("Rate (% a year)"),
        min_value=Decimal("-5"),
        max_value=Decimal("50"),
        max_digits=7,
        decimal_places=4,
        localize=True,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    source = forms.CharField(
        label=_("Source (where it was published)"),
        max_length=300,
        help_text=_("e.g. ECB press release of 23 July 2026, or Arrêté du …, JO du …"),
    )
