# Exact Hessians at checkpoints, and their eigenvalues.


if config["hessian"]["split"] == 1:

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
            mem_mb=lambda wildcards, threads, attempt: attempt
            * hessian_job_mem_mb(
                blob_parameter_count(wildcards),
                config["hessian"]["block_size"],
                threads,
            ),
            runtime=lambda wildcards, attempt: 60 * attempt,
        params:
            block_size=config["hessian"]["block_size"],
            chunk_size=config["hessian"]["chunk_size"],
            part=0,
            parts=1,
            device=config["hessian"]["device"],
        script:
            "../workflow/scripts/hessian.py"

else:

    # One Hessian spread over hessian.split jobs, each computing a contiguous range of
    # row blocks into its own file; `hessian` then joins them.
    rule hessian_part:
        input:
            checkpoint="results/blobs/runs/{alg}-{act}-k{k}-cov{cov}/checkpoints/{point}.pt",
            dataset="results/blobs/data/k{k}-cov{cov}.h5",
        output:
            temp(
                "results/blobs/hessians/{alg}-{act}-k{k}-cov{cov}/{point}.part{part}.h5"
            ),
        log:
            "results/logs/hessian_part/{alg}-{act}-k{k}-cov{cov}-{point}-{part}.log",
        conda:
            ENV
        threads: 2
        resources:
            mem_mb=lambda wildcards, threads, attempt: attempt
            * hessian_job_mem_mb(
                blob_parameter_count(wildcards),
                config["hessian"]["block_size"],
                threads,
            ),
            runtime=lambda wildcards, attempt: 60 * attempt,
        params:
            block_size=config["hessian"]["block_size"],
            chunk_size=config["hessian"]["chunk_size"],
            part=lambda wildcards: int(wildcards.part),
            parts=config["hessian"]["split"],
            device=config["hessian"]["device"],
        script:
            "../workflow/scripts/hessian.py"

    rule hessian:
        input:
            expand(
                "results/blobs/hessians/{{alg}}-{{act}}-k{{k}}-cov{{cov}}/{{point}}.part{part}.h5",
                part=range(config["hessian"]["split"]),
            ),
        output:
            dense_matrix("results/blobs/hessians/{alg}-{act}-k{k}-cov{cov}/{point}.h5"),
        log:
            "results/logs/hessian/{alg}-{act}-k{k}-cov{cov}-{point}.log",
        conda:
            ENV
        threads: 1
        resources:
            mem_mb=lambda wildcards, attempt: attempt
            * (1024 + dense_matrix_mb(blob_parameter_count(wildcards))),
            runtime=lambda wildcards, attempt: 15 * attempt,
        script:
            "../workflow/scripts/gather_hessian.py"


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
        mem_mb=lambda wildcards, attempt: attempt
        * spectrum_job_mem_mb(blob_parameter_count(wildcards)),
        runtime=lambda wildcards, attempt: 60 * attempt,
    params:
        device=config["hessian"]["device"],
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
    conda:
        ENV
    threads: 2
    resources:
        mem_mb=lambda wildcards, threads, attempt: attempt
        * hessian_job_mem_mb(
            blob_parameter_count(wildcards), config["hessian"]["block_size"], threads
        ),
        runtime=lambda wildcards, attempt: 60 * attempt,
    params:
        block_size=config["hessian"]["block_size"],
        device=config["hessian"]["device"],
    script:
        "../workflow/scripts/gauss_newton.py"
