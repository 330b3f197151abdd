# E2: error and size of networks fitting noise (the paper's Figure 1): its
# figure (its training and merge rules: experiments.smk, from its record).
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
    localrule: True
    conda:
        "../../envs/analysis.yaml"
    params:
        cmap=config["plot"]["cmap"],
        dpi=config["plot"]["dpi"],
        code=plot_code("size"),
    shell:
        "python -m empirical_size plot fig1 --data {input.data:q} --paper {input.paper:q} --cmap {params.cmap:q} --dpi {params.dpi}"
        " --out {output:q} > {log:q} 2>&1"
