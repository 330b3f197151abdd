# E7 (beyond the paper): E1's and E2's headline numbers under settings the
# paper does not pin down (Adadelta epsilon and learning rate, precision,
# batch size, input distribution), one changed at a time; E2's at each depth
# of sensitivity.size. The baseline reuses E1's and E2's jobs.


wildcard_constraints:
    setting=r"[A-Za-z0-9_.+-]+",
    part=r"degenerate|size_depth\d+",


rule sensitivity_train:
    input:
        code=TRAIN_NOISE_CODE
        + [str(PKG / f) for f in ("measures.py", "experiments/degenerate.py")],
    output:
        grid.SENSITIVITY_JOB,
    log:
        "results/logs/sensitivity/{setting}_{part}.log",
    # E7's jobs are among the longest: started first (see size_train)
    priority: 2
    conda:
        "../../envs/train.yaml"
    threads: config["threads"]
    resources:
        gpu=config["cluster"]["gpus"],
        runtime=runtime_of(sensitivity_spec),
        mem_mb=mem_mb_of(sensitivity_spec),
    params:
        spec=sensitivity_spec,
        job=lambda wildcards: grid.sensitivity_part(wildcards.part)[0],
        checkpoint=sensitivity_checkpoint,
        backend=config["backend"],
    shell:
        "python -m empirical_size train --job {params.job} --backend {params.backend} --threads {threads}"
        " --spec {params.spec:q} {params.checkpoint} --out {output:q} > {log:q} 2>&1"


rule sensitivity_merge:
    input:
        degenerate=[path for _, path in grid.sensitivity_jobs(config, "degenerate")],
        noise_fit=[path for _, path in grid.sensitivity_jobs(config, "size")],
        code=MERGE_CODE + [str(PKG / "sensitivity.py")],
    output:
        "results/data/sensitivity.nc",
    log:
        "results/logs/sensitivity/merge.log",
    conda:
        "../../envs/analysis.yaml"
    params:
        degenerate=sensitivity_pairs("degenerate"),
        noise_fit=sensitivity_pairs("size"),
        settings=as_json(grid.sensitivity_settings(config)),
        config=as_json(grid.sensitivity_merge_config(config)),
    shell:
        "python -m empirical_size sensitivity-merge --degenerate {params.degenerate} --size {params.noise_fit}"
        " --settings {params.settings:q} --config {params.config:q} --out {output:q} > {log:q} 2>&1"


rule sensitivity_table:
    input:
        data="results/data/sensitivity.nc",
        code=[str(PKG / "sensitivity.py")],
    output:
        report(
            "results/sensitivity.csv",
            caption="../report/sensitivity_table.rst",
            category="E7: sensitivity",
        ),
    log:
        "results/logs/sensitivity/table.log",
    conda:
        "../../envs/analysis.yaml"
    shell:
        "python -m empirical_size table sensitivity --data {input.data:q} --out {output:q} > {log:q} 2>&1"


rule sensitivity_plot:
    input:
        data="results/data/sensitivity.nc",
        code=PLOT_CODE
        + [
            str(PKG / f)
            for f in ("sensitivity.py", "reproduction.py", "paper_values.yaml")
        ],
    output:
        report(
            "results/sensitivity.png",
            caption="../report/sensitivity.rst",
            category="E7: sensitivity",
        ),
    log:
        "results/logs/sensitivity/plot.log",
    conda:
        "../../envs/analysis.yaml"
    params:
        dpi=config["plot"]["dpi"],
    shell:
        "python -m empirical_size plot sensitivity --data {input.data:q} --dpi {params.dpi}"
        " --out {output:q} > {log:q} 2>&1"


rule sensitivity_lr_plot:
    input:
        data="results/data/sensitivity.nc",
        code=PLOT_CODE
        + [
            str(PKG / f)
            for f in ("sensitivity.py", "reproduction.py", "paper_values.yaml")
        ],
    output:
        report(
            "results/sensitivity_lr.png",
            caption="../report/sensitivity_lr.rst",
            category="E7: sensitivity",
        ),
    log:
        "results/logs/sensitivity/plot_lr.log",
    conda:
        "../../envs/analysis.yaml"
    params:
        dpi=config["plot"]["dpi"],
    shell:
        "python -m empirical_size plot sensitivity_lr --data {input.data:q} --dpi {params.dpi}"
        " --out {output:q} > {log:q} 2>&1"
