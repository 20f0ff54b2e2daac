"""The demo portfolio: a realistic French receivables ledger, deterministic for a seed.

It is written as an ordinary ledger CSV and taken in through the same import as a user's
file, so the demo exercises the real path and leaves an example file in ``var/``.
"""

from __future__ import annotations

import csv
import io
import random
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone
from stdnum import luhn

from relance.apps.creditors.models import Creditor
from relance.apps.creditors.services import creditor_create
from relance.apps.ledger.services import ledger_import

DEMO_CREDITOR = "Atelier Lumière SAS"
DEMO_USERNAME = "demo"

_SURNAMES = [
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy",
    "Moreau", "Simon", "Laurent", "Lefebvre", "Michel", "Garcia", "David", "Bertrand", "Roux",
    "Vincent", "Fournier", "Morel", "Girard", "André", "Lefèvre", "Mercier", "Dupont", "Lambert",
    "Bonnet", "François", "Martinez", "Legrand", "Garnier", "Faure", "Rousseau", "Blanc",
    "Guérin", "Muller", "Henry", "Roussel", "Nicolas", "Perrin", "Morin", "Mathieu", "Clément",
]
_FIRST = [
    "Camille", "Léa", "Manon", "Chloé", "Inès", "Hugo", "Lucas", "Louis", "Jules", "Gabriel",
    "Élodie", "Nathalie", "Sophie", "Pierre", "Jean", "Marc", "Isabelle", "Thierry", "Céline",
]
_TRADES = [
    ("Boulangerie", "SARL"), ("Menuiserie", "SARL"), ("Transports", "SAS"), ("Imprimerie", "SAS"),
    ("Garage", "SARL"), ("Pharmacie", "SELARL"), ("Cabinet", "SCP"), ("Hôtel", "SAS"),
    ("Restaurant", "SARL"), ("Plomberie", "EURL"), ("Électricité", "SARL"), ("Librairie", "SAS"),
    ("Agence", "SAS"), ("Bureau d'études", "SAS"), ("Fromagerie", "SARL"), ("Atelier", "SAS"),
    ("Domaine", "SCEA"), ("Clinique vétérinaire", "SELARL"), ("Maçonnerie", "SARL"),
]
_PUBLIC = ["Mairie de", "Communauté de communes de", "Lycée professionnel de", "Centre hospitalier de"]
_CITIES = [
    ("75011", "Paris"), ("69003", "Lyon"), ("13006", "Marseille"), ("31000", "Toulouse"),
    ("33000", "Bordeaux"), ("44000", "Nantes"), ("59000", "Lille"), ("67000", "Strasbourg"),
    ("35000", "Rennes"), ("34000", "Montpellier"), ("06000", "Nice"), ("21000", "Dijon"),
    ("37000", "Tours"), ("63000", "Clermont-Ferrand"), ("87000", "Limoges"), ("29200", "Brest"),
    ("38000", "Grenoble"), ("49000", "Angers"), ("76000", "Rouen"), ("86000", "Poitiers"),
]
_STREETS = [
    "rue de la République", "avenue Jean Jaurès", "rue Victor Hugo", "boulevard Gambetta",
    "rue du Commerce", "place de la Mairie", "rue des Écoles", "chemin des Vignes",
    "rue Pasteur", "avenue de la Gare", "rue Nationale", "quai des Chartrons",
]


def _siren(rng: random.Random) -> str:
    body = f"{rng.randrange(10_000_000, 99_999_999)}"
    return body + luhn.calc_check_digit(body)


def _slug(name: str) -> str:
    import unicodedata

    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return "".join(c if c.isalnum() else "-" for c in text).strip("-").replace("--", "-")


def demo_ledger_csv(*, invoices: int, seed: int, as_of: date) -> str:
    """The demo ledger as a French CSV (``;``, comma decimals, dd/mm/yyyy), as accountants export it."""
    rng = random.Random(seed)
    n_debtors = max(5, invoices // 6)
    debtors = []
    for i in range(n_debtors):
        roll = rng.random()
        postal, city = rng.choice(_CITIES)
        address = f"{rng.randint(1, 180)} {rng.choice(_STREETS)}"
        if roll < 0.68:
            trade, form = rng.choice(_TRADES)
            name = f"{trade} {rng.choice(_SURNAMES)} {form}"
            kind, siren = "entreprise", _siren(rng)
            email = f"compta@{_slug(name)}.example"
        elif roll < 0.95:
            first, last = rng.choice(_FIRST), rng.choice(_SURNAMES)
            name, kind, siren = f"{first} {last}", "particulier", ""
            email = f"{_slug(first)}.{_slug(last)}@courriel.example"
        else:
            name, kind, siren = f"{rng.choice(_PUBLIC)} {city}", "public", _siren(rng)
            email = f"comptabilite@{_slug(city)}-collectivite.example"
        phone = f"0{rng.randint(1, 5)} {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)}"
        debtors.append((f"411{i + 1:05d}", name, kind, siren, email, phone, address, postal, city))

    out = io.StringIO()
    w = csv.writer(out, delimiter=";", lineterminator="\n")
    w.writerow([
        "Numéro facture", "Compte client", "Raison sociale", "Type client", "SIREN", "Email",
        "Téléphone", "Adresse", "Code postal", "Ville", "Pays", "Date facture", "Date échéance",
        "Devise", "Montant TTC", "Reste dû",
    ])
    # A few debtors carry most of the book, as in real portfolios.
    weights = [rng.paretovariate(1.3) for _ in debtors]
    rows = []
    for _ in range(invoices):
        d = rng.choices(debtors, weights)[0]
        issue = as_of - timedelta(days=rng.randint(3, 548))
        terms = 0 if d[2] == "particulier" and rng.random() < 0.5 else rng.choice((30, 30, 30, 45, 60))
        due = issue + timedelta(days=terms)
        if d[2] == "particulier":
            total = Decimal(rng.randint(4_000, 250_000)) / 100
        else:
            total = Decimal(int(rng.lognormvariate(7.6, 0.9) * 100)) / 100
        late = (as_of - due).days
        roll = rng.random()
        if late > 90:
            paid_share = 1 if roll < 0.86 else (0 if roll < 0.95 else rng.choice((0.3, 0.5)))
        elif late > 0:
            paid_share = 1 if roll < 0.45 else (0 if roll < 0.88 else rng.choice((0.25, 0.5)))
        else:
            paid_share = 1 if roll < 0.12 else 0
        open_amount = (total - (total * Decimal(str(paid_share))).quantize(Decimal("0.01"))) if paid_share else total
        rows.append((issue, d, due, total, open_amount))
    rows.sort(key=lambda r: r[0])
    for n, (issue, d, due, total, open_amount) in enumerate(rows, start=1):
        number = f"FA-{issue.year}-{n:05d}"
        w.writerow([
            number, d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8], "FR",
            issue.strftime("%d/%m/%Y"), due.strftime("%d/%m/%Y"), "EUR",
            f"{total:.2f}".replace(".", ","), f"{open_amount:.2f}".replace(".", ","),
        ])
    return out.getvalue()


def demo_load(
    *, invoices: int = 400, seed: int = 2026, as_of: date | None = None, login: bool = False
) -> dict[str, Any]:
    """Create the demo creditor and import the demo ledger (again: it is idempotent).

    ``login`` (``make demo`` only): a superuser ``demo`` with a new random password, returned
    once. Never a fixed password: an install that ran the demo would keep a login everyone
    knows."""
    day = as_of or timezone.localdate()
    creditor = Creditor.objects.filter(name=DEMO_CREDITOR).first() or creditor_create(
        name=DEMO_CREDITOR,
        siren="552100554",
        vat_number="FR96552100554",
        iban="FR7630006000011234567890189",
        email="recouvrement@atelier-lumiere.example",
        phone="04 72 00 00 00",
        address="12 rue des Tanneurs",
        postal_code="69002",
        city="Lyon",
        payment_terms_days=30,
        signature="Claire Fontaine, responsable du recouvrement",
    )
    text = demo_ledger_csv(invoices=invoices, seed=seed, as_of=day)
    path = Path(settings.VAR_DIR) / "demo-ledger.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    with path.open("rb") as stream:
        result = ledger_import(creditor=creditor, stream=stream, filename=path.name, as_of=day, actor="demo")
    summary: dict[str, Any] = {
        "creditor": {"id": creditor.pk, "name": creditor.name},
        "debtors": creditor.debtors.count(),
        "import": result.as_dict(),
        "ledger_file": str(path),
    }
    if login:
        import secrets

        user_model = get_user_model()
        password = secrets.token_urlsafe(12)
        user = user_model.objects.filter(username=DEMO_USERNAME).first()
        if user is None:
            user_model.objects.create_superuser(DEMO_USERNAME, "demo@relance.example", password)
        else:
            user.set_password(password)
            user.save(update_fields=["password"])
        summary["login"] = {"username": DEMO_USERNAME, "password": password}
    return summary
