"""Long fields: classified whole (up to their caps), kept cut (sanitize.KEEP_*).

A hostile line with every field at its cap would otherwise hold about 8 KB in the ring of recent
requests, in every time slot's paths and in every cache; these tests check that what is kept is
cut, the same way in both lanes, that a drill-down still finds a cut path's requests, and that
classification still saw the whole field.
"""

from __future__ import annotations

import re
import time
from typing import Any

import pytest

from logwatch import fastlane
from logwatch.ingest import formats
from logwatch.ingest.formats import get_format
from logwatch.kept import KEPT_MARK, kept_path, kept_query
from logwatch.pipeline import Pipeline
from logwatch.sanitize import KEEP_REQUEST, KEEP_TEXT
from logwatch.stats.aggregator import StatsConfig, campaign_of
from logwatch.tui.drilldata import path_drill

START = 1_700_000_000
STATS = StatsConfig(recent=1000)


def line(
    i: int,
    path: str,
    *,
    query: str = "",
    agent: str = "Mozilla/5.0 Firefox/120.0",
    referrer: str = "-",
    status: int = 200,
) -> bytes:
    stamp = time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(START + i))
    target = path + ("?" + query if query else "")
    return (
        f'10.0.{i // 250}.{i % 250 + 1} - - [{stamp}] "GET {target} HTTP/1.1" {status} 5 '
        f'"{referrer}" "{agent}"'
    ).encode()


def beacon(i: int) -> str:
    """An analytics beacon's query: long (the lane takes it), repeated, tagged past the cut."""
    return f"idsite=1&rec={i % 4}&_id=" + "b" * 500 + "&utm_source=news&utm_campaign=fall"


def long_lines(n: int) -> list[bytes]:
    """Plain lines, analytics beacons, and every third line with each field long and one of a
    kind (the general path's)."""
    out = []
    for i in range(n):
        if i % 6 == 1:
            out.append(line(i, "/matomo.php", query=beacon(i)))
        elif i % 3:
            out.append(line(i, f"/page/{i % 7}", query=f"id={i % 5}" if i % 3 == 1 else ""))
        else:
            out.append(
                line(
                    i,
                    f"/{i}/" + "p" * 1500,
                    query=f"q={i}&" + "x" * 1500,
                    agent=f"Mozilla/5.0 ({i}) " + "a" * 900,
                    referrer=f"https://example.org/{i}/" + "r" * 900,
                )
            )
    return out


def pipelines() -> list[Pipeline]:
    fast = Pipeline(get_format("combined"), stats=STATS)
    fast.lane_min_lines = 1
    slow = Pipeline(get_format("combined"), stats=STATS, fast_lane=False)
    return [fast, slow]


def kept_strings(p: Pipeline) -> tuple[list[str], list[str]]:
    """Every request field the ring holds, in order; every path the time slots count."""
    a = p.aggregator
    a.settle_recent()
    ring = [
        text
        for rec, _ in a.recent
        for text in (rec.path, rec.query, rec.request, rec.user_agent, rec.referrer)
    ]
    slots = []
    for slot in [*a.fine.values(), *a.coarse.values(), a.archive]:
        slots += [path for path, _, _ in slot.paths.data]
        slots += [path for path, _ in slot.path_lat.data]
    return ring, slots


@pytest.mark.parametrize("lane", ["fast", "general"])
def test_long_fields_are_kept_cut_and_counted_as_one_path(lane: str) -> None:
    p = pipelines()[0 if lane == "fast" else 1]
    lines = long_lines(300)
    p.feed(lines, "src")
    a = p.aggregator
    assert a.parsed == 300 and a.malformed == 0
    ring, slots = kept_strings(p)
    assert max(map(len, ring)) <= KEEP_TEXT and max(map(len, slots)) <= KEEP_REQUEST
    a.settle_recent()
    long_ones = [rec for rec, _ in a.recent if rec.path.startswith("/0/")]
    assert len(long_ones) == 1
    rec = long_ones[0]
    assert rec.path == kept_path("/0/" + "p" * 1500) and rec.path.endswith("...")
    assert rec.path.isascii()  # the cut mark keeps an ASCII field one byte a character
    assert len(rec.query) == KEEP_REQUEST
    assert rec.request == ""  # with a path, a request's line is not kept
    assert len(rec.user_agent) == len(rec.referrer) == KEEP_TEXT
    # The cut path is the one the panels count, and a drill-down on it finds the request.
    snap = p.snapshot()
    top = {row.path: row.hits for row in snap.window("1h").top_paths["all"]}
    assert top[rec.path] == 1
    drill = path_drill(snap, "1h", rec.path)
    assert drill.matched == 1


def test_both_lanes_keep_the_same() -> None:
    fast, slow = pipelines()
    lines = long_lines(600)
    for start in range(0, len(lines), 50):
        fast.feed(lines[start : start + 50], "src")
        slow.feed(lines[start : start + 50], "src")
    fs, ss = fast.snapshot(), slow.snapshot()
    for name in ("1m", "1h"):
        assert fs.window(name).top_paths == ss.window(name).top_paths
    # The ring in order; the slots' keys in any (the lanes count a batch in different orders).
    (fast_ring, fast_slots), (slow_ring, slow_slots) = kept_strings(fast), kept_strings(slow)
    assert fast_ring == slow_ring
    assert sorted(fast_slots) == sorted(slow_slots)


@pytest.mark.parametrize("lane", ["fast", "general"])
def test_a_payload_past_the_kept_length_is_still_flagged(lane: str) -> None:
    p = pipelines()[0 if lane == "fast" else 1]
    padded_traversal = "/static/" + "a" * 600 + "/../../../../etc/passwd"
    padded_injection = "/search"
    lines = [line(i, f"/page/{i}") for i in range(20)]
    lines.append(line(20, padded_traversal))
    lines.append(
        line(21, padded_injection, query="q=" + "b" * 600 + "%27%20UNION%20SELECT%20password")
    )
    p.feed(lines, "src")
    p.aggregator.settle_recent()
    verdicts = {rec.path: v for rec, v in p.aggregator.recent}
    assert verdicts[kept_path(padded_traversal)].probe
    assert verdicts[padded_injection].probe
    assert not verdicts["/page/3"].probe


def test_long_keys_stay_out_of_the_caches() -> None:
    p = pipelines()[0]
    p.feed(long_lines(900), "src")
    c = p.classifier
    for name, cache in (
        ("agents", c._agent_cache),
        ("paths", c._path_cache),
        ("queries", c._query_cache),
        ("request split", formats._request_cache),
    ):
        assert cache, name
        assert max(map(len, cache)) <= KEEP_TEXT, name
    lane = p._fast
    assert lane is not None
    for name, lane_cache in (
        ("lane requests", lane._requests),
        ("lane agents", lane._agents),
        ("lane tails", lane._tail_times),
    ):
        assert max(map(len, lane_cache)) <= KEEP_TEXT, name


def test_long_tails_are_judged_but_not_kept() -> None:
    p = pipelines()[0]
    tail = " " + " ".join(["0.001"] * 40)  # not nginx's times: the line goes the general way
    lines = [line(i, f"/page/{i % 3}") for i in range(30)]
    lines += [line(30 + i, "/tail") + f" {i}".encode() + tail.encode() for i in range(10)]
    p.feed(lines, "src")
    assert p.aggregator.parsed + p.aggregator.malformed == 40
    lane = p._fast
    assert lane is not None and lane._tail_times
    assert max(map(len, lane._tail_times)) <= fastlane._MAX_TAIL_KEPT


class _RecordingPattern:
    """Stands in for a compiled pattern, noting the length of each text it is given."""

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern = pattern
        self.lengths: list[int] = []

    def findall(self, text: str) -> list[Any]:
        self.lengths.append(len(text))
        return self.pattern.findall(text)


def test_a_tail_of_thousands_of_tokens_is_read_from_its_ends(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A raw quote in an agent makes the rest of the line the tail, and an attacker chooses it:
    # 5,000 quoted tokens took 8 ms a line. Real tails are a few hundred characters; a longer
    # one is read from its two ends, where its fields are.
    junk = " ".join(f'"{i}.{i}"' for i in range(5000))
    tokens = _RecordingPattern(formats._TAIL_TOKEN)
    monkeypatch.setattr(formats, "_TAIL_TOKEN", tokens)
    assert formats._parse_tail(f"{junk} 0.250 0.200") == (0.25, 0.2, None)
    assert formats._parse_tail(f' "203.0.113.9, 10.0.0.1" {junk}') == (
        None,
        None,
        "203.0.113.9, 10.0.0.1",
    )
    assert formats._parse_tail(f"{junk} 42ms")[0] == 0.042
    assert tokens.lengths and max(tokens.lengths) <= formats._MAX_TAIL + 1
    # A real tail is read whole.
    real = ' 0.004 0.003 "198.51.100.7, 10.1.2.3" "-" 17 "router@docker" "http://10.0.0.2:80" 3ms'
    assert formats._parse_tail(real) == (0.003, 0.003, "198.51.100.7, 10.1.2.3")


@pytest.mark.parametrize("lane", ["fast", "general"])
@pytest.mark.parametrize(
    "query",
    [
        # An ad click's id first: the tags past the cut.
        "gclid=" + "A" * 300 + "&utm_source=news&utm_campaign=spring",
        # The cut in the middle of the campaign's name ("news / spr…").
        "fbclid=" + "B" * 215 + "&utm_source=news&utm_campaign=spring&" + "c=" * 40,
    ],
    ids=["tags-past-the-cut", "tag-split-by-the-cut"],
)
def test_a_long_query_keeps_its_campaign(lane: str, query: str) -> None:
    p = pipelines()[0 if lane == "fast" else 1]
    p.feed([line(i, "/blog/post", query=query) for i in range(40)], "src")
    snap = p.snapshot(START + 100)
    assert snap.window("1h").top_campaigns == (("news / spring", 40),)
    p.aggregator.settle_recent()
    rec = p.aggregator.recent[-1][0]
    assert len(rec.query) <= KEEP_REQUEST and rec.query.startswith(query[:100])


def test_a_kept_query_reads_as_the_same_campaign_wherever_the_cut_falls() -> None:
    tags = "utm_campaign=" + "c" * 70 + "&utm_medium=mail&utm_source=" + "s" * 70
    for pad in range(100, 320):
        for query in ("x=" + "a" * pad + "&" + tags, tags + "&x=" + "a" * pad):
            kept = kept_query(query, KEEP_REQUEST, KEPT_MARK)
            assert len(kept) <= KEEP_REQUEST, pad
            assert campaign_of(kept) == campaign_of(query) == "s" * 64 + " / " + "c" * 64, pad


@pytest.mark.parametrize("lane", ["fast", "general"])
def test_long_404_paths_are_told_apart_but_not_kept_by_the_client_table(lane: str) -> None:
    """The behaviour table's distinct 404s per client (20 for each of 20,000 clients) held whole
    paths: 872 MB for 2 KB ones, against 158 MB for 100-character ones."""
    p = pipelines()[0 if lane == "fast" else 1]
    prefix = "/" + "p" * 600  # the same long start: still distinct paths
    lines = [line(i, f"{prefix}/{i}", status=404) for i in range(30)]
    p.feed([b"10.9.9.9" + text[text.index(b" ") :] for text in lines], "src")  # one client
    p.aggregator.settle_recent()
    classes = [v.cls for _, v in p.aggregator.recent]
    assert classes[:19] == ["human"] * 19 and set(classes[19:]) == {"bot"}
    held = [key for st in p.classifier.clients._table.values() for key in st[5] or ()]
    assert len(held) == 20
    assert all(not isinstance(key, str) or len(key) <= KEEP_REQUEST for key in held)


def test_the_lane_takes_long_requests_and_keeps_them_cut() -> None:
    # Requests past what is kept but within their cap (analytics beacons, signed URLs) went the
    # general way, each parsed again: slower than with no lane at all on such a log.
    fast = pipelines()[0]
    fast.feed(long_lines(30), "src")  # the lane made
    lane = fast._fast
    assert lane is not None
    parsed_again: list[str] = []
    general = lane.general

    def count_general(text: str, source: str) -> object:
        parsed_again.append(text)
        return general(text, source)

    lane.general = count_general  # type: ignore[assignment]
    beacons = [line(100 + i, "/matomo.php", query=beacon(i)) for i in range(200)]
    fast.feed(beacons, "src")
    assert parsed_again == []
    assert max(map(len, lane._requests)) <= KEEP_TEXT  # judged, not kept
    fast.aggregator.settle_recent()
    kept = [rec for rec, _ in fast.aggregator.recent if rec.path == "/matomo.php"]
    assert len(kept) >= 200
    assert {rec.request for rec in kept} == {""}
    assert max(len(rec.query) for rec in kept) <= KEEP_REQUEST
    snap = fast.snapshot()
    assert dict(snap.window("1h").top_campaigns)["news / fall"] == len(kept)


def test_a_request_with_no_path_keeps_its_cut_line() -> None:
    # A handshake's bytes or garbage: the request line is what the panels list and drill on.
    for p in pipelines():
        garbage = "\\x16\\x03\\x01" + "\\x00" * 300
        p.feed([line(0, "/").replace(b"GET / HTTP/1.1", garbage.encode())], "src")
        p.aggregator.settle_recent()
        (rec, _), *_ = p.aggregator.recent
        assert rec.path == "" and len(rec.request) == KEEP_REQUEST
        assert rec.request.endswith(KEPT_MARK)
        top = p.snapshot().window("1h").top_paths["all"]
        assert [row.path for row in top] == [rec.request]
