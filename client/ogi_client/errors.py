"""Errors: every error answer of the API as one exception, :class:`ApiError`, carrying
the RFC 9457 problem details the API sends (``application/problem+json``)."""
from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import httpx

from ogi_client.retry import retry_after
from ogi_client.types import InvalidParam, Job


class ApiError(Exception):
    """An error answer (4xx or 5xx) of the API, with its problem details.

    ``status``, ``type``, ``title``, ``detail``, ``instance`` and ``invalid_params`` are
    the problem's fields (RFC 9457; ``invalid_params`` names each refused parameter and
    why); ``problem`` is the whole problem object, extension members included. An
    answer that is not problem+json (a proxy's HTML page) still makes one: ``title``
    is the status phrase and ``detail`` the start of the body."""

    def __init__(self, status: int, title: str, detail: str | None = None, *, type: str = "about:blank",
                 instance: str | None = None, invalid_params: list[InvalidParam] | None = None,
                 problem: dict[str, Any] | None = None, method: str | None = None, url: str | None = None,
                 headers: httpx.Headers | None = None, retry_after: float | None = None):
        self.status = status
        self.type = type
        self.title = title
        self.detail = detail
        self.instance = instance
        self.invalid_params: list[InvalidParam] = invalid_params or []
        self.problem: dict[str, Any] = problem or {}
        self.method = method
        self.url = url
        self.headers = headers or httpx.Headers()
        self.retry_after = retry_after  # seconds the server asked to wait (429, 503), if it did
        super().__init__(str(self))

    def __str__(self) -> str:
        text = f"{self.status} {self.title}"
        if self.detail:
            text += f": {self.detail}"
        if self.invalid_params:
            text += " (" + "; ".join(f"{p.get('name')}: {p.get('reason')}" for p in self.invalid_params) + ")"
        if self.method and self.url:
            text += f" [{self.method} {self.url}]"
        return text

    @classmethod
    def from_response(cls, response: httpx.Response) -> ApiError:
        """The error of an error answer (its body read)."""
        problem = _problem(response)
        return cls(
            int(problem.get("status") or response.status_code),
            str(problem.get("title") or response.reason_phrase or "Error"),
            problem.get("detail") if "status" in problem else _snippet(response),
            type=str(problem.get("type") or "about:blank"),
            instance=problem.get("instance"),
            invalid_params=problem.get("invalid_params"),
            problem=problem,
            method=response.request.method,
            url=str(response.request.url),
            headers=response.headers,
            retry_after=retry_after(response.headers.get("Retry-After")) if response.status_code in (429, 503)
            else None,
        )


class PagingRestart(ApiError):
    """A ``next`` link the API no longer serves (410 Gone): the data changed under the
    cursor (a load or a retraction since the first page), so the pages already read
    and the pages to come would not make one consistent list. Nothing is skipped or
    served twice silently: start again from the first page (iterate the list again)."""


class JobFailed(Exception):
    """An upload job that ended ``failed``: nothing was stored; ``job["error"]`` says why."""

    def __init__(self, job: Job):
        self.job = job
        super().__init__(f"job {job['id']} failed: {job.get('error')}")


def _problem(response: httpx.Response) -> dict[str, Any]:
    kind = response.headers.get("Content-Type", "").split(";")[0].strip()
    if kind not in ("application/problem+json", "application/json"):
        return {}
    try:
        body = json.loads(response.content, parse_float=Decimal)
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _snippet(response: httpx.Response) -> str | None:
    try:
        text = response.text.strip()
    except (UnicodeDecodeError, httpx.ResponseNotRead):
        return None
    return text[:500] or None
