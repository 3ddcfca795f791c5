# Table 1 over the whole grid of blob runs.


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
