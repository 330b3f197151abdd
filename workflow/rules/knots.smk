# E6 (beyond the paper): exact linear pieces of one-input networks, at
# initialisation (part init, numpy), after a few training steps from the
# paper's initialisation (part trained, the engine; when knots.steps lists
# steps) and during training of the E4 and E5 networks. Its training rule is
# experiments.smk's; its merge, here, reads E4's and E5's data sets too.
rule knots_merge:
    input:
        init=EXPERIMENTS["knots"].job.format(part="init"),
        trained=EXPERIMENTS["knots"].jobs(config)[1:],  # none when knots.steps is empty
        minima=EXPERIMENTS["minima"].data,
        linearity=EXPERIMENTS["linearity"].data,
    output:
        EXPERIMENTS["knots"].data,
    log:
        EXPERIMENTS["knots"].log("merge"),
    localrule: True
    conda:
        "../../envs/analysis.yaml"
    params:
        config=as_json(registry.merge_config(config, "knots")),
        code=code.fingerprint("empirical_size.experiments.knots.merge"),
    shell:
        "python -m empirical_size knots --init {input.init:q} --trained {input.trained:q} --minima {input.minima:q}"
        " --linearity {input.linearity:q} --config {params.config:q} --out {output:q} > {log:q} 2>&1"


rule knots_plot:
    input:
        data=EXPERIMENTS["knots"].data,
        paper=PAPER_CONFIG,
    output:
        report(
            "results/knots.png",
            caption="../report/knots.rst",
            category="E6: knots",
        ),
    log:
        EXPERIMENTS["knots"].log("plot"),
    localrule: True
    conda:
        "../../envs/analysis.yaml"
    params:
        dpi=config["plot"]["dpi"],
        code=plot_code("knots"),
    shell:
        "python -m empirical_size plot knots --data {input.data:q} --paper {input.paper:q} --dpi {params.dpi}"
        " --out {output:q} > {log:q} 2>&1"
