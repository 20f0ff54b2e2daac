"""The CSV ledger's optional history columns: what was already done with a debtor before Relance.

``last_contact_step`` (a step of the debtor's scenario: ``reminder``, ``call``…) and
``last_contact_date`` (``YYYY-MM-DD`` or ``DD/MM/YYYY``) say, on any row of a debtor, the last
step of the chase done by hand and when; the import hands them to the collection app, which
resumes the chase after it (as ``relance case history add``). Both or neither: one without the
other, a bad date, a step that is not a word, or two rows of one debtor that disagree is a
problem with its line and column, and the file is refused whole. Whether the step is one of
the debtor's scenario is the collection app's to say.
"""

from __future__ import annotations

import re

from relance.domain.ledger import LastContact, ReadReport
from relance.domain.problems import N_, Problem
from relance.formats.ledger_csv_columns import HISTORY_ALIASES
from relance.formats.text import DateError, normalize_header, parse_date

_STEP = re.compile(r"[a-z0-9_-]{1,50}")


class HistoryColumns:
    """Reads the two columns of each row into ``report.contacts``, problems into ``report``."""

    def __init__(self, header: list[str], report: ReadReport, positions: dict[str, int]) -> None:
        self._header = header
        self._report = report
        self._step_at = positions["last_contact_step"]
        self._date_at = positions["last_contact_date"]

    @classmethod
    def from_header(cls, header: list[str], header_line: int, report: ReadReport) -> HistoryColumns | None:
        """The reader of the header's history columns; None when it has none (or, after a
        problem, only one of them)."""
        positions: dict[str, int] = {}
        for position, name in enumerate(header):
            field = HISTORY_ALIASES.get(normalize_header(name))
            if field and field not in positions:
                positions[field] = position
        if not positions:
            return None
        if len(positions) == 1:
            (present,) = positions
            missing = "last_contact_date" if present == "last_contact_step" else "last_contact_step"
            report.problems.append(Problem.of(
                "missing_column",
                N_("column %(present)s needs column %(missing)s: the last step done and its date go together"),
                header_line, header[positions[present]], present=present, missing=missing,
            ))
            return None
        return cls(header, report, positions)

    def read(self, row: list[str], line: int, account: str) -> None:
        """Record the row's last contact for ``account``, or the problem with it."""
        step = row[self._step_at].strip().lower()
        text = row[self._date_at].strip()
        if not step and not text:
            return
        problems = self._report.problems
        step_column, date_column = self._header[self._step_at], self._header[self._date_at]
        if not step or not text:
            problems.append(Problem.of(
                "empty_value",
                N_("the last step done and its date go together: %(name)s is empty"),
                line, date_column if step else step_column,
                name="last_contact_date" if step else "last_contact_step",
            ))
            return
        if not _STEP.fullmatch(step):
            problems.append(Problem.of(
                "bad_step", N_("%(value)r is not a step name (reminder, call, reminder_letter…)"),
                line, step_column, value=step,
            ))
            return
        try:
            day = parse_date(text)
        except DateError as exc:
            problems.append(Problem.from_error("bad_date", exc, line, date_column))
            return
        contacts = self._report.contacts
        known = contacts.get(account)
        if known is None:
            contacts[account] = LastContact(account, step, day, line, step_column)
        elif (known.step, known.day) != (step, day):
            problems.append(Problem.of(
                "history_conflict",
                N_("the last contact of %(account)s is %(step)s on %(date)s on line %(other)s, "
                   "not %(this_step)s on %(this_date)s"),
                line, step_column, account=account, step=known.step, date=known.day,
                other=known.line, this_step=step, this_date=day,
            ))
