"""Parse speed per input format, in reports per second (one process, one core).

    python benchmarks/parse.py [--seconds 3] [--runs 5]

Each format parses one real report over and over with ``parse_bytes`` (detection,
decoding, the format's source, and every later stage; nothing is stored): text
(seed 000), markdown (seed 004), HTML (the Pingtan page, 109 KB with its site
around it), PDF (the Hongze report, 5 pages), Word (seed 001 written as .docx
with python-docx) and runtogether (the crawler dump 022, the report on one line with
its cells run together; read as text). Prints the median rate of the runs."""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from loaders.document import parse_bytes  # noqa: E402
from tests.test_formats import seed_as_docx  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures"


def inputs() -> dict[str, bytes]:
    return {
        "text": (FIXTURES / "seeds" / "000_1b7f2f24a12b03dd.txt").read_bytes(),
        "markdown": (FIXTURES / "seeds" / "004_0ec7f487509b9c4f.txt").read_bytes(),
        "html": (FIXTURES / "corpus" / "009_pingtan_gwh_2024.html").read_bytes(),
        "pdf": (FIXTURES / "corpus" / "014_huaian_hongze_qzf_2024.pdf").read_bytes(),
        "docx": seed_as_docx(FIXTURES / "seeds" / "001_0eae8362f754cbc0.txt"),
        "runtogether": (FIXTURES / "corpus" / "022_pingtan_czj_2024.txt").read_bytes(),
    }


SOURCE_FORMAT = {"runtogether": "text"}  # told from the content: a dump is text


def rate(data: bytes, seconds: float) -> float:
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        parse_bytes(data, "bench")
        n += 1
    return n / (time.perf_counter() - start)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=3)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    print(f"{'format':<10} {'reports/s':>10}  (median of {args.runs} runs of {args.seconds:g} s)")
    for fmt, data in inputs().items():
        assert parse_bytes(data, "bench").source_format == SOURCE_FORMAT.get(fmt, fmt)
        rates = [rate(data, args.seconds) for _ in range(args.runs)]
        print(f"{fmt:<10} {statistics.median(rates):10.1f}  (min {min(rates):.1f}, max {max(rates):.1f})")


if __name__ == "__main__":
    main()
