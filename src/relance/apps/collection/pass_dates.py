"""Which day a daily pass may run for: dates are facts, a pass never goes back in time.

A pass for day D closes the cases of what was paid by D, plans what falls due by D, and
records what it did as of D. Run for a day before the creditor's last real pass, it would see
debts not yet due and chase them over again (and, before, it closed every case as paid); run
for a day after today, it would send tomorrow's letters today. So a real pass runs for a day
between the creditor's last real pass (``Creditor.last_pass_on``) and today; a dry run
(which writes nothing) may look at any day.
"""

from __future__ import annotations

from datetime import date

from relance.apps.creditors.models import Creditor
from relance.domain.errors import RefusedNowError
from relance.domain.problems import N_

PASS_IN_THE_FUTURE = N_(
    "a pass for %(as_of)s, after today (%(today)s), is refused: it would send tomorrow's "
    "messages today; run it with --dry-run to see that day"
)
PASS_BEFORE_THE_LAST = N_(
    "a pass for %(as_of)s is refused: %(creditor)s's last pass ran for %(last)s, and a pass "
    "may not go back in time (it would chase again what was already chased); run it with "
    "--dry-run to see that day"
)


def pass_date_check(*, creditor: Creditor, as_of: date, today: date, dry_run: bool) -> None:
    """Refuse a real pass for ``creditor`` on ``as_of`` after ``today`` or before its last one."""
    if dry_run:
        return
    if as_of > today:
        raise RefusedNowError(
            PASS_IN_THE_FUTURE,
            params={"as_of": as_of.isoformat(), "today": today.isoformat()},
        )
    last = creditor.last_pass_on
    if last is not None and as_of < last:
        raise RefusedNowError(
            PASS_BEFORE_THE_LAST,
            params={
                "as_of": as_of.isoformat(),
                "creditor": creditor.name,
                "last": last.isoformat(),
            },
        )


def pass_horizon(*, creditor: Creditor, as_of: date) -> date:
    """The day up to which a pass reckons what is due: never before the last real pass, so an
    earlier day (a dry run's) makes no debt look not yet due, hence paid."""
    last = creditor.last_pass_on
    return max(as_of, last) if last is not None else as_of
