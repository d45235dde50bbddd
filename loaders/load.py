"""Load many files: each parsed, then stored in its own transaction.

A file that fails is reported with its reason and stores nothing; the others go on.
Parsing can run in several processes (``jobs``); storing is one writer, in order."""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from html import unescape
from itertools import islice
from pathlib import Path
from urllib.parse import unquote

from loaders.bounded import Workers
from loaders.document import ParsedReport, img_sources, parse_file
from loaders.errors import LoadError
from loaders.limits import Limits
from loaders.store import StoreResult, store_report
from models import database
from models.db import writer
from models.rollup_ops import batch as rollup_batch
from models.schema import touch_data_version
from models.search import batch as search_batch

# File names a directory is searched for; a file named on the command line is always tried.
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".gif", ".webp"}
PAGE_SUFFIXES = {".html", ".htm", ".shtml"}
REPORT_SUFFIXES = {".txt", ".text", ".md", ".markdown", ".pdf", ".docx"} | PAGE_SUFFIXES | IMAGE_SUFFIXES
FAILED = "failed"
BATCH = 100  # reports a commit


@dataclass(frozen=True)
class FileOutcome:
    path: str
    outcome: str  # loaded | unchanged | revised | failed
    result: StoreResult | None = None
    error: str | None = None


@dataclass
class LoadSummary:
    """Counts of a load; the outcome of each file too, unless ``keep`` is off (a
    national load keeps only counts, so its memory does not grow with the files)."""

    keep: bool = True
    outcomes: list[FileOutcome] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)
    findings: int = 0

    def add(self, outcome: FileOutcome) -> None:
        self.counts[outcome.outcome] += 1
        if outcome.result and outcome.outcome != "unchanged":
            self.findings += outcome.result.findings
        if self.keep:
            self.outcomes.append(outcome)

    @property
    def failed(self) -> int:
        return self.counts[FAILED]

    def line(self) -> str:
        c = self.counts
        return (f"{c.total()} files: {c['loaded']} loaded, {c['unchanged']} unchanged, "
                f"{c['revised']} revised, {c[FAILED]} failed; {self.findings} findings in the files stored")


def find_files(paths: Iterable[str | Path]) -> Iterator[Path]:
    """Files named, and report files under directories named (recursively, sorted). An
    image that a web page among them shows (``<img src>``) is read as part of that page,
    not as a report of its own."""
    for p in map(Path, paths):
        if p.is_dir():
            found = sorted(
                f for f in p.rglob("*")
                if f.is_file() and f.suffix.lower() in REPORT_SUFFIXES
                and not any(part.startswith(".") for part in f.relative_to(p).parts)
            )
            shown = _shown_images(f for f in found if f.suffix.lower() in PAGE_SUFFIXES)
            yield from (f for f in found if f.resolve() not in shown)
        else:
            yield p


def _shown_images(pages: Iterable[Path]) -> set[Path]:
    """The files the pages' ``<img>`` elements show, by their relative addresses."""
    out = set()
    for page in pages:
        try:
            with page.open("rb") as f:
                head = f.read(Limits().file_size)
        except OSError:
            continue
        for src in img_sources(head):
            address = unquote(unescape(src.decode("utf-8", "replace")).split("#")[0].split("?")[0]).strip()
            if address and "://" not in address and not address.startswith(("/", "data:")):
                out.add((page.parent / address).resolve())
    return out


def parse_for_store(path: str, limits: Limits | None = None) -> ParsedReport | str:
    """A file parsed and slimmed for storing, or the line that says why it failed."""
    try:
        return parse_file(path, limits).slim()
    except LoadError as e:
        return str(e.with_file(path))
    except MemoryError:
        raise  # a worker says which limit
    except Exception as e:  # noqa: BLE001 - one file's failure must not stop the others
        return f"{path}: internal error: {type(e).__name__}: {e}"


def parsed_files(files: list[Path], jobs: int, limits: Limits | None = None,
                 bounded: bool | None = None, cluster: str | None = None) -> Iterator[tuple[Path, ParsedReport | str]]:
    """Each file with its parse, in order. ``bounded`` (the default when ``jobs`` > 1)
    parses in ``jobs`` worker processes under the time and memory limits (a file past
    one fails alone, its worker is replaced), at most ``jobs × 4`` ahead of the
    caller, so memory stays flat; else this process parses, under the other limits.
    ``cluster`` (a Dask scheduler's address) parses on that cluster instead, each file
    under the same limits, at most 4 a cluster thread ahead (``loaders.cluster``)."""
    limits = limits or Limits.from_env()
    if not files:
        return
    if not cluster and not (jobs > 1 if bounded is None else bounded):
        for path in files:
            yield path, parse_for_store(str(path), limits)
        return
    with engine(jobs, limits, cluster) as workers:
        for path, (_, result) in zip(files, workers.map(map(str, files)), strict=True):
            yield path, result


def engine(jobs: int, limits: Limits, cluster: str | None = None):
    """What parses a load's files: ``jobs`` local processes, or the Dask cluster at
    ``cluster``; either has ``map(paths)``, each path with its result, in order."""
    if cluster:
        from loaders.cluster import Cluster

        return Cluster(cluster, limits)
    return Workers(jobs, parse_for_store, limits)


def source_namer(paths: Iterable[str | Path]) -> Callable[[Path], str]:
    """The name a file is stored under: its path relative to the directory named that
    holds it, else its own name (never a path of the server: see ``store.stored_name``)."""
    roots = {Path(p) for p in paths if Path(p).is_dir()}

    def name(path: Path) -> str:
        root = next((parent for parent in path.parents if parent in roots), None)
        return path.relative_to(root).as_posix() if root is not None else path.name

    return name


def store_file(path: Path, parsed: ParsedReport | str, name: str | None = None) -> FileOutcome:
    if isinstance(parsed, str):
        return FileOutcome(str(path), FAILED, error=parsed)
    try:
        result = store_report(replace(parsed, source_name=name) if name else parsed)
    except Exception as e:  # noqa: BLE001 - the transaction rolled back; the others go on
        return FileOutcome(str(path), FAILED, error=f"{path}: store: {type(e).__name__}: {e}")
    return FileOutcome(str(path), result.outcome, result)


def load_paths(paths: Iterable[str | Path], on_file: Callable[[FileOutcome], None] | None = None,
               files: list[Path] | None = None, jobs: int = 1, keep: bool = True, batch: int = BATCH,
               limits: Limits | None = None, bounded: bool | None = None,
               cluster: str | None = None) -> LoadSummary:
    """Load files (or the report files under directories): each parsed, then stored
    whole or not at all. ``jobs`` > 1 parses in that many processes, each file under
    ``limits`` of time and memory (``bounded``: also with one); storing stays in
    this one, in file order. Reports are written ``batch`` to a commit, each in its own
    savepoint: a report that fails rolls back alone, and a crash loses at most the
    uncommitted batch, never part of a report (loading again completes it). ``cluster``
    (a Dask scheduler's address) parses on that cluster; storing is the same."""
    summary = LoadSummary(keep)
    paths = list(paths or [])
    files = files if files is not None else list(find_files(paths))
    name = source_namer(paths)
    parsed = parsed_files(files, jobs, limits, bounded, cluster)
    while chunk := list(islice(parsed, batch)):
        outcomes = []
        try:
            # the write lock taken once a batch; the rollup and the search index (SQLite) written once
            with database.atomic(), writer(), rollup_batch(), search_batch():
                outcomes = [store_file(path, result, name(path)) for path, result in chunk]
                touch_data_version()
        except Exception as e:  # noqa: BLE001 - the batch rolled back: none of it is stored
            outcomes = [FileOutcome(str(path), FAILED, error=f"{path}: commit: {type(e).__name__}: {e}")
                        for path, _ in chunk]
        for outcome in outcomes:  # reported once committed
            summary.add(outcome)
            if on_file:
                on_file(outcome)
    return summary
