# The paper's claims against this run: reference values from the library's
# paper_values.yaml, ours from the merged data sets, and a verdict for each.


rule reproduction:
    input:
        degenerate="results/data/degenerate.nc",
        noise_fit="results/data/size.nc",
        linearity="results/data/linearity.nc",
        code=[
            str(PKG / f)
            for f in (
                "reproduction.py",
                "paper_values.yaml",
                "experiments/linearity.py",
            )
        ],
    output:
        report(
            "results/reproduction.csv",
            caption="../report/reproduction.rst",
            category="Reproduction: the paper against this run",
        ),
    log:
        "results/logs/reproduction.log",
    conda:
        "../../envs/analysis.yaml"
    shell:
        "python -m empirical_size reproduce --data degenerate={input.degenerate:q}"
        " size={input.noise_fit:q} linearity={input.linearity:q} --out {output:q} > {log:q} 2>&1"
