"""Parse where a time and a memory limit can stop it.

``parse_bounded(data, name, limits)`` parses one file's bytes in a child process
(forked from a forkserver that has the parsers imported already, so a parse costs a
fork, not an interpreter start) with its address space limited (``RLIMIT_AS``) and a
wall-clock timeout; past either the child is killed and the caller gets a one-line
``LoadError``: ``upload.pdf: file: time limit of 30 s exceeded``, ``memory limit of 1
GiB exceeded``. The caller's process never holds the parse's memory.

``Workers`` is the same for many files (``ogi load``): long-lived processes, each
under the memory limit, each file under a per-file alarm; a file past a limit fails
alone (its worker is replaced) and the others go on."""
from __future__ import annotations

import math
import multiprocessing
import os
import resource
import signal
import sys
import time
import types
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from multiprocessing.connection import wait

from loaders.document import ParsedReport, parse_bytes
from loaders.errors import LoadError, UnexpectedError
from loaders.limits import Limits, setting, shown

PRELOAD = ["loaders.document", "loaders.sources.pdf", "loaders.sources.docx", "loaders.sources.html",
           "loaders.sources.text", "loaders.bounded"]
NICE_WALL_FACTOR = 4  # a lowered-priority parse may take this many times its time limit on the clock
GRACE = 2.0  # seconds a child gets past its time limit (its own alarm) before it is killed


class ParseTimeout(BaseException):
    """Raised by the per-file alarm; a BaseException, so no parser's ``except Exception`` hides it."""


def time_error(limits: Limits, seconds: float | None = None) -> str:
    """The error of a parse past its time limit: ``seconds`` (``limits.seconds``, or
    ``limits.ocr_seconds`` for a file that holds images)."""
    name = "seconds" if seconds is None or seconds == limits.seconds else "ocr_seconds"
    return f"time limit of {shown(name, getattr(limits, name))} exceeded ({setting(name)})"


def memory_error(limits: Limits, memory: int | None = None) -> str:
    """The error of a parse past its memory limit: ``memory`` (``limits.memory``, or
    ``limits.ocr_memory`` for a file that holds images)."""
    name = "memory" if memory is None or memory == limits.memory else "ocr_memory"
    return f"memory limit of {shown(name, getattr(limits, name))} exceeded ({setting(name)})"


def limit_memory(limits: Limits, memory: int | None = None) -> None:
    """Limit this process's address space to ``memory`` (``limits.memory``; never above its hard limit)."""
    memory = limits.memory if memory is None else memory
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    soft = memory if hard == resource.RLIM_INFINITY else min(memory, hard)
    resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def peak_rss() -> int:
    """This process's peak resident memory in bytes."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


@dataclass(frozen=True)
class Outcome:
    """What one bounded parse gave: the report, or the one-line error."""

    parsed: ParsedReport | None
    error: str | None
    unexpected: bool = False  # the parser's last line of defence caught it (a bug to fix)
    timed_out: bool = False
    seconds: float = 0.0
    peak_bytes: int = 0  # the child's peak resident memory (0 when it was killed)


class _Error(LoadError):
    """A child's error line, already whole (``file: place: reason``)."""

    def __str__(self) -> str:
        return self.why


def _context():
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    return context


def prepare() -> None:
    """Start the forkserver now, e.g. when a web worker starts: it imports the parsers
    (1–2 s) in the background instead of during the first upload."""
    from multiprocessing import forkserver

    _context()
    with _no_main():
        forkserver.ensure_running()


@contextmanager
def _no_main():
    """Start a child without the parent's ``__main__``: Python 3.11's forkserver runs
    the main script again in every child (its preload of ``__main__`` looks for a key
    the preparation data does not have), which costs a ``pytest`` or ``ogi`` start per
    parse. The child needs only ``loaders.bounded``."""
    main = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        sys.modules["__main__"] = main


def _child(conn, data: bytes, name: str, limits: Limits, slim: bool, nice: int = 0, idle: bool = False) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    if nice > 0 or idle:  # a background parse (an upload job) yields the cores to requests, and its
        os.nice(nice)  # time limit counts the CPU it was given (the clock is only a backstop)
        if idle and hasattr(os, "SCHED_IDLE"):  # runs only on a core nothing else wants: a waking
            os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))  # request takes the core at once
        cpu = math.ceil(limits.seconds_for(data))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
    memory = limits.memory_for(data)
    limit_memory(limits, memory)
    try:
        try:
            parsed = parse_bytes(data, name, limits)
            message = ("ok", replace(parsed.slim() if slim else parsed, raw_bytes=b""))
        except UnexpectedError as e:
            message = ("unexpected", str(e))
        except LoadError as e:
            message = ("error", str(e))
        conn.send((*message, peak_rss()))
    except MemoryError:
        conn.send(("error", f"{name}: file: {memory_error(limits, memory)}", peak_rss()))


def run_bounded(data: bytes, name: str = "<input>", limits: Limits | None = None, slim: bool = True,
                nice: int = 0, idle: bool = False) -> Outcome:
    """Parse ``data`` in a child process within ``limits.seconds`` and ``limits.memory``
    (``slim``: without the intermediate stages, which storing does not need; ``nice``:
    the child's CPU priority lowered by that much, for a parse nobody waits on: its time
    limit is then CPU time, with ``NICE_WALL_FACTOR`` times as long on the clock; ``idle``:
    besides, Linux's idle scheduling class, ``SCHED_IDLE``, where the child runs only
    when a core has nothing else to run and gives it up the moment another task wakes)."""
    limits = limits or Limits.from_env()
    seconds = limits.seconds_for(data)
    wall = seconds * NICE_WALL_FACTOR if nice > 0 or idle else seconds
    started = time.monotonic()
    receiver, sender = _context().Pipe(duplex=False)
    child = _context().Process(target=_child, args=(sender, data, name, limits, slim, nice, idle),
                               daemon=True)
    with _no_main():
        child.start()
    sender.close()
    try:
        message = receiver.recv() if receiver.poll(wall) else None
    except (EOFError, OSError):
        message = None
    finally:
        receiver.close()
        timed_out = child.is_alive() and time.monotonic() - started >= wall
        child.kill()
        child.join()
        timed_out = timed_out or child.exitcode == -signal.SIGXCPU  # past its CPU time
    took = time.monotonic() - started
    if message is None:
        why = time_error(limits, seconds) if timed_out else _stopped(child.exitcode, limits)
        return Outcome(None, f"{name}: file: {why}", timed_out=timed_out, seconds=took)
    kind, payload, peak = message
    if kind == "ok":
        return Outcome(replace(payload, raw_bytes=data), None, seconds=took, peak_bytes=peak)
    return Outcome(None, payload, unexpected=kind == "unexpected", seconds=took, peak_bytes=peak)


def parse_bounded(data: bytes, name: str = "<input>", limits: Limits | None = None,
                  slim: bool = True, nice: int = 0, idle: bool = False) -> ParsedReport:
    """``parse_bytes`` in a child process under the time and memory limits: the
    ParsedReport (``slim``: what storing needs), or a one-line LoadError."""
    outcome = run_bounded(data, name, limits, slim, nice, idle)
    if outcome.parsed is None:
        raise _Error(outcome.error, "file", name)
    return outcome.parsed


def _stopped(exitcode: int | None, limits: Limits) -> str:
    """Why a child ended without an answer: killed by a signal (the memory limit makes
    C code abort or crash when an allocation fails) or exited."""
    if exitcode is not None and exitcode < 0:
        try:
            signame = signal.Signals(-exitcode).name
        except ValueError:
            signame = f"signal {-exitcode}"
        return (f"the parser was stopped by {signame} (perhaps past the memory limit of "
                f"{shown('memory', limits.memory)}, {setting('memory')})")
    return f"the parser ended without an answer (exit status {exitcode})"


# ogi load: long-lived workers, each file under an alarm

def _alarm(signum, frame):
    raise ParseTimeout


def _worker(conn, task: Callable[[str, Limits], object], limits: Limits) -> None:
    limit_memory(limits)
    signal.signal(signal.SIGALRM, _alarm)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    conn.send("ready")  # a file's time starts when it is given to a worker that has started
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):  # the parent is gone
            return
        if job is None:
            return
        index, path, seconds, memory = job
        healthy = True
        try:
            try:
                limit_memory(limits, memory)  # the soft limit, per file: a worker may raise it up to its hard one
                signal.setitimer(signal.ITIMER_REAL, seconds)
                result = task(path, limits)
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
        except ParseTimeout:
            result, healthy = f"{path}: file: {time_error(limits, seconds)}", False
        except MemoryError:
            result, healthy = f"{path}: file: {memory_error(limits, memory)}", False
        try:
            conn.send((index, result, healthy))
        except (BrokenPipeError, OSError):
            return
        if not healthy:  # a parse cut short may leave its state behind: a fresh worker takes over
            return


class Workers:
    """``jobs`` processes running ``task(path, limits)`` (a picklable top-level
    function) under the limits; ``map`` yields each path's result in order."""

    def __init__(self, jobs: int, task: Callable[[str, Limits], object], limits: Limits):
        self.task, self.limits = task, limits
        self.context = multiprocessing.get_context("spawn")
        self.failed_starts = 0
        self.procs = [self._start() for _ in range(max(1, jobs))]

    def _start(self):
        parent, child = self.context.Pipe()
        proc = self.context.Process(target=_worker, args=(child, self.task, self.limits), daemon=True)
        proc.start()
        child.close()
        proc.conn, proc.job, proc.deadline, proc.ready = parent, None, None, False
        return proc

    def _replace(self, proc) -> None:
        proc.kill()
        proc.join()
        proc.conn.close()
        self.procs[self.procs.index(proc)] = self._start()

    def _started(self, proc, ready) -> None:
        """Take a new worker's ``ready``; one that dies starting is replaced, a few times."""
        if proc.conn in ready:
            try:
                proc.ready = proc.conn.recv() == "ready"
                return
            except (EOFError, OSError):
                pass
        elif proc.sentinel not in ready:
            return
        self.failed_starts += 1
        if self.failed_starts > 3:
            raise RuntimeError(f"the parser workers cannot start (exit status {proc.exitcode})")
        self._replace(proc)

    def close(self) -> None:
        for proc in self.procs:
            try:
                proc.conn.send(None)
            except OSError:
                pass
        for proc in self.procs:
            proc.join(5)
            if proc.is_alive():
                proc.kill()
                proc.join()
            proc.conn.close()

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def map(self, paths: Iterable[str], ahead: int | None = None) -> Iterator[tuple[str, object]]:
        """Each path with its result, in order; at most ``ahead`` results wait to be taken."""
        ahead = ahead or len(self.procs) * 4
        queue = deque(enumerate(paths))
        done: dict[int, tuple[str, object]] = {}
        following = 0
        while queue or done or any(p.job for p in self.procs):
            for proc in self.procs:
                if proc.ready and proc.job is None and queue and queue[0][0] < following + ahead:
                    proc.job = queue.popleft()
                    proc.seconds, memory = self.limits.for_path(proc.job[1])
                    proc.deadline = time.monotonic() + proc.seconds + GRACE
                    proc.conn.send((*proc.job, proc.seconds, memory))
            while following in done:
                yield done.pop(following)
                following += 1
            watched = [p for p in self.procs if p.job or not p.ready]
            if not watched:
                continue
            deadlines = [p.deadline for p in watched if p.job]
            timeout = max(0.0, min(deadlines) - time.monotonic()) if deadlines else None
            ready = wait([p.conn for p in watched] + [p.sentinel for p in watched], timeout)
            for proc in watched:
                if not proc.ready:
                    self._started(proc, ready)
                    continue
                index, path = proc.job
                if proc.conn in ready:
                    try:
                        _, result, healthy = proc.conn.recv()
                    except (EOFError, OSError):  # it died: the sentinel is ready too
                        proc.join()
                        result, healthy = f"{path}: file: {_stopped(proc.exitcode, self.limits)}", False
                    done[index] = (path, result)
                    proc.job = None
                    if not healthy:
                        self._replace(proc)
                elif proc.sentinel in ready:
                    proc.join()
                    done[index] = (path, f"{path}: file: {_stopped(proc.exitcode, self.limits)}")
                    self._replace(proc)
                elif time.monotonic() >= proc.deadline:  # stuck where its alarm cannot reach (C code)
                    done[index] = (path, f"{path}: file: {time_error(self.limits, proc.seconds)}")
                    self._replace(proc)
