"""Plumbing shared by the ledger readers: the fast record constructor."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal

import pytest

from relance.domain.ledger import DebtorRecord, InvoiceRecord
from relance.formats.text import record_maker


def test_a_record_made_fast_is_the_frozen_record_itself() -> None:
    debtor = DebtorRecord("C1", "Dupont")
    values = ("F1", debtor, date(2026, 1, 1), date(2026, 1, 31), Decimal(5), Decimal(2), "EUR", 2)
    make = record_maker(InvoiceRecord)

    made = make(*values)

    assert make is not InvoiceRecord
    assert type(made) is InvoiceRecord
    assert made == InvoiceRecord(*values)
    assert hash(made) == hash(InvoiceRecord(*values))
    assert repr(made) == repr(InvoiceRecord(*values))
    assert dataclasses.astuple(made)[0] == "F1"
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.number = "F2"  # type: ignore[misc]


def test_debtor_records_are_made_fast_too() -> None:
    fields = ("C1", "Dupont", "consumer", "", "", "", "", "", "Paris", "FR")

    assert record_maker(DebtorRecord)(*fields) == DebtorRecord(*fields)  # type: ignore[arg-type]


@dataclasses.dataclass(frozen=True, slots=True)
class _Checked:
    value: int

    def __post_init__(self) -> None:
        if self.value < 0:
            raise ValueError("negative")


@dataclasses.dataclass(frozen=True)
class _Unslotted:
    value: int


@dataclasses.dataclass(frozen=True, slots=True)
class _Base:
    value: int


@dataclasses.dataclass(frozen=True, slots=True)
class _Derived(_Base):
    other: int = 0


@pytest.mark.parametrize("cls", [_Checked, _Unslotted, _Derived, int])
def test_other_classes_keep_their_own_constructor(cls: type) -> None:
    assert record_maker(cls) is cls
