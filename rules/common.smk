# What the rules share: one run table per experiment, built once from the config; the
# `get_*` input and params functions that look runs up by wildcard; one memory helper for
# the jobs that hold a dense Hessian-sized matrix.

import os
import re

from hessian_spectra.resources import (
    convnet_parameter_count,
    dense_matrix_mb,
    hessian_job_mem_mb,
    hessian_rank_bound,
    low_rank_job_mem_mb,
    low_rank_worthwhile,
    mlp_parameter_count,
    spectrum_job_mem_mb,
)

ENV = "../envs/hessian-spectra.yaml"

# A blob run is {alg}-{act}-k{k}-cov{cov}: algorithm, activation, clusters, spread.
BLOB_RUN = "{alg}-{act}-k{k}-cov{cov}"


def number(value):
    """How a number appears in a path: 1.0 -> '1', 0.5 -> '0.5'."""
    return f"{value:g}"


def plain(section):
    """A config section as a sorted plain dict, so params compare equal across runs."""
    return {key: section[key] for key in sorted(section)}


def blob_file(folder, name):
    """The pattern of one file of a blob run, e.g. blob_file("spectra", "{point}.h5")."""
    return f"results/blobs/{folder}/{BLOB_RUN}/{name}"


def blob_log(rule, name="{point}"):
    return f"results/logs/{rule}/{BLOB_RUN}-{name}.log"


def run_id(algorithm, activation, n_classes, cov):
    """The name of one blob run, as its files spell it."""
    return BLOB_RUN.format(alg=algorithm, act=activation, k=n_classes, cov=number(cov))


def dense_matrix(path):
    """Dense Hessian-sized files are temporary unless hessian.keep is set."""
    return path if config["hessian"]["keep"] else temp(path)


def reported(path, caption, category):
    """`path`, flagged for the Snakemake report where it has been built: `snakemake
    --report` then collects whatever exists so far instead of failing on what does not
    (the flag only matters to --report)."""
    if not os.path.exists(path):
        return path
    return report(path, caption=caption, category=category)


def hessian_mem_mb(parameter_count, block_size):
    """resources.mem_mb of a job that assembles one dense Hessian-sized matrix of
    `parameter_count(wildcards)` rows in blocks of `block_size`; doubles on each retry.
    """
    return lambda wildcards, threads, attempt: attempt * hessian_job_mem_mb(
        parameter_count(wildcards), block_size, threads
    )


# --- blobs (Sections 2-3.1, Table 1) ------------------------------------------------------


def check_checkpoint_steps():
    """A checkpoint step beyond the run's steps would be found only after training."""
    for algorithm, settings in config["blobs"]["train"].items():
        late = [s for s in settings["checkpoint_steps"] if s > settings["steps"]]
        if late:
            raise ValueError(
                f"blobs.train.{algorithm}.checkpoint_steps: {late} lie beyond "
                f"blobs.train.{algorithm}.steps = {settings['steps']}; no run reaches them"
            )


check_checkpoint_steps()

CIFAR10_TRAINING_IMAGES = 50_000


def check_batch_sizes():
    """A batch larger than its training set is a typo, not a run (a batch of the whole
    set is full-batch GD): named at parse time, before anything trains."""
    blobs, mnist, cifar = config["blobs"], config["mnist"], config["cifar"]
    n_cifar = cifar["data"]["n_train"] or CIFAR10_TRAINING_IMAGES
    checks = [
        *(
            (
                f"blobs.train.{alg}.batch_size",
                run["batch_size"],
                "blobs.data.n_train",
                blobs["data"]["n_train"],
            )
            for alg, run in blobs["train"].items()
        ),
        (
            "mnist.fc.batch_size",
            mnist["fc"]["batch_size"],
            "mnist.data.n_train",
            mnist["data"]["n_train"],
        ),
        *(
            (
                f"mnist.conv.{key}",
                mnist["conv"][key],
                "mnist.data.n_train",
                mnist["data"]["n_train"],
            )
            for key in ("small_batch", "large_batch")
        ),
        *(
            (f"cifar.train.{key}", cifar["train"][key], "cifar.data.n_train", n_cifar)
            for key in ("large_batch", "small_batch")
        ),
    ]
    for key, batch, data_key, n_train in checks:
        if batch is not None and batch > n_train:
            raise ValueError(
                f"{key} = {batch} is larger than the training set ({data_key} = {n_train})"
            )


check_batch_sizes()


def training_run(algorithm):
    """BLOB_RUN with the algorithm filled in: each training rule is one algorithm's."""
    return BLOB_RUN.replace("{alg}", algorithm)


def training_file(algorithm, name):
    return blob_file("runs", name).replace("{alg}", algorithm)


def blob_checkpoints(algorithm):
    """Named outputs of a training run: init, step<N> for each checkpoint step, final."""
    steps = config["blobs"]["train"][algorithm]["checkpoint_steps"]
    names = ["init", *(f"step{step}" for step in steps), "final"]
    return {name: training_file(algorithm, f"checkpoints/{name}.pt") for name in names}


def get_hessian_parts(wildcards):
    """The hessian.split part files of one blob Hessian, in row order."""
    return [
        blob_file("hessians", f"{{point}}.part{part}.h5").format(
            **dict(wildcards.items())
        )
        for part in range(config["hessian"]["split"])
    ]


def blob_parameter_count(n_classes):
    blobs = config["blobs"]
    return mlp_parameter_count(
        blobs["data"]["dim"], blobs["model"]["hidden"], n_classes
    )


def get_blob_parameter_count(wildcards):
    return blob_parameter_count(int(wildcards.k))


def blob_run_table(runs):
    """run name -> {algorithm, activation, n_classes, cov}, in the config's order."""
    table = {}
    for run in runs:
        settings = {
            key: run[key] for key in ("algorithm", "activation", "n_classes")
        } | {"cov": float(run["cov"])}
        table[run_id(**settings)] = settings
    return table


def figure_run(figure, n_classes):
    """The one blob run a figure's config section picks for `n_classes` clusters."""
    section = config[figure]
    return run_id(
        section["algorithm"], section["activation"], n_classes, section["cov"]
    )


def blob_spectrum(run, point="final"):
    return f"results/blobs/spectra/{run}/{point}.h5"


TABLE1_RUNS = blob_run_table(
    {"algorithm": alg, "activation": act, "n_classes": k, "cov": cov}
    for alg in config["table1"]["algorithms"]
    for act in config["table1"]["activations"]
    for k in config["table1"]["n_classes"]
    for cov in config["table1"]["cov"]
)
FIG_GGN_RUNS = blob_run_table(config["fig_ggn"]["runs"])


def blob_history(run):
    return f"results/blobs/runs/{run}/history.csv"


def table1_inputs():
    """Per grid run: its final spectrum and its training history (where it stopped)."""
    return {
        f"{kind} {run}": path(run)
        for run in TABLE1_RUNS
        for kind, path in (("spectrum", blob_spectrum), ("history", blob_history))
    }


def gd_vs_sgd_pairs():
    """(activation, k, cov) -> {activation, n_classes, cov} for each grid point that
    table1.algorithms trains with both GD and SGD."""
    grid = config["table1"]
    if not {"gd", "sgd"} <= set(grid["algorithms"]):
        return {}
    return {
        run_id("gd", act, k, cov).removeprefix("gd-"): {
            "activation": act,
            "n_classes": k,
            "cov": float(cov),
        }
        for act in grid["activations"]
        for k in grid["n_classes"]
        for cov in grid["cov"]
    }


GD_VS_SGD_PAIRS = gd_vs_sgd_pairs()


def gd_vs_sgd_inputs():
    """Per pair and algorithm: the initial and final points and the final spectrum, named
    "<alg> <init|final|spectrum> <pair>"."""
    inputs = {}
    for pair, settings in GD_VS_SGD_PAIRS.items():
        for alg in ("gd", "sgd"):
            run = run_id(alg, **settings)
            for point in ("init", "final"):
                inputs[f"{alg} {point} {pair}"] = (
                    f"results/blobs/runs/{run}/checkpoints/{point}.pt"
                )
            inputs[f"{alg} spectrum {pair}"] = blob_spectrum(run)
    return inputs


FIG2_RUNS = {f"k = {k}": figure_run("fig2", k) for k in config["fig2"]["n_classes"]}


def run_in_words(run):
    """A blob run's settings in words: "GD, ReLU, k = 3, cov = 1" (no k where
    `n_classes` lists several)."""
    words = [
        run["algorithm"].upper(),
        {"relu": "ReLU", "tanh": "tanh"}[run["activation"]],
    ]
    if isinstance(run["n_classes"], int):
        words.append(f"k = {run['n_classes']}")
    return ", ".join([*words, f"cov = {number(run['cov'])}"])


def figure_title(figure):
    """The run a figure's config section picks, in words."""
    return run_in_words(config[figure])


def titled(runs):
    """Each run's settings with its title in words, for a figure's panels."""
    return {
        name: settings | {"title": run_in_words(settings)}
        for name, settings in runs.items()
    }


def fig_ggn_inputs():
    """Per run: its Hessian's spectrum, its Gauss-Newton term G and its residual R."""
    return {
        f"{kind} {run}": f"results/blobs/{folder}/{run}/final.h5"
        for run in FIG_GGN_RUNS
        for kind, folder in (
            ("spectrum", "spectra"),
            ("ggn", "ggn"),
            ("residual", "residual"),
        )
    }


def fig_ggn_mem_mb(wildcards):
    """Two float64 matrices of the largest run, and their eigensolver workspace."""
    return 2 * max(
        spectrum_job_mem_mb(blob_parameter_count(run["n_classes"]))
        for run in FIG_GGN_RUNS.values()
    )


# --- MNIST-1K (Sections 3.2-3.4) ----------------------------------------------------------


def mnist_run_table():
    """MNIST-1K runs by name: fc-h<width> for Figs. 3 and 5, conv-bs<batch> (SB, LB) for
    Figs. 4 and 6; each with its figure label, architecture, training, M and
    rank bound."""
    mnist = config["mnist"]
    fc, conv = mnist["fc"], mnist["conv"]
    runs = {}
    for width in fc["hidden"]:
        runs[f"fc-h{width}"] = {
            "family": "fc",
            "label": f"hidden = {width}",
            "architecture": {
                "kind": "mlp",
                "hidden": [width],
                "activation": mnist["activation"],
            },
            "training": plain({key: fc[key] for key in fc if key != "hidden"}),
            "parameter_count": mlp_parameter_count(784, [width], 10),
        }
    for name, batch in (("SB", conv["small_batch"]), ("LB", conv["large_batch"])):
        runs[f"conv-bs{batch}"] = {
            "family": "conv",
            "label": f"{name} (batch {batch})",
            "architecture": {
                "kind": "convnet",
                "activation": mnist["activation"],
                "channels": conv["channels"],
                "hidden": conv["hidden"],
            },
            "training": {
                "batch_size": batch,
                **{
                    key: conv[key]
                    for key in ("learning_rate", "steps", "log_every", "seed")
                },
            },
            "parameter_count": convnet_parameter_count(
                conv["channels"], conv["hidden"]
            ),
        }
    for run in runs.values():
        run["rank_bound"] = hessian_rank_bound(
            run["architecture"], mnist["data"]["n_train"], n_classes=10
        )
    return runs


MNIST_RUNS = mnist_run_table()


def get_mnist_architecture(wildcards):
    return MNIST_RUNS[wildcards.net]["architecture"]


def get_mnist_training(wildcards):
    return MNIST_RUNS[wildcards.net]["training"]


def get_mnist_parameter_count(wildcards):
    return MNIST_RUNS[wildcards.net]["parameter_count"]


def get_mnist_rank_bound(wildcards):
    """A proven bound on rank(H) (one-hidden-layer ReLU nets), else None."""
    return MNIST_RUNS[wildcards.net]["rank_bound"]


def get_mnist_spectrum_mem_mb(wildcards):
    """The low-rank route's workspace where it applies, else a dense solve's; at most
    mnist.spectrum.memory_mb."""
    dim = get_mnist_parameter_count(wildcards)
    bound = get_mnist_rank_bound(wildcards)
    cap = config["mnist"]["spectrum"]["memory_mb"]
    if low_rank_worthwhile(dim, bound):
        return min(low_rank_job_mem_mb(dim, bound), cap)
    return spectrum_job_mem_mb(dim, cap)


def get_mnist_max_products(wildcards):
    family = MNIST_RUNS[wildcards.net]["family"]
    return config["mnist"]["spectrum"]["max_products"][family]


def mnist_spectra(family):
    """label -> spectrum file of each run of `family` ("fc" or "conv"), in figure order."""
    return {
        run["label"]: f"results/mnist/spectra/{name}/final.h5"
        for name, run in MNIST_RUNS.items()
        if run["family"] == family
    }


# --- CIFAR-10 (Section 4.1) ---------------------------------------------------------------

CIFAR_ENDS = {"lb": "results/cifar/part1.h5", "sb": "results/cifar/part2.h5"}


def cifar_part_table():
    """Part I (the large batch, from the seeded initialisation) and Part II (the small
    batch, from where Part I ended): their training settings and starting trajectory."""
    train = config["cifar"]["train"]
    shared = ("learning_rate", "steps_per_record", "records", "eval_batch_size")
    parts = {}
    for part, batch, start in (
        (1, train["large_batch"], []),
        (2, train["small_batch"], [CIFAR_ENDS["lb"]]),
    ):
        settings = {
            "part": part,
            "batch_size": batch,
            **{key: train[key] for key in shared},
        }
        parts[str(part)] = {
            "settings": settings | {"seed": train["seed"]},
            "start": start,
        }
    return parts


CIFAR_PARTS = cifar_part_table()


def get_cifar_part_settings(wildcards):
    return CIFAR_PARTS[wildcards.part]["settings"]


def get_cifar_part_start(wildcards):
    return CIFAR_PARTS[wildcards.part]["start"]


def get_cifar_end_point(wildcards):
    return CIFAR_ENDS[wildcards.end]


# --- summary.md ---------------------------------------------------------------------------


def summary_inputs():
    """The numbers summary.md quotes: the blob and Appendix B ones always, the MNIST and
    CIFAR-10 ones when summary.include_mnist / include_cifar is set."""
    inputs = {
        "table": "results/table1.csv",
        "logistic": "results/fig10.json",
        "gauss_newton": "results/fig_ggn.json",
    }
    if GD_VS_SGD_PAIRS:
        inputs["gd_vs_sgd"] = "results/gd_vs_sgd.json"
    if config["summary"]["include_mnist"]:
        inputs |= {
            "mnist_fc": "results/mnist_fc.json",
            "mnist_conv": "results/mnist_conv.json",
        }
    if config["summary"]["include_cifar"]:
        inputs |= {
            "cifar_training": "results/cifar_training.json",
            "cifar_line": "results/cifar_line.json",
            "cifar_top_lb": "results/cifar/top_eigenvalues_lb.h5",
            "cifar_top_sb": "results/cifar/top_eigenvalues_sb.h5",
        }
    return inputs


wildcard_constraints:
    alg="gd|sgd",
    act="relu|tanh",
    k=r"\d+",
    cov=r"\d+(\.\d+)?",
    point=r"init|final|step\d+",
    part=r"\d+",
    net="|".join(map(re.escape, MNIST_RUNS)),
    end="|".join(CIFAR_ENDS),
