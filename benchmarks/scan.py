"""A PDF rendered "as a scan": greyscale pages, a little skew, blur and grain, JPEG
compression, wrapped as an image-only PDF (no text layer).

    python -m benchmarks.scan IN.pdf OUT.pdf [--dpi 200] [--skew 0.5] [--quality 70] [--blur 0]
    python -m benchmarks.scan IN.pdf OUT.png --png-page 3

The same input and settings give the same bytes."""
from __future__ import annotations

import argparse
import io
import subprocess
import tempfile
from pathlib import Path
from statistics import NormalDist

import cv2
import numpy as np
from PIL import Image

PDFTOPPM = "pdftoppm"  # poppler-utils
INK, PAPER = 30, 246  # the grey levels a scanner gives black ink and white paper


def rasterize(pdf: bytes, dpi: int, pages: list[int] | None = None) -> list[Image.Image]:
    """The PDF's pages (all, or these 1-based numbers) as greyscale images at ``dpi``."""
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "in.pdf"
        source.write_bytes(pdf)
        images = []
        for n in pages or [None]:
            out = Path(tmp) / f"p{n or 'all'}"
            command = [PDFTOPPM, "-gray", "-r", str(dpi), "-png"]
            if n is not None:
                command += ["-f", str(n), "-l", str(n)]
            try:
                subprocess.run([*command, str(source), str(out)], check=True, capture_output=True)
            except FileNotFoundError:
                raise SystemExit("pdftoppm not found: install poppler-utils") from None
            except subprocess.CalledProcessError as e:
                raise ValueError(f"pdftoppm failed: {e.stderr.decode(errors='replace').strip()}") from None
            files = sorted(Path(tmp).glob(f"{out.name}-*.png"))  # -1.png, or -01.png … zero-padded alike
            if n is not None and not files:
                raise ValueError(f"no page {n} in the PDF")
            for f in files:
                with Image.open(f) as im:
                    images.append(im.convert("L"))
        return images


def degrade(img: Image.Image, skew_degrees: float = 0.5, blur: float = 0.0, seed: int = 0,
            noise: float = 3.0) -> Image.Image:
    """The page as a scanner sees it: turned by ``skew_degrees`` counter-clockwise (bicubic,
    white fill, same size), blurred by a Gaussian of standard deviation ``blur`` px, with
    the ink and paper levels of a scan and a grain of ``noise`` grey levels drawn from ``seed``."""
    a = np.asarray(img.convert("L"))
    if skew_degrees:
        h, w = a.shape
        turn = cv2.getRotationMatrix2D((w / 2, h / 2), skew_degrees, 1.0)
        a = cv2.warpAffine(a, turn, (w, h), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_CONSTANT, borderValue=255)
    if blur > 0:
        a = cv2.GaussianBlur(a, (0, 0), blur)
    levels = np.round(np.arange(256) * ((PAPER - INK) / 255) + INK).astype(np.int16)
    out = levels[a]
    if noise > 0:
        grain = np.array([round(noise * NormalDist().inv_cdf((u + 0.5) / 256)) for u in range(256)], np.int16)
        u = np.frombuffer(np.random.default_rng(seed).bytes(a.size), np.uint8).reshape(a.shape)
        out += grain[u]
    return Image.fromarray(np.clip(out, 0, 255).astype(np.uint8), "L")


def jpeg_round_trip(img: Image.Image, quality: int) -> Image.Image:
    """The image after saving it as a JPEG at ``quality`` and reading it back."""
    buffer = io.BytesIO()
    img.save(buffer, "JPEG", quality=quality)
    buffer.seek(0)
    with Image.open(buffer) as im:
        return im.convert("L")


def to_pdf(images: list[Image.Image], dpi: int, quality: int = 70) -> bytes:
    """An image-only PDF, one page per image, each stored as a JPEG (DCTDecode) at ``quality``
    and sized for ``dpi``; no dates or title in it, so the bytes depend on the images only."""
    if not images:
        raise ValueError("no pages")
    pages = [im.convert("L") for im in images]
    buffer = io.BytesIO()
    # Pillow's PDF writer encodes each page with its JPEG plugin, which reads ``quality``.
    pages[0].save(buffer, "PDF", save_all=True, append_images=pages[1:], resolution=float(dpi), quality=quality,
                  title=None, creationDate=None, modDate=None)
    return buffer.getvalue()


def scan_pdf(pdf: bytes, dpi: int = 200, skew: float = 0.5, quality: int = 70, blur: float = 0.0) -> bytes:
    """The PDF as an image-only scan; page n is turned by ``skew`` and a little more or less."""
    pages = [degrade(im, _page_skew(skew, n), blur, seed=n) for n, im in enumerate(rasterize(pdf, dpi))]
    return to_pdf(pages, dpi, quality)


def scan_png(pdf: bytes, page: int, dpi: int = 200, skew: float = 0.5, quality: int = 70, blur: float = 0.0) -> bytes:
    """Page ``page`` (1-based) as ``scan_pdf`` would store it, as a PNG."""
    [im] = rasterize(pdf, dpi, [page])
    buffer = io.BytesIO()
    jpeg_round_trip(degrade(im, _page_skew(skew, page - 1), blur, seed=page - 1), quality).save(
        buffer, "PNG", dpi=(dpi, dpi))
    return buffer.getvalue()


def _page_skew(skew: float, index: int) -> float:
    """Sheets go through a feeder each a little differently: ±20 % around ``skew``."""
    return skew * (1 + 0.2 * ((index * 7) % 5 - 2) / 2)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("source", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--dpi", type=int, default=200)
    ap.add_argument("--skew", type=float, default=0.5, help="degrees, counter-clockwise")
    ap.add_argument("--quality", type=int, default=70, help="JPEG quality, 1-95")
    ap.add_argument("--blur", type=float, default=0.0, help="Gaussian blur radius in px")
    ap.add_argument("--png-page", type=int, metavar="N", help="write page N (1-based) as a PNG instead")
    args = ap.parse_args()
    pdf = args.source.read_bytes()
    settings = {"dpi": args.dpi, "skew": args.skew, "quality": args.quality, "blur": args.blur}
    data = scan_png(pdf, args.png_page, **settings) if args.png_page else scan_pdf(pdf, **settings)
    args.out.write_bytes(data)


if __name__ == "__main__":
    main()
