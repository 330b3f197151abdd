# E1: degenerate neurons (paper section 2.1).


rule degenerate_train:
    input:
        code=TRAIN_CODE
        + [
            str(PKG / f)
            for f in (
                "measures.py",
                "experiments/common.py",
                "experiments/degenerate.py",
            )
        ],
    output:
        "results/jobs/degenerate/all.nc",
    log:
        "results/logs/degenerate/train.log",
    conda:
        "../../envs/train.yaml"
    threads: config["threads"]
    resources:
        gpu=config["cluster"]["gpus"],
        runtime=runtime_of(degenerate_spec),
        mem_mb=mem_mb_of(degenerate_spec),
    params:
        spec=degenerate_spec,
        backend=config["backend"],
    shell:
        "python -m empirical_size train --job degenerate --backend {params.backend} --threads {threads}"
        " --spec {params.spec:q}"
        " --out {output:q} > {log:q} 2>&1"


rule degenerate_merge:
    input:
        jobs="results/jobs/degenerate/all.nc",
        code=MERGE_CODE,
    output:
        "results/data/degenerate.nc",
    log:
        "results/logs/degenerate/merge.log",
    conda:
        "../../envs/analysis.yaml"
    params:
        config=as_json(grid.merge_config(config, "degenerate")),
    shell:
        "python -m empirical_size merge --job degenerate --experiment degenerate"
        " --config {params.config:q} --out {output:q} {input.jobs:q} > {log:q} 2>&1"


rule degenerate_table:
    input:
        data="results/data/degenerate.nc",
        code=[str(PKG / "experiments" / "degenerate.py")],
    output:
        report(
            "results/degenerate.csv",
            caption="../report/degenerate_table.rst",
            category="E1: degenerate neurons",
        ),
    log:
        "results/logs/degenerate/table.log",
    conda:
        "../../envs/analysis.yaml"
    shell:
        "python -m empirical_size table degenerate --data {input.data:q} --out {output:q} > {log:q} 2>&1"


rule degenerate_plot:
    input:
        data="results/data/degenerate.nc",
        code=PLOT_CODE,
    output:
        report(
            "results/degenerate.png",
            caption="../report/degenerate.rst",
            category="E1: degenerate neurons",
        ),
    log:
        "results/logs/degenerate/plot.log",
    conda:
        "../../envs/analysis.yaml"
    params:
        marked=config["degenerate"]["report_layers"],
        dpi=config["plot"]["dpi"],
    shell:
        "python -m empirical_size plot degenerate --data {input.data:q} --marked {params.marked}"
        " --dpi {params.dpi} --out {output:q} > {log:q} 2>&1"
