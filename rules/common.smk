# Paths, wildcards and the translation of config sections into params.

from hessian_spectra.resources import (
    hessian_job_mem_mb,
    mlp_parameter_count,
    spectrum_job_mem_mb,
)

ENV = "../envs/hessian-spectra.yaml"

# One blob run = algorithm x activation x number of clusters x cov.
RUN = "{alg}-{act}-k{k}-cov{cov}"
DATASET = "results/blobs/data/k{k}-cov{cov}.h5"
RUN_DIR = "results/blobs/runs/" + RUN
CHECKPOINT = RUN_DIR + "/checkpoints/{point}.pt"
HESSIAN = "results/blobs/hessians/" + RUN + "/{point}.h5"
SPECTRUM = "results/blobs/spectra/" + RUN + "/{point}.h5"
LOGS = "results/logs"


wildcard_constraints:
    alg="gd|sgd",
    act="relu|tanh",
    k=r"\d+",
    cov=r"\d+(\.\d+)?",
    point=r"init|final|step\d+",


def number(value):
    """How a number appears in a path: 1.0 -> '1', 0.5 -> '0.5'."""
    return f"{value:g}"


def plain(section):
    """A config section as a sorted plain dict, so params compare equal across runs."""
    return {key: section[key] for key in sorted(section)}


def run_path(pattern, algorithm, activation, n_classes, cov, **extra):
    return pattern.format(
        alg=algorithm, act=activation, k=n_classes, cov=number(cov), **extra
    )


def blob_parameter_count(wildcards):
    model = config["blobs"]["model"]
    return mlp_parameter_count(
        config["blobs"]["data"]["dim"], model["hidden"], int(wildcards.k)
    )
