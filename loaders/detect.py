"""Decode bytes to text and tell the format from the content."""
from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from charset_normalizer import from_bytes

from loaders.errors import LoadError

BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Encodings real reports come in; charset-normalizer picks among them when UTF-8 fails.
CJK_ENCODINGS = ["gb18030", "big5", "utf_16"]


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str


def _looks_binary(data: bytes) -> bool:
    sample = data[:4096]
    if b"\x00" in sample:
        return True
    control = sum(1 for b in sample if b < 9 or 13 < b < 32)
    return control > len(sample) * 0.05


def decode(data: bytes) -> Decoded:
    """Bytes to text: a BOM wins, then strict UTF-8, then charset-normalizer among the
    encodings Chinese reports use. Raises LoadError for empty or binary content."""
    if not data.strip():
        raise LoadError("the file is empty", "content")
    for bom, encoding in BOMS:
        if data.startswith(bom):
            try:
                return Decoded(data.decode(encoding), encoding.replace("-sig", ""))
            except UnicodeDecodeError as e:
                raise LoadError(f"not valid {encoding} after its byte-order mark: {e.reason}",
                                f"byte {e.start}") from None
    if _looks_binary(data):
        raise LoadError("binary content that is not a text report", "content")
    try:
        return Decoded(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    best = from_bytes(data, cp_isolation=CJK_ENCODINGS).best()
    if best is None:
        raise LoadError("cannot tell the text encoding (not UTF-8, GB18030, Big5 or UTF-16)", "content")
    return Decoded(str(best), best.encoding)


_MARKDOWN_ROW = re.compile(r"^\s*\|.*\|\s*$", re.M)


def detect_format(text: str, filename: str = "") -> str:
    """``markdown`` when the text holds pipe tables, else ``text`` (tab-separated)."""
    if len(_MARKDOWN_ROW.findall(text)) >= 3:
        return "markdown"
    return "text"
