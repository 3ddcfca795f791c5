# Experiments that change the blob setup itself, each run beside the setup's own at the
# same cell and seed: the sensitivity runs (the authors' code's settings) and the sweeps of
# the abstract's conjecture (the net's width at fixed data, the data at a fixed net).


rule sensitivity:
    """Table 1's counters of each sensitivity run beside the setup's, at every stop."""
    input:
        [
            pair[side][kind]
            for pair in SENSITIVITY
            for side in ("base", "varied")
            for kind in ("spectrum", "history")
        ],
    output:
        "results/sensitivity.json",
    log:
        "results/logs/sensitivity.log",
    benchmark:
        benchmark_file("sensitivity")
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=1024,
        runtime=10,
    params:
        pairs=SENSITIVITY,
        code=code("sensitivity.py"),
    script:
        "../workflow/scripts/sensitivity.py"


rule conjecture:
    """The conjecture: outliers and bulk as the net widens, and as the data change."""
    input:
        [
            entry["spectrum"]
            for sweep in CONJECTURE.values()
            for group in sweep.values()
            for entry in group
        ],
    output:
        figure=reported(
            "results/fig_conjecture.pdf",
            caption="../report/fig_conjecture.rst",
            category="Abstract: parameters scale the bulk, data move the outliers",
        ),
        png="results/fig_conjecture.png",
        numbers="results/conjecture.json",
    log:
        "results/logs/conjecture.log",
    benchmark:
        benchmark_file("conjecture")
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=2048,
        runtime=10,
    params:
        width=CONJECTURE["width"],
        data=CONJECTURE["data"],
        code=code("conjecture.py"),
    script:
        "../workflow/scripts/conjecture.py"
