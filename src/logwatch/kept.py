"""What is kept of a classified request: its long fields cut to sanitize.KEEP_*.

Classification sees each field up to its ingestion cap; what is kept afterwards (the ring of
recent requests, the time slots' paths, the probing clients' details) holds only the start of a
long one. Both lanes cut with these functions, so the counts, the ring and the drill-downs all
hold the same cut path, and a drill-down on it still finds its requests.

The cut is marked with an ASCII "...", not the "…" of the ingestion caps: that one character
would make every cut ASCII field two bytes a character (CPython stores a string by its widest
character), and a hostile log fills the ring of recent requests with cut fields (at 100k lines of
them, 178 MB against 146 MB).
"""

from __future__ import annotations

from logwatch.model import Record
from logwatch.sanitize import KEEP_REQUEST, KEEP_TEXT, cap
from logwatch.stats.aggregator import campaign_of


def is_long(rec: Record) -> bool:
    """True when some field of `rec` is longer than is kept."""
    return (
        len(rec.request) > KEEP_REQUEST
        or len(rec.path) > KEEP_REQUEST
        or len(rec.query) > KEEP_REQUEST
        or len(rec.user_agent) > KEEP_TEXT
        or len(rec.referrer) > KEEP_TEXT
    )


KEPT_MARK = "..."


def keep_short(rec: Record) -> None:
    """Cut `rec`'s long fields to what is kept of them. A query keeps its campaign tags (the
    campaigns panel counts them from the kept query, the `/` filter's recount too). Once it is
    classified, a request's line is read only where it has no path (a handshake's bytes, "-"):
    with one, its cut line is not kept."""
    rec.request = "" if rec.path else cap(rec.request, KEEP_REQUEST, KEPT_MARK)
    rec.path = kept_path(rec.path)
    rec.query = kept_query(rec.query, KEEP_REQUEST, KEPT_MARK)
    rec.user_agent = cap(rec.user_agent, KEEP_TEXT, KEPT_MARK)
    rec.referrer = cap(rec.referrer, KEEP_TEXT, KEPT_MARK)


def kept_path(path: str) -> str:
    """A path as it is counted and kept."""
    return cap(path, KEEP_REQUEST, KEPT_MARK)


def kept_query(query: str, limit: int, mark: str) -> str:
    """`query` cut to `limit` characters (sanitize.cap) with the campaign it tags kept: when the
    cut would lose the tags `campaign_of` reads, or split one, they are put back after it (as
    `campaign_of` reads them: the last of each, its value cut to 64 characters)."""
    kept = cap(query, limit, mark)
    if "utm_" not in query or campaign_of(kept) == campaign_of(query):
        return kept
    source = campaign = ""
    for part in query.split("&"):
        if part.startswith("utm_source="):
            source = part[:75]
        elif part.startswith("utm_campaign="):
            campaign = part[:77]
    tags = "&".join(filter(None, (source, campaign)))  # at most 153 characters
    return cap(query, limit - len(tags) - 1, mark) + "&" + tags
