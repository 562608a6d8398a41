"""The probe matcher as it was before the flood skipping: every decoded form scanned hit by hit,
urllib's unquote, every gated regex run. Slow on purpose; the tests compare ProbeRules with it."""

from __future__ import annotations

from urllib.parse import unquote, unquote_plus

from logwatch.classify.probes import Hit, ProbeRules, shown


def decoded_forms(text: str, plus: bool) -> list[str]:
    forms = [text]
    cur = text
    for _ in range(2):
        if "%" not in cur and not (plus and "+" in cur):
            break
        nxt = (unquote_plus if plus else unquote)(cur, errors="replace").lower()
        if nxt == cur:
            break
        forms.append(nxt)
        cur = nxt
    if "\\" in cur:
        forms.append(cur.replace("\\", "/"))
    return forms


def scan(rules: ProbeRules, form: str, payload_only: bool, found: list) -> None:
    gates: set[str] = set()
    for index in dict.fromkeys(value for _end, value in rules._automaton.iter(form)):
        for tok in rules._tokens[index]:
            if not tok.family:
                gates.add(tok.token)
            elif not payload_only or (tok.payload and not tok.status):
                found.append((tok, tok.token))
    for rx, needs, tok in rules._payload_regex if payload_only else rules._all_regex:
        if not gates.isdisjoint(needs) and rx.search(form):
            found.append((tok, "pattern"))


def path_hits(
    rules: ProbeRules, path: str
) -> tuple[tuple[Hit, ...], tuple[tuple[frozenset[int], Hit], ...]]:
    found: list = []
    lower = path.lower()
    forms = decoded_forms(lower, plus=False) if "%" in lower or "\\" in lower else [lower]
    for form in forms:
        scan(rules, form, False, found)
        found += [(tok, tok.token) for tok in rules._exact.get(form, ())]
        found += [(tok, f"ends in {sfx}") for sfx, tok in rules._suffix if form.endswith(sfx)]
    hits: dict[str, Hit] = {}
    conditional: dict[str, list[tuple[frozenset[int], Hit]]] = {}
    where = f"path {shown(path)}"
    for tok, what in found:
        hit = (tok.family, f"{where} → {tok.family} probe ({what})")
        if tok.status:
            entries = conditional.setdefault(tok.family, [])
            covered = frozenset().union(*(statuses for statuses, _ in entries))
            if tok.status - covered:
                entries.append((tok.status - covered, hit))
        else:
            hits.setdefault(tok.family, hit)
    return tuple(hits.values()), tuple(e for entries in conditional.values() for e in entries)


def query_hits(rules: ProbeRules, query: str) -> tuple[Hit, ...]:
    found: list = []
    lower = query.lower()
    forms = decoded_forms(lower, plus=True) if "%" in lower or "+" in lower else [lower]
    for form in forms:
        scan(rules, form, True, found)
    hits: dict[str, Hit] = {}
    where = f"query {shown(query)}"
    for tok, what in found:
        hits.setdefault(tok.family, (tok.family, f"{where} → {tok.family} probe ({what})"))
    return tuple(hits.values())
