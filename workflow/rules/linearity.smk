# E5: linearity of training (the paper's Figures 4 and 5); and its frequency
# sweep (beyond the paper): one job per frequency of linearity.frequencies.
# Its figures (its training and merge rules: experiments.smk, from its record).
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
    localrule: True
    conda:
        "../../envs/analysis.yaml"
    params:
        dpi=config["plot"]["dpi"],
        code=plot_code("linearity"),
    shell:
        "(python -m empirical_size plot fig4 --data {input.data:q} --paper {input.paper:q} --dpi {params.dpi} --out {output.fig4:q}"
        " && python -m empirical_size plot fig5 --data {input.data:q} --paper {input.paper:q} --dpi {params.dpi}"
        " --out {output.fig5:q}) > {log:q} 2>&1"
