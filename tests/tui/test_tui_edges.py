"""Pilot tests of odd rows and odd states: requests with no path, pausing, raw source names."""

from __future__ import annotations

from conftest import make_app
from test_tui_hostile import assert_clean, screen_text

from logwatch.model import SourceState
from logwatch.pipeline import Pipeline
from logwatch.tui.screens.drill import DrillScreen

SIZE = (140, 45)

HANDSHAKE_LOG = [
    b'198.51.100.7 - - [10/Oct/2026:08:00:00 +0000] "GET /about HTTP/1.1" 200 512 "-" "curl/8.0"',
    b'198.51.100.7 - - [10/Oct/2026:08:00:01 +0000] "\\x16\\x03\\x01\\x00\\xF4\\x01" 400 157 "-" "-"',
    b'198.51.100.7 - - [10/Oct/2026:08:00:02 +0000] "-" 400 0 "-" "-"',
    b'198.51.100.7 - - [10/Oct/2026:08:00:03 +0000] "GET /about HTTP/1.1" 200 512 "-" "curl/8.0"',
]


def pipeline_snapshot(lines: list[bytes], name: str = "access.log"):
    pipeline = Pipeline()
    pipeline.feed(lines, name)
    pipeline.flush()
    return pipeline.snapshot(sources=[SourceState(name, state="following")])


async def test_a_request_with_no_path_drills_down_from_every_list():
    # The top paths panel lists a TLS handshake or a "-" request by its request text; the path
    # lists of the client, bot and status drill-downs must key it the same way, or their row is
    # blank and drills into an empty page.
    snap = pipeline_snapshot(HANDSHAKE_LOG)
    app = make_app(snap, window="1h")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        for kind, key in (("client", "198.51.100.7"), ("status", "400")):
            app.push_screen(DrillScreen(kind, key))
            await pilot.pause()
            await pilot.pause()
            screen = app.screen
            paths = screen.query_one("#sec-paths")
            keys = [k.value for k in paths.ordered_row_keys()]
            assert "" not in keys, kind
            assert "\\x16\\x03\\x01\\x00\\xF4\\x01" in keys and "-" in keys, kind
            paths.focus()
            for row in range(paths.row_count):
                paths.move_cursor(row=row)
                await pilot.press("enter")
                await pilot.pause()
                drilled = app.screen
                assert isinstance(drilled, DrillScreen) and drilled.kind == "path"
                assert drilled.data is not None and drilled.data.matched > 0, drilled.key
                await pilot.press("escape")
                await pilot.pause()
            await pilot.press("escape")
            await pilot.pause()


async def test_file_names_and_raw_records_reach_the_screen_without_escapes():
    # A source's label is a file name from the filesystem (a glob may pick up any name) and its
    # error quotes it; a Record built outside ingestion may hold raw escapes in its path or
    # client. The status line and the drill-down's title and info must clean them like cells.
    from dataclasses import replace

    from logwatch.model import Record, Verdict

    snap = pipeline_snapshot(HANDSHAKE_LOG)
    source = SourceState(
        "/var/log/a\x1b]0;owned\x07.log",
        label="a\x1b]0;owned\x07.log",
        state="error",
        message="cannot open a\x1b[2J.log",
    )
    raw = Record(
        snap.now - 1,
        "198.51.100.1\x1b[5m",
        "GET",
        "/x\x1b]0;owned\x07y",
        "",
        "HTTP/1.1",
        500,
        1,
        "-",
        "\x9b2Jagent",
        source="raw.log",
    )
    verdict = Verdict("human", reasons=("because \x1b[31mred",))
    snap = replace(snap, sources=(source,), recent=(*snap.recent, (raw, verdict)))
    app = make_app(snap, window="1h")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert_clean(screen_text(app))
        assert "a\\x1b]0;owned\\x07.log" in screen_text(app)
        for kind, key in (("client", raw.client), ("path", raw.path)):
            app.push_screen(DrillScreen(kind, key))
            await pilot.pause()
            await pilot.pause()
            assert app.screen.data.matched == 1
            assert_clean(screen_text(app))
            app.pop_screen()
            await pilot.pause()


async def test_keys_pressed_while_paused_keep_the_paused_data():
    from lw_fixtures import make_snapshot

    from logwatch.tui.widgets.panels import Panel

    def cells(panel) -> list[tuple[str, str]]:
        rows = (panel.get_row_at(i) for i in range(panel.row_count))
        return [(r[0].plain, r[1].plain) for r in rows]

    snap = make_snapshot()
    app = make_app(snap)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        paths = app.screen.query_one("#paths", Panel)
        await pilot.press("p")
        before = cells(paths)
        app.receive_snapshot(make_snapshot(seed=99))
        await pilot.pause()
        # all the way round the windows and the class views, back to where it was paused
        await pilot.press("w", "w", "w", "w", "v", "v", "v", "v")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "PAUSED" in str(app.screen.query_one("#status").render())
        assert cells(paths) == before
        assert app.vs.snapshot is snap
        await pilot.press("p")  # resuming shows the newest data
        await pilot.pause()
        assert cells(paths) != before


async def test_a_cut_cell_says_so():
    # The client columns of the probes panel and the stream are 15 wide: an IPv6 address cut
    # there without a mark reads as another address (2001:db8:42:1:a), a cut rule list as
    # another rule. A cut cell ends with an ellipsis.
    from dataclasses import replace

    from lw_fixtures import make_snapshot

    from logwatch.model import Record, Verdict

    client = "2001:db8:42:1:abcd:ef01:2345:6789"
    probe = Record(
        make_snapshot().now - 1, client, "GET", "/.env", "", "HTTP/1.1", 404, 1, "-", "zgrab"
    )
    snap = make_snapshot()
    snap = replace(snap, recent=(*snap.recent, (probe, Verdict("bot", "scanner", None, True))))
    app = make_app(snap)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        stream = app.screen.query_one("#stream")
        stream.focus()
        await pilot.pause()
        lines = [line for line in screen_text(app).splitlines() if "2001:db8" in line]
        assert lines
        for line in lines:
            shown = line.split("2001:db8", 1)[1].split()[0]
            assert client.endswith(shown) or shown.endswith("…"), line


async def test_a_path_shown_with_escapes_filters_as_shown():
    # Bytes that are not UTF-8 and control characters are shown as \xHH; a filter typed (or
    # pasted) from what a panel shows must find those requests: backslashes are not escapes.
    lines = [
        *HANDSHAKE_LOG,
        b'198.51.100.8 - - [10/Oct/2026:08:00:04 +0000] "GET /bad\xff\xfe HTTP/1.1" 404 9 "-" "-"',
    ]
    app = make_app(pipeline_snapshot(lines), window="1h")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        stream = app.screen.query_one("#stream")
        shown = [stream.get_row_at(i)[4].plain for i in range(stream.row_count)]
        assert "/bad\\xff\\xfe" in shown
        await pilot.press("slash", *"path:/bad\\xff\\xfe", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.filter_text == "path:/bad\\xff\\xfe"
        assert [stream.get_row_at(i)[4].plain for i in range(stream.row_count)] == [
            "/bad\\xff\\xfe"
        ]


async def test_a_request_with_no_path_is_found_by_the_filter():
    # The top paths panel lists a TLS handshake by its request text; a path: term or free text
    # taken from that row must find it.
    app = make_app(pipeline_snapshot(HANDSHAKE_LOG), window="1h")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        stream = app.screen.query_one("#stream")
        for text in ("path:\\x16\\x03", "\\x16\\x03\\x01"):
            assert app.set_filter(text)
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert stream.row_count == 1, text
            assert stream.get_row_at(0)[2].plain == "400"


async def test_a_drill_down_list_cut_to_its_limit_says_of_how_many():
    # Found by a hunt: a path hit by 46 clients listed 30 and its subtitle said "30"; its
    # recent requests showed 60 of 145 and said "60". A cut list reads as all of them.
    lines = [
        b"10.0.1.%d - - [10/Oct/2026:08:00:%02d +0000] "
        b'"GET /a HTTP/1.1" 200 9 "-" "Mozilla/5.0 Firefox/120.0"' % (i, i)
        for i in range(45)
    ]
    lines += [
        b'10.0.0.2 - - [10/Oct/2026:08:01:%02d +0000] "GET /a HTTP/1.1" 500 9 "-" '
        b'"Mozilla/5.0 Firefox/120.0"' % (i // 2)
        for i in range(100)
    ]
    app = make_app(pipeline_snapshot(lines), window="1h")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.push_screen(DrillScreen("path", "/a"))
        await pilot.pause()
        await pilot.pause()
        clients = app.screen.query_one("#sec-clients")
        assert clients.row_count == 30 and clients.border_subtitle == "30 of 46"
        recent = app.screen.query_one("#sec-recent")
        assert recent.row_count == 60 and recent.border_subtitle == "60 of 145"
        agents = app.screen.query_one("#sec-agents")
        assert agents.border_subtitle == "1"


async def test_a_filtered_window_longer_than_the_recent_requests_says_how_much_it_covers():
    # Found by a hunt: a filter recounts the ring of recent requests; with 100 kept and 400 in
    # the hour, `path:/a` (every request) turned the 1h window's 400 requests into 100, and
    # nothing on screen said the figures were of the newest 2.5 minutes only.
    from logwatch.stats.aggregator import StatsConfig
    from logwatch.tui.widgets.header import StatusLine

    lines = [
        b"10.0.0.%d - - [10/Oct/2026:08:%02d:%02d +0000] "
        b'"GET /a HTTP/1.1" 200 9 "-" "Mozilla/5.0 Firefox/120.0"' % (i % 7, i // 40, i % 40)
        for i in range(400)
    ]
    pipeline = Pipeline(stats=StatsConfig(recent=100))
    pipeline.feed(lines, "access.log")
    pipeline.flush()
    app = make_app(pipeline.snapshot(), window="1h")
    async with app.run_test(size=(200, 45)) as pilot:
        await pilot.pause()
        assert app.vs.view.requests == 400
        for text, note in (("path:/a", True), ("ip:10.0.0.1", True), ("", False)):
            assert app.set_filter(text)
            await app.workers.wait_for_complete()
            await pilot.pause()
            status = str(app.screen.query_one(StatusLine).render())
            assert ("(newest 2m only)" in status) is note, (text, status)
        await pilot.press("w")  # 1h -> 1m: the ring holds the whole minute
        assert app.set_filter("path:/a")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.window == "1m" and app.vs.view.requests == 40
        assert "newest" not in str(app.screen.query_one(StatusLine).render())


async def test_a_class_view_lists_that_class_s_top_clients():
    # Found by a hunt: the class views picked their clients from the top 50 by all requests;
    # with 60 crawler addresses busier than the one person, the human view listed nobody.
    from logwatch.model import Record, Verdict
    from logwatch.stats.aggregator import Aggregator

    def req(i: int, client: str) -> Record:
        return Record(1_800_000_000.0 + i, client, "GET", "/", "", "HTTP/1.1", 200, 9, "-", "M")

    agg = Aggregator()
    for b in range(60):
        agg.add_many(
            (req(i, f"66.249.66.{b}"), Verdict("bot", "search", "Googlebot")) for i in range(10)
        )
    agg.add_many((req(i, "198.51.100.1"), Verdict("human")) for i in range(5))
    app = make_app(agg.snapshot(), window="5m")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        panel = app.screen.query_one("#clients")
        assert panel.row_count == 50
        await pilot.press("v")  # human
        await pilot.pause()
        assert app.cls_view == "human"
        assert [panel.get_row_at(i)[0].plain for i in range(panel.row_count)] == ["198.51.100.1"]
        assert panel.get_row_at(0)[1].plain == "5"
        app.push_screen(DrillScreen("client", "198.51.100.1"))
        await pilot.pause()
        assert ("window 5m", "5 hits: 5 human, 0 bot, 0 asset, 0 errors") in app.screen.data.info
