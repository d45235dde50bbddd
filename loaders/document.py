"""Chain the stages: bytes ─▶ report document (``spec/README.md``'s JSON shape).

``parse_bytes`` returns a ``ParsedReport`` (the stages' results, for ``--explain`` and
the store); ``ParsedReport.document()`` is the JSON document ``ogi parse`` prints."""
from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from urllib.parse import unquote

import orjson

from loaders import PARSER_VERSION
from loaders.blocks import Block
from loaders.cells import build_cells, detect_layout
from loaders.detect import detect_format
from loaders.errors import LoadError, UnexpectedError
from loaders.identities import check_identities
from loaders.limits import Limits
from loaders.metadata import Metadata, read_metadata
from loaders.records import CellRecord, FindingRecord
from loaders.runtogether import read_table
from loaders.sections import NUMERALS, Section, SectionText, split_sections
from loaders.sources import read_source
from loaders.tables import TableReading
from models.codebook import codebook
from models.decimals import json_default, plain

log = logging.getLogger(__name__)


@dataclass
class ParsedReport:
    source_name: str
    source_format: str
    encoding: str
    sha256: str
    size: int
    raw_bytes: bytes = field(repr=False)
    metadata: Metadata
    layout: str
    blocks: list[Block]
    sections: dict[int, Section | SectionText]
    readings: dict[str, TableReading]
    cells: list[CellRecord]
    findings: list[FindingRecord] = field(default_factory=list)

    def slim(self) -> ParsedReport:
        """What storing needs, without the intermediate stages (cheaper to send between processes)."""
        return replace(self, blocks=[], readings={}, sections={n: s.frozen() for n, s in self.sections.items()})

    def document(self) -> dict:
        m = self.metadata
        return {
            "agency": {"name": m.agency},
            "year": m.year,
            "layout": self.layout,
            "title": m.title,
            "document_number": m.document_number,
            "published_on": m.published_on.isoformat() if m.published_on else None,
            "contact": {"phone": m.contact_phone, "address": m.contact_address,
                        "email": m.contact_email, "postcode": m.contact_postcode},
            "source": {"name": self.source_name, "format": self.source_format, "encoding": self.encoding,
                       "sha256": self.sha256, "size": self.size},
            "parser_version": PARSER_VERSION,
            "cells": [
                {"table": c.table, "row": c.row, "column": c.column, "value": number(c.value),
                 "raw": c.raw, "status": c.status, "note": c.note, "location": c.location,
                 **({"confidence": c.confidence, "box": box_document(c.box)} if c.box else {})}
                for c in self.cells
            ],
            "findings": [finding_document(f) for f in self.findings],
            "sections": [
                {"number": n, "numeral": NUMERALS[n - 1], "title": s.title, "text": s.text}
                for n, s in sorted(self.sections.items())
            ],
        }


def number(value: Decimal | None) -> int | Decimal | None:
    """A value for a JSON document, exactly: an integer as an int (a Decimal past 64
    bits), a decimal as a Decimal with every significant digit (never a float).
    ``dumps`` writes either as a JSON number."""
    if value is None:
        return None
    if value == value.to_integral_value() and abs(value) < 2**63:
        return int(value)
    return Decimal(plain(value))


def box_document(box: str | None) -> dict | None:
    """Where on a page image a cell was read (``loaders.blocks.PageBox``), as an object."""
    if not box:
        return None
    page, x0, y0, x1, y1, width, height = (int(n) for n in box.split())
    return {"page": page, "x0": x0, "y0": y0, "x1": x1, "y1": y1, "width": width, "height": height, "unit": "px"}


def dumps(document) -> str:
    """A document as JSON text (indented), its numbers exact: ``3664843848.32580008``."""
    return orjson.dumps(document, default=json_default, option=orjson.OPT_INDENT_2).decode()


def finding_document(f: FindingRecord) -> dict:
    return {"rule": f.rule, "table": f.table, "row": f.row, "column": f.column, "cells": f.cells,
            "expected": number(f.expected), "printed": number(f.printed), "message": f.message,
            "location": f.location}


def parse_bytes(data: bytes, source_name: str = "<input>", limits: Limits | None = None,
                fetch: Callable[[str], bytes | None] | None = None) -> ParsedReport:
    """Parse one file's bytes within ``limits`` (default: the environment's). Raises
    LoadError (naming the file) when it is not a report or is past a limit; anything
    else a parser raises on hostile bytes becomes an ``UnexpectedError`` (a LoadError
    too: ``unreadable <format>: <exception type>``), logged with its traceback.
    ``fetch`` gives the bytes of a picture a web page links (``siblings``)."""
    limits = limits or Limits.from_env()  # a bad setting is the operator's ValueError, not the file's
    try:
        return _parse(data, source_name, limits, fetch)
    except LoadError as e:
        raise e.with_file(source_name) from None
    except MemoryError:
        raise  # the caller that set the memory limit says which
    except Exception as e:  # noqa: BLE001 - the last line of defence: no traceback reaches a user
        log.warning("unexpected parser error on %s", source_name, exc_info=True)
        raise UnexpectedError(f"unreadable {_format_of(data)}: {type(e).__name__}", "content",
                              source_name) from None


def _format_of(data: bytes) -> str:
    try:
        return detect_format(data)
    except Exception:  # noqa: BLE001 - only for the message
        return "file"


def _parse(data: bytes, source_name: str, limits: Limits, fetch=None) -> ParsedReport:
    source = read_source(data, limits, fetch)
    return parse_blocks(source.blocks, data, source_name, source.format, source.encoding, source.findings)


def parse_blocks(blocks: list, data: bytes, source_name: str, fmt: str, encoding: str | None,
                 source_findings: list[FindingRecord] | None = None) -> ParsedReport:
    """The stages after the source: sections, tables, cells, identities, metadata."""
    preamble, sections = split_sections(blocks)
    hint = sections[1].text if 1 in sections else ""  # section 一's prose, for cells run together
    readings = {
        table.key: read_table(table.key, sections[number_of(table.section)].blocks, hint)
        for table in codebook().tables.values()
        if number_of(table.section) in sections
    }
    if not any(r.rows for r in readings.values()):
        raise LoadError("no report tables found (sections 二, 三 and 四 hold no table rows): "
                        "this does not look like a government information disclosure annual report", "tables")
    tail = [b for n, s in sections.items() if n >= 6 for b in s.blocks]
    metadata = read_metadata(preamble, tail, blocks)
    try:
        layout, findings = detect_layout(readings, metadata.year)
    except ValueError as e:
        raise LoadError(str(e), "layout") from None
    cells, completeness = build_cells(readings, layout)
    findings += [f for r in readings.values() for f in r.findings] + completeness + check_identities(cells)
    findings += source_findings or []
    return ParsedReport(
        source_name=source_name, source_format=fmt, encoding=encoding,
        sha256=hashlib.sha256(data).hexdigest(), size=len(data), raw_bytes=data, metadata=metadata, layout=layout,
        blocks=blocks, sections=sections, readings=readings, cells=cells, findings=findings,
    )


def number_of(numeral: str) -> int:
    return NUMERALS.index(numeral) + 1


def read_file(path: str | Path, limits: Limits) -> bytes:
    """A report file's bytes; a file over the size limit is refused before it is read."""
    path = Path(path)
    try:
        if path.stat().st_size > limits.file_size:
            limits.check("file_size", path.stat().st_size, "the file is {amount}")
        return path.read_bytes()
    except OSError as e:
        raise LoadError(f"cannot read: {e.strerror}", "file", str(path)) from None
    except LoadError as e:
        raise e.with_file(str(path)) from None


# An <img> element's src, quoted ("a b.png", 'a b.png') or not (a.png)
_IMG_SRC = re.compile(rb"""<img\b[^>]*?\bsrc\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""", re.I)


def img_sources(page: bytes) -> Iterator[bytes]:
    """The ``src`` of each ``<img>`` of a web page's bytes, as written (a quoted one whole,
    spaces and all)."""
    for match in _IMG_SRC.finditer(page):
        yield next(group for group in match.groups() if group is not None)


def siblings(path: str | Path, limits: Limits) -> Callable[[str], bytes | None]:
    """The bytes of a file a page links by a relative address in its own folder or
    below (``images/t1.png``), within the file size limit; None for anything else (a
    remote address, an absolute path, one that leaves the folder, a file not there)."""
    folder = Path(path).resolve().parent

    def fetch(src: str) -> bytes | None:
        address = unquote(src.split("#")[0].split("?")[0]).strip()
        if not address or "://" in address or address.startswith(("/", "\\", "//", "data:")):
            return None
        target = (folder / address).resolve()
        if not target.is_relative_to(folder) or not target.is_file() or target.stat().st_size > limits.file_size:
            return None
        return target.read_bytes()

    return fetch


def parse_file(path: str | Path, limits: Limits | None = None) -> ParsedReport:
    """Parse a file; a web page's pictures may be files beside it (``siblings``)."""
    limits = limits or Limits.from_env()
    return parse_bytes(read_file(path, limits), str(path), limits, siblings(path, limits))
