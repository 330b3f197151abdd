# E1: degenerate neurons (paper section 2.1): its table and figure (its
# training and merge rules: experiments.smk, from its record).
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
    localrule: True
    conda:
        "../../envs/analysis.yaml"
    params:
        code=table_code("degenerate"),
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
    localrule: True
    conda:
        "../../envs/analysis.yaml"
    params:
        marked=config["degenerate"]["report_layers"],
        dpi=config["plot"]["dpi"],
        code=plot_code("degenerate"),
    shell:
        "python -m empirical_size plot degenerate --data {input.data:q} --paper {input.paper:q} --marked {params.marked}"
        " --dpi {params.dpi} --out {output:q} > {log:q} 2>&1"
