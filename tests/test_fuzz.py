"""Fuzz: hostile bytes give a one-line error or a report that keeps its invariants.

Hypothesis mutates every format's fixtures — the seeds (text), a markdown and a Word
file made from a seed, the corpus web page and PDF — by bit flips, byte changes,
truncation, chunk duplication and deletion, and, for Word files, by damaging a ZIP
member's inflated XML or its deflate data. Each mutated file is parsed by the bounded
runner (``loaders.bounded``: a child process under a time and a memory limit) and
must give one of:

* a one-line ``LoadError`` that is not the parser's last line of defence
  (``UnexpectedError`` counts as a crash: a library error nobody caught where it is
  raised);
* a report that keeps its invariants (``silent_wrong``): every cell has a valid
  status; a value only with a value status; every value is the number its raw text
  prints (or, split from digits run together, digits of it); every raw text is printed
  in the file; and where the mutated file prints a row exactly as the original printed
  the row a cell was read from, the cell has the original's value (which the goldens
  check) or a finding that names it.

Past the time limit is a hang; past the memory limit a blow-up. The CI budget is fixed
(examples per format, about 40 s in all); ``benchmarks/fuzz.py`` runs the same checks
longer and prints the figures."""
from __future__ import annotations

import io
import os
import re
import zipfile
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loaders.bounded import run_bounded
from loaders.document import ParsedReport, parse_bytes
from loaders.limits import MB, Limits
from loaders.records import REPORTED, SPLIT, STATUSES
from loaders.values import read_value
from tests.conftest import FIXTURES, SEEDS, seed
from tests.test_formats import seed_as_docx, seed_as_html

FUZZ_LIMITS = Limits(seconds=10, memory=1024 * MB)
VALUE_STATUSES = {REPORTED, SPLIT}


def seed_as_markdown(source) -> bytes:
    """A seed as a converter's markdown: each run of tab rows a pipe table with a
    separator row after its first row, prose as paragraphs."""
    out, in_table = [], False
    for line in source.read_text(encoding="utf-8").splitlines():
        if "\t" in line:
            cells = line.split("\t")
            out.append("| " + " | ".join(cells) + " |")
            if not in_table:
                out.append("|" + "---|" * len(cells))
            in_table = True
        else:
            in_table = False
            if line.strip():
                out += ["", line, ""]
    return "\n".join(out).encode()


def fixtures() -> dict[str, list[tuple[str, bytes]]]:
    corpus = FIXTURES / "corpus"
    return {
        "text": [(p.name, p.read_bytes()) for p in [*SEEDS, *sorted(corpus.glob("*.txt"))] if p != seed("004")],
        "markdown": [(seed("004").name, seed("004").read_bytes()), ("001.md", seed_as_markdown(seed("001")))],
        "html": [(p.name, p.read_bytes()) for p in sorted(corpus.glob("*.html"))]
                + [("002.html", seed_as_html(seed("002")).encode())],
        "pdf": [(p.name, p.read_bytes()) for p in sorted(corpus.glob("*.pdf"))],
        "docx": [("001.docx", seed_as_docx(seed("001")))],
    }


FIXTURE_FILES = fixtures()
_ORIGINALS: dict[str, ParsedReport] = {}


def original(name: str, data: bytes) -> ParsedReport:
    if name not in _ORIGINALS:
        _ORIGINALS[name] = parse_bytes(data, name)
    return _ORIGINALS[name]


# mutations

INTERESTING = [0x00, 0xFF, 0x80, ord("<"), ord(">"), ord('"'), ord("9"), ord("\t"), ord("|"), ord("\n"), ord("/")]


@st.composite
def byte_mutation(draw, data: bytes) -> bytes:
    data = bytearray(data)
    for _ in range(draw(st.integers(1, 4))):
        if not data:
            break
        n = len(data)
        op = draw(st.sampled_from(["flip", "byte", "truncate", "duplicate", "delete"]))
        at = draw(st.integers(0, n - 1))
        if op == "flip":
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif op == "byte":
            data[at] = draw(st.sampled_from(INTERESTING))
        elif op == "truncate":
            del data[at:]
        else:
            size = draw(st.integers(1, min(n - at, 4096)))
            chunk = data[at:at + size]
            if op == "delete":
                del data[at:at + size]
            else:
                where = draw(st.integers(0, n))
                data[where:where] = chunk
    return bytes(data)


INTERESTING_CHARS = list("0123456789\t|\n -/.,元件一二三四、（）()<>&;\"'²") + ["\u3000", "\x00", "\ufeff", "9" * 30,
                                                                          "9" * 4400]


@st.composite
def text_mutation(draw, data: bytes) -> bytes:
    """The same operations on the decoded text (a character at a time), so that most
    mutated files still decode and reach the readers."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return draw(byte_mutation(data))
    for _ in range(draw(st.integers(1, 4))):
        if not text:
            break
        n = len(text)
        op = draw(st.sampled_from(["char", "char", "insert", "truncate", "duplicate", "delete"]))
        at = draw(st.integers(0, n - 1))
        if op == "char":
            text = text[:at] + draw(st.sampled_from(INTERESTING_CHARS)) + text[at + 1:]
        elif op == "insert":
            text = text[:at] + draw(st.text(max_size=8)) + text[at:]
        elif op == "truncate":
            text = text[:at]
        else:
            size = draw(st.integers(1, min(n - at, 2000)))
            chunk = text[at:at + size]
            if op == "delete":
                text = text[:at] + text[at + size:]
            else:
                where = draw(st.integers(0, n))
                text = text[:where] + chunk + text[where:]
    return text.encode("utf-8", errors="surrogatepass")


@st.composite
def zip_mutation(draw, data: bytes) -> bytes:
    """A Word file with one member damaged: its inflated bytes mutated (bad XML), or
    its deflate data (bad zlib, bad CRC), or left out."""
    source = zipfile.ZipFile(io.BytesIO(data))
    infos = source.infolist()
    target = draw(st.sampled_from(infos))
    how = draw(st.sampled_from(["xml", "xml", "deflate", "drop"]))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in infos:
            content = source.read(info)
            if info is target:
                if how == "drop":
                    continue
                if how == "xml":
                    content = draw(text_mutation(content) if draw(st.booleans()) else byte_mutation(content))
            z.writestr(info.filename, content)
    result = bytearray(out.getvalue())
    if how == "deflate":
        info = zipfile.ZipFile(io.BytesIO(bytes(result))).getinfo(target.filename)
        start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
        if info.compress_size > 2:
            at = start + draw(st.integers(0, info.compress_size - 1))
            result[at] ^= 1 << draw(st.integers(0, 7))
    return bytes(result)


@st.composite
def mutated(draw, fmt: str) -> tuple[str, bytes, bytes]:
    name, data = draw(st.sampled_from(FIXTURE_FILES[fmt]))
    if fmt == "docx" and draw(st.booleans()):
        return name, data, draw(zip_mutation(data))
    if fmt in ("text", "markdown", "html") and draw(st.booleans()):
        return name, data, draw(text_mutation(data))
    return name, data, draw(byte_mutation(data))


# the verdict on one mutated file

@dataclass
class Verdict:
    kind: str  # parsed | refused | crash | hang | memory | silent_wrong
    detail: str = ""
    peak_bytes: int = 0
    seconds: float = 0.0


def judge(name: str, original_bytes: bytes, data: bytes, limits: Limits = FUZZ_LIMITS) -> Verdict:
    outcome = run_bounded(data, name, limits, slim=False)
    v = Verdict("parsed", peak_bytes=outcome.peak_bytes, seconds=outcome.seconds)
    if outcome.parsed is None:
        error = outcome.error or ""
        if outcome.unexpected or "\n" in error or not error.startswith(f"{name}: ") or "internal error" in error:
            v.kind, v.detail = "crash", error
        elif outcome.timed_out or "time limit" in error:
            v.kind, v.detail = "hang", error
        elif "memory limit" in error or "the parser was stopped" in error:
            v.kind, v.detail = "memory", error
        else:
            v.kind, v.detail = "refused", error
        return v
    wrong = silent_wrong(outcome.parsed, original(name, original_bytes), data)
    if wrong:
        v.kind, v.detail = "silent_wrong", wrong
    return v


_SPACE = re.compile(r"\s+")


def _squeeze(text: str) -> str:
    return _SPACE.sub("", text.replace("\x1f", ""))


def printed_text(parsed: ParsedReport, data: bytes) -> str | None:
    """The text the file prints, white space removed, to look a raw value up in
    (None for a PDF: its text is compressed; its values are checked against their raw text)."""
    fmt = parsed.source_format
    if fmt == "pdf":
        return None
    if fmt == "docx":
        from lxml import etree

        xml = zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml")
        root = etree.fromstring(xml, etree.XMLParser(recover=True, resolve_entities=False))
        ns = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}t"
        return _squeeze("".join(t.text or "" for t in root.iter(ns)))
    text = data.decode(parsed.encoding or "utf-8", errors="replace")
    if fmt == "html":
        import lxml.html

        text = lxml.html.fromstring(re.sub(r"^\s*<\?xml[^>]*\?>", "", text)).text_content()
    return _squeeze(re.sub(r"<br\s*/?>", "", text, flags=re.I))


def _digits(value) -> str:
    return re.sub(r"\D", "", format(value, "f"))


def named_by_finding(parsed: ParsedReport, key: str) -> bool:
    table, row, column = key.split("/")
    return any(key in f.cells or (f.table == table and f.row in (None, row) and f.column in (None, column))
               for f in parsed.findings)


def silent_wrong(parsed: ParsedReport, before: ParsedReport, data: bytes) -> str | None:
    """The first broken invariant of a report read from a mutated file, or None."""
    text = printed_text(parsed, data)
    blocks = {b.location: b for b in parsed.blocks}
    old_blocks = {b.location: b for b in before.blocks}
    old_cells = {c.key: c for c in before.cells}
    for c in parsed.cells:
        if c.status not in STATUSES:
            return f"{c.key}: status {c.status!r}"
        if (c.value is not None) != (c.status in VALUE_STATUSES):
            return f"{c.key}: value {c.value} with status {c.status}"
        if c.value is None:
            continue
        if c.status == REPORTED and read_value(c.raw or "").number != c.value:
            return f"{c.key}: value {c.value} is not what {c.raw!r} prints"
        if c.status == SPLIT and _digits(c.value) not in _digits_of(c.raw):
            return f"{c.key}: value {c.value} is not in the digits of {c.raw!r}"
        if text is not None and _squeeze(c.raw or "") not in text:
            return f"{c.key}: {c.raw!r} is not printed in the file"
        old = old_cells.get(c.key)
        here, there = blocks.get(c.location), old_blocks.get(old.location) if old else None
        if (old is not None and here is not None and there is not None and here == _moved(there, here)
                and c.value != old.value and not named_by_finding(parsed, c.key)):
            return f"{c.key}: {c.value} where the same row printed {old.value} (at {old.location}), no finding"
    return None


def _digits_of(raw: str | None) -> str:
    return re.sub(r"\D", "", raw or "")


def _moved(there, here):
    """The original block as it would read at the mutated block's place (lines shift)."""
    from dataclasses import replace

    return replace(there, line=here.line, where=here.where)


# CI: a fixed budget per format

BUDGET = {"text": 100, "markdown": 50, "html": 60, "docx": 50, "pdf": 8}
CI = bool(os.environ.get("CI"))


@pytest.mark.parametrize("fmt", list(BUDGET))
def test_hostile_bytes_give_one_line_or_a_sound_report(fmt):
    seen: dict[str, int] = {}

    @given(mutated(fmt))
    @settings(max_examples=BUDGET[fmt], deadline=None, derandomize=CI, database=None,
              suppress_health_check=list(HealthCheck))
    def check(case):
        name, before, data = case
        verdict = judge(name, before, data)
        seen[verdict.kind] = seen.get(verdict.kind, 0) + 1
        assert verdict.kind in ("parsed", "refused"), f"{verdict.kind}: {verdict.detail}"

    check()
    assert sum(seen.values()) >= BUDGET[fmt] * 0.9


def test_the_fixtures_are_their_formats():
    for fmt, files in FIXTURE_FILES.items():
        for name, data in files:
            assert parse_bytes(data, name).source_format == fmt, name
            assert silent_wrong(original(name, data), original(name, data), data) is None, name


def test_a_bad_deflate_member_is_one_line():
    data = seed_as_docx(seed("001"))
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo("word/document.xml")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    broken = bytearray(data)
    broken[start + info.compress_size // 2] ^= 0xFF
    verdict = judge("001.docx", data, bytes(broken))
    assert verdict.kind == "refused", verdict


def test_the_checker_sees_a_silent_wrong_value():
    """The invariants catch what they are for: a value changed where the row is
    intact, a value its raw text does not print, a status no cell may have."""
    from dataclasses import replace

    name, data = FIXTURE_FILES["text"][0]
    before = original(name, data)
    k = next(i for i, c in enumerate(before.cells) if c.value)
    changed = replace(before, cells=[*before.cells[:k], replace(before.cells[k], value=before.cells[k].value + 1),
                                     *before.cells[k + 1:]])
    assert "not what" in silent_wrong(changed, before, data)
    a = next(c for c in before.cells if c.value and not named_by_finding(before, c.key))
    b = next(c for c in before.cells if c.value and c.value != a.value and c.location != a.location)
    swapped = replace(before, cells=[replace(c, value=b.value, raw=b.raw) if c is a else c for c in before.cells])
    assert silent_wrong(swapped, before, data) == (
        f"{a.key}: {b.value} where the same row printed {a.value} (at {a.location}), no finding")
    bad_status = replace(before, cells=[replace(before.cells[0], status="guessed")])
    assert "status 'guessed'" in silent_wrong(bad_status, before, data)
