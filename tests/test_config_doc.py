"""config/README.md is what config/schema.yaml gives (report/config_doc.py), and every leaf
key of the schema has a description of its own."""

from __future__ import annotations

from pathlib import Path

import yaml

from hessian_spectra import config_doc

REPO = Path(__file__).resolve().parents[1]
SCHEMA = config_doc.read_schema(REPO / "config" / "schema.yaml")


def test_every_leaf_key_has_a_description():
    assert config_doc.undocumented(SCHEMA) == []


def test_the_committed_config_readme_is_the_generated_one():
    committed = (REPO / "config" / "README.md").read_text()
    assert committed == config_doc.render(SCHEMA), "run: python report/config_doc.py"


# A map of names the user chooses (each a few keys of blobs.data or blobs.model): one key.
FREE_MAPS = {"blobs.variants"}
# Keys the schema allows and config.yaml leaves out (a run of the setup names no variant).
OPTIONAL = {
    "sensitivity.points[].variant",
    "beyond.classes.blobs[].variant",
    "beyond.density.blobs[].variant",
}


def leaf_paths(section: dict, path: str = "") -> set[str]:
    """The leaf keys of a config, lists of sections as `[]`."""
    paths = set()
    for name, value in section.items():
        child = f"{path}.{name}" if path else name
        if isinstance(value, dict) and child not in FREE_MAPS:
            paths |= leaf_paths(value, child)
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            for item in value:
                paths |= leaf_paths(item, f"{child}[]")
        else:
            paths.add(child)
    return paths


def test_it_names_every_key_of_the_config_and_no_other():
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    assert {key.path for key in config_doc.keys(SCHEMA)} == leaf_paths(config) | OPTIONAL


def test_a_key_shows_its_values_and_the_description_it_refers_to():
    rows = {key.path: key for key in config_doc.keys(SCHEMA)}
    device = rows["hessian.device"]
    assert device.values == "`auto` / `cpu` / `cuda`"
    assert device.description and device.shared and "CUDA" in device.shared
    assert rows["blobs.train.gd.batch_size"].values == "`null` or integer >= 1"
    assert rows["fig_ggn.runs[].n_classes"].values == "integer >= 2"
