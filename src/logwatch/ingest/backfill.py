"""Reading a big existing file with every core.

The file is cut into byte ranges; each range is parsed, classified and counted in its own process
(the first one in this process) and the partial aggregates merge. `reader.read_blocks` gives each
line to exactly one range.

What is the same as a single pass: whatever a line decides alone. Lines, parsed and malformed
lines (by reason), other formats, statuses and status codes, the time span, probe hits and their
rules (a rule judges the request itself), and the verdict of a request whose agent names a bot
(an HTTP library's or an empty agent's aside, below).

What can differ: the verdicts that hang on what a client did before, kept in the classifier's
behaviour table (a client that probed, collected 404s, went faster than a person, read pages
without assets or asked for /robots.txt first is a bot; curl from a client that probed is a
scanner). A worker starting in the middle of the file first replays the bytes just before its
range through the classifier only (`WARM_BYTES`, 4 MB: tens of thousands of lines), so a client
flagged near the cut stays flagged. But the table remembers a client for `behaviour_horizon` (10
minutes of log time, up to 20,000 clients), and 4 MB holds less than that of a log that grows
faster than about 7,000 bytes (30 requests) a second: what a client did before the warm-up is not
seen, its counters start afresh at the cut, and some of its requests are judged otherwise (human
for bot, mostly, or one bot category for another). The class counts then move, with all that is
split by class (class_status, bots by category, top bots, human paths, referrers, campaigns, the
clients' class splits). On 212,576 real lines (ployt0, elastic and hackers; 47 MB over 71 minutes
of log, so the warm-up held about 6 of them), `--jobs 1` and `--jobs 2` (one cut) counted 134,510
and 134,449 bots: 61 requests (0.05 %) moved from bot to human, and every figure said above to be
the same (lines, statuses, 72,296 probes) was. Past a bounded table's size, the tails of
the top lists may differ too (within the error bound they report). Making the warm-up cover the
horizon would not make it exact either: the table's state at a cut can hang on any earlier line.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import pickle
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, replace

from logwatch import sanitize
from logwatch.classify import Classifier, ClassifyConfig
from logwatch.ingest.clients import normal_client
from logwatch.ingest.formats import LogFormat
from logwatch.ingest.reader import read_batches, read_blocks
from logwatch.model import Record
from logwatch.stats.aggregator import Aggregator, StatsConfig

# Below this size one process is faster than starting workers and merging.
PARALLEL_MIN_BYTES = 16 * 1024 * 1024
WARM_BYTES = 4 * 1024 * 1024
# Bytes per request assumed when choosing the pieces that keep recent requests: generous (real
# lines are 150-300 bytes), so the ring comes back full.
RING_LINE_BYTES = 1024


@dataclass(frozen=True, slots=True)
class RangeJob:
    path: str
    start: int
    end: int
    source: str
    format: LogFormat
    stats: StatsConfig
    classify: ClassifyConfig
    anonymize: tuple[int, int] | None = None  # mask prefixes; hashing is not split across processes
    history_end: float | None = None  # the newest time of the history read (expect_until)
    ident: tuple[int, int] | None = None  # (st_dev, st_ino) of the file meant, when it matters
    # The behaviour table to start from (files read before), pickled: a snapshot taken when the
    # job is made, as the caller's table goes on changing while the job waits to be sent.
    clients: bytes | None = None


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def should_split(path: str, jobs: int, start: int = 0) -> bool:
    """Whether the bytes of `path` from `start` on are worth reading with `jobs` processes."""
    from logwatch.ingest.reader import is_seekable_plain

    return (
        jobs > 1 and is_seekable_plain(path) and os.path.getsize(path) - start >= PARALLEL_MIN_BYTES
    )


def plan_ranges(whole: RangeJob, pieces: int) -> list[RangeJob]:
    """Cut the byte range of `whole` into `pieces` jobs (the reader aligns them to lines).

    Only the last pieces keep a ring of recent requests, each as much as the merge may keep of
    it: the rest would be dropped by the merge anyway, and results cross between processes as
    pickles, whose loading holds the interpreter lock (the dashboard's keys wait on it)."""
    pieces = max(1, min(pieces, whole.end - whole.start))
    span = whole.end - whole.start
    edges = [whole.start + i * span // pieces for i in range(pieces)] + [whole.end]
    jobs = [replace(whole, start=a, end=b) for a, b in itertools.pairwise(edges) if b > a]
    # A piece that ends d bytes before the file's end has at least d / RING_LINE_BYTES requests
    # after it: the ring needs only the rest of them from it.
    recent = whole.stats.recent
    return [
        replace(job, stats=replace(whole.stats, recent=max(0, recent - after // RING_LINE_BYTES)))
        for job, after in ((job, whole.end - job.end) for job in jobs)
    ]


def read_range(
    job: RangeJob,
    classifier: Classifier | None = None,
    client_transform: Callable[[str, float], str] | None = None,
    scrub: Callable[[str], str] | None = None,
) -> Aggregator:
    """Parse, classify and count the lines that begin in [job.start, job.end) (with the given
    classifier, in this process, to keep its behaviour table; else a new one). In this process
    the caller's `client_transform` and `scrub` (a keyed hash, which `job.anonymize` cannot
    carry) are used when given."""
    from logwatch.pipeline import Pipeline

    transform = client_transform
    if transform is None and job.anonymize is not None:
        from logwatch.privacy import Anonymizer

        anonymizer = Anonymizer("mask", v4_prefix=job.anonymize[0], v6_prefix=job.anonymize[1])
        transform, scrub = anonymizer.apply, anonymizer.scrub  # scrub: malformed lines
    classifier = classifier or Classifier(job.classify)
    if job.clients is not None:
        classifier.adopt_clients(pickle.loads(job.clients))
    pipeline = Pipeline(
        job.format, classifier=classifier, stats=job.stats, client_transform=transform, scrub=scrub
    )
    if job.history_end is not None:
        pipeline.aggregator.expect_until(job.history_end)
    with open(job.path, "rb") as f:
        check_ident(job, f.fileno())
        if job.start > 0:
            _warm(classifier, job, f, transform)
        for block in read_blocks(f, start=job.start, end=job.end):
            pipeline.feed_block(block.data, job.source, block.too_long)
    return pipeline.aggregator


def check_ident(job: RangeJob, fd: int) -> None:
    """Refuse to read another file than the one meant: a followed log rotated while its history
    was read has a new file under its name (its lines would count instead of the old ones)."""
    if job.ident is None:
        return
    st = os.fstat(fd)
    if (st.st_dev, st.st_ino) != job.ident:
        raise FileNotFoundError(f"{job.path} was replaced while its history was read")


def _warm(
    classifier: Classifier, job: RangeJob, f: object, transform: Callable[[str, float], str] | None
) -> None:
    """Replay the bytes before the range through the classifier only (nothing is counted)."""
    for _ in warm_steps(classifier, job, f, transform):
        pass


def warm_steps(
    classifier: Classifier, job: RangeJob, f: object, transform: Callable[[str, float], str] | None
) -> Iterator[None]:
    """`_warm` a batch at a time (a caller on an event loop yields between them)."""
    warm_start = max(0, job.start - WARM_BYTES)
    for batch in read_batches(f, start=warm_start, end=job.start):  # type: ignore[arg-type]
        warm_lines(classifier, job.format, batch.lines, transform)
        yield


def warm_lines(
    classifier: Classifier,
    fmt: LogFormat,
    lines: Iterable[bytes],
    transform: Callable[[str, float], str] | None,
) -> None:
    """Classify `lines` (nothing is counted): the behaviour table learns their clients."""
    parse, agents_logged = fmt.parse, fmt.has_agent
    for line in sanitize.decode_lines(list(lines)):
        rec = parse(line) if line else None
        if isinstance(rec, Record):
            if transform is not None:
                rec.client = transform(rec.client, rec.ts)
            else:
                rec.client = normal_client(rec.client)
            # As `fmt` logs agents, leaving the caller's setting as it was (a file's own format
            # may not be the run's).
            classifier.classify_logged(rec, agents_logged)


def read_parallel(
    path: str,
    fmt: LogFormat,
    *,
    jobs: int,
    stats: StatsConfig,
    classify: ClassifyConfig,
    anonymize: tuple[int, int] | None = None,
    source: str | None = None,
    start: int = 0,
    end: int | None = None,
    pieces: int | None = None,
    in_process: bool = True,
    progress: Callable[[int], None] | None = None,
    start_method: str = "fork",
    history_end: float | None = None,
    into: Aggregator | None = None,
    classifier: Classifier | None = None,
    ident: tuple[int, int] | None = None,
    client_transform: Callable[[str, float], str] | None = None,
    scrub: Callable[[str], str] | None = None,
) -> Aggregator:
    """The aggregate of the lines that begin in [start, end) of a plain file, read by `jobs`
    processes over `pieces` byte ranges (default: one per job).

    `in_process` lets this process read the first range itself (right for `logwatch report`);
    the dashboard's engine passes False so its thread stays free, and "spawn" because forking a
    process that runs threads is unsafe. `progress(bytes_done)` is called as ranges finish.
    `into`: merge the parts into this aggregator (and return it) rather than a new one, so the
    caller's counts, the parts and a total are not all in memory at once; `classifier`: the one
    the in-process piece uses (the caller's, already built); `ident`: the (device, inode) of
    the file meant: a piece that finds another file under the name raises FileNotFoundError.
    `client_transform` and `scrub`: the caller's privacy transform, for what this process reads
    (a keyed hash without `anonymize`: then this process reads it all, as no worker has the key)."""
    if client_transform is not None and anonymize is None:
        jobs, pieces, in_process = 1, 1, True
    if end is None:
        end = os.path.getsize(path)
    template = RangeJob(
        path,
        start,
        end,
        source if source is not None else path,
        fmt,
        stats,
        classify,
        anonymize,
        history_end,
        ident,
    )
    work = plan_ranges(template, pieces or jobs)
    if not work:  # an empty range
        return into if into is not None else Aggregator(stats)
    if len(work) == 1 and in_process:
        part = read_range(replace(work[0], stats=stats), classifier, client_transform, scrub)
        if into is None:
            return part
        into.merge(part)
        return into
    context = multiprocessing.get_context(start_method)
    workers = max(1, min(len(work) - (1 if in_process else 0), jobs))
    done = 0
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        # This process reads the last piece, with the caller's classifier: the classifier goes
        # on (a next file, say) knowing the clients of the file's end, not of its first piece.
        queued = work[:-1] if in_process else work
        if classifier is not None and len(classifier.clients):
            # One pass reads this file after the caller's earlier ones: the first piece's worker
            # starts from their clients. (Pickled once here: a deep copy of 20,000 clients took
            # 0.32 s, the pickle 0.02 s.)
            queued[0] = replace(queued[0], clients=pickle.dumps(classifier.clients))
        futures = [pool.submit(read_range, job) for job in queued]
        # The total keeps the caller's full configuration (pieces but the last keep no recent
        # requests), so merge even the in-process piece into a fresh aggregator.
        total = into if into is not None else Aggregator(stats)
        if history_end is not None:
            total.expect_until(history_end)
        last = read_range(work[-1], classifier, client_transform, scrub) if in_process else None
        parts = zip(queued, map(Future.result, futures), strict=True)
        for job, part in itertools.chain(parts, [(work[-1], last)] if last is not None else []):
            total.merge(part)  # in file order
            done += job.end - job.start
            if progress is not None:
                progress(done)
    return total
