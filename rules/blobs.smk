# Gaussian-blob data and the training of the blob networks (Section 3.1, Appendix A).
# A run is BLOB_RUN, {alg}-{act}-k{k}-cov{cov}: algorithm, activation, clusters, spread;
# a training job trains one run (as a stack of one: stacks.MLPStack).


rule blobs_dataset:
    """One Gaussian-blob dataset: k clusters at spread cov (Section 3.1)."""
    output:
        "results/blobs/data/k{k}-cov{cov}.h5",
    log:
        "results/logs/blobs_dataset/k{k}-cov{cov}.log",
    benchmark:
        benchmark_file("blobs_dataset", "k{k}-cov{cov}")
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=1024,
        runtime=5,
    params:
        data=plain(config["blobs"]["data"]),
        code=code("blobs_dataset.py"),
    script:
        "../workflow/scripts/blobs_dataset.py"


rule train_sgd:
    """One SGD run of the blob grid, trained as a stack of one (stacks.MLPStack)."""
    input:
        datasets=[run["dataset"] for run in training_job("sgd")],
    output:
        training_outputs("sgd"),
    log:
        "results/logs/train/sgd-{act}-k{k}-cov{cov}.log",
    benchmark:
        benchmark_file("train_sgd", "{act}-k{k}-cov{cov}")
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=2048,
        runtime=60,
    params:
        runs=get_training_job("sgd"),
        training=plain(config["blobs"]["train"]["sgd"]),
        model=plain(config["blobs"]["model"]),
        device=config["blobs"]["device"],
        code=code("train.py"),
    script:
        "../workflow/scripts/train.py"


use rule train_sgd as train_gd with:
    """One GD run of the blob grid, trained as a stack of one (stacks.MLPStack)."""
    input:
        datasets=[run["dataset"] for run in training_job("gd")],
    output:
        training_outputs("gd"),
    log:
        "results/logs/train/gd-{act}-k{k}-cov{cov}.log",
    benchmark:
        benchmark_file("train_gd", "{act}-k{k}-cov{cov}")
    params:
        runs=get_training_job("gd"),
        training=plain(config["blobs"]["train"]["gd"]),
        model=plain(config["blobs"]["model"]),
        device=config["blobs"]["device"],
        code=code("train.py"),
