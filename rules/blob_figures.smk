# The paper's figures, each from the spectra it shows.


rule fig1:
    input:
        initial=blob_spectrum("fig1", config["fig1"]["n_classes"], "init"),
        final=blob_spectrum("fig1", config["fig1"]["n_classes"], "final"),
    output:
        report(
            "results/fig1.pdf",
            caption="../report/fig1.rst",
            category="2.1 A first look at the spectrum",
        ),
    log:
        "results/logs/fig1.log",
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=1024,
        runtime=5,
    script:
        "../workflow/scripts/fig1.py"


rule fig2:
    input:
        **fig2_spectra(),
    output:
        report(
            "results/fig2.pdf",
            caption="../report/fig2.rst",
            category="3.1 Data and eigenvalues",
        ),
    log:
        "results/logs/fig2.log",
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=1024,
        runtime=5,
    params:
        labels=[f"k = {k}" for k in config["fig2"]["n_classes"]],
        top=config["fig2"]["top"],
        title=fig2_title(),
    script:
        "../workflow/scripts/fig2.py"


rule fig10:
    output:
        figure=report(
            "results/fig10.pdf",
            caption="../report/fig10.rst",
            category="Appendix B: random-matrix theory",
        ),
        numbers="results/fig10.json",
    log:
        "results/logs/fig10.log",
    conda:
        ENV
    threads: 2
    resources:
        mem_mb=2048,
        runtime=10,
    params:
        settings=plain(config["fig10"]),
    script:
        "../workflow/scripts/fig10.py"


rule fig_ggn:
    input:
        hessians=fig_ggn_matrices("hessians"),
        spectra=fig_ggn_matrices("spectra"),
        ggns=fig_ggn_matrices("ggn"),
    output:
        figure=report(
            "results/fig_ggn.pdf",
            caption="../report/fig_ggn.rst",
            category="2.2 Gauss-Newton decomposition",
        ),
        numbers="results/fig_ggn.json",
    log:
        "results/logs/fig_ggn.log",
    conda:
        ENV
    threads: 2
    resources:
        mem_mb=lambda wildcards: max(
            spectrum_job_mem_mb(
                mlp_parameter_count(
                    config["blobs"]["data"]["dim"],
                    config["blobs"]["model"]["hidden"],
                    run["n_classes"],
                )
            )
            for run in config["fig_ggn"]["runs"]
        )
        * 2,
        runtime=30,
    params:
        runs=fig_ggn_runs(),
        top=config["fig_ggn"]["top"],
    script:
        "../workflow/scripts/fig_ggn.py"
