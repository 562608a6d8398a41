"""`logwatch explain`: why each line was classified as it was.

One JSON object per input line, in order, blank lines aside (report and --headless skip them too);
`line` is the line's number in the input. Lines are classified by one Classifier, so a whole file
keeps the behaviour context of the lines before (a client that probed earlier is a bot later).

    logwatch explain 'LINE'            one line given as an argument
    logwatch explain < access.log      lines on stdin (or `-`)
    logwatch explain --format combined --config logwatch.toml -

An argument is always a line, never a file to open: one that names a file is refused with the
command to use instead (a file name read as a line only ever said that no format matched).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shlex
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any

from logwatch import sanitize
from logwatch.classify import Classifier, ClassifyConfig
from logwatch.ingest.clients import normal_client
from logwatch.ingest.formats import LogFormat, OtherFormats, detect_format, get_format
from logwatch.ingest.reader import open_input
from logwatch.model import Record
from logwatch.privacy import anonymizer_for
from logwatch.usage import ArgumentParser

_DETECT_LINES = 64
LINE_TOO_LONG = "line too long"


def _text(line: bytes | str) -> tuple[str, bool]:
    """A safe str for one input line, and whether it was too long to parse."""
    if isinstance(line, bytes):
        line = line.rstrip(b"\r\n")
        if len(line) > sanitize.MAX_LINE_BYTES:
            return sanitize.decode(line[:200]), True
        return sanitize.decode(line), False
    line = line.rstrip("\r\n")
    if len(line.encode("utf-8", "surrogatepass")) > sanitize.MAX_LINE_BYTES:
        return sanitize.clean(line[:200]), True
    return sanitize.clean(line), False


def explain_record(rec: Record, classifier: Classifier, agents_logged: bool) -> dict[str, Any]:
    v = classifier.classify_logged(rec, agents_logged)
    return {
        "malformed": False,
        "malformed_reason": None,
        "class": v.cls,
        "bot_category": v.bot_category,
        "bot_name": v.bot_name,
        "probe": v.probe,
        "probe_rules": list(v.probe_rules),
        "reasons": list(v.reasons),
        "client": rec.client,
        "request": rec.request,
        "status": rec.status,
    }


def _malformed(reason: str) -> dict[str, Any]:
    return {
        "malformed": True,
        "malformed_reason": reason,
        "class": None,
        "bot_category": None,
        "bot_name": None,
        "probe": False,
        "probe_rules": [],
        "reasons": [],
    }


def explain_lines(
    lines: Iterable[bytes | str],
    fmt: LogFormat | None = None,
    classifier: Classifier | None = None,
    client_transform: Callable[[str, float], str] | None = None,
) -> Iterator[dict[str, Any]]:
    """One result dict per input line, blank lines aside, in order; `line` counts them all.

    Without `fmt` the format is detected from the first lines (they are buffered, then explained
    in order like the rest). Raises ValueError when no known format matches. `client_transform`
    (anonymising) is applied to each client before it is judged, as at ingestion."""
    classifier = classifier or Classifier()
    texts: Iterator[tuple[str, bool]] = (_text(line) for line in lines)
    if fmt is None:
        head = list(itertools.islice(texts, _DETECT_LINES * 4))
        sample = [t for t, too_long in head if not too_long and t.strip()][:_DETECT_LINES]
        detection = detect_format(sample, _DETECT_LINES)
        if detection is None:
            if not head:
                return
            raise ValueError("no known access-log format matches these lines")
        fmt = detection.format
        texts = itertools.chain(head, texts)
    classifier.agents_logged = fmt.has_agent
    parse = fmt.parse
    others = OtherFormats(fmt)  # as the pipeline reads a line its format does not
    for n, (text, too_long) in enumerate(texts, 1):
        if too_long:
            result = _malformed(LINE_TOO_LONG)
        elif not text.strip():
            continue  # report and --headless drop blank lines: not even malformed ones
        else:
            rec = parse(text)
            read_by = fmt
            if isinstance(rec, str):
                other = others.parse(text)
                rec, read_by = other if other is not None else (rec, fmt)
            if isinstance(rec, str):
                result = _malformed(rec)
            else:
                if client_transform is not None:
                    rec.client = client_transform(rec.client, rec.ts)
                else:
                    rec.client = normal_client(rec.client)
                result = explain_record(rec, classifier, read_by.has_agent)
                if read_by is not fmt:
                    result["format"] = read_by.name
        yield {"line": n, **result}


def run_explain(
    lines: Iterable[bytes | str],
    fmt: LogFormat | None,
    out: IO[str],
    classifier: Classifier | None = None,
    client_transform: Callable[[str, float], str] | None = None,
) -> int:
    """Write one JSON object per line to `out`. Returns the exit status (0, or 2 if no format)."""
    try:
        for result in explain_lines(lines, fmt, classifier, client_transform):
            out.write(json.dumps(result, ensure_ascii=False) + "\n")
    except ValueError as exc:
        sys.stderr.write(f"logwatch explain: {exc}\n")
        return 2
    return 0


def _parser() -> argparse.ArgumentParser:
    p = ArgumentParser(
        prog="logwatch explain",
        description="Show, as one JSON object per line, how each log line was classified and why.",
    )
    p.add_argument(
        "lines",
        nargs="*",
        metavar="LINE",
        help="log lines, not files (for a file: logwatch explain < access.log); "
        "none or `-` reads stdin",
    )
    p.add_argument(
        "--format",
        "-f",
        metavar="NAME|SPEC",
        help="log format (default: detected; the names: logwatch --help)",
    )
    p.add_argument("--config", "-c", help="config file (for [classify] and privacy settings)")
    p.add_argument(
        "--anonymize-ip",
        nargs="?",
        const="24,48",
        metavar="V4,V6",
        help="show clients masked to these prefix lengths (default 24,48), as logwatch keeps them",
    )
    p.add_argument("--hash-clients", action="store_true", help="show clients as keyed hashes")
    return p


def file_named(lines: list[str]) -> str | None:
    """The first argument that names a file: a log line never does."""
    return next((line for line in lines if line != "-" and os.path.isfile(line)), None)


def read_it_instead(path: str) -> str:
    """What explains the lines of the file at `path`."""
    quoted = shlex.quote(path)
    if path.endswith(".gz"):  # explain reads standard input as it comes, uncompressed
        return f"zcat {quoted} | logwatch explain"
    return f"logwatch explain < {quoted}"


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    named = file_named(args.lines)
    if named is not None:
        sys.stderr.write(
            f"logwatch explain: {named!r} is a file, not a log line; explain reads log lines "
            f"from its arguments or standard input: {sanitize.clean(read_it_instead(named))}\n"
        )
        return 2
    fmt = None
    classify_config = ClassifyConfig()
    try:
        from logwatch.config import ConfigError, load_config

        try:
            config = load_config(args.config)
        except ConfigError as exc:
            sys.stderr.write(f"logwatch explain: {exc}\n")
            return 2
        classify_config = config.classify
        if not args.format and config.format:
            args.format = config.format
        if args.anonymize_ip is None and config.anonymize_ip is not None:
            args.anonymize_ip = f"{config.anonymize_ip[0]},{config.anonymize_ip[1]}"
        args.hash_clients = args.hash_clients or config.hash_clients
    except ImportError:  # pragma: no cover - config ships with the package
        pass
    try:
        anonymizer = anonymizer_for(args.anonymize_ip, args.hash_clients)
    except ValueError as exc:
        sys.stderr.write(f"logwatch explain: {exc}\n")
        return 2
    if args.format:
        try:
            fmt = get_format(args.format)
        except ValueError as exc:
            sys.stderr.write(f"logwatch explain: {exc}\n")
            return 2
    from_stdin = not args.lines or args.lines == ["-"]
    # Standard input compressed (`explain < access.log.2.gz`) is read as `report -` reads it.
    lines: Iterable[bytes | str] = open_input("-") if from_stdin else args.lines
    transform = anonymizer.apply if anonymizer is not None else None
    return run_explain(lines, fmt, sys.stdout, Classifier(classify_config), transform)
