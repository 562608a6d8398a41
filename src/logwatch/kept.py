"""What is kept of a classified request: its long fields cut to sanitize.KEEP_*.

Classification sees each field up to its ingestion cap; what is kept afterwards (the ring of
recent requests, the time slots' paths, the probing clients' details) holds only the start of a
long one. Both lanes cut with these functions, so the counts, the ring and the drill-downs all
hold the same cut path, and a drill-down on it still finds its requests.
"""

from __future__ import annotations

from logwatch.model import Record
from logwatch.sanitize import KEEP_REQUEST, KEEP_TEXT, cap
from logwatch.stats.aggregator import kept_query


def is_long(rec: Record) -> bool:
    """True when some field of `rec` is longer than is kept."""
    return (
        len(rec.request) > KEEP_REQUEST
        or len(rec.path) > KEEP_REQUEST
        or len(rec.query) > KEEP_REQUEST
        or len(rec.user_agent) > KEEP_TEXT
        or len(rec.referrer) > KEEP_TEXT
    )


def keep_short(rec: Record) -> None:
    """Cut `rec`'s long fields to what is kept of them. A query keeps its campaign tags (the
    campaigns panel counts them from the kept query, the `/` filter's recount too)."""
    rec.request = cap(rec.request, KEEP_REQUEST)
    rec.path = kept_path(rec.path)
    rec.query = kept_query(rec.query, KEEP_REQUEST)
    rec.user_agent = cap(rec.user_agent, KEEP_TEXT)
    rec.referrer = cap(rec.referrer, KEEP_TEXT)


def kept_path(path: str) -> str:
    """A path as it is counted and kept."""
    return cap(path, KEEP_REQUEST)
