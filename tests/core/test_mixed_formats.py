"""Logs with a second shape of line: a Caddy log read beside nginx's, two vhosts' formats in one
file. A line the detected format does not read is read by another known format if one does, so
no good line is lost as malformed, and the answer depends on the line alone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from logwatch.classify import Classifier
from logwatch.cli import main
from logwatch.explain import explain_lines
from logwatch.ingest import backfill
from logwatch.ingest.formats import detect_format, get_format
from logwatch.pipeline import Pipeline

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


@pytest.fixture
def classified(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """The records this process runs through the whole classifier (the fast lane does not)."""
    seen: list[object] = []
    classify = Classifier.classify

    def counting(self: Classifier, rec: object) -> object:
        seen.append(rec)
        return classify(self, rec)  # type: ignore[arg-type]

    monkeypatch.setattr(Classifier, "classify", counting)
    return seen


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


def test_junk_is_malformed_by_the_first_formats_reason_and_nothing_is_learned() -> None:
    p = Pipeline(get_format("combined"))
    feed(p, [combined(1), "junk one", '{"not": "a request"}', "[junk] two", combined(2)])
    snap = p.snapshot()
    assert snap.lines == 5 and snap.parsed == 2 and snap.other_formats == {}
    assert snap.malformed_reasons == {"does not match combined": 3}


def test_what_a_line_is_does_not_depend_on_the_lines_before_it_or_on_snapshots() -> None:
    """Junk before a second format, a snapshot in the middle of it: the same figures as the
    second format's lines read alone after the first's."""
    lines = [combined(i) for i in range(200)] + [f"junk {i}" for i in range(8)]
    lines += [caddy(i) for i in range(40)]
    once = Pipeline(get_format("combined"))
    feed(once, lines)
    ticked = Pipeline(get_format("combined"))
    for start in range(0, len(lines), 33):
        feed(ticked, lines[start : start + 33])
        ticked.snapshot()
    for snap in (once.snapshot(), ticked.snapshot()):
        assert (snap.parsed, snap.malformed, snap.other_formats) == (240, 8, {"caddy": 40})


def test_a_second_format_that_logs_agents_is_judged_as_logging_them() -> None:
    """The classifier judges an empty agent by whether the format logs agents: beside a
    common log (no agents) a Caddy line with no User-Agent is the agentless bot it is."""
    line = json.loads(caddy(3))
    del line["request"]["headers"]
    common = combined(1).rsplit(' "-"', 1)[0]
    p = Pipeline(get_format("common"))
    feed(p, [common, json.dumps(line)])
    snap = p.snapshot()
    assert snap.other_formats == {"caddy": 1}
    assert snap.totals.classes["human"] == 1 and snap.totals.classes["bot"] == 1
    assert not p.classifier.agents_logged  # the run's own setting stands


def test_explain_reads_the_second_format_as_report_does() -> None:
    out = list(explain_lines([combined(1), caddy(2), "junk"], get_format("combined"), Classifier()))
    assert [r["malformed"] for r in out] == [False, False, True]
    assert "format" not in out[0] and out[1]["format"] == "caddy"
    assert out[1]["client"] == "198.51.100.2"


def test_a_split_read_counts_like_one_pass(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(backfill, "PARALLEL_MIN_BYTES", 100_000)
    log = tmp_path / "mixed.log"
    rows = [caddy(i) if i % 10 == 3 else combined(i) for i in range(6_000)]
    rows[100:100] = [f"junk {i}" for i in range(8)]  # junk first changes nothing
    log.write_text("\n".join(rows) + "\n")
    figures = []
    for jobs in ("1", "2"):
        assert main(["report", "--json", "--jobs", jobs, str(log)]) == 0
        out = json.loads(capsys.readouterr().out)
        figures.append(
            (out["parsed"], out["malformed"]["count"], out["other_formats"], out["status"])
        )
    assert figures[0] == figures[1]
    assert figures[0][:3] == (6_000, 8, {"caddy": 600})
    assert main(["report", str(log)]) == 0
    assert "format     combined, caddy (600 lines)" in capsys.readouterr().out


def test_bunkerweb_is_detected_by_name() -> None:
    found = detect_format([bunkerweb(i) for i in range(10)])
    assert found is not None and found.format.name == "bunkerweb" and found.matched == 10
    rec = get_format("bunkerweb").parse(bunkerweb(7))
    assert not isinstance(rec, str) and rec.client == "192.0.2.7" and rec.path == "/page7"


def common(i: int) -> str:
    return combined(i).rsplit(' "-"', 1)[0]


def test_each_file_is_read_as_its_own_format(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A common log after a combined one: its lines log no agent, and must not be judged as
    agentless bots because the run's first file logged agents."""
    first, second = tmp_path / "a.log", tmp_path / "b.log"
    first.write_text("\n".join(combined(i) for i in range(10)) + "\n")
    second.write_text("\n".join(common(i) for i in range(20)) + "\n")
    assert main(["report", "--json", str(first), str(second)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["format"] == "combined" and out["other_formats"] == {"common": 20}
    assert out["classes"]["bot"] == 0 and out["parsed"] == 30


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_big_file_after_one_in_another_format_takes_its_fast_lane(
    jobs: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    classified: list[object],
) -> None:
    """A Caddy log first made every nginx line of the next file fail Caddy's parse and go the
    long way, line by line: 2.4x the time on 1M lines."""
    monkeypatch.setattr(backfill, "PARALLEL_MIN_BYTES", 100_000)
    first, second = tmp_path / "caddy.log", tmp_path / "nginx.log"
    first.write_text("\n".join(caddy(i) for i in range(10)) + "\n")
    second.write_text("\n".join(combined(i) for i in range(5_000)) + "\n")
    assert main(["report", "--json", "--jobs", jobs, str(first), str(second)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["format"] == "caddy" and out["other_formats"] == {"combined": 5_000}
    assert out["parsed"] == 5_010
    if jobs == "1":  # (workers classify in their own processes)
        assert len(classified) < 100


def test_a_head_one_request_line_in_is_no_format_however_it_is_read(tmp_path: Path) -> None:
    """The pipeline's two ways to detect (a file's head, the lines fed) judge alike: an error
    log that quotes one request line is not an access log. Its head read first (as `report`
    now does for every file) made it `combined`, 13 of 14 lines malformed."""
    from logwatch.ingest.formats import FormatError

    lines = [f"2021/12/01 13:53:{i:02d} [error] 31#31: *46 open() failed" for i in range(13)]
    lines.append(combined(1))
    with pytest.raises(FormatError):
        Pipeline().detect(lines)
    fed = Pipeline()
    feed(fed, lines)
    with pytest.raises(FormatError):
        fed.flush()


async def test_following_reads_each_source_as_its_own_format(
    tmp_path: Path, classified: list[object]
) -> None:
    """The engine (dashboard, --headless): a Caddy log and an nginx log followed together.
    The nginx lines went the line-by-line fallback, each one through the whole classifier."""
    import asyncio

    from logwatch.engine import EngineOptions, LiveEngine

    first, second = tmp_path / "caddy.log", tmp_path / "nginx.log"
    # The run's format is Caddy's: the files' heads are read in order, 256 lines in all.
    first.write_text("\n".join(caddy(i) for i in range(300)) + "\n")
    second.write_text("\n".join(combined(i) for i in range(3_000)) + "\n")
    options = EngineOptions(paths=[str(first), str(second)], since=None, tick=0.2, follow=False)
    engine = LiveEngine(options)
    await asyncio.wait_for(engine.run(), 60)
    snap = engine.latest
    assert snap is not None and snap.parsed == snap.lines == 3_300
    assert snap.format == "caddy" and snap.other_formats == {"combined": 3_000}
    assert len(classified) < 300 + 100  # Caddy's lines, and few of nginx's


def report_json(capsys: pytest.CaptureFixture[str], *paths: Path) -> dict:
    assert main(["report", "--json", *map(str, paths)]) == 0
    return json.loads(capsys.readouterr().out)


def test_a_lane_swapped_back_in_judges_agents_as_its_format_logs_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """After a common log, the second combined file reused the combined lane set aside after
    the first, with the run's "no agents logged": its empty-agent bots counted as people."""
    logs = [tmp_path / name for name in ("common.log", "a.log", "b.log")]
    logs[0].write_text("\n".join(common(i) for i in range(100)) + "\n")
    logs[1].write_text("\n".join(combined(i) for i in range(100)) + "\n")
    agentless = [combined(i).replace(f'"{UA}"', '""') for i in range(0, 100, 5)]
    logs[2].write_text("\n".join(agentless + [combined(i) for i in range(80)]) + "\n")
    assert report_json(capsys, logs[0], logs[2])["classes"]["bot"] == 20
    assert report_json(capsys, *logs)["classes"]["bot"] == 20


def test_warming_on_another_format_leaves_the_callers_setting() -> None:
    classifier = Classifier()
    classifier.agents_logged = True
    backfill.warm_lines(classifier, get_format("common"), [common(1).encode()], None)
    assert classifier.agents_logged


def test_a_first_file_whose_head_fits_nothing_is_judged_with_the_next(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two restart notices, then a real log: the first head alone fits no format, and the
    report stopped with exit 2 where the lines of both files decide together."""
    junk, log = tmp_path / "junk.log", tmp_path / "access.log"
    junk.write_text("-- server restarted --\n-- log rotated --\n")
    log.write_text("\n".join(combined(i) for i in range(200)) + "\n")
    out = report_json(capsys, junk, log)
    assert out["parsed"] == 200 and out["malformed"]["count"] == 2


def test_lines_in_the_runs_own_format_are_not_counted_apart(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Caddy lines inside an nginx file, in a run whose first file is Caddy's, showed as
    `caddy, caddy (20 lines)`."""
    first, mixed = tmp_path / "caddy.log", tmp_path / "nginx.log"
    first.write_text("\n".join(caddy(i) for i in range(10)) + "\n")
    mixed.write_text("\n".join(combined(i) if i % 10 else caddy(i) for i in range(200)) + "\n")
    out = report_json(capsys, first, mixed)
    assert out["format"] == "caddy" and out["other_formats"] == {"combined": 180}
    assert out["parsed"] == 210


async def test_following_since_searches_each_file_by_its_own_dates(tmp_path: Path) -> None:
    """The follower searched a Caddy log for the last hour with nginx's dates, found none it
    could read, and skipped its recent lines; `report --since` read them."""
    import asyncio
    import time

    from logwatch.engine import EngineOptions, LiveEngine

    now = int(time.time())
    stamps = [now - 7200 + i for i in range(100)] + [now - 600 + i for i in range(100)]
    nginx, caddy_log = tmp_path / "nginx.log", tmp_path / "caddy.log"
    clock = "[10/Oct/2026:13:{:02d}:{:02d} +0000]"
    nginx.write_text(
        "\n".join(
            combined(i).replace(
                clock.format(i // 60 % 60, i % 60),
                time.strftime("[%d/%b/%Y:%H:%M:%S +0000]", time.gmtime(ts)),
            )
            for i, ts in enumerate(stamps)
        )
        + "\n"
    )
    rows = [json.loads(caddy(i)) for i in range(200)]
    caddy_log.write_text(
        "\n".join(json.dumps({**row, "ts": ts}) for row, ts in zip(rows, stamps, strict=True))
        + "\n"
    )
    options = EngineOptions(
        paths=[str(nginx), str(caddy_log)], since=3600, tick=0.2, follow=False, parallel_jobs=1
    )
    engine = LiveEngine(options)
    await asyncio.wait_for(engine.run(), 60)
    assert engine.latest is not None and engine.latest.parsed == 200
    assert engine.latest.other_formats == {"caddy": 100}
