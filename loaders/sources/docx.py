"""Word (.docx) files, read with python-docx: paragraphs and tables in body order.

Table cells are read from the XML grid: a cell spanning columns (``gridSpan``) gives
its text once and ``SPAN`` for the rest; a cell continuing a vertical merge
(``vMerge``) is ``SPAN``."""
from __future__ import annotations

import io
import struct
import zipfile
import zlib

import docx
from docx.opc.exceptions import OpcError
from docx.oxml.ns import qn
from lxml import etree

from loaders.blocks import SPAN, Block, Prose, Row
from loaders.errors import LoadError, first_line
from loaders.limits import MB, Budget, Limits, check_depth, span_of
from loaders.sources.pictures import Pictures

# What python-docx, zipfile, zlib and lxml raise on damaged files: a bad XML part, a
# bad deflate stream or CRC, a missing part or relationship, an encrypted member or an
# unknown compression method, an attribute of a part that is not there.
DAMAGE = (zipfile.BadZipFile, zlib.error, etree.LxmlError, OpcError, KeyError, ValueError, AttributeError,
          TypeError, IndexError, NotImplementedError, RuntimeError, EOFError, OSError, struct.error)


def _text(element) -> str:
    paragraphs = element.iter(qn("w:p"))
    return "".join("".join(t.text or "" for t in p.iter(qn("w:t"))) for p in paragraphs).strip()


def _row_cells(tr) -> list[str]:
    cells = []
    for tc in tr.iter(qn("w:tc")):
        props = tc.find(qn("w:tcPr"))
        span, continued = 1, False
        if props is not None:
            grid_span = props.find(qn("w:gridSpan"))
            if grid_span is not None:
                span = span_of(grid_span.get(qn("w:val"), "1"))
            v_merge = props.find(qn("w:vMerge"))
            continued = v_merge is not None and v_merge.get(qn("w:val"), "continue") != "restart"
        cells += [SPAN if continued else _text(tc)] + [SPAN] * (span - 1)
    return cells


def check_members(data: bytes, limits: Limits) -> None:
    """Refuse a ZIP whose members would inflate past the limits, from the sizes its
    directory declares (zipfile never inflates a member past its declared size: it
    stops there and fails the CRC check), before anything is inflated."""
    total = 0
    for member in zipfile.ZipFile(io.BytesIO(data)).infolist():
        where = f"docx member {member.filename[:80]}"
        size = member.file_size
        limits.check("unzipped_member", size, "inflates to {amount}", where)
        total += size
        limits.check("unzipped_total", total, "the members inflate to {amount} or more", "docx")
        if size > MB:
            limits.check("unzip_ratio", size // max(member.compress_size, 1),
                         "inflates {amount} times its compressed size", where)


def _pictures(paragraph, part, pictures: Pictures, where: str, first_line: int) -> list[Block]:
    """The blocks of the pictures a paragraph holds (``a:blip``: an embedded image part)."""
    blocks: list[Block] = []
    for k, blip in enumerate(paragraph.iter(qn("a:blip")), start=1):
        rid = blip.get(qn("r:embed"))
        image = part.related_parts.get(rid) if rid else None
        at = f"{where}, picture {k}"
        if image is None:
            pictures.missing("a picture linked, not embedded, in the Word file", at)
            continue
        blocks += pictures.read(image.blob, at, first_line + len(blocks))
    return blocks


def read_docx(data: bytes, limits: Limits | None = None, pictures: Pictures | None = None) -> list[Block]:
    """A Word file's paragraphs and tables in order, and (given ``pictures``) the
    pictures in its paragraphs read by OCR where they stand."""
    limits = limits or Limits()
    try:
        check_members(data, limits)
        document = docx.Document(io.BytesIO(data))
        body = document.element.body
        if body is None:
            raise LoadError("not a readable Word document: it has no body", "docx")
        check_depth(document.element, limits, "docx")
        return _blocks(body, Budget(limits), document.part, pictures)
    except DAMAGE as e:
        kind = "damaged compressed data" if isinstance(e, zlib.error) else type(e).__name__
        raise LoadError(f"not a readable Word document: {kind}: {first_line(e)}", "docx") from None


def _blocks(body, budget: Budget, part=None, pictures: Pictures | None = None) -> list[Block]:
    blocks: list[Block] = []
    paragraphs = tables = 0
    for element in body.iterchildren():
        if element.tag == qn("w:p"):
            paragraphs += 1
            text = _text(element)
            if text:
                blocks.append(Prose(text, len(blocks) + 1, f"paragraph {paragraphs}"))
            if pictures is not None and part is not None:
                blocks += _pictures(element, part, pictures, f"paragraph {paragraphs}", len(blocks) + 1)
        elif element.tag == qn("w:tbl"):
            tables += 1
            for r, tr in enumerate(element.iter(qn("w:tr")), start=1):
                cells = _row_cells(tr)
                budget.row(len(cells), f"table {tables}, row {r}")
                if any(c and c != SPAN for c in cells):
                    blocks.append(Row(tuple(cells), len(blocks) + 1, f"table {tables}, row {r}", exact=True))
    return blocks
