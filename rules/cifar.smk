# CIFAR-10 (Section 4.1): large batch then small batch, the straight line through the two
# solutions (Figs. 7-9), and, beyond the paper, the top Hessian eigenvalues at both ends.


rule cifar_dataset:
    """The CIFAR-10 training and test images, normalised per channel."""
    output:
        "results/cifar/data/cifar10.h5",
    log:
        "results/logs/cifar_dataset.log",
    benchmark:
        benchmark_file("cifar_dataset")
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=4096,
        runtime=60,
    params:
        data=plain(config["cifar"]["data"]),
        code=code("cifar_dataset.py"),
    script:
        "../workflow/scripts/cifar_dataset.py"


rule train_cifar_part:
    """One part of the CIFAR-10 run: large batch, then small batch from its end."""
    input:
        dataset="results/cifar/data/cifar10.h5",
        start=get_cifar_start,
    output:
        "results/cifar/part{part}.h5",
    log:
        "results/logs/train_cifar_part{part}.log",
    benchmark:
        benchmark_file("train_cifar_part", "part{part}")
    conda:
        ENV
    threads: 2
    resources:
        mem_mb=lambda wildcards, attempt: 8192 * attempt,
        runtime=lambda wildcards, attempt: 24 * 60 * attempt,
        gpu=config["cifar"]["gpus"],
    params:
        settings=get_cifar_settings,
        architecture=plain(config["cifar"]["model"]),
        device=config["cifar"]["device"],
        code=code("train_cifar_part.py"),
    script:
        "../workflow/scripts/train_cifar_part.py"


rule cifar_line:
    """Loss and accuracy on the line through the LB and SB CIFAR-10 solutions."""
    input:
        dataset="results/cifar/data/cifar10.h5",
        part1=CIFAR_ENDS["lb"],
        part2=CIFAR_ENDS["sb"],
    output:
        "results/cifar/line.csv",
    log:
        "results/logs/cifar_line.log",
    benchmark:
        benchmark_file("cifar_line")
    conda:
        ENV
    threads: 2
    resources:
        mem_mb=lambda wildcards, attempt: 8192 * attempt,
        runtime=lambda wildcards, attempt: 12 * 60 * attempt,
        gpu=config["cifar"]["gpus"],
    params:
        line=plain(config["cifar"]["line"]),
        eval_batch_size=config["cifar"]["train"]["eval_batch_size"],
        device=config["cifar"]["device"],
        code=code("cifar_line.py"),
    script:
        "../workflow/scripts/cifar_line.py"


rule cifar_top_eigenvalues:
    """The top Hessian eigenvalues at one end of the CIFAR-10 run (Lanczos)."""
    input:
        dataset="results/cifar/data/cifar10.h5",
        trajectory=lambda wildcards: CIFAR_ENDS[wildcards.end],
    output:
        "results/cifar/top_eigenvalues_{end}.h5",
    log:
        "results/logs/cifar_top_eigenvalues_{end}.log",
    benchmark:
        benchmark_file("cifar_top_eigenvalues", "{end}")
    conda:
        ENV
    threads: 2
    resources:
        mem_mb=lambda wildcards, attempt: 16384 * attempt,
        runtime=lambda wildcards, attempt: 12 * 60 * attempt,
        gpu=config["cifar"]["gpus"],
    params:
        spectrum=plain(config["cifar"]["spectrum"]),
        device=config["cifar"]["device"],
        code=code("cifar_top_eigenvalues.py"),
    script:
        "../workflow/scripts/cifar_top_eigenvalues.py"


rule fig8:
    """Fig. 8: the CIFAR-10 training curves of both parts."""
    input:
        part1=CIFAR_ENDS["lb"],
        part2=CIFAR_ENDS["sb"],
        dataset="results/cifar/data/cifar10.h5",  # its sizes, beside the accuracy gain
    output:
        figure=reported(
            "results/fig8.pdf",
            caption="../report/fig8.rst",
            category="4.1 Large and small batch in one basin",
        ),
        png="results/fig8.png",
        numbers="results/cifar_training.json",
    log:
        "results/logs/fig8.log",
    benchmark:
        benchmark_file("fig8")
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=2048,
        runtime=10,
    params:
        code=code("fig8.py"),
    script:
        "../workflow/scripts/fig8.py"


rule fig7_fig9:
    """Figs. 7 and 9: the loss and accuracy on the line between the two solutions."""
    input:
        "results/cifar/line.csv",
    output:
        fig9=reported(
            "results/fig9.pdf",
            caption="../report/fig9.rst",
            category="4.1 Large and small batch in one basin",
        ),
        fig7=reported(
            "results/fig7.pdf",
            caption="../report/fig7.rst",
            category="4.1 Large and small batch in one basin",
        ),
        fig9_png="results/fig9.png",
        fig7_png="results/fig7.png",
        numbers="results/cifar_line.json",
    log:
        "results/logs/fig7_fig9.log",
    benchmark:
        benchmark_file("fig7_fig9")
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=1024,
        runtime=5,
    params:
        code=code("fig7_fig9.py"),
    script:
        "../workflow/scripts/fig7_fig9.py"
