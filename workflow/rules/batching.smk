# E3: mini-batches and the remainder batch (the paper's Figure 2), with the
# two remedies the paper suggests (drop, resample) as variants: its figures
# (its training and merge rules: experiments.smk, from its record).
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
    localrule: True
    conda:
        "../../envs/analysis.yaml"
    params:
        cmap=config["plot"]["cmap"],
        dpi=config["plot"]["dpi"],
        code=plot_code("batching"),
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
    localrule: True
    conda:
        "../../envs/analysis.yaml"
    params:
        cmap=config["plot"]["cmap"],
        dpi=config["plot"]["dpi"],
        code=plot_code("batching"),
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
    localrule: True
    conda:
        "../../envs/analysis.yaml"
    params:
        cmap=config["plot"]["cmap"],
        dpi=config["plot"]["dpi"],
        code=plot_code("batching"),
    shell:
        "python -m empirical_size plot fig2_compare --data {input.data:q} --paper {input.paper:q} --cmap {params.cmap:q}"
        " --dpi {params.dpi} --out {output:q} > {log:q} 2>&1"
