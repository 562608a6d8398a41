"""The fast lane counts plain combined lines in bulk; the general path parses and classifies each
line. Fed the same lines, the two must give the same figures, the same recent requests (Records
and Verdicts) and the same classifier state, whatever the lines are.
"""

from __future__ import annotations

import json
import os
import random
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from logwatch import synth
from logwatch.ingest.formats import get_format
from logwatch.pipeline import Pipeline
from logwatch.privacy import Anonymizer
from logwatch.stats.aggregator import StatsConfig

SETTINGS = settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=bool(os.environ.get("CI")),
)
# Small rings and tables, so that eviction and the recent-ring cut happen inside the tests.
STATS = StatsConfig(recent=300, slot_top_k=5000, top_k=20000)


def _pipelines(fmt: str = "combined", **kwargs: object) -> tuple[Pipeline, Pipeline]:
    fast = Pipeline(get_format(fmt), stats=STATS, **kwargs)  # type: ignore[arg-type]
    fast.lane_min_lines = 1  # the lane takes every batch, a tailer's tiny ones too
    slow = Pipeline(get_format(fmt), stats=STATS, fast_lane=False, **kwargs)  # type: ignore[arg-type]
    return fast, slow


def _feed_both(
    lines: list[bytes], batch_sizes: list[int], **kwargs: object
) -> tuple[Pipeline, Pipeline]:
    fast, slow = _pipelines(**kwargs)  # type: ignore[arg-type]
    i = 0
    k = 0
    while i < len(lines):
        size = batch_sizes[k % len(batch_sizes)]
        k += 1
        if k % 2:  # both ways in: lists of lines, and blocks as the readers give them
            fast.feed(lines[i : i + size], "src")
        else:
            fast.feed_block(b"\n".join(lines[i : i + size]), "src")
        slow.feed(lines[i : i + size], "src")
        i += size
    return fast, slow


def _canon(value: object) -> object:
    """Lists in a canonical order: entries with equal counts may come in either order."""
    if isinstance(value, dict):
        return {k: _canon(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return sorted((_canon(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
    return value


def _assert_same(fast: Pipeline, slow: Pipeline) -> None:
    a, b = fast.snapshot(), slow.snapshot()
    assert _canon(a.to_json(top=10_000)) == _canon(b.to_json(top=10_000))
    for name in a.windows:
        assert _canon(a.windows[name].to_json(top=10_000)) == _canon(
            b.windows[name].to_json(top=10_000)
        )
    assert a.counters == b.counters
    assert len(a.recent) == len(b.recent)
    for (ra, va), (rb, vb) in zip(a.recent, b.recent, strict=True):
        assert ra == rb
        assert va == vb
    assert sorted(map(repr, a.totals.top_clients)) == sorted(map(repr, b.totals.top_clients))
    assert sorted(map(repr, a.totals.probes)) == sorted(map(repr, b.totals.probes))
    assert dict(fast.classifier.clients._table) == dict(slow.classifier.clients._table)


def _lines(gen: object) -> list[bytes]:
    return [line.rstrip(b"\n") for line in gen]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "odd",
    [
        [b'"GET /a HTTP/1.1" 200 75889  200 75889 "-" "M"'],  # joins into two valid fields
        [b'"GET /a HTTP/1.1" 200 5  200 5 "-" "M"', b'"GET /b HTTP/1.1""-" "M"'],  # and none
        [b'"GET /c HTTP/1.1" 200 5 200 5 "-" "M"'],
    ],
)
def test_status_fields_are_judged_each_on_its_own(odd: list[bytes]) -> None:
    """The status fields of a batch are checked at once, joined: a doubled field (" 200 5  200
    5 ") joins into two valid ones. Each must still be judged on its own: the lane used to
    take such a line, then crash building its Record (`int("5  200 5")`)."""
    lines = _lines(synth.generate(200, seed=5))
    head = b"1.2.3.4 - - [10/Oct/2026:00:34:09 +0000] "
    lines[150:150] = [head + line for line in odd]
    for sizes in ([len(lines)], [7, 1]):
        fast, slow = _feed_both(lines, sizes)
        _assert_same(fast, slow)
        assert any(r.client == "1.2.3.4" for r, _ in fast.snapshot().recent)


def test_fast_lane_takes_the_plain_lines() -> None:
    """The lane is really used: on a realistic log few lines are parsed again (none here) or
    need the whole classifier (the probes among them), and malformed ones still are counted."""
    lines = _lines(synth.generate(3000, seed=3))
    lines[2000] = b"garbage that is no request"
    fast, _ = _pipelines()
    fast.feed(lines[:100], "src")  # detection done, lane made
    lane = fast._fast
    assert lane is not None
    parsed_again: list[str] = []
    classified: list[object] = []
    general, classify = lane.general, fast.classifier.classify

    def count_general(line: str, source: str) -> object:
        parsed_again.append(line)
        return general(line, source)

    def count_classify(rec: object) -> object:
        classified.append(rec)
        return classify(rec)  # type: ignore[arg-type]

    lane.general = count_general  # type: ignore[assignment]
    fast.classifier.classify = count_classify  # type: ignore[method-assign]
    fast.feed_block(b"\n".join(lines[100:]), "src")
    assert parsed_again == ["garbage that is no request"]
    assert 0 < len(classified) < 0.1 * len(lines)
    assert fast.aggregator.malformed == 1


def test_realistic_log_same_figures() -> None:
    lines = _lines(
        synth.generate(
            20000,
            seed=5,
            rate=20.0,
            spikes=(synth.Spike(300, 60, "errors"), synth.Spike(600, 30, "probes")),
        )
    )
    _assert_same(*_feed_both(lines, [5000, 777, 1, 4096]))


def test_small_batches_make_records_only_for_the_ring(monkeypatch: pytest.MonkeyPatch) -> None:
    """A tailer's batches are smaller than the ring: they wait together, and only the requests
    the ring keeps become Records (each batch used to become Records, pushed out by the next)."""
    from logwatch import fastlane

    built = 0
    record = fastlane.Record

    def counting_record(*args: object) -> object:
        nonlocal built
        built += 1
        return record(*args)

    monkeypatch.setattr(fastlane, "Record", counting_record)
    lines = _lines(synth.generate(6000, seed=11, rate=20.0))
    fast, slow = _feed_both(lines, [7, 13, 50, 1])
    lane_built = built
    _assert_same(fast, slow)  # the ring is settled here: the same 300 requests, in order
    assert lane_built < 1000  # not one per line: probes' Records and none for the ring yet
    assert built - lane_built <= STATS.recent
    assert len(fast._fast._pending) == 0


def test_a_tailers_tiny_batches_go_the_general_way() -> None:
    """The lane's column passes cost more than they save on a few lines (a quiet server's
    tailer hands 1-5): such batches are parsed line by line; bigger ones take the lane."""
    lines = _lines(synth.generate(400, seed=12, rate=5.0))
    p = Pipeline(get_format("combined"), stats=STATS)
    slow = Pipeline(get_format("combined"), stats=STATS, fast_lane=False)
    p.feed_block(b"\n".join(lines[:200]), "src")
    lane = p._fast
    assert lane is not None
    batches: list[int] = []
    run, run_text = lane.run, lane.run_text

    def counting_run_text(text: str, source: str, newlines: int | None = None) -> None:
        batches.append(text.count("\n") + 1)
        run_text(text, source, newlines)

    def counting_run(texts: list[str], source: str) -> None:
        batches.append(len(texts))
        run(texts, source)

    lane.run_text = counting_run_text  # type: ignore[method-assign]
    lane.run = counting_run  # type: ignore[method-assign]
    for i in range(200, 300, 5):
        p.feed_block(b"\n".join(lines[i : i + 5]), "src")
        p.feed(lines[i : i + 5], "src")  # the same lines again, the other way in
    p.feed_block(b"\n".join(lines[300:]), "src")
    assert batches == [100]
    slow.feed(lines[:200], "src")
    for i in range(200, 300, 5):
        slow.feed(lines[i : i + 5], "src")
        slow.feed(lines[i : i + 5], "src")
    slow.feed(lines[300:], "src")
    _assert_same(p, slow)


def test_request_times_same_figures() -> None:
    lines = _lines(synth.generate(8000, fmt="combined_rt", seed=6, rate=10.0))
    _assert_same(*_feed_both(lines, [3000, 11], fmt="combined_extra"))


def test_hostile_and_mutated_lines_same_figures() -> None:
    hostile = _lines(synth.hostile(1500, seed=7, long_line_bytes=5000))
    mutated = list(synth.mutate_lines(_lines(synth.generate(6000, seed=8)), seed=9, rate=0.3))
    _assert_same(*_feed_both(hostile + mutated, [1000, 333]))


def test_anonymised_clients_same_figures() -> None:
    lines = _lines(synth.generate(5000, seed=10, rate=20.0))
    anonymizer = Anonymizer("mask", v4_prefix=24, v6_prefix=48)
    fast, slow = _feed_both(
        lines, [2000], client_transform=anonymizer.apply, scrub=anonymizer.scrub
    )
    _assert_same(fast, slow)
    assert all(r.client.endswith(".0") or ":" in r.client for r, _ in fast.snapshot().recent)


def test_long_forwarded_for_lists_same_figures() -> None:
    """Lines with a forwarded-for list take the general path; a list of any length must be read
    there (34 entries made the line malformed, its probe uncounted), the same in both lanes."""
    lines = _lines(synth.generate(400, seed=11))
    stamp = "10/Oct/2026:00:10:{:02d} +0000"
    for k, n in enumerate((3, 34, 60, 2000)):
        listed = ", ".join(f"10.0.{i >> 8 & 255}.{i & 255}" for i in range(n))
        lines.insert(
            100 * k + 50,
            f'{listed} 198.51.100.{k} - - [{stamp.format(k)}] "GET /.env HTTP/1.1" 404 5 "-" '
            '"curl/8"'.encode(),
        )
    fast, slow = _feed_both(lines, [len(lines), 7])
    _assert_same(fast, slow)
    snap = fast.snapshot()
    assert snap.lines == snap.parsed == len(lines)
    assert [p.client for p in snap.totals.probes if p.client == "10.0.0.0"] == ["10.0.0.0"]


def test_order_inside_a_batch_is_kept() -> None:
    """A probe marks its client; that client's curl requests later in the same batch are then
    the scanner's, and its browser-agent pages bots: the lane must see the probe first."""
    t = "10/Oct/2026:00:00:{:02d} +0000"
    browser = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/129.0 Safari/537.36"
    lines = [
        f'9.9.9.9 - - [{t.format(1)}] "GET /index.html HTTP/1.1" 200 10 "-" "{browser}"',
        f'9.9.9.9 - - [{t.format(2)}] "GET /.env HTTP/1.1" 404 10 "-" "{browser}"',
        f'9.9.9.9 - - [{t.format(3)}] "GET / HTTP/1.1" 200 10 "-" "curl/8.0"',
        f'9.9.9.9 - - [{t.format(4)}] "GET /about HTTP/1.1" 200 10 "-" "{browser}"',
        f'8.8.8.8 - - [{t.format(5)}] "GET / HTTP/1.1" 200 10 "-" "curl/8.0"',
    ]
    fast, slow = _feed_both([s.encode() for s in lines], [len(lines)])
    _assert_same(fast, slow)
    verdicts = [v for _, v in fast.snapshot().recent]
    assert [v.cls for v in verdicts] == ["human", "bot", "bot", "bot", "bot"]
    assert verdicts[2].bot_category == "scanner"
    assert verdicts[4].bot_category == "library"


# --- any line: fields drawn from ordinary and nasty values ------------------------------------

_text = st.one_of(
    st.sampled_from(["-", "", "x", "a b", "{x}", "${jndi:ldap://x}", ",", "\t", '\\"', "[", "]"]),
    st.text(alphabet=st.sampled_from('ab/.?=&_-[]{}," \t\\%é\u202e'), max_size=12),
)
_client = st.one_of(
    st.sampled_from(["1.2.3.4", "2001:db8::1", "10.0.0.1, 1.2.3.4", "-", "x" * 300, ""]),
    _text,
)
_time = st.one_of(
    st.builds(
        "{:02d}/Oct/2026:{:02d}:{:02d}:{:02d} {}".format,
        st.integers(1, 28),
        st.integers(0, 23),
        st.integers(0, 59),
        st.integers(0, 60),
        st.sampled_from(["+0000", "-0700", "+0530", "+9999", "x"]),
    ),
    st.sampled_from(["10/Oct/2036:00:00:00 +0000", "10/Oct/2026:00:00:00.123 +0000", "junk"]),
)
_request = st.one_of(
    st.builds(
        "{} {} {}".format,
        st.sampled_from(["GET", "POST", "HEAD", "PROPFIND", "get", "\\x16\\x03"]),
        st.sampled_from(
            ["/", "/a.css", "/.env", "/wp-login.php", "/admin", "/p?utm_source=x&utm_campaign=y",
             "/q?id=1'or'1'='1", "/../../etc/passwd", "/x/y", "*", "http://h/"]
        ),
        st.sampled_from(["HTTP/1.1", "HTTP/2.0", "HTTP/9", "", "RTSP/1.0"]),
    ),
    _text,
)  # fmt: skip
_status = st.sampled_from(["200", "404", "403", "500", "301", "499", "-", "20", "2000", "0x1"])
_size = st.sampled_from(["0", "512", "-", "99999999999999999999999", "1.5", ""])
_agent = st.one_of(
    st.sampled_from(
        ["Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/129 Safari/537.36",
         "Googlebot/2.1 (+http://www.google.com/bot.html)", "curl/8.0", "-", "",
         "python-requests/2.31", "sqlmap/1.7", "Mozilla/5.0 ${jndi:ldap://x}"]
    ),
    _text,
)  # fmt: skip
_tail = st.sampled_from(["", " 0.123", " 0.123 0.120", " 0.1 -", " 12", " x", "  ", ' "1.2.3.4"'])


@st.composite
def _line(draw: st.DrawFn) -> bytes:
    if draw(st.integers(0, 9)) == 0:
        return draw(st.binary(max_size=80)).replace(b"\n", b" ")
    line = (
        f"{draw(_client)} {draw(st.sampled_from(['- -', '- bob', '-', 'a b c']))} "
        f'[{draw(_time)}] "{draw(_request)}" {draw(_status)} {draw(_size)} '
        f'"{draw(_text)}" "{draw(_agent)}"{draw(_tail)}'
    )
    return line.encode("utf-8", "surrogatepass")


@SETTINGS
@given(
    st.lists(_line(), min_size=1, max_size=60),
    st.lists(st.integers(1, 30), min_size=1, max_size=4),
)
def test_any_lines_same_figures(lines: list[bytes], batch_sizes: list[int]) -> None:
    # Ordinary lines first, so that detection picks combined whatever the drawn lines are.
    head = _lines(synth.generate(64, seed=random.Random(len(lines)).randrange(100)))
    _assert_same(*_feed_both(head + lines, batch_sizes))


def test_known_history_end_gives_the_same_figures_with_less_state() -> None:
    """`expect_until` (the report knows where a file ends) sends lines older than every window
    straight to the totals: the figures stay the same, and the rings never hold old time."""
    lines = _lines(synth.generate(30000, seed=11, rate=2.0))  # ~4 hours
    last = Pipeline(get_format("combined")).format.time_of(lines[-1])  # type: ignore[union-attr]
    assert last is not None
    hinted, plain = _pipelines()
    hinted.aggregator.expect_until(last)
    oldest_fine: list[int] = []
    for i in range(0, len(lines), 2000):
        hinted.feed(lines[i : i + 2000], "src")
        plain.feed(lines[i : i + 2000], "src")
        agg = hinted.aggregator
        oldest_fine.extend(index * 10 for index in agg.fine)
        assert all(sec > int(last) - 2 * 3600 for sec in agg.seconds)
    a, b = hinted.snapshot(), plain.snapshot()
    assert _canon(a.to_json(top=10_000)) == _canon(b.to_json(top=10_000))
    for name in a.windows:
        assert _canon(a.windows[name].to_json(top=10_000)) == _canon(
            b.windows[name].to_json(top=10_000)
        )
    assert min(oldest_fine) >= int(last) - 400  # fine slots only for the last five minutes


def test_sparse_history_with_a_known_end_advances_rarely_and_counts_the_same(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A line every half minute over days: with the end known, the rings wake only near it
    (not on every line), and snapshots taken along the way (cached minute sums) change
    nothing in the figures."""
    from logwatch.stats.aggregator import Aggregator

    lines = _lines(synth.generate(12000, seed=3, rate=1 / 30))  # ~4 days
    last = Pipeline(get_format("combined")).format.time_of(lines[-1])  # type: ignore[union-attr]
    assert last is not None
    hinted, plain = _pipelines()
    hinted.aggregator.expect_until(last)
    advances: list[int] = []
    advance = Aggregator._advance

    def counting_advance(self: Aggregator, sec: int) -> None:
        if self is hinted.aggregator:
            advances.append(sec)
        advance(self, sec)

    monkeypatch.setattr(Aggregator, "_advance", counting_advance)
    for k, i in enumerate(range(0, len(lines), 500)):
        hinted.feed(lines[i : i + 500], "src")
        plain.feed(lines[i : i + 500], "src")
        if k % 4 == 3:  # mid-read snapshots, as the dashboard takes them
            hinted.snapshot()
            plain.snapshot()
    a, b = hinted.snapshot(), plain.snapshot()
    assert _canon(a.to_json(top=10_000)) == _canon(b.to_json(top=10_000))
    for name in a.windows:
        assert _canon(a.windows[name].to_json(top=10_000)) == _canon(
            b.windows[name].to_json(top=10_000)
        )
    # Lines (and snapshots) older than the last two hours, the rings' horizon, never wake them.
    assert sum(sec < int(last) - 2 * 3600 for sec in advances) <= 1
    assert len(advances) < 2 * 3600 / 30


def test_sparse_times_read_from_their_day_are_the_times_parsed_whole(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A sparse log has a new second on every line; the lane reads the usual ones from their
    day (parsed once). Times of any shape, damaged or odd (hour 24, second 60 and 61, a space or
    a letter for a digit, other separators, other zones, fractions, another ident) give the same
    figures and the same recent Records as the general path, and only the first line of a day
    is parsed whole."""
    from logwatch import fastlane

    rng = random.Random(7)
    stamps = []
    for day in range(1, 29):
        for _ in range(60):
            stamps.append(
                f"{day:02d}/Feb/2026:{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:"
                f"{rng.randint(0, 60):02d} +0100"
            )
    damaged = [
        "05/Feb/2026:24:00:00 +0100",
        "05/Feb/2026:23:59:61 +0100",
        "05/Feb/2026:23:60:00 +0100",
        "05/Feb/2026: 1:00:00 +0100",
        "05/Feb/2026:1a:00:00 +0100",
        "05/Feb/2026:12x00:00 +0100",
        "05/Feb/2026:12:00x00 +0100",
        "05/Feb/2026:12:00:0  +0100",
        "05/Feb/2026:12:00:00 -0100",
        "05/Feb/2026:12:00:00.250 +0100",
        "05/Feb/2026:12:00:00 +01:00",
        "05/Feb/2026:+1:00:00 +0100",
    ]
    stamps[5 * 60 + 10 : 5 * 60 + 10] = damaged
    lines = [
        f'10.0.{i % 200}.{i % 7} - {"- " if i % 97 else "frank "}[{stamp}] "GET /p{i % 50} '
        f'HTTP/1.1" 200 {i} "-" "Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0"'.encode()
        for i, stamp in enumerate(stamps)
    ]
    full_parses: list[str] = []
    when_of = fastlane._head_when

    def counting(rest: str) -> object:
        full_parses.append(rest)
        return when_of(rest)

    monkeypatch.setattr(fastlane, "_head_when", counting)
    fast, slow = _feed_both(lines, [700, 333, 1])
    _assert_same(fast, slow)
    assert fast.aggregator.malformed == slow.aggregator.malformed > 0
    # a day's first line, the odd ones (damaged, another ident) and the lines of the 1-line
    # batches fed as lists (their own day cache is the same lane's: still parsed once a day)
    assert len(full_parses) < 28 + len(damaged) + len(lines) // 97 + 50


def test_floods_of_probes_by_status_are_counted_in_the_lane() -> None:
    """`/xmlrpc.php` answered 404 a thousand times is a probe by its status: the lane judges it
    without building a Record or calling the whole classifier, with the same figures, probe
    details (in line order with the general path's probes) and client marks."""
    rng = random.Random(3)
    lines = []
    for i in range(3000):
        client = f"192.0.2.{rng.randint(1, 40)}"
        second = 1_791_590_400 + i // 3
        stamp = time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(second))
        kind = rng.random()
        if kind < 0.5:
            request, status = "POST /xmlrpc.php HTTP/1.1", 404  # a probe by its status
        elif kind < 0.6:
            request, status = "GET /.env HTTP/1.1", 404  # a probe by its path: general path
        elif kind < 0.65:
            request, status = "POST /xmlrpc.php HTTP/1.1", 200  # not a probe there
        else:
            request, status = f"GET /page{rng.randint(1, 30)} HTTP/1.1", 200
        agent = "curl/8.0" if rng.random() < 0.2 else "Mozilla/5.0 (Windows NT 10.0) Chrome/120"
        lines.append(f'{client} - - [{stamp}] "{request}" {status} 12 "-" "{agent}"'.encode())
    fast, slow = _feed_both(lines, [1000, 257, 1])
    _assert_same(fast, slow)
    a = fast.snapshot()
    assert a.totals.probe_hits > 1500
    classified: list[object] = []
    again, _ = _pipelines()
    again.feed(lines[:10], "src")
    classify = again.classifier.classify

    def count_classify(rec: object) -> object:
        classified.append(rec)
        return classify(rec)  # type: ignore[arg-type]

    again.classifier.classify = count_classify  # type: ignore[method-assign]
    again.feed_block(b"\n".join(lines[10:]), "src")
    # the /.env probes (~10 %) go the whole classifier's way; the xmlrpc.php ones (~50 %) not
    assert 0 < len(classified) < 0.2 * len(lines)


def test_history_older_than_every_window_is_counted_by_key_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A week of history with its end known: batches older than every ring are counted under
    one second and slot (a path or a client is one key, not one per 10 seconds), with the same
    figures as the general path; the last hours still go to their own seconds."""
    from logwatch.stats.aggregator import ARCHIVED, Aggregator

    lines = _lines(synth.generate(8000, seed=11, rate=1 / 75))  # ~7 days
    last = Pipeline(get_format("combined")).format.time_of(lines[-1])  # type: ignore[union-attr]
    assert last is not None
    fast, slow = _pipelines()
    fast.aggregator.expect_until(last)
    seen: list[tuple[bool, int, int]] = []  # (archived, path keys, lines)
    add_counts = Aggregator.add_counts

    def recording(self: Aggregator, batch: object, source: str) -> None:
        if self is fast.aggregator:
            archived = ARCHIVED in batch.newest  # type: ignore[attr-defined]
            lines_in = sum(batch.seconds.values())  # type: ignore[attr-defined]
            seen.append((archived, len(batch.paths), lines_in))  # type: ignore[attr-defined]
        add_counts(self, batch, source)  # type: ignore[arg-type]

    monkeypatch.setattr(Aggregator, "add_counts", recording)
    for i in range(0, len(lines), 1000):
        fast.feed_block(b"\n".join(lines[i : i + 1000]), "src")
        slow.feed(lines[i : i + 1000], "src")
    _assert_same(fast, slow)
    archived = [s for s in seen if s[0]]
    assert len(archived) >= 6 and not seen[-1][0]
    # one key per (path, class, status): far fewer keys than lines
    assert sum(k for _, k, _ in archived) < 0.5 * sum(n for _, _, n in archived)


def test_a_probe_dated_past_the_clock_stays_out_of_the_windows() -> None:
    """A probe the lane leaves to the general path because it is dated past the clock's limit
    has its details counted with the lane's probes, but like every such line in the totals only:
    a forged date must not put a client in the recent windows' probing clients."""
    t = 1_760_000_000

    def line(sec: int, request: str, status: int, client: str = "10.0.0.1") -> bytes:
        stamp = time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(sec))
        agent = "Mozilla/5.0 (X11) Firefox/120.0"
        return f'{client} - - [{stamp}] "{request}" {status} 1 "-" "{agent}"'.encode()

    fast, slow = _pipelines()
    for p in (fast, slow):
        p.feed([line(t - 400, "GET / HTTP/1.1", 200)], "src")
        p.snapshot(now=t - 300)  # a live clock: lines past t are refused by the windows
        block = [line(t, "GET /a HTTP/1.1", 200), line(t + 3, "GET /.env HTTP/1.1", 404, "6.6.6.6")]
        p.feed_block(b"\n".join(block), "src")
    _assert_same(fast, slow)
    snap = fast.snapshot()
    assert all(w.probing_clients == 0 for w in snap.windows.values())
    assert [c.client for c in snap.totals.probes] == ["6.6.6.6"]


def test_an_empty_request_probed_first_counts_as_a_path() -> None:
    """A client's first probe with an empty request line, then another: two distinct paths."""
    lines = [
        b'10.0.0.1 - - [10/Oct/2025:13:55:36 +0000] "GET / HTTP/1.1" 200 12 "-" "Mozilla/5.0"',
        b'10.0.0.9 - - [10/Oct/2025:13:55:37 +0000] "" 400 0 "-" "-"',
        b'10.0.0.9 - - [10/Oct/2025:13:55:38 +0000] "GET /.env HTTP/1.1" 404 0 "-" "-"',
    ]
    fast, slow = _feed_both(lines, [3])
    _assert_same(fast, slow)
    assert len(fast.aggregator.probe_details["10.0.0.9"].paths) == 2


def test_totals_seen_between_batches_of_known_history_are_never_stale() -> None:
    """Lines between the rings' reach and the coarse floor go to the totals in bulk; a snapshot
    taken before them must not be served again from its cache after them. (Plain lane lines
    only: a probe's general path would refresh the cache on its own.)"""
    start = 1_780_000_000
    lines = [
        (
            f"10.0.{k % 7}.{k % 200} - - ["
            f"{time.strftime('%d/%b/%Y:%H:%M:%S +0000', time.gmtime(start + 20 * k))}] "
            f'"GET /page/{k % 40} HTTP/1.1" 200 512 "-" '
            '"Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"'
        ).encode()
        for k in range(600)  # 3h20m
    ]
    hinted, plain = _pipelines()
    hinted.aggregator.expect_until(start + 20 * 599)
    for i in range(0, len(lines), 25):
        hinted.feed(lines[i : i + 25], "src")
        plain.feed(lines[i : i + 25], "src")
        a, b = hinted.snapshot(), plain.snapshot()
        assert _canon(a.totals.to_json(top=10_000)) == _canon(b.totals.to_json(top=10_000))


def test_a_batch_spanning_more_than_the_horizon_loses_nothing() -> None:
    """Found by the property test: in one batch, a line hours after the others advances the
    rings, folding the earlier seconds into the totals; their counts must be in them first."""
    lines = _lines(synth.generate(200, seed=12, rate=20.0))
    later = (
        b'1.2.3.4 - - [10/Oct/2026:00:00:00 -0700] "GET / HTTP/1.1" 200 0 "-" '
        b'"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/129 Safari/537.36"'
    )
    fast, slow = _feed_both([*lines, later], [201])
    _assert_same(fast, slow)
    assert fast.snapshot().totals.requests == 201


def test_a_heavy_clients_errors_survive_pruning() -> None:
    """In every 10-second slot many clients come four times and the heavy client errs once, so its
    error count is the smallest in the slot and the slot's bounded table overflows. Kept apart,
    the error count was pruned slot after slot (the top client showed no errors); kept in the
    client's row, the heavy client's figures stay whole."""
    bot = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
    lines = []
    for sec in range(600):
        stamp = f"10/Oct/2026:00:{sec // 60:02d}:{sec % 60:02d} +0000"
        lines += [f'9.9.9.9 - - [{stamp}] "GET /p HTTP/1.1" 200 1 "-" "{bot}"'] * 3
        if sec % 10 == 0:  # one error per slot
            lines.append(f'9.9.9.9 - - [{stamp}] "GET /gone HTTP/1.1" 404 1 "-" "{bot}"')
        for k in range(8):  # 80 clients per slot, each four times
            client = f"10.{sec // 10 % 250}.{sec % 10}.{k}"
            lines += [f'{client} - - [{stamp}] "GET / HTTP/1.1" 200 1 "-" "{bot}"'] * 4
    stats = StatsConfig(recent=10, slot_top_k=20, top_k=50)
    for lane in (True, False):
        p = Pipeline(get_format("combined"), stats=stats, fast_lane=lane)
        for i in range(0, len(lines), 500):
            p.feed_block("\n".join(lines[i : i + 500]).encode(), "src")
        top = p.snapshot().totals.top_clients[0]
        assert top.client == "9.9.9.9"
        assert (top.hits, top.bot, top.errors) == (1860, 1860, 60)


def test_a_windows_bots_by_category_add_up_in_both_lanes() -> None:
    lines = _lines(synth.generate(6000, mode="realistic", rate=3.0, seed=5))
    fast, slow = _feed_both(lines, [700, 31])
    for p in (fast, slow):
        for name, w in p.snapshot().windows.items():
            assert sum(w.bots.values()) == w.classes["bot"] > 0, name
    _assert_same(fast, slow)
