"""Uploads stored for a key (``POST /v1/reports``): at once, or as a job.

A small text file is parsed and stored in the request. A file that takes long (one
that holds images, read by OCR at seconds a page, or one over
``OGI_UPLOAD_SYNC_MAX_BYTES``) becomes a job (``models.job``): kept in the database
with its bytes, parsed by a worker under the full OCR limits and stored with the
same scope check and write record as a direct upload. Web workers never parse it.

Workers: ``ogi jobs work`` (a process of its own), and, unless
``OGI_JOBS_IN_PROCESS=0``, a thread in each web process that runs while jobs are
waiting (``start_in_process``). A worker claims a job atomically (PostgreSQL: ``FOR
UPDATE SKIP LOCKED``; SQLite: an update only a queued row matches), so each job runs
once however many workers there are; it renews the job's heartbeat while it parses,
and a job whose heartbeat is older than the lease (``OGI_JOBS_LEASE_SECONDS``, default
60) is queued again: its worker is gone. The report is stored in the transaction that
marks the job done, and only while the worker still holds the job."""
from __future__ import annotations

import atexit
import hashlib
import logging
import os
import socket
import threading
from datetime import timedelta

from peewee import InterfaceError, OperationalError, PostgresqlDatabase

from loaders.bounded import parse_bounded
from loaders.detect import holds_images
from loaders.document import ParsedReport
from loaders.errors import LoadError
from loaders.limits import Limits
from loaders.store import UNCHANGED, StoreResult, store_report
from models import Agency, ApiKey, Report, database
from models.agency import utcnow
from models.audit import REFUSED, Actor, record, write_refusal
from models.decimals import NumberOutOfBounds
from models.job import DONE, FAILED, QUEUED, RUNNING, Job
from models.schema import touch_data_version

log = logging.getLogger("ogi.write")
SYNC_MAX_BYTES = 1024 * 1024  # default of OGI_UPLOAD_SYNC_MAX_BYTES: a larger upload is a job
LEASE_SECONDS = 60  # default of OGI_JOBS_LEASE_SECONDS
MAX_ATTEMPTS = 3  # a job whose worker died this often while running it fails
POLL_SECONDS = 1.0  # how often an idle worker looks for jobs
NICE = 10  # default of OGI_JOBS_NICE: how much lower a job's parse runs than requests


class Refused(Exception):
    """The parsed report is out of the key's scope (recorded already): why."""


class LostLease(Exception):
    """The job is no longer this worker's (its heartbeat went stale and another took it)."""


def sync_max_bytes() -> int:
    return int(os.environ.get("OGI_UPLOAD_SYNC_MAX_BYTES", SYNC_MAX_BYTES))


def takes_long(data: bytes, max_bytes: int | None = None) -> bool:
    """Whether an upload becomes a job: it holds images (OCR) or is over the size setting."""
    return len(data) > (sync_max_bytes() if max_bytes is None else max_bytes) or holds_images(data)


# --- storing for a key: the same for a direct upload and a job ---------------------------

def refuse(key: ApiKey, why: str, report: Report | None = None, **where) -> None:
    """Record a refused write of ``key`` (its own transaction)."""
    with database.atomic():
        record(Actor.of_key(key), REFUSED, report, detail=why, **where)
        touch_data_version()
    log.info("write refused", extra={"fields": {"key_id": key.id, "key_name": key.name,
                                                "report": report.id if report else None}})


def check_scope(parsed: ParsedReport, key: ApiKey) -> None:
    """Refused (recorded) when the parsed report's agency is out of the key's scope."""
    m = parsed.metadata
    if why := write_refusal(key, m.agency):
        latest = (Report.select(Report, Agency).join(Agency).where(Agency.name == m.agency, Report.year == m.year)
                  .order_by(Report.revision.desc()).first())
        refuse(key, why, latest, agency_name=m.agency, year=m.year, sha256=parsed.sha256)
        raise Refused(why)


def store_upload(parsed: ParsedReport, key: ApiKey) -> StoreResult:
    """Store a report uploaded with ``key`` (scope checked already), recorded as the key's write."""
    result = store_report(parsed, actor=Actor.of_key(key))
    if result.outcome == UNCHANGED:
        touch_data_version()  # the history changed
    log.info("report uploaded", extra={"fields": {"key_id": key.id, "key_name": key.name,
                                                  "report": result.report_id, "outcome": result.outcome}})
    return result


# --- the queue ------------------------------------------------------------------------------

def enqueue(data: bytes, name: str, key: ApiKey) -> Job:
    """A job for an uploaded file (``name``: its file name)."""
    return Job.create(api_key=key.id, source_name=f"upload:{name}", sha256=hashlib.sha256(data).hexdigest(),
                      size=len(data), content=data)


def claim(worker: str) -> Job | None:
    """The oldest queued job, now running for ``worker``; None when none is queued. Two
    workers never claim the same job."""
    now = utcnow()
    running = {"status": RUNNING, "worker": worker, "started_at": now, "heartbeat_at": now,
               "attempts": Job.attempts + 1}
    if isinstance(database.obj, PostgresqlDatabase):
        oldest = (Job.select(Job.id).where(Job.status == QUEUED).order_by(Job.created_at, Job.id).limit(1)
                  .for_update("FOR UPDATE SKIP LOCKED"))
        with database.atomic():
            claimed = Job.update(**running).where(Job.id.in_(oldest)).returning(Job.id).tuples().execute()
            job_id = next(iter(claimed), (None,))[0]
        return Job.get_by_id(job_id) if job_id else None
    for (job_id,) in Job.select(Job.id).where(Job.status == QUEUED).order_by(Job.created_at, Job.id).limit(10).tuples():
        if Job.update(**running).where(Job.id == job_id, Job.status == QUEUED).execute():  # only one worker's matches
            return Job.get_by_id(job_id)
    return None


def requeue_stale(lease: float) -> int:
    """Jobs running on a worker that is gone (heartbeat older than ``lease`` seconds)
    queued again, or failed after ``MAX_ATTEMPTS``. Returns how many were queued again."""
    stale = (Job.status == RUNNING) & (Job.heartbeat_at < utcnow() - timedelta(seconds=lease))
    Job.update(status=FAILED, finished_at=utcnow(), content=None, error=(
        f"the worker stopped {MAX_ATTEMPTS} times while parsing this file (no heartbeat for {lease:g} s, "
        "OGI_JOBS_LEASE_SECONDS): nothing was stored")).where(stale & (Job.attempts >= MAX_ATTEMPTS)).execute()
    return Job.update(status=QUEUED, worker=None).where(stale).execute()


def unfinished() -> bool:
    return Job.select().where(Job.status.in_((QUEUED, RUNNING))).exists()


def _finish(job: Job, worker: str, status: str, **fields) -> None:
    if not Job.update(status=status, finished_at=utcnow(), content=None, **fields).where(
            Job.id == job.id, Job.worker == worker, Job.status == RUNNING).execute():
        raise LostLease(job.id)


class _Heartbeat(threading.Thread):
    """Renews a running job's heartbeat every ``every`` seconds until stopped."""

    def __init__(self, job: Job, worker: str, every: float):
        super().__init__(name=f"ogi-job-heartbeat-{job.id[:8]}", daemon=True)
        self.job_id, self.worker, self.every, self.db = job.id, worker, every, database.obj
        self.stopped = threading.Event()

    def run(self) -> None:
        try:
            while not self.stopped.wait(self.every):
                try:
                    Job.update(heartbeat_at=utcnow()).where(Job.id == self.job_id, Job.worker == self.worker,
                                                            Job.status == RUNNING).execute()
                except (OperationalError, InterfaceError) as e:  # the database does not answer: next time
                    log.warning("job %s: heartbeat not renewed: %s", self.job_id, e)
        finally:
            if not self.db.is_closed():
                self.db.close()

    def stop(self) -> None:
        self.stopped.set()
        self.join()


def worker_name() -> str:
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{threading.get_ident()}"


class Worker:
    """Claims jobs and runs them: parse (in a child process, under ``limits``), check
    the scope, store; the job ends ``done`` or ``failed`` with the one-line reason."""

    def __init__(self, limits: Limits | None = None, lease: float | None = None, poll: float = POLL_SECONDS):
        self.limits = limits or Limits.from_env()
        self.lease = lease or float(os.environ.get("OGI_JOBS_LEASE_SECONDS", LEASE_SECONDS))
        self.poll = poll
        self.name = worker_name()
        self.nice = max(0, min(19, int(os.environ.get("OGI_JOBS_NICE", NICE))))
        self.idle = os.environ.get("OGI_JOBS_IDLE", "1").strip().lower() not in ("0", "false", "no", "off")

    def step(self) -> str | None:
        """Run one job, if one is queued (after queuing again those of workers that are
        gone): its final status, or None."""
        requeue_stale(self.lease)
        job = claim(self.name)
        if job is None:
            return None
        beat = _Heartbeat(job, self.name, self.lease / 4)
        beat.start()
        try:
            return self.run(job)
        except LostLease:
            log.warning("job %s: taken over by another worker (no heartbeat for %g s): left to it", job.id,
                        self.lease)
            return None
        finally:
            beat.stop()

    def run(self, job: Job) -> str:
        key = ApiKey.get_or_none(ApiKey.id == job.api_key_id, ApiKey.revoked_at.is_null())
        if key is None:
            return self.fail(job, f"{job.source_name}: the key that uploaded it was revoked before the job ran: "
                                  "nothing was stored")
        try:
            parsed = parse_bounded(bytes(job.content), job.source_name, self.limits, nice=self.nice,
                                   idle=self.idle)
            check_scope(parsed, key)
        except (LoadError, Refused) as e:
            return self.fail(job, str(e))
        except Exception as e:  # noqa: BLE001 - a file the parser does not survive is still the file's problem
            log.exception("job %s could not be parsed", job.id)
            return self.fail(job, f"{job.source_name}: internal error: the file could not be read "
                                  f"({type(e).__name__})")
        try:
            with database.atomic():  # stored exactly when the job is marked done by its worker
                result = store_upload(parsed, key)
                _finish(job, self.name, DONE, report=result.report_id, outcome=result.outcome)
        except NumberOutOfBounds as e:  # as a direct upload's 422: the write refused whole
            return self.fail(job, str(e))
        except (OperationalError, InterfaceError, LostLease):
            raise
        except Exception as e:  # noqa: BLE001 - a job that cannot be stored ends, with its reason
            log.exception("job %s could not be stored", job.id)
            return self.fail(job, f"{job.source_name}: internal error: the report could not be stored "
                                  f"({type(e).__name__})")
        log.info("job done", extra={"fields": {"job": job.id, "report": result.report_id, "outcome": result.outcome}})
        return DONE

    def fail(self, job: Job, why: str) -> str:
        why = " ".join(why.split())  # one line
        _finish(job, self.name, FAILED, error=why)
        log.info("job failed", extra={"fields": {"job": job.id, "error": why}})
        return FAILED

    def work(self, stop: threading.Event, until_idle: bool = False, bound_to=None) -> None:
        """Run jobs until ``stop`` is set (``until_idle``: until none is queued or
        running; ``bound_to``: while the models are bound to that database)."""
        while not stop.is_set() and (bound_to is None or database.obj is bound_to):
            try:
                if self.step():
                    continue
                if until_idle and _idle():
                    return
            except (OperationalError, InterfaceError) as e:  # the database does not answer: try again
                log.warning("jobs: the database does not answer: %s", e)
            except Exception:  # a worker keeps working whatever one job did
                log.exception("jobs: unexpected error")
            stop.wait(self.poll)


# --- the worker thread of a web process ------------------------------------------------------

_lock = threading.Lock()
_thread: _InProcess | None = None
_leaving_registered: list = []  # atexit.register(leaving) done once a process


def _idle() -> bool:
    """No job is waiting or running: the web process's worker thread may end (decided
    under the lock that ``start_in_process`` takes, so a job queued meanwhile is never
    left without a worker)."""
    global _thread
    with _lock:
        if unfinished():
            return False
        if _thread is threading.current_thread():
            _thread = None
        return True


class _InProcess(threading.Thread):
    def __init__(self, limits: Limits | None):
        super().__init__(name="ogi-jobs", daemon=True)
        self.db = database.obj
        self.stopped = threading.Event()
        self.worker = Worker(limits)

    def run(self) -> None:
        try:
            self.worker.work(self.stopped, until_idle=True, bound_to=self.db)
        finally:
            if not self.db.is_closed():
                self.db.close()


def running_here() -> bool:
    """Whether this process's worker thread is running (jobs are queued or running)."""
    thread = _thread
    return thread is not None and thread.is_alive()


def leaving() -> int:
    """This process is ending (a web worker recycled after ``OGI_MAX_REQUESTS``, or
    stopped): the job its worker thread runs goes back to the queue now, its claim not
    counted as an attempt, rather than failing when its parse is cut short (the parse
    child is terminated with the process). The thread's later writes for it find the
    job no longer its own and store nothing. Returns how many jobs were queued again."""
    with _lock:
        thread = _thread
    if thread is None or not thread.is_alive():
        return 0
    try:
        with database.connection_context():
            return Job.update(status=QUEUED, worker=None, attempts=Job.attempts - 1).where(
                Job.worker == thread.worker.name, Job.status == RUNNING).execute()
    except (OperationalError, InterfaceError) as e:  # its lease will run out: another worker takes it then
        log.warning("jobs: not queued again at exit (the database does not answer): %s", e)
        return 0


def start_in_process(limits: Limits | None = None) -> bool:
    """Make sure this process has its worker thread, running while jobs are queued or
    running (one a process: a web process that serves an upload, or starts with jobs
    waiting, runs one). Returns whether one was started."""
    global _thread
    with _lock:
        if _thread is not None and _thread.is_alive() and _thread.db is database.obj:
            return False
        _thread = _InProcess(limits)
        _thread.start()
        if not _leaving_registered:
            atexit.register(leaving)  # before multiprocessing's own handler, which ends the parse child
            _leaving_registered.append(True)
        return True


def stop_in_process() -> None:
    """Stop this process's worker thread (after the job it runs), e.g. between tests."""
    global _thread
    with _lock:
        thread, _thread = _thread, None
    if thread is not None:
        thread.stopped.set()
        thread.join()


def start_if_waiting() -> bool:
    """At a web process's start: its worker thread, if jobs are waiting (or running on
    a worker that may be gone)."""
    try:
        with database.connection_context():
            waiting = unfinished()
    except (OperationalError, InterfaceError) as e:
        log.warning("jobs: not checked at start (the database does not answer): %s", e)
        return False
    return waiting and start_in_process()
