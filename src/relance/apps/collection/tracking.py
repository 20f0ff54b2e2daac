"""Registered letters' tracking numbers from a CSV file (as La Poste's online services export
them, or typed in a spreadsheet): taken whole or not at all.

One row per letter. The letter is named by its action id (column ``action``) or by the
reference it bears (``référence``: ``R-2026-0012``, the case's reference, whose one printed
registered letter still waiting is meant); then its tracking number (``numéro``, ``numéro de
suivi``, ``tracking``), and when known the date on the acknowledgement (``date de
distribution``, ``date AR``, ``received``) or that it came back unclaimed (``non réclamé``:
oui / x / 1). Columns are recognised whatever their case and accents; ``;``, ``,`` or tabs
separate them. Each row is checked, then recorded with ``letters.letter_deliver`` (the same
checks as ``relance actions deliver``); one problem anywhere, and nothing is recorded: the
problems say each line and why.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime

from django.db import transaction

from relance.apps.collection.letters import letter_deliver
from relance.apps.collection.models import Action, Step
from relance.apps.creditors.models import Creditor
from relance.domain.errors import InvalidInputError, RelanceError
from relance.domain.problems import N_, Problem

MAX_ROWS = 5000
COLUMNS = {
    "action": ("action", "id", "id action"),
    "reference": ("reference", "ref", "reference client", "votre reference", "reference courrier"),
    "tracking": (
        "numero", "numero de suivi", "n de suivi", "suivi", "tracking", "tracking number",
        "numero d envoi", "numero lr", "numero recommande",
    ),
    "received": (
        "date de distribution", "date de reception", "date ar", "date avis de reception",
        "received", "distribue le",
    ),
    "not_claimed": ("non reclame", "not claimed", "retour non reclame"),
}
TRACKING = re.compile(r"^[0-9A-Z]{8,20}$")
REFERENCE = re.compile(r"^R-\d{4}-(\d+)$")
YES = {"oui", "o", "x", "1", "yes", "y", "true", "vrai"}


class TrackingFileError(InvalidInputError):
    """A tracking file refused whole: ``problems`` says each line and why."""

    code = "tracking_file"

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(
            N_("the tracking file was refused, nothing was recorded: %(count)s problem(s)"),
            params={"count": len(problems)},
        )
        self.problems = tuple(problems)


@dataclass(frozen=True)
class TrackingRow:
    line: int
    action_id: int
    tracking: str
    received: date | None
    not_claimed: bool


def _key(header: str) -> str:
    text = unicodedata.normalize("NFKD", header).encode("ascii", "ignore").decode().lower()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


def _date(text: str) -> date:
    for fmt in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return datetime.strptime(text, fmt).date()  # noqa: DTZ007 (a date, not a moment)
        except ValueError:
            continue
    raise ValueError(text)


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252")


def tracking_file_read(*, creditor: Creditor, data: bytes) -> tuple[list[TrackingRow], list[Problem]]:
    """The rows of a tracking file and every problem found, each with its line (the header is
    line 1). Reads only."""
    problems: list[Problem] = []
    text = _decode(data)
    if not text.strip():
        return [], [Problem.of("empty", N_("the file is empty"))]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(
            text.splitlines()[0], delimiters=";,\t"
        )
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    header = next(reader)
    found: dict[str, int] = {}
    for n, name in enumerate(header):
        for column, names in COLUMNS.items():
            if _key(name) in names and column not in found:
                found[column] = n
    if "tracking" not in found or not ({"action", "reference"} & set(found)):
        return [], [
            Problem.of(
                "header",
                N_(
                    "the first line must name the columns: the letter (action or référence) "
                    "and its tracking number (numéro)"
                ),
                line=1,
            )
        ]
    raw: list[tuple[int, dict[str, str]]] = []
    for line, record in enumerate(reader, start=2):
        if not any(c.strip() for c in record):
            continue
        if len(raw) >= MAX_ROWS:
            problems.append(
                Problem.of("too_many", N_("at most %(count)s rows in one file"), line=line,
                           count=MAX_ROWS)
            )
            break
        raw.append(
            (line, {c: record[n].strip() if n < len(record) else "" for c, n in found.items()})
        )
    # The letters the file may name: the creditor's registered letters printed and waiting.
    waiting: dict[int, int] = dict(
        Action.objects.filter(
            creditor=creditor,
            channel=Step.Channel.REGISTERED_LETTER,
            state=Action.State.SENT,
            received_date__isnull=True,
            not_claimed=False,
        ).values_list("pk", "case_id")
    )
    by_case: dict[int, list[int]] = {}
    for pk, case_id in waiting.items():
        by_case.setdefault(case_id, []).append(pk)
    rows: list[TrackingRow] = []
    seen: dict[int, int] = {}
    for line, cells in raw:
        action_id = _letter(line, cells, waiting, by_case, problems)
        tracking = cells["tracking"].replace(" ", "").upper()
        if not TRACKING.match(tracking):
            problems.append(
                Problem.of(
                    "tracking",
                    N_("%(value)r is not a tracking number (8 to 20 letters and digits)"),
                    line=line, value=cells["tracking"],
                )
            )
        received = None
        if cells.get("received"):
            try:
                received = _date(cells["received"])
            except ValueError:
                problems.append(
                    Problem.of("bad_date", N_("%(value)r is not a date (DD/MM/YYYY)"),
                               line=line, value=cells["received"])
                )
        not_claimed = _key(cells.get("not_claimed", "")) in YES
        if action_id is None:
            continue
        if action_id in seen:
            problems.append(
                Problem.of("twice", N_("the same letter is already on line %(other)s"),
                           line=line, other=seen[action_id])
            )
            continue
        seen[action_id] = line
        rows.append(TrackingRow(line, action_id, tracking, received, not_claimed))
    if not rows and not problems:
        problems.append(Problem.of("empty", N_("the file lists no letter")))
    return rows, problems


def _letter(
    line: int,
    cells: dict[str, str],
    waiting: dict[int, int],
    by_case: dict[int, list[int]],
    problems: list[Problem],
) -> int | None:
    if cells.get("action"):
        value = cells["action"]
        if value.isdigit() and int(value) in waiting:
            return int(value)
        problems.append(
            Problem.of(
                "unknown_letter",
                N_("no printed registered letter waiting for its tracking has the id %(value)s"),
                line=line, value=value,
            )
        )
        return None
    value = cells.get("reference", "").upper()
    matched = REFERENCE.match(value)
    letters = by_case.get(int(matched.group(1)), []) if matched else []
    if len(letters) == 1:
        return letters[0]
    problems.append(
        Problem.of(
            "unknown_letter",
            N_("no printed registered letter waiting for its tracking bears the reference %(value)r")
            if not letters
            else N_("%(value)r names more than one letter: give the action's id instead"),
            line=line, value=value,
        )
    )
    return None


def tracking_file_import(
    *, creditor: Creditor, data: bytes, actor: str = "system", returned: date | None = None
) -> list[Action]:
    """Record every row of the file (``letter_deliver``), or nothing: ``TrackingFileError``
    lists each problem with its line. ``returned``: the day unclaimed letters came back."""
    rows, problems = tracking_file_read(creditor=creditor, data=data)
    if problems:
        raise TrackingFileError(problems)
    done: list[Action] = []
    with transaction.atomic():
        for row in rows:
            try:
                done.append(
                    letter_deliver(
                        action_id=row.action_id, tracking=row.tracking, received=row.received,
                        not_claimed=row.not_claimed, actor=actor,
                        returned=returned if row.not_claimed else None,
                    )
                )
            except RelanceError as exc:
                problems.append(Problem.from_error(exc.code, exc, line=row.line))
        if problems:
            raise TrackingFileError(problems)
    return done
