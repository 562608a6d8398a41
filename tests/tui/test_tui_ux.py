"""What the dashboard tells a person at a glance: footer hints that match the keys, aligned
columns, explained empty tables, nothing cut off without an ellipsis."""

from __future__ import annotations

import dataclasses

from conftest import make_app
from lw_fixtures import make_snapshot

from logwatch.tui.render import fmt_pct, fmt_secs


def footer_keys(app) -> set[str]:
    """The keys the footer offers on the active screen."""
    return {
        binding.key
        for _, binding, enabled, _ in app.screen.active_bindings.values()
        if binding.show and enabled
    }


async def test_footer_offers_drill_only_where_enter_drills():
    app = make_app(make_snapshot())
    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.pause()
        assert "enter" in footer_keys(app)  # top paths: enter opens the path
        app.screen.query_one("#referrers").focus()
        await pilot.pause()
        assert "enter" not in footer_keys(app)  # referrers have no drill-down
        await pilot.press("a")
        await pilot.pause()
        assert "enter" not in footer_keys(app)  # the alert tables neither


def screen_lines(app) -> list[str]:
    return [strip.text for strip in app.screen._compositor.render_strips()]


async def test_figures_sit_under_right_aligned_headings():
    app = make_app(make_snapshot())
    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.pause()
        paths = app.screen.query_one("#paths")
        assert paths.columns["hits"].label.justify == "right"
        assert paths.columns["path"].label.justify != "right"
        # On screen, "Hits" ends where the hit counts end.
        region = paths.content_region
        lines = screen_lines(app)[region.y : region.y + 2]
        header, first = (line[region.x : region.right] for line in lines)
        end = header.index("Hits") + len("Hits")
        assert first[end - 1].isdigit() and first[end] == " "


async def test_request_stream_headings_are_distinct():
    app = make_app(make_snapshot())
    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.pause()
        labels = [c.label.plain for c in app.screen.query_one("#stream").columns.values()]
        assert len(labels) == len(set(labels)), labels  # "Time" twice: clock and duration


async def test_drill_down_values_start_in_one_column_and_read_like_the_panels():
    from logwatch.tui.screens.drill import DrillScreen

    snap = make_snapshot()
    app = make_app(snap)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.push_screen(DrillScreen("path", snap.windows["5m"].top_paths["human"][0].path))
        await pilot.pause()
        await pilot.pause()
        info = str(app.screen.query_one("#drill-info").render()).splitlines()[1:]
        labels = [line for line in info if "hits" in line]
        assert labels, info
        starts = {len(line) - len(line.split("  ")[-1]) for line in info}
        assert len(starts) == 1, info  # each value right after its label, in one column
        p = snap.windows["5m"].top_paths["human"][0]
        human = next(line for line in labels if "(human)" in line)
        assert f"4xx {fmt_pct(p.rate_4xx)}, 5xx {fmt_pct(p.rate_5xx)}" in human
        assert human.endswith(f"p95 {fmt_secs(p.p95)}")
        # Every table fits its third of 120 columns: the statuses over time were 43 columns in
        # 38, their "Other" behind a horizontal scrollbar.
        for table in app.screen.query(".section"):
            assert table.max_scroll_x == 0, table.id


def _contrast(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    def lum(c: tuple[int, int, int]) -> float:
        def f(x: float) -> float:
            x /= 255
            return x / 12.92 if x <= 0.03928 else ((x + 0.055) / 1.055) ** 2.4

        return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2])

    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


async def test_signal_colours_are_readable_on_the_light_theme():
    from rich.color import Color as RichColor
    from textual.color import Color

    app = make_app(make_snapshot(), theme="light")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        background = Color.parse(app.current_theme.background).rgb
        # The colours cells name: 4xx and "missing" yellow, 5xx red, "following" green...
        for name in ("red", "green", "yellow", "blue", "magenta", "cyan"):
            rgb = tuple(RichColor.parse(name).get_truecolor(app.ansi_theme))
            assert _contrast(rgb, background) >= 4.5, name


async def test_footer_fits_at_80_columns():
    from textual.widgets._footer import FooterKey

    app = make_app(make_snapshot())
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        for keys in ((), ("enter",), ("escape", "a")):  # main, a drill-down, alerts
            await pilot.press(*keys)
            await pilot.pause()
            shown = list(app.screen.query(FooterKey))
            assert shown and all(k.region.right <= 80 for k in shown), [
                (k.key, k.region) for k in shown
            ]
            assert {"a", "q", "question_mark"} <= {k.key for k in shown}


async def test_no_data_yet_draws_flat_sparklines_not_full_bars():
    from logwatch.tui.app import empty_snapshot

    app = make_app(empty_snapshot(1_767_000_000.0))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        spark_row = screen_lines(app)[2]
        assert "█" not in spark_row and "▁" in spark_row, spark_row


def first_body_line(app, selector: str) -> str:
    table = app.screen.query_one(selector)
    region = table.content_region
    return screen_lines(app)[region.y + 1][region.x : region.right].strip()


async def test_empty_panels_say_when_the_history_was_older_than_since():
    """`logwatch old.log` reads from --since (1h by default): an old log's dashboard was empty
    with nothing to say why, nor how to read it."""
    from logwatch.model import SourceState
    from logwatch.tui.app import empty_snapshot

    snap = empty_snapshot(1_767_000_000.0)
    source = SourceState("/var/log/old.log", state="following", extra={"before_since_bytes": 9})
    app = make_app(dataclasses.replace(snap, sources=(source,)))
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        assert "--since all reads them" in "\n".join(screen_lines(app))


async def test_empty_tables_say_why():
    from logwatch.tui.app import empty_snapshot

    app = make_app(empty_snapshot(1_767_000_000.0))
    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.pause()
        assert first_body_line(app, "#paths") == "no requests read yet"
        await pilot.press("a")
        await pilot.pause()
        assert first_body_line(app, "#alerts-active") == "no alert rules configured"

    app = make_app(make_snapshot())
    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.pause()
        app.set_filter("path:/no/such/path")
        await pilot.pause()
        await pilot.pause()
        assert app.screen.query_one("#paths").row_count == 0
        assert first_body_line(app, "#paths") == "nothing here matches the filter"
        app.set_filter("")
        await pilot.pause()
        await pilot.pause()
        assert app.screen.query_one("#paths").row_count > 0
        assert "matches the filter" not in first_body_line(app, "#paths")


async def test_panels_fit_their_width_at_80_columns():
    app = make_app(make_snapshot())
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.pause()
        for panel in app.screen.query("Panel"):
            assert not panel.show_horizontal_scrollbar, panel.id  # no column behind a scroll


async def test_a_summary_figure_too_wide_for_its_place_ends_in_an_ellipsis():
    app = make_app(make_snapshot())
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert "…" in screen_lines(app)[1].split("views/min")[0]  # req/s h… b… a… cut, shown cut


async def test_the_alerts_screen_says_when_there_are_no_rules(snap, engine):
    # The rules table (height auto) was a bare heading with no rules, and an engine with no
    # rules (default_alerts = false) said "no alert is active", as if something were watching.
    from logwatch.alerts import AlertEngine

    for alerts in (None, AlertEngine(())):
        engine.alerts = alerts
        app = make_app(snap, engine=engine)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            await pilot.press("a")
            await pilot.pause()
            assert first_body_line(app, "#alerts-rules") == "no alert rules configured"
            assert first_body_line(app, "#alerts-active") == "no alert rules configured"


async def test_an_empty_table_text_too_wide_ends_in_an_ellipsis():
    # At 80 columns the referrers' empty text read "no referrers or campaigns in the las".
    from dataclasses import replace

    snap = make_snapshot()
    windows = {
        name: replace(w, top_referrers=(), top_campaigns=()) for name, w in snap.windows.items()
    }
    app = make_app(replace(snap, windows=windows), window="15m")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        referrers = app.screen.query_one("#referrers")
        referrers.scroll_visible(animate=False)
        await pilot.pause()
        assert first_body_line(app, "#referrers") == "no referrers in the last 15m"
        referrers.set_empty_text("x" * 200)
        await pilot.pause()
        line = first_body_line(app, "#referrers")
        assert line.endswith("x…"), line
