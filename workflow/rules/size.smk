# E2: error and size of networks fitting noise (the paper's Figure 1).


wildcard_constraints:
    depth=r"\d+",
    n=r"\d+(-\d+)?",
    first=r"\d+",
    last=r"\d+",


rule size_train:
    input:
        code=TRAIN_NOISE_CODE,
    output:
        grid.SIZE_JOB,
    log:
        "results/logs/size/train_depth{depth}_n{n}_trials{first}-{last}.log",
    # E2's jobs are the longest (up to 20 s on 2 cores): started first, none is left running alone at the end
    priority: 2
    conda:
        "../../envs/train.yaml"
    threads: config["threads"]
    resources:
        gpu=config["cluster"]["gpus"],
        runtime=runtime_of(size_spec),
        mem_mb=mem_mb_of(size_spec),
    params:
        spec=size_spec,
        backend=config["backend"],
        checkpoint=lambda wildcards, output: grid.checkpoint_path(output[0]),
    shell:
        "python -m empirical_size train --job noise_fit --backend {params.backend} --threads {threads}"
        " --spec {params.spec:q} --checkpoint {params.checkpoint:q}"
        " --out {output:q} > {log:q} 2>&1"


rule size_merge:
    input:
        jobs=grid.size_jobs(config),
        code=MERGE_CODE,
    output:
        "results/data/size.nc",
    log:
        "results/logs/size/merge.log",
    conda:
        "../../envs/analysis.yaml"
    params:
        config=as_json(grid.merge_config(config, "size")),
    shell:
        "python -m empirical_size merge --experiment size --grid depth n --config {params.config:q}"
        " --out {output:q} {input.jobs:q} > {log:q} 2>&1"


rule fig1:
    input:
        data="results/data/size.nc",
        code=PLOT_CODE,
    output:
        report(
            "results/fig1.png",
            caption="../report/fig1.rst",
            category="Figure 1: error and size",
        ),
    log:
        "results/logs/fig1.log",
    conda:
        "../../envs/analysis.yaml"
    params:
        cmap=config["plot"]["cmap"],
        dpi=config["plot"]["dpi"],
    shell:
        "python -m empirical_size plot fig1 --data {input.data:q} --cmap {params.cmap:q} --dpi {params.dpi}"
        " --out {output:q} > {log:q} 2>&1"
