"""`logwatch report`: read to the end, print one summary (text, or the JSON contract)."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from typing import IO

from logwatch.ingest.reader import is_seekable_plain, read_all_blocks, sample_lines
from logwatch.ingest.since import (
    TimeOf,
    find_start,
    guess_time,
    last_time,
    safe_time,
    skip_older,
)
from logwatch.model import BOT_CATEGORIES, CLASSES
from logwatch.pipeline import Pipeline
from logwatch.sanitize import MAX_LINE_BYTES
from logwatch.stats.snapshot import Snapshot


def read_into(
    pipeline: Pipeline,
    paths: Sequence[str],
    *,
    jobs: int = 1,
    anonymize: tuple[int, int] | None = None,
    since: float | None = None,
) -> list[tuple[str, str]]:
    """Feed every line of `paths` into the pipeline; return (path, error) for inputs that failed.

    A file that cannot be read is reported and skipped; the others go on. Big plain files are
    read by `jobs` processes (`ingest.backfill`); `jobs=0` means one per core. With `since`
    (epoch seconds), only the lines from the first one dated at or after it are read: a plain
    file is searched for it (`ingest.since`), a stream is read up to it."""
    from logwatch.ingest import backfill

    jobs = jobs or backfill.default_jobs()
    errors: list[tuple[str, str]] = []
    paths = _once_each(paths)
    # Where the history ends: lines older than every window before it skip the rings.
    ends = [t for t in map(last_time, paths) if t is not None]
    if ends:
        pipeline.aggregator.expect_until(max(ends))
    for path in paths:
        try:
            plain = is_seekable_plain(path)
            if since is not None or (plain and backfill.should_split(path, jobs)):
                pipeline.detect(sample_lines([path]))
            fmt = pipeline.format
            start = 0
            if since is not None and plain and fmt is not None:
                start = _since_offset(path, since, fmt.time_of)
                if start >= os.path.getsize(path):
                    continue  # every line is older
            # A head without one whole line (an endless first line) detects nothing: the
            # sequential reader below detects from the lines after it.
            if fmt is not None and (start or backfill.should_split(path, jobs, start)):
                # One piece or several; a piece that starts inside the file first replays the
                # lines before it through the classifier (a prober stays one).
                split = backfill.should_split(path, jobs, start)
                backfill.read_parallel(
                    path,
                    fmt,
                    jobs=jobs if split else 1,
                    stats=pipeline.aggregator.config,
                    classify=pipeline.classifier.config,
                    anonymize=anonymize,
                    start=start,
                    history_end=max(ends) if ends else None,
                    into=pipeline.aggregator,
                    classifier=pipeline.classifier,
                )
                continue
            blocks = read_all_blocks(path)
            if since is not None:
                blocks = skip_older(blocks, since, fmt.time_of if fmt is not None else guess_time)
            for block in blocks:
                pipeline.feed_block(block.data, path, block.too_long)
        except OSError as exc:
            errors.append((path, exc.strerror or str(exc)))
        except EOFError as exc:  # a truncated .gz: what was read still counts
            errors.append((path, f"truncated compressed file ({exc})"))
    pipeline.flush()
    return errors


def _since_offset(path: str, since: float, time_of: TimeOf) -> int:
    """Where the lines dated at or after `since` begin in a plain file (its size: none do)."""
    with open(path, "rb") as f:
        fd = f.fileno()
        size = os.fstat(fd).st_size
        offset, _ = find_start(
            lambda at, n: os.pread(fd, n, at), size, since, time_of, max_line_bytes=MAX_LINE_BYTES
        )
        # find_start leaves an unterminated last line to a follower, to read once it is whole;
        # a report reads it now, so it must be new enough.
        line = os.pread(fd, MAX_LINE_BYTES, offset).partition(b"\n")[0] if offset < size else b""
        when = safe_time(time_of, line) if line else None
        return size if when is not None and when < since else offset


def _once_each(paths: Sequence[str]) -> list[str]:
    """Each file once, as the follower reads them: a glob (quoted, so the shell left it) is
    expanded, rotated files included; a path given twice, or a link and its target, is one
    log (standard input is what it is)."""
    from logwatch.ingest import sources

    seen: set[str] = set()
    out = []
    for pattern in paths:
        found = [pattern]
        if pattern != "-" and sources.is_glob(pattern) and not os.path.exists(pattern):
            found = [m.path for m in sources.expand([pattern], include_rotated=True)] or found
        for path in found:
            key = path if path == "-" else os.path.realpath(path)
            if key not in seen:
                seen.add(key)
                out.append(path)
    return out


def _pct(n: int, total: int) -> str:
    return f"{100.0 * n / total:5.1f}%" if total else "  0.0%"


def render_text(snap: Snapshot, top: int = 10, out: IO[str] | None = None) -> None:
    """A readable report. Log-derived text is already sanitised (no control characters)."""
    w = (out or sys.stdout).write
    t = snap.totals
    others = "".join(f", {name} ({n} lines)" for name, n in snap.other_formats.items())
    w(f"format     {snap.format or '?'}{others}\n")
    w(f"lines      {snap.lines}   parsed {snap.parsed}   malformed {snap.malformed}\n")
    if snap.malformed_reasons:
        reasons = ", ".join(f"{r}: {n}" for r, n in sorted(snap.malformed_reasons.items()))
        w(f"           malformed by reason: {reasons}\n")
    span = snap.first_last()
    if span is not None:
        w(f"time       {_iso(span[0])} → {_iso(span[1])}\n")
    w("\nclasses\n")
    for c in CLASSES:
        n = t.classes.get(c, 0)
        w(f"  {c:<8} {n:>10}  {_pct(n, snap.parsed)}\n")
    w("\nstatus\n")
    for name, n in t.status.items():
        w(f"  {name:<8} {n:>10}  {_pct(n, t.requests)}\n")
    if t.latency:
        lat = "  ".join(f"{k} {v * 1000:.0f} ms" for k, v in t.latency.items())
        w(f"\nlatency    {lat}\n")
    bots = [(c, t.bots.get(c, 0)) for c in BOT_CATEGORIES if t.bots.get(c, 0)]
    if bots:
        w("\nbots by category\n")
        for c, n in bots:
            w(f"  {c:<8} {n:>10}\n")
        w("\ntop bots\n")
        for b in t.top_bots[:top]:
            w(f"  {b.hits:>8}  {b.category:<8} {b.name}\n")
    w(f"\nprobes     {t.probe_hits} hits")
    if t.probe_rules:
        w(" (" + ", ".join(f"{r} {n}" for r, n in sorted(t.probe_rules.items())) + ")")
    w("\n")
    for p in t.probes[:top]:
        w(f"  {p.hits:>8}  {p.client:<40} {p.distinct_paths} paths  {','.join(p.rules)}")
        w(_where(snap, p.client) + "\n")
    w("\ntop human paths                                   hits   4xx%   5xx%\n")
    for ps in t.top_paths.get("human", ())[:top]:
        w(
            f"  {_cut(ps.path, 44):<44} {ps.hits:>8} {_pct(ps.s4xx, ps.hits)} {_pct(ps.s5xx, ps.hits)}\n"
        )
    w("\ntop clients\n")
    for cs in t.top_clients[:top]:
        w(f"  {cs.hits:>8}  {cs.client:<40} human {cs.human} bot {cs.bot} asset {cs.asset}")
        w(_where(snap, cs.client) + "\n")
    countries = snap.extra.get("top_countries") or []
    networks = snap.extra.get("top_networks") or []
    if countries or networks:
        w("\ntop countries and networks (over the top clients, by hits)\n")
        for row in countries[:top]:
            w(f"  {row['hits']:>8}  {row['country'] or '?':<3} {_cut(row['name'] or '', 40)}\n")
        for row in networks[:top]:
            w(f"  {row['hits']:>8}  {_cut(row['network'], 60)}\n")
    if t.top_referrers:
        w("\ntop referrers (human page views)\n")
        for r, n in t.top_referrers[:top]:
            w(f"  {n:>8}  {_cut(r, 60)}\n")
    if t.top_campaigns:
        w("\nUTM campaigns\n")
        for r, n in t.top_campaigns[:top]:
            w(f"  {n:>8}  {_cut(r, 60)}\n")


def _where(snap: Snapshot, client: str) -> str:
    """'  GB  AS1221 Telstra' after a client, when GeoIP is on; a claimed crawler is marked."""
    if "geo" not in snap.extra and "bot_claims" not in snap.extra:
        return ""
    from logwatch.enrich import claimed, geo_columns  # imports maxminddb: only when asked

    country, network = geo_columns(snap, client)
    text = f"  {country or '-'}  {_cut(network, 40)}".rstrip() if (country or network) else ""
    return text + ("  claimed bot, unverified" if claimed(snap, client) else "")


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _iso(ts: float) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def render_json(snap: Snapshot, top: int = 10, out: IO[str] | None = None) -> None:
    json.dump(snap.to_json(top=top), out or sys.stdout, ensure_ascii=False)
    (out or sys.stdout).write("\n")
