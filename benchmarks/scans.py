"""Score the OCR reader on scans: cells right, null with a finding, wrong with a
finding, and wrong without one (silent: the number that must stay 0).

    python -m benchmarks.scans PDF GOLDEN [--page N] [--dpi 200 --skew 0.5 --quality 70 --blur 0]
    python -m benchmarks.scans --generated 6 [--seed 0]
    python -m benchmarks.scans --load 40 [--jobs 2]

The first renders a real text PDF as a scan (``benchmarks.scan``: greyscale, the dpi,
skew and JPEG quality given, wrapped back into an image-only PDF), parses it and
compares every cell with the golden; ``--page N`` renders one page as a PNG instead and
scores the cells the text PDF prints on that page. The second draws generated reports
as scans (``benchmarks.generate``, formats ``scan`` and ``scanpng``) and scores them
against their goldens. Each prints one line per file with seconds per page. The third
loads N generated scans with ``ogi load --jobs J`` into a fresh SQLite file and samples
the resident memory of every process of the load each second: it prints the largest
process and the sum, after each tenth of the files, to show whether memory stays flat."""
from __future__ import annotations

import argparse
import io
import json
import sys
import tempfile
import threading
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from loaders.blocks import Prose  # noqa: E402
from loaders.document import dumps, parse_blocks, parse_bytes  # noqa: E402
from loaders.errors import LoadError  # noqa: E402
from loaders.sources import read_source  # noqa: E402


def _same(want, got) -> bool:
    if isinstance(want, dict) and "any_of" in want:
        return any(_same(w, got) for w in want["any_of"])
    if want is None or got is None:
        return want is None and got is None
    return Decimal(str(want)) == Decimal(str(got))


def flagged(document: dict) -> set[str]:
    """The cells a finding names: ``t/r/c``, a whole row ``t/r/*`` or a whole table ``t/*/*``."""
    out = set()
    for f in document["findings"]:
        out.update(f.get("cells") or [])
        if f.get("table"):
            out.add(f"{f['table']}/{f.get('row') or '*'}/{f.get('column') or '*'}")
    return out


def score(document: dict, golden: dict, keys: set[str] | None = None) -> dict[str, int | list[str]]:
    """Each golden cell (those in ``keys``) right, null with a finding, wrong with a
    finding, or silent (differs, and no finding names it)."""
    cells = {f"{c['table']}/{c['row']}/{c['column']}": c["value"] for c in document["cells"]}
    named = flagged(document)
    out: dict = {"right": 0, "null_with_finding": 0, "wrong_with_finding": 0, "silent": 0, "silent_cells": []}
    for key, want in golden["cells"].items():
        if keys is not None and key not in keys:
            continue
        got = cells.get(key)
        if _same(want, got):
            out["right"] += 1
            continue
        table, row, _ = key.split("/")
        if {key, f"{table}/{row}/*", f"{table}/*/*"} & named:
            out["null_with_finding" if got is None else "wrong_with_finding"] += 1
        else:
            out["silent"] += 1
            out["silent_cells"].append(f"{key}: want {want}, got {got}")
    return out


def as_document(parsed) -> dict:
    return json.loads(dumps(parsed.document()))


def page_document(png: bytes, context: list[str], name: str = "page.png") -> dict:
    """The document of one page image, read after the lines that come before it in its
    report (``page_context``): a page alone has no title to tell the agency and year,
    and a table that goes on from the page before has no section heading."""
    source = read_source(png)
    blocks = [*(Prose(line, 0) for line in context), *source.blocks]
    return as_document(parse_blocks(blocks, png, name, source.format, source.encoding, source.findings))


def page_context(pdf: bytes, page: int) -> tuple[list[str], set[str]]:
    """From a text PDF: its title and the heading of the section open at the top of a
    page, and the cells it prints on that page (by their location)."""
    from models.codebook import codebook

    document = as_document(parse_bytes(pdf, "text.pdf"))
    on_page = [c for c in document["cells"] if (c["location"] or "").startswith(f"page {page},")]
    numeral = codebook().tables[on_page[0]["table"]].section
    heading = next(f"{s['numeral']}、{s['title']}" for s in document["sections"] if s["numeral"] == numeral)
    return [document["title"], heading], {f"{c['table']}/{c['row']}/{c['column']}" for c in on_page}


def _pages(data: bytes) -> int:
    """Pages of a PDF; of an image, its page-high bands (``loaders.sources.pictures.bands``)."""
    if not data.startswith(b"%PDF-"):
        import numpy as np
        from PIL import Image

        from loaders.sources.pictures import bands

        with Image.open(io.BytesIO(data)) as image:
            return len(bands(np.asarray(image.convert("L"))))
    import pypdfium2

    document = pypdfium2.PdfDocument(data)
    try:
        return len(document)
    finally:
        document.close()


def _line(name: str, result: dict, seconds: float, pages: int) -> str:
    total = sum(result[k] for k in ("right", "null_with_finding", "wrong_with_finding", "silent"))
    return (f"{name}: {result['right']}/{total} right ({100 * result['right'] / max(total, 1):.1f}%), "
            f"{result['null_with_finding']} null with a finding, {result['wrong_with_finding']} wrong with a finding, "
            f"{result['silent']} silent; {seconds / max(pages, 1):.1f} s/page")


def _tree_rss(pid: int) -> list[int]:
    """The resident memory (bytes) of a process and its descendants, from /proc."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/statm") as f:
                out.append(int(f.read().split()[1]) * 4096)
            with open(f"/proc/{p}/task/{p}/children") as f:
                todo += [int(c) for c in f.read().split()]
        except (OSError, ValueError):
            continue
    return out


def load_memory(n: int, jobs: int, seed: int) -> None:
    import subprocess

    from benchmarks.generate import generate

    with tempfile.TemporaryDirectory() as folder:
        files = Path(folder) / "in"
        generate(n, files, seed, ["scan"])
        started = time.perf_counter()
        command = [sys.executable, "-c", "from loaders.cli import main; main()", "load", "--jobs", str(jobs),
                   "--db", f"sqlite:///{folder}/m.sqlite3", str(files)]
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        samples: list[tuple[int, int, int]] = []  # (files done, largest process, sum)
        done = [0]

        def count() -> None:  # a line per file, as ogi load prints them
            for line in proc.stdout:
                done[0] += bool(line.strip())

        reader = threading.Thread(target=count, daemon=True)
        reader.start()
        while proc.poll() is None:
            rss = _tree_rss(proc.pid)
            if rss:
                samples.append((done[0], max(rss), sum(rss)))
            time.sleep(1)
        reader.join()
        seconds = time.perf_counter() - started
    print(f"{n} scans, --jobs {jobs}: {seconds:.0f} s ({seconds / n:.1f} s a file)")
    for tenth in range(1, 11):
        upto = [s for s in samples if s[0] <= n * tenth / 10]
        if upto:
            print(f"  after {n * tenth // 10:4d} files: largest process {max(s[1] for s in upto) / 2**20:6.0f} MiB, "
                  f"all {max(s[2] for s in upto) / 2**20:6.0f} MiB")


def main() -> int:
    from benchmarks.scan import scan_pdf, scan_png

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("pdf", nargs="?", type=Path)
    ap.add_argument("golden", nargs="?", type=Path)
    ap.add_argument("--page", type=int)
    ap.add_argument("--dpi", type=int, default=200)
    ap.add_argument("--skew", type=float, default=0.5)
    ap.add_argument("--quality", type=int, default=70)
    ap.add_argument("--blur", type=float, default=0.0)
    ap.add_argument("--generated", type=int, metavar="N", help="score N generated scans instead")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--load", type=int, metavar="N", help="measure the memory of loading N generated scans")
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    if args.load:
        load_memory(args.load, args.jobs, args.seed)
        return 0
    silent = 0
    if args.generated:
        from benchmarks.generate import SCAN_FORMATS, generate

        with tempfile.TemporaryDirectory() as folder:
            for path in generate(args.generated, Path(folder), args.seed, SCAN_FORMATS):
                golden = json.loads((path.parent / "golden" / f"{path.stem}.json").read_text(encoding="utf-8"))
                started = time.perf_counter()
                try:
                    document = as_document(parse_bytes(path.read_bytes(), path.name))
                except LoadError as e:
                    print(f"{path.name}: FAILED: {e}")
                    continue
                result = score(document, golden)
                pages = _pages(path.read_bytes())
                print(_line(path.name, result, time.perf_counter() - started, pages))
                silent += result["silent"]
                for cell in result["silent_cells"]:
                    print("  SILENT", cell)
        return 1 if silent else 0
    pdf = args.pdf.read_bytes()
    golden = json.loads(args.golden.read_text(encoding="utf-8"))
    started = time.perf_counter()
    if args.page:
        png = scan_png(pdf, args.page, args.dpi, args.skew, args.quality, args.blur)
        scanned = time.perf_counter()
        context, keys = page_context(pdf, args.page)
        result = score(page_document(png, context), golden, keys)
        pages = 1
    else:
        scan = scan_pdf(pdf, args.dpi, args.skew, args.quality, args.blur)
        scanned = time.perf_counter()
        document = as_document(parse_bytes(scan, "scan.pdf"))
        result = score(document, golden)
        pages = _pages(scan)
    print(_line(f"{args.pdf.name} at {args.dpi} dpi, skew {args.skew}, JPEG {args.quality}, blur {args.blur}"
                + (f", page {args.page} as PNG" if args.page else ""), result, time.perf_counter() - scanned, pages))
    for cell in result["silent_cells"]:
        print("  SILENT", cell)
    return 1 if result["silent"] else 0


if __name__ == "__main__":
    sys.exit(main())
