# Gaussian-blob data and the training of the blob networks (Section 3.1, Appendix A).
# A run is BLOB_RUN, {alg}-{act}-k{k}-cov{cov}-s{seed}-i{init}{variant}: algorithm,
# activation, clusters, spread, the seed of its data and the seed of its initialisation, and
# its variant of the setup ("" or -v<name>, blobs.variants); a training job trains the seeds
# (blobs.seeds) of one cell in one variant as one stack (stacks.MLPStack).


rule blobs_dataset:
    """One Gaussian-blob dataset: k clusters at spread cov, one seed's draw (a variant's)."""
    output:
        BLOB_DATASET,
    log:
        "results/logs/blobs_dataset/k{k}-cov{cov}-s{seed}{data}.log",
    benchmark:
        benchmark_file("blobs_dataset", "k{k}-cov{cov}-s{seed}{data}")
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=1024,
        runtime=5,
    params:
        data=get_blob_data,
        code=code("blobs_dataset.py"),
    script:
        "../workflow/scripts/blobs_dataset.py"


rule train_sgd:
    """The seeds of one SGD cell of the blob runs, trained as one stack (stacks.MLPStack)."""
    input:
        datasets=get_training_datasets("sgd"),
    output:
        training_outputs("sgd"),
    log:
        "results/logs/train/sgd-{act}-k{k}-cov{cov}-i{init}{variant}.log",
    benchmark:
        benchmark_file("train_sgd", "{act}-k{k}-cov{cov}-i{init}{variant}")
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=2048,
        runtime=60 * len(runs.seeds(config)),
    params:
        runs=get_training_job("sgd"),
        training=plain(config["blobs"]["train"]["sgd"]),
        model=get_blob_model,
        device=config["blobs"]["device"],
        code=code("train.py"),
    script:
        "../workflow/scripts/train.py"


use rule train_sgd as train_gd with:
    """The seeds of one GD cell of the blob runs, trained as one stack (stacks.MLPStack)."""
    input:
        datasets=get_training_datasets("gd"),
    output:
        training_outputs("gd"),
    log:
        "results/logs/train/gd-{act}-k{k}-cov{cov}-i{init}{variant}.log",
    benchmark:
        benchmark_file("train_gd", "{act}-k{k}-cov{cov}-i{init}{variant}")
    params:
        runs=get_training_job("gd"),
        training=plain(config["blobs"]["train"]["gd"]),
        model=get_blob_model,
        device=config["blobs"]["device"],
        code=code("train.py"),
