# Beyond the paper (docs/beyond.md): what exact spectra settle that sampled ones cannot. The
# class structure of G and the sampled densities read trained nets of the paper's experiments
# (beyond_runs.trained_nets); the gradient subspace and the edge of stability read
# trajectories, nets trained again with checkpoints at beyond.<experiment>.steps.


rule classes:
    """Papyan's class structure of G: class means, cross-class means, within-class."""
    input:
        files_of(CLASSES, "checkpoint", "dataset"),
    output:
        figure=reported(
            "results/fig_classes.pdf",
            caption="../report/fig_classes.rst",
            category="Beyond the paper",
        ),
        png="results/fig_classes.png",
        numbers="results/classes.json",
    log:
        "results/logs/classes.log",
    benchmark:
        benchmark_file("classes")
    conda:
        ENV
    threads: 2
    resources:
        mem_mb=8192,
        runtime=60,
    params:
        nets=CLASSES,
        code=code("classes.py"),
    script:
        "../workflow/scripts/classes.py"


rule density:
    """Stochastic Lanczos quadrature (ours and the peers') against the exact spectrum."""
    input:
        files_of(DENSITY, "checkpoint", "dataset", "spectrum"),
    output:
        figure=reported(
            "results/fig_density.pdf",
            caption="../report/fig_density.rst",
            category="Beyond the paper",
        ),
        png="results/fig_density.png",
        numbers="results/density.json",
    log:
        "results/logs/density.log",
    benchmark:
        benchmark_file("density")
    conda:
        ENV
    threads: 2
    resources:
        mem_mb=4096,
        runtime=120,
    params:
        nets=DENSITY,
        settings={
            key: config["beyond"]["density"][key]
            for key in ("iterations", "vectors", "seed", "peers")
        },
        code=code("density.py"),
    script:
        "../workflow/scripts/density.py"


rule train_subspace:
    """One trajectory of the gradient-subspace experiment: full-batch GD, checkpoints."""
    input:
        dataset=get_trajectory("subspace", "dataset"),
    output:
        trajectory_outputs("subspace"),
    log:
        "results/logs/train_subspace/{trajectory}.log",
    benchmark:
        benchmark_file("train_subspace", "{trajectory}")
    wildcard_constraints:
        trajectory="|".join(map(re.escape, TRAJECTORIES["subspace"])),
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=2048,
        runtime=60,
    params:
        runs=get_trajectory("subspace", "runs"),
        architecture=get_trajectory("subspace", "architecture"),
        init_std=get_trajectory("subspace", "init_std"),
        bias_std=get_trajectory("subspace", "bias_std"),
        training=get_trajectory("subspace", "training"),
        stacked=get_trajectory("subspace", "stacked"),
        device=get_trajectory("subspace", "device"),
        code=code("train_trajectory.py"),
    script:
        "../workflow/scripts/train_trajectory.py"


use rule train_subspace as train_stability with:
    """One trajectory of the edge-of-stability experiment: full-batch GD, checkpoints."""
    input:
        dataset=get_trajectory("stability", "dataset"),
    output:
        trajectory_outputs("stability"),
    log:
        "results/logs/train_stability/{trajectory}.log",
    benchmark:
        benchmark_file("train_stability", "{trajectory}")
    wildcard_constraints:
        trajectory="|".join(map(re.escape, TRAJECTORIES["stability"])),
    params:
        runs=get_trajectory("stability", "runs"),
        architecture=get_trajectory("stability", "architecture"),
        init_std=get_trajectory("stability", "init_std"),
        bias_std=get_trajectory("stability", "bias_std"),
        training=get_trajectory("stability", "training"),
        stacked=get_trajectory("stability", "stacked"),
        device=get_trajectory("stability", "device"),
        code=code("train_trajectory.py"),


rule subspace:
    """The gradient's share in the top-C eigenspace of H along training, and its drift."""
    input:
        trajectory_files("subspace"),
    output:
        figure=reported(
            "results/fig_subspace.pdf",
            caption="../report/fig_subspace.rst",
            category="Beyond the paper",
        ),
        png="results/fig_subspace.png",
        numbers="results/subspace.json",
    log:
        "results/logs/subspace.log",
    benchmark:
        benchmark_file("subspace")
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=4096,
        runtime=60,
    params:
        trajectories=trajectory_entries("subspace"),
        code=code("subspace.py"),
    script:
        "../workflow/scripts/subspace.py"


rule stability:
    """lambda_max along full-batch GD at each step size, against 2 / eta."""
    input:
        trajectory_files("stability"),
    output:
        figure=reported(
            "results/fig_stability.pdf",
            caption="../report/fig_stability.rst",
            category="Beyond the paper",
        ),
        png="results/fig_stability.png",
        numbers="results/stability.json",
    log:
        "results/logs/stability.log",
    benchmark:
        benchmark_file("stability")
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=4096,
        runtime=60,
    params:
        trajectories=trajectory_entries("stability"),
        code=code("stability.py"),
    script:
        "../workflow/scripts/stability.py"
