"""IP minimisation: masking, keyed hashing, and the ingestion-time Anonymizer."""

from __future__ import annotations

import ipaddress
import json
import pickle
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from logwatch.cli import main
from logwatch.config import Config, ConfigError, apply_env
from logwatch.explain import main as explain_main
from logwatch.privacy import (
    INVALID,
    Anonymizer,
    ClientHasher,
    anonymizer_for,
    canonical_ip,
    mask_ip,
    parse_level,
)

DAY = 86400
T0 = 1_700_000_000.0  # 2023-11-14 22:13:20 UTC
MIDNIGHT = (T0 // DAY + 1) * DAY  # the next UTC midnight


# --- mask_ip -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prefix", "expected"),
    [
        (32, "81.2.69.142"),
        (24, "81.2.69.0"),
        (20, "81.2.64.0"),
        (16, "81.2.0.0"),
        (8, "81.0.0.0"),
        (0, "0.0.0.0"),
    ],
)
def test_mask_ipv4_levels(prefix: int, expected: str) -> None:
    assert mask_ip("81.2.69.142", v4_prefix=prefix) == expected


def test_mask_ipv4_default_is_24() -> None:
    assert mask_ip("203.0.113.77") == "203.0.113.0"


@pytest.mark.parametrize(
    ("prefix", "expected"),
    [
        (128, "2001:db8:85a3:1234:5678:8a2e:370:7334"),
        (64, "2001:db8:85a3:1234::"),
        (48, "2001:db8:85a3::"),
        (32, "2001:db8::"),
        (0, "::"),
    ],
)
def test_mask_ipv6_levels(prefix: int, expected: str) -> None:
    assert mask_ip("2001:db8:85a3:1234:5678:8a2e:370:7334", v6_prefix=prefix) == expected


def test_mask_ipv6_default_is_48_and_output_is_canonical() -> None:
    assert mask_ip("2001:DB8:85A3:0000:0000:8A2E:0370:7334") == "2001:db8:85a3::"


def test_ipv4_mapped_ipv6_is_masked_as_the_ipv4_it_is() -> None:
    assert mask_ip("::ffff:81.2.69.142") == "81.2.69.0"
    assert mask_ip("::FFFF:81.2.69.142", v4_prefix=16) == "81.2.0.0"
    assert mask_ip("::ffff:5102:458e") == "81.2.69.0"  # the same, written in hex


def test_zone_ids_and_brackets_are_dropped() -> None:
    assert mask_ip("fe80::1:2:3:4%eth0", v6_prefix=64) == "fe80::"
    assert mask_ip("fe80::1%25en0") == "fe80::"
    assert mask_ip("[2001:db8:1:2::1]") == "2001:db8:1::"


@pytest.mark.parametrize(
    "bad",
    [
        "garbage",
        "81.2.69.142 junk",
        "81.2.69.142,10.0.0.1",
        " 81.2.69.142",
        "81.2.69.142\n",
        "81.2.69.142:443",
        "1.2.3",
        "01.2.3.4",
        "256.1.1.1",
        "81.2.69.142\x00",
        "٨١.٢.٦٩.١٤٢",
        "2001:db8::1::2",
        "2001:db8::g",
        "[81.2.69.142]",
        "::ffff:81.2.69",
        "%eth0",
        "1" * 5000,
    ],
)
def test_garbage_masks_to_a_fixed_token_never_the_input(bad: str) -> None:
    assert mask_ip(bad) == INVALID
    assert mask_ip(bad, 32, 128) == INVALID


def test_no_client_values_pass_through() -> None:
    assert mask_ip("-") == "-"
    assert mask_ip("") == ""


@given(st.integers(0, 2**32 - 1), st.integers(0, 32))
def test_mask_ipv4_matches_ipaddress(n: int, prefix: int) -> None:
    text = str(ipaddress.IPv4Address(n))
    expected = ipaddress.ip_network(f"{text}/{prefix}", strict=False).network_address
    assert mask_ip(text, v4_prefix=prefix) == str(expected)
    assert mask_ip(f"::ffff:{text}", v4_prefix=prefix) == str(expected)


@given(st.integers(0, 2**128 - 1), st.integers(0, 128))
def test_mask_ipv6_matches_ipaddress(n: int, prefix: int) -> None:
    addr = ipaddress.IPv6Address(n)
    if addr.ipv4_mapped is not None:
        return
    expected = ipaddress.ip_network(f"{addr}/{prefix}", strict=False).network_address
    # inet_ntop writes the deprecated IPv4-compatible range (::/96) dotted: same address.
    assert ipaddress.ip_address(mask_ip(addr.exploded, v6_prefix=prefix)) == expected


@given(st.text(max_size=60))
def test_mask_never_returns_an_address_with_host_bits(text: str) -> None:
    out = mask_ip(text)
    if out in ("-", "", INVALID):
        return
    net = ipaddress.ip_address(out)
    prefix = 24 if net.version == 4 else 48
    assert ipaddress.ip_network(f"{out}/{prefix}").network_address == net


def test_bad_prefixes_are_refused() -> None:
    with pytest.raises((ValueError, IndexError)):
        mask_ip("1.2.3.4", v4_prefix=33)
    with pytest.raises(ValueError):
        Anonymizer("mask", v4_prefix=33)
    with pytest.raises(ValueError):
        Anonymizer("mask", v6_prefix=-1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("24", (24, 48)),
        ("16", (16, 48)),
        ("16/32", (16, 32)),
        ("/24", (24, 48)),
        ("24,64", (24, 64)),
        ("/24 /64", (24, 64)),
        ("32/128", (32, 128)),
    ],
)
def test_parse_level(text: str, expected: tuple[int, int]) -> None:
    assert parse_level(text) == expected


@pytest.mark.parametrize("text", ["", "abc", "24/48/64", "33", "24/129", "+24", "2_4", "٢٤"])
def test_parse_level_refuses_nonsense(text: str) -> None:
    with pytest.raises(ValueError, match=r"level|prefix"):
        parse_level(text)


def test_an_empty_level_is_refused_not_taken_as_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--anonymize-ip=` (an unset variable in a script) asked for masking: it ran unmasked."""
    monkeypatch.setenv("LOGWATCH_CONFIG_DIR", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    assert anonymizer_for(None, False) is None
    with pytest.raises(ValueError, match="level"):
        anonymizer_for("", False)
    log = tmp_path / "access.log"
    log.write_text(
        '81.2.69.142 - - [10/Oct/2026:13:55:36 +0000] "GET / HTTP/1.1" 200 1 "-" "curl/8"\n'
    )
    assert main(["report", "--anonymize-ip=", str(log)]) == 2
    assert explain_main(["--anonymize-ip=", "-"]) == 2


@pytest.mark.parametrize("level", ["0", "1", "16"])
def test_a_level_means_the_same_in_file_environment_and_flag(
    level: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A number is a prefix level wherever it is given (docs/privacy.md). The environment read
    "0" (and "1") as a switch: LOGWATCH_ANONYMIZE_IP=0 ran unmasked, where `anonymize_ip = 0`
    and `--anonymize-ip 0` cut every IPv4 address to 0.0.0.0."""
    monkeypatch.setenv("LOGWATCH_CONFIG_DIR", str(tmp_path / "none"))
    monkeypatch.delenv("LOGWATCH_ANONYMIZE_IP", raising=False)
    monkeypatch.chdir(tmp_path)
    log = tmp_path / "access.log"
    log.write_text(
        '81.2.69.142 - - [10/Oct/2026:13:55:36 +0000] "GET / HTTP/1.1" 200 1 "-" "curl/8"\n'
    )

    def clients(*flags: str) -> list[str]:
        assert main(["report", "--json", *flags, str(log)]) == 0
        out = json.loads(capsys.readouterr().out)
        return [c["client"] for c in out["top_clients"]]

    by_flag = clients("--anonymize-ip", level)
    (tmp_path / "logwatch.toml").write_text(f"anonymize_ip = {level}\n")
    by_file = clients()
    (tmp_path / "logwatch.toml").unlink()
    monkeypatch.setenv("LOGWATCH_ANONYMIZE_IP", level)
    by_env = clients()
    expected = str(ipaddress.ip_network(f"81.2.69.142/{level}", strict=False).network_address)
    assert by_flag == by_file == by_env == [expected]


def test_environment_switch_words_and_an_empty_level() -> None:
    assert apply_env(Config(), {"LOGWATCH_ANONYMIZE_IP": "true"}).anonymize_ip == (24, 48)
    masked = Config(anonymize_ip=(24, 48))
    assert apply_env(masked, {"LOGWATCH_ANONYMIZE_IP": "off"}).anonymize_ip is None
    with pytest.raises(ConfigError, match="LOGWATCH_ANONYMIZE_IP"):  # as `--anonymize-ip=`
        apply_env(masked, {"LOGWATCH_ANONYMIZE_IP": ""})


def test_canonical_ip() -> None:
    assert canonical_ip("::ffff:81.2.69.142") == "81.2.69.142"
    assert canonical_ip("2001:DB8::0001") == "2001:db8::1"
    assert canonical_ip("fe80::1%eth0") == "fe80::1"
    assert canonical_ip("nope") is None


# --- ClientHasher ------------------------------------------------------------------------------


def test_hash_is_a_short_id_stable_within_a_day() -> None:
    hasher = ClientHasher()
    first = hasher.hash("81.2.69.142", now=T0)
    assert re.fullmatch(r"h:[0-9a-f]{10}", first)
    assert hasher.hash("81.2.69.142", now=T0 + 3600) == first
    assert hasher.hash("81.2.69.142", now=MIDNIGHT - 1) == first
    assert hasher.hash("81.2.69.143", now=T0) != first


def test_hash_changes_at_utc_midnight_and_stays_for_the_new_day() -> None:
    hasher = ClientHasher()
    before = hasher.hash("81.2.69.142", now=MIDNIGHT - 1)
    after = hasher.hash("81.2.69.142", now=MIDNIGHT)
    assert after != before
    assert hasher.hash("81.2.69.142", now=MIDNIGHT + DAY - 1) == after
    # Lines from the two days interleaving (two files around midnight) keep their day's id.
    assert hasher.hash("81.2.69.142", now=MIDNIGHT - 5) == before
    assert hasher.hash("81.2.69.142", now=MIDNIGHT + 5) == after


def test_hash_uses_the_injected_clock_when_no_time_is_given() -> None:
    now = [T0]
    hasher = ClientHasher(clock=lambda: now[0])
    today = hasher.hash("2001:db8::1")
    assert today == hasher.hash("2001:db8::1", now=T0)
    now[0] = T0 + DAY
    assert hasher.hash("2001:db8::1") != today


def test_each_run_has_its_own_key() -> None:
    assert ClientHasher().hash("81.2.69.142", now=T0) != ClientHasher().hash("81.2.69.142", now=T0)


def test_a_worker_given_the_secret_makes_the_same_ids() -> None:
    parent = ClientHasher()
    worker = ClientHasher(secret=parent.export_secret_for_worker())
    assert worker.hash("81.2.69.142", now=T0) == parent.hash("81.2.69.142", now=T0)


def test_spellings_of_one_address_share_an_id() -> None:
    hasher = ClientHasher()
    ids = {
        hasher.hash(ip, now=T0) for ip in ("81.2.69.142", "::ffff:81.2.69.142", "::FFFF:5102:458e")
    }
    assert len(ids) == 1
    ids6 = {
        hasher.hash(ip, now=T0) for ip in ("2001:db8::1", "2001:DB8:0::0001", "2001:db8::1%eth0")
    }
    assert len(ids6) == 1


def test_non_address_clients_are_hashed_and_no_client_passes() -> None:
    hasher = ClientHasher()
    assert re.fullmatch(r"h:[0-9a-f]{10}", hasher.hash("client.example.net", now=T0))
    assert hasher.hash("-", now=T0) == "-"
    assert hasher.hash("", now=T0) == ""


def test_the_key_never_shows() -> None:
    hasher = ClientHasher()
    secret = hasher.export_secret_for_worker()
    anonymizer = Anonymizer("hash", hasher=hasher)
    shown = [repr(hasher), str(hasher), repr(anonymizer), str(anonymizer)]
    shown += [anonymizer.apply(f"10.0.{i}.{i}", now=T0 + i * DAY) for i in range(20)]
    shown.append(anonymizer.scrub("for=81.2.69.142, 2001:db8::1", now=T0))
    for text in shown:
        assert secret.hex() not in text
        assert secret.hex()[:10] not in text
        assert repr(secret) not in text
    assert "hidden" in repr(hasher)
    with pytest.raises(TypeError, match="secret"):
        pickle.dumps(hasher)
    with pytest.raises(TypeError):
        pickle.dumps(anonymizer)


def test_hasher_refuses_a_weak_secret() -> None:
    with pytest.raises(ValueError):
        ClientHasher(secret=b"short")


# --- Anonymizer --------------------------------------------------------------------------------


def test_off_keeps_addresses() -> None:
    anon = Anonymizer()
    assert not anon.enabled
    assert anon.apply("81.2.69.142") == "81.2.69.142"
    assert anon.geo_key("81.2.69.142") == "81.2.69.142"
    assert anon.scrub("from 81.2.69.142") == "from 81.2.69.142"


def test_mask_mode() -> None:
    anon = Anonymizer("mask", v4_prefix=16, v6_prefix=32)
    assert anon.enabled
    assert anon.apply("81.2.69.142") == "81.2.0.0"
    assert anon.apply("2001:db8:85a3::1") == "2001:db8::"
    assert anon.apply("not an ip") == INVALID
    assert anon.geo_key("81.2.69.142") == "81.2.0.0"


def test_hash_mode_ids_and_masked_geo_key() -> None:
    anon = Anonymizer("hash")
    client = anon.apply("81.2.69.142", now=T0)
    assert client.startswith("h:")
    assert client == anon.apply("81.2.69.142", now=T0 + 60)
    # GeoIP sees the /24, never the full address.
    assert anon.geo_key("81.2.69.142") == "81.2.69.0"
    assert anon.geo_key("2001:db8:85a3::1") == "2001:db8:85a3::"


def test_unknown_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="mode"):
        Anonymizer("scramble")


def test_scrub_masks_every_address_in_free_text() -> None:
    anon = Anonymizer("mask")
    xff = anon.scrub("81.2.69.142, 2001:db8:85a3:1::7, ::ffff:203.0.113.9, [fe80::1%eth0]:443")
    assert xff == "81.2.69.0, 2001:db8:85a3::, 203.0.113.0, [fe80::]:443"
    line = '81.2.69.142 - - [10/Oct/2000:13:55:36 -0700] "GET \\x16\\x03 HTTP/1.1" 400 0'
    assert (
        anon.scrub(line)
        == '81.2.69.0 - - [10/Oct/2000:13:55:36 -0700] "GET \\x16\\x03 HTTP/1.1" 400 0'
    )
    # A dotted quad the parser refuses may still be read as an address by someone: dropped.
    assert anon.scrub("x 081.002.069.142 y") == "x invalid y"
    assert anon.scrub("Chrome/120.0.6099.109") == "Chrome/120.0.6099.109"


@pytest.mark.parametrize(
    ("text", "scrubbed"),
    [
        # after an escaped byte (a line of NULs after a copytruncate, invalid UTF-8)
        (
            "\\x00\\x00203.0.113.77 - - [10/Oct/2026:00:01:00 +0000]",
            "\\x00\\x00203.0.113.0 - - [10/Oct/2026:00:01:00 +0000]",
        ),
        ("\\xa0203.0.113.78 garbage", "\\xa0203.0.113.0 garbage"),
        # an unbracketed IPv6 address with a port; after a word; with its IPv4 inside
        ("2001:db8:85a3:1234:5678:9abc:def0:4321:443 x", "2001:db8:85a3:::443 x"),
        ("client:2001:db8:85a3::9abc:def0:4321 x", "client:2001:db8:85a3:: x"),
        ("ip_2001:db8::7 w", "ip_2001:db8:: w"),
        ("ab:cd:203.0.113.79 x", "invalid x"),
        # eight-group forms, a MAC address (over-inclusive: dropped), an IPv4 with a port
        ("::2:3:4:5:6:7:8 x", "0:2:3:: x"),
        ("1:2:3:4:5:6:7:: x", "1:2:3:: x"),
        ("mac 00:1a:2b:3c:4d:5e", "mac invalid"),
        ("203.0.113.5:8080 z", "203.0.113.0:8080 z"),
        # what is no address stays
        ("time 13:55:36 and 2000:13:55:36", "time 13:55:36 and 2000:13:55:36"),
        ("v 1.2.3.4.5", "v 1.2.3.4.5"),
        # an address ending a sentence; words with colons are no addresses
        ("at 203.0.113.9.", "at 203.0.113.0."),
        ("connect ::203.0.113.7.", "connect ::."),
        ("from 2001:db8:85a3::1.", "from 2001:db8:85a3::."),
        (
            "Module::Build /cgi-bin/Foo::Dead re:a:b:c:d",
            "Module::Build /cgi-bin/Foo::Dead re:a:b:c:d",
        ),
    ],
)
def test_scrub_finds_addresses_wherever_a_malformed_line_holds_them(
    text: str, scrubbed: str
) -> None:
    """Malformed lines are kept as examples: with anonymising on, no full address may stay in
    them, wherever it sits (these all used to be kept as written)."""
    assert Anonymizer("mask").scrub(text) == scrubbed


def test_scrub_in_hash_mode_matches_apply() -> None:
    anon = Anonymizer("hash")
    ident = anon.apply("81.2.69.142", now=T0)
    assert anon.scrub("for=81.2.69.142;proto=https", now=T0) == f"for={ident};proto=https"


@given(st.text(max_size=80))
def test_scrub_leaves_no_full_address_behind(text: str) -> None:
    out = Anonymizer("mask").scrub(text)
    for token in re.findall(r"[0-9A-Fa-f:.%\w-]+", out):
        try:
            addr = ipaddress.ip_address(token)
        except ValueError:
            continue
        if addr.version == 4:
            assert int(addr) & 0xFF == 0
        elif addr.ipv4_mapped is None:
            assert int(addr) & ((1 << 80) - 1) == 0


def test_a_6to4_address_is_cut_like_the_ipv4_it_embeds() -> None:
    """2002:cb00:714d::/48 is the IPv4 203.0.113.77 written in IPv6: the /48 kept of other
    IPv6 addresses would keep all of it. It is cut to the IPv4 prefix instead."""
    assert mask_ip("2002:cb00:714d::1") == "2002:cb00:7100::"  # 203.0.113.0/24
    assert mask_ip("2002:cb00:714d::1", 16, 48) == "2002:cb00::"
    assert mask_ip("2001:db8:85a3::1") == "2001:db8:85a3::"  # other IPv6: the /48
    assert Anonymizer("mask").scrub("for=2002:cb00:714d::1") == "for=2002:cb00:7100::"
