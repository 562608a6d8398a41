"""GeoIP enrichment of snapshots, its wiring into report/headless, and privacy end to end.

Databases are built here with mmdb-writer (tiny, deterministic); no shared fixture files.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from mmdb_writer import MMDBWriter
from netaddr import IPSet

from logwatch.cli import build_main_parser, engine_options, main
from logwatch.enrich import GeoEnricher, IngestGeo, claimed, geo_columns
from logwatch.geo import GeoLookup
from logwatch.ingest.formats import FormatError, get_format
from logwatch.pipeline import Pipeline
from logwatch.privacy import Anonymizer
from logwatch.stats.aggregator import StatsConfig

SRC = Path(__file__).parents[1] / "src"
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0"
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


def build_db(path: Path, entries: list[tuple[str, Any]], database_type: str) -> Path:
    writer = MMDBWriter(
        ip_version=6,
        ipv4_compatible=True,
        database_type=database_type,
        languages=["en"],
        description="logwatch test database",
    )
    for cidr, record in entries:
        writer.insert_network(IPSet([cidr]), record)
    writer.to_db_file(str(path))
    return path


def _country(code: str, name: str) -> dict[str, Any]:
    return {"country": {"iso_code": code, "names": {"en": name}}}


def _asn(n: int, org: str) -> dict[str, Any]:
    return {"autonomous_system_number": n, "autonomous_system_organization": org}


@pytest.fixture
def dbs(tmp_path: Path) -> list[Path]:
    country = build_db(
        tmp_path / "country.mmdb",
        [
            ("81.2.69.0/24", _country("GB", "United Kingdom")),
            ("51.68.0.0/16", _country("FR", "France")),
            ("66.249.64.0/19", _country("US", "United States")),
            ("2001:db8::/32", _country("JP", "Japan")),
        ],
        "GeoLite2-Country",
    )
    asn = build_db(
        tmp_path / "asn.mmdb",
        [
            ("81.2.69.0/24", _asn(20712, "Andrews & Arnold")),
            ("51.68.0.0/16", _asn(16276, "OVH SAS")),
            ("66.249.64.0/19", _asn(15169, "GOOGLE")),
            ("2001:db8::/32", _asn(64500, "Example v6")),
        ],
        "GeoLite2-ASN",
    )
    return [country, asn]


@pytest.fixture
def lookup(dbs: list[Path]) -> GeoLookup:
    return GeoLookup(dbs)


def clf(ip: str, i: int, path: str = "/", ua: str = FIREFOX, status: int = 200) -> str:
    ts = time.time() - 300 + i
    stamp = time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(ts))
    return f'{ip} - - [{stamp}] "GET {path} HTTP/1.1" {status} 10 "-" "{ua}"'


# 5 hits from GB, 3 from FR (OVH), 2 from JP, 1 unknown; a fake Googlebot from OVH, a real one.
TRAFFIC = (
    [("81.2.69.142", "/", FIREFOX)] * 3
    + [("81.2.69.7", "/", FIREFOX)] * 2
    + [("51.68.1.2", "/", FIREFOX)] * 2
    + [("51.68.1.2", "/", GOOGLEBOT)]
    + [("2001:db8:85a3::8a2e:370:7334", "/", FIREFOX)] * 2
    + [("198.51.100.9", "/", FIREFOX)]
    + [("66.249.66.1", "/", GOOGLEBOT)]
)


def fed(lines: list[str], **kw: Any) -> Pipeline:
    p = Pipeline(get_format("combined"), **kw)
    p.feed([ln.encode() for ln in lines])
    return p


def traffic_lines() -> list[str]:
    return [clf(ip, i, path, ua) for i, (ip, path, ua) in enumerate(TRAFFIC)]


# --- the enricher ------------------------------------------------------------------------------


def test_enricher_adds_geo_tops_and_claims_without_touching_the_original(
    lookup: GeoLookup,
) -> None:
    snap = fed(traffic_lines()).snapshot()
    out = GeoEnricher(lookup)(snap)
    assert "geo" not in snap.extra  # a new snapshot, the input unchanged
    geo = out.extra["geo"]
    assert geo["81.2.69.142"]["country"] == "GB"
    assert geo["81.2.69.142"]["asn"] == 20712
    assert geo["2001:db8:85a3::8a2e:370:7334"]["country"] == "JP"
    assert "198.51.100.9" not in geo  # no database knows it
    assert out.extra["top_countries"][:3] == [
        {"country": "GB", "name": "United Kingdom", "hits": 5},
        {"country": "FR", "name": "France", "hits": 3},
        {"country": "JP", "name": "Japan", "hits": 2},
    ]
    assert out.extra["top_networks"][0] == {
        "network": "AS20712 Andrews & Arnold",
        "asn": 20712,
        "hits": 5,
    }
    assert out.extra["geo_basis"] == {"clients": 6, "hits": 12, "located": 11}
    # Googlebot from OVH claims a crawler it is not; Googlebot from Google's network is fine.
    assert out.extra["bot_claims"] == {"51.68.1.2": "unverified"}
    assert claimed(out, "51.68.1.2") and not claimed(out, "66.249.66.1")
    assert geo_columns(out, "51.68.1.2") == ("FR", "AS16276 OVH SAS")
    assert geo_columns(out, "198.51.100.9") == ("", "")
    assert geo_columns(snap, "51.68.1.2") == ("", "")
    # Per bot: where its recent requests come from, and how many are impostors.
    (googlebot,) = out.extra["bot_origins"].values()
    assert googlebot["requests"] == 2 and googlebot["unverified"] == 1
    assert googlebot["country"] in ("FR", "US") and googlebot["network"].startswith("AS")


def test_probing_and_recent_clients_are_located_too(lookup: GeoLookup) -> None:
    # A top list of one: only the recent ring and the probes name the other clients.
    lines = [clf("81.2.69.1", i) for i in range(30)]
    lines.append(clf("51.68.9.9", 40, "/.env", status=404))
    lines.append(clf("2001:db8::1", 41))
    snap = fed(lines).snapshot()
    assert any(p.client == "51.68.9.9" for p in snap.totals.probes)
    geo = GeoEnricher(lookup)(snap).extra["geo"]
    assert {"81.2.69.1", "51.68.9.9", "2001:db8::1"} <= set(geo)


GEO_KEYS = ("geo", "top_countries", "top_networks", "geo_basis", "bot_claims", "bot_origins")


def test_every_key_is_there_empty_when_no_client_is_known(lookup: GeoLookup) -> None:
    """The keys came only once a client was located: a consumer of `--headless --geoip` found
    `top_countries` and the rest missing from the first objects."""
    for lines in ([], [clf("198.51.100.1", i) for i in range(5)]):
        out = GeoEnricher(lookup)(fed(lines).snapshot()).to_json()
        assert {k: out[k] for k in GEO_KEYS} == {
            "geo": {},
            "top_countries": [],
            "top_networks": [],
            "geo_basis": {"clients": len(lines) and 1, "hits": len(lines), "located": 0},
            "bot_claims": {},
            "bot_origins": {},
        }


def test_answers_are_cached_per_client(lookup: GeoLookup) -> None:
    asked: list[str] = []

    def resolve(client: str) -> Any:
        asked.append(client)
        return lookup.lookup(client)

    enricher = GeoEnricher(lookup, resolve=resolve)
    snap = fed(traffic_lines()).snapshot()
    first = enricher(snap)
    n = len(asked)
    assert n == len(set(asked)) == 6  # each distinct client once
    again = enricher(snap)
    assert len(asked) == n
    assert again.extra == first.extra


def test_json_keeps_geo_small_and_names_only_listed_clients(lookup: GeoLookup) -> None:
    lines = [clf(f"81.2.69.{i % 200}", i) for i in range(400)]
    lines += [clf(f"51.68.{i}.1", 500 + i) for i in range(30)]
    snap = GeoEnricher(lookup)(fed(lines).snapshot())
    assert len(snap.extra["geo"]) == 230  # the dashboard gets every recent client
    out = json.loads(json.dumps(snap.to_json(top=3)))
    listed = {c["client"] for c in out["top_clients"]}
    listed |= {c["client"] for w in out["windows"].values() for c in w["top_clients"]}
    assert set(out["geo"]) == listed
    assert len(out["top_countries"]) <= 10 and len(out["top_networks"]) <= 10


# --- privacy at ingestion ----------------------------------------------------------------------

FULL = re.compile(
    r"81\.2\.69\.142|81\.2\.69\.7\b|51\.68\.1\.2\b|66\.249\.66\.1\b|198\.51\.100\.9\b"
    r"|2001:db8:85a3::8a2e|8a2e:370:7334"
)
MALFORMED = [
    "junk from 81.2.69.142 via 2001:db8:85a3::8a2e:370:7334 here",
    "51.68.1.2 - - not a request at all",
]


def test_pipeline_scrubs_malformed_and_too_long_lines() -> None:
    anon = Anonymizer("mask")
    p = fed(
        traffic_lines() + MALFORMED,
        client_transform=anon.apply,
        scrub=anon.scrub,
    )
    p.feed([b"81.2.69.142 " + b"x" * 70000])
    snap = p.snapshot()
    text = json.dumps(snap.to_json()) + repr(snap.malformed_examples)
    assert snap.malformed == 3
    assert not FULL.search(text)
    assert "junk from 81.2.69.0 via 2001:db8:85a3:: here" in text
    assert any(ln.startswith("81.2.69.0 x") for _r, ln in snap.malformed_examples)


def test_pipeline_without_scrub_keeps_malformed_lines_as_written() -> None:
    snap = fed(MALFORMED).snapshot()
    assert snap.malformed_examples[0][1] == MALFORMED[0]


def test_format_error_message_is_scrubbed() -> None:
    anon = Anonymizer("mask")
    p = Pipeline(scrub=anon.scrub, client_transform=anon.apply)
    p.feed([b"81.2.69.142 says hello"] * 3)
    with pytest.raises(FormatError) as err:
        p.flush()
    assert "81.2.69.0 says hello" in str(err.value)
    assert "81.2.69.142" not in str(err.value)


def test_ingest_geo_looks_up_the_cut_address_and_stays_bounded(lookup: GeoLookup) -> None:
    anon = Anonymizer("hash")
    memo = IngestGeo(anon, lookup, size=2)
    ids = [memo.transform(ip) for ip in ("81.2.69.142", "51.68.1.2", "2001:db8::1")]
    assert all(i.startswith("h:") for i in ids)
    assert memo.get(ids[0]) is None  # evicted: the table holds two
    info = memo.get(ids[2])
    assert info is not None and info.country == "JP"
    assert memo.get("81.2.69.142") is None  # keyed by id only


def test_ingest_geo_keeps_no_network_in_the_lookup_cache(lookup: GeoLookup) -> None:
    """Hashed clients: only id -> answer is remembered, never the address or its network
    (docs/privacy.md); the lookup's own cache is keyed by the cut address."""
    memo = IngestGeo(Anonymizer("hash"), lookup)
    client = memo.transform("81.2.69.142")
    info = memo.get(client)
    assert info is not None and info.country == "GB"
    assert lookup.cache_info().currsize == 0


@pytest.fixture
def private_log(tmp_path: Path) -> Path:
    log = tmp_path / "access.log"
    log.write_text("\n".join(traffic_lines() + MALFORMED) + "\n")
    return log


def report_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    assert main(["report", "--json", *args]) == 0
    out = capsys.readouterr().out
    return dict(json.loads(out), _raw=out)


@pytest.fixture(autouse=True)
def _no_user_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOGWATCH_CONFIG_DIR", str(tmp_path))
    monkeypatch.chdir(tmp_path)


def test_report_anonymized_holds_no_full_address(
    private_log: Path, dbs: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    plain = report_json(capsys, str(private_log))
    assert FULL.search(plain["_raw"])  # the check can fail: the originals are there without it
    geo = [a for db in dbs for a in ("--geoip", str(db))]
    out = report_json(capsys, str(private_log), "--anonymize-ip", *geo)
    assert not FULL.search(out["_raw"])
    clients = {c["client"] for c in out["top_clients"]}
    assert clients == {"81.2.69.0", "51.68.1.0", "2001:db8:85a3::", "198.51.100.0", "66.249.66.0"}
    assert out["malformed"]["examples"][0]["line"] == "junk from 81.2.69.0 via 2001:db8:85a3:: here"
    assert out["geo"]["81.2.69.0"]["country"] == "GB"  # looked up by the cut address
    assert out["bot_claims"] == {"51.68.1.0": "unverified"}


def test_report_hashed_clients_count_like_the_originals(
    private_log: Path, dbs: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    plain = report_json(capsys, str(private_log))
    geo = [a for db in dbs for a in ("--geoip", str(db))]
    out = report_json(capsys, str(private_log), "--hash-clients", *geo)
    assert not FULL.search(out["_raw"])
    ids = [c["client"] for c in out["top_clients"]]
    assert all(re.fullmatch(r"h:[0-9a-f]{10}", i) for i in ids)
    assert len(set(ids)) == len({c["client"] for c in plain["top_clients"]}) == 6
    assert sorted(c["hits"] for c in out["top_clients"]) == sorted(
        c["hits"] for c in plain["top_clients"]
    )
    # Ids cannot be looked up; the cut address was looked up at ingestion instead.
    countries = {g["country"] for g in out["geo"].values()}
    assert countries == {"GB", "FR", "JP", "US"}
    assert out["top_countries"][0] == {"country": "GB", "name": "United Kingdom", "hits": 5}
    assert "h:" in out["malformed"]["examples"][0]["line"]


def test_report_since_with_hashed_clients_hashes_and_locates_them(
    private_log: Path, dbs: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """--since reads a plain file through the range reader; with --hash-clients it read the
    lines with no transform at all, and every address came out as written."""
    geo = [a for db in dbs for a in ("--geoip", str(db))]
    out = report_json(capsys, str(private_log), "--hash-clients", "--since", "1h", *geo)
    assert not FULL.search(out["_raw"])
    assert out["parsed"] == len(TRAFFIC)
    assert all(re.fullmatch(r"h:[0-9a-f]{10}", c["client"]) for c in out["top_clients"])
    assert {g["country"] for g in out["geo"].values()} == {"GB", "FR", "JP", "US"}
    assert "h:" in out["malformed"]["examples"][0]["line"]


def headless(tmp_path: Path, *args: str) -> subprocess.Popen[str]:
    """`logwatch --headless --interval 0.3 ARGS`, run from `tmp_path` with no user config."""
    return subprocess.Popen(
        [sys.executable, "-m", "logwatch", "--headless", "--interval", "0.3", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(SRC), "LOGWATCH_CONFIG_DIR": str(tmp_path)},
        cwd=tmp_path,
    )


def test_headless_anonymized_holds_no_full_address(private_log: Path, tmp_path: Path) -> None:
    # --anonymize-ip after the path: its optional value would take the path.
    proc = headless(tmp_path, str(private_log), "--anonymize-ip")
    try:
        assert proc.stdout is not None
        raw = proc.stdout.readline()
        obj = json.loads(raw)
        deadline = time.monotonic() + 20
        while obj["lines"] < len(TRAFFIC) + len(MALFORMED) and time.monotonic() < deadline:
            raw = proc.stdout.readline()
            obj = json.loads(raw)
        assert obj["lines"] == len(TRAFFIC) + len(MALFORMED)
    finally:
        proc.send_signal(signal.SIGTERM)
        rest, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert not FULL.search(raw + rest + err)
    assert "81.2.69.0" in raw
    assert {ex["line"] for ex in obj["malformed"]["examples"]} == {
        "junk from 81.2.69.0 via 2001:db8:85a3:: here",
        "51.68.1.0 - - not a request at all",
    }


# --- wiring ------------------------------------------------------------------------------------


def test_headless_objects_have_every_key_from_the_first_on(tmp_path: Path, dbs: list[Path]) -> None:
    """A first object before any line (an empty log) has the keys of one after traffic, GeoIP's
    too: `by_source`, `format_detected`, `geo`... came and went with the data."""
    log = tmp_path / "access.log"
    log.write_text("")
    geo = [a for db in dbs for a in ("--geoip", str(db))]
    proc = headless(tmp_path, *geo, str(log))
    try:
        assert proc.stdout is not None
        first = json.loads(proc.stdout.readline())
        assert first["lines"] == 0
        log.write_text("\n".join(traffic_lines()) + "\n")
        obj = first
        deadline = time.monotonic() + 20
        while obj["parsed"] < len(TRAFFIC) and time.monotonic() < deadline:
            obj = json.loads(proc.stdout.readline())
        assert obj["parsed"] == len(TRAFFIC) and obj["bot_claims"] and obj["geo"]
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert set(first) == set(obj)
    for key in ("by_source", *GEO_KEYS, "format_detected", "final", "sources"):
        assert key in first, key
    assert (first["format_detected"], first["final"], first["by_source"]) == (None, False, {})
    assert first["top_countries"] == [] and first["geo"] == {}
    assert obj["format_detected"].startswith("combined")
    assert set(first["windows"]["1m"]) == set(obj["windows"]["1m"])


def test_report_without_geoip_adds_nothing(
    private_log: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = report_json(capsys, str(private_log))
    assert not {"geo", "top_countries", "top_networks", "bot_claims"} & set(out)


def test_report_text_shows_country_network_and_claims(
    private_log: Path, dbs: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", str(private_log), "--geoip", str(dbs[0]), "--geoip", str(dbs[1])]) == 0
    text = capsys.readouterr().out
    assert re.search(r"51\.68\.1\.2 .*FR  AS16276 OVH SAS  claimed bot, unverified", text)
    assert "top countries and networks" in text


def test_config_geoip_is_used(
    private_log: Path, dbs: list[Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = tmp_path / "lw.toml"
    cfg.write_text(f"geoip = [{json.dumps(str(dbs[0]))}]\n")
    out = report_json(capsys, str(private_log), "--config", str(cfg))
    assert out["top_countries"][0]["country"] == "GB"


@pytest.mark.parametrize("bad", ["missing.mmdb", "notadb.mmdb"])
def test_bad_database_exits_2_with_a_reason(
    private_log: Path, tmp_path: Path, bad: str, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "notadb.mmdb").write_text("hello")
    assert main(["report", str(private_log), "--geoip", str(tmp_path / bad)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("logwatch: GeoIP database ") and bad in err
    assert len(err.strip().splitlines()) == 1


def test_engine_options_carry_enrich_and_scrub(private_log: Path, dbs: list[Path]) -> None:
    args = build_main_parser().parse_args([str(private_log), "--geoip", str(dbs[0])])
    opts = engine_options(args)
    assert isinstance(opts.enrich, GeoEnricher) and opts.scrub is None
    args = build_main_parser().parse_args([str(private_log), "--anonymize-ip", "16"])
    opts = engine_options(args)
    assert opts.enrich is None and opts.scrub is not None
    assert opts.client_transform is not None and opts.client_transform("81.2.69.142") == "81.2.0.0"


def test_headless_keeps_recent_requests_only_for_geoip(private_log: Path, dbs: list[Path]) -> None:
    """Headless output shows no request stream: without GeoIP's bot claims to check, a live
    follower must not build Records for a ring nothing reads; the dashboard keeps its own."""
    from logwatch.cli import REPORT_RECENT

    def recent(*argv: str) -> int:
        return engine_options(
            build_main_parser().parse_args([str(private_log), *argv])
        ).stats.recent

    assert recent("--headless") == 0
    assert recent("--headless", "--geoip", str(dbs[0])) == REPORT_RECENT
    assert recent() > REPORT_RECENT


def test_help_says_where_to_get_a_database(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    help_text = re.sub(r"\s+", " ", capsys.readouterr().out)
    assert "GeoLite2" in help_text and "DB-IP" in help_text


def test_recent_ring_bound_is_respected(lookup: GeoLookup) -> None:
    lines = [clf(f"81.2.69.{i}", i) for i in range(100)]
    snap = fed(lines, stats=StatsConfig(recent=10)).snapshot()
    assert len(snap.recent) == 10
    named = {r.client for r, _v in snap.recent}
    for view in (snap.totals, *snap.windows.values()):
        named |= {c.client for c in view.top_clients} | {p.client for p in view.probes}
    assert len(named) < 100
    # Only the clients a snapshot names are looked at: top lists, probes, the recent ring.
    assert set(GeoEnricher(lookup)(snap).extra["geo"]) == named


def read_in_two(log: Path, **privacy: Any) -> Any:
    """`log` read by `read_parallel` with two jobs, combined, default settings but `privacy`."""
    from logwatch.classify import ClassifyConfig
    from logwatch.ingest.backfill import read_parallel

    return read_parallel(
        str(log),
        get_format("combined"),
        jobs=2,
        stats=StatsConfig(),
        classify=ClassifyConfig(),
        **privacy,
    )


def test_parallel_backfill_workers_scrub_malformed_lines(tmp_path: Path) -> None:
    log = tmp_path / "big.log"
    rows = traffic_lines() * 20
    rows[150:150] = MALFORMED  # in the second worker's range
    log.write_text("\n".join(rows) + "\n")
    agg = read_in_two(log, anonymize=(24, 48))
    assert agg.malformed == 2
    text = repr(agg.malformed_examples) + json.dumps(agg.snapshot().to_json())
    assert not FULL.search(text)
    assert "junk from 81.2.69.0 via 2001:db8:85a3:: here" in text


def test_range_reader_keeps_a_keyed_hash_in_this_process(tmp_path: Path) -> None:
    """No worker has the key: with the caller's hash as transform, the read is not split."""
    log = tmp_path / "big.log"
    log.write_text("\n".join(traffic_lines() * 20) + "\n")
    anon = Anonymizer("hash")
    agg = read_in_two(log, client_transform=anon.apply, scrub=anon.scrub)
    snap = agg.snapshot()
    assert snap.totals.requests == len(TRAFFIC) * 20
    assert all(c.client.startswith("h:") for c in snap.totals.top_clients)
    assert not FULL.search(json.dumps(snap.to_json()))


def test_following_the_ring_matches_a_fresh_count(lookup: GeoLookup) -> None:
    """Fed snapshot after snapshot while the ring overflows, the enricher's per-ring figures are
    exactly those of a new enricher that sees only the last snapshot."""
    p = Pipeline(get_format("combined"), stats=StatsConfig(recent=12))
    follower = GeoEnricher(lookup)
    rows = traffic_lines() * 4
    out = None
    for k in range(0, len(rows), 5):
        p.feed([ln.encode() for ln in rows[k : k + 5]])
        out = follower(p.snapshot())
        fresh = GeoEnricher(lookup)(p.snapshot())
        for key in ("geo", "bot_claims", "bot_origins"):
            assert out.extra.get(key) == fresh.extra.get(key), (k, key)
    assert out is not None and out.extra["bot_origins"]
    # A snapshot of another pipeline (not the same ring) is counted afresh, not mixed in.
    other = fed([clf("2001:db8::9", 1)]).snapshot()
    assert set(follower(other).extra["geo"]) == {"2001:db8::9"}
