"""Where requests come from: country and network (ASN) from local GeoIP databases.

`GeoLookup` opens one or more MaxMind DB (``.mmdb``) files with ``maxminddb`` and answers
``lookup(ip) -> GeoInfo | None`` from all of them at once. It reads the two record layouts found
in the wild, whatever the file calls itself:

- nested, MaxMind style — GeoLite2/GeoIP2 City and Country, and DB-IP Lite City/Country:
  ``{"country": {"iso_code": "GB", "names": {"en": ...}}, "city": {"names": {...}}, ...}``;
  GeoLite2-ASN and DB-IP ASN Lite: ``{"autonomous_system_number": 1221,
  "autonomous_system_organization": "..."}`` (GeoIP2 ISP/Enterprise keep these under ``traits``);
- flat — ip-location-db: ``{"country_code": "GB"}``, ``{"country_code", "city", ...}``,
  ``{"autonomous_system_number", "autonomous_system_organization"}``; IPinfo Lite:
  ``{"country_code", "country", "asn": "AS15169", "as_name"}``.

Databases are asked in the order given; for each field the first one that knows it wins (a city
is only taken from a database that agrees on the country). Answers are kept in a bounded LRU
cache. Every string from a database is outside data: it is sanitised and capped like log text.

No lookup ever goes over the network: the databases are local files the user downloaded.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from itertools import islice
from typing import Any

import maxminddb

from logwatch.privacy import canonical_ip
from logwatch.sanitize import MAX_FIELD, cap, clean

DEFAULT_CACHE_SIZE = 65536

# Shown by --help and when a GeoIP column is asked for without a database.
GEOIP_HELP = (
    "Country and network columns need a local GeoIP database (.mmdb), given with --geoip PATH "
    "(repeatable) or `geoip = [...]` in the config. Free ones: MaxMind GeoLite2 Country/City/ASN "
    "(free account), DB-IP Lite Country/City/ASN, and the ip-location-db project's country and "
    "ASN .mmdb files. Give one country or city database and one ASN database for both columns."
)


class GeoDatabaseError(Exception):
    """A GeoIP database path that cannot be used; the message says which and why."""


@dataclass(frozen=True, slots=True)
class GeoInfo:
    """What the databases know about one address. Every field may be missing."""

    country: str | None = None  # ISO 3166-1 alpha-2, upper case ("GB")
    country_name: str | None = None  # "United Kingdom"
    city: str | None = None
    asn: int | None = None  # 1221
    as_org: str | None = None  # "Telstra Pty Ltd"

    @property
    def network(self) -> str | None:
        """``"AS1221 Telstra Pty Ltd"``, ``"AS1221"``, the organisation alone, or None."""
        if self.asn is None:
            return self.as_org
        return f"AS{self.asn} {self.as_org}" if self.as_org else f"AS{self.asn}"

    def as_dict(self) -> dict[str, str | int | None]:
        """Plain data for JSON: every key always present."""
        return {
            "country": self.country,
            "country_name": self.country_name,
            "city": self.city,
            "asn": self.asn,
            "as_org": self.as_org,
        }


@dataclass(frozen=True, slots=True)
class DatabaseInfo:
    """One opened database, as the status line and `--help` describe it."""

    path: str
    database_type: str  # from the file's metadata, e.g. "GeoLite2-City", "DBIP-ASN-Lite ..."
    layout: str  # "nested" (MaxMind style) or "flat" (ip-location-db, IPinfo)
    provides: frozenset[str]  # subset of {"country", "city", "asn"}
    ip_version: int


_Fields = tuple[str | None, str | None, str | None, int | None, str | None]
_EMPTY: _Fields = (None, None, None, None, None)
_MAX_ASN = 2**32


def _text(value: object, limit: int = MAX_FIELD) -> str | None:
    if not isinstance(value, str):
        return None
    # Escaping lengthens text, so cap after cleaning (slicing first bounds the work).
    value = cap(clean(value.strip()[: limit * 2]), limit)
    return value or None


def _iso(value: object) -> str | None:
    if isinstance(value, str) and len(value) == 2 and value.isascii() and value.isalpha():
        return value.upper()
    return None


def _asn(value: object) -> int | None:
    if isinstance(value, str):
        value = value.strip()
        if value[:2].upper() == "AS":
            value = value[2:]
        if not (value.isascii() and value.isdigit() and len(value) <= 10):
            return None
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value < _MAX_ASN:
        return value
    return None


def _name(node: Mapping[str, Any], language: str) -> str | None:
    names = node.get("names")
    if not isinstance(names, Mapping) or not names:
        return None
    value = names.get(language)
    if value is None:
        value = names.get("en")
    if value is None:
        value = next(iter(names.values()))
    return _text(value)


def _extract(rec: object, language: str) -> _Fields:
    """(country, country_name, city, asn, as_org) from a record of either layout."""
    if not isinstance(rec, Mapping):
        return _EMPTY
    country = country_name = city = as_org = None
    asn = None

    node = rec.get("country")
    if isinstance(node, Mapping):  # nested
        country = _iso(node.get("iso_code"))
        country_name = _name(node, language)
    elif isinstance(node, str):  # flat: IPinfo writes the name here, some files the code
        country = _iso(node)
        if country is None:
            country_name = _text(node)
    if country is None:
        code = _iso(rec.get("country_code"))
        if code is not None:
            country = code
        else:
            # Anycast and some EU ranges carry only the registered country.
            reg = rec.get("registered_country")
            if isinstance(reg, Mapping) and _iso(reg.get("iso_code")):
                country = _iso(reg.get("iso_code"))
                country_name = _name(reg, language)

    node = rec.get("city")
    if isinstance(node, Mapping):
        city = _name(node, language)
    elif isinstance(node, str):
        city = _text(node)

    traits = rec.get("traits")
    src: Mapping[str, Any] = traits if isinstance(traits, Mapping) else rec
    asn = _asn(src.get("autonomous_system_number", rec.get("autonomous_system_number")))
    as_org = _text(
        src.get("autonomous_system_organization", rec.get("autonomous_system_organization"))
    )
    if asn is None:
        asn = _asn(rec.get("asn"))
    if as_org is None:
        as_org = _text(rec.get("as_name")) or _text(rec.get("as_org"))
    return country, country_name, city, asn, as_org


def _provides(database_type: str, samples: list[_Fields]) -> frozenset[str]:
    kind = database_type.lower()
    found: set[str] = set()
    if "asn" in kind or "isp" in kind:
        found.add("asn")
    if "city" in kind or "enterprise" in kind:
        found.update(("country", "city"))
    elif "country" in kind:
        found.add("country")
    for country, _name_, city, asn, org in samples:
        if country or _name_:
            found.add("country")
        if city:
            found.add("city")
        if asn is not None or org:
            found.add("asn")
    return frozenset(found)


# Addresses likely to be in any real database; used only to sniff a file's layout at open.
_PROBE_ADDRESSES = ("8.8.8.8", "1.1.1.1", "81.2.69.142", "1.128.0.0", "2001:4860:4860::8888")


def _open_one(path: str | os.PathLike[str], language: str) -> tuple[Any, DatabaseInfo]:
    shown = os.fspath(path)
    if not os.path.exists(shown):
        raise GeoDatabaseError(f"GeoIP database {shown}: no such file")
    if os.path.isdir(shown):
        raise GeoDatabaseError(f"GeoIP database {shown}: is a directory, not an .mmdb file")
    try:
        reader = maxminddb.open_database(shown)
    except PermissionError as exc:
        raise GeoDatabaseError(f"GeoIP database {shown}: cannot be read ({exc.strerror})") from exc
    except (maxminddb.InvalidDatabaseError, ValueError, OSError) as exc:
        raise GeoDatabaseError(
            f"GeoIP database {shown}: not a MaxMind DB (.mmdb) file ({exc})"
        ) from exc
    try:
        meta = reader.metadata()
        database_type = _text(str(meta.database_type), 120) or "unknown"
        records: list[object] = []
        for ip in _PROBE_ADDRESSES:
            try:
                rec = reader.get(ip)
            except ValueError:  # an IPv6 address in an IPv4-only file
                continue
            if rec is not None:
                records.append(rec)
        if not records:
            records = [rec for _net, rec in islice(iter(reader), 3)]
        samples = [_extract(rec, language) for rec in records]
        flat = any(
            isinstance(rec, Mapping)
            and ("country_code" in rec or isinstance(rec.get("city"), str) or "asn" in rec)
            for rec in records
        )
        info = DatabaseInfo(
            path=shown,
            database_type=database_type,
            layout="flat" if flat else "nested",
            provides=_provides(database_type, samples),
            ip_version=int(meta.ip_version),
        )
    except (maxminddb.InvalidDatabaseError, ValueError, OSError, RuntimeError) as exc:
        reader.close()
        raise GeoDatabaseError(f"GeoIP database {shown}: unreadable ({exc})") from exc
    return reader, info


def database_problem(path: str | os.PathLike[str]) -> str | None:
    """Why `path` cannot serve as a GeoIP database (what `--geoip` would exit with); None when
    it can. For `check-config`: a file that exists may still be no database."""
    try:
        reader, _info = _open_one(path, "en")
    except GeoDatabaseError as exc:
        return str(exc)
    reader.close()
    return None


class GeoLookup:
    """Country, city and network for an address, from one or more local ``.mmdb`` files.

    ``lookup`` never raises on input: anything that is not an address, or that no database
    knows, gives None. Opening raises `GeoDatabaseError` with a readable message.
    Thread-safe for lookups; call ``close`` (or use ``with``) to release the files.
    """

    def __init__(
        self,
        paths: Iterable[str | os.PathLike[str]],
        *,
        cache_size: int = DEFAULT_CACHE_SIZE,
        language: str = "en",
    ) -> None:
        if cache_size < 0:
            raise ValueError("GeoIP cache size must be 0 or more")
        self._language = language
        self._readers: list[Any] = []
        infos: list[DatabaseInfo] = []
        try:
            for path in paths:
                reader, info = _open_one(path, language)
                self._readers.append(reader)
                infos.append(info)
        except BaseException:
            self.close()
            raise
        if not infos:
            raise GeoDatabaseError("no GeoIP database given. " + GEOIP_HELP)
        self.databases: tuple[DatabaseInfo, ...] = tuple(infos)
        provided = frozenset().union(*(d.provides for d in infos))
        self.has_country = "country" in provided
        self.has_city = "city" in provided
        self.has_asn = "asn" in provided
        self.cache_size = cache_size
        self._cached = functools.lru_cache(maxsize=cache_size)(self._lookup_uncached)

    def lookup(self, ip: str, *, cache: bool = True) -> GeoInfo | None:
        """GeoInfo for an address (IPv4, IPv6, IPv4-mapped, with or without zone id), or None.

        ``cache=False`` asks the databases without keeping the address in the cache (hashed
        clients: nothing may remember their networks)."""
        return self._cached(ip) if cache else self._lookup_uncached(ip)

    def _lookup_uncached(self, ip: str) -> GeoInfo | None:
        if not isinstance(ip, str):
            return None
        key = canonical_ip(ip)
        if key is None:
            return None
        country = country_name = city = as_org = None
        asn = None
        for reader in self._readers:
            try:
                rec = reader.get(key)
            except (ValueError, maxminddb.InvalidDatabaseError, OSError, RuntimeError):
                continue  # IPv6 in an IPv4-only file, or a corrupt record: this file knows nothing
            if rec is None:
                continue
            c, cn, ci, a, o = _extract(rec, self._language)
            if country is None and c is not None:
                country = c
                country_name = cn
            elif country_name is None and cn is not None and (c is None or c == country):
                country_name = cn
            if city is None and ci is not None and (c is None or country is None or c == country):
                city = ci
            if asn is None and a is not None:
                asn = a
                if o is not None:
                    as_org = o
            elif as_org is None and o is not None and (a is None or a == asn):
                as_org = o
        if country is None and country_name is None and city is None and asn is None and not as_org:
            return None
        return GeoInfo(country, country_name, city, asn, as_org)

    def cache_info(self) -> functools._CacheInfo:
        """Hits, misses, maxsize and current size of the lookup cache."""
        return self._cached.cache_info()

    def clear_cache(self) -> None:
        self._cached.cache_clear()

    def close(self) -> None:
        for reader in self._readers:
            # Closing twice, or a file already gone: nothing left to do.
            with contextlib.suppress(Exception):
                reader.close()
        self._readers = []

    def __enter__(self) -> GeoLookup:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def describe(self) -> str:
        """One line for a status bar or the report: ``GeoLite2-City, GeoLite2-ASN``."""
        return ", ".join(d.database_type for d in self.databases)

    def __repr__(self) -> str:
        return f"GeoLookup({self.describe()!r}, cache_size={self.cache_size})"


# --- claimed bots ----------------------------------------------------------------------------

VERIFIED = "verified"
UNVERIFIED = "unverified"
UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class _Operator:
    key: str
    own: frozenset[int]
    shared: frozenset[int]
    exclude: frozenset[int]
    orgs: re.Pattern[str] | None


def _ints(entry: Mapping[str, Any], field: str, key: str) -> frozenset[int]:
    values = entry.get(field, [])
    if not isinstance(values, list) or not all(
        isinstance(v, int) and not isinstance(v, bool) and 0 < v < _MAX_ASN for v in values
    ):
        raise ValueError(f"bot_networks.toml [{key}].{field}: expected a list of ASNs")
    return frozenset(values)


def load_bot_networks(text: str) -> dict[str, _Operator]:
    """Parse a bot-networks table (the packaged one, or a test's) → {lower-case name: operator}.

    Raises ValueError naming the bad entry.
    """
    table = tomllib.loads(text)
    by_name: dict[str, _Operator] = {}
    for key, entry in table.items():
        if not isinstance(entry, Mapping):
            raise ValueError(f"bot_networks.toml: [{key}] must be a table")
        names = entry.get("names")
        orgs = entry.get("orgs", [])
        if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
            raise ValueError(f"bot_networks.toml [{key}].names: expected a list of names")
        if not isinstance(orgs, list) or not all(isinstance(o, str) and o for o in orgs):
            raise ValueError(f"bot_networks.toml [{key}].orgs: expected a list of words")
        pattern = (
            re.compile(r"\b(?:" + "|".join(re.escape(o) for o in orgs) + r")\b", re.I)
            if orgs
            else None
        )
        op = _Operator(
            key,
            _ints(entry, "own", key),
            _ints(entry, "shared", key),
            _ints(entry, "exclude", key),
            pattern,
        )
        for name in names:
            by_name[name.casefold()] = op
    return by_name


@functools.cache
def _bot_networks() -> dict[str, _Operator]:
    text = resources.files("logwatch").joinpath("data/bot_networks.toml").read_text("utf-8")
    return load_bot_networks(text)


_NAME_END = re.compile(r"[/;()\s]")


@functools.lru_cache(maxsize=1024)
def _operator_for(bot_name: str) -> _Operator | None:
    table = _bot_networks()
    name = _NAME_END.split(bot_name.replace("\\", "").strip(), maxsplit=1)[0].casefold()
    if not name:
        return None
    op = table.get(name)
    if op is not None:
        return op
    best = ""
    for token in table:
        if name.startswith(token) and len(token) > len(best):
            best = token
    return table[best] if best else None


def verify_claim(bot_name: str | None, info: GeoInfo | None) -> str:
    """Does a request that calls itself `bot_name` come from its operator's network?

    ``"verified"``: from the operator's own network (by ASN, or by organisation name when the
    ASN is not in the table). ``"unverified"``: from some other network — a claimed bot to show
    as such. ``"unknown"``: not a bot we check, no ASN data for the address, or a public cloud
    the operator rents and anyone else can rent too.
    """
    if not bot_name or info is None or (info.asn is None and not info.as_org):
        return UNKNOWN
    op = _operator_for(bot_name)
    if op is None:
        return UNKNOWN
    asn = info.asn
    if asn is not None:
        if asn in op.own:
            return VERIFIED
        if asn in op.shared:
            return UNKNOWN
        if asn in op.exclude:
            return UNVERIFIED
    if info.as_org and op.orgs is not None and op.orgs.search(info.as_org):
        return VERIFIED
    return UNVERIFIED
