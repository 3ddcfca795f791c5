# Appendix B: the Hessian of logistic regression against random-matrix theory (Fig. 10).


rule fig10:
    """Fig. 10: logistic-regression Hessians against random-matrix theory (Appendix B)."""
    output:
        figure=reported(
            "results/fig10.pdf",
            caption="../report/fig10.rst",
            category="Appendix B: random-matrix theory",
        ),
        png="results/fig10.png",
        numbers="results/fig10.json",
    log:
        "results/logs/fig10.log",
    benchmark:
        benchmark_file("fig10")
    conda:
        ENV
    threads: 2
    resources:
        mem_mb=2048,
        runtime=10,
    params:
        settings=plain(config["fig10"]),
        code=code("fig10.py"),
    script:
        "../workflow/scripts/fig10.py"
