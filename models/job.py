"""Upload jobs: a file that takes long to parse (a scan, a large file) is kept here
with its bytes, and parsed and stored by a worker (``loaders.uploads``).

A job is ``queued``, then ``running`` (a worker claimed it; it renews
``heartbeat_at`` while it works), then ``done`` (the report stored, or found stored
already) or ``failed`` (the one-line reason). A job ``running`` whose heartbeat is
older than the lease goes back to ``queued``: its worker is gone. The file's bytes are
dropped when the job ends (a stored report keeps its own, in ``source_file``)."""
from __future__ import annotations

import uuid

from peewee import BlobField, CharField, DateTimeField, ForeignKeyField, IntegerField, TextField

from models.agency import utcnow
from models.apikey import ApiKey
from models.base import BaseModel
from models.report import Report

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
STATUSES = (QUEUED, RUNNING, DONE, FAILED)


def new_id() -> str:
    return uuid.uuid4().hex  # 122 random bits: whoever has the id may read the job, nobody guesses one


class Job(BaseModel):
    id = CharField(max_length=32, primary_key=True, default=new_id)
    status = CharField(max_length=8, default=QUEUED)  # one of STATUSES
    created_at = DateTimeField(default=utcnow)
    started_at = DateTimeField(null=True)  # claimed by a worker (the last time, if it was claimed again)
    heartbeat_at = DateTimeField(null=True)  # renewed by the worker while it runs the job
    finished_at = DateTimeField(null=True)
    worker = CharField(max_length=100, null=True)  # who runs it: host, process and thread
    attempts = IntegerField(default=0)  # claims: a job whose worker died this often fails
    api_key = ForeignKeyField(ApiKey, null=True, backref="jobs", on_delete="SET NULL")  # whose upload
    source_name = TextField()  # upload:<file name>, as the report's source_name
    sha256 = CharField(max_length=64)
    size = IntegerField()
    content = BlobField(null=True)  # the file, until the job ends
    report = ForeignKeyField(Report, null=True, backref="jobs", on_delete="SET NULL")
    outcome = CharField(max_length=16, null=True)  # loaded | unchanged | revised, when done
    error = TextField(null=True)  # the one-line reason, when failed

    class Meta:
        table_name = "job"
        indexes = ((("status", "created_at"), False),)
