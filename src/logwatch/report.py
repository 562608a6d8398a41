"""`logwatch report`: read to the end, print one summary (text, or the JSON contract)."""

from __future__ import annotations

import json
import os
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import chain
from typing import IO, Any

from logwatch.ingest import backfill
from logwatch.ingest.formats import FormatError, LogFormat, known_formats
from logwatch.ingest.reader import (
    Block,
    head_lines,
    is_seekable_plain,
    read_all_blocks,
    sample_lines,
)
from logwatch.ingest.since import (
    TimeOf,
    any_time_of,
    counted_time,
    find_start,
    last_time,
    safe_time,
    skip_older,
)
from logwatch.ingest.sources import source_name
from logwatch.model import BOT_CATEGORIES, CLASSES
from logwatch.pipeline import Pipeline, SourceFormats
from logwatch.sanitize import MAX_LINE_BYTES
from logwatch.stats.snapshot import PathStat, Snapshot


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
    file is searched for it (`ingest.since`), a stream is read up to it; either way the
    classifier first sees the lines just before it (a prober stays one)."""
    jobs = jobs or backfill.default_jobs()
    errors: list[tuple[str, str]] = []
    paths = _once_each(paths)
    # Where the history ends: lines older than every window before it skip the rings. Only a
    # line that will be counted in the windows says so (see `counted_time`).
    formats = known_formats() if pipeline.format is None else [pipeline.format, *known_formats()]
    counted = counted_time(formats, pipeline.aggregator.future_limit())
    ends = [t for t in (last_time(path, counted) for path in paths) if t is not None]
    if ends:
        pipeline.aggregator.expect_until(max(ends))
    reading = _Reading(pipeline, jobs, anonymize, since, max(ends) if ends else None)
    for path in paths:
        try:
            if is_seekable_plain(path):
                reading.plain(path)
            else:
                reading.stream(path)
        except OSError as exc:
            errors.append((path, exc.strerror or str(exc)))
        except EOFError as exc:  # a truncated .gz: what was read still counts
            errors.append((path, f"truncated compressed file ({exc})"))
    pipeline.flush()
    return errors


@dataclass
class _Reading:
    """How `read_into` reads each of its paths into one pipeline."""

    pipeline: Pipeline
    jobs: int
    anonymize: tuple[int, int] | None
    since: float | None
    history_end: float | None
    formats: SourceFormats = field(init=False)

    def __post_init__(self) -> None:
        self.formats = SourceFormats(self.pipeline)

    def plain(self, path: str) -> None:
        """A regular file: searched for `since`, and read by one process or several."""
        fmt = self._format_of(path, sample_lines([path]))
        # A head without one whole line (an endless first line) detects nothing: the readers
        # below detect from the lines after it.
        if fmt is None:
            if self.since is not None:
                self.stream(path)
            else:
                self._feed(read_all_blocks(path), path)
            return
        with self.pipeline.reading_as(fmt):
            self._plain_as(path, fmt)

    def _plain_as(self, path: str, fmt: LogFormat) -> None:
        pipeline, since = self.pipeline, self.since
        if since is not None:
            with open(path, "rb") as f:  # one file from the search to the read: see `ident`
                st = os.fstat(f.fileno())
                start = _since_offset(f.fileno(), st.st_size, since, any_time_of(fmt.time_of))
            if start >= st.st_size:
                return  # every line is older
            end: int | None = st.st_size
            ident: tuple[int, int] | None = (st.st_dev, st.st_ino)
        elif backfill.should_split(path, self.jobs):
            start, end, ident = 0, None, None
        else:
            self._feed(read_all_blocks(path), path)
            return
        split = backfill.should_split(path, self.jobs, start)
        aggregator = pipeline.aggregator
        # One piece or several; a piece that starts inside the file first replays the lines
        # before it through the classifier.
        backfill.read_parallel(
            path,
            fmt,
            jobs=self.jobs if split else 1,
            stats=aggregator.config,
            classify=pipeline.classifier.config,
            anonymize=self.anonymize,
            start=start,
            end=end,
            history_end=self.history_end,
            source=source_name(path),
            into=aggregator,
            classifier=pipeline.classifier,
            ident=ident,
            client_transform=pipeline.client_transform,
            scrub=pipeline.scrub,
        )

    def stream(self, path: str) -> None:
        """Standard input, a compressed file (or a file whose head detects nothing): read
        through, from `since` on."""
        blocks = read_all_blocks(path)
        first = next(blocks, None)
        if first is None:
            return
        fmt = self._format_of(path, head_lines(first.data))
        if fmt is None:  # detected from the lines after the head, if ever
            self._feed(chain([first], blocks), path)
            return
        with self.pipeline.reading_as(fmt):
            self._stream_as(chain([first], blocks), path, fmt)

    def _stream_as(self, blocks: Iterator[Block], path: str, fmt: LogFormat) -> None:
        if self.since is None:
            self._feed(blocks, path)
            return
        time_of = any_time_of(fmt.time_of)  # or by its look
        older = _Tail(backfill.WARM_BYTES)
        recent = skip_older(blocks, self.since, time_of, older.add)
        head = next(recent, None)
        if head is None:
            return
        # As a split read's piece replays the bytes before it.
        classifier, transform = self.pipeline.classifier, self.pipeline.client_transform
        for lines in older.parts:
            backfill.warm_lines(classifier, fmt, lines, transform)
        older.parts.clear()
        self._feed(chain([head], recent), path)

    def _format_of(self, path: str, sample: list[str]) -> LogFormat | None:
        """The format to read a file as: the run's, detected from the first file's head (and
        kept for all when given with --format), or the file's own when its head says so."""
        if self.pipeline.format is None and sample:
            try:
                self.pipeline.detect(sample)
            except FormatError:
                return None  # fed, and judged with the next files' lines (flush)
        return self.formats.of(path, sample, now=True)

    def _feed(self, blocks: Iterable[Block], path: str) -> None:
        source = source_name(path)  # as the follower names it: by_source alike in every mode
        for block in blocks:
            self.pipeline.feed_block(block.data, source, block.too_long)


class _Tail:
    """The last `limit` bytes' worth of the lines handed to `add`, in parts."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.parts: deque[list[bytes]] = deque()
        self._sizes: deque[int] = deque()
        self._size = 0  # the sum of _sizes

    def add(self, lines: list[bytes]) -> None:
        self.parts.append(lines)
        self._sizes.append(sum(map(len, lines)))
        self._size += self._sizes[-1]
        while self._size > self.limit and len(self.parts) > 1:
            self.parts.popleft()
            self._size -= self._sizes.popleft()


def _since_offset(fd: int, size: int, since: float, time_of: TimeOf) -> int:
    """Where the lines dated at or after `since` begin in a plain file (`size`: none do)."""
    offset, _ = find_start(
        lambda at, n: os.pread(fd, n, at), size, since, time_of, max_line_bytes=MAX_LINE_BYTES
    )
    # find_start leaves an unterminated last line to a follower, to read once it is whole; a
    # report reads it now, so it must be new enough.
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


WIDTH = 100  # columns the text report fits in
_PATH_WIDTH = 60


def _pct(n: int, total: int) -> str:
    """A share in 6 columns; a few among many is not 0.0%, nor almost all 100.0%."""
    if not total or not n:
        return "  0.0%"
    share = 100.0 * n / total
    if share < 0.05:
        return " <0.1%"
    if share >= 99.95 and n < total:
        return ">99.9%"
    return f"{share:5.1f}%"


def _duration(seconds: float) -> str:
    """A request time as people read it: 0.4 ms, 57 ms, 1.25 s, 30.5 s."""
    ms = seconds * 1000
    if ms < 9.95:
        return f"{ms:.1f} ms"
    if ms < 999.5:
        return f"{ms:.0f} ms"
    return f"{seconds:.2f} s" if seconds < 9.995 else f"{seconds:.1f} s"


def render_text(snap: Snapshot, top: int = 10, out: IO[str] | None = None) -> None:
    """A readable report. Log-derived text is already sanitised (no control characters)."""
    w = (out or sys.stdout).write
    t = snap.totals
    others = [f"{name} ({n:,} lines)" for name, n in snap.other_formats.items()]
    w(_wrap("format     ", [snap.format or "?", *others]))
    w(f"lines      {snap.lines:,}   parsed {snap.parsed:,}   malformed {snap.malformed:,}\n")
    if snap.malformed_reasons:
        reasons = [f"{r}: {n:,}" for r, n in sorted(snap.malformed_reasons.items())]
        w(_wrap("           malformed by reason: ", reasons))
    span = snap.first_last()
    if span is not None:
        w(f"time       {_iso(span[0])} → {_iso(span[1])}\n")
    # Each class with its own error rate: the human figure is not drowned by bots and probes.
    by_class = snap.class_status()
    w("\nclasses      requests   share     4xx     5xx\n")
    for c in CLASSES:
        n = t.classes.get(c, 0)
        counts = by_class.get(c, {})
        errors = f"  {_pct(counts.get('4xx', 0), n)}  {_pct(counts.get('5xx', 0), n)}"
        w(f"  {c:<8} {n:>10,}  {_pct(n, snap.parsed)}{errors}\n")
    w("\nstatus\n")
    for name, n in t.status.items():
        w(f"  {name:<8} {n:>10,}  {_pct(n, t.requests)}\n")
    if t.latency:
        lat = "  ".join(f"{k} {_duration(v)}" for k, v in t.latency.items())
        w(f"\nlatency    {lat}\n")
    sources = snap.by_source()
    if len(sources) > 1:
        _source_table(w, sources)
    # People first, then what is broken, then what is attacking, then the other bots.
    _path_table(w, "top human paths", t.top_paths.get("human", ())[:top])
    if t.top_4xx_paths[:top]:
        title = "4xx paths for people (broken links)"
        _error_table(w, title, "4xx", [(p.path, p.s4xx, p.hits) for p in t.top_4xx_paths[:top]])
    if t.top_5xx_paths[:top]:
        _error_table(
            w, "5xx paths", "5xx", [(p.path, p.s5xx, p.hits) for p in t.top_5xx_paths[:top]]
        )
    rules = [f"{r} {n:,}" for r, n in sorted(t.probe_rules.items())]
    w(
        "\n"
        + _wrap(
            f"probes     {t.probe_hits:,} hits",
            [f" by rule: {rules[0]}", *rules[1:]] if rules else [],
        )
    )
    probes = t.probes[:top]
    cw = _client_width(p.client for p in probes)
    for p in probes:
        paths = f"{p.distinct_paths} path{'' if p.distinct_paths == 1 else 's'}"
        head = f"  {p.hits:>8,}  {_cut(p.client, cw):<{cw}}  {paths:>9}  "
        w(head + _cut(",".join(p.rules), WIDTH - len(head)) + _where(snap, p.client) + "\n")
    bots = [(c, t.bots.get(c, 0)) for c in BOT_CATEGORIES if t.bots.get(c, 0)]
    if bots:
        w("\nbots by category\n")
        for c, n in bots:
            w(f"  {c:<8} {n:>10,}  {_pct(n, t.requests)}\n")
        w("\ntop bots\n")
        for b in t.top_bots[:top]:
            w(f"  {b.hits:>8,}  {b.category:<8} {_cut(b.label, WIDTH - 22)}\n")
    w("\ntop clients\n")
    clients = t.top_clients[:top]
    cw = _client_width(c.client for c in clients)
    for cs in clients:
        w(
            f"  {cs.hits:>8,}  {_cut(cs.client, cw):<{cw}}"
            f"  human {cs.human:,} bot {cs.bot:,} asset {cs.asset:,}"
        )
        w(_where(snap, cs.client) + "\n")
    countries = snap.extra.get("top_countries") or []
    networks = snap.extra.get("top_networks") or []
    if countries or networks:
        w("\ntop countries and networks (over the top clients, by hits)\n")
        for row in countries[:top]:
            w(f"  {row['hits']:>8,}  {row['country'] or '?':<3} {_cut(row['name'] or '', 40)}\n")
        for row in networks[:top]:
            w(f"  {row['hits']:>8,}  {_cut(row['network'], 60)}\n")
    if t.top_referrers:
        w("\ntop referrers (human page views)\n")
        for r, n in t.top_referrers[:top]:
            w(f"  {n:>8,}  {_cut(r, 60)}\n")
    if t.top_campaigns:
        w("\nUTM campaigns\n")
        for r, n in t.top_campaigns[:top]:
            w(f"  {n:>8,}  {_cut(r, 60)}\n")


def _source_table(w: Callable[[str], object], sources: dict[str, dict[str, Any]]) -> None:
    """Each file (or syslog host) read: its requests, its share of people, its error rates."""
    shown = {name: _short_name(name) for name in sources}
    width = min(max(len(name) for name in shown.values()), _PATH_WIDTH - 16)
    w(f"\n{'sources':<{width + 2}}   requests   human     4xx     5xx\n")
    for name, row in sorted(sources.items(), key=lambda kv: (-kv[1]["requests"], kv[0])):
        n = row["requests"]
        human = _pct(row["classes"].get("human", 0), n)
        errors = f"{_pct(row['status'].get('4xx', 0), n)}  {_pct(row['status'].get('5xx', 0), n)}"
        w(f"  {_cut_middle(shown[name], width):<{width}} {n:>10,}  {human}  {errors}\n")


def _short_name(name: str) -> str:
    """A source as the text shows it: a file under the working directory by its path from
    there (the JSON names it by its absolute path)."""
    if not os.path.isabs(name):
        return name or "-"
    try:
        relative = os.path.relpath(name)
    except ValueError:  # another drive (Windows)
        return name
    return name if relative.startswith(os.pardir) else relative


def _path_table(w: Callable[[str], object], title: str, rows: Sequence[PathStat]) -> None:
    """Paths with their hits and error rates (and p95 where the log has request times)."""
    timed = any(ps.p95 is not None for ps in rows)
    header = f"{title:<{_PATH_WIDTH + 2}} {'hits':>8}   4xx%   5xx%"
    w("\n" + header + ("     p95" if timed else "") + "\n")
    for ps in rows:
        row = f"  {_cut_middle(ps.path, _PATH_WIDTH):<{_PATH_WIDTH}} {ps.hits:>8,}"
        row += f" {_pct(ps.s4xx, ps.hits)} {_pct(ps.s5xx, ps.hits)}"
        if timed:
            row += f" {_duration(ps.p95) if ps.p95 is not None else '-':>8}"
        w(row + "\n")


def _error_table(
    w: Callable[[str], object], title: str, kind: str, rows: Sequence[tuple[str, int, int]]
) -> None:
    """Paths by their count of one kind of error, beside all their hits."""
    w(f"\n{title:<{_PATH_WIDTH + 2}} {kind:>8} {'of hits':>8}\n")
    for path, errors, hits in rows:
        w(f"  {_cut_middle(path, _PATH_WIDTH):<{_PATH_WIDTH}} {errors:>8,} {hits:>8,}\n")


def _where(snap: Snapshot, client: str) -> str:
    """'  GB  AS1221 Telstra' after a client, when GeoIP is on; a claimed crawler is marked."""
    if "geo" not in snap.extra and "bot_claims" not in snap.extra:
        return ""
    from logwatch.enrich import claimed, geo_columns  # imports maxminddb: only when asked

    country, network = geo_columns(snap, client)
    text = f"  {country or '-'}  {_cut(network, 40)}".rstrip() if (country or network) else ""
    return text + ("  claimed bot, unverified" if claimed(snap, client) else "")


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def _cut_middle(text: str, width: int) -> str:
    """A long path keeps its start and its end: two long paths that share a start stay apart."""
    if len(text) <= width:
        return text
    head = (width - 1) // 2
    return text[:head] + "…" + text[len(text) - (width - 1 - head) :]


def _client_width(clients: Iterable[str]) -> int:
    """The client column: as wide as the widest client shown (an IPv6 address at most)."""
    return min(max((len(c) for c in clients), default=0), 39)


def _wrap(first: str, items: Sequence[str], indent: int = 11) -> str:
    """`first` then `items`, comma-separated, in lines of at most WIDTH columns."""
    lines, current = [], first
    for i, item in enumerate(items):
        piece = item + ("," if i < len(items) - 1 else "")
        if i == 0:
            current += piece
        elif len(current) + 1 + len(piece) <= WIDTH:
            current += " " + piece
        else:
            lines.append(current)
            current = " " * indent + piece
    lines.append(current)
    return "\n".join(lines) + "\n"


def _iso(ts: float) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def render_json(snap: Snapshot, top: int = 10, out: IO[str] | None = None) -> None:
    json.dump(snap.to_json(top=top), out or sys.stdout, ensure_ascii=False)
    (out or sys.stdout).write("\n")
