"""An IPv6 client is one client however the log spells it (case, zero compression, brackets,
IPv4-mapped), in the behaviour table, the top clients and the probing clients, on the fast
lane and the general path alike; IPv4, hostnames and garbage are kept as written."""

from __future__ import annotations

import json

import pytest

from logwatch.classify import Classifier
from logwatch.explain import explain_lines
from logwatch.ingest.backfill import warm_lines
from logwatch.ingest.clients import normal_client
from logwatch.ingest.formats import get_format
from logwatch.pipeline import Pipeline

SPELLINGS = ("2001:DB8::1", "2001:db8::1", "2001:0db8:0:0:0:0:0:1", "[2001:db8::1]")


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("2001:DB8::A", "2001:db8::a"),
        ("2001:0db8:0000::0001", "2001:db8::1"),
        ("[2001:db8::1]", "2001:db8::1"),
        ("::FFFF:192.0.2.7", "192.0.2.7"),
        ("192.0.2.7", "192.0.2.7"),
        ("crawler.example.com", "crawler.example.com"),
        ("Not:An:Address", "Not:An:Address"),
        ("192.0.2.7:8080", "192.0.2.7:8080"),
        ("-", "-"),
        ("", ""),
        ("x:" * 100, "x:" * 100),  # longer than is cached: still kept as written
    ],
)
def test_normal_client(given: str, kept: str) -> None:
    assert normal_client(given) == kept


def _line(client: str, i: int, path: str = "/page") -> bytes:
    return (
        f'{client} - - [10/Oct/2026:13:55:{i % 60:02d} +0000] "GET {path} HTTP/1.1" 404 153 '
        '"-" "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"'
    ).encode()


@pytest.mark.parametrize("fast_lane", [True, False])
def test_one_client_whatever_the_spelling(fast_lane: bool) -> None:
    pipeline = Pipeline(get_format("combined"), fast_lane=fast_lane)
    pipeline.lane_min_lines = 1
    lines = [_line(SPELLINGS[i % len(SPELLINGS)], i, f"/p{i}") for i in range(40)]
    lines.append(_line("2001:DB8::1", 41, "/.env"))  # a probe: the probing clients' table
    lines += [_line("192.0.2.7", 42), _line("crawler.example.com", 43)]
    pipeline.feed(lines, "src")
    assert (pipeline._fast is not None) == fast_lane
    snap = pipeline.snapshot()
    clients = {c.client: c.hits for c in snap.totals.top_clients}
    assert clients == {"2001:db8::1": 41, "192.0.2.7": 1, "crawler.example.com": 1}
    assert [p.client for p in snap.totals.probes] == ["2001:db8::1"]
    assert set(pipeline.classifier.clients._table) == set(clients)
    assert {r.client for r, _ in snap.recent} == set(clients)


def test_explain_keys_the_same_client() -> None:
    results = list(explain_lines([_line(c, i) for i, c in enumerate(SPELLINGS)]))
    assert {json.dumps(r["client"]) for r in results} == {'"2001:db8::1"'}


def test_warming_learns_one_client() -> None:
    """A backfill worker warms its behaviour table on the bytes before its range."""
    classifier = Classifier()
    warm_lines(
        classifier, get_format("combined"), [_line(c, i) for i, c in enumerate(SPELLINGS)], None
    )
    assert set(classifier.clients._table) == {"2001:db8::1"}
