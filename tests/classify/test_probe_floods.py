"""Probe matching on floods (2 KB of `../`, of `%2e%2e%2f`, of one token repeated): the scan
skips repeated stretches and decodes in C, and must give what a scan of every hit gives
(tests/classify/probe_reference.py, the matcher before the skipping): the same families, the
same reasons, in the same order, wherever a payload hides behind the padding."""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from classify_util import rec
from probe_reference import path_hits as reference_path_hits
from probe_reference import query_hits as reference_query_hits

from logwatch.classify import Classifier, probes
from logwatch.classify.probes import ProbeRules
from logwatch.sanitize import MAX_PATH, cap

HERE = Path(__file__).resolve().parent

RULES = ProbeRules()
LITERALS = sorted({tok.token for toks in RULES._tokens for tok in toks})

# Units an attacker repeats: traversal in its encodings, tokens that are one hit each, and
# stretches that are no hit at all.
UNITS = [
    "../", "..\\", "..;/", "..%2f", "%2e%2e%2f", "%2E%2E%2F", "%2e%2e/", ".%2e/", "%2e./",
    "%252e%252e%252f", "%c0%ae%c0%ae/", "..%c0%af", "....//", "/./", "//", "..%5c", "%00",
    "/.", "/.a", "/.x/", "%2f", "%25", "%", "+", "a", "ab", "%41", "%41%42%43", "é", "%c3%a9",
    "'--", "<br", "chr(", "%u002e", "\\x00", "/etc/passwd", "sleep", "union", "://", "=",
]  # fmt: skip
# What may hide after the padding, or sit between two floods.
PAYLOADS = [
    "/.git/config", "/.env", "etc/passwd", "/etc/shadow", "<script>alert(1)</script>",
    "%3cscript%3e", "%253Csvg%2520onload%253D", "union select 1", "union/**/select 1",
    "1 or sleep (5)", "=http://198.51.100.3/x", "=http://x.example/a.txt?", "page=http://x/",
    "/backup.zip", "wp-config.php_old", "_wp-config.php", "/.well-known/x", "/.netlify/f",
    "..%c0%af", "%uff0e", "php://filter", "${jndi:ldap://x}", "/wp-login.php", "/xmlrpc.php",
    "/admin", "/cgi-bin/", "/actuator", "~", ".bak", ".sql.gz", "/HNAP1/", "/.git",
    "..\\..\\windows\\win.ini", "%5c..%5c", "/%2e%2e/", "/.%2e/", "a%2fb", "%2e", ".",
    "ΑΣ", "İ", "%ce%a3",
]  # fmt: skip
PLAIN = [
    "/static/js/app.min.js", "/blog/2024/05/how-to-use-git", "/wp-content/uploads/a.png",
    "/api/v1/users/123", "/search", "/index.html", "/.well-known/acme-challenge/abc", "/",
    "/products/actuators", "/docs/editing-wp-config-php/", "/tags/powershell",
]  # fmt: skip


def _encode(text: str, rng: random.Random) -> str:
    """`text` with some characters percent-encoded, once or twice, in either case."""
    out = []
    for ch in text:
        if ch.isascii() and rng.random() < 0.3:
            esc = f"%{ord(ch):02{'x' if rng.random() < 0.5 else 'X'}}"
            out.append(esc.replace("%", "%25") if rng.random() < 0.3 else esc)
        else:
            out.append(ch)
    return "".join(out)


def _piece(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.35:  # a flood: one unit, or a few units repeated together
        unit = "".join(rng.choice(UNITS) for _ in range(rng.choice((1, 1, 1, 2, 3))))
        return unit * rng.randrange(1, max(2, 2000 // len(unit)))
    if roll < 0.5:  # a flood whose units vary: nothing repeats
        return "".join(rng.choice(UNITS) for _ in range(rng.randrange(50, 500)))
    if roll < 0.65:
        return rng.choice(PAYLOADS)
    if roll < 0.75:
        return _encode(rng.choice(PAYLOADS), rng)
    if roll < 0.85:
        return rng.choice(LITERALS)
    if roll < 0.92:
        return rng.choice(PLAIN)
    return "x" * rng.randrange(1, 1900)


def _texts(seed: int, count: int) -> Iterator[str]:
    rng = random.Random(seed)
    for _ in range(count):
        text = "".join(_piece(rng) for _ in range(rng.randrange(1, 5)))
        if rng.random() < 0.2:
            text = text.upper()
        if rng.random() < 0.3:  # cut as ingestion cuts a long path (sanitize.cap)
            yield cap(text, MAX_PATH)
        else:
            yield text[: rng.choice((2048, 4096, 300))]


def _logged_targets() -> Iterator[str]:
    """The paths and queries of the sample logs and the labelled fixture."""
    root = Path(__file__).resolve().parents[2]
    for log in [*root.joinpath("sample_logs").glob("*.log"), HERE / "fixtures/labelled.log"]:
        for target in re.findall(r'"[A-Z]+ (\S+) HTTP/', log.read_text("utf-8", "replace")):
            yield from target.split("?", 1)


def test_the_matcher_gives_what_a_scan_of_every_hit_gives(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    skips = 0
    real_skip = probes._skip

    def counting_skip(form: str, hits: list[tuple[int, int]], start: int, span: int) -> int:
        nonlocal skips
        at = real_skip(form, hits, start, span)
        skips += at > 0
        return at

    monkeypatch.setattr(probes, "_skip", counting_skip)
    for i, text in enumerate(_texts(11, 1500)):
        path = "/" + text.lstrip("/")
        assert RULES.path_hits(path) == reference_path_hits(RULES, path), (i, path)
        assert RULES.query_hits(text) == reference_query_hits(RULES, text), (i, text)
    assert skips > 1000, skips  # the floods were skipped, not only scanned


def test_the_matcher_gives_what_it_gave_on_logged_requests() -> None:
    targets = set(_logged_targets())
    assert len(targets) > 400
    for text in targets:
        path = "/" + text.lstrip("/")
        assert RULES.path_hits(path) == reference_path_hits(RULES, path), path
        assert RULES.query_hits(text) == reference_query_hits(RULES, text), text


@pytest.mark.parametrize(
    "flood", ["../", "%2e%2e%2f", "..%2f", "%252e%252e%252f", "..;/", "/.a", "%00", "<br"]
)
@pytest.mark.parametrize(
    "payload",
    ["/.git/config", "/etc/shadow", "<script>", "%3cscript%3e", "union select", "/.env"],
)
def test_a_payload_after_1900_bytes_of_flood_is_found(flood: str, payload: str) -> None:
    padding = flood * (1900 // len(flood))
    for text in ("/x/" + padding + payload, "/x/" + padding + payload + padding):
        path_families = {f for f, _ in RULES.path_hits(text)[0]}
        query_families = {f for f, _ in RULES.query_hits(text)}
        expected = reference_path_hits(RULES, text)
        assert RULES.path_hits(text) == expected
        assert RULES.query_hits(text) == reference_query_hits(RULES, text)
        alone = {f for f, _ in RULES.path_hits("/x/" + payload)[0]}
        assert alone <= path_families  # what the payload alone sets off, it sets off here
        assert {f for f, _ in RULES.query_hits(payload)} <= query_families


def test_a_token_across_the_end_of_a_flood_is_found() -> None:
    # The flood's last unit and what follows make the family's only token: a skip that kept too
    # little of the flood's end would lose it (or leave the family to a regex, "pattern").
    for path, family, token in [
        ("/" + "/.e" * 650 + "nv", "secret-file", "/.env"),
        ("/" + "'--<s" * 400 + "vg", "xss", "<svg"),
        ("/" + "../ph" * 400 + "p://", "remote-include", "php://"),
        ("/" + "%2e%2e%2f/c" * 200 + "md.exe", "shell-injection", "cmd.exe"),
    ]:
        hits = RULES.path_hits(path)[0]
        assert hits == reference_path_hits(RULES, path)[0]
        assert (family, f"path {probes.shown(path)} → {family} probe ({token})") in hits, hits


def test_the_first_token_of_a_family_names_it_after_a_flood() -> None:
    # `../` comes first and names traversal; `..;/` only after 1,900 bytes: still `../`.
    path = "/" + "../" * 640 + "..;/etc/passwd"
    hits = RULES.path_hits(path)[0]
    assert hits == reference_path_hits(RULES, path)[0]
    assert hits[0][1].endswith("traversal probe (../)")


def test_the_classifier_flags_the_benchmark_shapes() -> None:
    c = Classifier()
    for path in (
        "/7/" + "%2e%2e%2f" * 227,
        "/7/" + "../" * 680 + "etc/passwd",
        "/7/" + "../" * 630 + ".git/config",
    ):
        v = c.classify(rec(path, status=404))
        assert v.probe and "traversal" in v.probe_rules, v
    v = c.classify(rec("/7/" + "../" * 630 + ".git/config", status=404, client="198.51.100.2"))
    assert v.probe_rules == ("traversal", "secret-file"), v


def test_a_skip_only_follows_a_period_that_is_there() -> None:
    span = RULES._span
    # `../` for long after the last hit, but `..;/` just before it: no period there, no skip.
    form = "/" + "../" * 100 + "..;/" + "../" * 400
    hits = list(RULES._automaton.iter(form))
    last = next(i for i, (end, _) in enumerate(hits) if end > 301 + 4 + 12)
    assert probes._skip(form, hits[: last + 1], 0, span) == 0
    hits = hits[: last + 40]
    at = probes._skip(form, hits, 0, span)
    x = hits[-1][0] - span + 1
    assert at > x  # a skip forward, by whole periods, that keeps `span` characters at the end
    assert (at - x) % 3 == 0 and len(form) - at >= span


def test_period_end_is_close_below_the_true_end() -> None:
    rng = random.Random(3)
    for _ in range(2000):
        unit = "".join(rng.choice("ab./%") for _ in range(rng.randrange(1, 6)))
        head = "".join(rng.choice("ab./%") for _ in range(rng.randrange(0, 20)))
        tail = "".join(rng.choice("ab./%") for _ in range(rng.randrange(0, 40)))
        form = head + unit * rng.randrange(2, 400) + tail
        p = len(unit)
        i = len(head) + p
        true_end = next(
            (k for k in range(i, len(form)) if form[k] != form[k - p]),
            len(form),
        )
        end = probes._period_end(form, i, p)
        assert true_end - 16 < end <= true_end, (form, p)


def test_skipping_keeps_what_a_full_scan_finds_on_a_small_alphabet() -> None:
    # Few letters and short random literals: repeats, near-repeats and literals across the ends
    # of floods come up far more often than with the real rules.
    import ahocorasick

    rng = random.Random(8)
    cuts = 0
    for _ in range(60):
        literals = {
            "".join(rng.choice("ab/.") for _ in range(rng.randrange(1, 7))) for _ in range(12)
        }
        automaton = ahocorasick.Automaton()
        for value, literal in enumerate(sorted(literals)):
            automaton.add_word(literal, value)
        automaton.make_automaton()
        span = max(map(len, literals))
        for _ in range(40):
            parts = []
            for _ in range(rng.randrange(1, 6)):
                unit = "".join(rng.choice("ab/.c") for _ in range(rng.randrange(1, 9)))
                parts.append(unit * rng.randrange(1, 300) if rng.random() < 0.7 else unit)
            form = "".join(parts)
            expected = list(dict.fromkeys(value for _end, value in automaton.iter(form)))
            found, cut = probes._literals(automaton, form, span)
            assert list(found) == expected, (literals, form)
            if cut != form:  # what a sign (at most `span` wide) is looked for in
                assert _windows(cut, span) == _windows(form, span), (literals, form)
                cuts += 1
    assert cuts > 500, cuts


def _windows(text: str, width: int) -> set[str]:
    return {text[i : i + k] for k in range(1, width + 1) for i in range(len(text) - k + 1)}


def test_every_match_of_a_signed_regex_holds_its_sign() -> None:
    assert RULES._signs  # secret-file's hidden-file regex, remote-include's URL ones
    rng = random.Random(4)
    near = [
        "/.", "/.a", "/.a/", "/.well-known/", "/.netlify/", "/.x-y_z", "/.é/", "=", "://",
        "=http://", "=https://", "=ftp://", "=ftps://", "1.2.3.4", "?", "&", "include", "page",
        "/", "a", ".", "-", "_", " ", "%2e",
    ]  # fmt: skip
    matched = dict.fromkeys(RULES._signs, 0)
    texts = list(_texts(12, 300))
    texts += ["".join(rng.choice(near) for _ in range(rng.randrange(1, 30))) for _ in range(20_000)]
    for text in texts:
        for form in {text.lower(), probes._unquote(text.lower(), True).lower()}:
            for rx, sign in RULES._signs.items():
                for m in rx.finditer(form):
                    assert sign.search(m.group()), (rx.pattern, sign.pattern, form)
                    matched[rx] += 1
    assert min(matched.values()) > 100, matched


@pytest.mark.parametrize("sign", ["/\\.[\\w-]+", "a\\b", "(?:ab)", "a|b", "^a", "a.b", "x" * 40])
def test_a_sign_that_is_not_short_and_fixed_is_refused(sign: str) -> None:
    data = probes.load_probe_data()
    data["family"][0]["regex"][0]["sign"] = sign
    with pytest.raises(ValueError, match="sign"):
        ProbeRules(data)
