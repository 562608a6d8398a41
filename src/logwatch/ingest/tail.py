"""Follow log files, globs and standard input through every kind of rotation; yield line batches.

    follower = Follower(["/var/log/nginx/*access*.log"], since=time.time() - 3600, time_of=ts_of)
    async for batch in follower.batches():      # LineBatch(source, block, count, too_long, history)
        ...
    follower.stop()                              # from anywhere; batches() then ends

How it works
- One task per source. A task reads its file in big chunks (1 MiB, `os.pread` in a worker thread,
  so the event loop never blocks), cuts each after its last newline and puts that block of whole
  lines on one bounded queue (split only to drop an overlong line or when a chunk holds more than
  a batch: the engine reads blocks). When the consumer is slow, `queue.put` waits: the readers
  pause and the file itself is the buffer (the lag is reported by `states()`), so memory stays
  bounded.
- Change notification comes from watchfiles (inotify and friends) on the directories involved; a
  slow safety poll runs beside it, and `force_polling=True` (or a watcher that cannot start) polls
  every `poll_interval` instead.
- Files are identified by (st_dev, st_ino), never by name. At EOF a task stats its path:
  * another file is there now (rename+create, delete+recreate, a re-pointed symlink): the old file
    is kept open and drained — also of lines written to it after the rotation (nginx writes to the
    old file until it reopens) — until it has been quiet for `rotate_grace` seconds; the new file is
    read from its start;
  * nothing is there: state "missing", keep waiting, keep draining the old file;
  * the same file, but shorter than what we read, or with other bytes just before our offset
    (copytruncate, even when it has grown again since): read it again from the start; what we
    had not read of it yet is read from the copy (access.log.1) when that is there, uncompressed.
- A file already read to some offset and then seen again under another name (access.log becomes
  access.log.1 while a glob also matches that) continues from that offset: nothing is read twice.
- Compressed files (.gz .bz2 .xz) are read once, transparently, when named; never followed. Glob
  matches of rotated names (access.log.1, access.log.2.gz, access.log-20240101) are not followed
  unless the pattern is about them (see `sources`); those there at start are read as history
  (from `since`, as `report` reads them; not at all when last written before it), then let go
  once quiet for `rotate_grace`, as a rotated-away file is. A compressed standard input is
  refused, with the ways to read it (`logwatch report -` decompresses it).
"""

from __future__ import annotations

import asyncio
import contextlib
import lzma
import math
import os
import re
import select
import stat
import sys
import threading
import time
from collections import OrderedDict, deque
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from ..model import SourceState
from ..sanitize import decode
from . import sources
from .loopcall import call_on_loop
from .reader import compression_of, open_input, too_short_to_tell
from .since import TimeOf, any_time_of, find_start, first_since

CHUNK_BYTES = 1 << 20
# Bytes remembered just before the read offset: if the file no longer holds them there, it was
# truncated and rewritten (copytruncate followed by fast writes) and is read again from the start.
_TAIL_BYTES = 64
# How many finished (file identity → offset) records are kept to avoid re-reading renamed files.
_FINISHED_MAX = 1024
# A stop finds a file ending without a newline: web servers write each line whole, so a file
# quiet this long has its last line finished (or its writer gone), and it is counted, as `report`
# counts a file's unterminated end. A younger one may be half a line: reported, not counted.
SETTLED_SECONDS = 1.0
# Chunks of standard input read ahead of the consumer (memory stays bounded; then the pipe is
# the buffer, as a file is).
_STDIN_CHUNKS = 4
# How long a stop waits for a read of standard input under way. It starts only once poll() says
# it will not block, so this is a bound for the odd case (another reader took the bytes first),
# never a wait on a quiet pipe.
_STDIN_READ_WAIT = 0.5


@dataclass(slots=True)
class LineBatch:
    """Complete lines from one source, in file order, as one block of bytes joined by b"\n"
    (a reader's chunk as it came, cut after its last newline: the engine takes it whole)."""

    source: str  # the file path as followed (or "-" for stdin): the source label
    block: bytes  # the lines joined by b"\n", without the last newline (a b"\r" may remain)
    count: int  # how many lines `block` holds (b"" holds one empty line or none)
    too_long: int = 0  # lines longer than max_line_bytes: dropped whole, counted here
    history: bool = False  # True while reading content that existed at start (backfill)

    @classmethod
    def of_lines(
        cls, source: str, lines: list[bytes], too_long: int = 0, history: bool = False
    ) -> LineBatch:
        return cls(source, b"\n".join(lines), len(lines), too_long, history)

    @property
    def lines(self) -> list[bytes]:
        """The lines, split anew on each access (for consumers that want a list)."""
        return self.block.split(b"\n") if self.count else []


def _longer_than(block: bytes, limit: int) -> bool:
    """Whether some line of `block` is longer than `limit` bytes. Jumps a window at a time:
    each step looks for the last newline within `limit + 1` bytes of a line start, so a 1 MiB
    chunk costs a few dozen searches, not one per line."""
    pos, end = 0, len(block)
    while end - pos > limit:
        nl = block.rfind(b"\n", pos, pos + limit + 1)
        if nl < 0:
            return True
        pos = nl + 1
    return False


# What a blank line can begin with: its end (an empty line, CRLF's lone \r), a space, a tab, or
# the first byte of a Unicode space in UTF-8 (U+00A0, U+1680, U+2000-U+200A, U+202F, U+205F,
# U+3000). A line that begins otherwise is not blank.
_BLANK_FIRST = (b"", b"\r", b" ", b"\t", b"\xc2", b"\xe1", b"\xe2", b"\xe3")
_BLANK_START = re.compile(rb"\n[\n\r \t\xc2\xe1\xe2\xe3]")  # one C pass (~a count of newlines)


def _blank_lines(block: bytes, count: int) -> int:
    """How many of the `count` lines of `block` are blank: the pipeline skips them and counts them
    nowhere, so a source's `lines` leaves them out too (the sources' lines add up to `lines`).
    A block with none (nearly all) shows it in one scan."""
    if not count:
        return 0
    if (
        block[:1] not in _BLANK_FIRST
        and not block.endswith(b"\n")
        and _BLANK_START.search(block) is None
    ):
        return 0
    return sum(1 for line in block.split(b"\n") if _blank(line))


def _blank(line: bytes) -> bool:
    """As the pipeline judges a line blank: nothing but whitespace once decoded, its \r cut."""
    if line[-1:] == b"\r":
        line = line[:-1]
    if line[:1] not in _BLANK_FIRST:
        return False
    return not line or decode(line).isspace()


def _size_now(fd: int) -> int:
    """The open file's size as it is now (-1 if it cannot be had). At a stop the size last read
    may be stale: bytes written since (a line's end) are unread, and what is held is half a line."""
    try:
        return os.fstat(fd).st_size
    except OSError:
        return -1


class _Splitter:
    """Cuts a byte stream into blocks of complete lines; holds at most max_line_bytes of an
    unfinished line."""

    __slots__ = ("max", "pending", "skipping")

    def __init__(self, max_line_bytes: int) -> None:
        self.max = max_line_bytes
        self.pending = b""
        self.skipping = False  # inside an overlong line: drop bytes until its newline

    def feed(self, data: bytes) -> tuple[bytes, int, int]:
        """The complete lines `data` ends, as (block, number of lines, lines dropped as too long)."""
        too_long = 0
        if self.skipping:
            i = data.find(b"\n")
            if i < 0:
                return b"", 0, 0
            self.skipping = False
            too_long = 1
            data = data[i + 1 :]
        if self.pending:
            data = self.pending + data
            self.pending = b""
        last = data.rfind(b"\n")
        rest = data[last + 1 :]
        if len(rest) > self.max:
            self.skipping = True
        else:
            self.pending = rest
        if last < 0:
            return b"", 0, too_long
        block = data[:last]
        count = block.count(b"\n") + 1
        if last > self.max and _longer_than(block, self.max):
            lines = block.split(b"\n")
            kept = [line for line in lines if len(line) <= self.max]
            too_long += len(lines) - len(kept)
            return b"\n".join(kept), len(kept), too_long
        return block, count, too_long

    def flush(self) -> tuple[bytes, int, int]:
        """The stream ended: hand out the unfinished line (or count it, if it was overlong)."""
        if self.skipping:
            self.skipping = False
            return b"", 0, 1
        rest, self.pending = self.pending, b""
        return rest, (1 if rest else 0), 0


class _Handle:
    """One open file: where we are in it and what we last saw."""

    __slots__ = (
        "fd",
        "held_history",
        "ident",
        "last_growth",
        "offset",
        "path",
        "size",
        "skip_nul",
        "splitter",
        "tail",
    )

    def __init__(self, fd: int, ident: tuple[int, int], path: str, offset: int, max_line: int):
        self.fd = fd
        self.ident = ident
        self.path = path
        self.offset = offset
        self.size = offset
        self.tail = b""
        self.splitter = _Splitter(max_line)
        self.last_growth = time.monotonic()
        self.skip_nul = False  # truncated: a hole of NULs may come before the first line
        # The last bytes read were the history's (content the file had at start): so is an
        # unfinished line held after them.
        self.held_history = False


class _Source:
    """One followed name (a path, or stdin) and the files that have been behind it."""

    def __init__(self, name: str, explicit: bool, history: bool, once: bool = False) -> None:
        self.name = name
        self.explicit = explicit
        # A rotated file a glob matched at start: its history is read, its name not followed.
        self.once = once
        self.cur: _Handle | None = None
        self.draining: list[_Handle] = []
        self.history = history  # still reading content that existed at start
        self.first_open = True
        self.finished = False
        self.wake = asyncio.Event()
        self.state = SourceState(
            name=name, label="stdin" if name == sources.STDIN else os.path.basename(name)
        )
        self.history_start = 0
        self.history_total = 0
        self.parallel_done: int | None = None  # bytes of history read by other processes
        self.behind_since: float | None = None
        self.last_time: float | None = None
        self.task: asyncio.Task[None] | None = None
        self.rotations = 0
        self.renamed_away = False  # the file we read lost its name; a new one may take it
        self.truncations = 0
        # The path's stat taken together with the last read at EOF (saves a thread hop).
        self.path_stat: os.stat_result | OSError | None = None
        self.stdin: _StdinReader | None = None  # for "-": what was read and not yet taken
        # For "-": the follower's `since` while standard input's lines before it are skipped;
        # None once one at or after it came (or with no `since`).
        self.skip_before: float | None = None

    def set(self, state: str, message: str = "") -> None:
        self.state.state = state
        self.state.message = message


# history_reader(path, start, end, progress, ident) -> (offset reached, lines counted); it calls
# progress(bytes_done) as it goes. `ident` is the (st_dev, st_ino) of the file meant: the path may
# name another file by the time it is read (a rotation). Stopping short (a failure) is fine: the
# follower reads on from the offset reached, so no line is lost or counted twice.
HistoryReader = Callable[
    [str, int, int, Callable[[int], None], tuple[int, int]], Awaitable[tuple[int, int]]
]


class Follower:
    """Follow `patterns` (paths, globs, "-") and yield `LineBatch`es until stopped or all closed.

    History: with `since` (epoch seconds) and `time_of`, each file present at start is read from
    the first line at or after `since` (found by binary search); with `from_start`, from its
    start; otherwise from its end. `follow=False` reads what is there and finishes (from the start
    unless `since` is given). Files that appear later are read from their start.
    """

    def __init__(
        self,
        patterns: list[str],
        *,
        since: float | None = None,
        time_of: Callable[[bytes], float | None] | None = None,
        poll_interval: float = 0.25,
        max_line_bytes: int = 64 * 1024,
        batch_lines: int = 5000,
        max_queue: int = 16,
        from_start: bool = False,
        follow: bool = True,
        force_polling: bool = False,
        include_rotated: bool = False,
        rotate_grace: float = 5.0,
        stdin: int | None = None,
        history_reader: HistoryReader | None = None,
        parallel_min_bytes: int = 32 * 1024 * 1024,
    ) -> None:
        if not patterns:
            raise ValueError("no paths to follow")
        self.patterns = list(patterns)
        self.since = since
        self.time_of = time_of
        self.poll_interval = poll_interval
        self.max_line_bytes = max_line_bytes
        self.batch_lines = max(1, batch_lines)
        self.max_queue = max(1, max_queue)
        self.from_start = from_start or (not follow and since is None)
        self.follow = follow
        self.force_polling = force_polling
        self.include_rotated = include_rotated
        self.rotate_grace = rotate_grace
        self._stdin_fd = stdin
        # Reads a big stretch of history [start, end) elsewhere (every core) and returns how many
        # lines it counted; the follower then carries on from `end`.
        self.history_reader = history_reader
        self.parallel_min_bytes = parallel_min_bytes
        # Notification is the fast path; the safety poll only catches what it might miss.
        self._safety_interval = max(2.0, poll_interval)
        self._sources: dict[str, _Source] = {}
        self._empty_globs: dict[str, SourceState] = {}
        self._claims: dict[tuple[int, int], _Handle] = {}
        self._finished: OrderedDict[tuple[int, int], tuple[int, bytes]] = OrderedDict()
        self._queue: asyncio.Queue[LineBatch | None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._stopping = False
        self._started = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._rescan = asyncio.Event()
        self._watch_stop: asyncio.Event | None = None
        self._watching = False
        self.bytes_read = 0  # total bytes read from files (for tests and benchmarks)
        # What a stop found unconsumed: batches read but not taken, then each file's settled
        # unterminated last line (see stop()).
        self.left_over: list[LineBatch] = []
        # Why the run cannot go on, when its one input cannot be read at all (a compressed
        # standard input): the engine stops with it.
        self.fatal: str | None = None
        self._stdin_dating: TimeOf | None = None  # standard input's lines' times (_stdin_since)
        # Each _emit's batches not yet in the queue, in the order the emits began.
        self._unqueued: dict[int, deque[LineBatch]] = {}

    # ----------------------------------------------------------------------------- public API

    async def batches(self) -> AsyncIterator[LineBatch]:
        """Yield batches until stop() or until every source is closed. Never raises for a source."""
        if self._started:
            raise RuntimeError("Follower.batches() can only be iterated once")
        self._started = True
        if self._stopping:
            return
        self._loop = asyncio.get_running_loop()
        self._queue = asyncio.Queue(self.max_queue)
        self._rescan = asyncio.Event()
        self._spawn(self._supervise())
        try:
            while True:
                item = await self._queue.get()
                if item is None:
                    return
                yield item
        finally:
            self._shutdown()

    def stop(self) -> None:
        """Stop following; batches() ends. Safe to call from any thread, more than once.

        Batches read but not yet taken are then in `left_over` for the consumer to count, and
        after them a file's unterminated last line, quiet for SETTLED_SECONDS and still the
        file's end; a younger one (or one the file has grown past since it was read) is left
        unread and its bytes reported in the source's state (`unterminated_bytes`). Standard
        input's chunks read and not yet taken follow its batches, then its unfinished line as a
        file's (settled: the pipe empty for SETTLED_SECONDS); a stop never waits on its read."""
        loop = self._loop
        if loop is None:
            self._stopping = True
            return
        call_on_loop(loop, self._shutdown)

    def states(self) -> list[SourceState]:
        """A copy of every source's state, for status bars and JSON reports."""
        out: list[SourceState] = []
        now = time.monotonic()
        for src in self._sources.values():
            st = src.state
            lag = 0
            for h in src.draining:
                lag += max(0, h.size - h.offset)
            if src.cur is not None:
                lag += max(0, src.cur.size - src.cur.offset)
            extra = dict(st.extra)
            extra["lag_bytes"] = lag
            if src.history_total or src.history:
                done = 0
                if src.cur is not None:
                    done = min(src.history_total, max(0, src.cur.offset - src.history_start))
                elif src.parallel_done is not None:
                    done = min(src.history_total, src.parallel_done)
                extra["history_bytes_done"] = src.history_total if not src.history else done
                extra["history_bytes_total"] = src.history_total
            if src.rotations:
                extra["rotations"] = src.rotations
            if src.truncations:
                extra["truncations"] = src.truncations
            lag_seconds = 0.0
            if lag and src.behind_since is not None:
                lag_seconds = now - src.behind_since
                if src.last_time is not None:
                    lag_seconds = max(0.0, time.time() - src.last_time)
            out.append(
                SourceState(
                    name=st.name,
                    label=st.label,
                    state=st.state,
                    message=st.message,
                    lines=st.lines,
                    lag_seconds=lag_seconds,
                    extra=extra,
                )
            )
        for st in self._empty_globs.values():
            out.append(SourceState(st.name, st.label, st.state, st.message, 0, 0.0, {}))
        return out

    @property
    def history_done(self) -> bool:
        """True once every source present at start has been read up to where it stood."""
        return self._started and not any(s.history for s in self._sources.values())

    # ----------------------------------------------------------------------------- internals

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def _shutdown(self) -> None:
        if self._stopping and self._queue is None:
            return
        self._stopping = True
        if self._watch_stop is not None:
            self._watch_stop.set()
        for task in list(self._tasks):
            task.cancel()
        q = self._queue
        if q is not None:
            # Batches read but not yet taken are complete lines: handed over with the rest.
            while not q.empty():
                item = q.get_nowait()
                if item is not None:
                    self.left_over.append(item)
            # Then those a reader was still putting (cancelled above, it puts none of them).
            for todo in self._unqueued.values():
                self.left_over.extend(todo)
                todo.clear()
            self._unqueued.clear()
        now = time.monotonic()
        for src in self._sources.values():
            if src.stdin is not None:
                self._hand_over_stdin(src, src.stdin, now)
                src.stdin = None
            for h in [*src.draining, *([src.cur] if src.cur else [])]:
                if h.splitter.pending or h.splitter.skipping:
                    settled = now - h.last_growth >= SETTLED_SECONDS and _size_now(h.fd) == h.offset
                    # The file's end at start stays history: handed over as live, it would tell
                    # the engine the log is being written (windows on the wall clock for an old
                    # log).
                    self._keep_unterminated(src, h.splitter, settled, h.held_history)
                with contextlib.suppress(OSError):
                    os.close(h.fd)
            src.draining.clear()
            src.cur = None
        self._claims.clear()
        if q is not None:
            q.put_nowait(None)

    def _hand_over_stdin(self, src: _Source, reader: _StdinReader, now: float) -> None:
        """At a stop: the lines of the chunks read from standard input and not yet taken (a
        pipe's bytes are read once: dropped here, they are lost), then its unfinished line."""
        held, idle_since = reader.close()
        for item in held:
            lines, ended = self._stdin_lines(src, reader, item)
            self.left_over.extend(self._batches(src, *lines, history=False))
            if ended is not None:
                src.set(*ended)
                return
        if reader.head:  # first bytes too few to tell, and no newline among them: text
            self.bytes_read += len(reader.head)
            reader.splitter.feed(reader.head)
            reader.head = None
        pending = reader.splitter.pending
        # Still before `since`: the unfinished last line counts only if it is not older.
        if (
            pending
            and src.skip_before is not None
            and not self._stdin_since(src, (pending, 1, 0))[1]
        ):
            reader.splitter.pending = b""
        # As a file's settled end: nothing has come for SETTLED_SECONDS and nothing waits
        # unread (the reading thread was waiting on an empty pipe, not on room to put).
        settled = idle_since is not None and now - idle_since >= SETTLED_SECONDS
        self._keep_unterminated(src, reader.splitter, settled, history=False)

    def _keep_unterminated(
        self, src: _Source, splitter: _Splitter, settled: bool, history: bool
    ) -> None:
        """At a stop: a settled unterminated last line into `left_over`; else its size noted."""
        if not splitter.pending and not splitter.skipping:
            return
        if settled:
            block, count, too_long = splitter.flush()
            src.state.lines += count - _blank_lines(block, count) + too_long
            self.left_over.append(LineBatch(src.name, block, count, too_long, history))
        else:
            unread = src.state.extra.get("unterminated_bytes", 0)
            assert isinstance(unread, int)
            src.state.extra["unterminated_bytes"] = unread + len(splitter.pending)

    async def _emit(
        self, src: _Source, block: bytes, count: int, too_long: int, history: bool
    ) -> None:
        """Queue `count` complete lines (`block`), in batches of at most `batch_lines`."""
        todo = self._batches(src, block, count, too_long, history)
        if not todo:
            return
        assert self._queue is not None
        # Until queued, the batches are the stop's to hand over: a reader waiting on a full
        # queue is cancelled there, past the file offset of these lines (see _shutdown).
        key = id(todo)
        self._unqueued[key] = todo
        try:
            while todo:
                await self._queue.put(todo[0])
                todo.popleft()  # no await in between: a batch is queued or here, never both
        finally:
            self._unqueued.pop(key, None)

    def _batches(
        self, src: _Source, block: bytes, count: int, too_long: int, history: bool
    ) -> deque[LineBatch]:
        """`count` complete lines (`block`) as batches of at most `batch_lines`, counted in the
        source's state."""
        if not count and not too_long:
            return deque()
        if self.time_of is not None and count:
            try:
                src.last_time = self.time_of(block[block.rfind(b"\n") + 1 :])
            except Exception:
                src.last_time = None
        n = self.batch_lines
        if count <= n:
            todo = deque([LineBatch(src.name, block, count, too_long, history)])
        else:
            # Short lines: more than a batch in one chunk (rare: a chunk holds ~4,500 usual lines).
            lines = block.split(b"\n")
            todo = deque(
                LineBatch.of_lines(src.name, lines[i : i + n], too_long if i == 0 else 0, history)
                for i in range(0, len(lines), n)
            )
        # As the totals count: blank lines not at all, overlong ones (malformed) once each.
        src.state.lines += count - _blank_lines(block, count) + too_long
        return todo

    # ---- discovery

    async def _supervise(self) -> None:
        initial = True
        watcher: asyncio.Task[None] | None = None
        watched: set[str] = set()
        only_stdin = all(p == sources.STDIN for p in self.patterns)
        # The rotated files a glob matches at start hold history (for `since`, as `report` reads
        # them); later ones are only the live files renamed, which their sources read out.
        history_wanted = self.from_start or self.since is not None
        while not self._stopping:
            try:
                matches = await asyncio.to_thread(
                    sources.expand,
                    self.patterns,
                    include_rotated=self.include_rotated or (initial and history_wanted),
                )
            except Exception as exc:  # a broken pattern must not end the others
                matches = []
                sys.stderr.write(f"logwatch: cannot expand patterns: {exc}\n")
            self._note_empty_globs(matches)
            if initial and not self.include_rotated:
                matches = await asyncio.to_thread(self._without_stale_rotated, matches)
            for m in matches:
                if m.path in self._sources:
                    continue
                if not initial and self._known_elsewhere(m):
                    continue
                once = m.rotated and not self.include_rotated
                src = _Source(m.path, m.explicit, history=initial, once=once)
                self._sources[m.path] = src
                if m.path == sources.STDIN:
                    src.task = self._spawn(self._run_stdin(src))
                else:
                    src.task = self._spawn(self._run_file(src))
            self._forget_vanished_globs()
            if not self.follow or only_stdin:
                break
            if not self.force_polling:
                dirs = await asyncio.to_thread(
                    sources.watch_dirs,
                    self.patterns,
                    [s.name for s in self._sources.values() if s.name != sources.STDIN],
                )
                if watcher is None or watcher.done() or dirs != watched:
                    if watcher is not None:
                        watcher.cancel()
                    watched = dirs
                    watcher = self._spawn(self._watch(dirs)) if dirs else None
            initial = False
            interval = self.poll_interval if not self._watching else self._safety_interval
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(interval):
                    await self._rescan.wait()
            self._rescan.clear()
        # Nothing more can appear: finish once every source has closed.
        pending = [s.task for s in self._sources.values() if s.task is not None]
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
        if self._queue is not None and not self._stopping:
            await self._queue.put(None)

    def _without_stale_rotated(self, matches: list[sources.Match]) -> list[sources.Match]:
        """Leave out the rotated glob matches last written before `since`: no line in them can
        be dated after it (a line is written when its request ends), and a glob over weeks of
        archives must not decompress them all to find so."""
        since = self.since
        if since is None:
            return matches
        out = []
        for m in matches:
            if m.rotated:
                try:
                    if os.stat(m.path).st_mtime < since:
                        continue
                except OSError:
                    continue
            out.append(m)
        return out

    def _known_elsewhere(self, m: sources.Match) -> bool:
        """A new glob match that is a file we already hold under another name is not a new file."""
        try:
            st = os.stat(m.path)
        except OSError:
            return False
        return (st.st_dev, st.st_ino) in self._claims

    def _note_empty_globs(self, matches: list[sources.Match]) -> None:
        hit = {m.pattern for m in matches}
        for p in self.patterns:
            if p == sources.STDIN or not sources.is_glob(p):
                continue
            if p in hit:
                self._empty_globs.pop(p, None)
            elif p not in self._empty_globs:
                verb = "waiting for a file to appear" if self.follow else "nothing to read"
                self._empty_globs[p] = SourceState(
                    name=p, label=p, state="missing", message=f"no file matches {p}; {verb}"
                )

    def _forget_vanished_globs(self) -> None:
        for name, src in list(self._sources.items()):
            if src.finished and not src.explicit and src.state.state == "missing":
                del self._sources[name]

    async def _watch(self, dirs: set[str]) -> None:
        try:
            from watchfiles import Change, awatch
        except ImportError:  # pragma: no cover - watchfiles is a dependency
            return
        self._watch_stop = asyncio.Event()
        self._watching = True
        try:
            async for changes in awatch(
                *sorted(dirs),
                watch_filter=None,
                debounce=max(50, int(self.poll_interval * 1000)),
                step=50,
                stop_event=self._watch_stop,
                recursive=False,
                ignore_permission_denied=True,
            ):
                # Writes to known files only wake the readers; a name that came or went (new
                # file, rotation, symlink swap) also re-runs discovery.
                if any(kind != Change.modified for kind, _ in changes):
                    self._rescan.set()
                for src in self._sources.values():
                    src.wake.set()
        except asyncio.CancelledError:
            raise
        except Exception:
            pass  # the directory went away or notification is unavailable: poll instead
        finally:
            self._watching = False

    async def _sleep_until_woken(self, src: _Source) -> None:
        interval = self._safety_interval if self._watching else self.poll_interval
        if src.draining:
            interval = min(interval, max(self.poll_interval, 0.05))
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(interval):
                await src.wake.wait()
        src.wake.clear()

    # ---- files

    async def _run_file(self, src: _Source) -> None:
        try:
            while not self._stopping:
                progressed = await self._pump(src)
                if src.finished:
                    break
                if not progressed:
                    await self._sleep_until_woken(src)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # never let one source end the others
            src.set("error", f"{type(exc).__name__}: {exc}")
            src.finished = True

    async def _pump(self, src: _Source) -> bool:
        """Read what is new in every file of `src`, then look for rotation. True if lines came."""
        progressed = False
        for h in list(src.draining):
            if await self._read(src, h, history=False):
                progressed = True
            elif not self.follow or time.monotonic() - h.last_growth >= self.rotate_grace:
                await self._release(src, h)
                src.draining.remove(h)
        if src.cur is not None:
            if await self._read(src, src.cur, history=src.history):
                return True
            if src.history:
                src.history = False
            # A rotated file's history is read, then it is let go as a rotated-away file is:
            # once quiet for the grace (a server may write to it until it reopens its log).
            if not self.follow or (
                src.once and time.monotonic() - src.cur.last_growth >= self.rotate_grace
            ):
                await self._release(src, src.cur)
                src.cur = None
                src.finished = True
                src.set(
                    "closed", "rotated file read (not followed)" if src.once else "read to the end"
                )
                return progressed
            if src.once:
                src.set("following", "rotated file: read, then let go once quiet")
                return progressed  # its name is not followed: whatever takes it is not its own
            if not src.draining and src.state.state in ("reading", "rotated", "starting"):
                src.set("following")
        progressed |= await self._check_path(src)
        return progressed

    async def _check_path(self, src: _Source) -> bool:
        path = src.name
        try:
            st, src.path_stat = src.path_stat, None
            if isinstance(st, OSError):
                raise st
            if st is None:
                st = await asyncio.to_thread(os.stat, path)
        except (FileNotFoundError, NotADirectoryError):
            return self._gone(src)
        except PermissionError:
            src.set("error", f"permission denied reaching {path}")
            src.history = False
            return self._give_up_if_once(src)
        except OSError as exc:
            src.set("error", f"cannot stat {path}: {exc.strerror or exc}")
            src.history = False
            return self._give_up_if_once(src)
        if stat.S_ISDIR(st.st_mode):
            src.set("error", f"{path} is a directory, not a log file (try {path}/*.log)")
            src.history = False
            return self._give_up_if_once(src)
        if not stat.S_ISREG(st.st_mode):
            src.set("error", f"{path} is not a regular file")
            src.history = False
            return self._give_up_if_once(src)
        ident = (st.st_dev, st.st_ino)
        if src.cur is not None and src.cur.ident == ident:
            return False
        if src.cur is not None or src.renamed_away:
            # Another file has taken the name (at once, or after a moment without one, as
            # logrotate's rename-then-create leaves): finish the old one in the background.
            if src.cur is not None:
                self._drain(src)
            src.renamed_away = False
            src.rotations += 1
            src.set("rotated", f"rotated at {time.strftime('%H:%M:%S')}; reading the new file")
        return await self._open(src, path)

    def _drain(self, src: _Source) -> None:
        """The current file lost its name: read it out in the background."""
        h = src.cur
        assert h is not None
        # The grace counts from the rotation, not from the file's last write: a quiet server
        # still writes to the old file until it reopens its log.
        h.last_growth = time.monotonic()
        src.draining.append(h)
        src.cur = None

    def _give_up_if_once(self, src: _Source) -> bool:
        if not self.follow or src.first_open:
            # Reported once at start; in follow mode keep trying quietly (permissions change).
            src.first_open = False
            if not self.follow:
                src.finished = True
        return False

    def _gone(self, src: _Source) -> bool:
        if src.cur is not None:
            self._drain(src)
            src.renamed_away = True
        if src.first_open:
            src.history = False
        src.first_open = False
        if not self.follow:
            src.set("missing", f"{src.name} does not exist")
            src.finished = True
            return False
        if src.explicit:
            src.set("missing", f"{src.name} is not there; waiting for it to appear")
        else:
            src.set("missing", f"{src.name} is gone (deleted or rotated away)")
            if not src.draining:
                src.finished = True  # a glob will find it again if it comes back
        return False

    async def _open(self, src: _Source, path: str) -> bool:
        if sources.is_compressed(path):
            return await self._read_compressed(src, path)
        try:
            fd = await asyncio.to_thread(os.open, path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        except FileNotFoundError:
            return self._gone(src)
        except PermissionError:
            src.set("error", f"permission denied: cannot read {path} (try a user in group adm)")
            src.history = False
            return self._give_up_if_once(src)
        except OSError as exc:
            src.set("error", f"cannot open {path}: {exc.strerror or exc}")
            src.history = False
            return self._give_up_if_once(src)
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                os.close(fd)
                src.set("error", f"{path} is not a regular file")
                return self._give_up_if_once(src)
            ident = (st.st_dev, st.st_ino)
            owner = self._claims.get(ident)
            if owner is not None:
                os.close(fd)
                return self._adopt(src, owner)
            offset, tail = await self._start_offset(src, fd, st.st_size, ident)
            if (
                src.history
                and self.history_reader is not None
                and st.st_size - offset >= self.parallel_min_bytes
            ):
                offset, tail = await self._read_history_elsewhere(
                    src, fd, path, ident, offset, st.st_size
                )
        except BaseException:
            with contextlib.suppress(OSError):
                os.close(fd)
            raise
        h = _Handle(fd, ident, path, offset, self.max_line_bytes)
        h.tail = tail
        h.size = st.st_size
        self._claims[ident] = h
        src.cur = h
        if src.history:
            src.history_start = offset
            src.history_total = max(0, st.st_size - offset)
            src.set("reading", "reading history")
        elif src.state.state != "rotated":
            src.set("following")
        src.first_open = False
        return True

    async def _read_history_elsewhere(
        self, src: _Source, fd: int, path: str, ident: tuple[int, int], offset: int, size: int
    ) -> tuple[int, bytes]:
        """Hand [offset, last complete line) to `history_reader`; return where to go on from."""
        assert self.history_reader is not None
        end = await asyncio.to_thread(_last_line_start, fd, size, self.max_line_bytes)
        if end - offset < self.parallel_min_bytes:
            return offset, await asyncio.to_thread(_read_tail, fd, offset) if offset else b""
        src.history_start = offset
        src.history_total = size - offset
        src.parallel_done = 0
        src.set("reading", "reading history with every core")

        def progress(done: int) -> None:
            src.parallel_done = done

        try:
            reached, counted = await self.history_reader(path, offset, end, progress, ident)
        finally:
            src.parallel_done = None
        reached = min(max(reached, offset), end)
        if reached < end:
            # Stopped short (workers failed): a range's last line may run past its end, so go
            # on from the start of the next line, or the rest of that line would count again.
            reached = await asyncio.to_thread(_next_line_start, fd, reached, end)
        src.state.lines += counted
        self.bytes_read += reached - offset
        if reached < end:
            src.set("reading", "reading the rest of the history here")
        return reached, await asyncio.to_thread(_read_tail, fd, reached) if reached else b""

    def _adopt(self, src: _Source, owner: _Handle) -> bool:
        """The file at our name is already open (being drained, or followed under another name)."""
        for other in self._sources.values():
            if owner in other.draining:
                other.draining.remove(owner)
                owner.path = src.name
                src.cur = owner
                src.first_open = False
                src.history = False
                if src.state.state != "rotated":
                    src.set("following")
                return True
        holder = next((o.name for o in self._sources.values() if o.cur is owner), "?")
        src.set("following", f"same file as {holder}; read once there")
        src.first_open = False
        src.history = False
        return False

    async def _start_offset(
        self, src: _Source, fd: int, size: int, ident: tuple[int, int]
    ) -> tuple[int, bytes]:
        seen = self._finished.pop(ident, None)
        if seen is not None:
            offset, tail = seen
            if offset <= size and await asyncio.to_thread(_tail_matches, fd, offset, tail):
                src.history = False
                return offset, tail
        if not src.history:
            return 0, b""
        if self.since is not None and self.time_of is not None and size:
            time_of = self.time_of

            def search() -> tuple[int, int]:
                return find_start(
                    lambda off, n: os.pread(fd, n, off),
                    size,
                    self.since or 0.0,
                    time_of,
                    max_line_bytes=self.max_line_bytes,
                )

            offset, probed = await asyncio.to_thread(search)
            self.bytes_read += probed
            src.state.extra["since_probe_bytes"] = probed
            if offset:  # history left unread: an empty screen must be able to say why
                src.state.extra["before_since_bytes"] = offset
        elif self.from_start or self.since is not None:
            offset = 0
        else:
            offset = await asyncio.to_thread(_last_line_start, fd, size, self.max_line_bytes)
        tail = await asyncio.to_thread(_read_tail, fd, offset) if offset else b""
        return offset, tail

    async def _read(self, src: _Source, h: _Handle, *, history: bool) -> bool:
        """Read one chunk of `h` from its offset; emit its lines. True if any bytes came."""
        # At EOF of the current file the same worker-thread hop also stats the path, so a quiet
        # poll costs one hop per file, not two.
        stat_path = src.name if (self.follow and h is src.cur) else None
        data, size, intact, path_stat = await asyncio.to_thread(
            _read_chunk, h.fd, h.offset, h.tail, stat_path
        )
        if h is src.cur:
            src.path_stat = path_stat
        h.size = size
        if not intact and h is not src.cur:
            # A rotated-away file, still being read out, was cut and rewritten in place (`cp
            # access.log access.log.1`): its new bytes are a copy of lines counted under the
            # live name. Its stream has ended; the drain loop releases it.
            h.last_growth = -math.inf
            return False
        if not intact:
            # copytruncate: the file was cut below our offset (and may have grown again).
            src.truncations += 1
            if not await self._read_out_copy(src, h):
                await self._emit(src, *h.splitter.flush(), history=False)
            h.offset = 0
            h.tail = b""
            # A writer without O_APPEND goes on at its old offset after a copytruncate: the file
            # then starts with a hole of NULs, which is no line and would swallow the first one.
            h.skip_nul = True
            src.history = False
            src.set(
                "following", f"truncated at {time.strftime('%H:%M:%S')}; reading from the start"
            )
            data, size, _, _ = await asyncio.to_thread(_read_chunk, h.fd, 0, b"", None)
            h.size = size
            history = False
        if not data:
            src.behind_since = None
            return False
        self.bytes_read += len(data)
        h.offset += len(data)
        h.tail = data[-_TAIL_BYTES:] if len(data) >= _TAIL_BYTES else (h.tail + data)[-_TAIL_BYTES:]
        h.last_growth = time.monotonic()
        h.held_history = history
        if h.offset < h.size:
            if src.behind_since is None:
                src.behind_since = time.monotonic()
        else:
            src.behind_since = None
        if h.skip_nul:
            data = data.lstrip(b"\0")
            h.skip_nul = not data
        await self._emit(src, *h.splitter.feed(data), history)
        return True

    async def _read_out_copy(self, src: _Source, h: _Handle) -> bool:
        """copytruncate copies the file before it cuts it: what we had not read yet (we were
        behind, or it came between our last read and the copy) is in the copy (access.log.1).
        Read that out from our offset, as a renamed-away file. True if a copy was found."""
        found = await asyncio.to_thread(_find_copy, src.name, h.offset, h.tail)
        if found is None:
            return False
        fd, st = found
        ident = (st.st_dev, st.st_ino)
        if ident in self._claims:  # followed already (a glob matches the copy too)
            os.close(fd)
            return False
        copy = _Handle(fd, ident, src.name, h.offset, self.max_line_bytes)
        copy.tail = h.tail
        copy.size = st.st_size
        # The unfinished line we hold goes on in the copy; the cut file starts a new one.
        copy.splitter, h.splitter = h.splitter, _Splitter(self.max_line_bytes)
        self._claims[ident] = copy
        src.draining.append(copy)
        return True

    async def _release(self, src: _Source, h: _Handle) -> None:
        """Close a file we are done with; its unfinished line is handed out (the stream ended)."""
        await self._emit(src, *h.splitter.flush(), history=False)
        with contextlib.suppress(OSError):
            os.close(h.fd)
        if self._claims.get(h.ident) is h:
            del self._claims[h.ident]
        self._finished[h.ident] = (h.offset, h.tail)
        while len(self._finished) > _FINISHED_MAX:
            self._finished.popitem(last=False)

    async def _read_compressed(self, src: _Source, path: str) -> bool:
        """Read a .gz/.bz2/.xz file once, as history; it is never followed."""
        src.set("reading", "reading compressed file (read once, not followed)")
        src.history = True
        splitter = _Splitter(self.max_line_bytes)
        try:
            # Known by its first bytes: a ".gz" holding plain text is read as text.
            f = await asyncio.to_thread(open_input, path)
        except PermissionError:
            src.set("error", f"permission denied: cannot read {path}")
            src.history = False
            src.finished = True
            return False
        except OSError as exc:
            src.set("error", f"cannot open {path}: {exc.strerror or exc}")
            src.history = False
            src.finished = True
            return False
        try:
            total = os.fstat(f.fileno()).st_size if hasattr(f, "fileno") else 0
            src.history_total = total
            # read1: what one call decompressed comes back before a damaged end raises (read()
            # would drop a whole chunk's lines with the error).
            read = getattr(f, "read1", f.read)
            while True:
                try:
                    data = await asyncio.to_thread(read, CHUNK_BYTES)
                except (OSError, EOFError, lzma.LZMAError) as exc:
                    # What was read stands, the unfinished last line too (as `report` counts).
                    await self._emit(src, *self._since_filter(*splitter.flush()), True)
                    src.set("error", f"{path}: damaged compressed data ({exc})")
                    break
                if not data:
                    await self._emit(src, *self._since_filter(*splitter.flush()), True)
                    src.set("closed", "compressed file read (not followed)")
                    break
                self.bytes_read += len(data)
                await self._emit(src, *self._since_filter(*splitter.feed(data)), True)
        finally:
            await asyncio.to_thread(f.close)
        src.history = False
        src.finished = True
        return False

    def _since_filter(self, block: bytes, count: int, too_long: int) -> tuple[bytes, int, int]:
        """Drop lines older than `since` from a stream that cannot be searched (compressed)."""
        if self.since is None or self.time_of is None or not count:
            return block, count, too_long
        lines = block.split(b"\n")
        t = self.time_of(lines[-1])
        if t is not None and t < self.since:
            return b"", 0, too_long
        for i, line in enumerate(lines):
            t = self.time_of(line)
            if t is not None and t >= self.since:
                return (block, count, too_long) if i == 0 else _joined(lines[i:], too_long)
        return block, count, too_long

    # ---- stdin

    async def _run_stdin(self, src: _Source) -> None:
        src.history = False
        src.set("following", "reading standard input")
        src.skip_before = self.since
        fd = self._stdin_fd if self._stdin_fd is not None else sys.stdin.fileno()
        reader = _StdinReader(fd, asyncio.get_running_loop(), self.max_line_bytes)
        src.stdin = reader
        reader.start()
        try:
            while True:
                reader.arrived.clear()  # before take(): a chunk put after it sets it again
                item = reader.take()
                if item is None:
                    await reader.arrived.wait()
                    continue
                # No await from take() to _emit's tracking: a chunk is held by the reader, or
                # its lines by _emit or the splitter, when a stop comes.
                lines, ended = self._stdin_lines(src, reader, item)
                await self._emit(src, *lines, False)
                if ended is not None:
                    src.set(*ended)
                    break
        finally:
            src.finished = True

    def _stdin_lines(
        self, src: _Source, reader: _StdinReader, item: bytes | OSError
    ) -> tuple[tuple[bytes, int, int], tuple[str, str] | None]:
        """The lines a chunk of standard input completes, and the source's state if it ended."""
        if isinstance(item, OSError):
            return (b"", 0, 0), ("error", f"cannot read standard input: {item}")
        splitter = reader.splitter
        if reader.head is not None:  # its first bytes: text, or a compressed stream?
            head = reader.head + item
            if item and too_short_to_tell(head):
                reader.head = head
                return (b"", 0, 0), None
            reader.head = None
            kind = compression_of(head)
            if kind is not None:
                # Followed, a compressed stream is bytes with no line in them. Decompressing
                # here would mean bounding what each chunk inflates to (a few KB of bzip2 can
                # hold gigabytes) and keeping the decompressor's state through a stop's
                # handover, for a stream that is a finished file anyway: refused, with the ways
                # that read it.
                message = _compressed_stdin(kind)
                if all(p == sources.STDIN for p in self.patterns):
                    self.fatal = message  # nothing else to read: the run ends, saying why
                return (b"", 0, 0), ("error", message)
            if item:
                item = head
            else:  # it ended within its first bytes: none is a newline (see too_short_to_tell)
                self.bytes_read += len(head)
                splitter.feed(head)
        if not item:
            return self._stdin_since(src, splitter.flush()), ("closed", "standard input closed")
        self.bytes_read += len(item)
        return self._stdin_since(src, splitter.feed(item)), None

    def _stdin_since(self, src: _Source, lines: tuple[bytes, int, int]) -> tuple[bytes, int, int]:
        """Standard input from its first line dated at or after `since`: what a file's history
        is read from (found by search), a stream is read up to (as `report -` reads one, and a
        compressed file here). Lines too old to count are dropped, with the overlong among them;
        every line after that first one counts, whatever its date."""
        cut = src.skip_before
        block, count, too_long = lines
        if cut is None:
            return lines
        if not count:
            return b"", 0, 0
        if self._stdin_dating is None:
            self._stdin_dating = self._stdin_time_of()
        parts = block.split(b"\n")
        first = first_since(parts, cut, self._stdin_dating)
        skipped = src.state.extra.get("before_since_lines", 0)
        assert isinstance(skipped, int)
        src.state.extra["before_since_lines"] = skipped + (count if first is None else first)
        if first is None:
            return b"", 0, 0
        src.skip_before = None
        return lines if first == 0 else _joined(parts[first:], too_long)

    def _stdin_time_of(self) -> TimeOf:
        """The time of a line of standard input: by the run's format when it was known at start
        (a pipe's is learned from its lines only later), else by any known format's."""
        if self.time_of is not None:
            return self.time_of
        from .formats import known_formats

        return any_time_of(*(fmt.time_of for fmt in known_formats()))


def _compressed_stdin(kind: str) -> str:
    cat = {"gzip": "zcat", "bzip2": "bzcat", "xz": "xzcat"}[kind]
    return (
        f"standard input is {kind}-compressed, and only text can be followed: "
        f"`logwatch report -` reads it, `logwatch FILE` reads the file once, "
        f"or decompress it first: `{cat} FILE | logwatch -`"
    )


class _StdinReader:
    """Standard input, read in a daemon thread (a read may block forever; it must never hold
    up exit) into a few chunks the loop takes. They are held here, not in an asyncio.Queue, so
    that a stop can take them: a pipe's bytes are read once, and dropped they would be lost."""

    def __init__(self, fd: int, loop: asyncio.AbstractEventLoop, max_line_bytes: int) -> None:
        self.fd = fd
        self.loop = loop
        self.arrived = asyncio.Event()  # a chunk was put (set on the loop)
        self.splitter = _Splitter(max_line_bytes)  # the loop's alone: the unfinished line
        # The loop's alone too: the stream's first bytes while too few to tell text from a
        # compressed stream (`_stdin_lines`); None once told.
        self.head: bytes | None = b""
        self._cond = threading.Condition()
        # Guarded by _cond:
        self._chunks: deque[bytes | OSError] = deque()  # b"" is the end of the stream
        self._closed = False  # a stop came: no more reads
        self._handed_over = False  # the stop has taken the chunks: none may be added
        self._reading = False  # a read poll() said will not block is under way
        self._idle_since: float | None = None  # waiting on an empty pipe, with room, since

    def start(self) -> None:
        threading.Thread(target=self._pump, name="logwatch-stdin", daemon=True).start()

    def take(self) -> bytes | OSError | None:
        """The oldest chunk read (None: none yet)."""
        with self._cond:
            if not self._chunks:
                return None
            self._cond.notify_all()  # room to read again
            return self._chunks.popleft()

    def close(self) -> tuple[list[bytes | OSError], float | None]:
        """At a stop: no more reads. Returns the chunks read and not taken, and since when the
        thread has been waiting on an empty pipe (None: it was not). A read under way is waited
        for, briefly (see _STDIN_READ_WAIT): it holds bytes that already left the pipe."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
            self._cond.wait_for(lambda: not self._reading, timeout=_STDIN_READ_WAIT)
            self._handed_over = True
            held = list(self._chunks)
            self._chunks.clear()
            return held, self._idle_since

    def _pump(self) -> None:
        cond = self._cond
        while True:
            with cond:
                cond.wait_for(lambda: self._closed or len(self._chunks) < _STDIN_CHUNKS)
                if self._closed:
                    return
                self._idle_since = time.monotonic()
            # Blocking here, not in the read: a stop never waits on a quiet pipe, and is never
            # left without bytes a read took from it.
            _wait_readable(self.fd)
            with cond:
                self._idle_since = None
                if self._closed:
                    return
                self._reading = True
            item: bytes | OSError | None
            try:
                item = os.read(self.fd, CHUNK_BYTES)
            except BlockingIOError:
                item = None  # a non-blocking descriptor, its bytes taken by another reader
            except OSError as exc:
                item = exc
            with cond:
                self._reading = False
                if self._handed_over:
                    return  # the stop gave up waiting for this read: it is past the stop
                if item is not None:
                    self._chunks.append(item)  # a stop waiting on this read takes it too
                cond.notify_all()
                if self._closed:
                    return
            if item is None:
                continue
            try:
                self.loop.call_soon_threadsafe(self.arrived.set)
            except RuntimeError:
                return  # the loop is gone
            if not isinstance(item, bytes) or not item:
                return


def _wait_readable(fd: int) -> None:
    """Until a read of `fd` would not block (a pipe has bytes or its end; a file is always
    readable). Where poll() cannot tell, the read waits by itself (or, non-blocking, retries
    after a moment)."""
    try:
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        poller.poll()
    except (AttributeError, OSError, ValueError):
        time.sleep(0.05)


def _joined(lines: list[bytes], too_long: int) -> tuple[bytes, int, int]:
    return b"\n".join(lines), len(lines), too_long


def _read_chunk(
    fd: int, offset: int, tail: bytes, stat_path: str | None
) -> tuple[bytes, int, bool, os.stat_result | OSError | None]:
    """pread a chunk at `offset`, checking the bytes before it are still `tail`.

    Returns (data, file size, intact, stat of stat_path when at EOF). intact=False means the file
    was truncated or rewritten under us.
    """
    size = os.fstat(fd).st_size
    if size < offset:
        return b"", size, False, None
    if offset == size:
        # Same size as before but maybe rewritten (truncate + same amount written): cheap check.
        intact = _tail_matches(fd, offset, tail) if tail and size else True
        path_stat: os.stat_result | OSError | None = None
        if stat_path is not None and intact:
            try:
                path_stat = os.stat(stat_path)
            except OSError as exc:
                path_stat = exc
        return b"", size, intact, path_stat
    n = len(tail)
    data = os.pread(fd, CHUNK_BYTES + n, offset - n)
    if n and data[:n] != tail:
        return b"", size, False, None
    return data[n:], max(size, offset + len(data) - n), True, None


def _find_copy(path: str, offset: int, tail: bytes) -> tuple[int, os.stat_result] | None:
    """An open uncompressed rotated copy of `path` (access.log.1, access.log-20240101) that holds
    more than `offset` bytes and has `tail` just before it: the same content as far as we read."""
    if not tail:
        return None  # nothing read, so nothing to tell the copy of this file from another
    folder, name = os.path.split(path)
    try:
        names = os.listdir(folder or ".")
    except OSError:
        return None
    for other in names:
        if other == name or sources.is_compressed(other) or sources.live_name(other) != name:
            continue
        try:
            fd = os.open(os.path.join(folder, other), os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        except OSError:
            continue
        try:
            st = os.fstat(fd)
            if stat.S_ISREG(st.st_mode) and st.st_size > offset and _tail_matches(fd, offset, tail):
                return fd, st
        except OSError:
            pass
        os.close(fd)
    return None


def _tail_matches(fd: int, offset: int, tail: bytes) -> bool:
    if not tail:
        return True
    n = len(tail)
    return os.pread(fd, n, offset - n) == tail


def _read_tail(fd: int, offset: int) -> bytes:
    start = max(0, offset - _TAIL_BYTES)
    return os.pread(fd, offset - start, start)


def _next_line_start(fd: int, pos: int, end: int) -> int:
    """The first line start at or after `pos` (pos itself when the byte before is a newline)."""
    if pos == 0 or os.pread(fd, 1, pos - 1) == b"\n":
        return pos
    while pos < end:
        chunk = os.pread(fd, min(65536, end - pos), pos)
        if not chunk:
            return end
        nl = chunk.find(b"\n")
        if nl >= 0:
            return pos + nl + 1
        pos += len(chunk)
    return end


def _last_line_start(fd: int, size: int, max_line: int) -> int:
    """Where the unfinished last line starts (size, when the file ends with a newline)."""
    if size == 0:
        return 0
    start = max(0, size - max_line - 1)
    data = os.pread(fd, size - start, start)
    i = data.rfind(b"\n")
    if i < 0:
        return size if start else 0  # an overlong unfinished line: start after it
    return start + i + 1
