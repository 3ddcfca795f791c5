# Exact Hessians at checkpoints of the blob runs and their eigenvalues, and the
# decomposition H = G + R (Gauss-Newton term and residual) for fig_ggn.
#
# The block size travels as a resource, not a param: it changes how rows are grouped, not
# a single bit of any row, and Snakemake reruns a job whose params change.

from hessian_spectra.resources import symmetry_check_mb

if config["hessian"]["split"] == 1:

    rule hessian:
        """The exact Hessian of one blob run at one checkpoint, in HDF5 row blocks."""
        input:
            checkpoint=blob_file("runs", "checkpoints/{point}.pt"),
            dataset=get_blob_dataset,
        output:
            dense_matrix(blob_file("hessians", "{point}.h5")),
        log:
            blob_log("hessian"),
        benchmark:
            blob_benchmark("hessian")
        conda:
            ENV
        threads: 2
        resources:
            mem_mb=hessian_mem_mb(
                get_blob_parameter_count, config["hessian"]["block_size"]
            ),
            runtime=lambda wildcards, attempt: 60 * attempt,
            block_size=config["hessian"]["block_size"],
        params:
            chunk_size=config["hessian"]["chunk_size"],
            part=0,
            parts=1,
            device=config["hessian"]["device"],
            code=code("hessian.py"),
        script:
            "../workflow/scripts/hessian.py"

else:

    # One Hessian spread over hessian.split jobs, each computing a contiguous range of
    # row blocks into its own file; `hessian` then joins them.
    rule hessian_part:
        """A contiguous range of row blocks of one blob Hessian (hessian.split > 1)."""
        input:
            checkpoint=blob_file("runs", "checkpoints/{point}.pt"),
            dataset=get_blob_dataset,
        output:
            temp(blob_file("hessians", "{point}.part{part}.h5")),
        log:
            blob_log("hessian_part", "{point}-{part}"),
        benchmark:
            blob_benchmark("hessian_part", "{point}-{part}")
        conda:
            ENV
        threads: 2
        resources:
            mem_mb=hessian_mem_mb(
                get_blob_parameter_count, config["hessian"]["block_size"]
            ),
            runtime=lambda wildcards, attempt: 60 * attempt,
            block_size=config["hessian"]["block_size"],
        params:
            chunk_size=config["hessian"]["chunk_size"],
            part=lambda wildcards: int(wildcards.part),
            parts=config["hessian"]["split"],
            device=config["hessian"]["device"],
            code=code("hessian.py"),
        script:
            "../workflow/scripts/hessian.py"

    rule hessian:
        """One blob Hessian joined from its hessian.split parts, in row order."""
        input:
            get_hessian_parts,
        output:
            dense_matrix(blob_file("hessians", "{point}.h5")),
        log:
            blob_log("hessian"),
        benchmark:
            blob_benchmark("hessian")
        conda:
            ENV
        threads: 1
        resources:
            # A slab of rows read at a time, and what the symmetry check keeps.
            mem_mb=lambda wildcards, attempt: attempt
            * (1024 + 512 + symmetry_check_mb(get_blob_parameter_count(wildcards))),
            runtime=lambda wildcards, attempt: 15 * attempt,
        params:
            code=code("gather_hessian.py"),
        script:
            "../workflow/scripts/gather_hessian.py"


rule spectrum:
    """Every eigenvalue of one blob Hessian, by the spectrum plan of its size."""
    input:
        blob_file("hessians", "{point}.h5"),
    output:
        blob_file("spectra", "{point}.h5"),
    log:
        blob_log("spectrum"),
    benchmark:
        blob_benchmark("spectrum")
    conda:
        ENV
    threads: 2
    resources:
        mem_mb=plan_mem_mb(get_blob_spectrum_plan),
        runtime=lambda wildcards, attempt: 60 * attempt,
    params:
        plan=get_blob_spectrum_plan,
        device=config["hessian"]["device"],
        code=code("spectrum.py"),
    script:
        "../workflow/scripts/spectrum.py"


# H = G + R without reading H: the residual's rows are the Hessian's rows, computed as
# rule hessian computes them, minus G's. So fig_ggn never needs the temporary Hessian, and
# building it after fig2 reruns neither the Hessian nor its spectrum.
rule gauss_newton:
    """The Gauss-Newton term G and the residual R = H - G of one blob checkpoint."""
    input:
        checkpoint=blob_file("runs", "checkpoints/{point}.pt"),
        dataset=get_blob_dataset,
    output:
        ggn=dense_matrix(blob_file("ggn", "{point}.h5")),
        residual=dense_matrix(blob_file("residual", "{point}.h5")),
    log:
        blob_log("gauss_newton"),
    benchmark:
        blob_benchmark("gauss_newton")
    conda:
        ENV
    threads: 2
    resources:
        mem_mb=hessian_mem_mb(get_blob_parameter_count, config["hessian"]["block_size"]),
        runtime=lambda wildcards, attempt: 60 * attempt,
        block_size=config["hessian"]["block_size"],
    params:
        chunk_size=config["hessian"]["chunk_size"],
        device=config["hessian"]["device"],
        code=code("gauss_newton.py"),
    script:
        "../workflow/scripts/gauss_newton.py"


# The spectra of G and of R = H - G, by the spectrum rule's own code and plan (no rank
# bound of H's applies to them: a dense solve).
use rule spectrum as ggn_spectrum with:
    """Every eigenvalue of one Gauss-Newton term G (a dense solve)."""
    input:
        blob_file("ggn", "{point}.h5"),
    output:
        blob_file("ggn_spectra", "{point}.h5"),
    log:
        blob_log("ggn_spectrum"),
    benchmark:
        blob_benchmark("ggn_spectrum")
    resources:
        mem_mb=plan_mem_mb(get_blob_dense_plan),
        runtime=lambda wildcards, attempt: 60 * attempt,
    params:
        plan=get_blob_dense_plan,
        device=config["hessian"]["device"],
        code=code("spectrum.py"),


use rule ggn_spectrum as residual_spectrum with:
    """Every eigenvalue of one residual R = H - G (a dense solve)."""
    input:
        blob_file("residual", "{point}.h5"),
    output:
        blob_file("residual_spectra", "{point}.h5"),
    log:
        blob_log("residual_spectrum"),
    benchmark:
        blob_benchmark("residual_spectrum")
