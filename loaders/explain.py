"""``ogi parse --explain``: what each stage found, for when a real report goes wrong."""
from __future__ import annotations

from loaders.document import ParsedReport, number
from loaders.sections import NUMERALS


def explain(p: ParsedReport) -> str:
    m = p.metadata
    out = [
        f"file      {p.source_name}: {p.source_format}, {p.encoding}, {p.size} bytes, sha256 {p.sha256[:16]}…",
        f"title     {m.title}",
        f"agency    {m.agency}    year {m.year}    layout {p.layout}",
        f"document  {m.document_number}    signed {m.published_on}",
        f"contact   phone {m.contact_phone}  address {m.contact_address}  email {m.contact_email}"
        f"  postcode {m.contact_postcode}",
        "",
        "sections",
    ]
    out += [f"  {NUMERALS[n - 1]} {s.title}  (line {s.line}, {len(s.blocks)} blocks, {len(s.rows)} table rows)"
            for n, s in sorted(p.sections.items())]
    for reading in p.readings.values():
        out += ["", f"table {reading.table}: rows read"]
        for row in reading.rows.values():
            if row.values is None:
                out.append(f"  {row.location:<9} {row.key}: AMBIGUOUS")
            else:
                vals = " ".join(f"{k}={v.raw or (v.ocr.text + '?' if v.ocr and v.ocr.text else '∅')}"
                                for k, v in row.values.items())
                out.append(f"  {row.location:<9} {row.key} [{row.label}]: {vals}")
    out += ["", "cells"]
    for c in p.cells:
        note = f"  note {c.note}" if c.note else ""
        ocr = f"  confidence {c.confidence} box {c.box}" if c.box else ""  # read by OCR from a page image
        out.append(f"  {c.key:<58} {str(number(c.value)):>12}  {c.status:<11} raw {c.raw!r} at {c.location}{note}{ocr}")
    out += ["", f"findings ({len(p.findings)})"]
    out += [f"  {f.rule:<28} {f.message}" for f in p.findings]
    return "\n".join(out)
