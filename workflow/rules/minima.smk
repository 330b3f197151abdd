# E4: local minima on a sawtooth (the paper's Figure 3), zero initial biases
# (the paper) against non-zero ones: its figure (its training and merge
# rules: experiments.smk, from its record).
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
    localrule: True
    conda:
        "../../envs/analysis.yaml"
    params:
        dpi=config["plot"]["dpi"],
        code=plot_code("minima"),
    shell:
        "python -m empirical_size plot fig3 --data {input.data:q} --paper {input.paper:q} --dpi {params.dpi}"
        " --out {output:q} > {log:q} 2>&1"
