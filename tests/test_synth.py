"""The synthetic traffic generator: deterministic, well-formed per format, realistically mixed."""

from __future__ import annotations

import json
import random
import re
from collections import Counter

import pytest

from logwatch import synth

CLF = (
    rb"(?P<ip>[0-9a-f.:]+) - - \[(?P<ts>\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d \+0000)\] "
    rb'"(?P<req>[^"]*)" (?P<status>\d{3}) (?P<size>\d+|-)'
)
COMBINED = CLF + rb' "(?P<ref>[^"]*)" "(?P<ua>[^"]*)"'
SHAPES = {
    "common": re.compile(CLF + rb"\n\Z"),
    "combined": re.compile(COMBINED + rb"\n\Z"),
    "combined_rt": re.compile(COMBINED + rb" \d+\.\d{3} (\d+\.\d{3}|-)\n\Z"),
    "vhost_combined": re.compile(rb"[a-z.]+:(80|443) " + COMBINED + rb"\n\Z"),
}
JSON_KEYS = {
    "caddy_json": {"level", "ts", "logger", "msg", "request", "duration", "size", "status"},
    "traefik_json": {
        "ClientHost",
        "RequestMethod",
        "RequestPath",
        "RequestProtocol",
        "DownstreamStatus",
        "DownstreamContentSize",
        "RequestHost",
        "Duration",
        "StartUTC",
    },
    "nginx_json": {"remote_addr", "time_iso8601", "request", "status", "body_bytes_sent"},
}


def lines(n: int = 3000, **kw: object) -> list[bytes]:
    return list(synth.generate(n, **kw))  # type: ignore[arg-type]


@pytest.mark.parametrize("fmt", synth.FORMATS)
def test_same_seed_same_bytes_and_other_seed_differs(fmt: str) -> None:
    assert lines(500, fmt=fmt, seed=5) == lines(500, fmt=fmt, seed=5)
    assert lines(500, fmt=fmt, seed=5) != lines(500, fmt=fmt, seed=6)


@pytest.mark.parametrize("fmt", synth.FORMATS)
def test_exact_line_count_and_newlines(fmt: str) -> None:
    out = lines(777, fmt=fmt)
    assert len(out) == 777
    assert all(line.endswith(b"\n") and line.count(b"\n") == 1 for line in out)


@pytest.mark.parametrize("fmt", sorted(SHAPES))
def test_text_formats_match_their_shape(fmt: str) -> None:
    shape = SHAPES[fmt]
    bad = [line for line in lines(3000, fmt=fmt) if not shape.match(line)]
    assert bad == []


@pytest.mark.parametrize("fmt", sorted(JSON_KEYS))
def test_json_formats_parse_and_carry_their_keys(fmt: str) -> None:
    for line in lines(2000, fmt=fmt):
        obj = json.loads(line)
        assert JSON_KEYS[fmt] <= obj.keys(), line
    caddy = json.loads(lines(1, fmt="caddy_json")[0])
    assert {"remote_ip", "client_ip", "method", "uri", "headers"} <= caddy["request"].keys()


def test_timestamps_start_at_start_rise_and_follow_the_rate() -> None:
    out = lines(20_000, fmt="nginx_json", start=synth.DEFAULT_START, rate=2.0)
    stamps = [json.loads(line)["time_iso8601"] for line in out]
    assert stamps[0] == "2026-10-10T00:00:00+00:00"
    assert stamps == sorted(stamps)
    # 20,000 lines at 2 per second: about 2 h 47 min.
    assert "2026-10-10T02:2" <= stamps[-1] <= "2026-10-10T03:1"


def test_class_mix_has_humans_assets_every_bot_category_and_probes() -> None:
    text = b"".join(lines(30_000, fmt="combined"))
    assert text.count(b".css HTTP") > 100 and text.count(b".woff2 HTTP") > 10
    assert b"Build/AP3A.240617.008" in text and b"SogouMSE" in text
    assert b"utm_source=" in text and b"utm_campaign=" in text
    for agent in (
        b"Googlebot",
        b"bingbot",
        b"GPTBot",
        b"ClaudeBot",
        b"CCBot",
        b"PerplexityBot",
        b"AhrefsBot",
        b"SemrushBot",
        b"facebookexternalhit",
        b"Twitterbot",
        b"Slackbot-LinkExpanding",
        b"UptimeRobot",
        b"kube-probe",
        b"Feedly",
        b"curl/",
        b"python-requests",
        b"Go-http-client",
    ):
        assert agent in text, agent
    for probe in (
        b"/.env",
        b"/.git/config",
        b'/wp-login.php HTTP/1.1" 404',
        b"/xmlrpc.php",
        b"/phpmyadmin/",
        b"../../etc/passwd",
        b"%2e%2e",
        b"' OR '1'='1",
        b"<script>",
        b"${jndi:ldap://",
        b"/cgi-bin/.%2e/",
        b"/boaform/admin/formLogin",
        b'"\\x16\\x03\\x01',
        b'"-" 400',
    ):
        assert probe in text, probe
    statuses = Counter(m.group(1) for m in re.finditer(rb'" (\d)\d\d \d', text))
    assert statuses[b"2"] > statuses[b"3"] > statuses[b"5"] > 0 and statuses[b"4"] > 0
    assert re.search(rb"^[0-9a-f]+:[0-9a-f:]+ - - ", text, re.M), "no IPv6 client"


def test_bots_are_a_large_share_and_assets_follow_pages() -> None:
    out = lines(10_000, fmt="combined")
    bots = sum(1 for line in out if re.search(rb"bot|Bot|spider|curl|python|Go-http|kube", line))
    assert 0.2 < bots / len(out) < 0.7
    # An asset's referrer is the page of the same site that pulled it in.
    assert any(b".css HTTP" in line and b'"https://example.com/' in line for line in out)


def test_spikes_concentrate_errors_and_probes_in_their_window() -> None:
    spikes = (
        synth.Spike(at=1800, duration=300, kind="errors"),
        synth.Spike(at=3600, duration=120, kind="probes"),
    )
    out = lines(12_000, fmt="nginx_json", rate=2.0, spikes=spikes)
    inside_err = outside_err = inside_probe = 0
    for line in out:
        obj = json.loads(line)
        minute = obj["time_iso8601"][11:16]
        if obj["status"] >= 500:
            if "00:30" <= minute < "00:35":
                inside_err += 1
            else:
                outside_err += 1
        if "01:00" <= minute < "01:02" and obj["status"] in (400, 403, 404, 405):
            inside_probe += 1
    assert inside_err > 3 * max(outside_err, 1)
    assert inside_probe > 100
    with pytest.raises(ValueError):
        synth.Spike(at=0, duration=1, kind="floods")


def test_distinct_paths_bounds_page_paths() -> None:
    out = lines(20_000, fmt="combined", distinct_paths=50)
    # Queries (utm_ tags) and a trailing slash (after a 301) do not make a new page.
    paths = {
        p.split(b"?")[0].rstrip(b"/") for line in out if b"/item-" in (p := line.split(b" ")[6])
    }
    assert 30 <= len(paths) <= 50
    assert not any(synth.PATH_SLOT.encode() in line for line in out)


def test_cardinality_mode_never_repeats_a_key() -> None:
    out = lines(5000, fmt="combined", mode="cardinality")
    for group in ("ip", "req", "ref", "ua"):
        values = [SHAPES["combined"].match(line).group(group) for line in out]  # type: ignore[union-attr]
        assert len(set(values)) == len(values), group


def test_unknown_format_or_mode_is_refused() -> None:
    with pytest.raises(ValueError):
        synth.generate(1, fmt="iis")
    with pytest.raises(ValueError):
        synth.generate(1, mode="chaos")


def test_write_writes_the_generated_bytes(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "a.log"
    size = synth.write(path, 1000, fmt="caddy_json", seed=3)
    data = path.read_bytes()
    assert size == len(data)
    assert data == b"".join(synth.generate(1000, fmt="caddy_json", seed=3))


def test_hostile_contains_every_feature_and_one_huge_line() -> None:
    out = list(synth.hostile(400, seed=2))
    assert len(out) == 400
    text = b"".join(out)
    for name, needle in synth.HOSTILE_FEATURES.items():
        assert needle in text, name
    assert b"\xe2\x80\xae" in text and b"\x1b]0;" in text and b"\x1b[2J" in text
    assert sum(len(line) > 150_000 for line in out) == 1
    assert max(len(line) for line in out) < 250_000
    assert all(line.endswith(b"\n") and line.count(b"\n") == 1 for line in out)
    # Most lines stay ordinary traffic, so format detection still sees a combined log.
    ordinary = sum(bool(SHAPES["combined"].match(line)) for line in out)
    assert ordinary > 0.6 * len(out)
    assert out == list(synth.hostile(400, seed=2))


def test_mutate_is_deterministic_and_keeps_framing() -> None:
    base = lines(500, fmt="combined")
    a = list(synth.mutate_lines(base, seed=9, rate=0.5))
    assert a == list(synth.mutate_lines(base, seed=9, rate=0.5))
    assert a != list(synth.mutate_lines(base, seed=10, rate=0.5))
    changed = sum(x != y for x, y in zip(a, base, strict=True))
    assert 150 < changed < 350
    assert all(line.endswith(b"\n") and line.count(b"\n") == 1 for line in a)
    rng = random.Random(1)
    for line in base[:200]:
        assert b"\n" not in synth.mutate(line.rstrip(b"\n"), rng)
