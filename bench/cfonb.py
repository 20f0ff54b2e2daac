"""CFONB 120 streaming: read speed (MB/s) and peak memory of ``read_statement`` on a stream.

Three files, each read in its own process (so peak memory is the read's own):

- a sound statement of 45,000 operations with their complements, with line breaks;
- the same without line breaks (one line);
- a 200 MB line of operations forced as CFONB, refused past ``MAX_OPERATIONS`` (issue 15:
  it took 87 s and 2.7 GB before the reader streamed).

Targets (issue 15): the 200 MB line refused in seconds under 200 MB of peak memory.

    .venv/bin/python bench/cfonb.py
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from bench._common import peak_rss_mb, print_table, run_child, timed

SAMPLE = Path(__file__).resolve().parents[2] / "shared" / "samples" / "cfonb" / "oca-cfonb_classic.cfo"


def _records() -> tuple[str, list[str], str]:
    lines = SAMPLE.read_text("latin-1").splitlines()
    opening = next(line for line in lines if line.startswith("01"))
    closing = next(line for line in lines if line.startswith("07"))
    return opening, lines[lines.index(opening) + 1 : lines.index(closing)], closing


def write_files(folder: Path) -> dict[str, Path]:
    opening, body, closing = _records()
    operations = sum(record.startswith("04") for record in body)
    repeat = 45_000 // operations
    files = {"lines": folder / "lines.cfo", "one line": folder / "one-line.cfo", "200 MB line": folder / "big.cfo"}
    files["lines"].write_text("\r\n".join([opening, *body * repeat, closing]) + "\r\n", encoding="latin-1")
    files["one line"].write_text(opening + "".join(body) * repeat + closing, encoding="latin-1")
    unit = "".join(body).encode("latin-1")
    with files["200 MB line"].open("wb") as out:
        out.write(opening.encode("latin-1"))
        block = unit * ((1 << 20) // len(unit))
        while out.tell() < 200 * 1024 * 1024:
            out.write(block)
    return files


def child(path: str) -> None:
    from relance.formats.bank import read_statement

    size = Path(path).stat().st_size
    with Path(path).open("rb") as stream, timed() as elapsed:
        report = read_statement(stream, format="cfonb")
    print(json.dumps({
        "seconds": round(elapsed(), 2),
        "mb": round(size / 1e6, 1),
        "lines": len(report.lines),
        "outcome": report.problems[-1].code if report.problems else "read",
        "peak_mb": round(peak_rss_mb(), 1),
    }))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--child")
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    rows = []
    with tempfile.TemporaryDirectory(prefix="relance-cfonb-") as folder:
        for name, path in write_files(Path(folder)).items():
            got = run_child(Path(__file__), [str(path)])
            # The bytes the reader went through before its answer: all of a sound file; of the
            # refused one, its encoding check (the whole file) and the records up to the cap.
            rate = got["mb"] / got["seconds"] if got["seconds"] else float("inf")
            rows.append([name, got["mb"], got["lines"], got["outcome"], got["seconds"], round(rate, 1), got["peak_mb"]])
    print_table(rows, ["file", "MB", "operations", "outcome", "s", "MB/s", "peak MB"])


if __name__ == "__main__":
    main()
