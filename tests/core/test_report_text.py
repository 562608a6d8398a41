"""What `logwatch report` says: each figure against a count made here, in text and JSON alike."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from logwatch.cli import main

UA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36"
BOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


def line(i: int, path: str = "/", status: int = 200, ua: str = UA, client: str = "") -> str:
    client = client or f"192.0.2.{i % 250}"
    return (
        f"{client} - - [10/Oct/2026:13:{i // 60 % 60:02d}:{i % 60:02d} +0000] "
        f'"GET {path} HTTP/1.1" {status} 100 "-" "{ua}"'
    )


def report(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert main(["report", *args]) == 0
    return capsys.readouterr().out


@pytest.fixture
def mixed_log(tmp_path: Path) -> Path:
    """40 human page views (4 answered 500, 2 answered 404), 60 Googlebot requests (30 of them
    404s), 20 assets."""
    rows = [line(i, f"/page{i % 5}", 500 if i < 4 else 404 if i < 6 else 200) for i in range(40)]
    rows += [line(100 + i, f"/old{i}", 404 if i < 30 else 200, BOT) for i in range(60)]
    rows += [line(200 + i, "/app.css") for i in range(20)]
    p = tmp_path / "access.log"
    p.write_text("\n".join(rows) + "\n")
    return p


def test_each_class_has_its_own_error_rate(
    mixed_log: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The report gave one 4xx rate for all requests (28% here): the bots' 404s hid that people
    met 5% of 404s and 10% of 500s."""
    out = json.loads(report(capsys, "--json", str(mixed_log)))
    assert out["class_status"] == {
        "human": {"2xx": 34, "3xx": 0, "4xx": 2, "5xx": 4},
        "bot": {"2xx": 30, "3xx": 0, "4xx": 30, "5xx": 0},
        "asset": {"2xx": 20, "3xx": 0, "4xx": 0, "5xx": 0},
    }
    for cls, n in out["classes"].items():
        assert sum(out["class_status"][cls].values()) == n
    text = report(capsys, str(mixed_log))
    human = re.search(r"^  human .*$", text, re.M)
    assert human is not None
    assert human.group(0).split()[1:] == ["40", "33.3%", "5.0%", "10.0%"]
    bot = re.search(r"^  bot .*$", text, re.M)
    assert bot is not None and bot.group(0).split()[3:] == ["50.0%", "0.0%"]


def test_figures_read_at_a_glance(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Counts had no thousands separators, one 5xx in 2,501 requests read 0.0%, and a request
    time of half a minute read "30516 ms"."""
    rows = [line(i % 3000, "/page", 500 if i == 0 else 200) + " 12.5 12.5" for i in range(2501)]
    p = tmp_path / "access.log"
    p.write_text("\n".join(rows) + "\n")
    text = report(capsys, str(p))
    assert "lines      2,501   parsed 2,501   malformed 0\n" in text
    human = re.search(r"^  human .*$", text, re.M)
    assert human is not None and human.group(0).split() == [
        "human",
        "2,501",
        "100.0%",
        "0.0%",
        "<0.1%",
    ]
    assert re.search(r"^  2xx +2,500 +>99\.9%$", text, re.M)
    # Quantiles come from log-scale bins: 12.5 s reads within 5%.
    assert re.search(r"^latency    p50 1[23]\.\d s  p95 1[23]\.\d s  p99 1[23]\.\d s$", text, re.M)


def test_the_text_fits_100_columns_and_long_paths_stay_apart(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two long paths that share a start were cut to the same 44 characters; a prober's rules
    and the probe rules ran past 200 columns."""
    stem = "/blog/2026/how-we-migrated-our-whole-infrastructure-to-"
    rows = [line(i, stem + ("kubernetes" if i % 2 else "nomad") + "/") for i in range(20)]
    attacks = ["/.env", "/wp-login.php", "/.git/config", "/cgi-bin/../../etc/passwd"]
    attacks += ["/?q=<script>alert(1)</script>", "/?id=1%27%20OR%201=1--", "/shell.php"]
    rows += [line(100 + i, path, 404, client="2001:db8::1") for i, path in enumerate(attacks)]
    rows += [line(200, "/.env", 404, client="198.51.100.7")]
    p = tmp_path / "access.log"
    p.write_text("\n".join(rows) + "\n")
    text = report(capsys, str(p))
    assert max(len(row) for row in text.splitlines()) <= 100
    kept = [row.split()[0] for row in text.splitlines() if row.startswith("  /blog/")]
    assert len(kept) == 2 and len(set(kept)) == 2, kept
    assert all(k.startswith("/blog/2026/") and "…" in k for k in kept)
    assert re.search(r"198\.51\.100\.7 +1 path  secret-file$", text, re.M)


def test_what_is_broken_broken_links_and_failing_paths(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The report listed paths by hits only: a broken link hit a few times, or a page failing
    one time in three, never showed among the busy pages."""
    rows = [line(i, "/") for i in range(50)]  # the busy page, never broken
    rows += [line(100 + i, "/gone", 404) for i in range(3)]
    rows += [line(110 + i, "/img/old-logo.png", 404) for i in range(2)]
    rows += [line(120 + i, "/api/cart", 500 if i < 4 else 200) for i in range(12)]
    rows += [line(140 + i, "/feed", 502, BOT) for i in range(2)]
    rows += [line(150 + i, "/wp-login.php", 404, client="198.51.100.9") for i in range(10)]
    p = tmp_path / "access.log"
    p.write_text("\n".join(rows) + "\n")
    out = json.loads(report(capsys, "--json", str(p)))
    # People's 404s, pages and assets alike; the prober's are left out.
    assert [(r["path"], r["4xx"], r["hits"]) for r in out["top_4xx_paths"]] == [
        ("/gone", 3, 3),
        ("/img/old-logo.png", 2, 2),
    ]
    assert [(r["path"], r["5xx"], r["hits"]) for r in out["top_5xx_paths"]] == [
        ("/api/cart", 4, 12),
        ("/feed", 2, 2),
    ]
    assert out["windows"]["1h"]["top_5xx_paths"][0]["path"] == "/api/cart"
    text = report(capsys, str(p))
    assert re.search(
        r"^4xx paths for people \(broken links\) +4xx +of hits\n  /gone +3 +3$", text, re.M
    )
    assert re.search(r"^5xx paths +5xx +of hits\n  /api/cart +4 +12\n  /feed +2 +2$", text, re.M)


def test_people_first_then_what_is_broken_then_what_attacks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The human paths came after the bots and probes, below the fold of any terminal; a prober
    with a browser's agent was listed as a bot named "scanner", like its category."""
    rows = [line(i, "/") for i in range(10)] + [line(20, "/api", 500)]
    rows += [line(30 + i, "/.env", 404, client="198.51.100.9") for i in range(5)]
    rows += [line(40 + i, "/", 200, BOT) for i in range(3)]
    p = tmp_path / "access.log"
    p.write_text("\n".join(rows) + "\n")
    text = report(capsys, str(p))
    order = ["classes", "top human paths", "5xx paths", "probes", "bots by category", "top bots"]
    at = [text.index("\n" + title) for title in order]
    assert at == sorted(at), order
    assert re.search(r"^ +5  scanner  \(by probe rules\)$", text, re.M)
    assert re.search(r"^ +3  search   Googlebot$", text, re.M)


def test_a_bot_without_a_bots_agent_is_labelled_by_what_made_it_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A client made a bot by a /.env probe read "scanner  (by behaviour)", while explain gave
    the probe rule: only the client table's judgements (here 20 distinct 404s) are behaviour."""
    prober, lost = "198.51.100.9", "198.51.100.7"
    rows = [line(0, "/.env", 404, client=prober), line(1, "/", client=prober)]  # probed earlier
    rows += [line(10 + i, f"/gone{i}", 404, client=lost) for i in range(22)]  # 404s 20 to 22
    p = tmp_path / "access.log"
    p.write_text("\n".join(rows) + "\n")
    text = report(capsys, str(p))
    assert re.search(r"^ +2  scanner  \(by probe rules\)$", text, re.M)
    assert re.search(r"^ +3  other    \(by behaviour\)$", text, re.M)
    out = json.loads(report(capsys, "--json", str(p)))
    names = {b["name"]: b["hits"] for b in out["top_bots"]}
    assert names == {"scanner": 2, "other": 3}  # the JSON names them as before


def test_several_files_each_have_their_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only the JSON split the figures by file (`by_source`): the text added every file up."""
    monkeypatch.chdir(tmp_path)
    site = Path("site.log")
    site.write_text("\n".join(line(i, "/", 500 if i < 3 else 200) for i in range(30)) + "\n")
    api = Path("api.log")
    api.write_text("\n".join(line(i, "/v1", 404, "curl/8.0") for i in range(10)) + "\n")
    text = report(capsys, str(api), str(site))
    table = text[text.index("\nsources") + 1 :].split("\n\n")[0].splitlines()[1:]
    assert [row.split() for row in table] == [
        [str(site), "30", "100.0%", "0.0%", "10.0%"],
        [str(api), "10", "0.0%", "100.0%", "0.0%"],
    ]
    assert "\nsources" not in report(capsys, str(site))
