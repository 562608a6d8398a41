"""Every built-in format, the quirks of real logs, the format-string compilers and detection."""

from __future__ import annotations

import pytest

from logwatch.ingest import formats
from logwatch.ingest.formats import (
    FormatError,
    compile_apache,
    compile_nginx,
    detect_format,
    get_format,
)
from logwatch.model import Record
from logwatch.sanitize import MAX_FIELD, cap, decode

UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"
COMBINED = f'203.0.113.7 - - [10/Oct/2026:13:55:36 +0000] "GET /a/b?x=1 HTTP/1.1" 200 2326 "https://ex.com/" "{UA}"'


def parse(fmt: str, line: str) -> Record:
    rec = get_format(fmt).parse(decode(line.encode() if isinstance(line, str) else line))
    assert isinstance(rec, Record), rec
    return rec


def test_combined_fields() -> None:
    r = parse("combined", COMBINED)
    assert (r.client, r.method, r.path, r.query, r.protocol) == (
        "203.0.113.7",
        "GET",
        "/a/b",
        "x=1",
        "HTTP/1.1",
    )
    assert (r.status, r.size, r.referrer, r.user_agent) == (200, 2326, "https://ex.com/", UA)
    assert r.ts == 1791640536.0
    assert r.time.isoformat() == "2026-10-10T13:55:36+00:00"


def test_common_has_no_agent() -> None:
    r = parse("common", '192.0.2.1 - bob [10/Oct/2026:13:55:36 -0700] "GET / HTTP/1.0" 404 -')
    assert r.user_agent == "" and r.size is None and r.status == 404
    assert r.tz_offset == -420 and r.ts == 1791640536.0 + 7 * 3600


def test_vhost_combined() -> None:
    r = parse("vhost_combined", "shop.example.com:443 " + COMBINED)
    assert r.vhost == "shop.example.com:443" and r.client == "203.0.113.7"


def test_nginx_extra_fields_request_and_upstream_time_and_xff() -> None:
    r = parse("combined", COMBINED + ' 0.123 0.120 "198.51.100.9, 10.0.0.1"')
    assert r.request_time == pytest.approx(0.123)
    assert r.upstream_time == pytest.approx(0.120)
    assert r.forwarded_for == "198.51.100.9, 10.0.0.1"


def test_traefik_clf_duration_in_ms() -> None:
    line = (
        '172.17.1.2 - - [24/Nov/2024:13:38:04 +0000] "GET /x HTTP/2" 200 352 "-" "curl/8" '
        '244 "leaf@docker" "http://172.17.0.3:80" 42ms'
    )
    r = parse("combined", line)
    assert r.request_time == pytest.approx(0.042)


def test_ipv6_and_forwarded_for_list_heads() -> None:
    assert parse("combined", COMBINED.replace("203.0.113.7", "2001:db8::1")).client == "2001:db8::1"
    r = parse("combined", COMBINED.replace("203.0.113.7", "10.0.0.2, 10.0.0.1, 127.0.0.1"))
    assert r.client == "10.0.0.2" and r.forwarded_for == "10.0.0.2, 10.0.0.1, 127.0.0.1"
    r = parse("combined", COMBINED.replace("203.0.113.7", '"10.5.1.1, 199.96.1.1" 10.2.1.185'))
    assert r.client == "10.5.1.1"


def test_quirks_hex_escapes_tls_dash_empty_request() -> None:
    tls = r'45.1.2.3 - - [10/Oct/2026:13:55:36 +0000] "\x16\x03\x01\x02\x00\x01" 400 157 "-" "-"'
    r = parse("combined", tls)
    assert r.method == "" and r.path == "" and r.request.startswith("\\x16\\x03")
    for req in ("-", ""):
        r = parse("combined", COMBINED.replace("GET /a/b?x=1 HTTP/1.1", req))
        assert r.method == "" and r.request == req


def test_non_utf8_bytes_crlf_trailing_spaces_numeric_timezone() -> None:
    raw = COMBINED.replace("/a/b", "/caf\xe9").encode("latin-1") + b"   \r"
    r = get_format("combined").parse(decode(raw.rstrip(b"\r")))
    assert isinstance(r, Record) and r.path == "/caf\\xe9"
    assert parse("combined", COMBINED.replace("+0000", "+0530")).tz_offset == 330


def test_control_characters_are_escaped_at_ingestion() -> None:
    raw = COMBINED.replace("/a/b", "/\x1b]0;pwned\x07\u202e").encode()
    r = get_format("combined").parse(decode(raw))
    assert isinstance(r, Record)
    assert "\x1b" not in r.path and "\x07" not in r.path and "\u202e" not in r.path
    assert r.path == "/\\x1b]0;pwned\\x07\\u202e"


@pytest.mark.parametrize("invisible", ["\u200b", "\u200d", "\u2028", "\u2029", "\u2060", "\ufeff"])
def test_invisible_characters_are_shown_escaped(invisible: str) -> None:
    """`/admin\u200b` looked like `/admin` on the dashboard; a line separator broke its row."""
    raw = COMBINED.replace("/a/b", f"/admin{invisible}").encode()
    r = get_format("combined").parse(decode(raw))
    assert isinstance(r, Record) and r.path == f"/admin\\u{ord(invisible):04x}"


@pytest.mark.parametrize(
    ("fields", "request_line", "referrer", "agent"),
    [
        # gunicorn and morgan write fields as they came, quotes and all
        (
            '"GET /a HTTP/1.1" 200 5 "https://r.example/?q="x"" "Firefox/120.0"',
            "GET /a HTTP/1.1",
            'https://r.example/?q="x"',
            "Firefox/120.0",
        ),
        (
            '"GET /s?q="1 HTTP/1.1" 200 5 "-" "Firefox/120.0"',
            'GET /s?q="1 HTTP/1.1',
            "",
            "Firefox/120.0",
        ),
        (
            '"GET /a HTTP/1.1" 200 - "a"b" "Firefox/120.0" 0.012 0.010',
            "GET /a HTTP/1.1",
            'a"b',
            "Firefox/120.0",
        ),
    ],
)
def test_raw_quotes_inside_fields_keep_the_referrer_and_agent(
    fields: str, request_line: str, referrer: str, agent: str
) -> None:
    # The agent was lost to the line's tail, and the request counted as an agentless bot.
    r = parse("combined", "203.0.113.7 - - [10/Oct/2026:13:55:36 +0000] " + fields)
    assert (r.request, r.referrer, r.user_agent) == (request_line, referrer, agent)
    assert r.status == 200 and r.ts == 1791640536.0
    if fields.endswith("0.010"):
        assert (r.request_time, r.upstream_time) == (0.012, 0.010)


def test_raw_quotes_and_a_forwarded_for_list_in_the_address_field() -> None:
    # The loose reading kept "203.0.113.7,10.0.0.1" as the client (one per proxy chain, and
    # "invalid" under --anonymize-ip), where the same line without the raw quote has 203.0.113.7.
    head = "203.0.113.7,10.0.0.1 - - [10/Oct/2026:13:55:36 +0000] "
    for request in ("GET /a HTTP/1.1", 'GET /a"b HTTP/1.1'):
        r = parse("combined", head + f'"{request}" 200 5 "-" "Firefox/120.0"')
        assert (r.client, r.forwarded_for, r.user_agent) == (
            "203.0.113.7",
            "203.0.113.7,10.0.0.1",
            "Firefox/120.0",
        )


def test_a_line_with_raw_quotes_and_no_status_is_still_malformed() -> None:
    line = '203.0.113.7 - - [10/Oct/2026:13:55:36 +0000] "GET /"a HTTP/1.1" two "-" "x"'
    assert get_format("combined").parse(line) == "does not match combined"


def test_long_fields_are_capped() -> None:
    r = parse("combined", COMBINED.replace("/a/b", "/" + "a" * 50_000))
    assert len(r.path) <= 2048 and r.path.endswith("…")


def test_bad_lines_get_a_reason() -> None:
    fmt = get_format("combined")
    assert fmt.parse("hello world") == "does not match combined"
    assert fmt.parse(COMBINED.replace("10/Oct/2026", "99/Foo/2026")) == "bad timestamp"


def test_caddy_json() -> None:
    line = (
        '{"level":"info","ts":1693840791.75,"logger":"http.log.access","msg":"handled request",'
        '"request":{"remote_ip":"172.17.0.1","client_ip":"198.51.100.4","proto":"HTTP/2.0",'
        '"method":"GET","host":"ex.com","uri":"/p?q=1","headers":{"User-Agent":["curl/8.0"],'
        '"Referer":["https://r.example/"]}},"duration":0.0123,"size":512,"status":404}'
    )
    r = parse("caddy", line)
    assert (r.client, r.method, r.path, r.query, r.status, r.size) == (
        "198.51.100.4",
        "GET",
        "/p",
        "q=1",
        404,
        512,
    )
    assert r.user_agent == "curl/8.0" and r.vhost == "ex.com" and r.request_time == 0.0123


@pytest.mark.parametrize(
    ("duration", "seconds"),
    [
        ("0.0123", 0.0123),  # duration_format seconds, the default
        ("12300000", 0.0123),  # ns / nano: whole nanoseconds
        ('"12.3ms"', 0.0123),  # string: Go's duration text
        ('"1m2.5s"', 62.5),
        ('"250\u00b5s"', 0.00025),
        ('"soon"', None),
        ('"-1s"', None),
    ],
)
def test_caddy_duration_formats(duration: str, seconds: float | None) -> None:
    # `duration_format ns` was read as seconds: 12300000 s, a request of five months.
    line = (
        '{"ts":1693840791.75,"request":{"remote_ip":"203.0.113.7","method":"GET","uri":"/a",'
        '"proto":"HTTP/1.1"},"duration":' + duration + ',"size":5,"status":200}'
    )
    r = parse("caddy", line)
    assert r.request_time == (pytest.approx(seconds) if seconds is not None else None)


@pytest.mark.parametrize(
    ("duration", "seconds"),
    [
        ("12", 0.012),  # duration_format ms: whole milliseconds (zap's MillisDurationEncoder)
        ("0", 0.0),  # under a millisecond
        ("12.5", 0.0125),  # a fraction, should a writer keep one
        ("3600000", 3600.0),  # an hour-long websocket: 3.6 ms if read as nanoseconds
        ('"12.3ms"', 0.0123),  # Go's duration text says its own unit
        ('"soon"', None),
        ("-5", None),
    ],
)
def test_caddy_ms_reads_milliseconds(duration: str, seconds: float | None) -> None:
    """Caddy's `duration_format ms` writes whole milliseconds, which the default reading takes
    for nanoseconds (12 ms → 12 ns), and no value tells the two apart: `caddy_ms` says so."""
    line = (
        '{"ts":1693840791.75,"request":{"remote_ip":"203.0.113.7","method":"GET","uri":"/a",'
        '"proto":"HTTP/1.1"},"duration":' + duration + ',"size":5,"status":200}'
    )
    r = parse("caddy_ms", line)
    assert r.request_time == (pytest.approx(seconds) if seconds is not None else None)
    assert get_format("caddy_ms").name == "caddy_ms"


def test_traefik_json() -> None:
    line = (
        '{"ClientHost":"172.17.0.1","DownstreamContentSize":356,"DownstreamStatus":404,'
        '"Duration":215563000,"RequestHost":"t.local","RequestMethod":"GET","RequestPath":"/x.dtd",'
        '"RequestProtocol":"HTTP/1.1","StartUTC":"2021-12-08T14:02:43.464763557Z",'
        '"request_User-Agent":"Nikto"}'
    )
    r = parse("traefik", line)
    assert (r.client, r.path, r.status, r.user_agent) == ("172.17.0.1", "/x.dtd", 404, "Nikto")
    assert r.request_time == pytest.approx(0.215563)
    assert r.ts == pytest.approx(1638972163.464763)


@pytest.mark.parametrize(
    ("fmt", "field", "address", "client"),
    [
        ("caddy", "remote_addr", "203.0.113.5:51234", "203.0.113.5"),
        ("caddy", "remote_addr", "[2001:db8::7]:443", "2001:db8::7"),
        ("caddy", "remote_addr", "2001:db8::7", "2001:db8::7"),
        ("traefik", "ClientAddr", "203.0.113.5:51234", "203.0.113.5"),
    ],
)
def test_a_client_written_with_its_port_is_the_address_alone(
    fmt: str, field: str, address: str, client: str
) -> None:
    """Caddy's old remote_addr and Traefik's ClientAddr carry the port: a client counted as
    one per port, and anonymised to "invalid" (no address) or a hash that changed with it."""
    if fmt == "caddy":
        line = (
            f'{{"ts":1693840791.75,"request":{{"{field}":"{address}","proto":"HTTP/1.1",'
            '"method":"GET","uri":"/","headers":{}},"status":200}'
        )
    else:
        line = (
            f'{{"{field}":"{address}","DownstreamStatus":200,"RequestMethod":"GET",'
            '"RequestPath":"/","StartUTC":"2021-12-08T14:02:43Z"}'
        )
    assert parse(fmt, line).client == client


def test_nginx_escape_json_and_json_control_characters() -> None:
    line = (
        '{"time_iso8601":"2026-10-10T13:55:36+02:00","remote_addr":"192.0.2.9",'
        '"request":"GET /x\\u001b[2J HTTP/1.1","status":"200","body_bytes_sent":"10",'
        '"http_referer":"","http_user_agent":"Wget/1.21","request_time":"0.005"}'
    )
    r = parse("nginx_json", line)
    assert r.path == "/x\\x1b[2J" and r.status == 200 and r.request_time == 0.005
    assert r.tz_offset == 120
    assert get_format("nginx_json").parse("[" * 5000 + "]" * 5000) == "not JSON"
    assert get_format("nginx_json").parse("{" + '"a":' * 3000) == "bad JSON"


def test_nginx_log_format_compiler() -> None:
    fmt = compile_nginx(
        '$remote_addr - $remote_user [$time_local] "$request" $status '
        '$body_bytes_sent "$http_referer" "$http_user_agent" $request_time'
    )
    r = fmt.parse(COMBINED + " 0.250")
    assert isinstance(r, Record) and r.request_time == 0.25 and r.path == "/a/b"
    assert fmt.parse("garbage") == "does not match nginx log_format"


def test_apache_logformat_compiler_with_escaped_quotes_and_microseconds() -> None:
    fmt = compile_apache('%h %l %u %t \\"%r\\" %>s %b \\"%{Referer}i\\" \\"%{User-Agent}i\\" %D')
    r = fmt.parse(COMBINED + " 1500")
    assert isinstance(r, Record) and r.request_time == pytest.approx(0.0015)
    assert r.user_agent == UA and r.status == 200


def test_get_format_rejects_unknown_names() -> None:
    with pytest.raises(FormatError):
        get_format("nonsense")


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        ([COMBINED] * 5, "combined"),
        (['192.0.2.1 - - [10/Oct/2026:13:55:36 +0000] "GET / HTTP/1.0" 200 5'] * 5, "common"),
        (["ex.com:80 " + COMBINED] * 5, "vhost_combined"),
        ([COMBINED + " 0.010 0.009"] * 5, "combined_extra"),
        (
            [
                '{"ts":1.7e9,"logger":"http.log.access","request":{"remote_ip":"1.2.3.4","method":"GET",'
                '"uri":"/"},"status":200}'
            ]
            * 3,
            "caddy",
        ),
    ],
)
def test_detection_picks_the_most_specific_format(lines: list[str], expected: str) -> None:
    detection = detect_format(lines)
    assert detection is not None and detection.format.name == expected


def test_detection_fails_on_non_logs() -> None:
    assert detect_format(["just some text", "more text"]) is None


@pytest.mark.parametrize(
    "line",
    [
        COMBINED,
        COMBINED + " 0.123 0.120",
        COMBINED + " 0.123 -",
        COMBINED + ' 0.010 0.009 "198.51.100.9, 10.0.0.1"',
        COMBINED.replace('"GET /a/b?x=1 HTTP/1.1"', '"GET /a\\"b HTTP/1.1"'),  # Apache escaping
        COMBINED.replace("203.0.113.7", "10.0.0.2, 10.0.0.1"),
        '192.0.2.1 - - [10/Oct/2026:13:55:36 +0000] "GET / HTTP/1.0" 404 -',
        COMBINED.replace(" 200 ", " - "),
    ],
)
def test_split_fast_path_agrees_with_the_regex(line: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from logwatch.ingest import formats

    fmt = get_format("combined")
    fast = fmt.parse(decode(line.encode()))
    monkeypatch.setattr(formats, "split_clf", lambda _line: None)
    slow = fmt.parse(decode(line.encode()))
    assert fast == slow


@pytest.mark.parametrize("digits", ["²⁰⁰", "٢٠٠", "２００"])
def test_unicode_digits_in_numeric_fields_are_malformed_not_a_crash(digits: str) -> None:
    line = COMBINED.replace(" 200 2326 ", f" {digits} 2326 ")
    assert isinstance(get_format("combined").parse(decode(line.encode())), str)
    line = COMBINED.replace(" 200 2326 ", f" 200 {digits} ")
    assert isinstance(get_format("combined").parse(decode(line.encode())), str)
    obj = f'{{"status": "{digits}", "time_iso8601": "2026-10-10T13:55:36+00:00"}}'
    assert get_format("nginx_json").parse(obj) == "bad status"


def test_nginx_log_format_takes_lists_of_upstreams_and_forwarded_for() -> None:
    # nginx joins several upstreams' values with ", " (and redirects' with " : "): the line
    # still matches, and the first time is taken.
    fmt = compile_nginx(
        '$remote_addr $http_x_forwarded_for [$time_local] "$request" $status '
        "$request_time $upstream_response_time $upstream_addr"
    )
    head = '203.0.113.7 198.51.100.9, 10.0.0.1 [10/Oct/2026:13:55:36 +0000] "GET / HTTP/1.1" 200'
    r = fmt.parse(head + " 0.004 0.001, 0.002 : 0.001 10.0.0.5:80, 10.0.0.6:80")
    assert isinstance(r, Record), r
    assert r.upstream_time == pytest.approx(0.001) and r.request_time == pytest.approx(0.004)
    assert r.forwarded_for == "198.51.100.9, 10.0.0.1" and r.client == "203.0.113.7"
    r = fmt.parse(head + " 0.004 0.001 : 0.003 10.0.0.5:80 : 10.0.0.6:80")
    assert isinstance(r, Record) and r.upstream_time == pytest.approx(0.001)


@pytest.mark.parametrize(
    ("spec", "time_text"),
    [
        ("[%{%d/%b/%Y:%H:%M:%S %z}t]", "[10/Oct/2026:15:55:36 +0200]"),
        ("%{%Y-%m-%dT%H:%M:%S%z}t", "2026-10-10T13:55:36+0000"),
        ("%{%d/%b/%Y %T}t", "10/Oct/2026 13:55:36"),  # no zone: UTC
        ("%{begin:%F %T}t", "2026-10-10 13:55:36"),
        ("%{msec}t", "1791640536000"),
        ("%{sec}t", "1791640536"),
    ],
)
def test_apache_logformat_with_a_strftime_time(spec: str, time_text: str) -> None:
    # `%{format}t` writes the time as the format says: it must be read so, not lost.
    fmt = compile_apache("%h %l %u " + spec + ' \\"%r\\" %>s %b')
    r = fmt.parse("203.0.113.7 - - " + time_text + ' "GET / HTTP/1.1" 200 5')
    assert isinstance(r, Record), r
    assert r.ts == 1791640536.0 and r.status == 200 and r.path == "/"
    assert fmt.parse(
        "203.0.113.7 - - " + time_text.replace("36", "9x") + ' "GET / HTTP/1.1" 200 5'
    ) in (
        "bad timestamp",
        "does not match Apache LogFormat",
    )


@pytest.mark.parametrize(
    "ts",
    [
        '"2026-10-10T13:55:36.000Z"',  # time_format iso8601 / rfc3339
        '"2026-10-10T15:55:36.000+0200"',
        '"2026/10/10 13:55:36"',  # wall
        '"10/Oct/2026:13:55:36 +0000"',  # common_log
        "1791640536000.0",  # unix_milli_float
    ],
)
def test_caddy_time_formats_are_read_and_detected(ts: str) -> None:
    # Caddy's `time_format` writes `ts` as text: a caddy log so configured is still caddy, not
    # the generic JSON flavour (which made a client of "-" and a request of the whole object).
    line = (
        '{"level":"info","ts":' + ts + ',"logger":"http.log.access","request":{"remote_ip":'
        '"203.0.113.7","method":"GET","uri":"/a","proto":"HTTP/1.1"},"status":200,"size":5}'
    )
    detection = detect_format([line] * 3)
    assert detection is not None and detection.format.name == "caddy"
    r = parse("caddy", line)
    assert r.ts == 1791640536.0 and r.client == "203.0.113.7" and r.path == "/a"


@pytest.mark.parametrize(
    ("head", "client", "forwarded"),
    [
        ("- 10.0.0.1", "10.0.0.1", None),  # `$http_x_forwarded_for $remote_addr`, no header
        ('"-" 10.0.0.1', "10.0.0.1", None),
        ("shop.example.com 10.0.0.1", "10.0.0.1", None),  # a vhost before the address
        ("unknown, 198.51.100.9 10.0.0.1", "198.51.100.9", "unknown, 198.51.100.9 10.0.0.1"),
        ("198.51.100.9 10.0.0.1", "198.51.100.9", "198.51.100.9 10.0.0.1"),
        ("2001:db8::7, 10.0.0.2 10.0.0.1", "2001:db8::7", "2001:db8::7, 10.0.0.2 10.0.0.1"),
        # A proxy that adds the port (Azure's gateway): the address alone, as _host_of gives it.
        ("198.51.100.9:51234, 10.0.0.1", "198.51.100.9", "198.51.100.9:51234, 10.0.0.1"),
        ("unknown, 198.51.100.9:443", "198.51.100.9", "unknown, 198.51.100.9:443"),
    ],
)
def test_words_before_the_address_that_are_not_addresses_are_not_the_client(
    head: str, client: str, forwarded: str | None
) -> None:
    # Every direct request of such a log used to be the one client "-" (or the vhost's name).
    r = parse("combined", COMBINED.replace("203.0.113.7", head))
    assert (r.client, r.forwarded_for) == (client, forwarded)


def _addresses(n: int) -> str:
    return ", ".join(f"10.{k >> 16 & 255}.{k >> 8 & 255}.{k & 255}" for k in range(1, n + 1))


@pytest.mark.parametrize("n", [33, 34, 60, 2000])
@pytest.mark.parametrize(
    "shape",
    ["{list}", "{list} 198.51.100.1", '"{list}" 198.51.100.1', '"{list}, {list}" 198.51.100.1'],
)
def test_a_forwarded_for_list_of_any_length_is_read(n: int, shape: str) -> None:
    # X-Forwarded-For is the client's to write: 34 entries or more made the line malformed,
    # a probe hidden from every count.
    listed = _addresses(n)
    head = shape.format(list=listed)
    line = COMBINED.replace("203.0.113.7", head).replace("/a/b?x=1", "/.env")
    r = parse("combined", line)
    assert (r.client, r.path, r.status) == ("10.0.0.1", "/.env", 200)
    assert r.forwarded_for == cap(head.replace('"', ""), MAX_FIELD)


@pytest.mark.parametrize(
    ("head", "client"),
    [
        ("x" * 300 + ", 198.51.100.9 10.0.0.1", "198.51.100.9"),  # an entry past 256 characters
        ("[2001:db8::1]:443, 10.0.0.2 10.0.0.1", "2001:db8::1"),  # bracketed, with its port
        ("198.51.100.9, [2001:db8::1]:443, [x 10.0.0.1", "198.51.100.9"),
    ],
)
def test_any_entry_of_a_forwarded_for_list_is_read(head: str, client: str) -> None:
    r = parse("combined", COMBINED.replace("203.0.113.7", head))
    assert (r.client, r.forwarded_for) == (client, cap(head, MAX_FIELD))


@pytest.mark.parametrize(
    ("head", "client", "forwarded"),
    [
        # A list ending in a comma: the two words before the time are still ident and user.
        ("203.0.113.7, - -", "203.0.113.7", "203.0.113.7,"),
        ("unknown, - -", "unknown", "unknown,"),
        ("203.0.113.7, 10.0.0.1, bob -", "203.0.113.7", "203.0.113.7, 10.0.0.1,"),
    ],
)
def test_the_ident_and_user_after_a_list_ending_in_a_comma(
    head: str, client: str, forwarded: str
) -> None:
    line = COMBINED.replace("203.0.113.7 - -", head)
    r = parse("combined", line)
    assert (r.client, r.forwarded_for) == (client, forwarded)


def test_a_long_list_of_junk_costs_a_bounded_number_of_address_checks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each failed address check costs microseconds: 2,000 of them a line would be a denial of
    service. Past the first words searched, the client is the connecting address."""
    checked: list[str] = []
    real = formats._is_address

    def counting(word: str) -> bool:
        checked.append(word)
        return real(word)

    monkeypatch.setattr(formats, "_is_address", counting)
    junk = ", ".join(f"999.{k & 255}.0.1" for k in range(2000))
    r = parse("combined", COMBINED.replace("203.0.113.7", f"{junk} 198.51.100.1"))
    assert r.client == "198.51.100.1" and r.forwarded_for == cap(f"{junk} 198.51.100.1", 256)
    assert 0 < len(checked) <= formats._MAX_LIST_WORDS


@pytest.mark.parametrize("zone", ["+9999", "-2400", "+0160", "+05:99"])
def test_a_zone_out_of_range_is_a_bad_timestamp(zone: str) -> None:
    # Taken as an offset it moved the request days away, and its Record.time raised.
    line = COMBINED.replace("+0000", zone)
    assert get_format("combined").parse(line) == "bad timestamp"
    assert parse("combined", COMBINED.replace("+0000", "-1200")).time.utcoffset() is not None


def test_nginx_json_combined_keys() -> None:
    # The json_combined log_format most guides give names the referrer "http_referrer".
    line = (
        '{"time_local":"10/Oct/2026:13:55:36 +0000","remote_addr":"203.0.113.7","remote_user":"",'
        '"request":"GET /a HTTP/1.1","status": "200","body_bytes_sent":"5","request_time":"0.010",'
        '"http_referrer":"https://ex.com/","http_user_agent":"' + UA + '"}'
    )
    r = parse("nginx_json", line)
    assert (r.referrer, r.user_agent, r.ts, r.size) == ("https://ex.com/", UA, 1791640536.0, 5)


def test_nginx_json_without_escape_json_reads_hex_escapes() -> None:
    # Without `escape=json` nginx writes a quote in a JSON log as \x22: not a JSON escape, so a
    # scanner's quote in its path made its request "bad JSON" and it went uncounted.
    line = (
        '{"time_local":"10/Oct/2026:13:55:36 +0000","remote_addr":"203.0.113.7",'
        '"request":"GET /a\\x22b HTTP/1.1","status":"200","body_bytes_sent":"5",'
        '"http_user_agent":"x\\x5C\\x22\\x1B","http_referer":"\\\\x41"}'
    )
    r = parse("nginx_json", line)
    assert r.path == '/a"b' and r.status == 200
    assert r.user_agent == 'x\\"\\x1b' and r.referrer == "\\x41"  # ESC kept escaped
    assert get_format("nginx_json").parse('{"status": 200, "x": "\\q\\x22"}') == "bad JSON"


@pytest.mark.parametrize(
    "spec",
    ['$remote_addr "$request" $status', '%h \\"%r\\" %>s', '%h %{%Q}t \\"%r\\" %>s'],
)
def test_a_format_string_that_can_read_no_time_is_refused(spec: str) -> None:
    # Every line would be 'bad timestamp': a usage error (exit 2) says so at once instead.
    with pytest.raises(FormatError, match="time"):
        get_format(spec)


def test_json_lone_surrogate_escapes_are_escaped() -> None:
    # `\ud800` is valid JSON but decodes to a lone surrogate, which no UTF-8 output can write:
    # the report, JSON Lines and explain died with UnicodeEncodeError on such a line.
    line = (
        '{"time_iso8601":"2026-10-10T13:55:36+02:00","remote_addr":"192.0.2.9",'
        '"request":"GET /a\\ud800b HTTP/1.1","status":"200","body_bytes_sent":"10",'
        '"http_referer":"http://r.example/\\udfff","http_user_agent":"Wget\\udc80"}'
    )
    r = parse("nginx_json", line)
    assert r.path == "/a\\ud800b"
    for text in (r.path, r.request, r.referrer, r.user_agent):
        text.encode("utf-8")  # raises on a lone surrogate
