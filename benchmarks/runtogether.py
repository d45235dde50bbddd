"""How often a run of digits splits one way only, at the generated corpus' number sizes.

    python benchmarks/runtogether.py [N] [--seed S]

Generates N reports in the ``runtogether`` format (benchmarks/generate.py: labels and
cells run together, a space between two values now and then) and counts, per row
printed as a run of digits: the runs the digits alone split one way (``splits``), the
runs the identities choose among several, and the runs left null with a finding; then
the cells, how many were read and how many are null, and the parse time. Every value
read is checked against the generated truth (a wrong one is counted, and must be 0)."""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.generate import generate  # noqa: E402
from loaders.document import parse_file  # noqa: E402
from loaders.runtogether import cell_kind, cut, splits  # noqa: E402
from loaders.sections import split_sections  # noqa: E402
from loaders.sources.text import read_blocks  # noqa: E402
from models.codebook import codebook  # noqa: E402


def runs_of(path: Path) -> Counter:
    """Per table, the runs whose digits split one way, several ways, or none."""
    out: Counter = Counter()
    _, sections = split_sections(read_blocks(path.read_text(encoding="utf-8")))
    for table in codebook().tables.values():
        section = sections.get("一二三四五六".index(table.section) + 1)
        for block in section.blocks if section else []:
            for run in cut(block, table.key)[0] if hasattr(block, "text") else []:
                found = splits(run.run, [cell_kind(k) for k in run.keys])
                ways = "too many" if found is None else "one" if len(found) == 1 else \
                    "none" if not found else "several"
                out[(table.key, ways)] += 1
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("n", type=int, nargs="?", default=200)
    ap.add_argument("--seed", type=int, default=2026)
    args = ap.parse_args()
    import json

    runs: Counter = Counter()
    chosen: Counter = Counter()  # rows of runs with several splits: chosen by the identities, or null
    cells: Counter = Counter()
    times = []
    wrong = 0
    with tempfile.TemporaryDirectory() as tmp:
        paths = generate(args.n, Path(tmp), seed=args.seed, formats=["runtogether"])
        for path in paths:
            runs += runs_of(path)
            start = time.perf_counter()
            parsed = parse_file(path)
            times.append(time.perf_counter() - start)
            golden = json.loads((Path(tmp) / "golden" / f"{path.stem}.json").read_text(encoding="utf-8"))
            for table, row in {(c.table, c.row) for c in parsed.cells}:
                notes = [c.note or "" for c in parsed.cells if (c.table, c.row) == (table, row)]
                if any("identities" in n for n in notes):
                    chosen[(table, "prose" if any("section 一" in n for n in notes) else "identities")] += 1
                elif any(c.status == "ambiguous" for c in parsed.cells if (c.table, c.row) == (table, row)):
                    chosen[(table, "null")] += 1
            for c in parsed.cells:
                want = golden["cells"][c.key]
                truth = want["any_of"][0] if isinstance(want, dict) else want
                cells[c.status] += 1
                if c.value is not None and truth is not None and c.value != Decimal(str(truth)):
                    wrong += 1
    print(f"{args.n} generated runtogether reports (seed {args.seed})")
    for table in codebook().tables:
        row = {w: runs[(table, w)] for w in ("one", "several", "none", "too many")}
        total = sum(row.values()) or 1
        print(f"  {table:<18} runs {total:>5}: " + ", ".join(f"{w} {n} ({100 * n / total:.1f}%)"
                                                              for w, n in row.items()))
        print(f"  {'':<18} of the rows with several splits: {chosen[(table, 'identities')]} chosen by the "
              f"identities, {chosen[(table, 'prose')]} with section 一's prose, {chosen[(table, 'null')]} null "
              "with a finding")
    total = sum(cells.values())
    print("  cells " + ", ".join(f"{s} {n} ({100 * n / total:.1f}%)" for s, n in cells.most_common()))
    print(f"  wrong values: {wrong}")
    print(f"  parse time per report: median {statistics.median(times) * 1000:.1f} ms, "
          f"90th percentile {sorted(times)[int(len(times) * 0.9)] * 1000:.1f} ms, max {max(times) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
