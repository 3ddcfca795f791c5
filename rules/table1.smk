# Table 1 over the whole grid, and the summary of every claim the workflow tests.


rule table1:
    input:
        table1_spectra(),
    output:
        csv="results/table1.csv",
        markdown="results/table1.md",
        latex="results/table1.tex",
    log:
        "results/logs/table1.log",
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=1024,
    params:
        runs=table1_runs(),
    script:
        "../workflow/scripts/table1.py"


rule summary:
    input:
        table="results/table1.csv",
        logistic="results/fig10.json",
        gauss_newton="results/fig_ggn.json",
    output:
        "results/summary.md",
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
