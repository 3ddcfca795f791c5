# MNIST-1K (Sections 3.2-3.4): data, training, exact Hessians and their spectra (or Lanczos
# extremes, when chosen), Figs. 3-6.


rule mnist_dataset:
    output:
        "results/mnist/data/mnist1k.h5",
    log:
        "results/logs/mnist_dataset.log",
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=2048,
        runtime=30,
    params:
        data=plain(config["mnist"]["data"]),
        code=code("mnist_dataset.py"),
    script:
        "../workflow/scripts/mnist_dataset.py"


rule train_mnist:
    input:
        dataset="results/mnist/data/mnist1k.h5",
    output:
        init="results/mnist/runs/{net}/checkpoints/init.pt",
        final="results/mnist/runs/{net}/checkpoints/final.pt",
        history="results/mnist/runs/{net}/history.csv",
    log:
        "results/logs/train_mnist/{net}.log",
    conda:
        ENV
    threads: 2
    resources:
        mem_mb=4096,
        runtime=120,
    params:
        run="{net}",
        architecture=get_mnist_run("architecture"),
        training=get_mnist_run("training"),
        init_std=config["mnist"]["init_std"],
        device=config["mnist"]["device"],
        code=code("train_mnist.py"),
    script:
        "../workflow/scripts/train_mnist.py"


rule mnist_hessian:
    input:
        checkpoint="results/mnist/runs/{net}/checkpoints/final.pt",
        dataset="results/mnist/data/mnist1k.h5",
    output:
        temp("results/mnist/hessians/{net}/final.h5"),
    log:
        "results/logs/mnist_hessian/{net}.log",
    conda:
        ENV
    threads: 2
    resources:
        mem_mb=hessian_mem_mb(
            get_mnist_run("parameter_count"), config["mnist"]["spectrum"]["block_size"]
        ),
        runtime=lambda wildcards, attempt: 240 * attempt,
        block_size=config["mnist"]["spectrum"]["block_size"],  # a resource: see hessian.smk
    params:
        chunk_size=None,
        part=0,
        parts=1,
        device=config["mnist"]["device"],
        code=code("hessian.py"),
    script:
        "../workflow/scripts/hessian.py"


if config["mnist"]["spectrum"]["method"] == "dense":

    rule mnist_spectrum:
        input:
            "results/mnist/hessians/{net}/final.h5",
        output:
            "results/mnist/spectra/{net}/final.h5",
        log:
            "results/logs/mnist_spectrum/{net}.log",
        conda:
            ENV
        threads: 2
        resources:
            mem_mb=plan_mem_mb(get_mnist_spectrum_plan),
            runtime=lambda wildcards, attempt: 240 * attempt,
        params:
            plan=get_mnist_spectrum_plan,
            device=config["mnist"]["device"],
            code=code("spectrum.py"),
        script:
            "../workflow/scripts/spectrum.py"

else:

    rule mnist_spectrum:
        input:
            checkpoint="results/mnist/runs/{net}/checkpoints/final.pt",
            dataset="results/mnist/data/mnist1k.h5",
        output:
            "results/mnist/spectra/{net}/final.h5",
        log:
            "results/logs/mnist_spectrum/{net}.log",
        conda:
            ENV
        threads: 2
        resources:
            mem_mb=4096,
            runtime=lambda wildcards, attempt: 120 * attempt,
        params:
            k=config["mnist"]["spectrum"]["k"],
            tolerance=config["mnist"]["spectrum"]["tolerance"],
            max_products=get_mnist_max_products,
            device=config["mnist"]["device"],
            code=code("lanczos_spectrum.py"),
        script:
            "../workflow/scripts/lanczos_spectrum.py"


rule fig3_fig5:
    input:
        mnist_spectra("fc").values(),
    output:
        top=reported(
            "results/fig3.pdf",
            caption="../report/fig3.rst",
            category="3.2 Number of parameters and eigenvalues",
        ),
        negative=reported(
            "results/fig5.pdf",
            caption="../report/fig5.rst",
            category="3.2 Number of parameters and eigenvalues",
        ),
        numbers="results/mnist_fc.json",
    log:
        "results/logs/fig3_fig5.log",
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=1024,
        runtime=5,
    params:
        spectra=mnist_spectra("fc"),
        top=config["mnist"]["spectrum"]["top"],
        title="MNIST-1K, one hidden layer",
        code=code("mnist_figures.py"),
    script:
        "../workflow/scripts/mnist_figures.py"


use rule fig3_fig5 as fig4_fig6 with:
    input:
        mnist_spectra("conv").values(),
    output:
        top=reported(
            "results/fig4.pdf",
            caption="../report/fig4.rst",
            category="3.3 Large and small batch",
        ),
        negative=reported(
            "results/fig6.pdf",
            caption="../report/fig6.rst",
            category="3.3 Large and small batch",
        ),
        numbers="results/mnist_conv.json",
    log:
        "results/logs/fig4_fig6.log",
    params:
        spectra=mnist_spectra("conv"),
        top=config["mnist"]["spectrum"]["top"],
        title="MNIST-1K convnet, small vs large batch",
        code=code("mnist_figures.py"),
