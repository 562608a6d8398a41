"""Country and network columns for the client, probe and bot panels, when GeoIP is on.

The columns appear the first time a snapshot carries ``extra["geo"]`` (see logwatch.enrich: with
a database, every snapshot does, from the first) and stay; without a database they never appear. Database text is outside data like log text: it is
shown through `render.safe` (a plain `Text`, never markup).
"""

from __future__ import annotations

from typing import Any

from rich.text import Text

from logwatch.tui.drilldata import BOT_KEY_SEPARATOR
from logwatch.tui.render import safe
from logwatch.tui.state import ViewState
from logwatch.tui.widgets.table import Col, KeyedTable, Row

# What the rows of each panel are keyed by.
KINDS = {"ClientsPanel": "client", "ProbesPanel": "client", "BotsPanel": "bot"}
COLUMNS = (Col("geo_cc", "CC", 2), Col("geo_net", "Network", 16))
CLAIMED_STYLE = "bold red"


def cells_for(kind: str, key: str, vs: ViewState) -> tuple[Text, Text]:
    from logwatch.enrich import claimed, geo_columns  # imports maxminddb: only with GeoIP on

    snap = vs.snapshot
    if kind == "bot":
        origins = snap.extra.get("bot_origins")
        name = key.partition(BOT_KEY_SEPARATOR)[0]  # a row key may carry the bot's kind
        o: Any = origins.get(name) if isinstance(origins, dict) else None
        if not isinstance(o, dict):
            return safe(""), safe("")
        network = o.get("network") or ""
        if o.get("unverified"):
            # Some of this bot's requests came from outside its operator's networks.
            return safe(o.get("country") or ""), safe(
                f"{o['unverified']} unverified · {network}".rstrip(" ·"), CLAIMED_STYLE
            )
        return safe(o.get("country") or ""), safe(network)
    country, network = geo_columns(snap, key)
    if claimed(snap, key):
        return safe(country), safe(f"unverified · {network}".rstrip(" ·"), CLAIMED_STYLE)
    return safe(country), safe(network)


def extend(table: KeyedTable, rows: list[Row], vs: ViewState) -> list[Row]:
    """Rows with the two geo cells added (and the columns, once), or `rows` unchanged."""
    kind = KINDS.get(type(table).__name__)
    if kind is None or "geo" not in vs.snapshot.extra:
        return rows
    if table.COLUMNS[-1].key != COLUMNS[-1].key:
        _add_columns(table)
    return [Row(r.key, (*r.cells, *cells_for(kind, r.key, vs)), r.sort) for r in rows]


def _add_columns(table: KeyedTable) -> None:
    table.COLUMNS = (*table.COLUMNS, *COLUMNS)  # type: ignore[misc]
    for col in COLUMNS:
        table.add_column(Text(col.label), width=col.width, key=col.key, default=Text(""))
    # Rows already shown get the new (empty) cells in their signatures, so the next sync
    # fills them with update_cell instead of re-adding rows (the cursor stays where it is).
    cells = table._cells
    empty = (("", ""),) * len(COLUMNS)
    for key, (shown, sig) in cells.items():
        cells[key] = (shown, (*sig, *empty))
    table._fit_columns()
