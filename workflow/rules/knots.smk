# E6 (beyond the paper): exact linear pieces of one-input networks, at
# initialisation and during training of the E4 and E5 networks.


rule knots_init:
    input:
        code=[
            str(PKG / f)
            for f in ("knots.py", "networks.py", "seeding.py", "experiments/knots.py")
        ],
    output:
        "results/jobs/knots/init.nc",
    log:
        "results/logs/knots/init.log",
    conda:
        "../../envs/train.yaml"
    params:
        spec=knots_spec,
        backend=config["backend"],
    shell:
        "python -m empirical_size train --job knots --backend {params.backend}"
        " --spec {params.spec:q} --out {output:q} > {log:q} 2>&1"


rule knots_merge:
    input:
        init="results/jobs/knots/init.nc",
        minima="results/data/minima.nc",
        linearity="results/data/linearity.nc",
        code=MERGE_CODE + [str(PKG / f) for f in ("knots.py", "experiments/knots.py")],
    output:
        "results/data/knots.nc",
    log:
        "results/logs/knots/merge.log",
    conda:
        "../../envs/analysis.yaml"
    params:
        config=as_json(grid.merge_config(config, "knots")),
    shell:
        "python -m empirical_size knots --init {input.init:q} --minima {input.minima:q}"
        " --linearity {input.linearity:q} --config {params.config:q} --out {output:q} > {log:q} 2>&1"


rule knots_plot:
    input:
        data="results/data/knots.nc",
        code=PLOT_CODE,
    output:
        report(
            "results/knots.png",
            caption="../report/knots.rst",
            category="E6: knots",
        ),
    log:
        "results/logs/knots/plot.log",
    conda:
        "../../envs/analysis.yaml"
    params:
        dpi=config["plot"]["dpi"],
    shell:
        "python -m empirical_size plot knots --data {input.data:q} --dpi {params.dpi}"
        " --out {output:q} > {log:q} 2>&1"
