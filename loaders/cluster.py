"""Parsing on a Dask cluster: ``ogi load --cluster tcp://scheduler:8786``.

``Cluster`` is the engine next to ``loaders.bounded.Workers``, with the same shape:
``map(paths)`` yields each path with its ``ParsedReport`` (slim, as storing needs it)
or the one line that says why it failed, in the order given, at most ``ahead`` files
in flight. The writer (``loaders.load``) stores them as it stores a local parse.

This process reads each file (and the pictures a web page links beside it) and sends
its bytes; the cluster never sees a path. ``parse_task`` is pure: the same bytes give
the same answer and nothing is kept anywhere, so a task the scheduler runs again (its
worker was lost in the middle of a file) changes nothing, and a file is stored once,
by this one writer. On the worker each file is parsed as a local ``ogi load`` parses
it, by a ``loaders.bounded.Workers`` process under the time and memory limits: a
file past a limit fails alone, with its one-line reason, and the worker goes on.

``distributed`` is imported only when a cluster is used."""
from __future__ import annotations

import concurrent.futures
import logging
import multiprocessing
import tempfile
import threading
import time
import warnings
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import replace
from html import unescape
from pathlib import Path, PurePath
from urllib.parse import unquote

from loaders import PARSER_VERSION
from loaders.detect import image_kind
from loaders.document import ParsedReport, img_sources, read_file, siblings
from loaders.errors import LoadError, first_line
from loaders.limits import Limits

AHEAD_PER_THREAD = 4  # files in flight for each thread of the cluster, as Workers keeps 4 a process
MIN_AHEAD = 4
CONNECT_SECONDS = 20


class ClusterError(RuntimeError):
    """The cluster cannot go on (unreachable, lost, or parsing with another parser
    version): the load stops; what it committed stays, and loading again completes it."""


class VersionMismatch(RuntimeError):
    """A worker runs another version of the parsers than this loader."""


# ---- the task: runs on a worker ----------------------------------------------------------

_held = threading.local()  # each worker thread's bounded parser process, kept between files


def address(src: str) -> str:
    """A linked picture's address as ``document.siblings`` reads it (no fragment or query, unquoted)."""
    return unquote(src.split("#")[0].split("?")[0]).strip()


def parse_task(data: bytes, name: str, limits: Limits, pictures: dict[str, bytes],
               version: str = PARSER_VERSION) -> ParsedReport | str:
    """One file's bytes parsed on a worker as ``ogi load`` parses a file: by a
    ``bounded.Workers`` process (kept for the next file) under the time and memory
    limits, from a temporary copy of the file with its page's pictures beside it. The
    slim ParsedReport without its bytes (the writer has them), or the one-line error,
    naming the file by ``name``."""
    if version != PARSER_VERSION:
        raise VersionMismatch(f"a worker parses with parser version {PARSER_VERSION}, this loader with {version}: "
                              "run the same ogi-api on the workers and the loader")
    with tempfile.TemporaryDirectory(prefix="ogi-parse-") as folder:
        path = _placed(Path(folder), name, data, pictures)
        [(_, result)] = list(_workers(limits).map([str(path)]))
    if isinstance(result, str):
        return name + result[len(str(path)):] if result.startswith(str(path)) else result
    return replace(result, source_name=name, raw_bytes=b"")


def _placed(folder: Path, name: str, data: bytes, pictures: dict[str, bytes]) -> Path:
    """The file written into ``folder`` under its own name, each picture at its address beside it."""
    path = folder / (PurePath(name.replace("\\", "/")).name or "report")
    path.write_bytes(data)
    for where, picture in pictures.items():
        target = (folder / where).resolve()
        if target.is_relative_to(folder.resolve()) and target != path.resolve():
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(picture)
            except (OSError, ValueError):  # an address this file system cannot hold: the page misses it
                pass
    return path


def _workers(limits: Limits):
    """This thread's ``Workers`` process for ``limits`` (started on its first file)."""
    from loaders.bounded import Workers
    from loaders.load import parse_for_store

    held = getattr(_held, "workers", None)
    if held is None or held[0] != limits:
        if held is not None:
            held[1].close()
        _may_start_children()
        _held.workers = held = (limits, Workers(1, parse_for_store, limits))
    return held[1]


def _may_start_children() -> None:
    """A Dask worker runs as a daemonic process (``distributed.worker.daemon``), which
    ``multiprocessing`` forbids to start children. The parser process is a daemon of
    its own: it ends when the Dask worker does (its pipe closes)."""
    process = multiprocessing.current_process()
    if process.daemon:
        process.daemon = False


# ---- the writer's side ---------------------------------------------------------------------

def linked_pictures(path: str | Path, data: bytes, limits: Limits) -> dict[str, bytes]:
    """The pictures beside a web page that its ``<img>`` elements link, by address, as
    ``document.siblings`` would give them to a local parse (read here: a worker cannot
    see this machine's files). Empty for anything but a page."""
    if data.startswith((b"%PDF-", b"PK\x03\x04")) or image_kind(data) or b"<img" not in data.lower():
        return {}
    fetch = siblings(path, limits)
    out: dict[str, bytes] = {}
    for raw in img_sources(data):
        for encoding in ("utf-8", "gb18030"):  # the page's own text, either way it is written
            src = unescape(raw.decode(encoding, "replace"))
            key = address(src)
            if key and key not in out and (picture := fetch(src)) is not None:
                out[key] = picture
    return out


class Cluster:
    """Parse on the Dask cluster at ``address``; ``map`` as ``bounded.Workers.map``."""

    def __init__(self, address: str, limits: Limits, ahead: int | None = None):
        from distributed import Client

        self.address, self.limits, self.fixed_ahead = address, limits, ahead
        try:
            self.client = Client(address, timeout=CONNECT_SECONDS, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as e:
            raise ClusterError(f"cannot reach the cluster at {address}: {first_line(e)}") from None
        self._ahead, self._ahead_at = MIN_AHEAD, float("-inf")
        self.lost = False

    def __enter__(self) -> Cluster:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if not self.lost:
            self.client.close()
            return
        client_log = logging.getLogger("distributed.client")
        level = client_log.level
        client_log.setLevel(logging.CRITICAL)  # its reconnection, cut short, is not the user's to read
        try:
            self.client.close()
        finally:
            client_log.setLevel(level)

    def ahead(self) -> int:
        """Files in flight: ``ahead``, else 4 for each thread the cluster has now (looked up every few seconds)."""
        if self.fixed_ahead:
            return self.fixed_ahead
        if time.monotonic() - self._ahead_at > 5:
            try:
                threads = sum(self.client.nthreads().values())
            except OSError:  # the scheduler does not answer now: what is in flight tells
                return self._ahead
            self._ahead, self._ahead_at = max(MIN_AHEAD, AHEAD_PER_THREAD * threads), time.monotonic()
        return self._ahead

    def submit(self, path: str):
        """The file's bytes and its parse under way (a future), or its one-line error now."""
        try:
            data = read_file(path, self.limits)
        except LoadError as e:
            return None, str(e)
        with warnings.catch_warnings():  # a large file is a large task: the scheduler keeps it to run it again
            warnings.filterwarnings("ignore", message="Sending large graph")
            future = self.client.submit(parse_task, data, path, self.limits,
                                        linked_pictures(path, data, self.limits), PARSER_VERSION, pure=False)
        return data, future

    def result(self, path: str, data: bytes | None, job) -> ParsedReport | str:
        from distributed import KilledWorker

        if isinstance(job, str):
            return job
        try:
            result = job.result()
        except VersionMismatch as e:
            raise ClusterError(str(e)) from None
        except KilledWorker:
            return (f"{path}: file: the workers that parsed it were lost too many times "
                    "(distributed.scheduler.allowed-failures)")
        except (concurrent.futures.CancelledError, OSError) as e:
            self.lost = True
            raise ClusterError(f"lost the cluster at {self.address}: {type(e).__name__}: {first_line(e)}") from None
        except Exception as e:  # noqa: BLE001 - as parse_for_store: one file's failure must not stop the others
            return f"{path}: internal error: {type(e).__name__}: {e}"
        finally:
            job.release()
        return replace(result, raw_bytes=data) if isinstance(result, ParsedReport) else result

    def map(self, paths: Iterable[str], ahead: int | None = None) -> Iterator[tuple[str, ParsedReport | str]]:
        """Each path with its result, in order; at most ``ahead`` files sent and not yet taken."""
        paths = iter(paths)
        pending: deque = deque()

        def fill() -> None:
            limit = ahead or self.ahead()
            while len(pending) < limit and (path := next(paths, None)) is not None:
                pending.append((path, *self.submit(path)))

        try:
            fill()
            while pending:
                path, data, job = pending.popleft()
                result = self.result(path, data, job)
                fill()
                yield path, result
        finally:  # stopped early (an error, Ctrl-C): the cluster forgets what is left
            futures = [job for _, _, job in pending if not isinstance(job, str)]
            if futures:
                self.client.cancel(futures)
