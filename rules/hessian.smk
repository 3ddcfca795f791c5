# Exact Hessians at checkpoints, and their eigenvalues.


rule hessian:
    input:
        checkpoint="results/blobs/runs/{alg}-{act}-k{k}-cov{cov}/checkpoints/{point}.pt",
        dataset="results/blobs/data/k{k}-cov{cov}.h5",
    output:
        dense_matrix("results/blobs/hessians/{alg}-{act}-k{k}-cov{cov}/{point}.h5"),
    log:
        "results/logs/hessian/{alg}-{act}-k{k}-cov{cov}-{point}.log",
    conda:
        ENV
    threads: 2
    resources:
        mem_mb=lambda wildcards, threads: hessian_job_mem_mb(
            blob_parameter_count(wildcards), config["hessian"]["block_size"], threads
        ),
        runtime=60,
    params:
        block_size=config["hessian"]["block_size"],
        chunk_size=config["hessian"]["chunk_size"],
    script:
        "../workflow/scripts/hessian.py"


rule spectrum:
    input:
        "results/blobs/hessians/{alg}-{act}-k{k}-cov{cov}/{point}.h5",
    output:
        "results/blobs/spectra/{alg}-{act}-k{k}-cov{cov}/{point}.h5",
    log:
        "results/logs/spectrum/{alg}-{act}-k{k}-cov{cov}-{point}.log",
    conda:
        ENV
    threads: 2
    resources:
        mem_mb=lambda wildcards: spectrum_job_mem_mb(blob_parameter_count(wildcards)),
        runtime=60,
    script:
        "../workflow/scripts/spectrum.py"


rule gauss_newton:
    input:
        checkpoint="results/blobs/runs/{alg}-{act}-k{k}-cov{cov}/checkpoints/{point}.pt",
        dataset="results/blobs/data/k{k}-cov{cov}.h5",
    output:
        dense_matrix("results/blobs/ggn/{alg}-{act}-k{k}-cov{cov}/{point}.h5"),
    log:
        "results/logs/gauss_newton/{alg}-{act}-k{k}-cov{cov}-{point}.log",
    params:
        block_size=config["hessian"]["block_size"],
    threads: 2
    resources:
        mem_mb=lambda wildcards, threads: hessian_job_mem_mb(
            blob_parameter_count(wildcards), config["hessian"]["block_size"], threads
        ),
        runtime=60,
    conda:
        ENV
    script:
        "../workflow/scripts/gauss_newton.py"
