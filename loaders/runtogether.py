"""Tables whose cells run together: a crawler's dump of a page, the whole report on a
line or two, labels and digits with no separator between them::

    一、本年新收政府信息公开申请数量2000013二、上年结转政府信息公开申请数量0000000…

The labels are known (the codebook and its aliases), so the digits between two labels
are one row's values, and the row's number of cells is known. Three small stages:

* ``cut``: where the table's labels stand in a long line (row labels, group labels,
  header words, table titles), and the run of digits after each row label; an item
  number glued to the previous row's digits (``…00000002.没有现成信息``) belongs to the
  next label, whose numbering the codebook gives.
* ``splits``: every way a run cuts into the row's numbers (a multi-digit number never
  starts with 0; a space printed between digits is a cell boundary; bounded).
* ``solve``: the joint choice over the table's runs that keeps the codebook's
  identities (``loaders.identities``, read off the checks themselves). A run with one
  split takes it; a run with several takes the one every consistent choice agrees on.
  Consistent means: every identity holds, or those that break all involve one and the
  same cell (one misprint in the report) — so a report that breaks an identity by one
  misprinted number still never gets a wrong split. Otherwise the row's cells are null
  with a ``parse.ambiguous`` finding listing the candidate splits.
* ``blank_cells``: a blank cell prints nothing, so a row may print fewer numbers than
  cells and still split into as many. A chosen split (even the only one) that breaks an
  identity involving its cells, where a reading with blank cells (``with_blanks``) mends
  it, is left out — null with a finding — and the rest chosen again; so is one that some
  identities cannot check (a cell they hold is null) where a reading with blanks keeps
  what can be checked.

Digits followed, before the next label, by an item number's mark or a date (``…02.``,
``…52023年``) are null with a finding: their last digits may belong to what follows.

The prose of section 一 (``共收到政府信息公开申请3件``) only chooses among the splits the
identities allow, and the cell's note says so. Cells cut from a longer run of digits
have the status ``split``."""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from functools import cache, lru_cache
from itertools import combinations

from loaders.blocks import SPAN, Block, Prose, Row
from loaders.identities import CHECKS
from loaders.labels import fold, norm, row_index
from loaders.records import SPLIT
from loaders.tables import READERS, REQUEST_COLUMNS, REVIEW_COLUMNS, REVIEW_ROWS, RowReading, TableReading
from loaders.values import NUMBER, Value, read_value
from models.codebook import codebook

Key = tuple[str, str, str]
MAX_RUN = 120          # characters in one run of digits; a longer one is not split
MAX_CANDIDATES = 2000  # splits of one run; more and the run is ambiguous
MAX_STATES = 50_000    # partial sums the joint search keeps per step; more and the runs are ambiguous
MAX_WORK = 3_000_000   # sums the joint search forms over a table, all hypotheses together
MAX_LISTED = 6         # candidate splits a finding lists
MONEY = {"fee_amount", "procurement_amount"}
SIGNED = {"items_change"}

# ---- cut: labels and runs in a long line ---------------------------------------------------


def _fold_chars(text: str) -> str:
    """Width and quotes folded character by character, so positions stay those of ``text``."""
    out = []
    for ch in text:
        f = fold(ch) if not ch.isspace() else " "
        out.append(f if len(f) == 1 else ch)
    return "".join(out)


def _chars(text: str) -> str:
    return r"\s*".join(re.escape(c) for c in text)


def _numbering(text: str) -> str:
    r"""``1.`` also as ``1、`` ``1,`` ``(1)``; ``(一)`` and ``一、`` as printed, spaces allowed."""
    out = []
    for c in text:
        out.append(r"[.、,，]" if c in ".、" else re.escape(c))
    return r"\s*".join(out) + r"\s*"


def _label_patterns(name: str) -> list[str]:
    folded, core = fold(name), norm(name)
    if not core:
        return []
    at = folded.find(core)
    number = folded[:at] if at > 0 else ""
    cores = [core]
    bare = re.sub(r"\([^()]*\)$", "", core)
    if bare != core and len(bare) >= 4:
        cores.append(bare)  # （二）部分公开 printed without its remark
    out = []
    for c in cores:
        prefix = f"(?:{_numbering(number)})" + ("" if len(c) < 4 else "?") if number else ""
        if number or len(c) >= 2:
            out.append(prefix + _chars(c))
    return out


@dataclass(frozen=True)
class Pattern:
    kind: str  # row | column | group | title
    key: str
    regex: re.Pattern


@cache
def patterns(table: str) -> tuple[Pattern, ...]:
    t = codebook().tables[table]
    out = []
    for row in t.rows.values():
        for name in (row.zh, *row.aliases):
            out += [Pattern("row", row.key, re.compile(p)) for p in _label_patterns(name)]
    for column in t.columns.values():
        for name in (column.zh, *column.aliases):
            out += [Pattern("column", column.key, re.compile(_chars(norm(name))))]
    groups = {r.group for r in t.rows.values() if r.group} | {c.group for c in t.columns.values() if c.group}
    groups |= {"申请人情况", "信息内容"}
    out += [Pattern("group", g, re.compile(_chars(fold(g)))) for g in sorted(groups)]
    out.append(Pattern("title", "article", re.compile(r"第\s*二十\s*条\s*第\s*\(\s*[一二三四五六七八九十]+\s*\)\s*项")))
    return tuple(out)


@dataclass(frozen=True)
class Hit:
    kind: str
    key: str
    start: int
    end: int


def hits(text: str, table: str) -> list[Hit]:
    """The table's labels found in ``text`` (folded), left to right, the longest where two overlap."""
    found = [Hit(p.kind, p.key, m.start(), m.end()) for p in patterns(table) for m in p.regex.finditer(text)]
    found.sort(key=lambda h: (h.start, h.start - h.end))
    out: list[Hit] = []
    for h in found:
        if not out or h.start >= out[-1].end:
            out.append(h)
    return out


_RUN = re.compile(r"[\s\d.,+-]*")


def _run_after(text: str, start: int, end: int) -> tuple[str, int]:
    """The digits printed from ``start`` up to ``end`` (the next label), before any other
    text, and where they stop."""
    raw = _RUN.match(text, start, end)[0]
    run = raw.strip().rstrip(".,+-").strip()
    return run, start + len(raw) - len(raw.lstrip()) + len(run)


# What may follow a run and take its last digits, where no label of the table follows:
# an item number's mark (``…02.第二十条``, ``…52.主动公开政府信息的主要类别``) or a date
# or share (``…52023年``). (A count, ``予以公开1件``, is prose naming a row: ``_counted``.)
_TAIL = re.compile(r"\s*[.、年月日号%‰]")


_COUNTED = re.compile(r"\s*(?:件|条|个|项|次|起|宗|例|份|人|万元|元)")


def _counted(text: str, start: int, run: str) -> bool:
    """The run is followed by a unit (``予以公开1件``): prose that names a row, not the row."""
    at = text.find(run, start) + len(run)
    return bool(_COUNTED.match(text, at))


@dataclass
class RunRow:
    """A row label and the run of digits printed after it."""

    table: str
    keys: list[Key]  # the cells the run fills, in order
    run: str
    label: str
    line: int
    where: str | None = None
    tail: str | None = None  # text after the run that may hold its last digits

    @property
    def row(self) -> Row:
        return Row((self.label, self.run), self.line, self.where)

    @property
    def location(self) -> str:
        return self.row.location


def _header_columns(header: list[str], row: str, table: str) -> list[str]:
    columns = codebook().tables[table].columns
    return [k for k in header if columns[k].rows is None or row in columns[k].rows]


def cut(block: Prose, table: str) -> tuple[list[RunRow], set[str]]:
    """The rows of ``table`` run together in a prose block, and the header words seen."""
    text = _fold_chars(block.text)
    found = hits(text, table)
    rows: list[RunRow] = []
    seen: set[str] = set()
    header: list[str] = []
    after_row = False
    for i, h in enumerate(found):
        end = found[i + 1].start if i + 1 < len(found) else len(text)
        if h.kind == "column":
            if after_row:
                header, after_row = [], False
            header.append(h.key)
            seen.add(h.key)
        elif h.kind == "title":
            header, after_row = [], False
        if h.kind != "row" and not (table == "review_litigation" and h.kind in ("column", "group")):
            continue
        run, stop = _run_after(text, h.end, end)
        if not re.search(r"\d", run) or _counted(text, h.end, run):
            continue
        label = block.text[h.start:h.end]
        tail = block.text[stop:end].strip()[:12] if _TAIL.match(text, stop, end) else None
        if table == "requests":
            keys = [(table, h.key, c) for c in REQUEST_COLUMNS]
        elif table == "review_litigation":
            if h.kind == "row":
                keys = [(table, h.key, c) for c in REVIEW_COLUMNS]
            else:  # after the header: the unlabelled 15 values, three rows of five
                keys = [(table, r, c) for r in REVIEW_ROWS for c in REVIEW_COLUMNS]
        else:
            after_row = True
            keys = [(table, h.key, c) for c in _header_columns(header, h.key, table)]
            if not keys:
                continue
        rows.append(RunRow(table, keys, run, label, block.line, block.where, tail))
    return rows, seen


# ---- splits: the ways a run cuts into a row's numbers ---------------------------------------

_INT = r"(?:0|[1-9]\d{0,14}|[1-9]\d{0,2}(?:,\d{3}){1,4})"
_PART = {"int": re.compile(_INT), "money": re.compile(_INT + r"(?:\.\d+)?"),
         "signed": re.compile(r"[+-]?" + _INT)}


def cell_kind(key: Key) -> str:
    return "money" if key[2] in MONEY else "signed" if key[2] in SIGNED else "int"


def splits(run: str, kinds: list[str], limit: int = MAX_CANDIDATES) -> list[tuple[str, ...]] | None:
    """Every way the tokens of ``run`` (split at spaces) cut into ``len(kinds)`` numbers,
    each valid for its kind; None when there are more than ``limit``."""
    tokens = run.split()
    n = len(kinds)
    if len(tokens) > n or len(run) > MAX_RUN:
        return [] if len(tokens) > n else None
    out: list[tuple[str, ...]] = []
    parts: list[str] = []

    def walk(ti: int, pos: int, ki: int) -> bool:
        if ti == len(tokens):
            if ki == n:
                out.append(tuple(parts))
            return len(out) <= limit
        token = tokens[ti]
        if n - ki < len(tokens) - ti:
            return True
        for end in range(pos + 1, len(token) + 1):
            if ki >= n:
                break
            part = token[pos:end]
            if not _PART[kinds[ki]].fullmatch(part):
                continue
            parts.append(part)
            ok = walk(ti + 1, 0, ki + 1) if end == len(token) else walk(ti, end, ki + 1)
            parts.pop()
            if not ok:
                return False
        return True

    return out if walk(0, 0, 0) else None


# ---- solve: the joint choice the identities allow ------------------------------------------

@dataclass(frozen=True)
class Instance:
    rule: str
    left: tuple[Key, ...]
    right: tuple[Key, ...]
    scope: str = ""  # "row granted", "column total"

    @property
    def cells(self) -> frozenset[Key]:
        return frozenset(self.left + self.right)


@cache
def instances(keys: tuple[Key, ...]) -> tuple[Instance, ...]:
    """The identity instances over ``keys`` (in codebook order), read off the checks of
    ``loaders.identities``: each check is run with one cell at 1 and the rest at 0, and
    says which side of which instance the cell is on."""
    sides: dict[tuple, tuple[list[Key], list[Key]]] = {}
    zero = dict.fromkeys(keys, Decimal(0))
    for key in keys:
        values = {**zero, key: Decimal(1)}
        for check in CHECKS.values():
            for f in check(values):
                if f is None:
                    continue
                left, right = sides.setdefault((f.rule, f.row, f.column), ([], []))
                (left if f.expected == 1 else right).append(key)
    return tuple(Instance(rule, tuple(left), tuple(right), f"row {row}" if row else f"column {column}")
                 for (rule, row, column), (left, right) in sides.items())


@dataclass
class Solution:
    """What the joint search found: per run, the candidates some consistent choice takes."""

    options: list[set[int]]
    complete: bool = True  # False: a bound was reached, the options may be too few


def _hypotheses(usable: list[Instance], touching: set[int], holds: list[bool]) -> list[frozenset[int]]:
    """The sets of identity instances (indices into ``usable``) that may break together:
    none, or those holding one cell (a misprint). Only the instances over the runs
    (``touching``) matter to the choice; a set whose other instances do not hold is out,
    and so is a set inside another (its choices are among the other's)."""
    def possible(dropped: set[int]) -> bool:
        return all(holds[j] for j in range(len(usable)) if j not in touching and j not in dropped)

    sets = {frozenset()} if possible(set()) else set()
    for k in {k for inst in usable for k in inst.cells}:
        dropped = {j for j, inst in enumerate(usable) if k in inst.cells}
        if possible(dropped):
            sets.add(frozenset(dropped & touching))
    return sorted((d for d in sets if not any(d < e for e in sets)), key=lambda d: (len(d), sorted(d)))


def _feasible(cands: list[list[tuple]], offset: tuple, limit: int, work: list[int]) -> list[set[int]] | None:
    """Per run, the candidates (their residual vectors) in some choice whose residuals
    and ``offset`` sum to zero; None when the sets of partial sums outgrow ``limit`` or
    the sums formed the budget left in ``work``.
    Partial sums go forward over the runs, the run with most candidates last, which is
    then looked up, not enumerated; the choices that reach zero are walked back."""
    order = sorted(range(len(cands)), key=lambda i: len(cands[i]))
    forward = [{offset}]
    for i in order[:-1]:
        work[0] -= len(forward[-1]) * len(cands[i])
        if work[0] < 0:
            return None
        states = {tuple(a + b for a, b in zip(s, d, strict=True)) for s in forward[-1] for d in cands[i]}
        if len(states) > limit:
            return None
        forward.append(states)
    out: list[set[int]] = [set() for _ in cands]
    needed = {tuple(-a for a in s): s for s in forward[-1]}
    backward = set()
    for c, d in enumerate(cands[order[-1]]):
        if d in needed:
            out[order[-1]].add(c)
            backward.add(needed[d])
    for step in range(len(order) - 2, -1, -1):
        i, before, reach = order[step], forward[step], set()
        work[0] -= len(backward) * len(cands[i])
        if work[0] < 0:
            return None
        for c, d in enumerate(cands[i]):
            for s in backward:
                prev = tuple(a - b for a, b in zip(s, d, strict=True))
                if prev in before:
                    out[i].add(c)
                    reach.add(prev)
        backward = reach
    return out


def solve(fixed: dict[Key, Decimal | None], runs: list[list[Key]], candidates: list[list[tuple[Decimal, ...]]],
          keys: tuple[Key, ...], limit: int = MAX_STATES, work: int = MAX_WORK) -> Solution:
    """Per run, the candidates taken by some choice of one candidate per run under which
    every identity instance holds, or under which those that break all hold one cell.
    ``fixed`` holds every other cell (None: not known). For each such set of instances
    allowed to break, the rest are residual sums that must come to zero: a forward and
    backward pass over the runs finds every candidate in some zero-sum choice."""
    where: dict[Key, tuple[int, int]] = {k: (r, i) for r, run in enumerate(runs) for i, k in enumerate(run)}
    usable = [inst for inst in instances(keys)
              if not any(fixed.get(k) is None and k not in where for k in inst.cells)]
    out = Solution([set() for _ in runs])
    owners = [{where[k][0] for k in inst.cells if k in where} for inst in usable]
    offsets = [_exact(_residual(inst, fixed, where)) for inst in usable]
    deltas = [_deltas(usable, run, run_cands) for run, run_cands in zip(runs, candidates, strict=True)]
    touching = {j for j, o in enumerate(owners) if o}
    budget = [work]
    for allowed in _hypotheses(usable, touching, [offsets[j] == 0 for j in range(len(usable))]):
        kept = [j for j in touching if j not in allowed]
        # an instance that one run's choice settles alone filters that run's candidates
        index = [list(range(len(run))) for run in candidates]
        for j in kept:
            if len(owners[j]) == 1:
                r = next(iter(owners[j]))
                index[r] = [c for c in index[r] if deltas[r][c][j] + offsets[j] == 0]
        shared = [j for j in kept if len(owners[j]) > 1]
        reduced = [[tuple(deltas[r][c][j] for j in shared) for c in index[r]] for r in range(len(runs))]
        found = _feasible(reduced, tuple(offsets[j] for j in shared), limit, budget)
        if found is None:
            out.complete = False
            return out
        for r, chosen in enumerate(found):
            out.options[r] |= {index[r][c] for c in chosen}
        if all(len(o) > 1 for o in out.options):
            break  # nothing left to tell
    return out


def _residual(inst: Instance, fixed: dict[Key, Decimal | None], where: dict | None = None) -> Decimal:
    """sum(left) - sum(right) over the instance's fixed cells."""
    where = where or {}
    return (sum((fixed[k] for k in inst.left if k not in where), Decimal(0))
            - sum((fixed[k] for k in inst.right if k not in where), Decimal(0)))


def _exact(d: Decimal) -> int | Decimal:
    """An integral sum as an int (the search adds many; ints are faster), else the Decimal."""
    return int(d) if d == d.to_integral_value() else d


def _deltas(usable: list[Instance], run: list[Key], cands: list[tuple[Decimal, ...]]) -> list[tuple]:
    """What each candidate adds to each instance's sum(left) - sum(right)."""
    signs = [[(i, 1 if k in inst.left else -1) for i, k in enumerate(run) if k in inst.cells] for inst in usable]
    out = []
    for cand in cands:
        values = [_exact(v) for v in cand]
        out.append(tuple(sum(sign * values[i] for i, sign in pairs) if pairs else 0 for pairs in signs))
    return out


# ---- the reader: runs, splits and the joint choice into a table reading ------------------------

_PROSE_TOTAL = re.compile(r"共(?:收到|受理|新收)[^，。,;；\d]{0,20}?申请[^，。,;；\d]{0,6}?([0-9]{1,15})\s*件")


def prose_total(text: str) -> tuple[int, str] | None:
    """The number of new requests section 一 states (``共收到政府信息公开申请3件``), with the words."""
    found = {(int(m[1]), m[0]) for m in _PROSE_TOTAL.finditer(unicodedata.normalize("NFKC", text))}
    numbers = {n for n, _ in found}
    return min(found) if len(numbers) == 1 else None


def _shown(parts: tuple[str, ...]) -> str:
    return "|".join(parts)


def _candidates_text(cands: list[tuple[str, ...]]) -> str:
    shown = ", ".join(_shown(c) for c in cands[:MAX_LISTED])
    return shown + (f", … ({len(cands)} in all)" if len(cands) > MAX_LISTED else "")


def _row_keys(table: str, found: set[str]) -> tuple[Key, ...]:
    """Every cell of the table's rows, in codebook order, as the identities see them:
    the single （六）其他处理 row or its three children, as printed."""
    t = codebook().tables[table]
    parents = {p for layout in ("2019", "2021") for p in t.collapsed_rows(layout)}
    children = {c for layout in ("2021",) for cs in t.collapsed_rows(layout).values() for c in cs}
    collapsed = any(p in found for p in parents) and not (found & children)
    skip = children if collapsed else parents
    return tuple((table, r, c) for r in t.rows if r not in skip for c in t.columns)


def _texts(r: RunRow) -> list[tuple[str, ...]] | None:
    """The run's candidate splits as printed; as many tokens as cells are the cells, one to one."""
    tokens, kinds = tuple(r.run.split()), [cell_kind(k) for k in r.keys]
    if len(tokens) == len(kinds) and all(_PART[k].fullmatch(t) for t, k in zip(tokens, kinds, strict=True)):
        return [tokens]
    return splits(r.run, kinds)


def _prose_choice(fixed: dict, runs: list[list[Key]], cands: list[list[tuple]], keys: tuple[Key, ...],
                  hint: str) -> tuple[list[set[int]], str] | None:
    """The options left when section 一's number of new requests is taken as a fact too
    (only to choose among the splits the identities allow), with the words it was read from."""
    stated = prose_total(hint) if hint else None
    target = ("requests", "new_received", "total")
    at = next(((r, run.index(target)) for r, run in enumerate(runs) if target in run), None)
    if stated is None or at is None:
        return None
    r, pos = at
    index = [c for c, cand in enumerate(cands[r]) if cand[pos] == stated[0]]
    if not index:
        return None
    narrowed = solve(fixed, runs, [*cands[:r], [cands[r][c] for c in index], *cands[r + 1:]], keys)
    if not narrowed.complete:
        return None
    narrowed.options[r] = {index[c] for c in narrowed.options[r]}
    return narrowed.options, stated[1]


def _choose(table: str, rows: list[RunRow], texts: list, fixed: dict, found: set[str],
            hint: str, left_out: dict[int, str]) -> tuple[dict[int, tuple[tuple[str, ...], str]], dict[int, str]]:
    """Each run's split and how it was chosen, or why it cannot be told (``left_out``: runs
    already known to be null, and why)."""
    chosen: dict[int, tuple[tuple[str, ...], str]] = {}
    why: dict[int, str] = dict(left_out)
    for i, c in enumerate(texts):
        width = len(rows[i].keys)
        if i in left_out:
            continue
        if c is None:
            why[i] = f"the digits {rows[i].run!r} split into {width} numbers in too many ways to check"
        elif not c:
            why[i] = f"the digits {rows[i].run!r} do not split into {width} numbers"
        elif len(c) == 1:
            chosen[i] = (c[0], "the only split")
    open_runs = [i for i, c in enumerate(texts) if c and len(c) > 1 and i not in left_out]
    if not open_runs:
        return chosen, why
    keys = _row_keys(table, found) if table != "disclosure" else ()
    runs = [rows[i].keys for i in open_runs]
    cands = [[tuple(read_value(p).number for p in c) for c in texts[i]] for i in open_runs]
    solution = solve(fixed, runs, cands, keys) if keys else None
    prose = _prose_choice(fixed, runs, cands, keys, hint) if solution and solution.complete else None
    for j, i in enumerate(open_runs):
        printed, width = texts[i], len(rows[i].keys)
        head = f"the digits {rows[i].run!r} split into {width} numbers in {len(printed)} ways"
        if solution is None:
            why[i] = f"{head} and no identity covers the row: {_candidates_text(printed)}"
            continue
        options = sorted(solution.options[j])
        if solution.complete and len(options) == 1:
            chosen[i] = (printed[options[0]], "the only split that keeps the identities")
        elif prose and len(prose[0][j]) == 1 and len(options) > 1:
            chosen[i] = (printed[next(iter(prose[0][j]))],
                         f"the only split that keeps the identities and section 一's {prose[1]!r}")
        else:
            listed = [printed[o] for o in options] if solution.complete and options else printed
            reason = ("too many joint splits of the table to check" if not solution.complete else
                      "no split keeps the identities (even with one misprinted cell)" if not options else
                      f"{len(options)} of them keep the identities")
            said = " and section 一's prose does not tell them apart" if prose_total(hint or "") else ""
            why[i] = f"{head}; {reason}{said}: {_candidates_text(listed)}"
    return chosen, why


def read_runs(table: str, rows: list[RunRow], normal: TableReading, hint: str = "") -> TableReading:
    """The rows run together, split and placed, added to the rows read the usual way."""
    out = normal
    rows = [r for r in rows if not any(k[1] in out.rows for k in r.keys)]
    known: dict[Key, Decimal | None] = {}
    for reading in out.rows.values():
        for column, v in (reading.values or {}).items():
            known[(table, reading.key, column)] = v.number if v.kind == NUMBER else None
    texts = [_texts(r) for r in rows]
    found = {k[1] for r in rows for k in r.keys} | set(out.rows)
    left_out = {i: f"the digits {r.run!r} are followed by {r.tail!r}: their last digits may belong to what "
                   "follows (an item number, a date), so the row's numbers cannot be told"
                for i, r in enumerate(rows) if r.tail}
    while True:  # a run found to break an identity a blank cell explains is left out, and the rest chosen again
        fixed = dict(known)
        for i, (r, c) in enumerate(zip(rows, texts, strict=True)):
            if c and len(c) == 1 and i not in left_out:
                fixed.update(zip(r.keys, (read_value(p).number for p in c[0]), strict=True))
        chosen, why = _choose(table, rows, texts, fixed, found, hint, left_out)
        blanks = blank_cells(table, rows, chosen, known, found)
        if not blanks:
            break
        left_out.update(blanks)
    for i, r in enumerate(rows):
        if i in chosen:
            parts, how = chosen[i]
            for key, values in _placed(r, parts, how).items():
                out.add(RowReading(key, values, r.location, "split"), r.row.printed)
        else:
            for key in dict.fromkeys(k[1] for k in r.keys):
                out.ambiguous(key, r.row, why[i])
    return out


# ---- blanks: a blank cell prints nothing ----------------------------------------------------

MAX_READINGS = 5_000  # readings of one run with blank cells; more and a blank cannot be ruled out


def with_blanks(run: str, width: int, limit: int = MAX_READINGS) -> list[tuple[str | None, ...]] | None:
    """The readings of ``run`` as fewer numbers than ``width`` cells, the others blank (a
    blank cell prints nothing): each split into fewer numbers, placed in order in every
    way; None when there are more than ``limit``."""
    out: list[tuple[str | None, ...]] = []
    for m in range(width - 1, max(len(run.split()), 1) - 1, -1):
        parts = splits(run, ["int"] * m, limit)
        if parts is None:
            return None
        for places in combinations(range(width), m):
            for p in parts:
                reading: list[str | None] = [None] * width
                for at, part in zip(places, p, strict=True):
                    reading[at] = part
                out.append(tuple(reading))
            if len(out) > limit:
                return None
    return out


def _breaks(inst: Instance, values: dict[Key, Decimal | None]) -> bool | None:
    """Whether the instance breaks under ``values``; None when a cell is blank or unknown."""
    left, right = [values.get(k) for k in inst.left], [values.get(k) for k in inst.right]
    if any(v is None for v in left + right):
        return None
    return sum(left, Decimal(0)) != sum(right, Decimal(0))


def _blank_explains(mine: set[Key], involved: list[Instance], broken: list[Instance], elsewhere: list[Instance],
                    values: dict[Key, Decimal | None]) -> bool:
    """Whether a reading (``values``) with a blank cell in the run explains what the
    chosen split breaks: it mends one of the instances the split breaks, breaks none the
    split keeps, and whatever still breaks in the table (with ``elsewhere``, the broken
    instances the run has no cell in) holds one cell outside the run — one misprint
    elsewhere in the report, which must not make a wrong split stand."""
    here = [inst for inst in involved if _breaks(inst, values)]
    if not broken:  # the split keeps what can be checked of the row, and so does this reading
        return not here
    if len(here) >= len(broken) or any(inst not in broken for inst in here):
        return False
    still = here + elsewhere
    return not still or bool(frozenset.intersection(*(inst.cells for inst in still)) - mine)


def blank_cells(table: str, rows: list[RunRow], chosen: dict[int, tuple[tuple[str, ...], str]],
                known: dict[Key, Decimal | None], found: set[str]) -> dict[int, str]:
    """The chosen runs whose split breaks an identity that a blank cell in the run would
    explain, and why each is left null. A blank prints nothing, so a row of ``n`` cells
    with one blank prints ``n - 1`` numbers, which the digits may also split into ``n``:
    a split, even the only one, that breaks an identity involving its cells cannot be
    told from such a row when some reading with blanks keeps what the split breaks."""
    if table == "disclosure":
        return {}
    values = dict(known)
    for i, (parts, _) in chosen.items():
        values.update(zip(rows[i].keys, (read_value(p).number for p in parts), strict=True))
    keys = _row_keys(table, found)
    out: dict[int, str] = {}
    for i, (parts, how) in chosen.items():
        r, mine = rows[i], set(rows[i].keys)
        involved = [inst for inst in instances(keys) if inst.cells & mine]
        broken = [inst for inst in involved if _breaks(inst, values)]
        unchecked = any(_breaks(inst, values) is None for inst in involved)
        if not broken and not unchecked:
            continue
        elsewhere = [inst for inst in instances(keys) if not inst.cells & mine and _breaks(inst, values)]
        readings = with_blanks(r.run, len(r.keys))
        example = next((b for b in readings or [] if _blank_explains(
            mine, involved, broken, elsewhere, {**values, **{k: None if p is None else read_value(p).number
                                                  for k, p in zip(r.keys, b, strict=True)}})), None)
        if readings is not None and example is None:
            continue  # no blank explains it: the report's own numbers break the identity
        if not broken:
            out[i] = (f"the digits {r.run!r} split into {len(r.keys)} numbers as {'|'.join(parts)} ({how}), and "
                      "some of the identities that would check it cannot be checked (a cell they hold is "
                      "null); what can be checked holds as well for " +
                      (f"{'|'.join(p or '_' for p in example)} with a blank cell (_)" if example else
                       "readings with a blank cell too many to check") + ", so a blank cell may have been left out")
            continue
        names = ", ".join(f"{inst.rule} ({inst.scope})" for inst in broken[:3]) + \
            (f" and {len(broken) - 3} more" if len(broken) > 3 else "")
        shown = "|".join(parts) + f" ({how})"
        also = (f"the digits also read {'|'.join(p or '_' for p in example)} with a blank cell (_), "
                "which keeps them" if example else "too many readings with a blank cell to check")
        out[i] = (f"the digits {r.run!r} split into {len(r.keys)} numbers as {shown}, but that split breaks "
                  f"{names}: a blank cell may have been left out ({also})")
    return out


def _placed(r: RunRow, parts: tuple[str, ...], how: str) -> dict[str, dict[str, Value]]:
    """Each row's values; a number cut from a longer token has the status ``split`` and a note that says how."""
    tokens = r.run.split()
    cut_from: list[str] = []
    t, consumed = 0, ""
    for part in parts:
        consumed += part
        cut_from.append(tokens[t])
        if consumed == tokens[t]:
            t, consumed = t + 1, ""
    out: dict[str, dict[str, Value]] = {}
    for k, part, token in zip(r.keys, parts, cut_from, strict=True):
        v = read_value(part)
        if part != token:
            v = Value(SPLIT, v.number, part, f"split from {r.run!r}: {how}")
        out.setdefault(k[1], {})[k[2]] = v
    return out


def read_table(table: str, blocks: list[Block], hint: str = "",
               readers: dict[str, Callable[[list[Block]], TableReading]] = READERS) -> TableReading:
    """A table read the usual way, and its rows run together in long prose lines split
    and placed (``cut``, ``splits``, ``solve``)."""
    runs: list[RunRow] = []
    seen: set[str] = set()
    rest: list[Block] = []
    for block in blocks:
        if isinstance(block, Prose) and len(block.text) >= 20:
            found, columns = cut(block, table)
            if len(found) >= (1 if table == "review_litigation" else 2):
                runs += found
                seen |= columns
                continue
        rest.append(block)
    reading = readers[table](label_subtables(rest, table))
    if not runs:
        return reading
    reading.columns_seen |= seen
    return read_runs(table, runs, reading, hint)


SUBTABLE_HEADING = 30  # characters


def label_subtables(blocks: list[Block], table: str) -> list[Block]:
    """A table cut into pieces. Sub-tables, each under its own heading (``### 行政复议``,
    ``### 行政诉讼（未经复议直接起诉）``) with its own header row: the heading names the
    row of the sub-table's unlabelled values, which get the row's label. And a row
    label alone on a line, its values on the next: one row."""
    out: list[Block] = []
    pending: str | None = None
    for block in blocks:
        if isinstance(block, Prose) and len(block.text) <= SUBTABLE_HEADING:
            pending = _heading_row(block.text, table)
        elif isinstance(block, Row) and _values_only(block):
            if pending:
                block, pending = Row((pending, *block.cells), block.line, block.where, block.exact), None
            elif out and (label := _label_only(out[-1], table)):
                # a converter moved the row's label to a line of its own, above its values
                cells = (label, *block.cells[1:]) if block.cells and not block.cells[0].strip() \
                    else (label, *block.cells)
                out[-1] = Row(cells, out[-1].line, out[-1].where, block.exact)
                continue
        out.append(block)
    return out


@lru_cache(maxsize=16384)  # (the same few headings recur)
def _heading_row(text: str, table: str) -> str | None:
    """The label of the one row of ``table`` a short line names (a sub-table's heading), or None."""
    named = {h.key for h in hits(_fold_chars(text), table) if h.kind == "row"}
    return codebook().tables[table].rows[named.pop()].zh if len(named) == 1 else None


def _values_only(row: Row) -> bool:
    values = [read_value(c) for c in row.cells if c.strip()]
    return bool(values) and all(v.kind != "text" for v in values) and any(v.kind == NUMBER for v in values)


def _label_only(block: Block, table: str) -> str | None:
    """The row label a table row prints with no values, when it is all the row prints."""
    if not isinstance(block, Row):
        return None
    cells = [c for c in block.cells if c.strip() and c != SPAN]
    match = row_index(table).match(cells[0]) if len(cells) == 1 else None
    return cells[0] if match and match.how in ("exact", "alias") else None


def iter_runs(text: str, table: str) -> Iterator[RunRow]:
    """The runs of one line of text (for tests and benchmarks)."""
    yield from cut(Prose(text, 1), table)[0]
