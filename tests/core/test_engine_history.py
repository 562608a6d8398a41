"""The live engine reads big history in worker processes and then follows, counting every line
exactly once."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from logwatch.engine import EngineOptions, LiveEngine
from logwatch.stats.aggregator import Aggregator, StatsConfig
from logwatch.stats.snapshot import Snapshot


def clf(i: int, ts: float) -> str:
    stamp = time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(ts))
    return (
        f'198.51.100.{i % 250} - - [{stamp}] "GET /p{i % 50} HTTP/1.1" '
        f'{404 if i % 10 == 0 else 200} 10 "-" "Mozilla/5.0 (X11; Linux) Firefox/120.0"\n'
    )


async def test_big_history_goes_to_workers_then_following_goes_on(tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    now = time.time()
    log.write_text("".join(clf(i, now - 600 + i / 100) for i in range(20_000)))
    with log.open("a") as f:  # a prober at the very end of the history
        stamp = time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now - 400))
        f.write(f'203.0.113.9 - - [{stamp}] "GET /.env HTTP/1.1" 404 1 "-" "x"\n')
    seen: list[int] = []
    options = EngineOptions(
        paths=[str(log)],
        since=None,
        parallel_jobs=2,
        parallel_min_bytes=100_000,
        tick=0.2,
        force_polling=True,
        poll_interval=0.05,
    )
    engine = LiveEngine(options, on_snapshot=lambda s: seen.append(s.lines))
    merged: list[int] = []
    aggregator = engine.pipeline.aggregator
    merge = aggregator.merge

    def merge_piece(part: Aggregator, **how: bool) -> None:
        merged.append(part.lines)
        merge(part, **how)

    aggregator.merge = merge_piece  # type: ignore[method-assign]
    task = asyncio.create_task(engine.run())
    await _counted(engine, 20_000)
    with log.open("a") as f:
        f.write("".join(clf(i, time.time()) for i in range(500)))
    for _ in range(200):
        await asyncio.sleep(0.1)
        if engine.latest is not None and engine.latest.lines >= 20_500:
            break
    engine.stop()
    await asyncio.wait_for(task, 30)
    snap = engine.latest
    assert snap is not None and engine.error is None
    assert snap.lines == snap.parsed == 20_501
    assert snap.totals.status["4xx"] == 2_051
    assert engine.parallel_pieces == 8  # 4 pieces per worker
    # The history arrived in pieces, each merged as it landed (snapshots in between may or may
    # not catch a partial count: on a fast machine all pieces can land within one tick).
    assert len(merged) == 8 and all(0 < n < 20_001 for n in merged) and sum(merged) == 20_001
    assert seen and seen[-1] == 20_501
    # The request stream comes back full (the last piece alone holds 2,500), and the engine's
    # own classifier knows the history's last prober, though workers read it.
    assert len(snap.recent) == engine.pipeline.aggregator.config.recent == 20_000
    assert engine.pipeline.classifier.clients.flagged("203.0.113.9", now) is not None


def _split_history(tmp_path: Path, **options: Any) -> EngineOptions:
    """Options for 5,000 lines of history from the last ten minutes, read by two workers."""
    log = tmp_path / "access.log"
    now = time.time()
    log.write_text("".join(clf(i, now - 600 + i / 100) for i in range(5_000)))
    return EngineOptions(
        paths=[str(log)],
        since=None,
        parallel_jobs=2,
        parallel_min_bytes=50_000,
        tick=0.2,
        **options,
    )


async def test_a_scoped_alert_rule_sees_the_history_it_is_scoped_to(tmp_path: Path) -> None:
    """A scoped rule counts the records the pipeline hands it; history read by worker
    processes never passed through it, so its window stayed empty and a `below` rule fired
    on traffic that was there all along (and paged once live)."""
    from logwatch.alerts import AlertEngine, AlertRule

    rule = AlertRule("p1 drop", "requests_per_s", "1h", below=0.1, path_prefix="/p1")
    alerts = AlertEngine([rule])
    engine = LiveEngine(_split_history(tmp_path, alerts=alerts))
    task = asyncio.create_task(engine.run())
    snap = await _stopped_when(engine, task, lambda s: s.lines == 5_000 and engine.history_done)
    assert snap.lines == 5_000
    status = alerts.status()[0]
    assert status.requests == 1_100  # /p1 and /p10 to /p19: 11 paths of 50
    assert alerts.history() == []


async def test_failing_workers_leave_the_rest_to_the_follower(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Workers that cannot start (as inside a terminal UI whose stderr is not a real file):
    the follower reads the history itself, every line once."""
    from logwatch.ingest import backfill

    def broken(job: backfill.RangeJob) -> None:
        raise ValueError("bad value(s) in fds_to_keep")

    monkeypatch.setattr("logwatch.engine.prepare_worker_processes", lambda: broken(None))  # type: ignore[arg-type]
    engine = LiveEngine(_split_history(tmp_path, follow=False))
    await asyncio.wait_for(engine.run(), 60)
    assert engine.error is None and engine.worker_error is not None
    assert engine.latest is not None and engine.latest.lines == engine.latest.parsed == 5_000


async def test_a_rotation_while_workers_read_the_history_loses_and_repeats_nothing(
    tmp_path: Path,
) -> None:
    """The workers open the log by name: rotated before they do, the name is another file's.
    They must not read that one (its lines would count twice, the history's not at all)."""
    options = _split_history(tmp_path, force_polling=True, poll_interval=0.05)
    log = Path(options.paths[0])
    engine = LiveEngine(options)
    read_in_parallel = engine._read_history_in_parallel

    async def rotate_first(*args: Any) -> tuple[int, int]:
        log.rename(tmp_path / "access.log.1")
        log.write_text("".join(clf(i, time.time()) for i in range(100)))
        return await read_in_parallel(*args)

    engine._read_history_in_parallel = rotate_first  # type: ignore[method-assign]
    task = asyncio.create_task(engine.run())
    await _counted(engine, 5_100)
    await asyncio.sleep(0.5)  # time for a wrong count to show
    engine.stop()
    await asyncio.wait_for(task, 30)
    assert engine.error is None
    assert engine.latest is not None and engine.latest.lines == engine.latest.parsed == 5_100


async def test_a_log_nobody_writes_to_shows_its_last_hour_until_live_lines_come(
    tmp_path: Path,
) -> None:
    log = tmp_path / "old.log"
    long_ago = time.time() - 30 * 86400
    log.write_text("".join(clf(i, long_ago + i) for i in range(300)))
    options = EngineOptions(
        paths=[str(log)], since=None, tick=0.1, force_polling=True, poll_interval=0.05
    )
    engine = LiveEngine(options)
    task = asyncio.create_task(engine.run())
    for _ in range(100):
        await asyncio.sleep(0.1)
        if engine.latest is not None and engine.latest.lines == 300 and engine.history_done:
            break
    await asyncio.sleep(0.3)
    snap = engine.latest
    assert snap is not None and snap.extra["live"] is False
    assert snap.windows["5m"].requests == 300  # log time: the last five minutes of the log
    with log.open("a") as f:
        f.write(clf(1, time.time()))
    for _ in range(100):
        await asyncio.sleep(0.1)
        if engine.latest is not None and engine.latest.lines == 301:
            break
    await asyncio.sleep(0.3)
    engine.stop()
    await asyncio.wait_for(task, 30)
    snap = engine.latest
    assert snap is not None and snap.extra["live"] is True
    assert snap.windows["1m"].requests == 1  # now the wall clock: only the new line is recent


async def test_the_history_replay_yields_to_the_loop_and_skips_old_history(
    tmp_path: Path,
) -> None:
    """After workers read the history, the engine replays its end through its own classifier:
    a batch at a time (other sources and a stop must not wait for 4 MB of it), and not at all
    when the history ended longer ago than any mark lasts."""
    from logwatch.classify import ClassifyConfig
    from logwatch.ingest.backfill import RangeJob
    from logwatch.ingest.formats import get_format
    from logwatch.stats.aggregator import StatsConfig

    log = tmp_path / "access.log"
    now = time.time()
    with log.open("w") as f:
        f.write("".join(clf(i, now - 300 + i / 100) for i in range(15_000)))  # ~1.8 MB
        stamp = time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now - 60))
        f.write(f'203.0.113.9 - - [{stamp}] "GET /.env HTTP/1.1" 404 1 "-" "x"\n')
    size = log.stat().st_size

    def job(history_end: float) -> RangeJob:
        fmt, stats = get_format("combined"), StatsConfig()
        return RangeJob(
            str(log), size, size, str(log), fmt, stats, ClassifyConfig(), None, history_end
        )

    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    engine = LiveEngine(EngineOptions(paths=[str(log)]))
    task = asyncio.create_task(ticker())
    await engine._warm_classifier(job(now - 60))
    task.cancel()
    assert engine.pipeline.classifier.clients.flagged("203.0.113.9", now) is not None
    assert ticks >= size // (256 * 1024)  # the loop ran between the batches
    stale = LiveEngine(EngineOptions(paths=[str(log)]))
    await stale._warm_classifier(job(now - 3600))
    assert len(stale.pipeline.classifier.clients) == 0


def _following(log: Path, tick: float = 0.05) -> tuple[LiveEngine, asyncio.Task[None]]:
    options = EngineOptions(
        paths=[str(log)], since=None, tick=tick, force_polling=True, poll_interval=0.02
    )
    engine = LiveEngine(options)
    return engine, asyncio.create_task(engine.run())


async def _counted(engine: LiveEngine, lines: int) -> None:
    """Wait (up to 60 s) until the latest snapshot has counted `lines` lines."""
    for _ in range(600):
        await asyncio.sleep(0.1)
        if engine.latest is not None and engine.latest.lines >= lines:
            return


async def _stopped_when(
    engine: LiveEngine, task: asyncio.Task[None], done: Callable[[Snapshot], bool]
) -> Snapshot:
    """Wait (up to 10 s) until the latest snapshot satisfies `done`, stop, and return the last."""
    for _ in range(200):
        await asyncio.sleep(0.05)
        if engine.latest is not None and done(engine.latest):
            break
    await asyncio.sleep(0.2)
    engine.stop()
    await asyncio.wait_for(task, 30)
    assert engine.error is None and engine.latest is not None
    return engine.latest


@pytest.mark.parametrize(
    ("tick", "first_line_after", "pending_for"),
    [
        (0.05, 0.3, 0.5),  # ticks pass with one odd line pending
        (1.0, 0.1, 1.5),  # the line comes before the first tick
    ],
)
async def test_a_log_empty_at_start_waits_for_a_fair_sample_before_choosing_a_format(
    tmp_path: Path, tick: float, first_line_after: float, pending_for: float
) -> None:
    """A log that is empty when the engine starts (a fresh rotation): its first line written
    may be no request at all. The engine used to choose the format from whatever one line was
    pending at its next tick, and stopped for good when that line fit no format. The line may
    come before the engine's first tick: it must wait for a fair sample like any live line,
    not be judged alone as history."""
    log = tmp_path / "access.log"
    log.write_text("")
    engine, task = _following(log, tick)
    await asyncio.sleep(first_line_after)
    with log.open("a") as f:
        f.write("-- server restarted --\n")
    await asyncio.sleep(pending_for)
    assert engine.error is None
    with log.open("a") as f:
        f.write("".join(clf(i, time.time() - 5) for i in range(100)))
    snap = await _stopped_when(engine, task, lambda s: s.lines >= 101)
    assert (snap.format, snap.lines, snap.parsed, snap.malformed) == ("combined", 101, 100, 1)


async def test_a_recent_log_that_goes_quiet_is_shown_on_the_wall_clock(tmp_path: Path) -> None:
    """A log written until moments before the start follows the wall clock once read, though
    no new line comes: a site that goes quiet right after logwatch starts must show it (and
    its alerts must see it). Only a log nobody wrote to within the longest window keeps its
    own time."""
    log = tmp_path / "access.log"
    now = time.time()
    log.write_text("".join(clf(i, now - 150 + i) for i in range(120)))  # until 30 s ago
    engine, task = _following(log)
    snap = await _stopped_when(engine, task, lambda s: s.lines == 120 and engine.history_done)
    assert snap.extra["live"] is True
    assert abs(snap.now - time.time()) < 5
    assert 25 <= snap.windows["1m"].requests <= 31  # the lines of 60 to 30 s ago


async def test_a_log_whose_clock_runs_ahead_keeps_its_own_time(tmp_path: Path) -> None:
    """A log dated two hours ahead (a wrong time zone) must not show empty windows on the
    wall clock once read: it keeps its own time, as an old log does."""
    log = tmp_path / "access.log"
    ahead = time.time() + 2 * 3600
    log.write_text("".join(clf(i, ahead - 100 + i) for i in range(100)))
    engine, task = _following(log)
    snap = await _stopped_when(engine, task, lambda s: s.lines == 100 and engine.history_done)
    assert snap.extra["live"] is False
    assert snap.windows["5m"].requests == 100


async def test_a_recent_log_stays_on_the_wall_clock_after_a_quiet_longest_window(
    tmp_path: Path,
) -> None:
    """Once the windows follow the wall clock they keep doing so: when the log stays quiet for
    longer than the longest window, the clock must not go back to the last line's time (the
    windows would fill with old traffic again, and a "traffic stopped" alert would resolve)."""
    log = tmp_path / "access.log"
    now = time.time()
    log.write_text("".join(clf(i, now - 1.5 + i / 100) for i in range(100)))  # until 0.5 s ago
    options = EngineOptions(
        paths=[str(log)],
        since=None,
        tick=0.05,
        force_polling=True,
        poll_interval=0.02,
        stats=StatsConfig(windows=(("2s", 2),)),
    )
    engine = LiveEngine(options)
    task = asyncio.create_task(engine.run())
    seen: list[tuple[bool, int]] = []
    for _ in range(100):
        await asyncio.sleep(0.05)
        snap = engine.latest
        if snap is not None and engine.history_done:
            seen.append((snap.extra["live"], snap.windows["2s"].requests))
        if time.time() > now + 4:
            break
    engine.stop()
    await asyncio.wait_for(task, 30)
    assert seen and seen[0][0] is True
    assert all(live for live, _ in seen), seen
    assert seen[-1][1] == 0  # the site went quiet, and the window shows it


@pytest.mark.parametrize("where", ["pump", "ticker"])
async def test_a_bug_stops_the_engine_with_an_error_not_silently(
    tmp_path: Path, where: str
) -> None:
    """An exception that is no bad input (a bug) used to end a pump as if its log had ended
    (exit 0), or kill the ticker so that no snapshot came again while the process ran on."""
    log = tmp_path / "access.log"
    log.write_text("".join(clf(i, time.time()) for i in range(50)))
    options = EngineOptions(paths=[str(log)], tick=0.1, force_polling=True, poll_interval=0.05)
    engine = LiveEngine(options)

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("boom")

    if where == "pump":
        engine.pipeline.feed_block = broken  # type: ignore[method-assign]
    else:
        engine._publish = broken  # type: ignore[method-assign]
    await asyncio.wait_for(engine.run(), 10)  # ends by itself
    assert engine.error is not None
    assert engine.error.startswith("internal error: RuntimeError: boom at test_engine_history.py:")


def _incident_log(tmp_path: Path) -> tuple[Path, float]:
    """An old log (two days ago: not live) of 40 minutes, 2 requests a second, whose minutes
    10 to 12 answer every third request with a 503. Returns the log and the incident's start."""
    start = time.time() - 2 * 86400
    incident = start + 600
    lines = []
    for i in range(40 * 60 * 2):
        ts = start + i / 2
        status = 503 if incident <= ts < incident + 180 and i % 3 == 0 else 200
        stamp = time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(ts))
        lines.append(
            f'198.51.100.{i % 200} - - [{stamp}] "GET /p{i % 40} HTTP/1.1" {status} 10 "-" '
            '"Mozilla/5.0 (X11; Linux) Firefox/120.0"\n'
        )
    log = tmp_path / "access.log"
    log.write_text("".join(lines))
    return log, incident


@pytest.mark.parametrize("jobs", [1, 2])
async def test_an_incident_inside_the_history_read_at_start_raises_its_alert(
    tmp_path: Path, jobs: int
) -> None:
    """Rules looked once a tick, at the newest line read: history goes by in minutes of log
    time a tick (in one merge when worker processes read it), so a 5xx spike half an hour
    before the log's end was never seen, though the alerts screen promised it."""
    from logwatch.alerts import AlertEngine
    from logwatch.alerts.rules import DEFAULT_RULES

    log, incident = _incident_log(tmp_path)
    alerts = AlertEngine(DEFAULT_RULES, run_hooks=False)
    options = EngineOptions(
        paths=[str(log)], since=None, follow=False, parallel_jobs=jobs, tick=0.2, alerts=alerts
    )
    if jobs > 1:
        options.parallel_min_bytes = 50_000
    engine = LiveEngine(options)
    await asyncio.wait_for(engine.run(), 60)
    assert engine.error is None and engine.latest is not None
    assert engine.latest.lines == 4_800
    events = [(e.rule, e.state, e.at) for e in alerts.history()]
    assert [(rule, state) for rule, state, _ in events] == [
        ("5xx spike", "firing"),
        ("5xx spike", "resolved"),
    ], events
    fired, resolved = events[0][2], events[1][2]
    assert incident < fired <= incident + 60  # a third of the minute's requests are 503s
    assert incident + 180 < resolved <= incident + 180 + 300


@pytest.mark.parametrize(
    "last",
    [
        '192.0.2.200 - - [10/Oct/2099:08:00:00 +0000] "GET /future HTTP/1.1" 200 5 "-" "curl/8"',
        "junk [{}] that is no request",
    ],
)
async def test_a_forged_last_line_does_not_send_the_history_past_the_windows(
    tmp_path: Path, last: str
) -> None:
    """Workers skip the rings for lines older than every window before the history's end. That
    end was read from the last line, unchecked: dated 2099 (or junk with a date ahead), every
    line of the history went to the totals, and so did every live line after it."""
    options = _split_history(tmp_path, force_polling=True, poll_interval=0.05)
    log = Path(options.paths[0])
    ahead = time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(time.time() + 86400))
    with log.open("a") as f:
        f.write(last.format(ahead) + "\n")
    engine = LiveEngine(options)
    task = asyncio.create_task(engine.run())
    await _counted(engine, 5_001)
    with log.open("a") as f:
        f.write("".join(clf(i, time.time()) for i in range(10)))
    snap = await _stopped_when(engine, task, lambda s: s.lines == 5_011 and engine.history_done)
    assert engine.parallel_pieces > 0
    assert snap.extra["live"] is True
    assert snap.windows["15m"].requests == 5_010


def test_the_clock_skew_is_a_whole_quarter_hour_kept_while_lines_stay_near_it() -> None:
    from logwatch.engine import clock_skew

    wall = 1_800_000_000.0
    assert clock_skew(0.0, wall - 30, wall) == 0.0  # late lines, not a zone
    assert clock_skew(0.0, wall + 7_200 + 4, wall) == 7_200.0  # local time labelled UTC
    assert clock_skew(0.0, wall - 19_800 - 2, wall) == -19_800.0  # +0530 written as +0000
    assert clock_skew(7_200.0, wall + 7_200 - 300, wall) == 7_200.0  # kept: 5 min late
    assert clock_skew(7_200.0, wall + 3, wall) == 0.0  # the zone was put right
    assert clock_skew(0.0, wall - 3 * 86_400, wall) == 0.0  # days off: no time zone


@pytest.mark.parametrize("hours", [2, -2])
async def test_a_live_log_in_the_wrong_time_zone_keeps_its_windows(
    tmp_path: Path, hours: int
) -> None:
    """Live lines stamped hours off the wall clock (local time labelled UTC) fell outside every
    window on the wall clock: the dashboard stayed empty and the alert rules saw nothing."""
    log = tmp_path / "access.log"
    log.write_text("")
    options = EngineOptions(
        paths=[str(log)], since=None, tick=0.1, force_polling=True, poll_interval=0.05
    )
    engine = LiveEngine(options)
    task = asyncio.create_task(engine.run())
    await asyncio.sleep(0.3)
    for _ in range(3):
        with log.open("a") as f:
            f.write("".join(clf(i, time.time() + hours * 3600) for i in range(50)))
        await asyncio.sleep(0.3)
    snap = await _stopped_when(engine, task, lambda s: s.lines == 150)
    assert snap.extra["live"] is True
    assert snap.extra["clock_skew"] == hours * 3600
    assert snap.windows["1m"].requests == 150


async def test_an_incident_at_the_end_of_a_recent_history_clears_in_log_time(
    tmp_path: Path,
) -> None:
    """A history that ended minutes before start, in a 5xx spike: gone live, the rules first
    looked at the wall clock, so the alert stayed firing (and exported so) until a resolve
    stamped with the wall clock; the replay now steps through the quiet spell in log time."""
    from logwatch.alerts import AlertEngine
    from logwatch.alerts.rules import DEFAULT_RULES

    end = time.time() - 540  # the last line nine minutes ago
    lines = []
    for i in range(1_200):  # ten minutes, 2 a second, the last two answered 503 one in two
        ts = end - 600 + i / 2
        stamp = time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(ts))
        status = 503 if ts > end - 120 and i % 2 else 200
        lines.append(
            f'198.51.100.{i % 200} - - [{stamp}] "GET /p HTTP/1.1" {status} 10 "-" '
            '"Mozilla/5.0 (X11; Linux) Firefox/120.0"\n'
        )
    log = tmp_path / "access.log"
    log.write_text("".join(lines))
    alerts = AlertEngine(DEFAULT_RULES, run_hooks=False)
    options = EngineOptions(
        paths=[str(log)], since=None, tick=0.1, force_polling=True, poll_interval=0.05
    )
    options.alerts = alerts
    engine = LiveEngine(options)
    task = asyncio.create_task(engine.run())
    snap = await _stopped_when(engine, task, lambda s: s.lines == 1_200 and s.extra["live"])
    assert snap.extra["live"] is True
    events = [(e.state, e.at) for e in alerts.history()]
    assert [state for state, _ in events] == ["firing", "resolved"], events
    assert end - 120 < events[0][1] < end
    assert end < events[1][1] < end + 180  # in log time, minutes before start
    assert alerts.active() == []


async def test_a_history_line_dated_days_ahead_does_not_hold_the_windows(tmp_path: Path) -> None:
    """A skewed or forged line in the history, dated three days ahead, moved the log's clock:
    the windows stayed on its time, and every live line after it went to the totals only."""
    log = tmp_path / "access.log"
    now = time.time()
    ahead = time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now + 3 * 86400))
    log.write_text(
        "".join(clf(i, now - 60 + i / 10) for i in range(100))
        + f'192.0.2.200 - - [{ahead}] "GET /ahead HTTP/1.1" 200 5 "-" "curl/8"\n'
    )
    options = EngineOptions(
        paths=[str(log)], since=None, tick=0.1, force_polling=True, poll_interval=0.05
    )
    engine = LiveEngine(options)
    task = asyncio.create_task(engine.run())
    await _counted(engine, 101)
    with log.open("a") as f:
        f.write("".join(clf(i, time.time()) for i in range(10)))
    snap = await _stopped_when(engine, task, lambda s: s.lines == 111)
    assert snap.extra["live"] is True
    assert snap.windows["5m"].requests == 110  # the history's 100 and the 10 live ones
    assert snap.totals.requests == 111
