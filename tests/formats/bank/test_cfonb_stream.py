"""CFONB 120 read as it streams: detected by content at any size, a file without line breaks of
any length read the same, and a 200 MB line refused in bounded memory (issue 15)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from relance.formats.bank import detect_format, read_statement
from relance.formats.cfonb import MAX_OPERATIONS, MAX_PROBLEMS

REPO = Path(__file__).resolve().parents[3]


def sample_records(samples: Path) -> tuple[str, list[str], str]:
    """The sample's old balance, its operations with their complements, and its new balance."""
    lines = (samples / "cfonb/oca-cfonb_classic.cfo").read_text("latin-1").splitlines()
    opening = next(line for line in lines if line.startswith("01"))
    closing = next(line for line in lines if line.startswith("07"))
    body = lines[lines.index(opening) + 1 : lines.index(closing)]
    return opening, body, closing


def one_line(samples: Path, repeat: int) -> bytes:
    opening, body, closing = sample_records(samples)
    return (opening + "".join(body) * repeat + closing).encode("latin-1")


def test_a_file_without_line_breaks_over_64_kb_is_detected_and_read(samples: Path):
    data = one_line(samples, 60)  # 60 × 12 operations and complements: ~ 110 KB on one line
    assert len(data) > 65536
    assert b"\n" not in data

    assert detect_format(data) == "cfonb"
    report = read_statement(data)

    assert report.format == "cfonb"
    _, body, _ = sample_records(samples)
    assert len(report.lines) == 60 * sum(record.startswith("04") for record in body)
    assert [p.code for p in report.problems] == []
    assert "without line breaks" in report.notes[0]


def test_a_stream_reads_exactly_as_the_bytes(samples: Path):
    data = one_line(samples, 3)
    from_bytes = read_statement(data)
    from_stream = read_statement(io.BytesIO(data))
    assert from_stream.as_dict() == from_bytes.as_dict()


def test_a_line_of_garbage_stops_at_the_problem_cap():
    data = b"0199999" + b"x" * (120 * 5000 - 7)
    report = read_statement(io.BytesIO(data), format="cfonb")
    assert len(report.problems) == MAX_PROBLEMS + 1
    assert report.problems[-1].code == "cfonb_too_many_problems"


# The command in its own process, its peak memory read from VmHWM: ru_maxrss would count the
# test process it was forked from (Linux keeps the larger across execve).
RUN = """
import json, re, sys
from pathlib import Path
from relance import cli
code = cli.main(["import", "bank", sys.argv[1], "--format", "cfonb", "--creditor", "1", "--json"])
peak = int(re.search(r"VmHWM:\\s+(\\d+) kB", Path("/proc/self/status").read_text())[1])
print(json.dumps({"code": code, "rss_mb": peak / 1024}), file=sys.stderr)
"""


@pytest.mark.parametrize("content", ["operations", "garbage"])
def test_a_200_mb_line_forced_as_cfonb_is_refused_in_bounded_memory(samples: Path, tmp_path: Path, content: str):
    """Not a timing test: the outcome and the peak memory of the real command, in its own process."""
    path = tmp_path / "big.cfo"
    opening, body, _closing = sample_records(samples)
    unit = "".join(body).encode("latin-1") if content == "operations" else b"9" * 120 * 100
    with path.open("wb") as out:
        out.write(opening.encode("latin-1"))
        block = unit * max(1, (1 << 20) // len(unit))
        while out.tell() < 200 * 1024 * 1024:
            out.write(block)
    env = {**os.environ, "RELANCE_HOME": str(tmp_path), "RELANCE_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    env["PYTHONPATH"] = str(REPO / "src")
    python = sys.executable
    for args in (["init"], ["creditor", "add", "--name", "Atelier SAS"]):
        subprocess.run([python, "-m", "relance.cli", *args], env=env, check=True, capture_output=True, timeout=120)

    proc = subprocess.run([python, "-c", RUN, str(path)], env=env, capture_output=True, text=True, timeout=300)

    figures = json.loads(proc.stderr.strip().splitlines()[-1])
    result = json.loads(proc.stdout)
    assert figures["code"] == 1
    expected = "cfonb_too_large" if content == "operations" else "cfonb_too_many_problems"
    assert result["problems"][-1]["code"] == expected
    assert result["committed"] is False
    assert figures["rss_mb"] < 200, figures
    if content == "operations":
        assert f"more than {MAX_OPERATIONS} operations" in result["problems"][-1]["message"]
