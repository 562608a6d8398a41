"""Pilot tests: every key, every drill-down, keyed refresh, filter, resize."""

from __future__ import annotations

import threading
import time
from dataclasses import replace

from conftest import FakeEngine, make_app
from lw_fixtures import NOW, make_snapshot
from textual.widgets import Input

from logwatch.model import SourceState
from logwatch.stats.snapshot import BotStat
from logwatch.tui.screens.alerts import AlertsScreen
from logwatch.tui.screens.drill import DrillScreen
from logwatch.tui.screens.help import HelpScreen
from logwatch.tui.screens.main import MainScreen
from logwatch.tui.widgets.header import AlertBanner, HistoryProgress, StatusLine
from logwatch.tui.widgets.panels import Panel, StreamPanel

SIZE = (140, 45)


def cells(panel, column: int = 0) -> list[str]:
    return [panel.get_row_at(i)[column].plain for i in range(panel.row_count)]


def status_text(app) -> str:
    return str(app.screen.query_one(StatusLine).render())


def header_line(app) -> str:
    """The header as drawn: what fits the terminal's width."""
    return app.screen._compositor.render_strips()[0].text


async def test_panels_show_the_window(snap):
    app = make_app(snap)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, MainScreen)
        w = snap.windows["5m"]
        paths = screen.query_one("#paths", Panel)
        assert cells(paths) == [p.path for p in w.top_paths["human"]]
        codes = screen.query_one("#codes", Panel)
        assert sorted(int(c) for c in cells(codes)) == sorted(set(w.codes) | set(w.codes_prev))
        assert cells(screen.query_one("#bots", Panel)) == [b.name for b in w.top_bots]
        assert cells(screen.query_one("#probes", Panel)) == [p.client for p in w.probes]
        assert screen.query_one("#stream", Panel).row_count == StreamPanel.LIMIT
        assert "5m" in status_text(app) and "LIVE" in status_text(app)


async def test_the_bots_panel_says_what_made_an_agentless_client_a_bot(snap):
    # Its row was named after its kind ("scanner  scanner"); the report says why it is a bot.
    w = snap.windows["5m"]
    unnamed = (BotStat("scanner", "scanner", 900, 0.5), BotStat("other", "other", 800, 0.4))
    windows = {**snap.windows, "5m": replace(w, top_bots=unnamed + w.top_bots)}
    app = make_app(replace(snap, windows=windows))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        bots = app.screen.query_one("#bots", Panel)
        assert cells(bots)[:2] == ["(by probe rules)", "(by behaviour)"]
        assert cells(bots, 1)[:2] == ["scanner", "other"]


async def test_tab_and_shift_tab_move_between_panels(snap):
    app = make_app(snap)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        order = []
        for _ in range(7):
            order.append(app.focused.id)
            await pilot.press("tab")
        assert order == ["paths", "codes", "bots", "probes", "clients", "referrers", "stream"]
        assert app.focused.id == "paths"  # wrapped around
        await pilot.press("shift+tab")
        assert app.focused.id == "stream"


async def _drill(pilot, app, panel_id: str, down: int = 0):
    app.screen.query_one(f"#{panel_id}").focus()
    for _ in range(down):
        await pilot.press("down")
    await pilot.press("enter")
    await pilot.pause()
    return app.screen


async def test_drill_down_into_each_panel_and_back(snap):
    w = snap.windows["5m"]
    app = make_app(snap)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        expected = {
            "paths": ("path", w.top_paths["human"][1].path),
            "codes": ("status", "200"),
            "bots": ("bot", w.top_bots[1].name),
            "probes": ("client", w.probes[1].client),
            "clients": ("client", w.top_clients[1].client),
        }
        for panel_id, (kind, key) in expected.items():
            screen = await _drill(pilot, app, panel_id, down=0 if panel_id == "codes" else 1)
            assert isinstance(screen, DrillScreen), panel_id
            assert (screen.kind, screen.key) == (kind, key)
            assert screen.data is not None and screen.data.matched > 0
            await pilot.press("escape")
            await pilot.pause()
            assert isinstance(app.screen, MainScreen)
        # the stream drills into the client of the newest request
        newest = snap.recent[-1][0]
        screen = await _drill(pilot, app, "stream")
        assert (screen.kind, screen.key) == ("client", newest.client)
        await pilot.press("escape")
        # referrers have nothing to drill into: enter stays on the main screen
        await _drill(pilot, app, "referrers")
        assert isinstance(app.screen, MainScreen)


async def test_drill_screens_show_their_figures(snap):
    app = make_app(snap)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        probe = snap.windows["5m"].probes[0]
        app.push_screen(DrillScreen("client", probe.client))
        await pilot.pause()
        await pilot.pause()
        screen = app.screen
        info = dict(screen.data.info)
        assert info["verdict"].startswith("bot/scanner")
        assert "because" in info and "probe" in info["because"]
        assert "probes" in info
        paths = screen.query_one("#sec-paths")
        assert paths.row_count == probe.distinct_paths or paths.row_count > 0
        recent = screen.query_one("#sec-recent")
        assert recent.row_count == screen.data.matched
        # drill further: from the client's paths into one path
        paths.focus()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, DrillScreen) and app.screen.kind == "path"
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen
        # bot drill: rate, share of requests, share of time served
        app.push_screen(DrillScreen("bot", "GPTBot"))
        await pilot.pause()
        info = dict(app.screen.data.info)
        assert "time served" in info and "%" in info["time served"]
        assert "/min" in info["window 5m"]


async def test_w_cycles_window_and_v_cycles_view(snap):
    app = make_app(snap)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        paths = app.screen.query_one("#paths", Panel)
        await pilot.press("w")
        await pilot.pause()
        assert app.window == "15m"
        assert cells(paths) == [p.path for p in snap.windows["15m"].top_paths["human"]]
        assert "15m" in status_text(app)
        await pilot.press("w", "w", "w")
        assert app.window == "5m"
        await pilot.press("v")
        assert app.cls_view == "human"
        await pilot.press("v")
        await pilot.pause()
        assert app.cls_view == "bot"
        assert "bot" in paths.border_title
        assert cells(paths) == [p.path for p in snap.windows["5m"].top_paths["bot"]]
        stream = app.screen.query_one("#stream", Panel)
        assert {c.split("/")[0] for c in cells(stream, 5)} == {"bot"}
        await pilot.press("v", "v")
        assert app.cls_view == "all"


async def test_the_window_shown_is_one_the_config_has(snap):
    # windows = ["1m", "1h"] in the config: the header said 5m while every panel showed the
    # totals since start.
    import dataclasses

    only = dataclasses.replace(snap, windows={k: snap.windows[k] for k in ("1m", "1h")})
    app = make_app(snap)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.window == "5m"
        app.receive_snapshot(only)
        await pilot.pause()
        assert app.window == "1m"
        paths = app.screen.query_one("#paths", Panel)
        assert cells(paths) == [p.path for p in only.windows["1m"].top_paths["human"]]
        await pilot.press("w")
        assert app.window == "1h"
        await pilot.press("w")
        assert app.window == "1m"


async def test_p_pauses_the_display(snap, engine):
    app = make_app(snap, engine)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        paths = app.screen.query_one("#paths", Panel)
        before = cells(paths, 1)
        await pilot.press("p")
        assert "PAUSED" in status_text(app)
        app.receive_snapshot(make_snapshot(seed=99))
        await pilot.pause()
        assert cells(paths, 1) == before
        await pilot.press("p")
        await pilot.pause()
        assert "LIVE" in status_text(app)
        assert cells(paths, 1) != before


async def test_s_sorts_the_focused_panel(snap):
    app = make_app(snap)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        paths = app.screen.query_one("#paths", Panel)
        await pilot.press("s")  # hits -> 5xx
        await pilot.pause()
        assert cells(paths)[0] == "/api/checkout"
        assert "5xx" in paths.border_subtitle
        for _ in range(3):
            await pilot.press("s")  # 4xx, p95, path
        await pilot.pause()
        assert cells(paths) == sorted(cells(paths))
        await pilot.press("s")  # back to hits
        await pilot.pause()
        assert cells(paths) == [p.path for p in snap.windows["5m"].top_paths["human"]]


async def test_m_marks_and_shows_before_after(snap, engine):
    app = make_app(snap, engine)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("m")
        assert engine.marks == [snap.now]
        # the engine answers with snapshots that carry the mark
        app.receive_snapshot(make_snapshot(mark=NOW - 120))
        await pilot.pause()
        codes = app.screen.query_one("#codes", Panel)
        assert "since mark" in codes.border_title
        assert codes.columns["hits"].label.plain == "After/m"
        summary = str(app.screen.query_one("#fig-5xx .figure-value").render())
        assert "→" in summary
        await pilot.press("M")
        assert engine.marks[-1] is None


async def test_t_cycles_theme_and_bad_theme_falls_back(snap, tmp_path):
    app = make_app(snap)
    async with app.run_test(size=SIZE) as pilot:
        assert app.theme == "logwatch-dark"
        await pilot.press("t")
        assert app.theme != "logwatch-dark" and app.theme.startswith("logwatch-")
        seen = {app.theme}
        for _ in range(len(app.theme_names) - 1):
            await pilot.press("t")
            seen.add(app.theme)
        assert {"logwatch-dark", "logwatch-light", "logwatch-high-contrast"} <= seen

    bad = tmp_path / "bad.toml"
    bad.write_text('name = "broken"\nprimary = "not-a-colour"\n')
    also_bad = tmp_path / "worse.toml"
    also_bad.write_text("this is not toml [")
    app = make_app(snap, theme="broken", theme_dirs=[tmp_path])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.theme == "logwatch-dark"
        notes = [n for n in app._notifications if "Theme problem" in n.message]
        assert len(notes) == 1
        assert "not-a-colour" in notes[0].message


async def test_help_and_alerts_screens(snap, engine):
    app = make_app(snap, engine)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = str(app.screen.query_one("#help-text").render())
        for key in (
            "tab",
            "enter",
            "escape",
            "/",
            " w ",
            " v ",
            " p ",
            " s ",
            " m ",
            " t ",
            " q ",
            " a ",
        ):
            assert key.strip() in text
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)

        engine.alerts._active = [{"name": "5xx_rate", "message": "5xx 12% > 5%", "ts": NOW}]
        engine.alerts._history = [
            {"name": "5xx_rate", "state": "firing", "ts": NOW - 60},
            {"name": "5xx_rate", "state": "resolved", "ts": NOW - 30},
        ]
        app.receive_snapshot(snap)
        await pilot.pause()
        banner = app.screen.query_one(AlertBanner)
        assert banner.display and "5xx 12% > 5%" in str(banner.render())
        assert "1 alert" in status_text(app)
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(app.screen, AlertsScreen)
        assert app.screen.query_one("#alerts-active").row_count == 1
        assert app.screen.query_one("#alerts-history").row_count == 2
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)


async def test_q_quits_and_stops_the_engine(snap, engine):
    app = make_app(snap, engine)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert engine.on_snapshot is not None
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0
    assert engine.stopped


async def test_filter_narrows_the_stream_and_errors_are_reported(snap):
    app = make_app(snap)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("slash")
        box = app.screen.query_one("#filter", Input)
        assert box.display and app.focused is box
        await pilot.press(*"status:4xx", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.filter_text == "status:4xx"
        assert not box.display
        stream = app.screen.query_one("#stream", Panel)
        statuses = set(cells(stream, 2))
        assert statuses and all(s.startswith("4") for s in statuses)
        assert "status:4xx" in status_text(app)
        # every panel follows the filter, not only the stream
        codes = app.screen.query_one("#codes", Panel)
        assert cells(codes) and all(c.startswith("4") for c in cells(codes))
        clients = app.screen.query_one("#clients", Panel)
        assert all(c.endswith("%") for c in cells(clients, 3))
        # a filter that cannot be understood keeps the box open and says why
        await pilot.press("slash", "ctrl+a", "ctrl+k", *"stauts:5xx", "enter")
        await pilot.pause()
        assert box.display
        assert any("unknown field" in n.message for n in app._notifications)
        assert app.filter_text == "status:4xx"
        await pilot.press("escape")  # close the box, keep the filter
        await pilot.pause()
        assert not box.display and app.filter_text == "status:4xx"
        await pilot.press("escape")  # clear the filter
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.filter_text == ""
        assert stream.row_count == StreamPanel.LIMIT


async def test_refresh_keeps_cursor_on_its_row_without_clearing(snap):
    app = make_app(snap)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        clients = app.screen.query_one("#clients", Panel)
        clients.focus()
        await pilot.press("down", "down", "down")
        chosen = clients.cursor_key
        cleared = []
        clients.clear = lambda *a, **k: cleared.append(1)  # type: ignore[method-assign]
        nxt = make_snapshot(seed=8)  # other counts, other order
        app.receive_snapshot(nxt)
        await pilot.pause()
        assert not cleared
        names = [c.client for c in nxt.windows["5m"].top_clients]
        assert cells(clients) == names
        if chosen in names:
            assert clients.cursor_key == chosen
        # stream: the cursor stays on the top (newest) row while the user has not moved it
        stream = app.screen.query_one("#stream", Panel)
        assert stream.cursor_row == 0


async def test_hidden_screens_are_not_refreshed(snap):
    app = make_app(snap)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        main = app.screen
        calls = []
        original = main.refresh_data
        main.refresh_data = lambda vs: (calls.append(vs), original(vs))  # type: ignore[method-assign]
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, DrillScreen)
        app.receive_snapshot(make_snapshot(seed=5))
        app.receive_snapshot(make_snapshot(seed=6))
        await pilot.pause()
        assert calls == []
        await pilot.press("escape")
        await pilot.pause()
        assert len(calls) == 1  # caught up once on return


async def test_snapshots_from_another_thread_are_coalesced(snap, engine):
    app = make_app(snap, engine)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        snaps = [make_snapshot(seed=s) for s in range(20, 26)]
        received = []
        original = app.receive_snapshot
        app.receive_snapshot = lambda s: (received.append(s), original(s))  # type: ignore[method-assign]
        t = threading.Thread(target=lambda: [engine.on_snapshot(s) for s in snaps])
        t.start()
        t.join()
        await pilot.pause()
        await pilot.pause()
        assert received and received[-1] is snaps[-1]
        assert len(received) <= len(snaps)
        assert app.latest is snaps[-1]


async def test_history_progress_bar(snap):
    from dataclasses import replace

    src = (
        SourceState(
            "big.log",
            state="reading",
            lines=10,
            extra={"history_bytes_done": 400, "history_bytes_total": 1000},
        ),
    )
    app = make_app(replace(snap, sources=src))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        bar = app.screen.query_one(HistoryProgress)
        assert bar.display
        assert bar.query_one("ProgressBar").progress == 400
        app.receive_snapshot(
            replace(
                snap,
                sources=(
                    SourceState(
                        "big.log",
                        state="following",
                        lines=1000,
                        extra={"history_bytes_done": 1000, "history_bytes_total": 1000},
                    ),
                ),
            )
        )
        await pilot.pause()
        assert not bar.display


async def test_resize_to_80x24_keeps_panels_usable(snap):
    app = make_app(snap)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.screen.has_class("-wide")
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        screen = app.screen
        assert screen.has_class("-narrow")
        paths = screen.query_one("#paths", Panel)
        assert paths.region.width == 78 or paths.region.width >= 76
        assert paths.columns["path"].width >= 30  # the flexible column got the room
        assert paths.region.height >= 7
        assert screen.query_one("#codes").region.y > 0
        # tab brings later panels into view by scrolling the body
        for _ in range(6):
            await pilot.press("tab")
        await pilot.pause()
        stream = screen.query_one("#stream")
        assert app.focused is stream
        body = screen.query_one("#body")
        assert stream.region.overlaps(body.region)


async def test_engine_fake_is_protocol_shaped():
    # run_dashboard hands the app an engine link with start/stop/set_mark/alerts
    from logwatch.tui.link import EngineLink

    for name in ("start", "stop", "set_mark", "alerts"):
        assert hasattr(EngineLink, name) and hasattr(FakeEngine(), name)


async def test_real_alert_events_show_in_banner_and_screen(snap, engine):
    from logwatch.alerts.engine import AlertEvent

    firing = AlertEvent(
        rule="errors_5xx", metric="5xx_rate", window="1m", state="firing", value=0.12,
        condition="above", threshold=0.05, at=time.time() - 30, requests=400,
        since=time.time() - 30, context={"top": ["/[@click=app.quit]"]},
    )  # fmt: skip
    engine.alerts._active = [firing]
    engine.alerts._history = [firing]
    app = make_app(snap, engine, bell=True)
    rang = []
    app.bell = lambda: rang.append(1)  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        app.receive_snapshot(snap)
        await pilot.pause()
        banner = str(app.screen.query_one(AlertBanner).render())
        assert "FIRING errors_5xx" in banner and "click=app.quit]" in banner  # text, inert
        assert rang == [1]  # --bell rings once when an alert starts
        app.receive_snapshot(snap)
        assert rang == [1]
        await pilot.press("a")
        await pilot.pause()
        history = app.screen.query_one("#alerts-history")
        assert history.get_row_at(0)[1].plain == "firing"
        assert app.is_running


async def test_the_alerts_screen_lists_real_rules_by_name(snap, engine):
    """The engine's rules are AlertRule objects: the note shows their names, not their
    dataclass repr (cut inside the first rule, with any webhook URL and its token)."""
    from logwatch.alerts import AlertRule

    engine.alerts.rules = [
        AlertRule("5xx spike", "5xx_rate", above=0.05, webhook="https://chat.example/T0/s3cret"),
        AlertRule("probe burst", "probe_hits", above=30),
    ]
    app = make_app(snap, engine)
    async with app.run_test(size=SIZE) as pilot:
        app.receive_snapshot(snap)
        await pilot.press("a")
        await pilot.pause()
        note = str(app.screen.query_one("#alerts-note").render())
        assert "2 rule(s): 5xx spike, probe burst" in note
        assert "s3cret" not in note


async def test_the_alerts_screen_shows_where_each_rule_stands(snap, engine):
    """Each rule's state, its value now and the condition it fires on, from the real engine."""
    from logwatch.alerts import AlertEngine, AlertRule

    alerts = AlertEngine(
        [
            AlertRule("5xx spike", "5xx_rate", above=0.05, min_requests=1),
            AlertRule("busy", "requests_per_s", above=1e9, min_requests=10**9),
        ]
    )
    alerts.evaluate(snap)
    engine.alerts = alerts
    app = make_app(snap, engine)
    async with app.run_test(size=SIZE) as pilot:
        app.receive_snapshot(snap)
        await pilot.press("a")
        await pilot.pause()
        table = app.screen.query_one("#alerts-rules")
        rows = [[cell.plain for cell in table.get_row_at(i)] for i in range(table.row_count)]
        assert [r[:2] for r in rows] == [["5xx spike", "ok"], ["busy", "waiting"]]
        assert rows[0][2].endswith("%") and rows[0][4].startswith("5xx_rate over 1m above 5.0%")
        # figures right-aligned under right-aligned headings, like every panel's
        assert [table.get_row_at(0)[i].justify for i in (2, 3)] == ["right", "right"]


async def test_the_status_line_names_the_formats_learned_beside_the_first(snap):
    """A log with a second shape of line (a Caddy log beside nginx's) says so in the header."""
    import dataclasses

    counters = {**snap.counters, "formats": {"caddy": 12}}
    app = make_app(dataclasses.replace(snap, format="combined", counters=counters))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert " combined+caddy " in status_text(app)


async def test_a_drill_down_starts_on_a_table_enter_drills_into(snap):
    """It opened on "Statuses over time", which drills nowhere: Enter did nothing until Tab."""
    app = make_app(snap)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        path = snap.windows["5m"].top_paths["human"][0].path
        app.push_screen(DrillScreen("path", path))
        await pilot.pause()
        await pilot.pause()
        drill = getattr(app.screen.focused, "DRILL", "")
        assert drill
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, DrillScreen) and app.screen.kind == drill


def test_the_request_stream_shows_a_request_with_no_path_by_its_text(snap):
    """A TLS handshake sent to port 80 showed as an empty path in the stream."""
    import dataclasses

    from logwatch.tui.state import ViewState
    from logwatch.tui.widgets.panels import stream_cells

    rec, verdict = snap.recent[-1]
    handshake = dataclasses.replace(rec, path="", query="", request="\\x16\\x03\\x01")
    assert stream_cells(handshake, verdict, ViewState(snap))[4].plain == "\\x16\\x03\\x01"


async def test_s_sorts_the_clients_by_the_bot_share_the_column_shows(snap):
    # Found by a hunt: "by bot" sorted by bot requests while the column shows the client's bot
    # share, so 50% came above 100%.
    from dataclasses import replace

    from logwatch.stats.snapshot import ClientStat

    clients = (
        ClientStat("192.0.2.1", 100, human=50, bot=50),
        ClientStat("192.0.2.2", 20, bot=20),
        ClientStat("192.0.2.3", 10, human=9, bot=1),
    )
    windows = dict(snap.windows)
    windows["5m"] = replace(windows["5m"], top_clients=clients)
    app = make_app(replace(snap, windows=windows))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        panel = app.screen.query_one("#clients", Panel)
        panel.focus()
        await pilot.press("s", "s")  # hits -> errors -> bot
        await pilot.pause()
        assert panel.sort_label == "bot"
        assert cells(panel, 2) == ["100%", "50%", "10%"]


def test_the_bell_rings_for_a_new_alert_of_now_not_for_the_history() -> None:
    """--bell compared counts (one alert resolving as another started stayed silent) and rang
    for alerts the history read at start raised (an old log's incident, at every start)."""
    from logwatch.alerts.engine import AlertEvent
    from logwatch.tui.app import _rings

    now = time.time()

    def alert(at: float) -> AlertEvent:
        return AlertEvent(
            rule="r", metric="5xx_rate", window="1m", state="firing", value=0.2,
            condition="above", threshold=0.05, at=at, requests=100, since=at,
        )  # fmt: skip

    old, new, history = alert(now - 60), alert(now - 1), alert(now - 86_400)
    assert _rings((new,), (), now)
    assert not _rings((new,), (new,), now)  # already rung for
    assert _rings((new,), (old,), now)  # one ended, another began: same count
    assert not _rings((history,), (), now)  # fired in the log's past


def _dead_log(snap, *, live: bool = False, history_done: bool = True):
    """As the engine marks a snapshot: live (windows at the wall clock) or at the log's time."""
    import dataclasses

    return dataclasses.replace(
        snap, extra={**snap.extra, "live": live, "history_done": history_done}
    )


async def test_a_live_log_on_its_own_clock_says_how_far_off_it_is(snap, engine):
    import dataclasses

    from logwatch.tui.widgets.header import fmt_skew

    assert (fmt_skew(7_200), fmt_skew(-19_800), fmt_skew(900)) == ("+2h", "-5h30m", "+0h15m")
    skewed = dataclasses.replace(snap, extra={**snap.extra, "live": True, "clock_skew": 7_200.0})
    app = make_app(skewed, engine)
    async with app.run_test(size=(120, 24)) as pilot:
        await pilot.pause()
        assert "● LIVE log clock +2h" in header_line(app)
        app.receive_snapshot(_dead_log(snap, live=True))
        await pilot.pause()
        assert "log clock" not in header_line(app)


async def test_a_dead_log_s_last_hour_is_history_not_live(snap, engine):
    """`logwatch --since all` on a log last written weeks ago said "● LIVE" over its last hour
    (req/s and all, no date on screen) while --headless said "live": false."""
    app = make_app(_dead_log(snap), engine)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        # NOW is 2025-12-29 09:20:00 UTC (the fixture's newest request); the app's zone is UTC.
        header = header_line(app)
        assert "◌ HISTORY · log ends 2025-12-29 09:20 UTC 5m all" in header  # fits 80 columns
        assert "LIVE" not in header
        # Still reading: its end is not known yet.
        app.receive_snapshot(_dead_log(snap, history_done=False))
        await pilot.pause()
        assert "◌ HISTORY · read to 2025-12-29 09:20 UTC" in status_text(app)
        # Lines arriving in real time: the engine's windows follow the wall clock.
        app.receive_snapshot(_dead_log(snap, live=True))
        await pilot.pause()
        assert "● LIVE" in status_text(app) and "HISTORY" not in status_text(app)


async def test_pausing_history_still_says_it_is_history(snap, engine):
    app = make_app(_dead_log(snap), engine)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("p")
        await pilot.pause()
        header = header_line(app)
        assert "⏸ PAUSED ◌ HISTORY · log ends 2025-12-29 09:20 UTC 5m" in header
        # Paused, the frozen snapshot is shown: lines going live do not turn it into LIVE.
        app.receive_snapshot(_dead_log(snap, live=True))
        await pilot.pause()
        assert "HISTORY" in status_text(app) and "LIVE" not in status_text(app)
        await pilot.press("p")
        await pilot.pause()
        assert "● LIVE" in status_text(app) and "PAUSED" not in status_text(app)


async def test_history_with_no_request_yet_gives_no_date(engine):
    from logwatch.tui.app import empty_snapshot

    app = make_app(_dead_log(empty_snapshot(NOW), history_done=False), engine)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert "◌ HISTORY 5m" in status_text(app)


async def test_a_filter_matching_nothing_keeps_the_log_s_end_in_the_header(snap, engine):
    import dataclasses

    dead = _dead_log(dataclasses.replace(snap, span=(NOW - 3600, NOW)))
    app = make_app(dead, engine)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.set_filter("path:/no/such/path")
        await pilot.pause()
        await pilot.pause()
        assert app.screen.query_one("#paths").row_count == 0
        assert "◌ HISTORY · log ends 2025-12-29 09:20 UTC" in status_text(app)
