"""Image files (PNG, JPEG, TIFF, BMP, GIF, WebP): a scanned page, or a picture of a
report's tables, read by OCR (``loaders.ocr``). Each frame of a multi-page TIFF is a
page. The image's size is checked from its header before any pixel is decoded."""
from __future__ import annotations

from loaders.blocks import Block, page_blocks
from loaders.errors import LoadError
from loaders.limits import Limits
from loaders.ocr import OcrPages
from loaders.sources.pictures import frames, image_errors, why_unreadable


def read_image(data: bytes, limits: Limits | None = None) -> list[Block]:
    limits = limits or Limits()
    ocr = OcrPages(limits)
    blocks: list[Block] = []
    try:
        for number, gray in enumerate(frames(data, limits, ocr, "image"), start=1):
            blocks += page_blocks(ocr.read(gray, number), len(blocks) + 1)
    except LoadError:
        raise
    except image_errors() as e:
        raise LoadError(f"not a readable image: {why_unreadable(e)}", "image") from None
    if not blocks:
        raise LoadError("the image holds no text that OCR could read", "image")
    return blocks
