"""Country/network columns: hidden without GeoIP, added in place when it arrives, plain text."""

from __future__ import annotations

import dataclasses

from conftest import make_app
from lw_fixtures import make_snapshot

from logwatch.stats.snapshot import Snapshot
from logwatch.tui.screens.drill import DrillScreen
from logwatch.tui.widgets.panels import Panel

SIZE = (160, 45)
HOSTILE_ORG = "[@click=app.quit]Evil[/b] Net"


def with_geo(snap: Snapshot) -> Snapshot:
    w = snap.windows["5m"]
    first, second = w.top_clients[0].client, w.top_clients[1].client
    probe = w.probes[0].client
    geo = {
        first: {"country": "GB", "country_name": "United Kingdom", "city": "London",
                "asn": 20712, "as_org": HOSTILE_ORG},
        second: {"country": "FR", "country_name": "France", "city": None,
                 "asn": 16276, "as_org": "OVH SAS"},
        probe: {"country": "NL", "country_name": None, "city": None, "asn": None, "as_org": None},
    }  # fmt: skip
    bot = w.top_bots[0].name
    extra = {
        **snap.extra,
        "geo": geo,
        "bot_claims": {second: "unverified"},
        "bot_origins": {
            bot: {"country": "US", "network": "AS15169 GOOGLE", "requests": 9, "unverified": 2}
        },
    }
    return dataclasses.replace(snap, extra=extra)


def labels(panel: Panel) -> list[str]:
    return [c.label.plain for c in panel.columns.values()]


def row_of(panel: Panel, key: str) -> list:
    return panel.get_row(key)


async def test_no_geo_no_columns() -> None:
    app = make_app(make_snapshot())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        for pid in ("clients", "probes", "bots", "paths"):
            assert "Network" not in labels(app.screen.query_one(f"#{pid}", Panel))


async def test_geo_columns_appear_in_place_and_show_plain_text() -> None:
    snap = make_snapshot()
    app = make_app(snap)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        clients = app.screen.query_one("#clients", Panel)
        n_cols = len(labels(clients))
        clients.focus()
        await pilot.press("down", "down")
        chosen = clients.cursor_key
        cleared: list[int] = []
        clients.clear = lambda *a, **k: cleared.append(1)  # type: ignore[method-assign]

        enriched = with_geo(snap)
        app.receive_snapshot(enriched)
        await pilot.pause()
        assert not cleared and clients.cursor_key == chosen
        assert labels(clients)[n_cols:] == ["CC", "Network"]
        w = snap.windows["5m"]
        first, second = w.top_clients[0].client, w.top_clients[1].client
        cc, net = row_of(clients, first)[-2:]
        assert cc.plain == "GB"
        # Database text is data, shown as written: no markup parsed, no spans made from it.
        assert net.plain == f"AS20712 {HOSTILE_ORG}" and not net.spans
        cc, net = row_of(clients, second)[-2:]
        assert net.plain == "unverified · AS16276 OVH SAS" and "red" in str(net.style)
        # rows without an answer get empty cells; other panels are untouched
        unknown = w.top_clients[5].client
        assert [c.plain for c in row_of(clients, unknown)[-2:]] == ["", ""]
        assert "Network" not in labels(app.screen.query_one("#paths", Panel))

        probes = app.screen.query_one("#probes", Panel)
        assert [c.plain for c in row_of(probes, w.probes[0].client)[-2:]] == ["NL", ""]
        bots = app.screen.query_one("#bots", Panel)
        cc, net = row_of(bots, w.top_bots[0].name)[-2:]
        assert cc.plain == "US" and net.plain == "2 unverified · AS15169 GOOGLE"

        # a second snapshot with geo does not add the columns twice
        app.receive_snapshot(enriched)
        await pilot.pause()
        assert labels(clients)[n_cols:] == ["CC", "Network"]


async def test_client_drill_down_says_where_and_flags_a_claim() -> None:
    snap = with_geo(make_snapshot())
    second = snap.windows["5m"].top_clients[1].client
    app = make_app(snap)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.push_screen(DrillScreen("client", second))
        await pilot.pause()
        await pilot.pause()
        info = dict(app.screen.data.info)
        assert info["country"] == "France (FR)"
        assert info["network"] == "AS16276 OVH SAS"
        assert "unverified" in info["claim"]
