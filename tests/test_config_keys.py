"""Every config key that the library or the rules name (in an error message, the helper
that builds one, or a docstring) exists in config/schema.yaml, so that a user told to
change `mnist.data.download` finds that key in config.yaml."""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
SCHEMA = yaml.safe_load((REPO / "config" / "schema.yaml").read_text())
TOP_LEVEL = "|".join(sorted(SCHEMA["properties"], key=len, reverse=True))
# A dotted key path that starts with a top-level section; {name} stands for any key there.
KEY = re.compile(rf"(?<![\w.])(?:{TOP_LEVEL})(?:\.(?:[a-z_][a-z0-9_]*|\{{[a-z_]+\}}))+")
FILE_SUFFIXES = {"pdf", "png", "json", "log", "py", "smk", "rst", "html", "h5", "csv", "md", "tex"}


def _resolve(node: dict) -> dict:
    while "$ref" in node:
        node = SCHEMA["$defs"][node["$ref"].rsplit("/", 1)[1]]
    return node


def key_exists(path: str) -> bool:
    node = SCHEMA
    for part in path.split("."):
        node = _resolve(node)
        properties = node.get("properties", {})
        if part.startswith("{"):
            free = node.get("additionalProperties")  # a map of names the user chooses
            choices = (
                list(properties.values())
                or list(node.get("patternProperties", {}).values())
                or ([free] if isinstance(free, dict) else [])
            )
            if not choices:
                return False
            node = choices[0]
        elif part in properties:
            node = properties[part]
        else:
            return False
    return True


def _python_strings(path: Path) -> list[str]:
    """Every string of a Python file: messages (and the helpers that build them), with an
    f-string's fields as {name}, and docstrings, which name keys too."""
    strings = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            strings.append(node.value)
        elif isinstance(node, ast.JoinedStr):  # f"blobs.train.{algorithm}.steps"
            strings.append(
                "".join(
                    part.value
                    if isinstance(part, ast.Constant)
                    else f"{{{ast.unparse(part.value)}}}"
                    for part in node.values
                )
            )
    return strings


def _rules_strings(path: Path) -> list[str]:
    """Every double-quoted string of a rules file (Snakemake syntax is not Python)."""
    return re.findall(r'"([^"\n]*)"', path.read_text())


def named_keys() -> list[tuple[str, str]]:
    texts = [(p.name, t) for p in sorted((REPO / "src").rglob("*.py")) for t in _python_strings(p)]
    texts += [
        (p.name, t) for p in sorted((REPO / "rules").glob("*.smk")) for t in _rules_strings(p)
    ]
    keys = [(name, key) for name, text in texts for key in KEY.findall(text)]
    return [
        (name, key)
        for name, key in keys
        if key.rsplit(".", 1)[1] not in FILE_SUFFIXES and not is_code_reference(key)
    ]


def is_code_reference(path: str) -> bool:
    """`blobs.gaussian_blobs` in a docstring is the library's function, not a key."""
    module, _, name = path.partition(".")
    try:
        target = importlib.import_module(f"hessian_spectra.{module}")
    except ImportError:
        return False
    for part in name.split("."):
        if not hasattr(target, part):
            return False
        target = getattr(target, part)
    return True


def test_error_messages_name_config_keys():
    """The scan finds the messages it is meant to check (it cannot pass by finding none)."""
    keys = {key for _, key in named_keys()}
    assert {"mnist.data.download", "mnist.data.source", "cifar.train.learning_rate"} <= keys
    assert "blobs.train.{algorithm}.checkpoint_steps" in keys
    # The parse-time refusals of config_checks (tests/test_config_refusals.py).
    assert {"hessian.split", "cifar.spectrum.n_samples", "blobs.data.center_box"} <= keys


@pytest.mark.parametrize(("source", "key"), sorted(set(named_keys())))
def test_every_key_an_error_names_is_in_the_schema(source, key):
    assert key_exists(key), f"{source} names {key}, which config/schema.yaml does not have"


@pytest.mark.parametrize("key", ["mnist.download", "hessian.blocksize", "fig2.top.x"])
def test_a_key_missing_from_the_schema_is_caught(key):
    assert not key_exists(key)
