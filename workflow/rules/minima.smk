# E4: local minima on a sawtooth (the paper's Figure 3), zero initial biases
# (the paper) against non-zero ones.


wildcard_constraints:
    bias=r"zero|uniform",


rule minima_train:
    input:
        code=TRAIN_FUNCTION_CODE + [str(PKG / "experiments" / "minima.py")],
    output:
        grid.MINIMA_JOB,
    log:
        "results/logs/minima/train_{bias}.log",
    conda:
        "../../envs/train.yaml"
    threads: config["threads"]
    resources:
        gpu=config["cluster"]["gpus"],
        runtime=runtime_of(minima_spec),
        mem_mb=mem_mb_of(minima_spec),
    params:
        spec=minima_spec,
        backend=config["backend"],
        checkpoint=lambda wildcards, output: grid.checkpoint_path(output[0]),
    shell:
        "python -m empirical_size train --job minima --backend {params.backend} --threads {threads}"
        " --spec {params.spec:q} --checkpoint {params.checkpoint:q}"
        " --out {output:q} > {log:q} 2>&1"


rule minima_merge:
    input:
        jobs=grid.minima_jobs(config),
        code=MERGE_CODE,
    output:
        "results/data/minima.nc",
    log:
        "results/logs/minima/merge.log",
    conda:
        "../../envs/analysis.yaml"
    params:
        config=as_json(grid.merge_config(config, "minima")),
    shell:
        "python -m empirical_size merge --job minima --experiment minima --grid variant"
        " --config {params.config:q} --out {output:q} {input.jobs:q} > {log:q} 2>&1"


rule fig3:
    input:
        data="results/data/minima.nc",
        code=PLOT_CODE,
    output:
        report(
            "results/fig3.png",
            caption="../report/fig3.rst",
            category="Figure 3: local minima",
        ),
    log:
        "results/logs/fig3.log",
    conda:
        "../../envs/analysis.yaml"
    params:
        dpi=config["plot"]["dpi"],
    shell:
        "python -m empirical_size plot fig3 --data {input.data:q} --dpi {params.dpi}"
        " --out {output:q} > {log:q} 2>&1"
