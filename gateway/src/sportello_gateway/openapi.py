"""One OpenAPI document for the whole public API, merged from every service's `/openapi.json`.

Each service keeps only the paths the gateway routes to it. Two services may name a schema the
same (`Line`) with different shapes: the later one is renamed `<service>_<Name>` and its `$ref`s
rewritten, so no operation ever points at another service's shape.
"""

from __future__ import annotations

import copy
import time
from typing import Any

from sportello_gateway.routes import service_for

REF = "#/components/schemas/"


def _rewrite_refs(node: Any, rename: dict[str, str]) -> Any:
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            if k == "$ref" and isinstance(v, str) and v.startswith(REF) and v[len(REF):] in rename:
                out[k] = REF + rename[v[len(REF):]]
            else:
                out[k] = _rewrite_refs(v, rename)
        return out
    if isinstance(node, list):
        return [_rewrite_refs(v, rename) for v in node]
    return node


def _refs(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "$ref" and isinstance(v, str) and v.startswith(REF):
                found.add(v[len(REF):])
            else:
                found |= _refs(v)
    elif isinstance(node, list):
        for v in node:
            found |= _refs(v)
    return found


def merge(docs: dict[str, dict], missing: list[str] | None = None) -> dict:
    """service → its OpenAPI document ⇒ the gateway's document."""
    merged: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": "Sportello API",
            "version": "1",
            "description": "L'API pubblica di Sportello, servita dal gateway sotto /api.",
        },
        "paths": {},
        "components": {
            "schemas": {},
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
        "tags": [],
    }
    if missing:
        merged["info"]["description"] += (
            " Documentazione parziale: non disponibili ora " + ", ".join(sorted(missing)) + ".")
    schemas = merged["components"]["schemas"]
    for service in sorted(docs):
        doc = docs[service]
        own = (doc.get("components") or {}).get("schemas") or {}
        rename: dict[str, str] = {}
        # Rename clashes, then anything that refers to a renamed schema, until nothing changes.
        changed = True
        while changed:
            changed = False
            for name, schema in own.items():
                if name in rename:
                    continue
                clashes = name in schemas and schemas[name] != schema
                if clashes or (_refs(schema) & rename.keys()):
                    rename[name] = f"{service}_{name}"
                    changed = True
        for name, schema in own.items():
            schemas[rename.get(name, name)] = _rewrite_refs(schema, rename)
        for path, item in (doc.get("paths") or {}).items():
            if service_for(path) != service:
                continue   # health, metrics and anything the gateway does not route there
            item = _rewrite_refs(copy.deepcopy(item), rename)
            for operation in item.values():
                if isinstance(operation, dict) and not operation.get("tags"):
                    operation["tags"] = [service]
            merged["paths"][path] = item
        merged["tags"].append({"name": service})
    return merged


class OpenAPICache:
    """The merged document, rebuilt at most every `ttl` seconds (5 s while a service is missing)."""

    def __init__(self, fetch, ttl: float):
        self.fetch = fetch          # async () → {service: (status, doc) | None}
        self.ttl = ttl
        self._doc: dict | None = None
        self._until = 0.0

    async def get(self) -> dict:
        now = time.monotonic()
        if self._doc is not None and now < self._until:
            return self._doc
        results = await self.fetch()
        docs = {s: r[1] for s, r in results.items() if r is not None and r[0] == 200}
        missing = [s for s in results if s not in docs]
        self._doc = merge(docs, missing)
        self._until = now + (5.0 if missing else self.ttl)
        return self._doc
