"""A DataTable that is refreshed by keyed row diffs.

Rows carry a stable key (a path, a client, a status code); each refresh removes rows that left,
updates only cells that changed, adds new rows and reorders only when the order changed, inside one
`batch_update`. The table is never cleared on a timer, so the cursor stays on the row the user chose
(it follows the row's key, not its index) and drill-down keeps working while data moves.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual._two_way_dict import TwoWayDict
from textual.binding import Binding
from textual.message import Message
from textual.strip import Strip
from textual.widgets import DataTable
from textual.widgets.data_table import RowKey


@dataclass(frozen=True, slots=True)
class Col:
    key: str
    label: str
    width: int  # for the flexible column: its minimum width
    flex: bool = False


@dataclass(frozen=True, slots=True)
class Row:
    key: str
    cells: tuple[Text, ...]
    sort: tuple[Any, ...] = ()  # values the sort modes read; index i for sort mode i


class KeyedTable(DataTable[Text]):
    """A panel table: fixed columns, one flexible column, keyed rows, cycling sort modes."""

    COLUMNS: ClassVar[Sequence[Col]] = ()
    # (label, index into Row.sort, descending)
    SORTS: ClassVar[Sequence[tuple[str, int, bool]]] = ()
    TITLE: ClassVar[str] = ""
    # What `enter` on a row opens: "path", "client", "bot", "status" or "" for nothing.
    DRILL: ClassVar[str] = ""

    BINDINGS: ClassVar[list[Any]] = [
        Binding("enter", "drill", "Drill", show=True),
    ]

    class Drill(Message):
        """A row was chosen for drill-down."""

        def __init__(self, table: KeyedTable, kind: str, key: str) -> None:
            super().__init__()
            self.table = table
            self.kind = kind
            self.key = key

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(
            id=id, classes=classes, cursor_type="row", zebra_stripes=False, show_cursor=True
        )
        self.sort_mode = 0
        self._titles: tuple[str, str] = ("", "")
        # key -> (the cells last shown, their signature); an unchanged row costs one `is`.
        self._cells: dict[str, tuple[tuple[Text, ...], tuple[tuple[str, str], ...]]] = {}
        self._order: list[str] = []
        self._rows: list[Row] = []
        self._aligned = False
        self.empty_text = ""
        self.border_title = self.TITLE

    def on_mount(self) -> None:
        for col in self.COLUMNS:
            self.add_column(Text(col.label), width=col.width, key=col.key)
        self._fit_columns()

    def on_resize(self) -> None:
        self._fit_columns()

    def _fit_columns(self) -> None:
        """Give the flexible column whatever the fixed columns leave."""
        flex = [c for c in self.COLUMNS if c.flex]
        if not flex or not self.columns:
            return
        pad = 2 * self.cell_padding
        fixed = sum(c.width + pad for c in self.COLUMNS if not c.flex)
        avail = self.scrollable_content_region.width - fixed - pad * len(flex) - 1
        # Where the fixed columns leave less than its minimum, the flexible column (cut with an
        # ellipsis) gives way down to a few characters rather than push the last columns behind
        # a horizontal scrollbar: at 80 columns the probes' "Last" seen was off screen.
        width = max(self.FLEX_FLOOR, avail // len(flex))
        changed = False
        for c in flex:
            column = self.columns.get(c.key)  # type: ignore[call-overload]
            if column is not None and column.width != width:
                column.width = width
                column.auto_width = False
                changed = True
        if changed:
            self._clear_caches()
            self._require_update_dimensions = True
            self.refresh()

    def set_empty_text(self, text: str) -> None:
        """What an empty table says in place of its rows: why there is nothing to show."""
        if text != self.empty_text:
            self.empty_text = text
            if not self.row_count:
                self.refresh()

    def render_line(self, y: int) -> Strip:
        if not self.row_count and self.empty_text and y == self.header_height * self.show_header:
            base = self.rich_style
            text = " " + self.empty_text
            # Cut like a cell, with an ellipsis: a narrow panel cut the text mid-word.
            room = self.scrollable_content_region.width
            if cell_len(text) > room:
                text = set_cell_size(text, max(room - 1, 0)) + "…"
            line = Segment(text, base + Style(dim=True, italic=True))
            return Strip([line]).crop_extend(0, self.size.width, base)
        return super().render_line(y)

    def _align_labels(self, cells: Sequence[Text]) -> None:
        """A column of right-aligned figures gets a right-aligned heading: "Hits" over "   11",
        not beside it. Read from the first row, since drill-down sections bring their own
        columns."""
        self._aligned = True
        for col, cell in zip(self.COLUMNS, cells, strict=False):
            column = self.columns.get(col.key)  # type: ignore[call-overload]
            if column is not None and cell.justify == "right":
                column.label = Text(column.label.plain, justify="right")
        self._clear_caches()
        self.refresh()

    def set_column_label(self, key: str, label: str) -> None:
        column = self.columns.get(key)  # type: ignore[call-overload]
        if column is not None and column.label.plain != label:
            column.label = Text(label, justify=column.label.justify)
            self._clear_caches()
            self.refresh()

    @property
    def sort_label(self) -> str:
        return self.SORTS[self.sort_mode][0] if self.SORTS else ""

    def cycle_sort(self) -> str:
        if self.SORTS:
            self.sort_mode = (self.sort_mode + 1) % len(self.SORTS)
            self.sync(self._rows)
        self._update_title()
        return self.sort_label

    def _update_title(self, extra: str = "") -> None:
        title = self.TITLE + (f" · {extra}" if extra else "")
        subtitle = f"by {self.sort_label}" if self.SORTS and self.sort_mode else ""
        # Setting a border title repaints the widget: only when it changed.
        if self._titles != (title, subtitle):
            self._titles = (title, subtitle)
            self.border_title = title
            self.border_subtitle = subtitle

    def _sorted(self, rows: Sequence[Row]) -> list[Row]:
        if not self.SORTS or self.sort_mode == 0:
            return list(rows)  # producers hand rows in their natural order
        _, idx, desc = self.SORTS[self.sort_mode]

        def key(r: Row) -> Any:
            v = r.sort[idx] if idx < len(r.sort) else None
            return (v is None, v if v is not None else 0)

        present = [r for r in rows if idx < len(r.sort) and r.sort[idx] is not None]
        missing = [r for r in rows if not (idx < len(r.sort) and r.sort[idx] is not None)]
        present.sort(key=key, reverse=desc)
        return present + missing

    @property
    def cursor_key(self) -> str | None:
        if not self.row_count:
            return None
        try:
            row_key, _ = self.coordinate_to_cell_key(self.cursor_coordinate)
        except Exception:
            return None
        return row_key.value

    def sync(self, rows: Sequence[Row]) -> None:
        """Make the table show `rows` with the fewest changes; keep the cursor on its row."""
        rows = _unique(rows)
        self._rows = rows
        ordered = self._sorted(rows)
        keep = self.cursor_key
        at_top = self.cursor_row == 0
        wanted = {r.key for r in ordered}
        if ordered and not self._aligned:
            self._align_labels(ordered[0].cells)
        with self.app.batch_update():
            for key in [k for k in self._cells if k not in wanted]:
                self.remove_row(key)
                del self._cells[key]
            col_keys = [c.key for c in self.COLUMNS]
            for row in ordered:
                old = self._cells.get(row.key)
                if old is not None and old[0] is row.cells:
                    continue
                sig = tuple(_sig(c) for c in row.cells)
                if old is None:
                    self.add_row(*row.cells, key=row.key)
                elif old[1] != sig:
                    for ck, before, after, cell in zip(
                        col_keys, old[1], sig, row.cells, strict=False
                    ):
                        if before != after:
                            self.update_cell(row.key, ck, cell)
                self._cells[row.key] = (row.cells, sig)
            order = [r.key for r in ordered]
            current = [rk.value for rk in self.ordered_row_keys()]
            if current != order:
                self._row_locations = TwoWayDict({RowKey(k): i for i, k in enumerate(order)})
                self._update_count += 1
                self._clear_caches()
                self.refresh()
            self._order = order
            if keep is not None and keep in self._cells and not (self.STICKY_TOP and at_top):
                index = order.index(keep)
                if index != self.cursor_row:
                    self.move_cursor(row=index, animate=False, scroll=False)

    # The narrowest a flexible column gets when space is short.
    FLEX_FLOOR: ClassVar[int] = 6

    # A stream keeps the cursor at the top (newest) while the user has not moved it.
    STICKY_TOP: ClassVar[bool] = False

    def ordered_row_keys(self) -> list[RowKey]:
        keys = (self._row_locations.get_key(i) for i in range(len(self._row_locations)))
        return [k for k in keys if k is not None]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # A table with nothing to drill into (referrers, alerts, statuses over time) does not
        # offer "⏎ Drill" in the footer: the key did nothing there.
        if action == "drill" and not self.DRILL:
            return False
        return super().check_action(action, parameters)

    def action_drill(self) -> None:
        key = self.cursor_key
        if key is not None and self.DRILL:
            self.post_message(self.Drill(self, self.DRILL, key.split("\x00", 1)[0]))


def _sig(cell: Text) -> tuple[str, str]:
    # rich's Text equality ignores the style, and a cell that turns red must be redrawn.
    return cell.plain, f"{cell.style}|{cell.justify}|{cell.spans}"


def _unique(rows: Sequence[Row]) -> list[Row]:
    """Row keys must be unique; a repeated key (two bots sharing a name) gets a suffix."""
    seen: dict[str, int] = {}
    out: list[Row] = []
    for row in rows:
        n = seen.get(row.key, 0)
        seen[row.key] = n + 1
        out.append(row if n == 0 else Row(f"{row.key}\x00{n}", row.cells, row.sort))
    return out
