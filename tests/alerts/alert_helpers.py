"""Snapshot builders for alert tests: the engine only reads `now` and the named windows."""

from __future__ import annotations

from typing import Any

from logwatch.model import Record, Verdict
from logwatch.stats.snapshot import ClientStat, PathStat, ProbeClientStat, Snapshot, WindowView


def view(
    name: str = "1m",
    *,
    seconds: float = 60.0,
    requests: int = 100,
    s4xx: int = 0,
    s5xx: int = 0,
    human: int | None = None,
    bot: int = 0,
    probe_hits: int = 0,
    probes: tuple[ProbeClientStat, ...] = (),
    latency: dict[str, float] | None = None,
    paths: tuple[PathStat, ...] = (),
    clients: tuple[ClientStat, ...] = (),
) -> WindowView:
    human = requests - bot if human is None else human
    return WindowView(
        name=name,
        seconds=seconds,
        requests=requests,
        classes={"human": human, "bot": bot, "asset": max(0, requests - human - bot)},
        status={"2xx": requests - s4xx - s5xx, "4xx": s4xx, "5xx": s5xx},
        probe_hits=probe_hits,
        probes=probes,
        latency=latency or {},
        top_paths={"all": paths, "human": paths},
        top_clients=clients,
    )


def snap(now: float, *views: WindowView, **extra: Any) -> Snapshot:
    windows = {v.name: v for v in views}
    total = views[0] if views else WindowView(name="all", seconds=0.0)
    return Snapshot(
        now=now,
        format="combined",
        lines=total.requests,
        parsed=total.requests,
        malformed=0,
        malformed_reasons={},
        malformed_examples=(),
        totals=total,
        windows=windows,
        **extra,
    )


def record(
    ts: float,
    path: str = "/",
    status: int = 200,
    *,
    client: str = "203.0.113.9",
    vhost: str | None = None,
    request_time: float | None = None,
) -> Record:
    return Record(
        ts=ts,
        client=client,
        method="GET",
        path=path,
        query="",
        protocol="HTTP/1.1",
        status=status,
        size=100,
        referrer="-",
        user_agent="Mozilla/5.0",
        vhost=vhost,
        request_time=request_time,
    )


HUMAN = Verdict("human")
BOT = Verdict("bot", "other")
PROBE = Verdict("bot", "scanner", probe=True, probe_rules=("secret-file",))
