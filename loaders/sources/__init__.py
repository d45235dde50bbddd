"""One source per input format, each turning a file into blocks (``loaders.blocks``)."""
from __future__ import annotations

from loaders.blocks import Block
from loaders.detect import declared_charset, decode, detect_format, text_format
from loaders.limits import Limits


def read_source(data: bytes, limits: Limits | None = None) -> tuple[str, str | None, list[Block]]:
    """(format, text encoding or None, blocks) of a file's bytes, within ``limits``."""
    limits = limits or Limits()
    limits.check("file_size", len(data), "the file is {amount}")
    fmt = detect_format(data)
    if fmt == "pdf":
        from loaders.sources.pdf import read_pdf

        return fmt, None, read_pdf(data, limits)
    if fmt == "docx":
        from loaders.sources.docx import read_docx

        return fmt, None, read_docx(data, limits)
    if fmt == "html":
        from loaders.sources.html import read_html

        decoded = decode(data, declared_charset(data))
        return fmt, decoded.encoding, read_html(decoded.text, limits)
    from loaders.sources.text import read_blocks

    decoded = decode(data)
    return text_format(decoded.text), decoded.encoding, read_blocks(decoded.text, limits)
