"""Statements of the store path written once per backend and run on the driver's
cursor: no query built, no model instance made, for each report.

``sql`` turns a statement written with ``?`` placeholders into the backend's
(``%s`` on PostgreSQL); ``insert_sql`` is the INSERT of one row as peewee writes it.
A ``Pipe`` runs a report's writes: on SQLite each at once (the driver's
``executemany`` for many rows: SQLite is in this process, a statement costs no trip);
on PostgreSQL they are sent together, as one multi-statement string made by the
driver's own quoting (``mogrify``), when ``flush`` is called: one round trip for many
statements, and many rows of an INSERT one multi-row ``VALUES``."""
from __future__ import annotations

from functools import cache

from peewee import PostgresqlDatabase
from peewee import __exception_wrapper__ as db_errors  # peewee's own DB-API → peewee error mapping

from models.db import database


def postgres() -> bool:
    return isinstance(database.obj, PostgresqlDatabase)


@cache
def _converted(text: str, pg: bool) -> str:
    return text.replace("?", "%s") if pg else text


def sql(text: str) -> str:
    """A statement written with ``?`` placeholders (and no other ``?``) for this backend."""
    return _converted(text, postgres())


@cache
def _insert_sql(model, fields: tuple, backend: type) -> str:
    sql_text = model.insert_many([tuple(None for _ in fields)], fields=list(fields)).sql()[0]
    return sql_text.split(" RETURNING ")[0]


def insert_sql(model, fields: tuple) -> str:
    """The parameterised INSERT of one row of ``fields``, as peewee writes it for this
    backend (without the RETURNING clause it adds on PostgreSQL)."""
    return _insert_sql(model, fields, type(database.obj))


def db_values(fields: tuple, values: tuple) -> tuple:
    """Values as the fields give them to the driver (``Field.db_value``): for the few
    rows (a report, an agency, an event) whose fields convert (dates, blobs, booleans)."""
    return tuple(f.db_value(v) for f, v in zip(fields, values, strict=True))


def execute(text: str, params: tuple = ()):
    """Run one statement (``?`` placeholders) now; the cursor, to read its rows."""
    with db_errors:
        cursor = database.cursor()
        cursor.execute(sql(text), params)
    return cursor


class Pipe:
    """A report's writes: run at once on SQLite, sent together on ``flush`` on PostgreSQL
    (whose result is the last statement's: a read put last is answered in the same trip)."""

    def __init__(self):
        self.pg = postgres()
        with db_errors:
            self.cursor = database.cursor()
        self.parts: list[bytes] = []

    def run(self, text: str, params: tuple = ()) -> None:
        """One statement (``?`` placeholders)."""
        with db_errors:
            if self.pg:
                self.parts.append(self.cursor.mogrify(sql(text), params))
            else:
                self.cursor.execute(text, params)

    def insert(self, model, fields: tuple, rows: list[tuple], template: str | None = None) -> None:
        """Rows of ``fields`` (values as the driver takes them: str, int, Decimal, None).
        ``template``: on PostgreSQL, a row's SQL other than its plain placeholders."""
        if not rows:
            return
        self.insert_into(insert_sql(model, fields), rows, template)

    def insert_into(self, text: str, rows: list[tuple], template: str | None = None) -> None:
        """``INSERT INTO … VALUES (…)`` (the backend's placeholders) of many rows."""
        if not rows:
            return
        with db_errors:
            if self.pg:
                head, values = text.split(" VALUES ", 1)
                mogrify = self.cursor.mogrify
                self.parts.append(head.encode() + b" VALUES " + b",".join(mogrify(template or values, row)
                                                                          for row in rows))
            else:
                self.cursor.executemany(text, rows)

    def flush(self):
        """Send what is pending (PostgreSQL); the cursor, holding the last statement's rows."""
        if self.parts:
            statement, self.parts = b";".join(self.parts), []
            with db_errors:
                self.cursor.execute(statement)
        return self.cursor
