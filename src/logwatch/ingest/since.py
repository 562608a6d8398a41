"""Find where "since T" begins in a large, time-ordered log without reading all of it.

Access logs are (nearly) in time order, so the first line at or after `since` can be found by a
binary search over byte offsets: seek, skip to the next newline, read a line, ask the caller's
`time_of(line)` for its time. Lines whose time cannot be read (None) are stepped over. Once the
range is small, a short forward scan finds the exact line. The cost is a few dozen small reads,
whatever the size of the file.

A stream (compressed, a pipe) cannot be searched: `skip_older` reads it up to that line instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from typing import TYPE_CHECKING

from ..model import Record
from ..sanitize import MAX_LINE_BYTES, decode
from .timeparse import parse_clf, parse_iso

if TYPE_CHECKING:
    from .formats import LogFormat
    from .reader import Block

ReadAt = Callable[[int, int], bytes]
TimeOf = Callable[[bytes], float | None]

_PROBE_BYTES = 4096
_SCAN_BYTES = 64 * 1024
# How many unreadable lines a probe steps over before it gives up on that part of the file.
_PROBE_LINES = 64


class _Cursor:
    """Reads lines at byte offsets through a small cache, counting the bytes it reads."""

    __slots__ = ("_buf", "_buf_at", "_read_at", "_size", "bytes_read", "max_line")

    def __init__(self, read_at: ReadAt, size: int, max_line: int) -> None:
        self._read_at = read_at
        self._size = size
        self._buf = b""
        self._buf_at = 0
        self.bytes_read = 0
        self.max_line = max_line

    def _read(self, offset: int, n: int) -> bytes:
        data = self._read_at(offset, n)
        self.bytes_read += len(data)
        return data

    def line_at(self, start: int, block: int) -> tuple[bytes, int] | None:
        """The line beginning at `start` and the offset after it; None at the end of the file.

        A line longer than max_line is returned cut (it is only probed, never emitted).
        """
        if start >= self._size:
            return None
        rel = start - self._buf_at
        if 0 <= rel < len(self._buf):
            i = self._buf.find(b"\n", rel)
            if i >= 0:
                return self._buf[rel:i], self._buf_at + i + 1
        self._buf_at = start
        self._buf = self._read(start, block)
        while True:
            i = self._buf.find(b"\n")
            if i >= 0:
                return self._buf[:i], start + i + 1
            if start + len(self._buf) >= self._size:
                return self._buf, self._size
            if len(self._buf) >= self.max_line:
                end = self.next_line_start(start + len(self._buf))
                return self._buf[: self.max_line], end
            more = self._read(start + len(self._buf), max(block, len(self._buf)))
            if not more:
                return self._buf, start + len(self._buf)
            self._buf += more

    def next_line_start(self, pos: int) -> int:
        """The first line start at or after `pos` (pos itself if a newline ends just before it)."""
        if pos <= 0:
            return 0
        at = pos - 1
        while at < self._size:
            data = self._read(at, _PROBE_BYTES)
            if not data:
                break
            i = data.find(b"\n")
            if i >= 0:
                return at + i + 1
            at += len(data)
        return self._size


def find_start(
    read_at: ReadAt,
    size: int,
    since: float,
    time_of: TimeOf,
    *,
    max_line_bytes: int = 64 * 1024,
) -> tuple[int, int]:
    """Return (offset of the first line whose time is >= since, bytes read to find it).

    When every line is older than `since`, the offset is the start of the last, unterminated line
    (or `size`), so following goes on from there. `read_at(offset, n)` reads up to n bytes.
    """
    cur = _Cursor(read_at, size, max_line_bytes)

    def probe(pos: int, limit: int) -> tuple[int, float, int] | None:
        """First line starting in [pos, limit) with a readable time: (start, time, next start)."""
        start = cur.next_line_start(pos)
        for _ in range(_PROBE_LINES):
            if start >= limit:
                return None
            got = cur.line_at(start, _PROBE_BYTES)
            if got is None:
                return None
            line, nxt = got
            t = safe_time(time_of, line)
            if t is not None:
                return start, t, nxt
            start = nxt
        return None

    # Invariant: every timed line starting before `lo` is older than `since`; `lo` is a line start.
    lo, hi = 0, size
    while hi - lo > _SCAN_BYTES:
        mid = (lo + hi) // 2
        found = probe(mid, hi)
        if found is None:
            hi = mid
            continue
        start, t, nxt = found
        if t < since:
            lo = nxt
        else:
            hi = start
    # Short forward scan from lo for the exact first line.
    start = lo
    while True:
        got = cur.line_at(start, _SCAN_BYTES)
        if got is None:
            return size, cur.bytes_read
        line, nxt = got
        if nxt >= size and not _ends_with_newline(cur, size):
            # The unterminated last line: start there so it is read once complete.
            return start, cur.bytes_read
        when = safe_time(time_of, line)
        if when is not None and when >= since:
            return start, cur.bytes_read
        start = nxt


def _ends_with_newline(cur: _Cursor, size: int) -> bool:
    if size == 0:
        return True
    return cur._read(size - 1, 1) == b"\n"


def safe_time(time_of: TimeOf, line: bytes) -> float | None:
    try:
        return time_of(line)
    except Exception:
        return None


_ISO = re.compile(rb"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?")


def any_time_of(*readers: TimeOf) -> TimeOf:
    """A line's time by the first of `readers` that reads it, else by its look (`guess_time`):
    for files that may not all be in one format."""
    readers = tuple(dict.fromkeys(readers))

    def time_of(raw: bytes) -> float | None:
        for read in readers:
            when = safe_time(read, raw)
            if when is not None:
                return when
        return guess_time(raw)

    return time_of


def guess_time(line: bytes) -> float | None:
    """A `time_of` for common access logs: the first `[10/Oct/2000:13:55:36 -0700]` (nginx,
    Apache, combined) or ISO-8601 timestamp (JSON and Caddy-style logs) in the line."""
    i = line.find(b"[")
    if 0 <= i < 512:
        j = line.find(b"]", i + 1, i + 64)
        if j > 0:
            hit = parse_clf(line[i + 1 : j].decode("ascii", "replace"))
            if hit is not None:
                return hit[0]
    m = _ISO.search(line, 0, 1024)
    if m is not None:
        hit = parse_iso(m.group().decode("ascii").replace(",", "."))
        if hit is not None:
            return hit[0]
    return None


def last_time(
    path: str, time_of: TimeOf = guess_time, tail_bytes: int = 256 * 1024
) -> float | None:
    """The time of the last dated line of a plain file (None for anything else): where a history
    read from it ends, known before reading it (see `Aggregator.expect_until`)."""
    try:
        with open(path, "rb") as f:
            if f.read(2) == b"\x1f\x8b":
                return None
            size = f.seek(0, 2)
            f.seek(max(0, size - tail_bytes))
            tail = f.read(tail_bytes)
    except OSError:
        return None
    for line in reversed(tail.split(b"\n")[1:] if size > tail_bytes else tail.split(b"\n")):
        if line.strip():
            when = safe_time(time_of, line.rstrip(b"\r"))
            if when is not None:
                return when
    return None


def counted_time(formats: Iterable[LogFormat], limit: float) -> TimeOf:
    """A `time_of` for `last_time` that dates only a line the history's windows will count:
    one that looks dated (`guess_time`), that one of `formats` reads as a request, and whose
    time is no later than `limit` (the aggregator's `future_limit`; a line past it counts in
    the totals only). Where a history ends is taken as the newest time counted in it: a hostile
    or skewed last line (junk with a date, a request dated 2099) made it seem to end there, and
    every window of the history came out empty."""
    formats = tuple(formats)

    def time_of(raw: bytes) -> float | None:
        if len(raw) > MAX_LINE_BYTES or guess_time(raw) is None:  # the cheap test first
            return None
        line = decode(raw)
        for fmt in formats:
            record = fmt.parse(line)
            if isinstance(record, Record):
                return record.ts if record.ts <= limit else None
        return None

    return time_of


# A block of a stream whose last dated line is this much older than `since` is dropped whole;
# nearer, its lines are looked at one by one. Servers log a request when it ends, dated when it
# began: a long download's line comes after younger ones.
SKIP_SLACK = 600.0


def skip_older(
    blocks: Iterable[Block],
    since: float,
    time_of: TimeOf,
    dropped: Callable[[list[bytes]], None] | None = None,
) -> Iterator[Block]:
    """The blocks of a stream from its first line dated at or after `since`: the lines before
    it are dropped (and handed to `dropped`, to warm a classifier on), as `find_start` skips
    them in a file."""
    blocks = iter(blocks)
    for block in blocks:
        lines = block.data.split(b"\n")
        first = first_since(lines, since, time_of)
        if first is None:  # all older, or nothing dated
            if dropped is not None:
                dropped(lines)
            continue
        if first and dropped is not None:
            dropped(lines[:first])
        yield replace(block, data=b"\n".join(lines[first:])) if first else block
        yield from blocks
        return


def first_since(lines: list[bytes], since: float, time_of: TimeOf) -> int | None:
    """Where, among a stream's `lines`, the first dated at or after `since` is (None: none is,
    or none is dated): a stream's part of `find_start`, one block at a time."""
    if _ends_older(lines, time_of, since - SKIP_SLACK):
        return None
    return _first_since(lines, time_of, since)


def _ends_older(lines: list[bytes], time_of: TimeOf, than: float) -> bool:
    """Whether the last dated line is older than `than`."""
    for line in reversed(lines):
        when = safe_time(time_of, line)
        if when is not None:
            return when < than
    return False


def _first_since(lines: list[bytes], time_of: TimeOf, since: float) -> int | None:
    for i, line in enumerate(lines):
        when = safe_time(time_of, line)
        if when is not None and when >= since:
            return i
    return None
