# What the rules share: the run tables of `hessian_spectra.runs` built once from the config,
# their files, the `get_*` lookups by wildcard, and the memory and spectrum plan of the jobs
# that hold a Hessian-sized matrix. Params carry runs' fields and files; inputs the DAG.

import os
import re

from hessian_spectra import (
    beyond_runs,
    code_digest,
    config_checks,
    network_runs,
    runs,
    sweeps,
)
from hessian_spectra.resources import (
    dense_matrix_mb,
    hessian_job_mem_mb,
    hessian_rank_bound,
    spectrum_plan,
)

ENV = "../envs/hessian-spectra.yaml"

config_checks.check(config)


def plain(section):
    """A config section as a sorted plain dict, so params compare equal across runs."""
    return {key: section[key] for key in sorted(section)}


def code(script):
    """The digest of workflow/scripts/`script` and of the library code it reaches
    (hessian_spectra.code_digest), each rule's param `code`. Rerun triggers follow content,
    not mtimes (profiles/default): an edit to that code reruns the jobs that run it, and
    only theirs."""
    scripts = os.path.join(WORKFLOW_DIR, "workflow", "scripts")
    return code_digest.script_digest(os.path.join(scripts, script))


def benchmark_file(rule, name=None):
    """Where Snakemake records the wall time and peak memory of a job of `rule` (its
    `benchmark:`): results/benchmarks/<rule>.tsv for a rule of one job, else
    results/benchmarks/<rule>/<name>.tsv, `name` made of the job's wildcards. Rule
    benchmarks_table sums them per rule into results/benchmarks.md."""
    if name is None:
        return f"results/benchmarks/{rule}.tsv"
    return f"results/benchmarks/{rule}/{name}.tsv"


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


def plan_mem_mb(get_plan):
    """resources.mem_mb of a spectrum job: what its plan declares, doubled on each retry
    (a retry changes the memory, never the plan: the plan is a param)."""
    return lambda wildcards, attempt: attempt * get_plan(wildcards)["mem_mb"]


# --- blobs (Sections 2-3.1, Table 1) ------------------------------------------------------

# A blob run's files: results/blobs/<folder>/{alg}-{act}-k{k}-cov{cov}-s{seed}-i{init}{variant}/
# <name>, {variant} "" for the setup's runs or -v<name> for a variant's (blobs.variants).
BLOB_RUN = runs.BlobRun.PATTERN


def blob_file(folder, name):
    """The pattern of one file of a blob run, e.g. blob_file("spectra", "{point}.h5")."""
    return f"results/blobs/{folder}/{BLOB_RUN}/{name}"


# {data}: "" or the -v<name> of a variant that changes blobs.data (runs.data_suffix).
BLOB_DATASET = runs.blob_dataset("{k}", "{cov}", "{seed}", "{data}")


def blob_log(rule, name="{point}"):
    return f"results/logs/{rule}/{BLOB_RUN}-{name}.log"


def blob_benchmark(rule, name="{point}"):
    return benchmark_file(rule, f"{BLOB_RUN}-{name}")


def training_job(
    algorithm, act="{act}", k="{k}", cov="{cov}", init="{init}", variant="{variant}"
):
    """The runs one training job of `algorithm` trains as one stack (`stacks.MLPStack`):
    the seeds (blobs.seeds) of one cell in one variant, each with its dataset,
    checkpoints (init, step<N>, its stops grad<tolerance>, final), history and training
    seed; as patterns of the wildcards (outputs), or one job's own files (params). The
    seeds of a cell are what every reader of the cell needs together (docs/blobs.md,
    "Training")."""
    settings = config["blobs"]["train"][algorithm]
    names = [
        "init",
        *(f"step{step}" for step in settings["checkpoint_steps"]),
        *(point for _, point in runs.stops(config, algorithm)),
    ]
    job = []
    for seed in runs.seeds(config):
        run = BLOB_RUN.format(
            alg=algorithm, act=act, k=k, cov=cov, seed=seed, init=init, variant=variant
        )
        data = (
            runs.data_suffix(config, runs.variant_of(variant)) if init.isdigit() else ""
        )
        folder = f"results/blobs/runs/{run}"
        job.append(
            {
                "run": run,
                "seed": runs.training_seed(int(init), seed) if init.isdigit() else None,
                "dataset": runs.blob_dataset(k, cov, seed, data),
                "checkpoints": {n: f"{folder}/checkpoints/{n}.pt" for n in names},
                "history": f"{folder}/history.csv",
            }
        )
    return job


def training_outputs(algorithm):
    jobs = training_job(algorithm)
    return [p for run in jobs for p in (*run["checkpoints"].values(), run["history"])]


def get_training_job(algorithm):
    return lambda w: training_job(algorithm, w.act, w.k, w.cov, w.init, w.variant)


def get_training_datasets(algorithm):
    return lambda w: [run["dataset"] for run in get_training_job(algorithm)(w)]


def get_blob_dataset(wildcards):
    """The dataset a blob run trained on: its variant's, where the variant changes data."""
    suffix = runs.data_suffix(config, runs.variant_of(wildcards.variant))
    return runs.blob_dataset(wildcards.k, wildcards.cov, wildcards.seed, suffix)


def get_blob_data(wildcards):
    """blobs.data with the changes of the variant whose suffix is the `data` wildcard."""
    return plain(runs.blob_data(config, runs.variant_of(wildcards.data)))


def get_blob_model(wildcards):
    """blobs.model with the changes of the run's variant."""
    return plain(runs.blob_model(config, runs.variant_of(wildcards.variant)))


def get_hessian_parts(wildcards):
    """The hessian.split part files of one blob Hessian, in row order."""
    pattern = blob_file("hessians", "{point}.part{part}.h5")
    return [
        pattern.format(**dict(wildcards.items()), part=part)
        for part in range(config["hessian"]["split"])
    ]


def get_blob_parameter_count(wildcards):
    variant = runs.variant_of(wildcards.variant)
    return runs.blob_parameter_count(config, int(wildcards.k), variant)


def get_blob_spectrum_plan(wildcards):
    """The spectrum plan of a blob Hessian, with its architecture's rank bound if proven."""
    variant = runs.variant_of(wildcards.variant)
    architecture = runs.blob_architecture(config, wildcards.act, variant)
    n_train = runs.blob_data(config, variant)["n_train"]
    bound = hessian_rank_bound(architecture, n_train, int(wildcards.k))
    return spectrum_plan(get_blob_parameter_count(wildcards), bound)


def get_blob_dense_plan(wildcards):
    """The spectrum plan of a blob run's G or R: no bound of H's rank applies to them."""
    return spectrum_plan(get_blob_parameter_count(wildcards))


def run_files(run, **files):
    """A run's fields with the paths of its files, keyed by what each is, for params."""
    return run.fields() | {kind: run.file(*where) for kind, where in files.items()}


def files_of(entries, *kinds):
    """The paths of `kinds` in each `run_files` entry, for input."""
    return [entry[kind] for entry in entries for kind in kinds]


FINAL_SPECTRUM = ("spectra", "final.h5")
HISTORY = ("runs", "history.csv")

# Table 1: every grid run at every stop (its gradient tolerances; "final" the last).
TABLE1 = [
    run_files(run, spectrum=("spectra", f"{point}.h5"), history=HISTORY)
    | {"stop": tolerance, "point": point}
    for run in runs.table1_runs(config)
    for tolerance, point in runs.stops(config, run.algorithm)
]
FIG1_RUN = runs.fig1_run(config)
FIG2 = {}  # label -> the final spectra of its seeds, the first seed's first
for run in runs.fig2_runs(config):
    FIG2.setdefault(f"k = {run.n_classes}", []).append(run.file(*FINAL_SPECTRUM))
FIG_GGN = [
    run_files(
        run,
        spectrum=FINAL_SPECTRUM,
        ggn_spectrum=("ggn_spectra", "final.h5"),
        residual_spectrum=("residual_spectra", "final.h5"),
    )
    | {"label": run.name, "title": run.in_words()}
    for run in runs.fig_ggn_runs(config)
]
GD_VS_SGD = {
    pair.name: pair.fields()
    | {
        "dataset": runs.blob_dataset(
            pair.gd.n_classes, runs.number(pair.gd.cov), pair.gd.seed
        ),
        **{
            run.algorithm: {
                "init": run.file("runs", "checkpoints/init.pt"),
                "final": run.file("runs", "checkpoints/final.pt"),
                "spectrum": run.file(*FINAL_SPECTRUM),
            }
            for run in (pair.gd, pair.sgd)
        },
    }
    for pair in runs.gd_sgd_pairs(config)
}


def gd_vs_sgd_files():
    return [path for pair in GD_VS_SGD.values()
            for path in (pair["dataset"], *(p for alg in runs.ALGORITHMS
                                            for p in pair[alg].values()))]  # fmt: skip


# The sensitivity runs: each pair (the setup's run, the variant's) at every stop.
SENSITIVITY = [
    {
        "variant": pair.varied.variant,
        **{
            side: run_files(run, spectrum=("spectra", f"{point}.h5"), history=HISTORY)
            | {"stop": tolerance, "point": point}
            for side, run in (("base", pair.base), ("varied", pair.varied))
        },
    }
    for pair in sweeps.sensitivity_pairs(config)
    for tolerance, point in runs.stops(config, pair.base.algorithm)
]


def conjecture_sweep(sweep):
    """label -> the final spectrum, k and seed of each run of one sweep of the conjecture."""
    return {
        label: [
            {
                "spectrum": run.file(*FINAL_SPECTRUM),
                "n_classes": run.n_classes,
                "seed": run.seed,
            }
            for run in group
        ]
        for label, group in sweep.items()
    }


CONJECTURE = {
    "width": conjecture_sweep(sweeps.width_sweep(config)),
    "data": conjecture_sweep(sweeps.data_sweep(config)),
}


# --- MNIST-1K (Sections 3.2-3.4) ----------------------------------------------------------

MNIST_RUNS = network_runs.mnist_runs(config)


def get_mnist_run(field):
    """A lookup of one field of the MNIST run named by the `net` wildcard."""
    return lambda wildcards: getattr(MNIST_RUNS[wildcards.net], field)


def get_mnist_spectrum_plan(wildcards):
    """The low-rank route where a rank bound makes it pay, else a dense solve in the most
    precise arithmetic within mnist.spectrum.memory_mb."""
    run = MNIST_RUNS[wildcards.net]
    return spectrum_plan(
        run.parameter_count,
        run.rank_bound,
        config["mnist"]["spectrum"]["memory_mb"],
        key="mnist.spectrum.memory_mb",
    )


def get_mnist_max_products(wildcards):
    family = MNIST_RUNS[wildcards.net].family
    return config["mnist"]["spectrum"]["max_products"][family]


def mnist_spectra(family):
    """label -> final spectrum of each run of `family` ("fc" or "conv"), in figure order."""
    return {
        run.label: run.file("spectra", "final.h5")
        for run in MNIST_RUNS.values()
        if run.family == family
    }


def mnist_activations(family):
    """label -> activation of each run of `family`: Figs. 3 and 5 draw each activation's
    widths in a line style of their own and compare successive widths within it."""
    return {
        run.label: run.activation for run in MNIST_RUNS.values() if run.family == family
    }


# --- beyond the paper (docs/beyond.md) ----------------------------------------------------

# The experiments, each by the name of its numbers (results/<name>.json).
BEYOND = ["classes", "subspace", "density", "stability"]
# The trained nets the class structure of G reads (every seed) and the densities (the first).
CLASSES = beyond_runs.trained_nets(config, "classes", every_seed=True)
DENSITY = beyond_runs.trained_nets(config, "density", every_seed=False)
# experiment -> trajectory name -> beyond_runs.Trajectory
TRAJECTORIES = {
    "subspace": {t.name: t for t in beyond_runs.subspace_trajectories(config)},
    "stability": {t.name: t for t in beyond_runs.stability_trajectories(config)},
}


def trajectory_outputs(experiment):
    """The checkpoints and history of a training job of `experiment`, as patterns of the
    `trajectory` wildcard: its trajectories share the experiment's steps."""
    steps = config["beyond"][experiment]["steps"]
    folder = f"results/beyond/{experiment}/{{trajectory}}"
    names = beyond_runs.checkpoint_names(steps)
    return [f"{folder}/checkpoints/{name}.pt" for name in names] + [
        f"{folder}/history.csv"
    ]


def get_trajectory(experiment, field):
    """A lookup of what the training job of one trajectory of `experiment` needs: its
    dataset, the one-run list of steps.training.train_runs (`runs`), or a field."""

    def lookup(wildcards):
        trajectory = TRAJECTORIES[experiment][wildcards.trajectory]
        if field == "runs":
            return [
                {
                    "run": trajectory.name,
                    "seed": trajectory.seed,
                    "dataset": trajectory.dataset,
                    "checkpoints": trajectory.checkpoints(),
                    "history": trajectory.history(),
                }
            ]
        if field == "training":
            return trajectory.training()
        return getattr(trajectory, field)

    return lookup


def trajectory_entries(experiment):
    """What the analysis of `experiment` reads, one entry per trajectory."""
    return [t.entry() for t in TRAJECTORIES[experiment].values()]


def trajectory_files(experiment):
    return [
        path
        for entry in trajectory_entries(experiment)
        for path in (entry["dataset"], *(c["path"] for c in entry["checkpoints"]))
    ]


# --- CIFAR-10 (Section 4.1) ---------------------------------------------------------------

CIFAR_PARTS = {
    str(part.number): part for part in network_runs.cifar_parts(config).values()
}
CIFAR_ENDS = {part.end: part.trajectory for part in CIFAR_PARTS.values()}


def get_cifar_start(wildcards):
    """The trajectory a part starts from, as a list: Part I starts from none."""
    start = CIFAR_PARTS[wildcards.part].start
    return [start] if start else []


def get_cifar_settings(wildcards):
    return CIFAR_PARTS[wildcards.part].settings


# --- summary ------------------------------------------------------------------------------


def summary_inputs():
    """The numbers the summary quotes: the blob and Appendix B ones always, the MNIST and
    CIFAR-10 ones when summary.include_mnist / include_cifar is set."""
    inputs = {
        "table": "results/table1.csv",
        "paper_rows": "results/table1_vs_paper.csv",
        "near_k": "results/spectrum_near_k.json",
        "logistic": "results/fig10.json",
        "gauss_newton": "results/fig_ggn.json",
    }
    if GD_VS_SGD:
        inputs["gd_vs_sgd"] = "results/gd_vs_sgd.json"
    if SENSITIVITY:
        inputs["sensitivity"] = "results/sensitivity.json"
    inputs["conjecture"] = "results/conjecture.json"
    if config["summary"]["include_mnist"]:
        inputs |= {f"mnist_{f}": f"results/mnist_{f}.json" for f in ("fc", "conv")}
    if config["summary"]["include_beyond"]:
        inputs |= {name: f"results/{name}.json" for name in BEYOND}
    if config["summary"]["include_cifar"]:
        inputs |= {
            "cifar_training": "results/cifar_training.json",
            "cifar_line": "results/cifar_line.json",
            "cifar_top_lb": "results/cifar/top_eigenvalues_lb.h5",
            "cifar_top_sb": "results/cifar/top_eigenvalues_sb.h5",
        }
    return inputs


wildcard_constraints:
    alg="|".join(runs.ALGORITHMS),
    act="|".join(runs.ACTIVATIONS),
    k=r"\d+",
    cov=r"\d+(\.\d+)?",
    point=r"init|final|step\d+|grad[0-9.e+-]+",
    seed=r"\d+",
    init=r"\d+",
    variant=r"(-v[a-z0-9]+)?",
    data=r"(-v[a-z0-9]+)?",
    part=r"\d+",
    net="|".join(map(re.escape, MNIST_RUNS)),
    end="|".join(CIFAR_ENDS),
