# E8: artificial boosting (beyond the paper: its Section 4's open question),
# one job per network width and amplitude: its table and figure (its
# training and merge rules: experiments.smk, from its record).
rule boosting_table:
    input:
        data=EXPERIMENTS["boosting"].data,
    output:
        report(
            "results/boosting.csv",
            caption="../report/boosting_table.rst",
            category="E8: artificial boosting",
        ),
    log:
        EXPERIMENTS["boosting"].log("table"),
    localrule: True
    conda:
        "../../envs/analysis.yaml"
    params:
        code=table_code("boosting"),
    shell:
        "python -m empirical_size table boosting --data {input.data:q} --out {output:q} > {log:q} 2>&1"


rule boosting_plot:
    input:
        data=EXPERIMENTS["boosting"].data,
    output:
        report(
            "results/boosting.png",
            caption="../report/boosting.rst",
            category="E8: artificial boosting",
        ),
    log:
        EXPERIMENTS["boosting"].log("plot"),
    localrule: True
    conda:
        "../../envs/analysis.yaml"
    params:
        dpi=config["plot"]["dpi"],
        code=plot_code("boosting"),
    shell:
        "python -m empirical_size plot boosting --data {input.data:q} --dpi {params.dpi} --out {output:q} > {log:q} 2>&1"
