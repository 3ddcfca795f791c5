# MNIST-1K (Sections 3.2-3.4): data, training, exact Hessians and their spectra (or Lanczos
# extremes, when chosen), Figs. 3-6.


rule mnist_dataset:
    """MNIST-1K: the fixed, seeded training and test digits."""
    output:
        "results/mnist/data/mnist1k.h5",
    log:
        "results/logs/mnist_dataset.log",
    benchmark:
        benchmark_file("mnist_dataset")
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
    """One MNIST-1K net (an FC width, or the SB or LB convnet), trained."""
    input:
        dataset="results/mnist/data/mnist1k.h5",
    output:
        init="results/mnist/runs/{net}/checkpoints/init.pt",
        final="results/mnist/runs/{net}/checkpoints/final.pt",
        history="results/mnist/runs/{net}/history.csv",
    log:
        "results/logs/train_mnist/{net}.log",
    benchmark:
        benchmark_file("train_mnist", "{net}")
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
    """The exact Hessian of one trained MNIST-1K net, in HDF5 row blocks."""
    input:
        checkpoint="results/mnist/runs/{net}/checkpoints/final.pt",
        dataset="results/mnist/data/mnist1k.h5",
    output:
        temp("results/mnist/hessians/{net}/final.h5"),
    log:
        "results/logs/mnist_hessian/{net}.log",
    benchmark:
        benchmark_file("mnist_hessian", "{net}")
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
        """Every eigenvalue of one MNIST-1K Hessian, by the spectrum plan of its size."""
        input:
            "results/mnist/hessians/{net}/final.h5",
        output:
            "results/mnist/spectra/{net}/final.h5",
        log:
            "results/logs/mnist_spectrum/{net}.log",
        benchmark:
            benchmark_file("mnist_spectrum", "{net}")
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
        """The k largest and smallest Hessian eigenvalues of one MNIST-1K net (Lanczos)."""
        input:
            checkpoint="results/mnist/runs/{net}/checkpoints/final.pt",
            dataset="results/mnist/data/mnist1k.h5",
        output:
            "results/mnist/spectra/{net}/final.h5",
        log:
            "results/logs/mnist_spectrum/{net}.log",
        benchmark:
            benchmark_file("mnist_spectrum", "{net}")
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
    """Figs. 3 and 5: top and negative eigenvalues of the FC nets by width (and tanh)."""
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
        top_png="results/fig3.png",
        negative_png="results/fig5.png",
        numbers="results/mnist_fc.json",
    log:
        "results/logs/fig3_fig5.log",
    benchmark:
        benchmark_file("fig3_fig5")
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=1024,
        runtime=5,
    params:
        spectra=mnist_spectra("fc"),
        activations=mnist_activations("fc"),
        top=config["mnist"]["spectrum"]["top"],
        title="MNIST-1K, one hidden layer",
        code=code("mnist_figures.py"),
    script:
        "../workflow/scripts/mnist_figures.py"


use rule fig3_fig5 as fig4_fig6 with:
    """Figs. 4 and 6: top and negative eigenvalues of the SB and LB convnets."""
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
        top_png="results/fig4.png",
        negative_png="results/fig6.png",
        numbers="results/mnist_conv.json",
    log:
        "results/logs/fig4_fig6.log",
    benchmark:
        benchmark_file("fig4_fig6")
    params:
        spectra=mnist_spectra("conv"),
        activations=None,  # one width: no width series to compare
        top=config["mnist"]["spectrum"]["top"],
        title="MNIST-1K convnet, small vs large batch",
        code=code("mnist_figures.py"),
