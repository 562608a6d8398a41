"""The live engine: sources → pipeline → a Snapshot every tick, alerts evaluated, exporters fed.

It runs on an asyncio loop of its own: in a background thread for the dashboard (so parsing never
competes with key handling on the UI loop), or on the main loop in headless mode. Consumers get
snapshots through the `on_snapshot` callback (called on the engine's thread) or `latest`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
import time
import traceback
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Protocol

from logwatch import sanitize
from logwatch.classify import Classifier, ClassifyConfig
from logwatch.ingest.formats import FormatError, LogFormat
from logwatch.ingest.reader import sample_lines
from logwatch.model import SourceState
from logwatch.pipeline import DETECT_LINES, Pipeline, SourceFormats
from logwatch.stats.aggregator import StatsConfig
from logwatch.stats.snapshot import Snapshot

if TYPE_CHECKING:
    from logwatch.ingest.backfill import RangeJob

# Lines written into a log that was empty at start: the format is looked for once this many
# are pending, or once the first has waited this long (a quiet server's), and a sample that
# fits no format waits for more, up to the pipeline's full sample (DETECT_LINES).
LIVE_DETECT_LINES = 8
LIVE_DETECT_WAIT = 5.0

SnapshotCallback = Callable[[Snapshot], None]


class LineSource(Protocol):
    """Anything that yields LineBatch-like objects (files, stdin, syslog)."""

    def batches(self) -> AsyncIterator[Any]: ...

    def states(self) -> list[SourceState]: ...

    def stop(self) -> None: ...


@dataclass
class EngineOptions:
    paths: Sequence[str] = ()
    format: LogFormat | None = None
    since: float | None = 3600.0  # seconds of history to read first; None = everything
    follow: bool = True
    tick: float = 1.0  # seconds between snapshots
    stats: StatsConfig = field(default_factory=StatsConfig)
    classify: ClassifyConfig = field(default_factory=ClassifyConfig)
    client_transform: Callable[[str, float], str] | None = None
    scrub: Callable[[str], str] | None = None  # Anonymizer.scrub for malformed lines
    syslog: Sequence[str] = ()
    force_polling: bool = False
    poll_interval: float = 0.25
    alerts: Any = None  # an alerts engine: evaluate(snapshot) -> events, observe(rec, v)
    exporters: Sequence[Any] = ()  # objects with update(snapshot, alert_states)
    enrich: Callable[[Snapshot], Snapshot] | None = None  # e.g. GeoIP on top clients
    # Big stretches of history are read by worker processes (one per core) when set; None when
    # the client transform cannot be split across processes (keyed hashing).
    parallel_jobs: int = 0  # 0: one per core; 1: never
    anonymize: tuple[int, int] | None = None  # mask prefixes the workers apply
    parallel_min_bytes: int = 32 * 1024 * 1024  # history at least this big goes to workers
    stdin: int | None = None  # the descriptor `-` reads (None: standard input's own)


class LiveEngine:
    def __init__(
        self,
        options: EngineOptions,
        on_snapshot: SnapshotCallback | None = None,
        on_events: Callable[[list[Any]], None] | None = None,
    ) -> None:
        self.options = options
        self.on_snapshot = on_snapshot
        self.on_events = on_events
        observers = []
        if options.alerts is not None and getattr(options.alerts, "needs_records", False):
            observers.append(options.alerts.observe)
        stats = options.stats
        if options.follow:
            # History ends on the wall clock here: a line dated days ahead (a skewed or forged
            # one) held the windows on its time, live lines and all, until that day came.
            stats = replace(stats, history_ahead=min(stats.history_ahead, _SKEW_MAX + _SKEW_SLACK))
        self.pipeline = Pipeline(
            options.format,
            classifier=Classifier(options.classify),
            stats=stats,
            client_transform=options.client_transform,
            scrub=options.scrub,
            observers=observers,
        )
        self.latest: Snapshot | None = None
        self.error: str | None = None
        self.mark: float | None = None
        self.sources: list[LineSource] = []
        self._stop = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._history_done = False
        self._live_seen = False  # a line arrived after start (not history)
        self._went_live = False  # snapshots follow the wall clock (for good, once they do)
        self._alerts_until: float | None = None  # the time the alert rules last looked at
        self._alerts_live = False  # the rules have looked at a live snapshot: no more replays
        # Live lines' clock against the wall clock (a log in the wrong time zone), and the
        # newest live line's time since the last snapshot (None: none came).
        self.clock_skew = 0.0
        self._newest_live: float | None = None
        self._live_time_of: Callable[[bytes], float | None] | None = None
        self._history_judged = False  # the format was looked for once the history was read
        self._formats = SourceFormats(self.pipeline, enough=LIVE_DETECT_LINES)
        self._pending_since: float | None = None  # live lines wait for a format since then
        self._lines_at_last_tick = 0
        self._last_tick = time.monotonic()
        self.ingest_rate = 0.0  # lines per second over the last tick
        self.parallel_pieces = 0  # pieces of history read by worker processes
        self.parallel_pieces_pending = 0  # pieces handed to workers and not merged yet
        self.worker_error: str | None = None

    # --- control (any thread) ------------------------------------------------------------

    def start(self) -> None:
        """Run in a background thread with its own event loop."""
        self._thread = threading.Thread(
            target=self._thread_main, name="logwatch-engine", daemon=True
        )
        self._thread.start()

    def _thread_main(self) -> None:
        try:
            asyncio.run(self.run())
        except Exception as exc:  # pragma: no cover - last resort: report instead of dying
            self.error = f"engine stopped: {exc!r}"

    def stop(self, timeout: float = 5.0) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._request_stop)
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def set_mark(self, ts: float | None) -> None:
        self.mark = ts

    @property
    def history_done(self) -> bool:
        return self._history_done

    # --- the loop ------------------------------------------------------------------------

    def _request_stop(self) -> None:
        self._stop.set()
        for source in self.sources:
            source.stop()

    async def run(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        try:
            self._ensure_format()
            self.sources = self._make_sources()
        except FormatError as exc:
            self.error = str(exc)
            return
        except (OSError, ValueError) as exc:
            self.error = str(exc)
            return
        what = "a source"
        try:
            for source in self.sources:
                starter = getattr(source, "start", None)
                if starter is not None:
                    what = str(getattr(source, "url", None) or getattr(source, "name", what))
                    await starter()
            for exporter in self.options.exporters:
                what = getattr(exporter, "url", None) or type(exporter).__name__
                exporter.start()
        except OSError as exc:  # a port in use, a socket not allowed: say which and why
            # Which one matters: with --syslog and --metrics both given, "Address already in
            # use" alone does not say which port to change.
            self.error = f"cannot start {what}: {exc.strerror or exc}"
            self._request_stop()
            self._stop_exporters()
            return
        try:
            await self._follow()
        finally:
            self._stop_exporters()

    def _stop_exporters(self) -> None:
        for exporter in self.options.exporters:
            with contextlib.suppress(Exception):
                exporter.stop()

    async def _follow(self) -> None:
        pumps = [asyncio.create_task(self._pump(s)) for s in self.sources]
        ticker = asyncio.create_task(self._ticker())
        waiter: asyncio.Future[Any] = asyncio.ensure_future(self._stop.wait())
        done_pumps: asyncio.Future[Any] = asyncio.gather(*pumps)
        # The ticker ends only when asked to stop, or when it fails.
        await asyncio.wait([waiter, done_pumps, ticker], return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
        failure = _failure_of(done_pumps) or _failure_of(ticker)
        if self.error is None:
            # An input that cannot be read at all (compressed standard input): say why.
            self.error = next(filter(None, (getattr(s, "fatal", None) for s in self.sources)), None)
        if failure is not None and self.error is None:
            # A bug, not bad input (that is counted, never raised): stop and say so, rather
            # than go on without snapshots or end as if the log had simply ended.
            self.error = _internal_error(failure)
        self._request_stop()
        for task in pumps:
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await done_pumps
        ticker.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await ticker
        self._history_done = True
        if failure is None:
            # What the stop handed over: batches read but not yet counted (standard input's
            # chunks too), and a settled unterminated last line, counted as `report` counts one
            # at a file's end (see Follower.stop).
            for source in self.sources:
                for batch in getattr(source, "left_over", ()):
                    if not self._feed(batch):
                        break
            self._publish(final=True)

    async def _pump(self, source: LineSource) -> None:
        async for batch in source.batches():
            if not self._feed(batch):
                return
            await asyncio.sleep(0)  # let the ticker and the stop request in between batches

    def _feed(self, batch: Any) -> bool:
        """Count one batch; False when the engine is to stop (no format reads the lines)."""
        if not batch.history:
            if not self._history_judged and not self._detect(final=False):
                return False  # the history's lines fit no format: stopping
            self._history_done = True
            self._live_seen = True
            self._note_live_time(batch.block)
        try:
            # Each source as its own format (a Caddy log beside nginx's); as one block: the
            # fast lane splits a plain block in one pass.
            fmt = self._formats.of_block(batch.source, batch.block, now=batch.history)
            with self.pipeline.reading_as(fmt) if fmt is not None else contextlib.nullcontext():
                self.pipeline.feed_block(batch.block, batch.source, batch.too_long)
        except FormatError as exc:
            self.error = str(exc)
            self._request_stop()
            return False
        return True

    def _note_live_time(self, block: bytes) -> None:
        """The time of a live batch's last line, for the clock skew (one line read a batch)."""
        if not block:
            return
        fmt = self.pipeline.format
        time_of = self._live_time_of
        if time_of is None:
            # Before the format is known (the first live lines decide it), by any known format:
            # the first snapshot on the clock must already have the skew.
            time_of = _dating(fmt)
            if fmt is not None:
                self._live_time_of = time_of
        when = time_of(block[block.rfind(b"\n") + 1 :])
        if when is not None and (self._newest_live is None or when > self._newest_live):
            self._newest_live = when

    async def _ticker(self) -> None:
        while not self._stop.is_set():
            # While worker processes read history, a snapshot every other tick is plenty (counts
            # grow in pieces) and leaves the interpreter lock to the dashboard's keys.
            reading_elsewhere = not self._history_done and self.parallel_pieces_pending
            await asyncio.sleep(self.options.tick * (2 if reading_elsewhere else 1))
            if self._all_history_read():
                self._history_done = True
            self._publish()

    def _detect(self, final: bool) -> bool:
        """Choose the format from the lines pending (False: the engine stops, on a log it
        cannot read). History is judged on what it holds. Lines written into a log that was
        empty at start wait for a fair sample (`LIVE_DETECT_LINES`, or what came within
        `LIVE_DETECT_WAIT`), and for more when that fits no format: a first line such as
        "-- server restarted --" must not stop the engine, nor one odd line choose the format."""
        pipeline = self.pipeline
        pending = pipeline.pending_lines()
        live = self._history_judged  # the history's lines (if any) were judged already
        self._history_judged = True
        if not pending:
            return True
        now = time.monotonic()
        if live and not final:
            if self._pending_since is None:
                self._pending_since = now
            if pending < LIVE_DETECT_LINES and now - self._pending_since < LIVE_DETECT_WAIT:
                return True
        try:
            pipeline.flush()
        except FormatError as exc:
            if live and not final and pending < DETECT_LINES:
                self._pending_since = now  # try again with more lines
                return True
            self.error = str(exc)
            self._request_stop()
            return False
        return True

    def _history_is_recent(self) -> bool:
        aggregator = self.pipeline.aggregator
        longest = max((seconds for _, seconds in aggregator.config.windows), default=0)
        wall = time.time()
        # Within the longest window of now, either way: a log whose clock runs hours ahead (a
        # wrong time zone) keeps its own time rather than showing empty windows.
        return aggregator.lines > 0 and wall - longest <= aggregator.now <= wall + longest

    def _all_history_read(self) -> bool:
        states = [s for src in self.sources for s in src.states()]
        return bool(states) and all(s.state not in ("reading", "starting") for s in states)

    def _publish(self, final: bool = False) -> None:
        pipeline = self.pipeline
        if pipeline.format is None and (self._history_done or final) and not self._detect(final):
            return
        now_mono = time.monotonic()
        lines = pipeline.aggregator.lines
        elapsed = max(now_mono - self._last_tick, 1e-6)
        self.ingest_rate = (lines - self._lines_at_last_tick) / elapsed
        self._lines_at_last_tick, self._last_tick = lines, now_mono
        # Windows follow the wall clock once lines arrive live, or once the history is read if
        # it was written within the longest window (a site that goes quiet right after start
        # must show it, and its alerts see it); a log nobody writes to any more follows its own
        # time, so it still shows its last hour instead of empty panels.
        # Once on the wall clock, always: a quiet spell longer than the longest window must not
        # send the clock back to the last line's time (windows full of old traffic again, a
        # "traffic stopped" alert resolved by lines of the past, hooks silenced).
        live = self.options.follow and (
            self._went_live or self._live_seen or (self._history_done and self._history_is_recent())
        )
        self._went_live = live
        if self._newest_live is not None:
            self.clock_skew = clock_skew(self.clock_skew, self._newest_live, time.time())
            self._newest_live = None
        states = [s for src in self.sources for s in src.states()]
        extra: dict[str, Any] = {
            "ingest_rate": round(self.ingest_rate, 1),
            "live": live,
            "history_done": self._history_done,
            "clock_skew": self.clock_skew,
        }
        if pipeline.detection is not None:
            extra["format_detected"] = pipeline.detection.describe()
        snap = pipeline.snapshot(
            time.time() + self.clock_skew if live else None,
            mark=self.mark,
            sources=states,
            extra=extra,
        )
        if self.options.enrich is not None:
            snap = self.options.enrich(snap)
        events: list[Any] = []
        alerts = self.options.alerts
        if alerts is not None and snap.parsed:
            # Once live, the rules look at every tick's snapshot, offenders and all: a replayed
            # look (counts only) would fire an alert with no top paths in its page.
            events = [] if self._alerts_live else self._replay_alerts(alerts, snap.now)
            self._alerts_live = live
            # While history is read, rules follow log time but hooks stay quiet: a backfill
            # must not page anyone for what happened hours ago.
            events += list(alerts.evaluate(snap, run_hooks=live))
            self._alerts_until = snap.now
        for exporter in self.options.exporters:
            exporter.update(snap, alerts)
        self.latest = snap
        if events and self.on_events is not None:
            self.on_events(events)
        if self.on_snapshot is not None:
            self.on_snapshot(snap)

    def _replay_alerts(self, alerts: Any, now: float) -> list[Any]:
        """Step the rules through the log time read since they last looked, hooks quiet. History
        goes by in minutes of log time a tick (in one merge, when worker processes read it):
        looked at once a tick, its incidents were never seen. As far back as the one-second
        counts are kept (twice the longest window), and on to the clock once live."""
        replay = getattr(alerts, "replay", None)
        aggregator = self.pipeline.aggregator
        oldest = aggregator.oldest_second()
        if replay is None or oldest is None:
            return []
        windows = alerts.windows
        step = alerts.replay_step
        start = oldest + max(windows.values())  # the first moment every window is whole
        if self._alerts_until is not None:
            start = max(start, self._alerts_until)
        # Up to the clock, past the last line: gone live after a quiet spell, the rules see the
        # spell (an incident of the history clears in log time, paging nobody). Past
        # `quiet_reach` after the last line every window is empty and every timer has run out.
        end = min(now, aggregator.now + alerts.quiet_reach)
        events: list[Any] = []
        at = (start // step + 1) * step
        while at < end:
            events += replay(aggregator.counts_at(at, windows))
            at += step
        return events

    # --- set-up --------------------------------------------------------------------------

    def _ensure_format(self) -> None:
        """Detect the format from the files' first lines before following (the since-search
        needs it to read timestamps). Stdin and syslog are detected from what arrives."""
        if self.pipeline.format is None:
            self.pipeline.detect(sample_lines(self.options.paths))

    def _can_split(self) -> bool:
        from logwatch.ingest.backfill import default_jobs

        opts = self.options
        jobs = opts.parallel_jobs or default_jobs()
        hashing = opts.client_transform is not None and opts.anonymize is None
        # Scoped alert rules count the records they see (observers); workers' records never
        # reach them, and an empty count reads as "page views dropped to zero".
        observed = bool(getattr(opts.alerts, "needs_records", False))
        return jobs > 1 and not hashing and not observed

    async def _read_history_in_parallel(
        self,
        path: str,
        start: int,
        end: int,
        progress: Callable[[int], None],
        ident: tuple[int, int] | None = None,
    ) -> tuple[int, int]:
        """Read [start, end) of `path` in worker processes, merging each piece as it lands.

        The engine's thread only waits and merges (on its own loop, so the aggregator is never
        touched by two threads); the dashboard's keys stay quick and the counts grow piece by
        piece. Pieces merge in file order, so if workers fail, the offset reached so far is
        exact and the follower reads the rest itself. Returns (offset reached, lines)."""
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        from logwatch.ingest.backfill import RangeJob, default_jobs, plan_ranges, read_range
        from logwatch.ingest.formats import known_formats
        from logwatch.ingest.since import counted_time, last_time

        fmt = self._formats.of(path, sample_lines([path]), now=True)  # the file's own
        if fmt is None:
            return start, 0
        jobs = self.options.parallel_jobs or default_jobs()
        # The newest time the history will count, not its last line's: a forged or skewed last
        # line sent every line of the history, and the live ones after it, past the windows.
        dated = counted_time([fmt, *known_formats()], self.pipeline.aggregator.future_limit())
        whole = RangeJob(
            path,
            start,
            end,
            path,
            fmt,
            self.pipeline.aggregator.config,
            self.pipeline.classifier.config,
            self.options.anonymize,
            history_end=last_time(path, dated),  # older lines skip the workers' rings
            ident=ident,  # the follower's file, even if a rotation gives its name to another
        )
        work = plan_ranges(whole, 4 * jobs)  # finer pieces: smoother progress, earlier counts
        loop = asyncio.get_running_loop()
        reached, counted = start, 0
        try:
            prepare_worker_processes()
            # "spawn": forking a process that runs threads is unsafe.
            context = multiprocessing.get_context("spawn")
            pool = ProcessPoolExecutor(jobs, mp_context=context)
            futures = [loop.run_in_executor(pool, read_range, job) for job in work]
            self.parallel_pieces_pending = len(work)
            try:
                for job, future in zip(work, futures, strict=True):
                    part = await future
                    # Live lines of other sources may be counted already: time decides. The
                    # part's lines are the file's format's (the workers' first format).
                    with self.pipeline.counting_as(fmt):
                        self.pipeline.aggregator.merge(part, later=False)
                    self.parallel_pieces += 1
                    self.parallel_pieces_pending -= 1
                    counted += part.lines
                    reached = job.end
                    progress(reached - start)
            finally:
                for future in futures:
                    future.cancel()
                # Not waiting: a stop (q) must not wait for pieces still being read.
                pool.shutdown(wait=False, cancel_futures=True)
                self.parallel_pieces_pending = 0
        except (OSError, ValueError, RuntimeError, BrokenProcessPool) as exc:
            self.worker_error = f"worker processes failed ({exc}); reading here instead"
        await self._warm_classifier(replace(whole, start=reached))
        return reached, counted

    async def _warm_classifier(self, job: RangeJob) -> None:
        """The workers' classifiers saw the history, this one did not: replay the end of what
        they read, so that a client caught probing in its last minutes is still known when it
        comes back. On this loop, where lines are classified (the classifier is never shared
        between threads), a batch at a time: other sources and a stop go on in between."""
        classifier = self.pipeline.classifier
        ends = job.history_end
        if job.start <= 0 or (
            ends is not None and ends < time.time() - classifier.config.behaviour_horizon
        ):
            return  # nothing read, or too old to mark anyone now
        from logwatch.ingest.backfill import check_ident, warm_steps

        with contextlib.suppress(OSError), open(job.path, "rb") as f:  # gone: counts stand
            check_ident(job, f.fileno())
            for _ in warm_steps(classifier, job, f, self.pipeline.client_transform):
                await asyncio.sleep(0)

    def _make_sources(self) -> list[LineSource]:
        from logwatch.ingest.tail import Follower

        opts = self.options
        out: list[LineSource] = []
        if opts.paths:
            fmt = self.pipeline.format
            since = None if opts.since is None else time.time() - opts.since
            out.append(
                Follower(
                    list(opts.paths),
                    since=since,
                    # Each file dated by its own format, whichever it is (a Caddy log beside
                    # nginx's must be searched by Caddy's times).
                    time_of=_dating(fmt) if fmt is not None else None,
                    from_start=opts.since is None,
                    follow=opts.follow,
                    force_polling=opts.force_polling,
                    poll_interval=opts.poll_interval,
                    max_line_bytes=sanitize.MAX_LINE_BYTES,
                    history_reader=self._read_history_in_parallel if self._can_split() else None,
                    parallel_min_bytes=opts.parallel_min_bytes,
                    stdin=opts.stdin,
                )
            )
        for url in opts.syslog:
            from logwatch.ingest.syslog import SyslogServer

            out.append(SyslogServer(url))
        if not out:
            raise ValueError("nothing to read: give a log path, - for stdin, or --syslog")
        return out


def prepare_worker_processes() -> None:
    """Start multiprocessing's resource tracker while standard error is the real one.

    Spawning workers starts the tracker on first use and hands it `sys.stderr.fileno()`; inside
    the dashboard, Textual has replaced `sys.stderr` with an object whose descriptor is not a
    real one, and the spawn fails ("bad value(s) in fds_to_keep"). Calling this first (the
    dashboard does, before it starts) makes later spawns independent of `sys.stderr`."""
    import sys
    from multiprocessing import resource_tracker

    saved = sys.stderr
    try:
        if sys.__stderr__ is not None:
            sys.stderr = sys.__stderr__
        resource_tracker.ensure_running()
    finally:
        sys.stderr = saved


# A log's clock off the wall clock by a wrong time zone is off by whole quarter hours, up to the
# 26 hours between UTC-12 and UTC+14; lines within 10 minutes of the clock are only late.
_SKEW_STEP = 900.0
_SKEW_SLACK = 600.0
_SKEW_MAX = 26 * 3600.0


def clock_skew(current: float, newest_line: float, wall: float) -> float:
    """The live clock's offset from the wall clock, given the newest line that just came in.

    A log written in the wrong time zone (local time labelled UTC, a container's clock) has
    every live line hours off the wall clock: on the wall clock its windows stayed empty for
    good. The offset is kept while lines come within `_SKEW_SLACK` of it, else taken again,
    rounded to a quarter hour; further than any time zone apart it is no zone: no offset."""
    off = newest_line - wall
    if abs(off - current) <= _SKEW_SLACK:
        return current
    if abs(off) > _SKEW_MAX + _SKEW_SLACK:
        return 0.0
    return round(off / _SKEW_STEP) * _SKEW_STEP


def _dating(fmt: LogFormat | None) -> Callable[[bytes], float | None]:
    """A line's time by the run's format (when known), else by the first known format that
    reads it."""
    from logwatch.ingest.formats import known_formats
    from logwatch.ingest.since import any_time_of

    own = () if fmt is None else (fmt.time_of,)
    return any_time_of(*own, *(other.time_of for other in known_formats()))


def _failure_of(task: asyncio.Future[Any]) -> BaseException | None:
    """The exception a finished task ended with (None: still running, cancelled, or fine)."""
    if not task.done() or task.cancelled():
        return None
    return task.exception()


def _internal_error(exc: BaseException) -> str:
    """One line for an unexpected exception: what, and where it was raised."""
    where = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
    at = f" at {os.path.basename(where[0].filename)}:{where[0].lineno}" if where else ""
    return f"internal error: {type(exc).__name__}: {exc}{at} (a bug: please report it)"
