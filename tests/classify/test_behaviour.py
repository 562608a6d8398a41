"""The client table: behaviour turns clients with browser agents into bots, and stays bounded."""

from __future__ import annotations

import os
import subprocess
import sys

from classify_util import rec

from logwatch.classify import Classifier, ClassifyConfig
from logwatch.classify.behaviour import ClientTable, _notfound_key
from logwatch.model import ASSET, BOT, HUMAN

T0 = 1_700_000_000.0


def test_probe_marks_the_client_for_later_requests() -> None:
    c = Classifier()
    assert c.classify(rec("/.env", client="192.0.2.1", ts=T0)).probe
    later = c.classify(rec("/", client="192.0.2.1", ts=T0 + 5))
    assert (later.cls, later.bot_category, later.probe) == (BOT, "scanner", False)
    assert later.reasons == ("client: probed earlier (secret-file) → bot",)
    # its assets are bot requests too
    assert c.classify(rec("/a.css", client="192.0.2.1", ts=T0 + 6)).cls == BOT
    # another client is untouched
    assert c.classify(rec("/", client="192.0.2.2", ts=T0 + 6)).cls == HUMAN


def test_mark_expires_after_the_horizon() -> None:
    c = Classifier(ClassifyConfig(behaviour_horizon=60))
    c.classify(rec("/.env", client="192.0.2.1", ts=T0))
    assert c.classify(rec("/", client="192.0.2.1", ts=T0 + 30)).cls == BOT
    assert c.classify(rec("/", client="192.0.2.1", ts=T0 + 200)).cls == HUMAN


def test_weak_probes_do_not_mark_the_client() -> None:
    c = Classifier()
    assert c.classify(rec("/admin", status=404, client="192.0.2.3", ts=T0)).probe
    assert c.classify(rec("/", client="192.0.2.3", ts=T0 + 1)).cls == HUMAN
    assert c.classify(
        rec("", method="", protocol="", request="-", status=400, client="192.0.2.4", ts=T0)
    ).probe
    assert c.classify(rec("/", client="192.0.2.4", ts=T0 + 1)).cls == HUMAN


def test_many_distinct_404s() -> None:
    c = Classifier(ClassifyConfig(max_404s=10))
    verdicts = [
        c.classify(rec(f"/missing-{i}", status=404, client="192.0.2.5", ts=T0 + i))
        for i in range(12)
    ]
    assert all(v.cls == HUMAN for v in verdicts[:9])
    assert verdicts[9].cls == BOT and verdicts[9].bot_category == "other"
    assert "10 distinct 404s" in verdicts[9].reasons[0]
    # the same missing page again and again is not "many distinct"
    c2 = Classifier(ClassifyConfig(max_404s=10))
    for i in range(30):
        v = c2.classify(rec("/old-link", status=404, client="192.0.2.6", ts=T0 + i))
    assert v.cls == HUMAN


def test_inhuman_page_rate() -> None:
    c = Classifier(ClassifyConfig(max_rate=100, rate_window=60))
    for i in range(100):
        assert c.classify(rec(f"/p{i}", client="192.0.2.7", ts=T0 + i * 0.1)).cls == HUMAN
    v = c.classify(rec("/p-last", client="192.0.2.7", ts=T0 + 10.1))
    assert v.cls == BOT and "pages in 60 s" in v.reasons[0]
    # a slow reader never trips it
    c2 = Classifier(ClassifyConfig(max_rate=100, rate_window=60))
    for i in range(300):
        v = c2.classify(rec(f"/p{i}", client="192.0.2.8", ts=T0 + i * 5))
        c2.classify(rec("/s.css", client="192.0.2.8", ts=T0 + i * 5))
    assert v.cls == HUMAN


def test_pages_without_assets_only_once_the_log_has_assets() -> None:
    c = Classifier(ClassifyConfig(max_pages_without_assets=20))
    for i in range(40):
        v = c.classify(rec(f"/p{i}", client="192.0.2.9", ts=T0 + i * 3))
    assert v.cls == HUMAN  # no asset anywhere yet: assets may live on a CDN
    assert c.classify(rec("/a.css", client="192.0.2.10", ts=T0 + 1)).cls == ASSET
    for i in range(20):
        v = c.classify(rec(f"/q{i}", client="192.0.2.11", ts=T0 + 10 + i * 3))
    assert v.cls == BOT and "no asset" in v.reasons[0]


def test_robots_txt_before_any_asset_is_a_crawler() -> None:
    c = Classifier()
    # no asset in the log yet: the site may serve them elsewhere, nothing is judged
    assert c.classify(rec("/robots.txt", client="192.0.2.40", ts=T0)).cls == HUMAN
    assert c.classify(rec("/a.css", client="192.0.2.41", ts=T0 + 1)).cls == ASSET
    # a crawler under a browser's agent: robots.txt first, then pages, never an asset
    v = c.classify(rec("/robots.txt", client="192.0.2.42", ts=T0 + 2))
    assert (v.cls, v.bot_category) == (BOT, "other")
    assert v.reasons == ("client: asked for /robots.txt before any asset → bot",)
    assert c.classify(rec("/blog/post", client="192.0.2.42", ts=T0 + 3)).cls == BOT
    # pages first, then robots.txt, still without an asset
    assert c.classify(rec("/", client="192.0.2.43", ts=T0 + 4)).cls == HUMAN
    assert c.classify(rec("/robots.txt", client="192.0.2.43", ts=T0 + 5)).cls == BOT
    # a person who loaded the site (its stylesheet) and then looks at the file stays a person
    assert c.classify(rec("/", client="192.0.2.44", ts=T0 + 6)).cls == HUMAN
    assert c.classify(rec("/a.css", client="192.0.2.44", ts=T0 + 7)).cls == ASSET
    assert c.classify(rec("/robots.txt", client="192.0.2.44", ts=T0 + 8)).cls == HUMAN
    assert c.classify(rec("/next", client="192.0.2.44", ts=T0 + 9)).cls == HUMAN


def test_known_bots_and_allow_listed_agents_are_not_tracked() -> None:
    c = Classifier(ClassifyConfig(allow_agents=("OurMonitor",), max_404s=3))
    for i in range(10):
        v = c.classify(rec(f"/x{i}", status=404, agent="OurMonitor/1.0", client="192.0.2.12"))
    assert v.cls == HUMAN
    assert len(c.clients) == 0


def test_table_is_bounded_lru() -> None:
    table = ClientTable(size=100)
    for i in range(1000):
        table.observe(f"10.0.{i // 256}.{i % 256}", T0 + i, False, 200, "/")
    assert len(table) == 100
    # a client seen recently survives the churn
    table.flag("keep", T0, "probed earlier (x) → bot", "scanner")
    for i in range(99):
        table.observe(f"k{i}", T0, False, 200, "/")
    assert table.observe("keep", T0 + 1, False, 200, "/") is not None


def test_the_table_keeps_about_the_last_horizon_of_clients_not_its_size() -> None:
    """Memory follows the traffic: clients gone longer than the horizon are forgotten as new
    ones come, however big the table may grow."""
    table = ClientTable(size=20_000, horizon=600, rate_window=60)
    for i in range(10_000):  # a new client every second for 2.8 hours
        table.observe(f"10.1.{i // 256}.{i % 256}", T0 + i, i % 2 == 0, 200, "/")
    assert 600 <= len(table) <= 1200  # the last 600 s, and those not reached yet


def test_forgetting_spares_active_and_marked_clients() -> None:
    """A client still counting (a slow crawler) and a marked one survive the stream of new
    clients that forgets the stale ones."""
    c = Classifier(ClassifyConfig(max_pages_without_assets=50, behaviour_horizon=600))
    c.classify(rec("/a.css", client="192.0.2.30", ts=T0))  # the log has assets
    c.classify(rec("/.env", client="192.0.2.31", ts=T0))  # marked for 600 s
    for i in range(150):  # 25 minutes; two new one-off clients a second
        t = T0 + 1 + i * 10
        for k in range(20):
            c.classify(rec("/", client=f"10.2.{i}.{k}", ts=t))
        if i < 50:  # a page every 10 s, never an asset: a bot at the 50th
            verdict = c.classify(rec(f"/p{i}", client="192.0.2.32", ts=t))
            assert (verdict.cls == BOT) == (i == 49)
        if i == 55:  # 551 s after its probe: still marked
            assert c.classify(rec("/", client="192.0.2.31", ts=t)).bot_category == "scanner"
    # about the last 600 s of one-off clients (1,200), not all 3,000
    assert len(c.clients) < 2000


def test_behaviour_can_be_switched_off() -> None:
    c = Classifier(ClassifyConfig(behaviour=False))
    c.classify(rec("/.env", client="192.0.2.13"))
    assert c.classify(rec("/", client="192.0.2.13")).cls == HUMAN


def test_a_long_404_path_is_held_by_a_key_every_process_shares() -> None:
    # The table is handed to history workers pickled: hash() is salted per process, so a long
    # path held by it would not be the same path there.
    path = "/" + "a" * 600
    code = (
        "from logwatch.classify.behaviour import _notfound_key;"
        "print(_notfound_key('/' + 'a' * 600))"
    )
    others = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout.strip()
        for seed in ("1", "2")
    }
    assert others == {str(_notfound_key(path))}
    assert _notfound_key("/short") == "/short"
