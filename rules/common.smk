# Helpers shared by the rules: config sections as params, and the spectra a figure needs.
# The paths themselves are written out in each rule, so a reader sees every file pattern.

from hessian_spectra.resources import (
    dense_matrix_mb,
    hessian_job_mem_mb,
    mlp_parameter_count,
    spectrum_job_mem_mb,
)

ENV = "../envs/hessian-spectra.yaml"


wildcard_constraints:
    alg="gd|sgd",
    act="relu|tanh",
    k=r"\d+",
    cov=r"\d+(\.\d+)?",
    point=r"init|final|step\d+",
    part=r"\d+",


def number(value):
    """How a number appears in a path: 1.0 -> '1', 0.5 -> '0.5'."""
    return f"{value:g}"


def plain(section):
    """A config section as a sorted plain dict, so params compare equal across runs."""
    return {key: section[key] for key in sorted(section)}


def training_params(algorithm):
    return plain(config["blobs"]["train"][algorithm])


def step_checkpoints(algorithm):
    """The extra checkpoints a run of `algorithm` saves besides init and final."""
    return [
        f"results/blobs/runs/{algorithm}-{{act}}-k{{k}}-cov{{cov}}/checkpoints/step{step}.pt"
        for step in config["blobs"]["train"][algorithm]["checkpoint_steps"]
    ]


def blob_parameter_count(wildcards):
    return mlp_parameter_count(
        config["blobs"]["data"]["dim"],
        config["blobs"]["model"]["hidden"],
        int(wildcards.k),
    )


def blob_spectrum(figure, n_classes, point):
    """The spectrum file of one blob run, as configured for `figure`."""
    settings = config[figure]
    run = run_id(
        settings["algorithm"], settings["activation"], n_classes, settings["cov"]
    )
    return f"results/blobs/spectra/{run}/{point}.h5"


def fig2_spectra():
    return {
        f"k{k}": blob_spectrum("fig2", k, "final") for k in config["fig2"]["n_classes"]
    }


def fig2_title():
    fig2 = config["fig2"]
    return (
        f"End of {fig2['algorithm'].upper()}, {fig2['activation']}, "
        f"cov = {number(fig2['cov'])}"
    )


def dense_matrix(path):
    """Dense Hessian-sized files are temporary unless hessian.keep is set."""
    return path if config["hessian"]["keep"] else temp(path)


def run_id(algorithm, activation, n_classes, cov):
    return f"{algorithm}-{activation}-k{n_classes}-cov{number(cov)}"


def table1_runs():
    """The Table 1 grid, declared once in config: every combination is one run."""
    grid = config["table1"]
    return [
        {"algorithm": alg, "activation": act, "n_classes": k, "cov": float(cov)}
        for alg in grid["algorithms"]
        for act in grid["activations"]
        for k in grid["n_classes"]
        for cov in grid["cov"]
    ]


def table1_spectra():
    return [f"results/blobs/spectra/{run_id(**run)}/final.h5" for run in table1_runs()]


def fig_ggn_runs():
    return [
        {**run, "cov": float(run["cov"]), "label": run_id(**run)}
        for run in config["fig_ggn"]["runs"]
    ]


def fig_ggn_matrices(kind):
    return [f"results/blobs/{kind}/{run['label']}/final.h5" for run in fig_ggn_runs()]
