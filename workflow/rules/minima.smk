# E4: local minima on a sawtooth (the paper's Figure 3), zero initial biases
# (the paper) against non-zero ones.
rule minima_train:
    output:
        EXPERIMENTS["minima"].job,
    log:
        EXPERIMENTS["minima"].train_log,
    wildcard_constraints:
        variant=r"zero|uniform",
    conda:
        "../../envs/train.yaml"
    threads: config["threads"]
    resources:
        runtime=runtime_of("minima"),
        mem_mb=mem_mb_of("minima"),
    params:
        kind=kind_of("minima"),
        spec=spec_of("minima"),
        code=train_code_of("minima"),
        backend=config["backend"],
        checkpoint=checkpoint_of("minima"),
    shell:
        TRAIN


rule minima_merge:
    input:
        jobs=EXPERIMENTS["minima"].jobs(config),
    output:
        EXPERIMENTS["minima"].data,
    log:
        EXPERIMENTS["minima"].log("merge"),
    conda:
        "../../envs/analysis.yaml"
    params:
        config=as_json(grid.merge_config(config, "minima")),
        code=MERGE_CODE,
    shell:
        "python -m empirical_size merge --experiment minima --grid variant"
        " --config {params.config:q} --out {output:q} {input.jobs:q} > {log:q} 2>&1"


rule fig3:
    input:
        data=EXPERIMENTS["minima"].data,
        paper=PAPER_CONFIG,
    output:
        report(
            "results/fig3.png",
            caption="../report/fig3.rst",
            category="Figure 3: local minima",
        ),
    log:
        EXPERIMENTS["minima"].log("fig3"),
    conda:
        "../../envs/analysis.yaml"
    params:
        dpi=config["plot"]["dpi"],
        code=PLOT_CODE,
    shell:
        "python -m empirical_size plot fig3 --data {input.data:q} --paper {input.paper:q} --dpi {params.dpi}"
        " --out {output:q} > {log:q} 2>&1"
