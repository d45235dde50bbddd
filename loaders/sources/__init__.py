"""One source per input format, each turning a file into blocks (``loaders.blocks``)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from loaders.blocks import Block
from loaders.detect import declared_charset, decode, detect_format, text_format
from loaders.limits import Limits
from loaders.records import FindingRecord


@dataclass
class Source:
    """What a source read: the format, the text encoding (None for binary formats), the
    blocks, and findings about the file itself (a picture it links but does not hold)."""

    format: str
    encoding: str | None
    blocks: list[Block]
    findings: list[FindingRecord] = field(default_factory=list)


def read_source(data: bytes, limits: Limits | None = None,
                fetch: Callable[[str], bytes | None] | None = None) -> Source:
    """A file's bytes read within ``limits``; ``fetch`` gives the bytes of a file a web
    page links (an ``<img>`` beside it), when the loader has them."""
    limits = limits or Limits()
    limits.check("file_size", len(data), "the file is {amount}")
    fmt = detect_format(data)
    if fmt == "pdf":
        from loaders.sources.pdf import read_pdf

        return Source(fmt, None, read_pdf(data, limits))
    if fmt == "image":
        from loaders.sources.image import read_image

        return Source(fmt, None, read_image(data, limits))
    if fmt == "docx":
        from loaders.sources.docx import read_docx
        from loaders.sources.pictures import Pictures

        pictures = Pictures(limits)
        return Source(fmt, None, read_docx(data, limits, pictures), pictures.findings)
    if fmt == "html":
        from loaders.sources.html import read_html
        from loaders.sources.pictures import Pictures

        decoded = decode(data, declared_charset(data))
        pictures = Pictures(limits, fetch)
        return Source(fmt, decoded.encoding, read_html(decoded.text, limits, pictures), pictures.findings)
    from loaders.sources.text import read_blocks

    decoded = decode(data)
    return Source(text_format(decoded.text), decoded.encoding, read_blocks(decoded.text, limits))
