# E7 (beyond the paper): E1's and E2's headline numbers under settings the
# paper does not pin down (Adadelta epsilon and learning rate, precision,
# batch size, input distribution), one changed at a time; E2's at each depth
# of sensitivity.size. The baseline reuses E1's and E2's jobs.
wildcard_constraints:
    setting=r"[A-Za-z0-9_.+-]+",
    part=r"degenerate|size_depth\d+",


rule sensitivity_train:
    output:
        EXPERIMENTS["sensitivity"].job,
    log:
        EXPERIMENTS["sensitivity"].train_log,
    # E7's jobs are among the longest: started first (see size_train)
    priority: 2
    conda:
        "../../envs/train.yaml"
    threads: config["threads"]
    resources:
        runtime=runtime_of("sensitivity"),
        mem_mb=mem_mb_of("sensitivity"),
    params:
        kind=kind_of("sensitivity"),
        spec=spec_of("sensitivity"),
        code=train_code_of("sensitivity"),
        backend=config["backend"],
        checkpoint=checkpoint_of("sensitivity"),
    shell:
        TRAIN


rule sensitivity_merge:
    input:
        degenerate=[path for _, path in grid.sensitivity_jobs(config, "degenerate")],
        sizes=[path for _, path in grid.sensitivity_jobs(config, "size")],
    output:
        EXPERIMENTS["sensitivity"].data,
    log:
        EXPERIMENTS["sensitivity"].log("merge"),
    conda:
        "../../envs/analysis.yaml"
    params:
        degenerate=sensitivity_pairs("degenerate"),
        sizes=sensitivity_pairs("size"),
        settings=as_json(grid.sensitivity_settings(config)),
        config=as_json(grid.sensitivity_merge_config(config)),
        # the merge reads the baseline's knobs from grid
        code=code.fingerprint(EXPERIMENTS["sensitivity"].module, "empirical_size.grid"),
    shell:
        "python -m empirical_size sensitivity-merge --degenerate {params.degenerate} --size {params.sizes}"
        " --settings {params.settings:q} --config {params.config:q} --out {output:q} > {log:q} 2>&1"


rule sensitivity_table:
    input:
        data=EXPERIMENTS["sensitivity"].data,
    output:
        report(
            "results/sensitivity.csv",
            caption="../report/sensitivity_table.rst",
            category="E7: sensitivity",
        ),
    log:
        EXPERIMENTS["sensitivity"].log("table"),
    conda:
        "../../envs/analysis.yaml"
    params:
        code=code.fingerprint(EXPERIMENTS["sensitivity"].module),
    shell:
        "python -m empirical_size table sensitivity --data {input.data:q} --out {output:q} > {log:q} 2>&1"


rule sensitivity_plot:
    input:
        data=EXPERIMENTS["sensitivity"].data,
        paper=PAPER_CONFIG,
    output:
        report(
            "results/sensitivity.png",
            caption="../report/sensitivity.rst",
            category="E7: sensitivity",
        ),
    log:
        EXPERIMENTS["sensitivity"].log("plot"),
    conda:
        "../../envs/analysis.yaml"
    params:
        dpi=config["plot"]["dpi"],
        code=PLOT_CODE,
    shell:
        "python -m empirical_size plot sensitivity --data {input.data:q} --paper {input.paper:q} --dpi {params.dpi}"
        " --out {output:q} > {log:q} 2>&1"


rule sensitivity_lr_plot:
    input:
        data=EXPERIMENTS["sensitivity"].data,
        paper=PAPER_CONFIG,
    output:
        report(
            "results/sensitivity_lr.png",
            caption="../report/sensitivity_lr.rst",
            category="E7: sensitivity",
        ),
    log:
        EXPERIMENTS["sensitivity"].log("plot_lr"),
    conda:
        "../../envs/analysis.yaml"
    params:
        dpi=config["plot"]["dpi"],
        code=PLOT_CODE,
    shell:
        "python -m empirical_size plot sensitivity_lr --data {input.data:q} --paper {input.paper:q} --dpi {params.dpi}"
        " --out {output:q} > {log:q} 2>&1"
