# Helpers shared by the rules: config sections as params, and the spectra a figure needs.
# The paths themselves are written out in each rule, so a reader sees every file pattern.

from hessian_spectra.resources import (
    convnet_parameter_count,
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
    net=r"fc-h\d+|conv-bs\d+",
    end="lb|sb",


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


# --- MNIST-1K ---------------------------------------------------------------------------


def mnist_nets(family):
    """Run names: fc-h<width> for Figs. 3 and 5, conv-bs<batch> for Figs. 4 and 6."""
    if family == "fc":
        return [f"fc-h{h}" for h in config["mnist"]["fc"]["hidden"]]
    conv = config["mnist"]["conv"]
    return [f"conv-bs{conv['small_batch']}", f"conv-bs{conv['large_batch']}"]


def mnist_family(net):
    return "fc" if net.startswith("fc-h") else "conv"


def mnist_architecture(net):
    activation = config["mnist"]["activation"]
    if net.startswith("fc-h"):
        return {"kind": "mlp", "hidden": [int(net[4:])], "activation": activation}
    conv = config["mnist"]["conv"]
    return {
        "kind": "convnet",
        "activation": activation,
        "channels": conv["channels"],
        "hidden": conv["hidden"],
    }


def mnist_training(net):
    """Training settings of one MNIST run; a convnet's batch size is in its name."""
    if net.startswith("fc-h"):
        fc = config["mnist"]["fc"]
        return plain({key: value for key, value in fc.items() if key != "hidden"})
    conv = config["mnist"]["conv"]
    return {
        "batch_size": int(net[len("conv-bs") :]),
        **{key: conv[key] for key in ("learning_rate", "steps", "log_every", "seed")},
    }


def mnist_parameter_count(net):
    if net.startswith("fc-h"):
        return mlp_parameter_count(784, [int(net[4:])], 10)
    conv = config["mnist"]["conv"]
    return convnet_parameter_count(conv["channels"], conv["hidden"])


def mnist_spectra(family):
    return {
        net.replace("-", "_"): f"results/mnist/spectra/{net}/final.h5"
        for net in mnist_nets(family)
    }


def mnist_labels(family):
    if family == "fc":
        return [f"hidden = {h}" for h in config["mnist"]["fc"]["hidden"]]
    conv = config["mnist"]["conv"]
    return [f"SB (batch {conv['small_batch']})", f"LB (batch {conv['large_batch']})"]


def mnist_summary_inputs():
    """The MNIST numbers summary.md quotes, when summary.include_mnist is set."""
    if not config["summary"]["include_mnist"]:
        return []
    return ["results/mnist_fc.json", "results/mnist_conv.json"]


# --- CIFAR-10 -----------------------------------------------------------------------------


def cifar_part_settings(wildcards):
    """Training settings of Part I (the large batch) or Part II (the small batch)."""
    train = config["cifar"]["train"]
    batch = train["large_batch"] if wildcards.part == "1" else train["small_batch"]
    return {
        "part": int(wildcards.part),
        "batch_size": batch,
        **{
            key: train[key]
            for key in (
                "learning_rate",
                "steps_per_record",
                "records",
                "eval_batch_size",
            )
        },
        "seed": train["seed"],
    }


def cifar_part_start(wildcards):
    """Part II starts where Part I ended; Part I from the seeded initialisation."""
    return [] if wildcards.part == "1" else ["results/cifar/part1.h5"]


def cifar_end_point(wildcards):
    return {"lb": "results/cifar/part1.h5", "sb": "results/cifar/part2.h5"}[
        wildcards.end
    ]


def cifar_summary_inputs():
    """The CIFAR-10 numbers summary.md quotes, when summary.include_cifar is set."""
    if not config["summary"]["include_cifar"]:
        return {}
    return {
        "cifar_training": "results/cifar_training.json",
        "cifar_line": "results/cifar_line.json",
        "cifar_top_lb": "results/cifar/top_eigenvalues_lb.h5",
        "cifar_top_sb": "results/cifar/top_eigenvalues_sb.h5",
    }
