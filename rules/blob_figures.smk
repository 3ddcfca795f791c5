# The blob experiments' figures and Table 1, each from the spectra it shows: Fig. 1 (one run
# at init and at the end), Fig. 2 (the fig2 runs by k), Table 1 (the whole grid), GD
# against SGD, and the Gauss-Newton decomposition H = G + R.


rule fig1:
    """Fig. 1: the spectrum of one blob run at initialisation and at the end."""
    input:
        initial=FIG1_RUN.file("spectra", "init.h5"),
        final=FIG1_RUN.file("spectra", "final.h5"),
    output:
        figure=reported(
            "results/fig1.pdf",
            caption="../report/fig1.rst",
            category="2.1 A first look at the spectrum",
        ),
        png="results/fig1.png",
        numbers="results/fig1.json",
    log:
        "results/logs/fig1.log",
    benchmark:
        benchmark_file("fig1")
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=1024,
        runtime=5,
    params:
        setting=FIG1_RUN.in_words(),
        code=code("fig1.py"),
    script:
        "../workflow/scripts/fig1.py"


rule fig2:
    """Fig. 2: the spectra at the end of training, one run per k."""
    input:
        FIG2.values(),
    output:
        reported(
            "results/fig2.pdf",
            caption="../report/fig2.rst",
            category="3.1 Data and eigenvalues",
        ),
        png="results/fig2.png",
    log:
        "results/logs/fig2.log",
    benchmark:
        benchmark_file("fig2")
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=1024,
        runtime=5,
    params:
        spectra=FIG2,
        top=config["fig2"]["top"],
        title=f"End of {runs.fig2_title(config)}",
        code=code("fig2.py"),
    script:
        "../workflow/scripts/fig2.py"


rule table1:
    """Table 1: eigenvalue counts of every grid run, as CSV, Markdown and LaTeX."""
    input:
        files_of(TABLE1, "spectrum", "history"),
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
    benchmark:
        benchmark_file("table1")
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=1024,
        runtime=10,
    params:
        runs=TABLE1,
        code=code("table1.py"),
    script:
        "../workflow/scripts/table1.py"


# Table 1 against the paper on the paper's own 19 rows, both sides scored the same way,
# with the group elbow, and the spectrum near k of every grid run.
rule table1_vs_paper:
    """Table 1 against the paper's 19 rows, the group elbow, the spectrum near k."""
    input:
        table="results/table1.csv",
        spectra=files_of(TABLE1, "spectrum"),
    output:
        csv="results/table1_vs_paper.csv",
        markdown=reported(
            "results/table1_vs_paper.md",
            caption="../report/table1_vs_paper.rst",
            category="3.1 Data and eigenvalues",
        ),
        near_k="results/spectrum_near_k.json",
    log:
        "results/logs/table1_vs_paper.log",
    benchmark:
        benchmark_file("table1_vs_paper")
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=1024,
        runtime=10,
    params:
        runs=TABLE1,
        code=code("table1_vs_paper.py"),
    script:
        "../workflow/scripts/table1_vs_paper.py"


# GD against SGD from the same start at every grid point both algorithms train.
rule gd_vs_sgd:
    """GD against SGD from the same start, at each grid point both train."""
    input:
        gd_vs_sgd_files(),
    output:
        "results/gd_vs_sgd.json",
    log:
        "results/logs/gd_vs_sgd.log",
    benchmark:
        benchmark_file("gd_vs_sgd")
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=1024,
        runtime=5,
    params:
        pairs=GD_VS_SGD,
        code=code("gd_vs_sgd.py"),
    script:
        "../workflow/scripts/gd_vs_sgd.py"


# fig_ggn reads the spectra of H, G and R = H - G, each solved by the spectrum rule.
rule fig_ggn:
    """The spectra of H, G and R = H - G of the fig_ggn runs (Section 2.2)."""
    input:
        files_of(FIG_GGN, "spectrum", "ggn_spectrum", "residual_spectrum"),
    output:
        figure=reported(
            "results/fig_ggn.pdf",
            caption="../report/fig_ggn.rst",
            category="2.2 Gauss-Newton decomposition",
        ),
        png="results/fig_ggn.png",
        numbers="results/fig_ggn.json",
    log:
        "results/logs/fig_ggn.log",
    benchmark:
        benchmark_file("fig_ggn")
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=1024,
        runtime=30,
    params:
        runs=FIG_GGN,
        top=config["fig_ggn"]["top"],
        code=code("fig_ggn.py"),
    script:
        "../workflow/scripts/fig_ggn.py"
