# Table 1 over the whole grid, and the summary of every claim the workflow tests.


rule table1:
    input:
        table1_spectra(),
    output:
        csv="results/table1.csv",
        markdown=report(
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
        runs=table1_runs(),
    script:
        "../workflow/scripts/table1.py"


rule summary:
    input:
        **cifar_summary_inputs(),
        table="results/table1.csv",
        logistic="results/fig10.json",
        gauss_newton="results/fig_ggn.json",
        mnist=mnist_summary_inputs(),
    output:
        report(
            "results/summary.md",
            caption="../report/summary.rst",
            category="Summary of the claims",
        ),
    log:
        "results/logs/summary.log",
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=1024,
        runtime=5,
    script:
        "../workflow/scripts/summary.py"
