"""Full-text search over the reports' prose sections and agency names, for Chinese.

One tokenizer, in Python, for both backends and for both the text and the query:
the text is folded (NFKC, lower case) and cut into runs; a run of CJK characters
gives each character (so a one-character query matches) and each overlapping pair
of characters (a two-character word such as 复议 is one token; white space inside a
CJK run, a line broken inside a word, is left out); a run of other letters or digits
(``2021``, ``pdf``) is one token. A query is tokenized the same way, except that a
space parts its words and a CJK run of two or more characters gives only its pairs;
its tokens are ANDed: ``行政复议`` asks for 行政, 政复 and 复议 in one document.

The index (``search_doc``) holds a document per section (the agency's name, and the
section's title and text) and one per report (the agency's name and the report's
title). The tokens, joined by spaces, go on SQLite to an FTS5 table (``search_fts``,
contentless, rowid = ``search_doc.id``; its unicode61 tokenizer splits them at the
spaces) ranked by bm25; on PostgreSQL through ``to_tsvector('simple', …)`` (each
token one lexeme: nothing stemmed, no stop words) to a ``tsvector`` column of
``search_doc`` with a GIN index, ranked by ts_rank, the query through
``to_tsquery('simple', …)``. In both the agency's name weighs more than the prose.
Documents are only added (a new revision adds its own; a retracted one stays, as
history): which are searched is the API's filter on the report (current revisions unless asked)."""
from __future__ import annotations

import html
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal
from operator import add

from peewee import SQL, BareField, Expression, ForeignKeyField, PostgresqlDatabase, fn
from playhouse.sqlite_ext import RowIDField

from models.base import BaseModel
from models.db import database
from models.report import Report
from models.section import Section

_CJK = (r"\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
        r"\U00020000-\U0002ebef\U00030000-\U0003134f")
# a CJK run goes on over white space (a line broken inside a word: 标\n准化); other runs do not
_RUN = re.compile(rf"([{_CJK}]+(?:\s+[{_CJK}]+)*)|((?:(?![{_CJK}])[^\W_])+)")
_SPACE = re.compile(r"\s+")
MAX_TOKENS = 100_000  # of a document (about 50,000 characters of Chinese); the rest is not indexed
MAX_WORD = 100  # characters of a run of letters or digits kept (PostgreSQL refuses a lexeme over 2 KB)


# Full-width ASCII forms and the ideographic space, each to its full compatibility
# decomposition: NFKC of the text is the same with them replaced first (NFKD is made of
# each character's decomposition), but a text that then holds none but normalized
# characters (most Chinese prose) passes NFKC's quick check instead of being rebuilt.
_WIDE = str.maketrans({c: unicodedata.normalize("NFKD", chr(c)) for c in [*range(0xFF01, 0xFF5F), 0x3000]})


def fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text.translate(_WIDE)).lower()


def _runs(text: str, query: bool = False) -> list[tuple[bool, str]]:
    """(is CJK, run) for each run of the folded text. White space inside a CJK run is
    left out of a text (a line broken inside a word), but parts the words of a query."""
    out = []
    for cjk, other in _RUN.findall(fold(text)):
        if not cjk:
            out.append((False, other[:MAX_WORD]))
        elif query:
            out += [(True, run) for run in _SPACE.split(cjk)]
        else:
            out.append((True, cjk if cjk.isprintable() and " " not in cjk else _SPACE.sub("", cjk)))
    return out


def tokens(text: str) -> list[str]:
    """The tokens of a text to index: per CJK run, its characters and its overlapping
    pairs; every other run of letters or digits whole. At most ``MAX_TOKENS``."""
    return indexed(text).split()


def indexed(text: str) -> str:
    """The tokens of a text to index, joined by spaces (what the index is given)."""
    folded = fold(text)
    if 2 * len(folded) >= MAX_TOKENS:  # may reach the limit: counted as it goes
        return _indexed_counted(text)
    # a run of n characters gives at most 2n tokens: the limit is not reached, nothing to count
    parts: list[str] = []
    append = parts.append
    for cjk, other in _RUN.findall(folded):
        if cjk:
            if " " in cjk or not cjk.isprintable():
                cjk = _SPACE.sub("", cjk)
            append(" ".join(cjk))
            if len(cjk) > 1:
                append(" ".join(map(add, cjk, cjk[1:])))
        else:
            append(other[:MAX_WORD])
    return " ".join(parts)


def _indexed_counted(text: str) -> str:
    parts, count = [], 0
    for cjk, run in _runs(text):
        if cjk:
            parts.append(" ".join(run))
            if len(run) > 1:
                parts.append(" ".join(map(add, run, run[1:])))
            count += 2 * len(run) - 1
        else:
            parts.append(run)
            count += 1
        if count >= MAX_TOKENS:
            return " ".join(" ".join(parts).split()[:MAX_TOKENS])
    return " ".join(parts)


def query_tokens(q: str) -> list[str]:
    """The tokens a query asks for (all of them, each once, in order): a CJK run of two
    or more characters gives its pairs, a lone CJK character itself."""
    out: list[str] = []
    for cjk, run in _runs(q, query=True):
        found = [run[i:i + 2] for i in range(len(run) - 1)] if cjk and len(run) > 1 else [run]
        out += [t for t in found if t not in out]
    return out


def query_terms(q: str) -> list[str]:
    """The runs of a query (what a passage marks): ``行政复议 2021`` → 行政复议, 2021."""
    return list(dict.fromkeys(run for _, run in _runs(q, query=True)))


class SearchDoc(BaseModel):
    """A searchable document: a section (``section`` set) or a report's name and title
    (``section`` null). Its tokens are in ``search_fts`` (SQLite) or ``tsv`` (PostgreSQL)."""

    report = ForeignKeyField(Report, backref="search_docs", on_delete="CASCADE", index=True)
    section = ForeignKeyField(Section, null=True, on_delete="CASCADE", index=True)

    class Meta:
        table_name = "search_doc"


class SearchFts(BaseModel):
    """The SQLite FTS5 table (made by ``create_index``, not by peewee): a row per ``search_doc``."""

    rowid = RowIDField()
    agency = BareField()
    body = BareField()

    class Meta:
        table_name = "search_fts"


def _postgres() -> bool:
    return isinstance(database.obj, PostgresqlDatabase)


def create_index(db) -> None:
    """What ``search_doc`` needs beside its table, made unless there: the FTS5 table
    (SQLite) or the ``tsv`` column and its GIN index (PostgreSQL)."""
    if _postgres():
        db.execute_sql("ALTER TABLE search_doc ADD COLUMN IF NOT EXISTS tsv tsvector NOT NULL DEFAULT ''")
        db.execute_sql("CREATE INDEX IF NOT EXISTS search_doc_tsv ON search_doc USING GIN (tsv)")
    else:
        db.execute_sql("CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5("
                       "agency, body, content='', tokenize='unicode61 remove_diacritics 0')")


_PG_DOC = ("(%s, %s, setweight(to_tsvector('simple', %s), 'A') || setweight(to_tsvector('simple', %s), 'D'))")
# a report's document on PostgreSQL: its section's id read in the same statement (null for the report's own)
_PG_REPORT_DOC = ("(%s, (SELECT id FROM section WHERE report_id = %s AND number = %s), "
                  "setweight(to_tsvector('simple', %s), 'A') || setweight(to_tsvector('simple', %s), 'D'))")
_PG_INSERT = "INSERT INTO search_doc (report_id, section_id, tsv) VALUES %s"


def index(docs: list[tuple[int, int | None, str, str]]) -> None:
    """Add documents: (report id, section id or None, agency name, text)."""
    if not docs:
        return
    cursor = database.cursor()
    if _postgres():
        from psycopg2.extras import execute_values

        execute_values(cursor, _PG_INSERT, [
            (report, section, indexed(agency), indexed(text))
            for report, section, agency, text in docs], page_size=100, template=_PG_DOC)
        return
    # ids given here: SQLite has one writer at a time (the caller's transaction holds the write lock)
    first = (cursor.execute("SELECT COALESCE(MAX(id), 0) FROM search_doc").fetchone()[0] or 0) + 1
    cursor.executemany("INSERT INTO search_doc (id, report_id, section_id) VALUES (?, ?, ?)",
                       [(i, report, section) for i, (report, section, _, _) in enumerate(docs, first)])
    cursor.executemany("INSERT INTO search_fts (rowid, agency, body) VALUES (?, ?, ?)",
                       [(i, indexed(agency), indexed(text))
                        for i, (_, _, agency, text) in enumerate(docs, first)])


def report_docs(report_id: int, agency: str, title: str | None,
                sections: list[tuple[int, str, str]]) -> list[tuple[int, int | None, str, str]]:
    """The documents of a report: its name and title, and each (section id, title, text)."""
    return [(report_id, None, agency, title or ""),
            *((report_id, section_id, agency, f"{s_title}\n{text}") for section_id, s_title, text in sections)]


_pending_fts: ContextVar[list | None] = ContextVar("search_pending_fts", default=None)


def batching() -> bool:
    return _pending_fts.get() is not None


@contextmanager
def batch() -> Iterator[None]:
    """Keep the FTS5 rows (SQLite) of the stores inside and write them, in order, on the
    way out (inside the transaction that holds those stores, like ``rollup_ops.batch``).
    FTS5 writes the terms it holds to a new segment at every savepoint: a report each,
    then merged; a batch's rows written at once are one segment. ``search_doc`` rows
    are written by each store."""
    token = _pending_fts.set([])
    try:
        yield
        write_fts(_pending_fts.get())
    finally:
        _pending_fts.reset(token)


def stash(rows: list) -> None:
    """Keep a stored report's FTS5 rows for the batch's write (call once it is stored)."""
    _pending_fts.get().extend(rows)


def write_fts(rows: list[tuple[int, str, str]]) -> None:
    """(search_doc id, agency's tokens, text's tokens) rows into ``search_fts`` (SQLite)."""
    if rows:
        database.cursor().executemany("INSERT INTO search_fts (rowid, agency, body) VALUES (?, ?, ?)", rows)


def index_report(report_id: int, agency: str, title: str | None, sections: dict[int, tuple[str, str]],
                 pipe=None) -> list[tuple[int, str, str]]:
    """Index a report just stored: its sections are given (number → title, text) as
    stored; only their ids are read. Its documents are ``report_docs``'s, in that order.
    ``pipe`` (``models.writes.Pipe``): on PostgreSQL the rows are sent with the report's
    other writes, each section's id read by the INSERT itself. On SQLite the FTS5 rows
    are returned, not written, when a batch is open (``batch``: ``stash`` them once the
    report is stored); else written."""
    from models.writes import Pipe

    own = pipe is None
    pipe = pipe or Pipe()
    name = indexed(agency)  # the same for each of its documents
    numbers = [None, *sorted(sections)]
    texts = [title or "", *(f"{t}\n{text}" for t, text in (sections[n] for n in numbers[1:]))]
    if pipe.pg:
        pipe.insert_into(_PG_INSERT, [(report_id, report_id, n, name, indexed(text))
                                      for n, text in zip(numbers, texts, strict=True)], template=_PG_REPORT_DOC)
        if own:
            pipe.flush()
        return []
    cursor = pipe.cursor
    ids = dict(cursor.execute("SELECT number, id FROM section WHERE report_id = ?", (report_id,)).fetchall())
    # ids given here: SQLite has one writer at a time (the caller's transaction holds the write lock)
    first = (cursor.execute("SELECT COALESCE(MAX(id), 0) FROM search_doc").fetchone()[0] or 0) + 1
    cursor.executemany("INSERT INTO search_doc (id, report_id, section_id) VALUES (?, ?, ?)",
                       [(i, report_id, ids.get(n)) for i, n in enumerate(numbers, first)])
    rows = [(i, name, indexed(text)) for i, text in enumerate(texts, first)]
    if batching():
        return rows
    write_fts(rows)
    return []


def rebuild(batch: int = 200) -> int:
    """Index every report stored, from scratch. Returns the documents made."""
    from models.agency import Agency

    clear()
    made = 0
    reports = Report.select(Report.id, Report.title, Agency.name).join(Agency).order_by(Report.id).tuples()
    rows = list(reports)
    for start in range(0, len(rows), batch):
        chunk = rows[start:start + batch]
        sections: dict[int, list] = defaultdict(list)
        for section_id, report_id, title, text in (
                Section.select(Section.id, Section.report, Section.title, Section.text)
                .where(Section.report.in_([r[0] for r in chunk])).order_by(Section.number).tuples()):
            sections[report_id].append((section_id, title, text))
        docs = [d for report_id, title, agency in chunk for d in report_docs(report_id, agency, title,
                                                                            sections[report_id])]
        index(docs)
        made += len(docs)
    return made


def clear() -> None:
    if not _postgres():
        database.execute_sql("INSERT INTO search_fts (search_fts) VALUES ('delete-all')")  # contentless
    SearchDoc.delete().execute()


def _fts_match(toks: list[str], body_only: bool) -> str:
    expr = " ".join(f'"{t}"' for t in toks)  # tokens are letters and digits only: nothing to escape
    return f"body : ({expr})" if body_only else expr


def _tsquery(toks: list[str], body_only: bool) -> str:
    """For to_tsquery('simple', …): each token quoted (letters and digits only), ANDed."""
    return " & ".join(f"'{t}'" + (":D" if body_only else "") for t in toks)


def hits(toks: list[str], body_only: bool):
    """A subquery of the documents that hold every token: (doc, report, section, score),
    score higher for a better match. ``body_only``: in a section's title or text only."""
    if _postgres():
        query = SQL("to_tsquery('simple', %s)", [_tsquery(toks, body_only)])
        return (SearchDoc.select(SearchDoc.id.alias("doc"), SearchDoc.report.alias("report_id"),
                                 SearchDoc.section.alias("section_id"),
                                 fn.ts_rank(SQL("tsv"), query).alias("score"))
                .where(SQL("tsv @@ to_tsquery('simple', %s)", [_tsquery(toks, body_only)])))
    # bm25 is lower for a better match: negated; the agency's name weighs ten times the prose
    table = SearchFts._meta.entity  # written as the table's alias in the query, as FTS5 wants
    score = 0 - fn.bm25(table, 10.0, 1.0)
    return (SearchFts.select(SearchDoc.id.alias("doc"), SearchDoc.report.alias("report_id"),
                             SearchDoc.section.alias("section_id"), score.alias("score"))
            .join(SearchDoc, on=(SearchDoc.id == SearchFts.rowid))
            .where(Expression(table, "MATCH", _fts_match(toks, body_only))))


def report_hits(toks: list[str]):
    """A subquery of the reports one of whose documents holds every token: (report, score)."""
    docs = hits(toks, body_only=False)
    if not _postgres():
        docs = docs.limit(-1)  # not flattened into the GROUP BY: FTS5's bm25 is no aggregate's argument
    docs = docs.alias("docs")
    return (SearchDoc.select(docs.c.report_id.alias("report_id"), fn.MAX(docs.c.score).alias("score"))
            .from_(docs).group_by(docs.c.report_id))


def score_value(score) -> Decimal | None:
    """A score as served: six significant digits, exact from there on."""
    return None if score is None else Decimal(f"{float(score):.6g}")


PASSAGE_BEFORE, PASSAGE_LENGTH = 30, 120
_BREAKS = "。！？；\n"


def _char(c: str) -> str:
    """A pattern of a folded character: an ASCII letter or digit also full-width."""
    return f"[{c}{chr(ord(c) + 0xFEE0)}]" if c.isascii() and c.isalnum() else re.escape(c)


def _spans(text: str, needles: list[str]) -> list[tuple[int, int]]:
    """Where the needles (folded) are in the text, the longest first where they overlap:
    white space allowed between their characters, case ignored, letters and digits
    half- or full-width."""
    if not needles:
        return []
    pattern = "|".join(r"\s*".join(map(_char, n)) for n in sorted(needles, key=len, reverse=True))
    return [m.span() for m in re.finditer(pattern, text, re.IGNORECASE)]


def passage(text: str, q: str | None) -> tuple[str, str]:
    """The passage of a text around the first match of a query, cut at a sentence start
    when one is near, '…' where cut; as plain text and as HTML (escaped, each match in
    ``<mark>``). Without a query (or no match to be seen): the text's start."""
    spans = (_spans(text, query_terms(q)) or _spans(text, query_tokens(q))) if q else []
    start = 0
    if spans:
        first = spans[0][0]
        start = max(0, first - PASSAGE_BEFORE)
        cut = max(text.rfind(c, start, first) for c in _BREAKS)
        if cut >= 0:
            start = cut + 1
    end = min(len(text), start + PASSAGE_LENGTH)
    marks = [(max(a, start), min(b, end)) for a, b in spans if a < end and b > start]
    plain, marked, at = [], [], start
    for a, b in marks:
        plain.append(text[at:a])
        marked.append(html.escape(text[at:a]))
        plain.append(text[a:b])
        marked.append(f"<mark>{html.escape(text[a:b])}</mark>")
        at = b
    plain.append(text[at:end])
    marked.append(html.escape(text[at:end]))
    lead, tail = ("…" if start > 0 else ""), ("…" if end < len(text) else "")
    return (lead + _SPACE.sub(" ", "".join(plain)).strip() + tail,
            lead + _SPACE.sub(" ", "".join(marked)).strip() + tail)
