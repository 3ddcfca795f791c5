# Exact Hessians at checkpoints, and their eigenvalues.


rule hessian:
    input:
        checkpoint=CHECKPOINT,
        dataset=DATASET,
    output:
        HESSIAN,
    log:
        LOGS + "/hessian/" + RUN + "-{point}.log",
    params:
        block_size=config["hessian"]["block_size"],
        chunk_size=config["hessian"]["chunk_size"],
    threads: 2
    resources:
        mem_mb=lambda wildcards, threads: hessian_job_mem_mb(
            blob_parameter_count(wildcards), config["hessian"]["block_size"], threads
        ),
        runtime=60,
    conda:
        ENV
    script:
        "../workflow/scripts/hessian.py"


rule spectrum:
    input:
        HESSIAN,
    output:
        SPECTRUM,
    log:
        LOGS + "/spectrum/" + RUN + "-{point}.log",
    threads: 2
    resources:
        mem_mb=lambda wildcards: spectrum_job_mem_mb(blob_parameter_count(wildcards)),
        runtime=60,
    conda:
        ENV
    script:
        "../workflow/scripts/spectrum.py"
