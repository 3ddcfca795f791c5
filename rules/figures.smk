# The paper's figures, each from the spectra it shows.


def fig1_spectrum(point):
    fig1 = config["fig1"]
    return run_path(
        SPECTRUM, fig1["algorithm"], fig1["activation"], fig1["n_classes"],
        fig1["cov"], point=point,
    )


def fig2_spectra():
    fig2 = config["fig2"]
    return {
        f"k{k}": run_path(
            SPECTRUM, fig2["algorithm"], fig2["activation"], k, fig2["cov"],
            point="final",
        )
        for k in fig2["n_classes"]
    }


rule fig1:
    input:
        initial=fig1_spectrum("init"),
        final=fig1_spectrum("final"),
    output:
        "results/fig1.pdf",
    log:
        LOGS + "/fig1.log",
    threads: 1
    resources:
        mem_mb=1024,
        runtime=5,
    conda:
        ENV
    script:
        "../workflow/scripts/fig1.py"


rule fig2:
    input:
        **fig2_spectra(),
    output:
        "results/fig2.pdf",
    log:
        LOGS + "/fig2.log",
    params:
        labels=[f"k = {k}" for k in config["fig2"]["n_classes"]],
        top=config["fig2"]["top"],
        title=(
            f"End of {config['fig2']['algorithm'].upper()}, "
            f"{config['fig2']['activation']}, cov = {number(config['fig2']['cov'])}"
        ),
    threads: 1
    resources:
        mem_mb=1024,
        runtime=5,
    conda:
        ENV
    script:
        "../workflow/scripts/fig2.py"
