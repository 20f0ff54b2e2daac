"""Every bank sample in ../shared/samples reads to its committed golden JSON.

Set ``RELANCE_UPDATE_GOLDEN=1`` to rewrite the golden files, then review the diff: the values
were checked by hand against the samples (see test_samples.py for the independent checks).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from relance.formats.bank import read_statement

REPO = Path(__file__).resolve().parents[3]
SAMPLES = REPO / ".." / "shared" / "samples"
GOLDEN = Path(__file__).resolve().parent / "golden"
FOLDERS = ("camt053", "camt054", "ofx", "cfonb")
FORMAT_OF_FOLDER = {"camt053": "camt053", "camt054": "camt054", "ofx": "ofx", "cfonb": "cfonb"}


def _samples() -> list[pytest.param]:  # type: ignore[valid-type]
    if not SAMPLES.is_dir():
        return [
            pytest.param(
                None,
                marks=pytest.mark.skip(
                    reason=f"sample files not found at {SAMPLES.resolve()} (clone with shared/ beside the repo)"
                ),
            )
        ]
    return [
        pytest.param(path, id=f"{folder}/{path.name}")
        for folder in FOLDERS
        for path in sorted((SAMPLES / folder).iterdir())
    ]


@pytest.mark.parametrize("sample", _samples())
def test_sample_reads_to_its_golden_file(sample: Path) -> None:
    report = read_statement(sample.read_bytes())
    assert report.format == FORMAT_OF_FOLDER[sample.parent.name]
    assert report.problems == ()
    produced = report.as_dict()
    golden = GOLDEN / f"{sample.name}.json"
    if os.environ.get("RELANCE_UPDATE_GOLDEN") == "1":
        golden.write_text(
            json.dumps(produced, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
    assert golden.is_file(), (
        f"no golden file {golden.name}; run with RELANCE_UPDATE_GOLDEN=1 and review it"
    )
    assert produced == json.loads(golden.read_text(encoding="utf-8"))


def test_every_golden_file_has_its_sample() -> None:
    if not SAMPLES.is_dir():
        pytest.skip("sample files not found")
    names = {path.name for folder in FOLDERS for path in (SAMPLES / folder).iterdir()}
    assert {path.name.removesuffix(".json") for path in GOLDEN.glob("*.json")} == names
