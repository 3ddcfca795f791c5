# results/summary.md: every claim the workflow tests, from the numbers of the figures of
# all three experiments.


rule summary:
    input:
        **summary_inputs(),
    output:
        reported(
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
    params:
        gradient_tolerances={
            alg: config["blobs"]["train"][alg]["gradient_tolerance"]
            for alg in config["table1"]["algorithms"]
        },
    script:
        "../workflow/scripts/summary.py"
