# E5: linearity of training (the paper's Figures 4 and 5); and its frequency
# sweep (beyond the paper): one job per frequency of linearity.frequencies.
rule linearity_train:
    output:
        EXPERIMENTS["linearity"].job,
    log:
        EXPERIMENTS["linearity"].train_log,
    wildcard_constraints:
        part=r"all|frequency\d+",
    conda:
        "../../envs/train.yaml"
    threads: config["threads"]
    resources:
        runtime=runtime_of("linearity"),
        mem_mb=mem_mb_of("linearity"),
    params:
        kind=kind_of("linearity"),
        spec=spec_of("linearity"),
        code=train_code_of("linearity"),
        backend=config["backend"],
        checkpoint=checkpoint_of("linearity"),
    shell:
        TRAIN


rule linearity_merge:
    input:
        jobs=EXPERIMENTS["linearity"].jobs(config),
    output:
        EXPERIMENTS["linearity"].data,
    log:
        EXPERIMENTS["linearity"].log("merge"),
    conda:
        "../../envs/analysis.yaml"
    params:
        config=as_json(grid.merge_config(config, "linearity")),
        code=code.fingerprint("empirical_size.merge", EXPERIMENTS["linearity"].module),
    shell:
        "python -m empirical_size merge --experiment linearity"
        " --config {params.config:q} --out {output:q} {input.jobs:q} > {log:q} 2>&1"


rule fig4_fig5:
    input:
        data=EXPERIMENTS["linearity"].data,
        paper=PAPER_CONFIG,
    output:
        fig4=report(
            "results/fig4.png",
            caption="../report/fig4.rst",
            category="Figures 4 and 5: linearity",
        ),
        fig5=report(
            "results/fig5.png",
            caption="../report/fig5.rst",
            category="Figures 4 and 5: linearity",
        ),
    log:
        EXPERIMENTS["linearity"].log("fig4_fig5"),
    conda:
        "../../envs/analysis.yaml"
    params:
        dpi=config["plot"]["dpi"],
        code=PLOT_CODE,
    shell:
        "(python -m empirical_size plot fig4 --data {input.data:q} --paper {input.paper:q} --dpi {params.dpi} --out {output.fig4:q}"
        " && python -m empirical_size plot fig5 --data {input.data:q} --paper {input.paper:q} --dpi {params.dpi}"
        " --out {output.fig5:q}) > {log:q} 2>&1"
