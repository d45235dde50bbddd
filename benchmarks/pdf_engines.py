"""The two PDF engines side by side: same blocks, and reports per second.

    taskset -c 0 python benchmarks/pdf_engines.py [--runs 5] [--seconds 3] [--generated 3]

For each PDF — the corpus report (Hongze, 5 pages) and ``--generated`` text PDFs of
generated reports (below) — checks that ``OGI_PDF_ENGINE=pdfium`` and ``pdfplumber``
give the same blocks, then parses it with ``parse_bytes`` (everything after the bytes,
nothing stored) under each engine in turn, ``--runs`` interleaved rounds of
``--seconds`` each, and prints each engine's median rate, the ratio of the medians, and
the median of the per-round ratios (the fairer figure on a shared machine: both
engines of a round see the same load). CPU time (``process_time``) is printed beside
wall time.

Text PDFs of generated reports: ``benchmarks/generate.py`` draws a scan's pages with
Pillow; here the same drawing (``_draw_report`` at 72 dpi, so a pixel is a point) is
recorded into a PDF with PDFium's page-editing API instead of pixels: each text run a
text object in WenQuanYi Micro Hei (embedded), each ruling a stroked path, each shaded
cell a filled rectangle — ruled tables with merged cells over page breaks, as a word
processor prints them."""
from __future__ import annotations

import argparse
import ctypes
import io
import os
import random
import statistics
import sys
import time
from contextlib import contextmanager
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from loaders.document import parse_bytes  # noqa: E402
from loaders.sources.pdf import read_pdf  # noqa: E402

CORPUS = ROOT / "tests" / "fixtures" / "corpus" / "014_huaian_hongze_qzf_2024.pdf"
FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")


class _Recorder:
    """Stands in for Pillow's ImageDraw on one page: what it is asked to draw becomes
    PDF page objects (coordinates from the top, as Pillow's; PDF's from the bottom)."""

    def __init__(self, writer: _Writer):
        import pypdfium2.raw as R

        self.R, self.w = R, writer
        self.page = R.FPDFPage_New(writer.doc.raw, len(writer.pages), writer.width, writer.height)
        writer.pages.append(self)

    def text(self, xy, text, font=None, fill=0, anchor="lm", **_):
        R = self.R
        x, y = xy
        if anchor[0] == "m":
            x -= font.getlength(text) / 2
        obj = R.FPDFPageObj_CreateTextObj(self.w.doc.raw, self.w.font, float(font.size))
        encoded = (text + "\0").encode("utf-16-le")
        R.FPDFText_SetText(obj, (ctypes.c_ushort * (len(encoded) // 2)).from_buffer_copy(encoded))
        R.FPDFPageObj_Transform(obj, 1, 0, 0, 1, float(x), float(self.w.height - (y + font.size * 0.35)))
        R.FPDFPage_InsertObject(self.page, obj)

    def line(self, points, fill=0, width=1, **_):
        R = self.R
        x0, y0, x1, y1 = [v for p in points for v in (p if isinstance(p, (tuple, list)) else (p,))]
        path = R.FPDFPageObj_CreateNewPath(float(x0), float(self.w.height - y0))
        R.FPDFPath_LineTo(path, float(x1), float(self.w.height - y1))
        R.FPDFPath_SetDrawMode(path, 0, 1)
        R.FPDFPageObj_SetStrokeWidth(path, float(width))
        R.FPDFPage_InsertObject(self.page, path)

    def rectangle(self, box, fill=0, **_):
        R = self.R
        x0, top, x1, bottom = box
        rect = R.FPDFPageObj_CreateNewRect(float(x0), float(self.w.height - bottom), float(x1 - x0),
                                           float(bottom - top))
        R.FPDFPageObj_SetFillColor(rect, fill, fill, fill, 255)
        R.FPDFPath_SetDrawMode(rect, R.FPDF_FILLMODE_ALTERNATE, 0)
        R.FPDFPage_InsertObject(self.page, rect)


class _Writer:
    def __init__(self):
        import pypdfium2 as pdfium
        import pypdfium2.raw as R

        self.doc = pdfium.PdfDocument.new()
        data = _font_bytes()
        self._font_buffer = (ctypes.c_uint8 * len(data)).from_buffer_copy(data)
        self.font = R.FPDFText_LoadFont(self.doc.raw, self._font_buffer, len(data), R.FPDF_FONT_TRUETYPE, True)
        self.width, self.height = 595, 842
        self.pages: list[_Recorder] = []

    def save(self) -> bytes:
        import pypdfium2.raw as R

        for page in self.pages:
            R.FPDFPage_GenerateContent(page.page)
            R.FPDF_ClosePage(page.page)
        out = io.BytesIO()
        self.doc.save(out)
        self.doc.close()
        return out.getvalue()


@cache
def _font_bytes() -> bytes:
    if not FONT.exists():
        raise SystemExit(f"the generated PDFs are set in {FONT}: apt-get install fonts-wqy-microhei")
    return FONT.read_bytes()


@contextmanager
def _recording(writer: _Writer):
    """generate._draw_report drawing into ``writer`` instead of onto images."""
    import PIL.ImageDraw

    from benchmarks import generate

    class Pages(generate._Pages):
        def new(self) -> None:
            self.draw = _Recorder(writer)
            self.sheets.append(self.draw)
            self.y = self.top

    real_pages, real_draw = generate._Pages, PIL.ImageDraw.Draw
    generate._Pages = Pages
    PIL.ImageDraw.Draw = lambda sheet, *a, **k: sheet if isinstance(sheet, _Recorder) else real_draw(sheet, *a, **k)
    try:
        yield generate
    finally:
        generate._Pages, PIL.ImageDraw.Draw = real_pages, real_draw


def text_pdf(i: int, seed: int = 0) -> tuple[bytes, dict]:
    """Generated report ``i`` of ``seed`` as a text PDF, and its golden."""
    writer = _Writer()
    with _recording(writer) as generate:
        rng = random.Random(f"{seed}:{i}")
        r = generate.make_report(i, rng, ["scan"])
        r.fmt = "pdf"
        generate._draw_report(r, rng, 72)
        return writer.save(), generate.golden(r, f"{i:06d}_{r.year}_pdf.pdf")


def pdfs(generated: int) -> dict[str, bytes]:
    out = {"corpus 014 (5 pages)": CORPUS.read_bytes()}
    for i in range(generated):
        data, _ = text_pdf(i, seed=7)
        out[f"generated {i} (seed 7)"] = data
    return out


@contextmanager
def engine(name: str):
    before = os.environ.get("OGI_PDF_ENGINE")
    os.environ["OGI_PDF_ENGINE"] = name
    try:
        yield
    finally:
        if before is None:
            del os.environ["OGI_PDF_ENGINE"]
        else:
            os.environ["OGI_PDF_ENGINE"] = before


def rate(data: bytes, name: str, seconds: float) -> tuple[float, float]:
    """Reports a second on this PDF with engine ``name``: by wall time, by CPU time."""
    with engine(name):
        n, start, cpu = 0, time.perf_counter(), time.process_time()
        while time.perf_counter() - start < seconds:
            parse_bytes(data, "bench.pdf")
            n += 1
        return n / (time.perf_counter() - start), n / (time.process_time() - cpu)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=3)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--generated", type=int, default=3)
    args = ap.parse_args()
    print(f"median of {args.runs} interleaved rounds of {args.seconds:g} s per engine; reports/s")
    print(f"{'PDF':<24} {'same':>5} {'pdfplumber':>11} {'pdfium':>8} {'ratio':>6} {'per-round':>9}"
          f" {'cpu: plumber':>13} {'pdfium':>8} {'ratio':>6}")
    for label, data in pdfs(args.generated).items():
        fallback: list[int] = []
        same = read_pdf(data, engine="pdfplumber") == read_pdf(data, engine="pdfium", by_plumber=fallback)
        rounds = [(rate(data, "pdfplumber", args.seconds), rate(data, "pdfium", args.seconds))
                  for _ in range(args.runs)]
        wall = [statistics.median(r[k][0] for r in rounds) for k in (0, 1)]
        cpu = [statistics.median(r[k][1] for r in rounds) for k in (0, 1)]
        per_round = statistics.median(b[0] / a[0] for a, b in rounds)
        note = f"  (pages by pdfplumber: {fallback})" if fallback else ""
        print(f"{label:<24} {'yes' if same else 'NO':>5} {wall[0]:11.2f} {wall[1]:8.1f} {wall[1] / wall[0]:5.1f}x"
              f" {per_round:8.1f}x {cpu[0]:13.2f} {cpu[1]:8.1f} {cpu[1] / cpu[0]:5.1f}x{note}")


if __name__ == "__main__":
    main()
