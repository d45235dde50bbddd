"""Compare every report file in a folder with its golden: cells correct, wrong,
missing and unexpected, per file and in total.

    python benchmarks/accuracy.py DIR [--golden GOLDEN_DIR]

A file's golden is GOLDEN_DIR/<file name without its suffix>.json (default
GOLDEN_DIR: DIR/golden), in the shape of the shared contract's goldens. A cell is
correct when its value is the golden's (or one of its ``any_of``), wrong when it
differs, missing when the golden has it and the parse does not, unexpected the other
way round. A file that fails to parse counts all its golden cells as missing."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from loaders.document import parse_file  # noqa: E402
from loaders.errors import LoadError  # noqa: E402


def same(want, got) -> bool:
    if isinstance(want, dict) and "any_of" in want:
        return any(same(w, got) for w in want["any_of"])
    if want is None or got is None:
        return want is got
    return abs(float(want) - float(got)) < 1e-9


def compare(golden: dict, cells: dict) -> dict:
    counts = {"correct": 0, "wrong": 0, "missing": 0, "unexpected": 0}
    for key, want in golden["cells"].items():
        if key not in cells:
            counts["missing"] += 1
        else:
            counts["correct" if same(want, cells[key]) else "wrong"] += 1
    counts["unexpected"] = len(set(cells) - set(golden["cells"]))
    return counts


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("folder", type=Path)
    ap.add_argument("--golden", type=Path)
    args = ap.parse_args()
    golden_dir = args.golden or args.folder / "golden"
    total = {"correct": 0, "wrong": 0, "missing": 0, "unexpected": 0}
    print(f"{'file':<40} {'correct':>8} {'wrong':>6} {'missing':>8} {'unexpected':>10}")
    for path in sorted(p for p in args.folder.iterdir() if p.is_file()):
        golden_path = golden_dir / f"{path.stem}.json"
        if not golden_path.exists():
            continue
        golden = json.loads(golden_path.read_text(encoding="utf-8"))
        try:
            cells = {c.key: c.value for c in parse_file(path).cells}
            note = ""
        except LoadError as e:
            cells, note = {}, f"  failed: {e.why}"
        counts = compare(golden, cells)
        for k in total:
            total[k] += counts[k]
        print(f"{path.name:<40} {counts['correct']:>8} {counts['wrong']:>6} {counts['missing']:>8} "
              f"{counts['unexpected']:>10}{note}")
    print(f"{'total':<40} {total['correct']:>8} {total['wrong']:>6} {total['missing']:>8} {total['unexpected']:>10}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
