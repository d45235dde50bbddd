"""OCR: read a page that is only an image (a scan, a picture of a table).

The sources hand page images here (``OcrPages.read``): a PDF's pages that hold no
text, an image file's frames, a Word file's or a web page's pictures. What comes back
is the page's items, as a PDF page with text gives them, so the same readers place
the values (``loaders.tables``). Each file may OCR at most ``limits.ocr_pages`` pages
of at most ``limits.image_pixels`` pixels; its parse runs under ``limits.ocr_seconds``
(``loaders.bounded``). The engine is an adapter (``loaders.ocr.engine``)."""
from __future__ import annotations

import os
from typing import TYPE_CHECKING

from loaders.errors import LoadError, first_line
from loaders.limits import Limits

if TYPE_CHECKING:
    import numpy as np

    from loaders.blocks import PageItem

MIN_CONFIDENCE = 0.9  # OGI_OCR_MIN_CONFIDENCE: under it, a value read is not taken as it is
DPI = 200  # what a page is rendered at when nothing says better (a scan's own resolution does)
MIN_DPI, MAX_DPI = 150, 300  # below 150 dpi small digits lose their shape; above 300 only time grows


class OcrPages:
    """The pages of one file read by OCR, counted against its limits."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self.pages = 0

    def check(self, width: int, height: int, where: str) -> None:
        """Refuse a page image before it is decoded or rendered: too many pages, too many pixels."""
        self.limits.check("image_pixels", width * height, f"a page image of {width} × {height} pixels", where)
        self.pages += 1
        self.limits.check("ocr_pages", self.pages, "too many pages to read by OCR", where)

    def read(self, gray: np.ndarray, number: int, label: str = "page") -> list[PageItem]:
        """The page's items; an engine that fails (out of memory, a model it cannot run)
        gives the file's one-line error, never a traceback."""
        from loaders.ocr.engine import ENGINE_ERRORS, engine
        from loaders.ocr.page import read_page

        try:
            return read_page(gray, number, engine(), label=label)
        except ENGINE_ERRORS as e:
            text, where = str(e), f"{label} {number}"
            if "bad_alloc" in text or "Failed to allocate" in text:
                raise self.limits.refuse("ocr_memory", "the OCR engine ran out of memory", where) from None
            raise LoadError(f"the OCR engine failed: {type(e).__name__}: {first_line(e)}", where) from None


def min_confidence() -> float:
    """The confidence under which a value OCR read is not taken (``OGI_OCR_MIN_CONFIDENCE``)."""
    return float(os.environ.get("OGI_OCR_MIN_CONFIDENCE", MIN_CONFIDENCE))


def render_gray(page, scale: float) -> np.ndarray:
    """A pypdfium2 page rendered in grey at ``scale`` (pixels a point), as the pixels'
    own array (the bitmap and the page are closed)."""
    bitmap = page.render(scale=scale, grayscale=True)
    try:
        return bitmap.to_numpy().copy()
    finally:
        bitmap.close()
        page.close()


def render_dpi(native: float | None) -> int:
    """The resolution to read a page at: its scan's own, within ``MIN_DPI``–``MAX_DPI``."""
    if not native:
        return DPI
    return int(min(max(round(native), MIN_DPI), MAX_DPI))
