"""Command line: arguments (+ config) → the dashboard, headless mode, or a one-shot command.

Each command imports what it needs when it runs, so `logwatch report` and `--headless` never
import textual. Exit status: 0 success, 2 unusable arguments or input (one-line reason on stderr),
1 output that cannot be written.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import sys
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from logwatch import __version__
from logwatch.usage import ArgumentParser, UsageError

if TYPE_CHECKING:
    from logwatch.config import Config
    from logwatch.engine import EngineOptions
    from logwatch.geo import GeoLookup
    from logwatch.ingest.formats import LogFormat
    from logwatch.privacy import Anonymizer
    from logwatch.stats.aggregator import StatsConfig
    from logwatch.stats.snapshot import Snapshot

COMMANDS = ("report", "explain", "check-config", "demo")

EXAMPLES = """\
examples:
  logwatch                               dashboard on the logs found in the usual places
  logwatch /var/log/nginx/access.log     dashboard on one log (globs and several paths work)
  logwatch demo                          dashboard on the bundled sample traffic
  logwatch report access.log --json      one summary as JSON
  logwatch --headless --interval 10 access.log   JSON Lines for scripts and monitoring
  logwatch explain < access.log          why each line was classified as it was
"""


class _HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Fills in the --geoip help (where to get a database) and the --format names only when help
    is printed: logwatch.geo imports maxminddb, which every start should not pay for."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.dest == "geoip":
            from logwatch.geo import GEOIP_HELP

            return "GeoIP/ASN .mmdb database (repeatable). " + GEOIP_HELP
        if action.dest == "format":
            from logwatch.ingest.formats import SHOWN_NAMES

            return (
                f"log format: {', '.join(SHOWN_NAMES)}, or an nginx log_format / Apache "
                "LogFormat string (default: detect)"
            )
        return super()._get_help_string(action)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--format",
        metavar="NAME|SPEC",
        help="log format",  # the full text, with every name: _HelpFormatter
    )
    p.add_argument(
        "--config",
        metavar="FILE",
        help="config file (default: ./logwatch.toml, then the user config directory)",
    )
    p.add_argument(
        "--geoip",
        metavar="MMDB",
        action="append",
        default=[],
        help="GeoIP/ASN .mmdb database (repeatable)",  # the full text: _HelpFormatter
    )
    p.add_argument(
        "--anonymize-ip",
        nargs="?",
        const="24,48",
        default=None,
        metavar="V4,V6",
        help="mask client addresses at ingestion (default /24 for IPv4, /48 for IPv6)",
    )
    p.add_argument(
        "--hash-clients",
        action="store_true",
        help="count clients by a keyed hash (key rotates daily, never written)",
    )


def build_main_parser() -> argparse.ArgumentParser:
    p = ArgumentParser(
        prog="logwatch",
        description="Watch web-server access logs: humans, bots, assets and probes, counted apart.",
        epilog=EXAMPLES + "\ncommands: " + ", ".join(COMMANDS) + " (logwatch COMMAND --help)",
        formatter_class=_HelpFormatter,
    )
    p.add_argument("paths", nargs="*", metavar="PATH", help="log files or globs; - for stdin")
    _common(p)
    p.add_argument("--headless", action="store_true", help="no UI: JSON Lines on stdout")
    p.add_argument(
        "--interval",
        type=float,
        default=5.0,
        metavar="SECONDS",
        help="headless: seconds between JSON objects (default 5)",
    )
    p.add_argument(
        "--since",
        default="1h",
        metavar="DURATION",
        help="history to read before following (e.g. 1h30m; default 1h; 0 for none, all for all)",
    )
    p.add_argument("--theme", help="dashboard theme (dark, light, high-contrast, or a file)")
    p.add_argument(
        "--metrics", metavar="[HOST:]PORT", help="serve Prometheus metrics (default host 127.0.0.1)"
    )
    p.add_argument(
        "--syslog",
        action="append",
        default=[],
        metavar="URL",
        help="receive lines over syslog: udp://127.0.0.1:5514 or tcp://... (repeatable)",
    )
    p.add_argument(
        "--bell",
        action="store_true",
        help="ring the terminal bell when an alert starts (not for the history's old alerts)",
    )
    p.add_argument("--version", action="version", version=f"logwatch {__version__}")
    return p


def build_report_parser() -> argparse.ArgumentParser:
    p = ArgumentParser(
        prog="logwatch report",
        description="Read logs to the end and print one summary.",
        formatter_class=_HelpFormatter,
    )
    p.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="log files or globs, compressed too; - for stdin (default: the logs found in the "
        "usual places)",
    )
    _common(p)
    p.add_argument("--json", action="store_true", help="print the JSON summary")
    p.add_argument("--top", type=int, default=10, help="rows in each top list (default 10)")
    p.add_argument(
        "--since",
        default="all",
        metavar="DURATION",
        help="count only the lines of the last DURATION, back from now (e.g. 1h30m; default all)",
    )
    p.add_argument(
        "--jobs",
        type=int,
        default=0,
        metavar="N",
        help="worker processes for big files (default: one per core)",
    )
    return p


_LEVEL = re.compile(r"\d{1,3}(?:[/,]\d{1,3})?")


def _bind_anonymize_level(args: list[str]) -> list[str]:
    """`--anonymize-ip` takes an optional level; keep it from swallowing a following path
    (`logwatch --anonymize-ip access.log`): only a level-shaped word is taken as the level."""
    out = []
    for i, word in enumerate(args):
        following = args[i + 1] if i + 1 < len(args) else ""
        if word == "--anonymize-ip" and not _LEVEL.fullmatch(following):
            word = "--anonymize-ip=24,48"
        out.append(word)
    return out


def _bind_signed_since(args: list[str]) -> list[str]:
    """`--since -5m`: argparse takes `-5m` for an option and says only "expected one
    argument"; bound to --since, its value gets parse_since's own message."""
    out: list[str] = []
    for i, word in enumerate(args):
        if word == "--":  # paths from here on, whatever they look like
            return out + args[i:]
        if out and out[-1] == "--since" and re.match(r"[-+][0-9.]", word):
            out[-1] = f"--since={word}"
        else:
            out.append(word)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    args = _bind_signed_since(_bind_anonymize_level(list(sys.argv[1:] if argv is None else argv)))
    try:
        if args and args[0] in COMMANDS:
            command, rest = args[0], args[1:]
            if command == "report":
                return _report(build_report_parser().parse_args(rest))
            if command == "explain":
                return _explain(rest)
            if command == "check-config":
                return _check_config(rest)
            if command == "demo":
                return _demo(rest)
        return _main(build_main_parser().parse_args(args))
    except UsageError as exc:
        print(f"logwatch: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`logwatch report | head`): not an error worth a traceback.
        sys.stderr.close()
        return 0
    except OSError as exc:
        # Output that cannot be written (stdout on a full disk, an I/O error): one line, no
        # traceback, and no second failure when Python flushes stdout at exit.
        drop_stdout()
        print(
            f"logwatch: {exc.filename or 'writing output'}: {exc.strerror or exc}", file=sys.stderr
        )
        return 1


def drop_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush of what is still buffered cannot
    fail (again) after the failure was reported."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def _load_format(spec: str | None) -> LogFormat | None:
    from logwatch.ingest.formats import FormatError, get_format

    if not spec:
        return None
    try:
        return get_format(spec)
    except FormatError as exc:
        raise UsageError(str(exc)) from None


def _anonymizer(args: argparse.Namespace) -> Anonymizer | None:
    """The privacy switch (--anonymize-ip / --hash-clients, or the config), if asked for."""
    from logwatch.privacy import anonymizer_for

    try:
        return anonymizer_for(args.anonymize_ip, args.hash_clients)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _client_transform(args: argparse.Namespace) -> Callable[[str, float], str] | None:
    """The privacy transform applied to every client address at ingestion, if asked for."""
    anonymizer = _anonymizer(args)
    return anonymizer.apply if anonymizer is not None else None


def _open_geoip(paths: Sequence[str]) -> GeoLookup | None:
    if not paths:
        return None
    from logwatch.geo import GeoDatabaseError, GeoLookup

    try:
        return GeoLookup(paths)
    except GeoDatabaseError as exc:
        raise UsageError(str(exc)) from None


def ingest_privacy(
    args: argparse.Namespace,
) -> tuple[
    Callable[[str, float], str] | None,
    Callable[[str], str] | None,
    Callable[[Snapshot], Snapshot] | None,
]:
    """(client_transform, scrub, enrich) for the pipeline and the snapshots, from the
    privacy options and --geoip. Exit 2 (UsageError) for a bad level or database."""
    anonymizer = _anonymizer(args)
    transform = anonymizer.apply if anonymizer is not None else None
    scrub = anonymizer.scrub if anonymizer is not None else None
    lookup = _open_geoip(args.geoip)
    if lookup is None:
        return transform, scrub, None
    from logwatch.enrich import GeoEnricher, IngestGeo

    if anonymizer is not None and anonymizer.mode == "hash":
        # Hashed ids cannot be looked up later: look the cut address up at ingestion.
        memo = IngestGeo(anonymizer, lookup)
        return memo.transform, scrub, GeoEnricher(lookup, resolve=memo.get)
    return transform, scrub, GeoEnricher(lookup)


def parse_since(text: str) -> float | None:
    """--since: a duration as the config writes one (90s, 15m, 1h30m, 2d), 0 for no history,
    or `all`."""
    word = text.strip()
    if word.lower() == "all":
        return None
    if word.startswith(("-", "+")):
        raise UsageError(f"--since: {word[:40]!r}: give how far back, unsigned (e.g. 5m)")
    # The config's parser, so `--since 1h30m` works as `cooldown = "1h30m"` does.
    from logwatch.config import parse_duration

    try:
        return parse_duration(word)
    except ValueError as exc:
        raise UsageError(f"--since: {exc}") from None


def load_settings(args: argparse.Namespace) -> Config:
    """The config file (if any) with the command line laid over it."""
    from logwatch.config import ConfigError, load_config

    try:
        config = load_config(args.config)
    except ConfigError as exc:
        raise UsageError(str(exc)) from None
    if not args.format and config.format:
        args.format = config.format
    if not args.anonymize_ip and config.anonymize_ip:
        args.anonymize_ip = f"{config.anonymize_ip[0]},{config.anonymize_ip[1]}"
    args.hash_clients = args.hash_clients or config.hash_clients
    args.geoip = list(args.geoip) or list(config.geoip)
    return config


# A report (and headless output) shows no request stream. With GeoIP it keeps enough recent
# requests for the claimed-bot check; without, none: building them costs a live follower
# thousands of Records a second that nothing reads.
REPORT_RECENT = 2000


def output_recent(enrich: object | None) -> int:
    """The ring of recent requests that `report` and `--headless` keep."""
    return REPORT_RECENT if enrich is not None else 0


def stats_config(config: Config, recent: int | None = None) -> StatsConfig:
    from logwatch.stats.aggregator import StatsConfig, parse_window

    return StatsConfig(
        windows=tuple((w, parse_window(w)) for w in config.windows),
        top_k=config.top_k,
        recent=config.recent if recent is None else min(recent, config.recent),
    )


def engine_options(args: argparse.Namespace) -> EngineOptions:
    """EngineOptions from the main command line and the config."""
    from logwatch.alerts.engine import AlertEngine
    from logwatch.engine import EngineOptions

    config = load_settings(args)

    paths = list(args.paths)
    if not paths and not args.syslog:
        from logwatch import discover

        paths = discover.find_default_logs()
        if not paths:
            raise UsageError(
                "no access logs found in the usual places (nginx, Apache, Caddy, Traefik); "
                "pass a path (or - for stdin), or try `logwatch demo`"
            )
    transform, scrub, enrich = ingest_privacy(args)
    from logwatch.ingest.syslog import parse_url

    for url in args.syslog:
        try:
            parse_url(url)
        except ValueError as exc:
            raise UsageError(f"--syslog {url}: {exc}") from None
    exporters = []
    if args.metrics:
        from logwatch.exporters.prometheus import PrometheusExporter

        try:
            exporter = PrometheusExporter(args.metrics)
        except ValueError as exc:
            raise UsageError(f"--metrics {args.metrics}: {exc}") from None
        if exporter.warning:
            print(f"logwatch: {exporter.warning}", file=sys.stderr)
        exporters.append(exporter)
    return EngineOptions(
        paths=paths,
        format=_load_format(args.format),
        since=parse_since(args.since),
        client_transform=transform,
        scrub=scrub,
        enrich=enrich,
        syslog=list(args.syslog),
        # Headless shows no request stream: the report's small ring (GeoIP's bot claims) will do.
        stats=stats_config(config, recent=output_recent(enrich) if args.headless else None),
        classify=config.classify,
        alerts=AlertEngine.from_config(config),
        exporters=exporters,
        anonymize=_mask_levels(args),
    )


def _mask_levels(args: argparse.Namespace) -> tuple[int, int] | None:
    if not args.anonymize_ip or args.hash_clients:
        return None
    from logwatch import privacy

    return privacy.parse_level(args.anonymize_ip)


def _report_jobs(args: argparse.Namespace) -> int:
    # A keyed hash must not be split across processes (each would draw its own key).
    return 1 if args.hash_clients else max(args.jobs, 0)


def _report(args: argparse.Namespace) -> int:
    from logwatch.classify import Classifier
    from logwatch.ingest.formats import FormatError
    from logwatch.pipeline import Pipeline
    from logwatch.report import read_into, render_json, render_text

    # A negative --top sliced rows off the end of every list ([:-1]) instead of being refused.
    for option, value in (("--top", args.top), ("--jobs", args.jobs)):
        if value < 0:
            raise UsageError(f"{option}: expected 0 or more, got {value}")
    config = load_settings(args)
    if not args.paths:
        # As the dashboard and --headless do: the logs in the usual places.
        from logwatch import discover

        args.paths = discover.find_default_logs()
        if not args.paths:
            raise UsageError(
                "no access logs found in the usual places (nginx, Apache, Caddy, Traefik); "
                "pass a path (or - for stdin)"
            )
    back = parse_since(args.since)
    since = None if back is None else time.time() - back
    transform, scrub, enrich = ingest_privacy(args)
    pipeline = Pipeline(
        _load_format(args.format),
        classifier=Classifier(config.classify),
        stats=stats_config(config, recent=output_recent(enrich)),
        client_transform=transform,
        scrub=scrub,
    )
    try:
        errors = read_into(
            pipeline,
            args.paths,
            jobs=_report_jobs(args),
            anonymize=_mask_levels(args),
            since=since,
        )
    except FormatError as exc:
        raise UsageError(str(exc)) from None
    for path, message in errors:
        print(f"logwatch: {path}: {message}", file=sys.stderr)
    if errors and len(errors) == len(args.paths) and pipeline.aggregator.lines == 0:
        return 2
    if pipeline.format is None:
        # An empty log (just rotated, say) is a quiet one, not unusable input: its summary is
        # all zeros, as with --format given, and a cron job's report does not fail on it.
        print("logwatch: no lines to read", file=sys.stderr)
    snap = pipeline.snapshot()
    if enrich is not None:
        snap = enrich(snap)
    if args.json:
        render_json(snap, top=args.top)
    else:
        render_text(snap, top=args.top)
    sys.stdout.flush()  # a write error (a full disk) surfaces here, where main reports it
    return 0


def _explain(rest: list[str]) -> int:
    try:
        from logwatch import explain
    except ImportError:
        raise UsageError("explain is not available in this build") from None
    return int(explain.main(rest))


def _check_config(rest: list[str]) -> int:
    try:
        from logwatch import check_config
    except ImportError:
        raise UsageError("check-config is not available in this build") from None
    return int(check_config.main(rest))


def _demo(rest: list[str]) -> int:
    try:
        from logwatch import demo
    except ImportError:
        raise UsageError("the demo is not available in this build") from None
    return int(demo.main(rest))


def _main(args: argparse.Namespace) -> int:
    # A file may appear later (it is waited for), a directory never becomes a log: with nothing
    # but directories there is nothing to follow (beside others, each is named as in error).
    from logwatch.ingest.sources import is_glob

    folders = [p for p in args.paths if p != "-" and not is_glob(p) and os.path.isdir(p)]
    if folders and len(folders) == len(args.paths) and not args.syslog:
        raise UsageError(f"{folders[0]}: is a directory (give its logs, e.g. '{folders[0]}/*.log')")
    if args.headless:
        from logwatch import headless

        return int(headless.run(args))
    if not args.paths and not args.syslog and _nothing_to_watch():
        return _demo_instead(args)
    from logwatch.tui import app  # which refuses to start without a terminal

    return int(app.run_dashboard(args))


def _nothing_to_watch() -> bool:
    from logwatch import discover

    return not discover.find_default_logs()


def _demo_instead(args: argparse.Namespace) -> int:
    """No path given and no log in the usual places: say what to pass; in a terminal, show the
    bundled demo traffic (the quick start's first command lands here on a fresh machine)."""
    from logwatch import demo, discover

    print(discover.describe_search([]), file=sys.stderr)
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        return 2
    print("Starting the demo (bundled sample traffic)…", file=sys.stderr)
    argv = ["--theme", args.theme] if args.theme else []
    if args.config:
        argv += ["--config", args.config]
    return int(demo.main(argv))


if __name__ == "__main__":
    raise SystemExit(main())
