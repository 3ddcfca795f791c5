"""Reading a config before the schema validates it: `read_yaml` names the line of a config
file that is not YAML (Snakemake's error names neither line nor column), and `typed` reads
the text a nested --config value arrives as ("fig2={top: 5}" gives '5') by the schema's
types, refusing a float where an integer is meant (60.0, 1e20). `config_checks` refuses,
after the schema, what the schema cannot state. Torch-free: the Snakefile imports it."""

from __future__ import annotations

import contextlib
import math
import os
import re
from collections.abc import Mapping

INTEGER = re.compile(r"[+-]?\d+")


def read_yaml(path: str | os.PathLike) -> None:
    """Raise naming the line where file `path` is not YAML (Snakemake's error does not)."""
    import yaml

    try:
        with open(path, encoding="utf-8") as file:
            yaml.safe_load(file)
    except yaml.MarkedYAMLError as err:
        mark, start = err.problem_mark or err.context_mark, err.context_mark
        where = f" ({err.context} at line {start.line + 1})" if err.context and start else ""
        raise ValueError(f"{path}, line {mark.line + 1}, column {mark.column + 1}: not valid "
                         f"YAML: {err.problem or err.context}{where}") from None  # fmt: skip


def typed(config: dict, schema: Mapping | str | os.PathLike) -> None:
    """Convert in place the values the schema (a mapping or its file) wants as numbers,
    booleans or null but that are text, as Snakemake leaves every value nested in a
    --config entry; refuse a float where only an integer is meant."""
    if not isinstance(schema, Mapping):
        import yaml

        with open(schema, encoding="utf-8") as file:
            schema = yaml.safe_load(file)
    _typed(schema, schema, config, "")


def _alternatives(schema: Mapping, node: Mapping) -> list[Mapping]:
    while "$ref" in node:
        node = schema["$defs"][node["$ref"].rsplit("/", 1)[1]]
    choices = node.get("oneOf") or node.get("anyOf")
    if not choices:
        return [node]
    return [alternative for choice in choices for alternative in _alternatives(schema, choice)]


def _typed(schema: Mapping, node: Mapping, value, key: str):
    nodes = _alternatives(schema, node)
    types = set()
    for alternative in nodes:
        kind = alternative.get("type", ())
        types |= {kind} if isinstance(kind, str) else set(kind)
    if isinstance(value, dict):
        properties = next((n["properties"] for n in nodes if "properties" in n), {})
        for name in value:
            if name in properties:
                value[name] = _typed(schema, properties[name], value[name], f"{key}.{name}")
    elif isinstance(value, list):
        items = next((n["items"] for n in nodes if "items" in n), None)
        if items is not None:
            value[:] = [_typed(schema, items, v, f"{key}[{i}]") for i, v in enumerate(value)]
    elif isinstance(value, str) and types and "string" not in types:
        value = _from_text(value, types)
    if isinstance(value, float) and "integer" in types and "number" not in types:
        fix = f"; write {int(value)}" if value.is_integer() and abs(value) < 2**53 else ""
        raise ValueError(
            f"{key.lstrip('.')}: {value!r} is a float (YAML reads 60.0 and 1.0e+20 as "
            f"floats), but an integer is meant{fix}"
        )
    return value


def _from_text(text: str, types: set[str]):
    """The number, boolean or null that `text` spells, where `types` allow it."""
    word = text.strip()
    if types & {"integer", "number"} and INTEGER.fullmatch(word):
        return int(word)
    with contextlib.suppress(ValueError):
        if types & {"integer", "number"} and math.isfinite(float(word)):
            return float(word)
    words = {"true": True, "false": False} if "boolean" in types else {}
    words |= {"null": None, "~": None, "": None} if "null" in types else {}
    return words.get(word.lower(), text)
