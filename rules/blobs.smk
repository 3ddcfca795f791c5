# Gaussian-blob data and the training of the blob networks (Section 3.1, Appendix A).
# A run is BLOB_RUN, {alg}-{act}-k{k}-cov{cov}: algorithm, activation, clusters, spread.


rule blobs_dataset:
    output:
        "results/blobs/data/k{k}-cov{cov}.h5",
    log:
        "results/logs/blobs_dataset/k{k}-cov{cov}.log",
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=1024,
        runtime=5,
    params:
        data=plain(config["blobs"]["data"]),
    script:
        "../workflow/scripts/blobs_dataset.py"


rule train_sgd:
    input:
        dataset="results/blobs/data/k{k}-cov{cov}.h5",
    output:
        **blob_checkpoints("sgd"),
        history=training_file("sgd", "history.csv"),
    log:
        f"results/logs/train/{training_run('sgd')}.log",
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=2048,
        runtime=60,
    params:
        run=training_run("sgd"),
        training=plain(config["blobs"]["train"]["sgd"]),
        model=plain(config["blobs"]["model"]),
    script:
        "../workflow/scripts/train.py"


use rule train_sgd as train_gd with:
    output:
        **blob_checkpoints("gd"),
        history=training_file("gd", "history.csv"),
    log:
        f"results/logs/train/{training_run('gd')}.log",
    params:
        run=training_run("gd"),
        training=plain(config["blobs"]["train"]["gd"]),
        model=plain(config["blobs"]["model"]),
