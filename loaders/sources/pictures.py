"""Pictures inside a document (a Word file's images, a web page's ``<img>``): each is
read by OCR (``loaders.ocr``) where it stands, so a report whose tables were pasted as
pictures is read like one typed in.

A picture is numbered in document order; its rows are located as ``picture N, table T,
row R (OCR)`` and its cells' boxes carry N as their page. A picture too small to hold a
table (a logo, a seal) is not read. A picture that cannot be had (a remote address the
loader was not given, an image it cannot decode) is named by a finding
(``source.image_missing``); one past the limits refuses the file."""
from __future__ import annotations

import base64
import binascii
import io
import re
import struct
import warnings
from collections.abc import Callable, Iterator
from urllib.parse import unquote_to_bytes

from loaders.blocks import Block, page_blocks
from loaders.errors import LoadError, first_line
from loaders.limits import Limits
from loaders.ocr import OcrPages, render_gray
from loaders.records import FindingRecord

MIN_SIDE, MIN_AREA = 120, 150_000  # pixels: smaller pictures hold no table (a 7-row table at 100 dpi is larger)
_DATA_URI = re.compile(r"^data:(?P<type>[\w/+.-]*)(?P<params>(?:;[\w=.-]+)*?)(?P<base64>;base64)?,(?P<data>.*)$", re.S)


TALL = 1.8  # an image taller than this many times its width is pages stacked (a long web picture)
A4 = 297 / 210


def bands(gray) -> list[tuple[int, int]]:
    """The page-high bands of an image (top, bottom): the whole image, or for pages
    stacked into one tall picture, each about an A4 page high, cut where a row holds
    the least ink near each page's end (the white between two stacked scans)."""
    import numpy as np

    height, width = gray.shape[:2]
    if height <= TALL * width:
        return [(0, height)]
    ink = (gray < 128).sum(axis=1)
    out, top = [], 0
    page = round(A4 * width)
    while height - top > TALL * width:
        low, high = top + round(0.8 * page), min(height, top + round(1.2 * page))
        cut = low + int(np.argmin(ink[low:high]))
        out.append((top, cut))
        top = cut
    out.append((top, height))
    return out


def frames(data: bytes, limits: Limits, ocr: OcrPages, where: str) -> Iterator:
    """The greyscale pages of an image file: its frames (a TIFF may hold several), a tall
    one cut into page-high ``bands``; each frame checked against the limits from its
    header before its pixels are decoded."""
    import numpy as np
    from PIL import Image, ImageOps

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # the size is checked before decoding
        Image.MAX_IMAGE_PIXELS = None
        with Image.open(io.BytesIO(data)) as image:
            count = getattr(image, "n_frames", 1)
            limits.check("pages", count, "too many pages (frames)", where)
            for k in range(count):
                image.seek(k)
                at = where if count == 1 else f"{where}, frame {k + 1}"
                limits.check("image_pixels", image.width * image.height,
                             f"a page image of {image.width} × {image.height} pixels", at)
                gray = np.asarray(ImageOps.exif_transpose(image).convert("L"))
                for top, bottom in bands(gray):
                    ocr.check(gray.shape[1], bottom - top, at)
                    yield gray[top:bottom]


def image_errors() -> tuple[type[BaseException], ...]:
    """What Pillow raises on a damaged, truncated or unknown image."""
    from PIL import Image, UnidentifiedImageError

    return (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError, SyntaxError, EOFError,
            IndexError, TypeError, struct.error)


def why_unreadable(e: BaseException) -> str:
    """Why an image cannot be decoded, in one line (Pillow's own message names an object address)."""
    from PIL import UnidentifiedImageError

    if isinstance(e, UnidentifiedImageError):
        return "damaged, or not an image format that can be read"
    return f"{type(e).__name__}: {first_line(e)}"


def data_uri(src: str) -> bytes | None:
    """The bytes of a ``data:`` address; None for any other address or a damaged one."""
    m = _DATA_URI.match(src.strip())
    if not m:
        return None
    try:
        return base64.b64decode(m["data"], validate=False) if m["base64"] else unquote_to_bytes(m["data"])
    except (binascii.Error, ValueError):
        return None


class Pictures:
    """The pictures of one document, read in order, and the findings about them."""

    def __init__(self, limits: Limits, fetch: Callable[[str], bytes | None] | None = None):
        self.limits = limits
        self.ocr = OcrPages(limits)
        self.fetch = fetch  # a linked picture's bytes (files beside the page), or None
        self.count = 0
        self.findings: list[FindingRecord] = []

    def missing(self, what: str, where: str) -> None:
        self.findings.append(FindingRecord(
            "source.image_missing", f"{where}: {what}; if it holds a table, its values are not read", location=where))

    def read(self, data: bytes, where: str, first_line_number: int) -> list[Block]:
        """The blocks of one picture's bytes (none for a small one)."""
        from PIL import Image

        try:
            with Image.open(io.BytesIO(data)) as image:
                small = min(image.size) < MIN_SIDE or image.width * image.height < MIN_AREA
        except image_errors() as e:
            self.missing(f"a picture that cannot be decoded ({why_unreadable(e)})", where)
            return []
        if small:
            return []
        self.count += 1
        blocks: list[Block] = []
        try:
            for k, gray in enumerate(frames(data, self.limits, self.ocr, where)):
                self.count += k > 0  # each page of a picture (a frame, a band of a tall one) is numbered
                items = self.ocr.read(gray, self.count, label="picture")
                blocks += page_blocks(items, first_line_number + len(blocks))
        except LoadError:
            raise
        except image_errors() as e:
            self.missing(f"a picture that cannot be decoded ({why_unreadable(e)})", where)
            return []
        return blocks

    def linked(self, src: str, where: str, first_line_number: int) -> list[Block]:
        """The blocks of an ``<img>``: a ``data:`` address, or a file the loader was given."""
        data = data_uri(src) if src.strip().startswith("data:") else (self.fetch(src) if self.fetch else None)
        if data is None:
            shown = src if len(src) <= 120 else src[:100] + "…"
            self.missing(f"the picture {shown!r} was not supplied with the page", where)
            return []
        return self.read(data, where, first_line_number)


def page_image(content: bytes, source_format: str, number: int, width: int, limits: Limits | None = None):
    """Page ``number`` of a stored file as OCR read it (greyscale ``numpy`` array):
    a PDF page rendered ``width`` pixels wide, or an image's ``number``-th page (its
    frames, a tall one cut into ``bands``); None when there is no such page. Refused
    (LoadError) past the limits, checked before anything is rendered or decoded. (The
    pictures of a Word file or a web page are not kept apart from it: None.)"""
    limits = limits or Limits()
    ocr = OcrPages(limits.with_values({"ocr_pages": max(limits.ocr_pages, number)}))
    if source_format == "image":
        return next((gray for k, gray in enumerate(frames(content, limits, ocr, "image"), start=1) if k == number),
                    None)
    if source_format != "pdf":
        return None
    import pypdfium2

    document = pypdfium2.PdfDocument(content)
    try:
        if not 1 <= number <= len(document):
            return None
        page = document[number - 1]
        scale = width / page.get_width()
        ocr.check(width, round(page.get_height() * scale), f"page {number}")
        return render_gray(page, scale)
    finally:
        document.close()
