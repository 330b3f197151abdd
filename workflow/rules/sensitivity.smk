# E7 (beyond the paper): E1's and E2's headline numbers under settings the
# paper does not pin down (Adadelta epsilon and learning rate, precision,
# batch size, input distribution), one changed at a time; E2's at each depth
# of sensitivity.size. The baseline reuses E1's and E2's jobs. Its training
# rule is experiments.smk's; its merge, here, pairs each job with its setting.
from empirical_size.experiments.sensitivity import record as sensitivity


rule sensitivity_merge:
    input:
        degenerate=[path for _, path in sensitivity.jobs_of(config, "degenerate")],
        sizes=[path for _, path in sensitivity.jobs_of(config, "size")],
    output:
        EXPERIMENTS["sensitivity"].data,
    log:
        EXPERIMENTS["sensitivity"].log("merge"),
    localrule: True
    conda:
        "../../envs/analysis.yaml"
    params:
        degenerate=" ".join(
            shlex.quote(f"{label}={path}")
            for label, path in sensitivity.jobs_of(config, "degenerate")
        ),
        sizes=" ".join(
            shlex.quote(f"{label}={path}")
            for label, path in sensitivity.jobs_of(config, "size")
        ),
        settings=as_json(sensitivity.settings(config)),
        config=as_json(sensitivity.merged_config(config)),
        # its merge module imports the analysis and the record (the baseline's knobs)
        code=code.fingerprint("empirical_size.experiments.sensitivity.merge"),
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
    localrule: True
    conda:
        "../../envs/analysis.yaml"
    params:
        code=table_code("sensitivity"),
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
    localrule: True
    conda:
        "../../envs/analysis.yaml"
    params:
        dpi=config["plot"]["dpi"],
        code=plot_code("sensitivity"),
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
    localrule: True
    conda:
        "../../envs/analysis.yaml"
    params:
        dpi=config["plot"]["dpi"],
        code=plot_code("sensitivity"),
    shell:
        "python -m empirical_size plot sensitivity_lr --data {input.data:q} --paper {input.paper:q} --dpi {params.dpi}"
        " --out {output:q} > {log:q} 2>&1"


rule sensitivity_scale_plot:
    input:
        data=EXPERIMENTS["sensitivity"].data,
        paper=PAPER_CONFIG,
    output:
        report(
            "results/sensitivity_scale.png",
            caption="../report/sensitivity_scale.rst",
            category="E7: sensitivity",
        ),
    log:
        EXPERIMENTS["sensitivity"].log("plot_scale"),
    localrule: True
    conda:
        "../../envs/analysis.yaml"
    params:
        dpi=config["plot"]["dpi"],
        code=plot_code("sensitivity"),
    shell:
        "python -m empirical_size plot sensitivity_scale --data {input.data:q} --paper {input.paper:q} --dpi {params.dpi}"
        " --out {output:q} > {log:q} 2>&1"
