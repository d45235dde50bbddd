"""Who wrote what: one ``WriteEvent`` for every write to the reports, whether a key
through the API or the operator's ``ogi load``, and for every write refused.

An event names its actor (a key's id and name, never its secret; or ``operator``),
the time, the action and the report (with its agency and year, so the events of a
report's every revision are found together)."""
from __future__ import annotations

from dataclasses import dataclass

from peewee import AutoField, Case, CharField, DateTimeField, ForeignKeyField, SmallIntegerField, TextField, Value

from models.agency import Agency, region_of, utcnow
from models.apikey import ApiKey, Scope
from models.base import BaseModel
from models.report import Report

CREATED, REVISED, UNCHANGED, RETRACTED, REFUSED = "created", "revised", "unchanged", "retracted", "refused"
ACTIONS = (CREATED, REVISED, UNCHANGED, RETRACTED, REFUSED)
UNRECORDED = "unrecorded"  # the actor of what was stored before writes were recorded (schema version 7)


@dataclass(frozen=True)
class Actor:
    name: str  # the key's name, or "operator"
    via: str  # api | cli
    key_id: int | None = None

    @classmethod
    def of_key(cls, key: ApiKey) -> Actor:
        return cls(key.name, "api", key.id)


OPERATOR = Actor("operator", "cli")


class WriteEvent(BaseModel):
    id = AutoField()
    at = DateTimeField(default=utcnow)
    action = CharField(max_length=16)  # one of ACTIONS
    actor = CharField(max_length=100)
    via = CharField(max_length=8)  # api | cli | unknown
    api_key = ForeignKeyField(ApiKey, null=True, backref="write_events", on_delete="SET NULL")
    report = ForeignKeyField(Report, null=True, backref="write_events", on_delete="SET NULL")
    agency_name = CharField(max_length=200, null=True)
    year = SmallIntegerField(null=True)
    sha256 = CharField(max_length=64, null=True)  # the file written (or refused)
    detail = TextField(null=True)  # why a write was refused, or what an unchanged one met

    class Meta:
        table_name = "write_event"
        indexes = ((("agency_name", "year"), False),)


def record(actor: Actor, action: str, report: Report | None = None, *, agency_name: str | None = None,
           year: int | None = None, sha256: str | None = None, detail: str | None = None) -> WriteEvent:
    """Record one write (in the caller's transaction, so it is kept exactly when the write is)."""
    if report is not None:
        agency_name, year, sha256 = report.agency.name, report.year, sha256 or report.sha256
    return WriteEvent.create(action=action, actor=actor.name, via=actor.via, api_key=actor.key_id, report=report,
                             agency_name=agency_name, year=year, sha256=sha256, detail=detail)


def stored_by_key(report_id: int) -> bool:
    """Whether a key stored this report through the API (else the operator did, or it
    was stored before writes were recorded)."""
    return (WriteEvent.select().where(WriteEvent.report == report_id, WriteEvent.action.in_((CREATED, REVISED)),
                                      WriteEvent.api_key.is_null(False)).exists())


def write_refusal(key: ApiKey, agency_name: str) -> str | None:
    """Why ``key`` may not write a report of this agency, or None if it may."""
    scope: Scope = key.scoped
    if scope.covers(agency_name):
        return None
    region = region_of(agency_name)
    where = f" (region {region})" if region else " (no region in its name)"
    return f"{key.label} may write {scope.describe()}; this report is of {agency_name}{where}"


def retract_refusal(key: ApiKey, report: Report) -> str | None:
    """Why ``key`` may not retract ``report``, or None if it may: it must be in the
    key's scope, and one the operator loaded (or stored before writes were recorded)
    only an admin key retracts."""
    refusal = write_refusal(key, report.agency.name)
    if refusal or key.scoped.admin or stored_by_key(report.id):
        return refusal
    return (f"report {report.id} was not uploaded with a key (the operator loaded it, or it was stored before writes "
            "were recorded): only an admin key may retract it")


def backfill() -> None:
    """One event for each report stored before writes were recorded: its creation (or
    revision) at ``loaded_at`` and its retraction at ``retracted_at``, by an actor
    that cannot be told (``unrecorded``)."""
    fields = [WriteEvent.at, WriteEvent.action, WriteEvent.actor, WriteEvent.via, WriteEvent.report,
              WriteEvent.agency_name, WriteEvent.year, WriteEvent.sha256, WriteEvent.detail]
    note = "stored before writes were recorded: who stored it is not known"
    stored = (Report.select(Report.loaded_at, Case(None, [(Report.revision == 1, CREATED)], REVISED),
                            Value(UNRECORDED), Value("unknown"), Report.id, Agency.name, Report.year, Report.source,
                            Value(note))
              .join(Agency).order_by(Report.loaded_at, Report.id))
    WriteEvent.insert_from(stored, fields).execute()
    retracted = (Report.select(Report.retracted_at, Value(RETRACTED), Value(UNRECORDED), Value("unknown"), Report.id,
                               Agency.name, Report.year, Report.source, Value(note))
                 .join(Agency).where(Report.retracted_at.is_null(False)).order_by(Report.retracted_at, Report.id))
    WriteEvent.insert_from(retracted, fields).execute()
