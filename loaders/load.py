"""Load many files: each parsed, then stored in its own transaction.

A file that fails is reported with its reason and stores nothing; the others go on."""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from loaders.document import parse_file
from loaders.errors import LoadError
from loaders.store import StoreResult, store_report

# File names a directory is searched for; a file named on the command line is always tried.
REPORT_SUFFIXES = {".txt", ".text", ".md", ".markdown", ".html", ".htm", ".shtml", ".pdf", ".docx"}
FAILED = "failed"


@dataclass(frozen=True)
class FileOutcome:
    path: str
    outcome: str  # loaded | unchanged | revised | failed
    result: StoreResult | None = None
    error: str | None = None


@dataclass
class LoadSummary:
    outcomes: list[FileOutcome] = field(default_factory=list)

    @property
    def counts(self) -> Counter:
        return Counter(o.outcome for o in self.outcomes)

    @property
    def findings(self) -> int:
        return sum(o.result.findings for o in self.outcomes if o.result and o.outcome != "unchanged")

    @property
    def failed(self) -> int:
        return self.counts[FAILED]

    def line(self) -> str:
        c = self.counts
        return (f"{len(self.outcomes)} files: {c['loaded']} loaded, {c['unchanged']} unchanged, "
                f"{c['revised']} revised, {c[FAILED]} failed; {self.findings} findings in the files stored")


def find_files(paths: Iterable[str | Path]) -> Iterator[Path]:
    """Files named, and report files under directories named (recursively, sorted)."""
    for p in map(Path, paths):
        if p.is_dir():
            yield from sorted(
                f for f in p.rglob("*")
                if f.is_file() and f.suffix.lower() in REPORT_SUFFIXES
                and not any(part.startswith(".") for part in f.relative_to(p).parts)
            )
        else:
            yield p


def load_file(path: Path) -> FileOutcome:
    try:
        result = store_report(parse_file(path))
    except LoadError as e:
        return FileOutcome(str(path), FAILED, error=str(e.with_file(str(path))))
    except Exception as e:  # noqa: BLE001 - one file's failure must not stop the others
        return FileOutcome(str(path), FAILED, error=f"{path}: internal error: {type(e).__name__}: {e}")
    return FileOutcome(str(path), result.outcome, result)


def load_paths(paths: Iterable[str | Path], on_file: Callable[[FileOutcome], None] | None = None,
               files: list[Path] | None = None) -> LoadSummary:
    summary = LoadSummary()
    for path in files if files is not None else find_files(paths):
        outcome = load_file(path)
        summary.outcomes.append(outcome)
        if on_file:
            on_file(outcome)
    return summary
