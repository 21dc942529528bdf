"""Structured data on a page, in every syntax extruct reads, as one graph of schema.org `Thing`s.

One adapter per syntax turns its shape into `Thing`s: JSON-LD (with `@graph`, nested objects and
`@id` references), microdata, RDFa / RDFa Lite (flat nodes joined by `@id`), microformats (h-card
as a Person or an Organization), and Open Graph / Dublin Core as weak page hints. Readers of the
graph (crawler/extract/structured.py) never see which syntax a fact came from, so a new syntax is a
new adapter here and nothing else. Pure: no I/O beyond parsing the string it is given.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import extruct

from crawler.extract.html_text import parse_html

_SCHEMA_PREFIX = re.compile(r"^https?://(?:www\.)?schema\.org/")
# Marketing, not facts about who offers what: never read.
IGNORED_PROPERTIES = frozenset({"aggregateRating", "review", "reviews", "rating", "reviewRating"})
MAX_DEPTH = 12  # nesting deeper than this in real markup is a cycle or a dump


@dataclass
class Thing:
    """One schema.org object: its types (short names, "Physician"), its properties (short names),
    each a tuple of strings or nested Things, and its `@id` when it had one."""

    types: frozenset[str]
    props: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    id: str | None = None
    syntax: str = ""

    def values(self, name: str) -> tuple[Any, ...]:
        return self.props.get(name, ())

    def texts(self, name: str) -> list[str]:
        """The property's plain values (nested Things give their name)."""
        out = []
        for value in self.values(name):
            if isinstance(value, Thing):
                value = value.text("name")
            if isinstance(value, str) and value.strip():
                out.append(" ".join(value.split()))
        return out

    def text(self, name: str) -> str | None:
        found = self.texts(name)
        return found[0] if found else None

    def things(self, name: str) -> list[Thing]:
        return [v for v in self.values(name) if isinstance(v, Thing)]

    def is_a(self, *types: str) -> bool:
        return bool(self.types & set(types))


@dataclass
class Markup:
    """Every top-level Thing of a page, and the page hints of Open Graph and Dublin Core."""

    things: list[Thing] = field(default_factory=list)
    og_type: str | None = None
    site_name: str | None = None
    dc_type: str | None = None

    def walk(self) -> Iterator[Thing]:
        """Every Thing, nested ones included, each once."""
        seen: set[int] = set()
        stack = list(reversed(self.things))
        while stack:
            thing = stack.pop()
            if id(thing) in seen:
                continue
            seen.add(id(thing))
            yield thing
            for name, values in thing.props.items():
                if name in IGNORED_PROPERTIES:
                    continue
                stack.extend(v for v in reversed(values) if isinstance(v, Thing))


def short_name(value: str) -> str:
    """ "https://schema.org/Physician" -> "Physician"; "schema:name" -> "name"."""
    value = _SCHEMA_PREFIX.sub("", str(value))
    return value.split(":", 1)[1] if value.startswith("schema:") else value


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


# ---------------------------------------------------------------- JSON-LD and microdata


def _from_compact(
    node: Any, syntax: str, ids: dict[str, dict], depth: int = 0, path: frozenset = frozenset()
) -> Any:
    """A compact JSON-LD / microdata value -> str, Thing or None (references resolved via `ids`,
    never back into an object being read: `path` holds the @ids above this one)."""
    if depth > MAX_DEPTH:
        return None
    if isinstance(node, (str, int, float)) and not isinstance(node, bool):
        return str(node)
    if not isinstance(node, dict):
        return None
    if "@value" in node:
        return _from_compact(node["@value"], syntax, ids, depth + 1, path)
    if set(node) <= {"@id"}:
        if node.get("@id") not in ids or node["@id"] in path:
            return str(node["@id"]) if node.get("@id") else None
        node = ids[node["@id"]]
    if isinstance(node.get("@id"), str):
        path = path | {node["@id"]}
    types = frozenset(short_name(t) for t in _as_list(node.get("@type")) if isinstance(t, str))
    thing = Thing(types=types, id=node.get("@id"), syntax=syntax)
    for key, value in node.items():
        if key.startswith("@") or key in ("properties",):
            continue
        name = short_name(key)
        converted = []
        for item in _as_list(value):
            if isinstance(item, dict) and item.get("@id") == node.get("@id") and "@id" in item:
                continue  # a self-reference
            out = _from_compact(item, syntax, ids, depth + 1, path)
            if out is not None:
                converted.append(out)
        if converted:
            thing.props[name] = tuple(converted)
    # extruct's non-uniform microdata keeps properties under "properties"
    if isinstance(node.get("properties"), dict):
        nested = _from_compact(
            {"@type": node.get("type"), **node["properties"]}, syntax, ids, depth, path
        )
        if isinstance(nested, Thing):
            thing.props.update(nested.props)
    return thing


def _json_ld_documents(html: str) -> list[Any]:
    """Every JSON-LD script's parsed document; a broken script does not hide the others."""
    root = parse_html(html)
    if root is None:
        return []
    documents = []
    for script in root.xpath("//script[contains(translate(@type,'LDJSON','ldjson'),'ld+json')]"):
        text = (script.text or "").strip()
        text = re.sub(r"^\s*(?:<!--|<!\[CDATA\[)|(?:-->|\]\]>)\s*$", "", text)
        try:
            documents.append(json.loads(text, strict=False))
        except json.JSONDecodeError:
            continue
    return documents


def _flatten_json_ld(document: Any) -> list[dict]:
    """Top-level objects of a JSON-LD document (`@graph` unwrapped, lists flattened)."""
    out: list[dict] = []
    for node in _as_list(document):
        if not isinstance(node, dict):
            continue
        if "@graph" in node:
            out.extend(_flatten_json_ld(node["@graph"]))
            if set(node) - {"@graph", "@context", "@id"}:
                out.append({k: v for k, v in node.items() if k != "@graph"})
        else:
            out.append(node)
    return out


def _collect_ids(node: Any, ids: dict[str, dict]) -> None:
    """Every object with an @id and more than the @id, so references can be resolved."""
    for item in _as_list(node):
        if isinstance(item, dict):
            if isinstance(item.get("@id"), str) and set(item) - {"@id"}:
                ids.setdefault(item["@id"], item)
            for value in item.values():
                if isinstance(value, (dict, list)):
                    _collect_ids(value, ids)


def from_json_ld(html: str) -> list[Thing]:
    nodes = [n for doc in _json_ld_documents(html) for n in _flatten_json_ld(doc)]
    ids: dict[str, dict] = {}
    _collect_ids(nodes, ids)
    referenced = _referenced_ids(nodes)
    things = []
    for node in nodes:
        # A node only referenced from another is read through that one (once, in context).
        if node.get("@id") in referenced and _is_nested_target(node, nodes):
            continue
        thing = _from_compact(node, "json-ld", ids)
        if isinstance(thing, Thing) and (thing.types or thing.props):
            things.append(thing)
    return things


def _referenced_ids(nodes: list[dict]) -> set[str]:
    found: set[str] = set()

    def visit(value: Any, top: bool) -> None:
        for item in _as_list(value):
            if isinstance(item, dict):
                if not top and isinstance(item.get("@id"), str) and set(item) <= {"@id"}:
                    found.add(item["@id"])
                for key, inner in item.items():
                    if not key.startswith("@"):
                        visit(inner, False)

    for node in nodes:
        visit(node, True)
    return found


def _is_nested_target(node: dict, nodes: list[dict]) -> bool:
    """People and offers referenced by an organisation are read from it; organisations and pages
    stay top level even when referenced (a WebPage's `publisher`)."""
    types = {short_name(t) for t in _as_list(node.get("@type")) if isinstance(t, str)}
    return bool(types) and not types & {"Organization", "WebPage", "WebSite"} and len(nodes) > 1


def from_extruct(raw: dict[str, list], syntax: str) -> list[Thing]:
    """microdata (extruct's uniform output) -> Things."""
    things = []
    for node in raw.get(syntax) or []:
        thing = _from_compact(node, syntax, {})
        if isinstance(thing, Thing):
            things.append(thing)
    return things


# ---------------------------------------------------------------- RDFa


def from_rdfa(nodes: list[dict]) -> list[Thing]:
    """RDFa (flat expanded nodes joined by @id) -> Things, nested through their references.

    Nodes referenced by another node are read inside it; the rest are top level. Vocabulary
    bookkeeping nodes (rdfa:usesVocabulary) and Open Graph triples are skipped.
    """
    by_id = {n["@id"]: n for n in nodes if isinstance(n, dict) and "@id" in n}
    referenced: set[str] = set()
    for node in nodes:
        for key, values in node.items():
            if key.startswith("@"):
                continue
            for value in _as_list(values):
                if isinstance(value, dict) and set(value) == {"@id"} and value["@id"] in by_id:
                    referenced.add(value["@id"])

    def convert(node: dict, depth: int, path: frozenset[str]) -> Thing:
        types = frozenset(short_name(t) for t in _as_list(node.get("@type")))
        thing = Thing(types=types, id=node.get("@id"), syntax="rdfa")
        for key, values in node.items():
            if key.startswith("@") or not _SCHEMA_PREFIX.match(key):
                continue
            out = []
            for value in _as_list(values):
                if not isinstance(value, dict):
                    continue
                if "@value" in value:
                    out.append(str(value["@value"]))
                elif "@id" in value:
                    target = by_id.get(value["@id"])
                    if target is not None and value["@id"] not in path and depth < MAX_DEPTH:
                        out.append(convert(target, depth + 1, path | {value["@id"]}))
                    elif target is None:
                        out.append(str(value["@id"]))  # a URL value (sameAs, url)
            if out:
                thing.props[short_name(key)] = tuple(out)
        return thing

    things = []
    for node in nodes:
        if not isinstance(node, dict) or node.get("@id") in referenced:
            continue
        thing = convert(node, 0, frozenset({node.get("@id")}))
        if thing.types:
            things.append(thing)
    return things


# ---------------------------------------------------------------- microformats

_MF_PROPERTIES = {
    "name": "name",
    "job-title": "jobTitle",
    "role": "jobTitle",
    "honorific-suffix": "honorificSuffix",
    "honorific-prefix": "honorificPrefix",
    "given-name": "givenName",
    "family-name": "familyName",
    "tel": "telephone",
    "url": "url",
    "note": "description",
}


def from_microformats(items: list[dict]) -> list[Thing]:
    """h-card -> a Person (or an Organization when its name is its org); nested h-adr/h-card read."""
    things = []
    for item in items or []:
        thing = _from_h_item(item)
        if thing is not None:
            things.append(thing)
    return things


def _mf_text(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("value") or value.get("name") or (value.get("properties") or {})
        if isinstance(value, dict):
            value = (value.get("name") or [None])[0]
    return value if isinstance(value, str) else None


def _from_h_item(item: dict) -> Thing | None:
    kinds = set(_as_list(item.get("type") or item.get("@type")))
    props = item.get("properties") or {k: v for k, v in item.items() if not k.startswith("@")}
    if "h-card" not in kinds:
        return None
    names = [t for t in map(_mf_text, _as_list(props.get("name"))) if t]
    orgs = [t for t in map(_mf_text, _as_list(props.get("org"))) if t]
    is_org = bool(names and orgs and names[0] == orgs[0]) or (not names and orgs)
    thing = Thing(types=frozenset({"Organization"} if is_org else {"Person"}), syntax="microformat")
    for mf_name, schema_name in _MF_PROPERTIES.items():
        values = [t for t in map(_mf_text, _as_list(props.get(mf_name))) if t]
        if values:
            thing.props[schema_name] = tuple(values)
    if is_org and not names and orgs:
        thing.props["name"] = (orgs[0],)
    elif orgs:
        thing.props["worksFor"] = (
            Thing(frozenset({"Organization"}), {"name": (orgs[0],)}, syntax="microformat"),
        )
    address = _mf_address(props)
    if address is not None:
        thing.props["address"] = (address,)
    return thing


def _mf_address(props: dict) -> Thing | None:
    fields = {
        "street-address": "streetAddress",
        "locality": "addressLocality",
        "region": "addressRegion",
        "postal-code": "postalCode",
    }
    adr = next((a for a in _as_list(props.get("adr")) if isinstance(a, dict)), None)
    source = (adr or {}).get("properties") or props
    address = Thing(frozenset({"PostalAddress"}), syntax="microformat")
    for mf_name, schema_name in fields.items():
        values = [t for t in map(_mf_text, _as_list(source.get(mf_name))) if t]
        if values:
            address.props[schema_name] = tuple(values)
    return address if address.props else None


# ---------------------------------------------------------------- the page


def _meta_hints(raw: dict[str, list]) -> tuple[str | None, str | None, str | None]:
    og_type = site_name = dc_type = None
    for node in raw.get("opengraph") or []:
        og_type = og_type or _first_text(node.get("og:type") or node.get("@type"))
        site_name = site_name or _first_text(node.get("og:site_name"))
    for node in raw.get("dublincore") or []:
        for element in node.get("elements") or []:
            if str(element.get("name", "")).lower() in ("dc.type", "dcterms.type"):
                dc_type = dc_type or _first_text(element.get("content"))
    return og_type, site_name, dc_type


def _first_text(value: Any) -> str | None:
    for item in _as_list(value):
        if isinstance(item, str) and item.strip():
            return item.strip()
    return None


# The attribute each syntax cannot do without: a page without it has none of that syntax, and
# extruct's parsers (RDFa above all) cost more than the rest of a page's reading together.
_SYNTAX_MARKERS = {
    "microdata": re.compile(r"\bitemscope\b", re.I),
    "rdfa": re.compile(r"\b(?:typeof|vocab)\s*=", re.I),
    "microformat": re.compile(r"class\s*=\s*[\"'][^\"']*\b(?:h-card|vcard)\b", re.I),
    "opengraph": re.compile(r"property\s*=\s*[\"']og:", re.I),
    "dublincore": re.compile(r"name\s*=\s*[\"'](?:DC|dcterms)\.", re.I),
}


def syntaxes_in(html: str) -> list[str]:
    """The extruct syntaxes a page may hold (by their required attributes)."""
    return [name for name, marker in _SYNTAX_MARKERS.items() if marker.search(html)]


def markup_from_html(html: str, url: str) -> Markup:
    """The page's structured data; malformed markup yields what could be read, never an error."""
    markup = Markup(things=from_json_ld(html))
    syntaxes = syntaxes_in(html) if isinstance(html, str) else list(_SYNTAX_MARKERS)
    raw: dict = {}
    if syntaxes:
        try:
            raw = extruct.extract(
                html, base_url=url, syntaxes=syntaxes, uniform=True, errors="ignore"
            )
        except (ValueError, TypeError, AttributeError, KeyError):  # an unparsable document
            raw = {}
    markup.things += from_extruct(raw, "microdata")
    markup.things += from_rdfa(raw.get("rdfa") or [])
    markup.things += from_microformats(raw.get("microformat") or [])
    markup.og_type, markup.site_name, markup.dc_type = _meta_hints(raw)
    return markup
