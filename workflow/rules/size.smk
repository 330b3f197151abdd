# E2: error and size of networks fitting noise (the paper's Figure 1).
wildcard_constraints:
    depth=r"\d+",
    n=r"\d+(-\d+)?",
    first=r"\d+",
    last=r"\d+",


rule size_train:
    output:
        EXPERIMENTS["size"].job,
    log:
        EXPERIMENTS["size"].train_log,
    # E2's jobs are the longest (up to 20 s on 2 cores): started first, none is left running alone at the end
    priority: 2
    conda:
        "../../envs/train.yaml"
    threads: config["threads"]
    resources:
        runtime=runtime_of("size"),
        mem_mb=mem_mb_of("size"),
    params:
        kind=kind_of("size"),
        spec=spec_of("size"),
        code=train_code_of("size"),
        backend=config["backend"],
        checkpoint=checkpoint_of("size"),
    shell:
        TRAIN


rule size_merge:
    input:
        jobs=EXPERIMENTS["size"].jobs(config),
    output:
        EXPERIMENTS["size"].data,
    log:
        EXPERIMENTS["size"].log("merge"),
    conda:
        "../../envs/analysis.yaml"
    params:
        config=as_json(grid.merge_config(config, "size")),
        code=MERGE_CODE,
    shell:
        "python -m empirical_size merge --experiment size --grid depth n --config {params.config:q}"
        " --out {output:q} {input.jobs:q} > {log:q} 2>&1"


rule fig1:
    input:
        data=EXPERIMENTS["size"].data,
        paper=PAPER_CONFIG,
    output:
        report(
            "results/fig1.png",
            caption="../report/fig1.rst",
            category="Figure 1: error and size",
        ),
    log:
        EXPERIMENTS["size"].log("fig1"),
    conda:
        "../../envs/analysis.yaml"
    params:
        cmap=config["plot"]["cmap"],
        dpi=config["plot"]["dpi"],
        code=PLOT_CODE,
    shell:
        "python -m empirical_size plot fig1 --data {input.data:q} --paper {input.paper:q} --cmap {params.cmap:q} --dpi {params.dpi}"
        " --out {output:q} > {log:q} 2>&1"
