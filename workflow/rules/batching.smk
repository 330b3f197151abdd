# E3: mini-batches and the remainder batch (the paper's Figure 2), with the
# two remedies the paper suggests (drop, resample) as variants.
rule batching_train:
    output:
        EXPERIMENTS["batching"].job,
    log:
        EXPERIMENTS["batching"].train_log,
    wildcard_constraints:
        variant=r"keep|drop|resample|full",
    # E3's chain (24 jobs, a merge, four figures) is the longest: after E2's and E7's
    priority: 1
    conda:
        "../../envs/train.yaml"
    threads: config["threads"]
    resources:
        runtime=runtime_of("batching"),
        mem_mb=mem_mb_of("batching"),
    params:
        kind=kind_of("batching"),
        spec=spec_of("batching"),
        code=train_code_of("batching"),
        backend=config["backend"],
        checkpoint=checkpoint_of("batching"),
    shell:
        TRAIN


rule batching_merge:
    input:
        jobs=EXPERIMENTS["batching"].jobs(config),
    output:
        EXPERIMENTS["batching"].data,
    log:
        EXPERIMENTS["batching"].log("merge"),
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
        code=MERGE_CODE,
    shell:
        "python -m empirical_size merge --experiment batching --grid variant depth n"
        " --broadcast variant={params.variants} --config {params.config:q} --attrs {params.attrs:q}"
        " --out {output:q} {input.jobs:q} > {log:q} 2>&1"


rule fig2:
    input:
        data=EXPERIMENTS["batching"].data,
        paper=PAPER_CONFIG,
    output:
        report(
            "results/fig2.png",
            caption="../report/fig2.rst",
            category="Figure 2: batching",
        ),
    log:
        EXPERIMENTS["batching"].log("fig2"),
    conda:
        "../../envs/analysis.yaml"
    params:
        cmap=config["plot"]["cmap"],
        dpi=config["plot"]["dpi"],
        code=PLOT_CODE,
    shell:
        "python -m empirical_size plot fig2 --variant keep --data {input.data:q} --paper {input.paper:q} --cmap {params.cmap:q}"
        " --dpi {params.dpi} --out {output:q} > {log:q} 2>&1"


rule fig2_remedy:
    input:
        data=EXPERIMENTS["batching"].data,
        paper=PAPER_CONFIG,
    output:
        report(
            "results/fig2_{variant}.png",
            caption="../report/fig2_remedy.rst",
            category="Figure 2: batching",
        ),
    log:
        EXPERIMENTS["batching"].log("fig2_{variant}"),
    wildcard_constraints:
        variant=r"drop|resample",
    conda:
        "../../envs/analysis.yaml"
    params:
        cmap=config["plot"]["cmap"],
        dpi=config["plot"]["dpi"],
        code=PLOT_CODE,
    shell:
        "python -m empirical_size plot fig2 --variant {wildcards.variant} --data {input.data:q} --paper {input.paper:q}"
        " --cmap {params.cmap:q} --dpi {params.dpi} --out {output:q} > {log:q} 2>&1"


rule fig2_compare:
    input:
        data=EXPERIMENTS["batching"].data,
        paper=PAPER_CONFIG,
    output:
        report(
            "results/fig2_compare.png",
            caption="../report/fig2_compare.rst",
            category="Figure 2: batching",
        ),
    log:
        EXPERIMENTS["batching"].log("fig2_compare"),
    conda:
        "../../envs/analysis.yaml"
    params:
        cmap=config["plot"]["cmap"],
        dpi=config["plot"]["dpi"],
        code=PLOT_CODE,
    shell:
        "python -m empirical_size plot fig2_compare --data {input.data:q} --paper {input.paper:q} --cmap {params.cmap:q}"
        " --dpi {params.dpi} --out {output:q} > {log:q} 2>&1"
