# results/summary.json and summary.md: every claim the workflow tests, from the numbers of
# the figures of all three experiments.


rule summary:
    """summary.json and summary.md: every claim tested, decided from the numbers."""
    input:
        **summary_inputs(),
    output:
        json="results/summary.json",
        markdown=reported(
            "results/summary.md",
            caption="../report/summary.rst",
            category="Summary of the claims",
        ),
    log:
        "results/logs/summary.log",
    benchmark:
        benchmark_file("summary")
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=1024,
        runtime=5,
    params:
        fig2=[run.fields() for run in runs.fig2_runs(config)],
        mnist_roles={run.label: run.role for run in MNIST_RUNS.values()},
        beyond=BEYOND,
        gradient_tolerances={
            alg: runs.stops(config, alg)[-1][0]
            for alg in config["table1"]["algorithms"]
        },
        code=code("summary.py"),
    script:
        "../workflow/scripts/summary.py"


# The config the results were made with, so that their record (`python
# report/readme_numbers.py --record results`) knows which runs each figure selected.
# Requested by name (not in rule all): every config change reruns it.
rule config_used:
    """results/config.yaml: the config the results were made with (by name)."""
    output:
        "results/config.yaml",
    log:
        "results/logs/config_used.log",
    localrule: True
    conda:
        ENV
    params:
        config=config,
        code=code("config_used.py"),
    script:
        "../workflow/scripts/config_used.py"
