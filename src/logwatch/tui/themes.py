"""Colour themes as data files (TOML) → textual Theme objects.

A theme file holds the Textual theme fields at the top level and optional CSS variables:

    name = "logwatch-dark"
    dark = true
    primary = "#5fafd7"
    ...
    [variables]
    "footer-key-foreground" = "#5fafd7"

Files are looked up in the packaged `logwatch/themes` (the top-level themes/ of the repository in a
checkout) and in the user's config dir. A file that fails validation is reported with its reason
and skipped; the dashboard then falls back to the default with one notification.
"""

from __future__ import annotations

import math
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from rich.terminal_theme import TerminalTheme
from textual.color import Color, ColorParseError
from textual.css.stylesheet import Stylesheet, StylesheetParseError
from textual.theme import Theme

DEFAULT_THEME = "logwatch-dark"

# The terminal colours that cells name ("yellow" for a 404, "green" for following) on a light
# theme. Textual's default (Alabaster) gives yellow 2.7:1 and green 4:1 against a light
# background; these keep every one at 4.5:1 or more (WCAG AA) on #fafafa.
LIGHT_ANSI = TerminalTheme(
    (247, 247, 247),
    (0, 0, 0),
    [
        (0, 0, 0),
        (170, 55, 49),  # red
        (40, 115, 20),  # green
        (135, 95, 0),  # yellow
        (50, 92, 192),  # blue
        (122, 62, 157),  # magenta
        (0, 110, 150),  # cyan
        (247, 247, 247),
        (119, 119, 119),
    ],
    [
        (200, 40, 40),
        (40, 115, 20),
        (135, 95, 0),
        (0, 95, 170),
        (150, 40, 150),
        (0, 110, 150),
        (247, 247, 247),
    ],
)

_COLOR_FIELDS = (
    "primary",
    "secondary",
    "warning",
    "error",
    "success",
    "accent",
    "foreground",
    "background",
    "surface",
    "panel",
    "boost",
)
_OTHER_FIELDS = {"name": str, "dark": bool, "luminosity_spread": float, "text_alpha": float}


class ThemeError(ValueError):
    pass


def theme_dirs() -> list[Path]:
    here = Path(__file__).resolve()
    dirs = [
        here.parent.parent / "themes",  # installed wheel: logwatch/themes
        here.parents[3] / "themes",  # source checkout: <repo>/themes
    ]
    config_home = os.environ.get("XDG_CONFIG_HOME") or os.path.expanduser("~/.config")
    dirs.append(Path(config_home) / "logwatch" / "themes")
    return [d for d in dirs if d.is_dir()]


def parse_theme(text: str, origin: str = "<theme>") -> Theme:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ThemeError(f"{origin}: {exc}") from None
    if not isinstance(data.get("name"), str) or not data["name"]:
        raise ThemeError(f"{origin}: needs a name")
    if "primary" not in data:
        raise ThemeError(f"{origin}: needs a primary colour")
    kwargs: dict[str, object] = {}
    for key, value in data.items():
        if key == "variables":
            if not isinstance(value, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in value.items()
            ):
                raise ThemeError(f"{origin}: [variables] must map names to strings")
            kwargs["variables"] = dict(value)
        elif key in _COLOR_FIELDS:
            if not isinstance(value, str):
                raise ThemeError(f"{origin}: {key} must be a colour string")
            try:
                Color.parse(value)
            except ColorParseError:
                raise ThemeError(f"{origin}: {key} = {value!r} is not a colour") from None
            kwargs[key] = value
        elif key in _OTHER_FIELDS:
            kind = _OTHER_FIELDS[key]
            if kind is float and isinstance(value, int) and not isinstance(value, bool):
                value = float(value)
            if not isinstance(value, kind):
                raise ThemeError(f"{origin}: {key} must be {kind.__name__}")
            # Textual derives the shades from these fractions: nan, inf or 1e308 crashed the
            # dashboard (int(nan)) when the theme was applied.
            if isinstance(value, float) and not (math.isfinite(value) and 0.0 <= value <= 1.0):
                raise ThemeError(f"{origin}: {key} must be a number from 0 to 1, got {value!r}")
            kwargs[key] = value
        else:
            raise ThemeError(f"{origin}: unknown key {key!r}")
    theme = Theme(**kwargs)  # type: ignore[arg-type]
    _check_variables(theme, origin)
    return theme


# [variables] whose value is a CSS value of a known kind, by the end of their name.
_VARIABLE_KINDS = (
    ("-foreground", "color"),
    ("-color", "color"),
    ("-background", "background"),
    ("-text-style", "text-style"),
)


def _check_variables(theme: Theme, origin: str) -> None:
    """A [variables] value Textual's CSS cannot read ("footer-key-foreground" = "notacolour")
    stopped the dashboard with a stylesheet error when the theme was applied: refuse the file
    instead. Each is parsed as Textual will, with the theme's own colours as variables."""
    kinds = [
        (name, prop)
        for name in theme.variables
        for suffix, prop in _VARIABLE_KINDS
        if name.endswith(suffix)
    ]
    if not kinds:
        return
    variables = theme.to_color_system().generate()
    if _parses(variables, kinds, origin):  # all at once: the usual case, one parse
        return
    for name, prop in kinds:
        if not _parses(variables, [(name, prop)], origin):
            value = theme.variables[name]
            raise ThemeError(f"{origin}: [variables] {name} = {value!r} is not a {prop} value")


def _parses(variables: dict[str, str], kinds: list[tuple[str, str]], origin: str) -> bool:
    """Whether Textual's CSS reads each variable as a value of its property."""
    sheet = Stylesheet(variables=variables)
    css = "".join(f"#v{i} {{ {prop}: ${name}; }}\n" for i, (name, prop) in enumerate(kinds))
    sheet.add_source(css, read_from=(origin, "[variables]"))
    try:
        sheet.parse()
    except StylesheetParseError:
        return False
    return True


def load_theme_file(path: Path) -> Theme:
    try:
        text = path.read_text(encoding="utf-8-sig")  # a byte-order mark is no TOML error
    except OSError as exc:
        raise ThemeError(f"{path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise ThemeError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    return parse_theme(text, str(path))


@dataclass
class ThemeSet:
    themes: dict[str, Theme] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


def load_themes(dirs: list[Path] | None = None) -> ThemeSet:
    found = ThemeSet()
    for d in theme_dirs() if dirs is None else dirs:
        for path in sorted(d.glob("*.toml")):
            try:
                theme = load_theme_file(path)
            except ThemeError as exc:
                found.errors.append(str(exc))
                continue
            found.themes.setdefault(theme.name, theme)
    return found


def theme_problem(wanted: str, dirs: list[Path] | None = None) -> str | None:
    """Why the theme named on the command line cannot be used, or None when it can."""
    from textual.theme import BUILTIN_THEMES

    if wanted.endswith(".toml") or os.sep in wanted:
        try:
            load_theme_file(Path(wanted).expanduser())
        except ThemeError as exc:
            return str(exc)
        return None
    names = {*load_themes(dirs).themes, DEFAULT_THEME, *BUILTIN_THEMES}
    if wanted in names or f"logwatch-{wanted}" in names:
        return None
    known = sorted(n.removeprefix("logwatch-") for n in names if n.startswith("logwatch-"))
    return f"unknown theme {wanted!r} (themes: {', '.join(known)}, or a .toml file)"


# Used when the theme files cannot be found at all (a broken install), so the UI still has colours.
FALLBACK = Theme(
    name=DEFAULT_THEME,
    primary="#5fafd7",
    secondary="#87afaf",
    accent="#ffaf5f",
    warning="#ffd75f",
    error="#ff5f5f",
    success="#87d787",
    foreground="#d0d0d0",
    background="#121212",
    surface="#1c1c1c",
    panel="#262626",
    dark=True,
)
