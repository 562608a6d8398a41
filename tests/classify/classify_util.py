"""Shared helpers for the classification tests."""

from __future__ import annotations

from logwatch.model import Record

CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36"
)


def rec(
    path: str = "/",
    *,
    agent: str = CHROME,
    status: int = 200,
    method: str = "GET",
    query: str = "",
    protocol: str = "HTTP/1.1",
    request: str | None = None,
    client: str = "203.0.113.7",
    referrer: str = "-",
    ts: float = 1_700_000_000.0,
    vhost: str | None = None,
) -> Record:
    if request is None:
        target = path + ("?" + query if query else "")
        request = f"{method} {target} {protocol}"
    return Record(
        ts=ts,
        client=client,
        method=method,
        path=path,
        query=query,
        protocol=protocol,
        status=status,
        size=100,
        referrer=referrer,
        user_agent=agent,
        request=request,
        vhost=vhost,
    )
