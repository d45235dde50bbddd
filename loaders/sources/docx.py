"""Word (.docx) files, read with python-docx: paragraphs and tables in body order.

Table cells are read from the XML grid: a cell spanning columns (``gridSpan``) gives
its text once and ``SPAN`` for the rest; a cell continuing a vertical merge
(``vMerge``) is ``SPAN``."""
from __future__ import annotations

import io
import zipfile

import docx
from docx.oxml.ns import qn

from loaders.blocks import SPAN, Block, Prose, Row
from loaders.errors import LoadError


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
            if grid_span is not None and str(grid_span.get(qn("w:val"), "1")).isdigit():
                span = max(1, min(int(grid_span.get(qn("w:val"))), 100))
            v_merge = props.find(qn("w:vMerge"))
            continued = v_merge is not None and v_merge.get(qn("w:val"), "continue") != "restart"
        cells += [SPAN if continued else _text(tc)] + [SPAN] * (span - 1)
    return cells


def read_docx(data: bytes) -> list[Block]:
    try:
        document = docx.Document(io.BytesIO(data))
    except (KeyError, ValueError, zipfile.BadZipFile) as e:
        raise LoadError(f"not a readable Word document: {e}", "docx") from None
    blocks: list[Block] = []
    paragraphs = tables = 0
    for element in document.element.body.iterchildren():
        if element.tag == qn("w:p"):
            paragraphs += 1
            text = _text(element)
            if text:
                blocks.append(Prose(text, len(blocks) + 1, f"paragraph {paragraphs}"))
        elif element.tag == qn("w:tbl"):
            tables += 1
            for r, tr in enumerate(element.iter(qn("w:tr")), start=1):
                cells = _row_cells(tr)
                if any(c and c != SPAN for c in cells):
                    blocks.append(Row(tuple(cells), len(blocks) + 1, f"table {tables}, row {r}", exact=True))
    return blocks
