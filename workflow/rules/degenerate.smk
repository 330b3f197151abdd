# E1: degenerate neurons (paper section 2.1).
rule degenerate_train:
    output:
        EXPERIMENTS["degenerate"].job,
    log:
        EXPERIMENTS["degenerate"].train_log,
    conda:
        "../../envs/train.yaml"
    threads: config["threads"]
    resources:
        runtime=runtime_of("degenerate"),
        mem_mb=mem_mb_of("degenerate"),
    params:
        kind=kind_of("degenerate"),
        spec=spec_of("degenerate"),
        code=train_code_of("degenerate"),
        backend=config["backend"],
        checkpoint=checkpoint_of("degenerate"),
    shell:
        TRAIN


rule degenerate_merge:
    input:
        jobs=EXPERIMENTS["degenerate"].jobs(config),
    output:
        EXPERIMENTS["degenerate"].data,
    log:
        EXPERIMENTS["degenerate"].log("merge"),
    conda:
        "../../envs/analysis.yaml"
    params:
        config=as_json(grid.merge_config(config, "degenerate")),
        code=MERGE_CODE,
    shell:
        "python -m empirical_size merge --experiment degenerate"
        " --config {params.config:q} --out {output:q} {input.jobs:q} > {log:q} 2>&1"


rule degenerate_table:
    input:
        data=EXPERIMENTS["degenerate"].data,
    output:
        report(
            "results/degenerate.csv",
            caption="../report/degenerate_table.rst",
            category="E1: degenerate neurons",
        ),
    log:
        EXPERIMENTS["degenerate"].log("table"),
    conda:
        "../../envs/analysis.yaml"
    params:
        code=code.fingerprint(EXPERIMENTS["degenerate"].module),
    shell:
        "python -m empirical_size table degenerate --data {input.data:q} --out {output:q} > {log:q} 2>&1"


rule degenerate_plot:
    input:
        data=EXPERIMENTS["degenerate"].data,
        paper=PAPER_CONFIG,
    output:
        report(
            "results/degenerate.png",
            caption="../report/degenerate.rst",
            category="E1: degenerate neurons",
        ),
    log:
        EXPERIMENTS["degenerate"].log("plot"),
    conda:
        "../../envs/analysis.yaml"
    params:
        marked=config["degenerate"]["report_layers"],
        dpi=config["plot"]["dpi"],
        code=PLOT_CODE,
    shell:
        "python -m empirical_size plot degenerate --data {input.data:q} --paper {input.paper:q} --marked {params.marked}"
        " --dpi {params.dpi} --out {output:q} > {log:q} 2>&1"
