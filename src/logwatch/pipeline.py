"""The one loop every mode shares: lines → parse → classify → aggregate.

`Pipeline.feed` takes raw byte lines from any source (files, stdin, syslog, a byte range read by a
worker process) and never raises for bad input: a line that is not a request is counted as
malformed with its reason, and the run goes on.
"""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from itertools import islice
from typing import Any

from logwatch import sanitize
from logwatch.classify import Classifier
from logwatch.fastlane import FastLane
from logwatch.ingest.clients import normal_client
from logwatch.ingest.formats import (
    FORMAT_NAMES,
    Detection,
    FormatError,
    LogFormat,
    OtherFormats,
    detect_format,
    get_format,
    no_format_message,
    same_parser,
)
from logwatch.ingest.reader import head_lines, split_block
from logwatch.kept import is_long, keep_short
from logwatch.model import Record, SourceState, Verdict
from logwatch.stats.aggregator import Aggregator, StatsConfig
from logwatch.stats.snapshot import Snapshot

Observer = Callable[[Record, Verdict], None]
# A tailer's batches of fewer lines go the general way: the fast lane's cost per batch (its
# column passes) outweighs what it saves per line below about 40 lines (measured feeding 60k
# lines in batches of 5 to 2,000).
_TINY_BATCH = 32
DETECT_LINES = 64
LINE_TOO_LONG = "line too long"


class Pipeline:
    def __init__(
        self,
        fmt: LogFormat | None = None,
        *,
        classifier: Classifier | None = None,
        stats: StatsConfig | None = None,
        aggregator: Aggregator | None = None,
        client_transform: Callable[[str, float], str] | None = None,
        scrub: Callable[[str], str] | None = None,
        observers: Iterable[Observer] = (),
        fast_lane: bool = True,
    ) -> None:
        self.format = fmt
        self.detection: Detection | None = None
        self.classifier = classifier or Classifier()
        self.aggregator = aggregator or Aggregator(stats)
        self.client_transform = client_transform
        # Free text that may hold client addresses (malformed lines) goes through `scrub`
        # (Anonymizer.scrub) before it is kept, when anonymising is on.
        self.scrub = scrub
        self.observers = list(observers)
        self._pending: list[tuple[bytes, str]] = []
        # The bulk lane for plain combined lines, made once the format is known.
        self._fast: FastLane | None = None
        self._fast_lane = fast_lane  # off: every line the general way (tests compare the two)
        self.lane_min_lines = _TINY_BATCH  # smaller batches go the general way (1: never)
        # The known formats tried on a line the format does not read (made with the format).
        self._others: OtherFormats | None = None
        # The lanes and fallbacks of the formats files were read as (`reading_as`).
        self._by_format: dict[str, tuple[LogFormat, FastLane | None, OtherFormats | None]] = {}
        if fmt is not None:
            self.aggregator.format = fmt.name

    # --- feeding ---------------------------------------------------------------------------

    def feed(self, lines: list[bytes], source: str = "", too_long: int = 0) -> None:
        """Parse, classify and count `lines` (bytes without the newline)."""
        for _ in range(too_long):
            self.aggregator.add_malformed(LINE_TOO_LONG, "")
        if self.format is None:
            self._pending.extend((line, source) for line in lines)
            if self.pending_lines() >= DETECT_LINES:
                self.flush()
            return
        self._process(lines, source)

    def feed_block(self, block: bytes, source: str = "", too_long: int = 0) -> None:
        """Like `feed`, for complete lines joined by newlines (a reader's chunk). The fast lane
        takes a plain ASCII block whole; anything else is split into lines and fed."""
        plain = None
        if self._fast is not None and not self.observers:
            plain = sanitize.decode_block(block)  # counts the newlines as it checks
            if plain is not None and plain[1] + 1 < self.lane_min_lines:
                plain = None  # a tailer's few lines: the general way (see _TINY_BATCH)
        if plain is None:
            lines, dropped = split_block(block)
            self.feed(lines, source, too_long + dropped)
            return
        for _ in range(too_long):
            self.aggregator.add_malformed(LINE_TOO_LONG, "")
        text, newlines = plain
        with _no_cyclic_gc():
            self._fast.run_text(text, source, newlines)  # type: ignore[union-attr]

    def pending_lines(self) -> int:
        """Lines (blank ones aside) buffered while the format is unknown."""
        return sum(1 for line, _ in self._pending if line.strip())

    def detect(self, sample: list[str]) -> None:
        """Choose the format from sample lines (e.g. a file's head) before feeding.

        Raises FormatError (with a message for the user) when no format fits."""
        if self.format is not None or not sample:
            return
        self._choose(sample)

    def flush(self) -> None:
        """Choose the format from what is buffered, if not chosen yet, and process the buffer.

        Raises FormatError (with a message for the user) when no format fits."""
        if self.format is not None or not self._pending:
            return
        self._choose(
            [sanitize.decode(_strip_cr(line)) for line, _ in self._pending[: DETECT_LINES * 4]]
        )

    def _choose(self, sample: list[str]) -> None:
        """The format that reads the sample best, if it is convincing."""
        detection = detect_format(sample, DETECT_LINES)
        if detection is None or not detection.convincing:
            first = next((s for s in sample if s.strip()), "")
            raise FormatError(no_format_message(self.scrub(first) if self.scrub else first))
        self.detection = detection
        self.format = detection.format
        self.aggregator.format = detection.format.name
        # Lines buffered before (e.g. a small file read ahead of a big one) must not be lost.
        self._drain_pending()

    def _drain_pending(self) -> None:
        """Process the lines buffered while the format was unknown, in their sources' order."""
        pending, self._pending = self._pending, []
        by_source: dict[str, list[bytes]] = {}
        for line, source in pending:
            by_source.setdefault(source, []).append(line)
        for source, group in by_source.items():
            self._process(group, source)

    def _process(self, lines: list[bytes], source: str) -> None:
        assert self.format is not None
        self.classifier.agents_logged = self.format.has_agent
        texts = sanitize.decode_lines(lines)
        if (
            self._fast is None
            and self._fast_lane
            and not self.observers
            and FastLane.suits(self.format)
        ):
            self._fast = FastLane(
                self.classifier, self.aggregator, self._general, self.client_transform
            )
        if self._fast is not None and not self.observers and len(texts) >= self.lane_min_lines:
            with _no_cyclic_gc():
                self._fast.run(texts, source)
            return
        counted: list[tuple[Record, Verdict]] = []
        append = counted.append
        general = self._general
        for line in texts:
            pair = general(line, source)
            if pair is not None:
                append(pair)
        if counted:
            self.aggregator.add_many(counted)

    def _general(self, line: str, source: str) -> tuple[Record, Verdict] | None:
        """One line the long way: parse, classify, tell the observers. None when the line is
        blank or malformed (then it is counted as such)."""
        if not line or line.isspace():
            return None
        if len(line) > sanitize.MAX_LINE_BYTES:
            # Scrubbed before it is cut: an address cut in two would no longer be found.
            text = line[:300] if self.scrub is None else self.scrub(line[:300])
            self.aggregator.add_malformed(LINE_TOO_LONG, text[:200])
            return None
        assert self.format is not None
        rec = self.format.parse(line)
        agents_logged = self.format.has_agent
        if type(rec) is str:
            other = self._parse_other(line)
            if other is None:
                # Examples keep 300 characters: scrub no more (a little over, for an address).
                self.aggregator.add_malformed(
                    rec, line if self.scrub is None else self.scrub(line[:400])
                )
                return None
            rec, fmt = other
            self.aggregator.add_other_format(fmt.name)
            agents_logged = fmt.has_agent
        assert isinstance(rec, Record)
        rec.source = source
        if self.client_transform is not None:
            rec.client = self.client_transform(rec.client, rec.ts)
            rec.forwarded_for = None
        else:
            rec.client = normal_client(rec.client)
        verdict = self.classifier.classify_logged(rec, agents_logged)
        for observe in self.observers:
            observe(rec, verdict)
        if is_long(rec):
            keep_short(rec)
        return rec, verdict

    def _parse_other(self, line: str) -> tuple[Record, LogFormat] | None:
        """A line the format does not read, read by another known format, if one does."""
        if self._others is None:
            assert self.format is not None
            self._others = OtherFormats(self.format)
        return self._others.parse(line)

    def reads_apart(self, fmt: LogFormat) -> bool:
        """Whether lines read as `fmt` are another format than the run's (counted apart):
        combined_extra after combined is not (one parser, agents logged alike)."""
        return self.format is not None and _reads_apart(fmt, self.format)

    @contextmanager
    def reading_as(self, fmt: LogFormat) -> Iterator[None]:
        """Read what is fed meanwhile as `fmt`: a file's own format, detected from its head,
        when it is not the run's (a Caddy log after nginx's). Its lines take that format's fast
        lane rather than a line-by-line fallback; the run's first format stays the one reported
        and the lines `fmt` reads are counted under other_formats."""
        first = self.format
        if first is None or not self.reads_apart(fmt):
            yield
            return
        with self.counting_as(fmt):
            saved = (first, self._fast, self._others)
            self.aggregator.settle_recent()  # the waiting requests belong to the lane set aside
            key = fmt.describe()
            self.format, self._fast, self._others = self._by_format.get(key, (fmt, None, None))
            self.classifier.agents_logged = self.format.has_agent  # a fast lane does not set it
            try:
                yield
            finally:
                self.aggregator.settle_recent()
                self._by_format[key] = (self.format, self._fast, self._others)
                self.format, self._fast, self._others = saved
                self.classifier.agents_logged = first.has_agent

    @contextmanager
    def counting_as(self, fmt: LogFormat) -> Iterator[None]:
        """The lines parsed meanwhile (by both lanes, or merged from worker pieces that read a
        file as `fmt`) count as read by `fmt`, when it reads apart from the run's format: under
        its name in other_formats, but those its fallback read under their own formats' names,
        or under none when read as the run's own format (they are the run's)."""
        run_format = self.format
        if run_format is None or not _reads_apart(fmt, run_format):
            yield
            return
        aggregator = self.aggregator
        parsed, before = aggregator.parsed, dict(aggregator.other_formats)
        try:
            yield
        finally:
            others = aggregator.other_formats
            grew = {name: n - before.get(name, 0) for name, n in others.items()}
            own = aggregator.parsed - parsed - sum(grew.values())
            for name, n in grew.items():
                if n and not _reads_apart(_named(name), run_format):
                    others[name] -= n  # the run's own format, read by a fallback
                    if not others[name]:
                        del others[name]
            if own:
                aggregator.add_other_format(fmt.name, own)

    # --- reading -----------------------------------------------------------------------------

    def snapshot(
        self,
        now: float | None = None,
        *,
        mark: float | None = None,
        sources: Iterable[SourceState] = (),
        extra: dict[str, Any] | None = None,
    ) -> Snapshot:
        return self.aggregator.snapshot(now, mark=mark, sources=sources, extra=extra)


def _reads_apart(fmt: LogFormat | None, run_format: LogFormat) -> bool:
    return fmt is None or not (
        fmt.describe() == run_format.describe()
        or (same_parser(fmt, run_format) and fmt.has_agent == run_format.has_agent)
    )


@functools.cache
def _named(name: str) -> LogFormat | None:
    """A built-in format by name (what a fallback counts under); None for another name. Cached:
    the engine asks for each batch of a source read apart, and bunkerweb's is a compiled one."""
    try:
        return get_format(name) if name in FORMAT_NAMES else None
    except FormatError:
        return None


class SourceFormats:
    """Each source's own format, told by its first lines, for `Pipeline.reading_as`: a Caddy
    log followed beside nginx's takes Caddy's way, not the fallback line by line.

    Only when the run's format was detected (a format given applies to every source). A source
    is judged once `enough` lines of it have come (or at once, for a file's head); until then,
    and when its lines convince no format, it is read as the run's format."""

    def __init__(self, pipeline: Pipeline, enough: int = 8) -> None:
        self.pipeline = pipeline
        self.enough = enough
        self._chosen: dict[str, LogFormat] = {}
        self._samples: dict[str, list[str]] = {}

    def of(self, source: str, sample: Iterable[str], *, now: bool = False) -> LogFormat | None:
        """The format to read `source` as, given more of its first lines; None while the
        run's format is not known."""
        pipeline = self.pipeline
        if pipeline.format is None or pipeline.detection is None:
            return pipeline.format
        chosen = self._chosen.get(source)
        if chosen is not None:
            return chosen
        seen = self._samples.setdefault(source, [])
        # Kept short: a source that never sends `enough` lines holds this much at most.
        room = DETECT_LINES - len(seen)
        seen.extend(line[:_SAMPLE_CHARS] for line in islice(filter(str.strip, sample), room))
        if len(seen) < self.enough and not now:
            return pipeline.format
        del self._samples[source]
        own = detect_format(seen, DETECT_LINES) if seen else None
        chosen = own.format if own is not None and own.convincing else pipeline.format
        self._chosen[source] = chosen
        return chosen

    def of_block(self, source: str, block: bytes, *, now: bool = False) -> LogFormat | None:
        """`of` for a block of lines joined by newlines (decoded only while it matters)."""
        if source in self._chosen or self.pipeline.detection is None:
            return self.of(source, (), now=now)
        return self.of(source, head_lines(block, DETECT_LINES), now=now)


_SAMPLE_CHARS = 4096


@contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """A batch allocates hundreds of thousands of short-lived tuples and no cycles: the cyclic
    collector would rescan them all the while, for nothing (a third of the lane's time)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def _strip_cr(line: bytes) -> bytes:
    return line[:-1] if line[-1:] == b"\r" else line


__all__ = ["FormatError", "Pipeline", "SourceFormats"]
