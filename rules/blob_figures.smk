# The blob experiments' figures and Table 1, each from the spectra it shows: Fig. 1 (one run
# at init and at the end), Fig. 2 (the fig2 runs by k), Table 1 (the whole grid), GD
# against SGD, and the Gauss-Newton decomposition H = G + R.


rule fig1:
    input:
        initial=blob_spectrum(figure_run("fig1", config["fig1"]["n_classes"]), "init"),
        final=blob_spectrum(figure_run("fig1", config["fig1"]["n_classes"]), "final"),
    output:
        figure=reported(
            "results/fig1.pdf",
            caption="../report/fig1.rst",
            category="2.1 A first look at the spectrum",
        ),
        numbers="results/fig1.json",
    log:
        "results/logs/fig1.log",
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=1024,
        runtime=5,
    params:
        run=figure_title("fig1"),
    script:
        "../workflow/scripts/fig1.py"


rule fig2:
    input:
        **{label: blob_spectrum(run) for label, run in FIG2_RUNS.items()},
    output:
        reported(
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
        top=config["fig2"]["top"],
        title=f"End of {figure_title('fig2')}",
    script:
        "../workflow/scripts/fig2.py"


rule table1:
    input:
        **table1_inputs(),
    output:
        csv="results/table1.csv",
        markdown=reported(
            "results/table1.md",
            caption="../report/table1.rst",
            category="3.1 Data and eigenvalues",
        ),
        latex="results/table1.tex",
    log:
        "results/logs/table1.log",
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=1024,
        runtime=10,
    params:
        runs=TABLE1_RUNS,
    script:
        "../workflow/scripts/table1.py"


# GD against SGD from the same start at every grid point both algorithms train.
rule gd_vs_sgd:
    input:
        **gd_vs_sgd_inputs(),
    output:
        "results/gd_vs_sgd.json",
    log:
        "results/logs/gd_vs_sgd.log",
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=1024,
        runtime=5,
    params:
        pairs=GD_VS_SGD_PAIRS,
    script:
        "../workflow/scripts/gd_vs_sgd.py"


# fig_ggn reads the spectrum of H that rule spectrum stored, and diagonalises only G and
# R = H - G.
rule fig_ggn:
    input:
        **fig_ggn_inputs(),
    output:
        figure=reported(
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
        mem_mb=fig_ggn_mem_mb,
        runtime=30,
    params:
        runs=titled(FIG_GGN_RUNS),
        top=config["fig_ggn"]["top"],
    script:
        "../workflow/scripts/fig_ggn.py"
