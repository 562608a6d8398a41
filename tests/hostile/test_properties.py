"""Property tests: any bytes become a request or a counted malformed line, never an exception.

For every built-in format (and compiled nginx/Apache format strings) and for arbitrary bytes,
line-shaped garbage and JSON-shaped garbage:
- `Pipeline.feed` never raises, and `lines == parsed + malformed` after every feed;
- every non-blank line is counted exactly once (blank lines are skipped by design);
- a parsed Record carries only clean, capped strings and a timestamp `datetime` can hold;
- the classifier gives one of the three classes for any Record, and the aggregator's snapshot of
  any mix of requests and malformed lines is consistent and JSON-serialisable.
"""

from __future__ import annotations

import json
import math
import os
from datetime import UTC, datetime

from hostile_util import ESCAPES, FORBIDDEN, MARKUP
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from logwatch import sanitize
from logwatch.classify import PROBE_FAMILIES, Classifier
from logwatch.ingest.formats import FORMAT_NAMES, get_format
from logwatch.model import BOT_CATEGORIES, CLASSES, Record, Verdict
from logwatch.pipeline import Pipeline
from logwatch.stats.aggregator import Aggregator, StatsConfig

# Random in development (to find new bugs), fixed under CI (so a submission's run is
# reproducible: a new counterexample shows up on a developer's machine, not as a flaky CI).
SETTINGS = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=bool(os.environ.get("CI")),
)
# JSON values are costly to generate; fewer examples still reach every branch of the extractors.
FEWER = settings(SETTINGS, max_examples=40)

# One classifier for the whole module: building the agent automaton takes a while, and feeding
# one classifier many unrelated lines is itself a good test of its bounded state.
CLASSIFIER = Classifier()

NGINX_SPEC = (
    '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent '
    '"$http_referer" "$http_user_agent" $request_time'
)
APACHE_SPEC = '%h %l %u %t \\"%r\\" %>s %b \\"%{Referer}i\\" \\"%{User-Agent}i\\" %D'
FORMAT_SPECS = (*FORMAT_NAMES, NGINX_SPEC, APACHE_SPEC)

# Text drawn from everything, with the nasty cases weighted in.
nasty_text = st.one_of(
    st.text(max_size=80),
    st.sampled_from(MARKUP + ESCAPES),
    st.text(alphabet=st.sampled_from('"\\ []%,{}\x00\x1b\x9b\u202e\n\r\t'), max_size=60),
    st.just("a" * 3000),
)


def nonblank(lines: list[bytes]) -> int:
    """Lines the pipeline must count: all but empty and whitespace-only ones (skipped by design;
    NBSP and friends are whitespace too, once decoded)."""
    n = 0
    for raw in lines:
        if raw[-1:] == b"\r":
            raw = raw[:-1]
        # Controls are escaped before the blank check, so b"\x1c" (whitespace to Python) counts.
        text = FORBIDDEN.sub("X", raw.decode("utf-8", "replace"))
        if text and not text.isspace():
            n += 1
    return n


def check_record(rec: Record) -> None:
    for name in ("client", "method", "path", "query", "protocol", "referrer", "user_agent"):
        value = getattr(rec, name)
        assert isinstance(value, str)
        assert FORBIDDEN.search(value) is None, (name, value)
    for name in ("vhost", "cache_status", "forwarded_for"):
        value = getattr(rec, name)
        assert value is None or FORBIDDEN.search(value) is None, (name, value)
    assert len(rec.path) <= sanitize.MAX_PATH
    assert len(rec.query) <= sanitize.MAX_QUERY
    assert len(rec.user_agent) <= sanitize.MAX_AGENT
    assert len(rec.referrer) <= sanitize.MAX_REFERRER
    assert len(rec.client) <= sanitize.MAX_FIELD
    assert len(rec.request) <= sanitize.MAX_PATH
    assert math.isfinite(rec.ts)
    rec.time  # noqa: B018 - must not raise: the report and the UI format every timestamp
    datetime.fromtimestamp(rec.ts, UTC)
    for t in (rec.request_time, rec.upstream_time):
        assert t is None or (math.isfinite(t) and t >= 0)
    assert rec.size is None or rec.size >= 0


def feed_and_check(spec: str, lines: list[bytes]) -> Pipeline:
    seen: list[Record] = []
    p = Pipeline(get_format(spec), classifier=CLASSIFIER, observers=[lambda r, v: seen.append(r)])
    p.feed(lines, "fuzz")
    a = p.aggregator
    assert a.lines == a.parsed + a.malformed
    assert a.lines == nonblank(lines)
    assert a.parsed == len(seen)
    for rec in seen:
        check_record(rec)
    return p


@SETTINGS
@given(spec=st.sampled_from(FORMAT_SPECS), lines=st.lists(st.binary(max_size=300), max_size=8))
def test_any_bytes_are_counted_never_raised(spec: str, lines: list[bytes]) -> None:
    # Sources split on newlines: a line handed to the pipeline never holds one.
    feed_and_check(spec, [x for line in lines for x in line.split(b"\n")])


clf_line = st.builds(
    lambda client, user, when, method, path, proto, status, size, ref, agent, tail: (
        f'{client} - {user} [{when}] "{method} {path} {proto}" {status} {size} '
        f'"{ref}" "{agent}"{tail}'
    ).encode("utf-8", "surrogatepass"),
    client=st.one_of(st.just("203.0.113.9"), st.just("10.0.0.1, 10.0.0.2"), nasty_text),
    user=st.one_of(st.just("-"), nasty_text),
    when=st.one_of(
        st.just("10/Oct/2026:13:55:36 +0000"),
        st.just("01/Jan/0001:00:00:00 +1400"),
        st.just("31/Dec/9999:23:59:59 -1400"),
        st.just("99/Zzz/2026:99:99:99 +9999"),
        nasty_text,
    ),
    method=st.one_of(st.sampled_from(["GET", "POST", "CONNECT", "PROPFIND", "get"]), nasty_text),
    path=st.one_of(st.just("/"), st.just("/%2e%2e/%252e%252e/etc/passwd"), nasty_text),
    proto=st.one_of(st.just("HTTP/1.1"), nasty_text),
    status=st.one_of(st.integers(-5, 1200), st.just("-"), nasty_text),
    size=st.one_of(st.integers(0, 10**25), st.just("-"), nasty_text),
    ref=st.one_of(st.just("-"), nasty_text),
    agent=st.one_of(st.just("Googlebot/2.1 (+http://www.google.com/bot.html)"), nasty_text),
    tail=st.one_of(
        st.just(""),
        st.just(' 0.012 0.010 "1.2.3.4, 5.6.7.8"'),
        st.just(" 1.5e400 inf nan -1.0 42ms"),
        nasty_text.map(lambda t: " " + t),
    ),
)


@SETTINGS
@given(
    spec=st.sampled_from(("combined", "common", "combined_extra", "vhost_combined", NGINX_SPEC)),
    lines=st.lists(clf_line, min_size=1, max_size=6),
)
def test_line_shaped_garbage_is_counted_and_records_are_clean(
    spec: str, lines: list[bytes]
) -> None:
    # A raw line cannot hold a newline: the source splits on it first.
    feed_and_check(spec, [x for line in lines for x in line.split(b"\n")])


json_scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**30), 10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    nasty_text,
)
json_value = st.recursive(
    json_scalar,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=10), inner, max_size=3)
    ),
    max_leaves=8,
)
json_keys = st.sampled_from(
    [
        "remote_addr",
        "time_iso8601",
        "time",
        "msec",
        "ts",
        "request",
        "request_method",
        "request_uri",
        "status",
        "body_bytes_sent",
        "http_referer",
        "http_user_agent",
        "request_time",
        "upstream_response_time",
        "host",
        "http_x_forwarded_for",
        "request",
        "duration",
        "size",
        "DownstreamStatus",
        "StartUTC",
        "Duration",
        "ClientRequestURI",
        "EdgeStartTimestamp",
        "OriginResponseDurationMs",
    ]
)
json_line = st.builds(
    lambda base, extra: json.dumps({**base, **extra}, ensure_ascii=False).encode(
        "utf-8", "surrogatepass"
    ),
    base=st.fixed_dictionaries(
        {
            "status": st.one_of(st.just(200), json_scalar),
            "time_iso8601": st.one_of(st.just("2026-10-10T13:55:36+00:00"), json_scalar),
        }
    ),
    extra=st.dictionaries(json_keys, json_value, max_size=8),
)


@FEWER
@given(
    spec=st.sampled_from(("nginx_json", "json", "caddy", "traefik", "cloudflare")),
    lines=st.lists(json_line, min_size=1, max_size=6),
)
def test_json_shaped_garbage_is_counted_and_records_are_clean(
    spec: str, lines: list[bytes]
) -> None:
    feed_and_check(spec, lines)


def test_known_killers_are_counted() -> None:
    """Lines that once hung or crashed the parser (kept as plain examples)."""
    p = feed_and_check(
        "nginx_json",
        [
            b'{"status":200,"time":1e400}',
            b'{"status":200,"msec":"Infinity"}',
            b'{"status":200,"time_iso8601":"2026-10-10T13:55:36+00:00","body_bytes_sent":1e400}',
            b'{"status":200,"time_iso8601":"2026-10-10T13:55:36+00:00","request_time":Infinity}',
            b'{"status":200,"time_iso8601":"2026-10-10T13:55:36+00:00","size":1'
            + b"0" * 400
            + b"}",
            b"[" * 100_000,
        ],
    )
    assert p.aggregator.lines == 6
    q = feed_and_check(
        "combined",
        [
            b'1.2.3.4 - - [01/Jan/0001:00:00:00 +1400] "GET / HTTP/1.1" 200 1 "-" "x"',
            b'1.2.3.4 - - [31/Dec/9999:23:59:59 -1400] "GET / HTTP/1.1" 200 1 "-" "x"',
        ],
    )
    assert q.aggregator.malformed_reasons == {"bad timestamp": 2}


records = st.builds(
    Record,
    ts=st.floats(0, 4e9),
    client=nasty_text,
    method=nasty_text,
    path=nasty_text,
    query=nasty_text,
    protocol=nasty_text,
    status=st.integers(-1000, 100_000),
    size=st.one_of(st.none(), st.integers(0, 10**12)),
    referrer=nasty_text,
    user_agent=nasty_text,
    request=nasty_text,
    vhost=st.one_of(st.none(), nasty_text),
    request_time=st.one_of(st.none(), st.floats(0, 1e12)),
)


@SETTINGS
@given(rec=records)
def test_classifier_gives_one_class_for_any_record(rec: Record) -> None:
    v = CLASSIFIER.classify(rec)
    assert isinstance(v, Verdict)
    assert v.cls in CLASSES
    assert v.bot_category is None or v.bot_category in BOT_CATEGORIES
    assert set(v.probe_rules) <= set(PROBE_FAMILIES)
    assert all(isinstance(r, str) for r in v.reasons)
    if v.probe:
        assert v.cls == "bot"


@FEWER
@given(
    items=st.lists(
        st.one_of(records, st.tuples(st.sampled_from(["bad JSON", "x" * 500]), nasty_text)),
        max_size=40,
    )
)
def test_aggregator_counts_any_mix_and_snapshots_cleanly(items: list) -> None:
    agg = Aggregator(StatsConfig(top_k=8, slot_top_k=4, recent=16, probe_clients=4, examples=3))
    parsed = malformed = 0
    for item in items:
        if isinstance(item, Record):
            agg.add(item, CLASSIFIER.classify(item))
            parsed += 1
        else:
            agg.add_malformed(*item)
            malformed += 1
    for now in (None, 4.1e9):
        snap = agg.snapshot(now)
        assert snap.lines == snap.parsed + snap.malformed == len(items)
        assert snap.parsed == parsed and snap.malformed == malformed
        assert snap.totals.requests == parsed
        assert sum(snap.totals.classes.values()) == parsed
        assert len(snap.recent) <= 16 and len(snap.malformed_examples) <= 3
        json.dumps(snap.to_json())
