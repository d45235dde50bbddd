"""What one file may cost: limits on its size and on what it expands into.

Each limit has a default and a setting (an environment variable, or ``ogi load --limit
NAME=VALUE``). The sources check them before the expensive work: the PDF's page count
before any layout analysis, a Word file's ZIP member sizes before inflating them, an
HTML cell's span area before the grid is expanded. Past a limit the file is refused
with a one-line ``LoadError`` that names the limit and its setting, e.g. ``table 3: a
cell spans 10000 grid positions (limit 2500, OGI_MAX_SPAN_AREA)``.

``seconds`` and ``memory`` bound the parse as a whole: they are enforced where the parse
runs (``loaders.bounded``, ``ogi load``'s workers), not by the sources."""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace

from loaders.errors import LoadError

MB = 1024 * 1024
MAX_DEPTH = 800  # the HTML walker recurses once a level: stay below Python's recursion limit


@dataclass(frozen=True)
class Limits:
    file_size: int = 50 * MB  # bytes of one file
    pages: int = 200  # pages of a PDF
    page_content: int = 3 * MB  # bytes of one PDF page's drawing instructions (a real page: 5–50 KB)
    page_grid: int = 6000  # where one PDF page's ruled lines cross (a real page: up to about 1,100)
    rows: int = 3000  # table rows of a file
    cells: int = 50_000  # table grid positions of a file (merged cells counted per position)
    span_area: int = 2500  # grid positions one merged cell covers (rowspan × colspan)
    unzipped_member: int = 50 * MB  # bytes one member of a Word file's ZIP inflates to
    unzipped_total: int = 200 * MB  # bytes all its members inflate to
    unzip_ratio: int = 100  # inflated / compressed size of a member that inflates past 1 MB
    depth: int = 256  # nesting of XML/HTML elements
    seconds: float = 20  # wall-clock time of one parse (keep it below gunicorn's OGI_TIMEOUT)
    memory: int = 1024 * MB  # address space of the process that parses (bytes)
    ocr_pages: int = 30  # pages of one file read by OCR (a scanned report: 4–20)
    ocr_seconds: float = 300  # wall-clock time of one parse of a file that holds images (OCR: ~10 s a page)
    ocr_memory: int = 3 * 1024 * MB  # address space of a parse of a file that holds images (the OCR models)
    image_pixels: int = 60_000_000  # pixels of one page image (an A4 page at 600 dpi: 35 million)

    def for_data(self, data: bytes) -> tuple[float, int]:
        """(seconds, memory) of a parse of ``data``: ``ocr_seconds`` and ``ocr_memory``
        for a file that holds images (it may need OCR: told from its bytes, before any
        parsing), else ``seconds`` and ``memory``."""
        from loaders.detect import holds_images

        if holds_images(data):
            return max(self.seconds, self.ocr_seconds), max(self.memory, self.ocr_memory)
        return self.seconds, self.memory

    def seconds_for(self, data: bytes) -> float:
        return self.for_data(data)[0]

    def memory_for(self, data: bytes) -> int:
        return self.for_data(data)[1]

    def for_path(self, path) -> tuple[float, int]:
        """``for_data`` of a file (read up to ``file_size``: a larger one is refused at once)."""
        try:
            with open(path, "rb") as f:
                return self.for_data(f.read(self.file_size + 1))
        except OSError:
            return self.seconds, self.memory

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Limits:
        """The defaults, with each ``OGI_MAX_<NAME>`` set in the environment instead."""
        environ = os.environ if environ is None else environ
        given = {f.name: environ[setting(f.name)] for f in fields(cls) if setting(f.name) in environ}
        return cls().with_values(given, source="environment")

    def with_values(self, given: Mapping[str, str | int | float], source: str = "setting") -> Limits:
        """These limits with some changed (values as text, ``50MB``, ``1GiB``, ``2500``)."""
        names = {f.name: f for f in fields(self)}
        changes = {}
        for name, text in given.items():
            if name not in names:
                raise ValueError(f"no limit named {name!r} (limits: {', '.join(names)})")
            try:
                value = _amount(str(text), float if name in ("seconds", "ocr_seconds") else int)
            except ValueError:
                raise ValueError(f"{setting(name)}={text!r} in the {source}: not a number") from None
            if value <= 0 or (name == "depth" and value > MAX_DEPTH):
                raise ValueError(f"{setting(name)}={text!r} in the {source}: must be above 0"
                                 + (f" and at most {MAX_DEPTH}" if name == "depth" else ""))
            changes[name] = value
        return replace(self, **changes)

    def refuse(self, name: str, what: str, where: str = "file") -> LoadError:
        """The error for a file past limit ``name``: ``what`` says by how much."""
        return LoadError(f"{what} (limit {shown(name, getattr(self, name))}, {setting(name)})", where)

    def check(self, name: str, amount: int | float, what: str, where: str = "file") -> None:
        """Raise the error for ``name`` when ``amount`` is past it; ``what`` may use {amount}."""
        if amount > getattr(self, name):
            raise self.refuse(name, what.format(amount=shown(name, amount)), where)


def setting(name: str) -> str:
    """The environment variable of a limit."""
    return f"OGI_MAX_{name.upper()}"


_UNITS = {"": 1, "s": 1, **{unit: 1024 for unit in ("k", "kb", "kib")}, **{unit: MB for unit in ("m", "mb", "mib")},
          **{unit: 1024 * MB for unit in ("g", "gb", "gib")}}  # binary, as ``ls -h`` shows sizes


def _amount(text: str, kind):
    """``50MB`` → 52428800, ``1GiB``, ``512k``; ``30s`` → 30."""
    text = text.strip().lower().replace("_", "")
    number = text.rstrip("abcdefghijklmnopqrstuvwxyz")
    unit = text[len(number):].strip()
    if unit not in _UNITS or not number:
        raise ValueError(text)
    return kind(float(number) * _UNITS[unit]) if kind is int else kind(number) * _UNITS[unit]


def shown(name: str, amount: int | float) -> str:
    """An amount of limit ``name`` as a person reads it: ``1 GiB``, ``30 s``, ``2500``."""
    if name in ("seconds", "ocr_seconds"):
        return f"{amount:g} s"
    if name in ("file_size", "page_content", "unzipped_member", "unzipped_total", "memory", "ocr_memory"):
        for unit, size in (("GiB", 1024 * MB), ("MiB", MB), ("KiB", 1024)):
            if amount >= size:
                return f"{amount / size:.3g} {unit}"
        return f"{amount} bytes"
    return str(amount) if isinstance(amount, int) else f"{amount:g}"


class Budget:
    """What a file has used of its row and cell limits, counted as a source reads it."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self.rows = 0
        self.cells = 0

    def row(self, width: int, where: str) -> None:
        self.rows += 1
        self.cells += width
        self.limits.check("rows", self.rows, "too many table rows", where)
        self.limits.check("cells", self.cells, "too many table cells", where)

    def grid(self, positions: int, where: str) -> None:
        """A PDF page's ruled grid, before its tables are found: the positions its lines
        cross at count as cells (finding tables costs with them)."""
        self.limits.check("page_grid", positions, "the page's ruled lines cross at {amount} places", where)
        self.cells += positions
        self.limits.check("cells", self.cells, "too many table cells (ruled grids of {amount} positions)", where)

    def span(self, rowspan: int, colspan: int, where: str) -> None:
        """A merged cell, before it is expanded: its positions count as cells (a source
        that counts cells here gives rows a width of 0)."""
        self.limits.check("span_area", rowspan * colspan, "a cell spans {amount} grid positions", where)
        self.cells += rowspan * colspan
        self.limits.check("cells", self.cells, "too many table cells", where)


MAX_SPAN = 100  # rowspan, colspan or gridSpan are read up to this (a browser reads colspan up to 1000)


def span_of(value) -> int:
    """A printed span attribute as a count of 1 to ``MAX_SPAN``: ASCII digits only
    (``int`` takes ``²`` for a digit and refuses 4,301 of them), else 1."""
    text = str(value).strip() if value is not None else ""
    if not (text.isascii() and text.isdigit()):
        return 1
    return max(1, min(int(text[:4]), MAX_SPAN)) if len(text) <= 4 else MAX_SPAN


def check_depth(root, limits: Limits, where: str) -> None:
    """Refuse an element tree nested deeper than ``limits.depth`` (walked without recursion)."""
    from lxml import etree

    depth = 0
    for event, _ in etree.iterwalk(root, events=("start", "end")):
        depth += 1 if event == "start" else -1
        if depth > limits.depth:
            raise limits.refuse("depth", "elements nested too deep", where)


LIMIT_NAMES = [f.name for f in fields(Limits)]
