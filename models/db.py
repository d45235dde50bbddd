"""The database: chosen by ``DATABASE_URL``, shared by every model through a proxy.

SQLite (the embedded default) gets WAL and foreign keys; PostgreSQL is used as is.
The schema carries a version number in the ``meta`` table so that a later change can
migrate a database that already holds data (see ``MIGRATIONS``).
"""
from __future__ import annotations

import os
import shutil
import sqlite3
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from urllib.parse import parse_qsl, quote

from peewee import DatabaseProxy, OperationalError, PostgresqlDatabase, SqliteDatabase
from playhouse.db_url import connect as connect_url

from models import decimals

database = DatabaseProxy()

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "synchronous": "normal",
    "cache_size": -64 * 1024,  # 64 MiB
    "busy_timeout": 10_000,
}


def default_url() -> str:
    """``DATABASE_URL`` if set, else a SQLite file in the data folder (``OGI_DATA_DIR``, default ./data)."""
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    data_dir = Path(os.environ.get("OGI_DATA_DIR", "data"))
    return f"sqlite:///{data_dir / 'ogi.sqlite3'}"


class _Cursor(sqlite3.Cursor):
    """Remembers, on its connection, the last error a statement met (see ``lost_reason``)."""

    def _remembered(self, run, *args):
        try:
            return run(*args)
        except sqlite3.Error as e:
            self.connection.last_error = e
            raise

    def execute(self, *args):
        return self._remembered(super().execute, *args)

    def executemany(self, *args):
        return self._remembered(super().executemany, *args)


class _Connection(sqlite3.Connection):
    last_error: sqlite3.Error | None = None

    def cursor(self, factory=_Cursor):
        return super().cursor(factory)


class Sqlite(SqliteDatabase):
    """SQLite that tells when it rolled a transaction back by itself.

    On some errors (SQLITE_FULL "database or disk is full", SQLITE_IOERR, SQLITE_NOMEM)
    SQLite rolls the whole transaction back. Peewee does not know it: its rollback then
    fails ("no such savepoint", "cannot rollback - no transaction is active"), hiding
    the error that happened, and later statements would run outside any transaction,
    each committed alone. Here a rollback of a transaction that is gone is a no-op, so
    the error that happened is the one raised, and any statement run in a transaction
    that SQLite rolled back fails, naming the error that rolled it back.

    Every connection also gets the exact-number functions (``models.decimals``)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        decimals.register(self)

    def lost_reason(self) -> str | None:
        """Why the transaction peewee thinks is open is not, or None if it is."""
        if self.is_closed() or not self.in_transaction():
            return None
        conn = self._state.conn
        if conn.in_transaction:
            return None
        return str(getattr(conn, "last_error", None) or "an error")

    def cursor(self, named_cursor=None):
        reason = self.lost_reason()
        if reason:
            raise OperationalError(f"{reason} (SQLite rolled the transaction back: nothing of it is stored)")
        return super().cursor(named_cursor)

    def execute_sql(self, sql, params=None):
        if sql.startswith("ROLLBACK TO SAVEPOINT") and self.lost_reason():
            return None  # gone with its transaction
        return super().execute_sql(sql, params)

    def begin(self, lock_type=None):
        if not self.is_closed():
            self._state.conn.last_error = None  # lost_reason() names an error of this transaction
        return super().begin(lock_type)

    def commit(self):
        if not self.is_closed() and not self._state.conn.in_transaction and self._state.conn.last_error:
            raise OperationalError(f"{self._state.conn.last_error} (SQLite rolled the transaction back: "
                                   "nothing of it is stored)")
        return super().commit()

    def rollback(self):
        if not self.is_closed() and not self._state.conn.in_transaction:
            return None
        return super().rollback()


def sqlite_read_only(path: Path, query: dict) -> str | None:
    """The URI that opens a SQLite file read-only, when it must be: asked for
    (``?mode=ro``) or not writable (a read-only file, folder or file system). None when
    it can be written.

    A database in WAL mode read-only still needs its ``-shm`` file; when that cannot be
    made (a read-only folder) and no write is pending in a ``-wal`` file, the file is
    opened ``immutable`` (nothing may write it meanwhile: a read-only copy)."""
    wanted = query.get("mode") == "ro"
    if not wanted and (not path.exists() or os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)):
        return None
    params = "mode=ro"
    shm, wal = Path(f"{path}-shm"), Path(f"{path}-wal")
    if not shm.exists() and not os.access(path.parent, os.W_OK) and (not wal.exists() or not wal.stat().st_size):
        params += "&immutable=1"
    return f"file:{quote(str(path))}?{params}"


def make_database(url: str | None = None, statement_timeout_ms: int | None = None):
    """The database object for ``url`` (default: ``default_url()``), not yet connected.
    ``statement_timeout_ms`` limits each statement on PostgreSQL (the API sets it).

    A SQLite file that cannot be written (or ``sqlite:///path?mode=ro``) is opened
    read-only: reads are served, writes fail."""
    url = url or default_url()
    if url.startswith("sqlite:///"):
        name, _, query = url[len("sqlite:///"):].partition("?")
        path = Path(name)
        if name == ":memory:":
            return Sqlite(name, pragmas=SQLITE_PRAGMAS, factory=_Connection)
        read_only = sqlite_read_only(path, dict(parse_qsl(query)))
        if read_only:
            pragmas = {k: v for k, v in SQLITE_PRAGMAS.items() if k != "journal_mode"}
            return Sqlite(read_only, uri=True, pragmas=pragmas, factory=_Connection)
        path.parent.mkdir(parents=True, exist_ok=True)
        return Sqlite(name, pragmas=SQLITE_PRAGMAS, factory=_Connection)
    if statement_timeout_ms:  # added to the URL's own ?options=, if any
        given = dict(parse_qsl(url.partition("?")[2])).get("options", "")
        return connect_url(url, options=f"{given} -c statement_timeout={int(statement_timeout_ms)}".strip())
    return connect_url(url)


def open_database(url: str | None = None):
    """Open the database at ``url``, bind the models to it, create or migrate the
    schema, and return it."""
    db = make_database(url)
    database.initialize(db)
    from models.schema import ensure_schema

    with db.connection_context():
        ensure_schema()
    return db


def is_sqlite() -> bool:
    return isinstance(database.obj, SqliteDatabase)


WRITER_LOCK = zlib.crc32(b"ogi-api writer")  # the advisory lock every writing transaction takes
_lock_held: ContextVar[bool] = ContextVar("write_lock_held", default=False)


@contextmanager
def writer() -> Iterator[None]:
    """Take the write lock (``write_lock``) once for the transaction around this block
    (a bulk load's batch, before its first savepoint): the writes inside do not take it
    again, each a round trip (PostgreSQL) or a statement (SQLite)."""
    write_lock()
    token = _lock_held.set(True)
    try:
        yield
    finally:
        _lock_held.reset(token)


def write_lock() -> None:
    """Make the writers of the database take turns, until this transaction ends.

    Every transaction that stores or retracts reports calls this first. On PostgreSQL
    it takes a transaction-scoped advisory lock, so two concurrent loads (or a load and
    an upload) never read the same agency, revision or neighbouring year while the other
    writes it, and never deadlock on the rows they both update (the rollup, the data
    version). On SQLite the database's own lock does this: a first write takes it, waiting its
    turn (busy_timeout). Inside ``writer()`` the transaction holds it already."""
    if _lock_held.get():
        return
    if isinstance(database.obj, PostgresqlDatabase):
        database.execute_sql("SELECT pg_advisory_xact_lock(%s)", (WRITER_LOCK,))
    else:  # a write first takes the file's write lock now, waiting its turn (busy_timeout): a transaction
        # that reads first cannot take it later once another writer has committed (SQLITE_BUSY at once)
        database.execute_sql("UPDATE meta SET value = value WHERE key = 'schema_version'")


MIN_FREE_BYTES = 1024 * 1024  # less free space than this beside a SQLite file: writes would fail


def writes_refused() -> str | None:
    """Why the database would refuse a write, or None when it takes writes. Asked
    without writing: SQLite opened read-only, a file or folder that cannot be written,
    a full disk or ``max_page_count`` reached; PostgreSQL read-only
    (``default_transaction_read_only``, a standby) or a role that may not insert."""
    db = database.obj
    if isinstance(db, PostgresqlDatabase):
        read_only, standby, may_insert = db.execute_sql(
            "SELECT current_setting('transaction_read_only'), pg_is_in_recovery(), "
            "has_table_privilege('report', 'INSERT')").fetchone()
        if read_only == "on":
            return "the database is read-only (transaction_read_only is on)"
        if standby:
            return "the database is a standby in recovery (read-only)"
        if not may_insert:
            return f"the role {db.connect_params.get('user') or 'connected'} may not write the tables"
        return None
    name = str(db.database)
    if name == ":memory:":
        return None
    if name.startswith("file:") and "mode=ro" in name:
        return "the database is open read-only (the file or its folder cannot be written, or ?mode=ro)"
    path = Path(name)
    if not os.access(path, os.W_OK) or not os.access(path.parent, os.W_OK):
        return f"the database file or its folder cannot be written: {path}"
    pages, most = (db.execute_sql(f"PRAGMA {p}").fetchone()[0] for p in ("page_count", "max_page_count"))
    if pages >= most:
        return f"the database is full: {pages} pages, max_page_count {most}"
    free = shutil.disk_usage(path.parent).free
    if free < MIN_FREE_BYTES:
        return f"the disk is full: {free} bytes free beside {path}"
    return None


def read_snapshot():
    """A read-only transaction that sees one snapshot of the data for all its reads
    (``with read_snapshot(): ...``, or entered and left by the API around a request).
    PostgreSQL: REPEATABLE READ READ ONLY; SQLite: a deferred transaction, whose first
    read fixes the snapshot (WAL)."""
    if isinstance(database.obj, PostgresqlDatabase):
        return database.transaction(isolation_level="REPEATABLE READ READ ONLY")
    return database.transaction()
