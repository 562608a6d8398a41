"""Logs with a second shape of line: a Caddy log read beside nginx's, two vhosts' formats in one
file. Lines the detected format does not take are held a few at a time; a format that reads
them is learned beside the first, so no good line is lost as malformed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from logwatch import pipeline as pipeline_module
from logwatch.cli import main
from logwatch.ingest import backfill
from logwatch.ingest.formats import detect_format, get_format
from logwatch.pipeline import HOLD_BACKOFF, HOLD_LINES, Pipeline

UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36"


def combined(i: int) -> str:
    return (
        f"192.0.2.{i % 200} - - [10/Oct/2026:13:{i // 60 % 60:02d}:{i % 60:02d} +0000] "
        f'"GET /page{i % 9} HTTP/1.1" 200 512 "-" "{UA}"'
    )


def caddy(i: int) -> str:
    return json.dumps(
        {
            "level": "info",
            "ts": 1_791_640_000 + i,
            "logger": "http.log.access",
            "msg": "handled request",
            "request": {
                "remote_ip": f"198.51.100.{i % 200}",
                "proto": "HTTP/2.0",
                "method": "GET",
                "host": "example.org",
                "uri": f"/doc{i % 5}",
                "headers": {"User-Agent": [UA]},
            },
            "status": 404 if i % 4 == 0 else 200,
            "size": 100,
            "duration": 0.01,
        }
    )


def vhost(i: int) -> str:
    return "example.com " + combined(i)


def bunkerweb(i: int) -> str:
    head, _, rest = combined(i).partition(" - - ")
    return f"example.com {head} - req{i:04d} - {rest}"


def feed(p: Pipeline, lines: list[str], source: str = "a.log") -> None:
    p.feed_block("\n".join(lines).encode(), source)


@pytest.mark.parametrize("fast_lane", [True, False])
def test_a_caddy_log_after_an_nginx_log_is_read_too(fast_lane: bool) -> None:
    p = Pipeline(fast_lane=fast_lane)
    feed(p, [combined(i) for i in range(300)], "nginx.log")
    feed(p, [caddy(i) for i in range(100)], "caddy.log")
    snap = p.snapshot()
    assert snap.format == "combined" and snap.other_formats == {"caddy": 100}
    assert snap.lines == snap.parsed == 400 and snap.malformed == 0
    assert snap.totals.status == {"2xx": 375, "3xx": 0, "4xx": 25, "5xx": 0}
    assert {s: r["requests"] for s, r in snap.by_source().items()} == {
        "nginx.log": 300,
        "caddy.log": 100,
    }


@pytest.mark.parametrize("fast_lane", [True, False])
def test_two_line_shapes_interleaved_in_one_file(fast_lane: bool) -> None:
    """BunkerWeb's lines beside plain vhost_combined ones (crowdsec's fixtures mix them)."""
    lines = [bunkerweb(i) if i % 3 else vhost(i) for i in range(600)]
    p = Pipeline(fast_lane=fast_lane)
    p.detect(lines[:64])
    feed(p, lines)
    snap = p.snapshot()
    assert snap.format == "bunkerweb" and snap.other_formats == {"vhost_combined": 200}
    assert snap.lines == snap.parsed == 600


def test_a_few_unfit_lines_are_counted_at_the_snapshot() -> None:
    """Held lines are lines read: a snapshot counts them, whatever they turn out to be."""
    p = Pipeline(get_format("combined"))
    feed(p, [combined(1), "junk one", caddy(2)])
    snap = p.snapshot()
    assert snap.lines == 3 and snap.parsed == 2 and snap.malformed == 1
    assert snap.malformed_reasons == {"does not match combined": 1}
    assert snap.other_formats == {"caddy": 1}
    # A format is learned from held lines only when it reads at least half of them.
    p = Pipeline(get_format("combined"))
    feed(p, [combined(1), "junk one", caddy(2), "junk two"])
    snap = p.snapshot()
    assert snap.lines == 4 and snap.parsed == 1 and snap.other_formats == {}


def test_junk_is_not_searched_for_a_format_line_by_line(monkeypatch: pytest.MonkeyPatch) -> None:
    """After a hold that no format reads, unfit lines are counted straight away for a while,
    longer at each miss: a flood of junk costs a handful of detections."""
    calls = []

    def counting_detect(sample: list[str], max_lines: int = 64) -> object:
        calls.append(len(sample))
        return detect_format(sample, max_lines)

    monkeypatch.setattr(pipeline_module, "detect_format", counting_detect)
    p = Pipeline(get_format("combined"))
    n = 10_000
    feed(p, [f"junk line {i} that no format reads" for i in range(n)])
    snap = p.snapshot()
    assert snap.malformed == n and snap.other_formats == {}
    # Holds of 8, then 64, 128, 256, ... junk lines counted between them.
    assert len(calls) <= 1 + (n // (HOLD_LINES + HOLD_BACKOFF)).bit_length() + 1
    # A second format showing up later is still learned.
    feed(p, [caddy(i) for i in range(p._unheld + 2 * HOLD_LINES)])
    assert "caddy" in p.snapshot().other_formats


def test_a_format_that_logs_no_agent_is_not_learned_beside_one_that_does() -> None:
    """The classifier judges an empty agent by whether the format logs agents: common lines
    read beside caddy's would all look like agentless bots."""
    p = Pipeline(get_format("caddy"))
    common = [combined(i).rsplit(' "-"', 1)[0] for i in range(20)]
    feed(p, [caddy(i) for i in range(10)] + common)
    snap = p.snapshot()
    assert snap.parsed == 10 and snap.malformed == 20 and snap.other_formats == {}


def test_a_split_read_learns_in_every_piece_and_counts_like_one_pass(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(backfill, "PARALLEL_MIN_BYTES", 100_000)
    log = tmp_path / "mixed.log"
    log.write_text("\n".join(caddy(i) if i % 10 == 3 else combined(i) for i in range(6_000)) + "\n")
    figures = []
    for jobs in ("1", "2"):
        assert main(["report", "--json", "--jobs", jobs, str(log)]) == 0
        out = json.loads(capsys.readouterr().out)
        figures.append((out["parsed"], out["other_formats"], out["status"]))
    assert figures[0] == figures[1]
    assert figures[0][0] == 6_000 and figures[0][1] == {"caddy": 600}
    assert main(["report", str(log)]) == 0
    assert "format     combined, caddy (600 lines)" in capsys.readouterr().out


def test_bunkerweb_is_detected_by_name() -> None:
    found = detect_format([bunkerweb(i) for i in range(10)])
    assert found is not None and found.format.name == "bunkerweb" and found.matched == 10
    rec = get_format("bunkerweb").parse(bunkerweb(7))
    assert not isinstance(rec, str) and rec.client == "192.0.2.7" and rec.path == "/page7"
