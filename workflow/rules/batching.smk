# E3: mini-batches and the remainder batch (the paper's Figure 2), with the
# two remedies the paper suggests (drop, resample) as variants.


wildcard_constraints:
    variant=r"keep|drop|resample|full",


rule batching_train:
    input:
        code=TRAIN_NOISE_CODE,
    output:
        grid.BATCHING_JOB,
    log:
        "results/logs/batching/train_{variant}_depth{depth}_n{n}_trials{first}-{last}.log",
    # E3's chain (24 jobs, a merge, four figures) is the longest: after E2's and E7's
    priority: 1
    conda:
        "../../envs/train.yaml"
    threads: config["threads"]
    resources:
        gpu=config["cluster"]["gpus"],
        runtime=runtime_of(batching_spec),
        mem_mb=mem_mb_of(batching_spec),
    params:
        spec=batching_spec,
        backend=config["backend"],
        checkpoint=lambda wildcards, output: grid.checkpoint_path(output[0]),
    shell:
        "python -m empirical_size train --job noise_fit --backend {params.backend} --threads {threads}"
        " --spec {params.spec:q} --checkpoint {params.checkpoint:q}"
        " --out {output:q} > {log:q} 2>&1"


rule batching_merge:
    input:
        jobs=grid.batching_jobs(config),
        code=MERGE_CODE,
    output:
        "results/data/batching.nc",
    log:
        "results/logs/batching/merge.log",
    conda:
        "../../envs/analysis.yaml"
    params:
        config=as_json(grid.merge_config(config, "batching")),
        variants=",".join(config["batching"]["variants"]),
        attrs=as_json(
            {
                k: config["batching"][k]
                for k in ("batch_size", "full_batch_below", "shuffle")
            }
        ),
    shell:
        "python -m empirical_size merge --experiment batching --grid variant depth n"
        " --broadcast variant={params.variants} --config {params.config:q} --attrs {params.attrs:q}"
        " --out {output:q} {input.jobs:q} > {log:q} 2>&1"


rule fig2:
    input:
        data="results/data/batching.nc",
        code=PLOT_CODE,
    output:
        report(
            "results/fig2.png",
            caption="../report/fig2.rst",
            category="Figure 2: batching",
        ),
    log:
        "results/logs/fig2.log",
    conda:
        "../../envs/analysis.yaml"
    params:
        cmap=config["plot"]["cmap"],
        dpi=config["plot"]["dpi"],
    shell:
        "python -m empirical_size plot fig2 --variant keep --data {input.data:q} --cmap {params.cmap:q}"
        " --dpi {params.dpi} --out {output:q} > {log:q} 2>&1"


rule fig2_remedy:
    input:
        data="results/data/batching.nc",
        code=PLOT_CODE,
    output:
        report(
            "results/fig2_{variant}.png",
            caption="../report/fig2_remedy.rst",
            category="Figure 2: batching",
        ),
    log:
        "results/logs/fig2_{variant}.log",
    wildcard_constraints:
        variant=r"drop|resample",
    conda:
        "../../envs/analysis.yaml"
    params:
        cmap=config["plot"]["cmap"],
        dpi=config["plot"]["dpi"],
    shell:
        "python -m empirical_size plot fig2 --variant {wildcards.variant} --data {input.data:q}"
        " --cmap {params.cmap:q} --dpi {params.dpi} --out {output:q} > {log:q} 2>&1"


rule fig2_compare:
    input:
        data="results/data/batching.nc",
        code=PLOT_CODE,
    output:
        report(
            "results/fig2_compare.png",
            caption="../report/fig2_compare.rst",
            category="Figure 2: batching",
        ),
    log:
        "results/logs/fig2_compare.log",
    conda:
        "../../envs/analysis.yaml"
    params:
        cmap=config["plot"]["cmap"],
        dpi=config["plot"]["dpi"],
    shell:
        "python -m empirical_size plot fig2_compare --data {input.data:q} --cmap {params.cmap:q}"
        " --dpi {params.dpi} --out {output:q} > {log:q} 2>&1"
