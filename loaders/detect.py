"""Tell the format from the content (not the file name) and decode text to str."""
from __future__ import annotations

import codecs
import io
import re
import struct
import zipfile
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
GB_NAMES = {"gb2312", "gbk", "gb18030", "x-gbk", "cp936", "euc-cn"}
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w-]+)""", re.I)
_HTML = re.compile(r"<(?:!doctype\s+html|html|body|table|div|p)[\s>]", re.I)
_MARKDOWN_ROW = re.compile(r"^[ \t]*\|.*\|[ \t]*$", re.M)  # [ \t]: \s would cross lines (quadratic on blank ones)


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str


_CONTROL = bytes([*range(9), *range(14, 32)])  # control bytes that no text holds


def _looks_binary(data: bytes) -> bool:
    sample = data[:4096]
    if b"\x00" in sample:
        return True
    control = len(sample) - len(sample.translate(None, _CONTROL))
    return control > len(sample) * 0.05


def decode(data: bytes, declared: str | None = None) -> Decoded:
    """Bytes to text: a BOM wins, then strict UTF-8, then the encoding a page declares
    (any GB name read as GB18030, their superset), then charset-normalizer among the
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
    if declared and declared.lower() in GB_NAMES:
        try:
            return Decoded(data.decode("gb18030"), "gb18030")
        except UnicodeDecodeError:
            pass
    best = from_bytes(data, cp_isolation=CJK_ENCODINGS).best()
    if best is None:
        raise LoadError("cannot tell the text encoding (not UTF-8, GB18030, Big5 or UTF-16)", "content")
    return Decoded(str(best), best.encoding)


# Image files, by their first bytes: what agencies publish scans and table pictures as.
IMAGE_MAGIC = ((b"\x89PNG\r\n\x1a\n", "png"), (b"\xff\xd8\xff", "jpeg"), (b"II*\x00", "tiff"), (b"MM\x00*", "tiff"),
               (b"BM", "bmp"), (b"GIF87a", "gif"), (b"GIF89a", "gif"))
_PDF_IMAGE = re.compile(rb"/Subtype\s*/Image\b")  # an image's stream dictionary: never inside an object stream
_HTML_IMAGE = re.compile(rb"<img\b", re.I)


def image_kind(data: bytes) -> str | None:
    """png, jpeg, tiff, bmp, gif or webp when the bytes are an image file, else None."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return next((kind for magic, kind in IMAGE_MAGIC if data.startswith(magic)), None)


def holds_images(data: bytes) -> bool:
    """Whether a file may need OCR: an image, a PDF with image objects, a Word file with
    pictures, a page with ``<img>``. Told from the bytes alone, cheaply."""
    if image_kind(data):
        return True
    if data.startswith(b"%PDF-"):
        return bool(_PDF_IMAGE.search(data))
    if data.startswith(b"PK\x03\x04"):
        return b"word/media/" in data
    return bool(_HTML_IMAGE.search(data[:2_000_000]))


def detect_format(data: bytes) -> str:
    """pdf, docx, image, html, markdown or text, from the bytes themselves."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if image_kind(data):
        return "image"
    if data.startswith(b"PK\x03\x04"):
        try:
            names = zipfile.ZipFile(io.BytesIO(data)).namelist()
        except (zipfile.BadZipFile, ValueError, OSError, EOFError, struct.error, NotImplementedError):
            raise LoadError("a damaged ZIP archive (not a readable Word file)", "content") from None
        if "word/document.xml" in names:
            return "docx"
        raise LoadError("a ZIP archive that is not a Word (.docx) document", "content")
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise LoadError("a Word 97-2003 (.doc) or other OLE file: save it as .docx or PDF", "content")
    head = data[:20000]
    if b"<" in head and _HTML.search(head.decode("latin-1")):
        return "html"
    return "text"


def text_format(text: str) -> str:
    """``markdown`` when the text holds pipe tables, else ``text``."""
    return "markdown" if "|" in text and len(_MARKDOWN_ROW.findall(text)) >= 3 else "text"


def declared_charset(data: bytes) -> str | None:
    m = _META_CHARSET.search(data[:4096])
    return m[1].decode("ascii", "replace") if m else None
