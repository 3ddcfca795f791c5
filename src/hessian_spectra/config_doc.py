"""config/README.md: every key of the config, with the values config/schema.yaml allows and
its description there, generated from the schema (report/config_doc.py writes it; a test
keeps the committed file equal to what the schema gives). No torch: yaml only."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

HEADER = """\
# Configuration keys

Every key of `config/config.yaml` (the paper's settings; `config/test.yaml` is a tiny
version for CI), with the values `config/schema.yaml` allows and what it means. Generated
from the schema's descriptions by `python report/config_doc.py`: edit the schema, then
rerun it (tests/test_config_doc.py fails while this file and the schema disagree). Every
value is also checked when the workflow is parsed (`hessian_spectra.config_checks`), which
refuses a bad one by its key.
"""


@dataclass(frozen=True)
class Key:
    """One leaf of the config: its dotted path (`[]` for each item of a list of
    sections), the values it takes, its own description and that of what it refers to."""

    path: str
    values: str
    description: str | None
    shared: str | None  # the description of a $defs entry the key refers to


def read_schema(path: str | os.PathLike) -> dict:
    return yaml.safe_load(Path(path).read_text())


def _resolve(node: Mapping, schema: Mapping) -> tuple[Mapping, str | None]:
    """`node` with its local $ref followed (the key's own fields win), and the referred
    entry's description."""
    shared = None
    while "$ref" in node:
        target: Any = schema
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        shared = shared or target.get("description")
        node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
    return node, shared


def _is_section(node: Mapping) -> bool:
    return node.get("type") == "object" and "properties" in node


def keys(schema: Mapping) -> list[Key]:
    """Every leaf key of `schema`, in the schema's order."""
    found: list[Key] = []

    def walk(node: Mapping, path: str) -> None:
        for name, child in node["properties"].items():
            own = child.get("description")
            resolved, shared = _resolve(child, schema)
            child_path = f"{path}.{name}" if path else name
            if _is_section(resolved):
                walk(resolved, child_path)
                continue
            items = resolved.get("items")
            if resolved.get("type") == "array" and isinstance(items, Mapping):
                item, _ = _resolve(items, schema)
                if _is_section(item):
                    walk(item, f"{child_path}[]")
                    continue
            if shared == own:
                shared = None
            found.append(Key(child_path, values(resolved, schema), own, shared))

    walk(schema, "")
    return found


def values(node: Mapping, schema: Mapping) -> str:
    """The values a leaf takes, in words."""
    node, _ = _resolve(node, schema)
    if "oneOf" in node:
        return " or ".join(values(option, schema) for option in node["oneOf"])
    if "enum" in node:
        return " / ".join(f"`{value}`" for value in node["enum"])
    kind = node.get("type")
    if kind == "null":
        return "`null`"
    if kind == "array":
        count = ""
        if node.get("minItems") is not None and node.get("minItems") == node.get("maxItems"):
            count = f"{node['minItems']} "
        elif node.get("minItems"):
            count = f"{node['minItems']} or more "
        item = values(node.get("items", {}), schema)
        unique = ", distinct" if node.get("uniqueItems") else ""
        return f"list of {count}({item}){unique}"
    text = {"integer": "integer", "number": "number", "boolean": "`true` / `false`"}.get(
        kind, kind or "any"
    )
    if "minimum" in node and "maximum" in node:
        return f"{text} from {node['minimum']:,} to {node['maximum']:,}"
    signs = {"minimum": ">=", "exclusiveMinimum": ">", "maximum": "<=", "exclusiveMaximum": "<"}
    bounds = [f"{sign} {node[field]:,}" for field, sign in signs.items() if field in node]
    if isinstance(node.get("not"), Mapping) and node["not"].get("multipleOf") == 2:
        bounds.append("odd")
    return ", ".join([" ".join([text, *bounds[:1]]), *bounds[1:]])


def _cell(text: str | None) -> str:
    return " ".join((text or "").split()).replace("|", "\\|")


def render(schema: Mapping) -> str:
    """config/README.md: the header, then one table per top-level section."""
    lines = [HEADER]
    sections: dict[str, list[Key]] = {}
    for key in keys(schema):
        sections.setdefault(key.path.split(".")[0].removesuffix("[]"), []).append(key)
    for section, entries in sections.items():
        lines += ["", f"## {section}", ""]
        described = schema["properties"][section].get("description")
        if described:
            lines += [_cell(described), ""]
        lines += ["| key | values | description |", "|---|---|---|"]
        for key in entries:
            description = _cell(key.description)
            if key.shared:
                description += f"; {_cell(key.shared)}" if description else _cell(key.shared)
            lines.append(f"| `{key.path}` | {_cell(key.values)} | {description} |")
    return "\n".join(lines) + "\n"


def undocumented(schema: Mapping) -> list[str]:
    """The leaf keys without a description of their own."""
    return [key.path for key in keys(schema) if not key.description]


def write(schema_path: str | os.PathLike, output: str | os.PathLike) -> None:
    Path(output).write_text(render(read_schema(schema_path)))
