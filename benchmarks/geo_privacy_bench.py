"""Cost per call of the GeoIP lookup (cached and uncached) and of IP minimisation.

    python benchmarks/geo_privacy_bench.py [--geoip PATH ...]

Without --geoip it builds two databases in a temporary directory with mmdb-writer (a test extra):
a MaxMind-style nested City file and a flat ip-location-db-style ASN file, 20,000 networks each.
Prints microseconds per call; figures belong in the README next to the throughput numbers.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from logwatch.geo import GeoLookup
from logwatch.privacy import Anonymizer, ClientHasher, mask_ip

N_NETWORKS = 20_000


def build(tmp: Path) -> list[Path]:
    from mmdb_writer import MMDBWriter
    from netaddr import IPSet

    rng = random.Random(9)
    city = MMDBWriter(6, "GeoLite2-City", ["en"], "bench", ipv4_compatible=True)
    asn = MMDBWriter(4, "ip-location-db", ["en"], "bench")
    seen: set[int] = set()
    while len(seen) < N_NETWORKS:
        seen.add(rng.randrange(1 << 16, 223 << 16))
    for i, net in enumerate(sorted(seen)):
        cidr = f"{net >> 16 & 255}.{net >> 8 & 255}.{net & 255}.0/24"
        code = ("GB", "DE", "US", "FR", "JP")[i % 5]
        city.insert_network(
            IPSet([cidr]),
            {
                "country": {"iso_code": code, "names": {"en": f"Country {code}"}},
                "city": {"names": {"en": f"City {i % 997}"}},
            },
        )
        asn.insert_network(
            IPSet([cidr]),
            {
                "autonomous_system_number": 64512 + i % 1000,
                "autonomous_system_organization": f"Network {i % 1000}",
            },
        )
    paths = [tmp / "city.mmdb", tmp / "asn.mmdb"]
    city.to_db_file(str(paths[0]))
    asn.to_db_file(str(paths[1]))
    return paths


def per_call(fn: Callable[[str], object], inputs: list[str], rounds: int = 3) -> float:
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for ip in inputs:
            fn(ip)
        best = min(best, time.perf_counter() - start)
    return best / len(inputs) * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--geoip", action="append", default=[])
    args = parser.parse_args()
    rng = random.Random(1)
    v4 = [
        f"{rng.randrange(1, 223)}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(256)}"
        for _ in range(50_000)
    ]
    v6 = [
        f"2001:db8:{rng.randrange(65536):x}:{rng.randrange(65536):x}::{rng.randrange(65536):x}"
        for _ in range(50_000)
    ]
    hasher = ClientHasher()
    now = time.time()
    masker = Anonymizer("mask")
    rows = [
        ("mask_ip IPv4 /24", per_call(mask_ip, v4)),
        ("mask_ip IPv6 /48", per_call(mask_ip, v6)),
        ("mask_ip IPv4-mapped", per_call(mask_ip, ["::ffff:" + ip for ip in v4])),
        ("mask_ip garbage", per_call(mask_ip, ["not-an-address"] * 50_000)),
        ("ClientHasher.hash IPv4", per_call(lambda ip: hasher.hash(ip, now), v4)),
        ("ClientHasher.hash IPv6", per_call(lambda ip: hasher.hash(ip, now), v6)),
        ("Anonymizer('mask').apply IPv4", per_call(masker.apply, v4)),
    ]
    with tempfile.TemporaryDirectory() as tmp:
        paths = [Path(p) for p in args.geoip] or build(Path(tmp))
        with GeoLookup(paths, cache_size=0) as geo:
            rows.append((f"GeoLookup uncached ({geo.describe()})", per_call(geo.lookup, v4, 1)))
        with GeoLookup(paths) as geo:
            hot = v4[:1000]
            per_call(geo.lookup, hot, 1)
            rows.append(("GeoLookup cached (1,000 hot clients)", per_call(geo.lookup, hot * 50)))
    width = max(len(name) for name, _ in rows)
    for name, us in rows:
        print(f"{name:<{width}}  {us:7.2f} µs/call")
    return 0


if __name__ == "__main__":
    sys.exit(main())
