"""The words Relance uses for its codes, in French and English, in one place.

A code (a channel ``registered_letter``, a step ``formal_notice``, an action state ``skipped``,
a timeline event ``promise.broken``, a debtor kind ``public``) is stored and typed in English;
people read it through one of these tables:

* ``Term`` tables (``CHANNELS``, ``STEPS``, ``STATES``, ``EVENTS``, ``KINDS``): the label a
  page, a list or a form shows, in French and in English; ``LETTER_CHANNELS`` the fuller
  wording a letter uses when it recounts earlier attempts ("lettre recommandée avec accusé de
  réception").
* ``*_WORDS``: the code as a refusal names it, a translatable ``Phrase`` whose English is the
  code itself ("action 12 is skipped"), as the CLI and the API have always said it; the
  workspace says it again in French through its catalogue.

The workspace's pages (``apps/workspace/views/labels.py``), the letters
(``documents/context.py``), the refusals of the services and the CLI's choices all read these
tables; a new channel, step or state is named here once. Pure: no Django.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from relance.domain.problems import N_, Phrase


@dataclass(frozen=True, slots=True)
class Term:
    """One code's label in each language the workspace and the letters speak."""

    en: str
    fr: str

    def say(self, lang: str) -> str:
        """The label in ``lang`` ("fr", "fr-fr", "en"...): French for any French, else English.

        >>> Term("registered letter", "lettre recommandée").say("fr")
        'lettre recommandée'
        >>> Term("registered letter", "lettre recommandée").say("en-gb")
        'registered letter'
        """
        return self.fr if lang.lower().startswith("fr") else self.en


# Where French is read: a debtor there is written to in French, any other in English (the only
# other language Relance's letters exist in). Metropolitan France, its overseas departments and
# collectivities, and the French-speaking neighbours.
FRENCH_SPEAKING = frozenset(
    ["FR", "GP", "MQ", "GF", "RE", "YT", "PM", "BL", "MF", "NC", "PF", "WF", "BE", "LU", "MC", "CH"]
)


def debtor_language(country: str) -> str:
    """The language a new debtor in ``country`` is written to in, until a person says otherwise.

    >>> debtor_language("FR"), debtor_language("be"), debtor_language("GB"), debtor_language("DE")
    ('fr', 'fr', 'en', 'en')
    """
    code = (country or "FR").strip().upper()
    return "fr" if code in FRENCH_SPEAKING or not code else "en"


def say(table: Mapping[str, Term], code: str, lang: str) -> str:
    """``code``'s label in ``table``, or the code itself when the table does not know it.

    >>> say(CHANNELS, "registered_letter", "fr")
    'lettre recommandée'
    >>> say(CHANNELS, "carrier_pigeon", "fr")
    'carrier_pigeon'
    """
    term = table.get(code)
    return term.say(lang) if term is not None else code


CHANNELS: Mapping[str, Term] = {
    "email": Term("e-mail", "e-mail"),
    "letter": Term("letter", "lettre"),
    "registered_letter": Term("registered letter", "lettre recommandée"),
    "call": Term("call", "appel"),
    "sms": Term("SMS", "SMS"),
    "task": Term("task", "tâche"),
}

# How a letter names the channel of an earlier attempt ("le 3 mars, par courrier simple").
LETTER_CHANNELS: Mapping[str, Term] = {
    "email": Term("e-mail", "courriel"),
    "letter": Term("letter", "courrier simple"),
    "registered_letter": Term(
        "registered letter with acknowledgement of receipt",
        "lettre recommandée avec accusé de réception",
    ),
    "call": Term("phone call", "appel téléphonique"),
    "sms": Term("text message", "SMS"),
    "task": Term("step", "démarche"),
}

TASKS: Mapping[str, Term] = {
    "find_number": Term("Find the right phone number", "Trouver le bon numéro de téléphone"),
    "check_payment": Term(
        "Check the bank for the announced payment", "Vérifier en banque le paiement annoncé"
    ),
    "time_barred": Term(
        "Claim time-barred: no court threat sent, check it",
        "Créance prescrite : aucune menace de procédure envoyée, à vérifier",
    ),
    "offer_plan": Term(
        "Offer a payment plan (cash difficulties)",
        "Proposer un échéancier (difficultés de trésorerie)",
    ),
    "plan_proposal": Term("Payment plan proposed by the debtor", "Échéancier proposé par le débiteur"),
}

STEPS: Mapping[str, Term] = {
    "courtesy": Term("Courtesy reminder", "Rappel de courtoisie"),
    "reminder": Term("Reminder", "Relance"),
    "invoice_again": Term("Invoice sent again", "Facture renvoyée"),
    "call": Term("Call", "Appel"),
    "final_reminder": Term("Final reminder", "Dernière relance"),
    "reminder_letter": Term("Reminder letter", "Lettre de relance"),
    "formal_notice": Term("Formal notice", "Mise en demeure"),
    "escalation": Term("Escalation", "Escalade"),
    "thank_you": Term("Thank-you for the payment", "Remerciement pour le paiement"),
    "promise_confirmation": Term("Promise confirmed", "Confirmation de la promesse"),
    "plan_confirmation": Term("Payment plan confirmed", "Confirmation de l’échéancier"),
    "plan_declined": Term("Proposed payment plan declined", "Refus de l’échéancier proposé"),
    **TASKS,
}

# An action's state as a list or the timeline shows it (feminine in French: "une action").
STATES: Mapping[str, Term] = {
    "planned": Term("Planned", "Prévue"),
    "approved": Term("Approved", "Approuvée"),
    "sending": Term("Sending", "En cours d’envoi"),
    "sent": Term("Done", "Fait"),
    "uncertain": Term("Not known to have arrived", "Arrivée incertaine"),
    "failed": Term("Failed", "Échec"),
    "cancelled": Term("Cancelled", "Annulée"),
    "skipped": Term("Skipped", "Écartée"),
}

# What the debtor's timeline shows for each kind of event it lists.
EVENTS: Mapping[str, Term] = {
    **{f"action.{state}": term for state, term in STATES.items()},
    "action.not_sent": Term("Not sent", "Non envoyée"),
    "declared": Term("Done outside Relance", "Faite hors de Relance"),
    "contact.declared": Term("Contact declared", "Démarche déclarée"),
    "call": Term("Call", "Appel"),
    "promise.open": Term("Promise", "Promesse"),
    "promise.kept": Term("Promise kept", "Promesse tenue"),
    "promise.broken": Term("Promise broken", "Promesse non tenue"),
    "dispute.open": Term("Dispute open", "Litige ouvert"),
    "dispute.closed": Term("Dispute closed", "Litige clos"),
    "plan.active": Term("Payment plan", "Échéancier"),
    "plan.completed": Term("Payment plan completed", "Échéancier honoré"),
    "plan.broken": Term("Payment plan broken", "Échéancier rompu"),
    "plan.proposed": Term("Payment plan proposed", "Échéancier proposé"),
    "payment": Term("Payment", "Paiement"),
    "debtor.held": Term("Chasing paused", "Relances suspendues"),
    "debtor.released": Term("Chasing resumed", "Relances reprises"),
    "debtor.notes_changed": Term("Notes changed", "Notes modifiées"),
    "debtor.changed": Term("Debtor details changed", "Fiche du débiteur modifiée"),
    "debtor.contact_added": Term("Contact added", "Contact ajouté"),
    "debtor.contact_removed": Term("Contact removed", "Contact retiré"),
    "ledger.invoice_updated": Term("Invoice changed", "Facture modifiée"),
    "ledger.invoice_settled": Term("Invoice settled", "Facture soldée"),
    "case.written_off": Term("Written off", "Passé en perte"),
    "legal.dossier_built": Term("Dossier built", "Dossier constitué"),
    "cost.recorded": Term("Recovery costs recorded, with proof", "Frais de recouvrement justifiés"),
    "legal.stage_entered": Term("Legal stage", "Phase judiciaire"),
    "legal.date_recorded": Term("Legal stage: key date", "Phase judiciaire : date clé"),
    "legal.status_reported": Term("Status reported by the agency or lawyer", "Statut transmis par le mandataire"),
    "ledger.conflict": Term(
        "The accounts disagree with a payment received", "Comptabilité en désaccord avec un paiement reçu"
    ),
}

# Where a claim goes when the amicable path ends (``domain/law/routes.py``).
ROUTES: Mapping[str, Term] = {
    "injonction": Term("Order for payment (injonction de payer)", "Injonction de payer"),
    "psrpc": Term(
        "Small-claims procedure (commissaire de justice, up to 5,000 €)",
        "Procédure simplifiée de recouvrement des petites créances (jusqu’à 5 000 €)",
    ),
    "refere-provision": Term(
        "Interim payment before the administrative court (public buyer)",
        "Référé-provision devant le tribunal administratif (acheteur public)",
    ),
    "agency": Term("Hand-off to a collection agency", "Transmission à une société de recouvrement"),
    "lawyer": Term(
        "Hand-off to a lawyer or commissaire de justice",
        "Transmission à un avocat ou un commissaire de justice",
    ),
}

# Why a claim is written off (``domain/law/write_off.py``).
WRITE_OFF_REASONS: Mapping[str, Term] = {
    "insolvency": Term("Debtor insolvent", "Débiteur insolvable"),
    "prescription": Term("Time-barred", "Créance prescrite"),
    "too_small": Term("Amount too small to pursue", "Montant trop faible pour être poursuivi"),
}

# Heads of claim a letter's breakdown names besides the principal, interest and indemnities.
CLAIMS: Mapping[str, Term] = {
    "complement": Term(
        "Additional compensation for recovery costs, on proof",
        "Indemnisation complémentaire sur justification",
    ),
    "costs_incurred": Term("costs incurred", "frais exposés"),
    "less_indemnities": Term("less the fixed compensation", "moins les indemnités forfaitaires"),
}

# The legal stage (``relance.domain.law.procedure``): its routes, key dates and reminders.
# The same routes as the dossier's (one table).
LEGAL_ROUTES: Mapping[str, Term] = ROUTES
LEGAL_DATES: Mapping[str, Term] = {
    "filed": Term("Dossier filed", "Dossier déposé"),
    "order_issued": Term("Order issued", "Ordonnance rendue"),
    "order_served": Term("Order served", "Ordonnance signifiée"),
    "formula_requested": Term("Enforcement formula requested", "Formule exécutoire demandée"),
    "judgment": Term("Judgment", "Jugement"),
    "enforceable": Term("Judgment enforceable", "Jugement exécutoire"),
}
LEGAL_REMINDERS: Mapping[str, Term] = {
    "serve_order": Term("Serve the order by", "Faire signifier l’ordonnance avant le"),
    "opposition_period": Term("Opposition possible until", "Opposition possible jusqu’au"),
    "request_formula": Term(
        "No opposition: request the enforcement formula", "Sans opposition : demander la formule exécutoire"
    ),
    "judgment_majoration": Term(
        "Judgment interest now +5 points: update the claim",
        "Intérêts du jugement majorés de 5 points : mettre le décompte à jour",
    ),
    "abandoned": Term(
        "Given up by the agency or lawyer: choose another route or write off",
        "Abandonné par le mandataire : choisir une autre voie ou passer en perte",
    ),
}

# Where a payment came from, as the dashboard's breakdown of what was collected names it.
ORIGINS: Mapping[str, Term] = {
    "bank": Term("Bank statement", "Relevé bancaire"),
    "manual": Term("Recorded by hand", "Saisi à la main"),
    "ledger": Term("Settled per the accounts", "Réglé selon la comptabilité"),
    "credit": Term("Credit note applied", "Avoir imputé"),
}

# The role a contact holds at the debtor (``Contact.role``).
CONTACT_ROLES: Mapping[str, Term] = {
    "accounts_payable": Term("Accounts payable", "Comptabilité fournisseurs"),
    "invoices": Term("Receives the invoices", "Réception des factures"),
    "management": Term("Management", "Direction"),
    "purchasing": Term("Purchasing", "Achats"),
    "other": Term("Other", "Autre"),
}

KINDS: Mapping[str, Term] = {
    "business": Term("Business", "Entreprise"),
    "consumer": Term("Consumer", "Particulier"),
    "public": Term("Public body", "Personne publique"),
}


# --- codes in refusals ------------------------------------------------------------------------
# Spelled out (not built from the tables) so that `makemessages -k N_` collects each one.

STATE_WORDS: Mapping[str, Phrase] = {
    "planned": Phrase.of(N_("planned")),
    "approved": Phrase.of(N_("approved")),
    "sending": Phrase.of(N_("sending")),
    "sent": Phrase.of(N_("sent")),
    "uncertain": Phrase.of(N_("uncertain")),
    "failed": Phrase.of(N_("failed")),
    "cancelled": Phrase.of(N_("cancelled")),
    "skipped": Phrase.of(N_("skipped")),
}
CHANNEL_WORDS: Mapping[str, Phrase] = {
    "email": Phrase.of(N_("email")),
    "letter": Phrase.of(N_("letter")),
    "registered_letter": Phrase.of(N_("registered_letter")),
    "call": Phrase.of(N_("call")),
    "sms": Phrase.of(N_("sms")),
    "task": Phrase.of(N_("task")),
}


def state_word(state: str) -> Phrase | str:
    """An action's state for a refusal: translatable when it is a known one."""
    return STATE_WORDS.get(state, state)


def channel_word(channel: str) -> Phrase | str:
    """A step's channel for a refusal: translatable when it is a known one."""
    return CHANNEL_WORDS.get(channel, channel)
