# results/benchmarks.md: the jobs, wall time and peak memory of each rule, summed from the
# files of the rules' `benchmark:` directives (benchmark_file in common.smk). The table of
# rule all waits for every artefact (ARTEFACTS, in the Snakefile) and then reads every
# benchmark file there is; after a partial build, `snakemake -f results/benchmarks_so_far.md`
# tables the benchmark files that exist, building nothing else.


rule benchmarks_table:
    """results/benchmarks.md: jobs, wall time and peak memory per rule, after every artefact."""
    input:
        ARTEFACTS,
    output:
        "results/benchmarks.md",
    log:
        "results/logs/benchmarks_table.log",
    localrule: True
    conda:
        ENV
    params:
        # results/benchmarks/, beside the table (as benchmark_file writes them)
        folder=lambda wildcards, output: os.path.join(
            os.path.dirname(output[0]), "benchmarks"
        ),
        code=code("benchmarks_table.py"),
    script:
        "../workflow/scripts/benchmarks_table.py"


use rule benchmarks_table as benchmarks_so_far with:
    """results/benchmarks_so_far.md: the same table, of the benchmark files that exist now."""
    input:
        [],
    output:
        "results/benchmarks_so_far.md",
    log:
        "results/logs/benchmarks_so_far.log",
