"""Upload jobs: the state of a file uploaded to be parsed and stored by a worker.

A job is read by whoever has its id (``POST /v1/reports`` gives it to the uploader,
in ``Location``): the id is 128 bits from uuid4, not guessable, and a job tells no
more than the report it makes public once stored."""
from __future__ import annotations

from datetime import UTC, datetime

from flask import url_for
from flask_smorest import abort

from api import schemas
from api.base import Blueprint
from api.errors import PROBLEM, ProblemSchema
from api.lists import json_response
from models import Job
from models.job import QUEUED, RUNNING

blp = Blueprint("jobs", __name__, url_prefix="/v1/jobs", description="Uploads being parsed and stored by a worker "
                "(POST /v1/reports of a scan or a large file answers 202 with one).")
RETRY_AFTER = 5  # seconds before a client asks again about a queued or running job


def _utc(moment: datetime | None) -> datetime | None:
    return moment.replace(tzinfo=UTC) if moment else None  # stored UTC without a zone; served with it


def job_record(job: Job) -> dict:
    return {"id": job.id, "status": job.status, "created_at": _utc(job.created_at),
            "started_at": _utc(job.started_at), "finished_at": _utc(job.finished_at),
            "source_name": job.source_name, "size": job.size, "sha256": job.sha256,
            "report": url_for("reports.get_report", report_id=job.report_id) if job.report_id else None,
            "outcome": job.outcome, "error": job.error}


@blp.route("/<string(length=32):job_id>")
@blp.response(200, schemas.Job)
@blp.alt_response(404, schema=ProblemSchema, content_type=PROBLEM, description="No such job.")
def get_job(job_id):
    """An upload job: queued, running, done or failed

    Done: ``report`` is the stored report's URL (``outcome`` says whether it was
    loaded, a revision, or stored already). Failed: ``error`` is the one-line reason,
    and nothing was stored. Readable by whoever has the id (it is not guessable).
    Never cached; a queued or running job's answer carries ``Retry-After``."""
    job = (Job.select(*[f for f in Job._meta.sorted_fields if f is not Job.content]).where(Job.id == job_id).first()
           or abort(404, message=f"no job {job_id}"))
    headers = {"Cache-Control": "no-store"}
    if job.status in (QUEUED, RUNNING):
        headers["Retry-After"] = str(RETRY_AFTER)
    return json_response(job_record(job), headers)
