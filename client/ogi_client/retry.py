"""When to try a request again: on 429 and 503 after the ``Retry-After`` the server asks
for (seconds or an HTTP date), and on a connection that failed; bounded in tries and
in the longest wait."""
from __future__ import annotations

import email.utils
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx

IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


@dataclass(frozen=True)
class Retry:
    """How the client retries.

    - ``attempts``: tries in all, the first included (1: never retry).
    - ``max_wait``: the longest wait, seconds. A ``Retry-After`` longer than this is not
      waited for: the error is raised at once (with ``retry_after`` set), rather than
      asking again too early.
    - ``backoff``: without ``Retry-After``, wait ``backoff × 2ⁿ`` seconds (n = 0, 1, …),
      at most ``max_wait``.
    - ``statuses``: the answers retried (429 Too Many Requests, 503 Service Unavailable:
      both mean the request was not carried out).

    Connection failures are retried too: one that never reached the server (connect
    error or timeout) for any request, any other (reset, broken answer, read timeout)
    only for an idempotent one (GET, HEAD, DELETE …), never an upload."""
    attempts: int = 5
    max_wait: float = 60.0
    backoff: float = 0.5
    statuses: frozenset[int] = field(default_factory=lambda: frozenset({429, 503}))

    def wait_after_status(self, attempt: int, retry_after: float | None) -> float | None:
        """Seconds to wait before try ``attempt + 1`` after a retryable status, or None:
        give up."""
        if attempt >= self.attempts:
            return None
        if retry_after is not None:
            return retry_after if retry_after <= self.max_wait else None
        return self.wait_after_failure(attempt)

    def wait_after_failure(self, attempt: int) -> float | None:
        if attempt >= self.attempts:
            return None
        return min(self.backoff * 2 ** (attempt - 1), self.max_wait)


NEVER = Retry(attempts=1)


def retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """``Retry-After`` in seconds: ``120``, or an HTTP date (``Wed, 21 Oct 2015 07:28:00
    GMT``) counted from now (a date past is 0); None if absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(int(value))
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def retryable_failure(error: httpx.TransportError, method: str) -> bool:
    """Whether a request that failed in transport may be sent again."""
    if isinstance(error, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout):
        return True  # nothing reached the server
    if method.upper() not in IDEMPOTENT:
        return False
    return isinstance(error, httpx.NetworkError | httpx.RemoteProtocolError | httpx.TimeoutException)
