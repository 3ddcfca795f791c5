# The paper's figures, each from the spectra it shows.


rule fig1:
    input:
        initial=blob_spectrum("fig1", config["fig1"]["n_classes"], "init"),
        final=blob_spectrum("fig1", config["fig1"]["n_classes"], "final"),
    output:
        "results/fig1.pdf",
    log:
        "results/logs/fig1.log",
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=1024,
        runtime=5,
    script:
        "../workflow/scripts/fig1.py"


rule fig2:
    input:
        **fig2_spectra(),
    output:
        "results/fig2.pdf",
    log:
        "results/logs/fig2.log",
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=1024,
        runtime=5,
    params:
        labels=[f"k = {k}" for k in config["fig2"]["n_classes"]],
        top=config["fig2"]["top"],
        title=fig2_title(),
    script:
        "../workflow/scripts/fig2.py"
