# Gaussian-blob data and the training of the blob networks (Section 3.1, Appendix A).


rule blobs_dataset:
    output:
        DATASET,
    log:
        LOGS + "/blobs_dataset/k{k}-cov{cov}.log",
    params:
        data=plain(config["blobs"]["data"]),
    threads: 1
    resources:
        mem_mb=1024,
        runtime=5,
    conda:
        ENV
    script:
        "../workflow/scripts/blobs_dataset.py"


def training_params(algorithm):
    return plain(config["blobs"]["train"][algorithm])


def step_checkpoints(algorithm):
    steps = config["blobs"]["train"][algorithm]["checkpoint_steps"]
    return [
        CHECKPOINT.replace("{alg}", algorithm).replace("{point}", f"step{step}")
        for step in steps
    ]


rule train_sgd:
    input:
        dataset=DATASET,
    output:
        init=CHECKPOINT.replace("{alg}", "sgd").replace("{point}", "init"),
        final=CHECKPOINT.replace("{alg}", "sgd").replace("{point}", "final"),
        steps=step_checkpoints("sgd"),
        history=RUN_DIR.replace("{alg}", "sgd") + "/history.csv",
    log:
        LOGS + "/train/" + RUN.replace("{alg}", "sgd") + ".log",
    params:
        run=RUN.replace("{alg}", "sgd"),
        training=training_params("sgd"),
        model=plain(config["blobs"]["model"]),
    threads: 1
    resources:
        mem_mb=2048,
        runtime=60,
    conda:
        ENV
    script:
        "../workflow/scripts/train.py"


use rule train_sgd as train_gd with:
    output:
        init=CHECKPOINT.replace("{alg}", "gd").replace("{point}", "init"),
        final=CHECKPOINT.replace("{alg}", "gd").replace("{point}", "final"),
        steps=step_checkpoints("gd"),
        history=RUN_DIR.replace("{alg}", "gd") + "/history.csv",
    log:
        LOGS + "/train/" + RUN.replace("{alg}", "gd") + ".log",
    params:
        run=RUN.replace("{alg}", "gd"),
        training=training_params("gd"),
        model=plain(config["blobs"]["model"]),
