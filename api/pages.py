"""Page images of a report read by OCR: a page of its stored file rendered as PNG at
the pixel size its cells' boxes are given in (``loaders.blocks.PageBox``), so that a
box drawn on the image falls where the cell was read.

A PDF page is rendered with pypdfium2 at the scale that makes it that wide (in grey,
as it was read); an image file's page is its frame (turned as its EXIF says), or a
band of a tall one, as the loader cut it. What one image may cost is bounded by
``MAX_PIXELS``, checked before anything is rendered or decoded."""
from __future__ import annotations

import io

from loaders.blocks import PageBox
from models import Cell

MAX_PIXELS = 60_000_000  # as the loader's image_pixels limit: an A4 page at 600 dpi is 35 million
FORMATS = ("pdf", "image")  # the sources whose pages OCR reads


class TooLarge(ValueError):
    pass


def page_box(report_id: int, number: int) -> PageBox | None:
    """A box of a cell of the report read on page ``number``: its width and height are the page image's."""
    box = (Cell.select(Cell.box).where(Cell.report == report_id, Cell.box.startswith(f"{number} "))
           .limit(1).scalar())
    return PageBox.parse(box) if box else None


def render_png(content: bytes, source_format: str, number: int, width: int, height: int) -> bytes | None:
    """Page ``number`` (1-based) of a stored file as a PNG of ``width`` × ``height``
    pixels, as the loader read it (``loaders.sources.pictures.page_image``: the same
    rendering, frames and bands of a tall image); None when the file has no such page.
    ``TooLarge`` past ``MAX_PIXELS``."""
    import numpy as np
    from PIL import Image

    from loaders.errors import LoadError
    from loaders.limits import Limits
    from loaders.sources.pictures import page_image

    if width * height > MAX_PIXELS:
        raise TooLarge(f"the page image would be {width:,} × {height:,} pixels, over the limit of {MAX_PIXELS:,}")
    try:
        gray = page_image(content, source_format, number, width, Limits().with_values({"image_pixels": MAX_PIXELS}))
    except LoadError as e:
        raise TooLarge(e.why) from None
    if gray is None:
        return None
    image = Image.fromarray(np.ascontiguousarray(gray))
    if image.size != (width, height):  # a pixel of rounding: the boxes' size
        image = image.resize((width, height))
    out = io.BytesIO()
    image.save(out, "PNG", compress_level=3)
    return out.getvalue()
