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
        "python -m empirical_size knots-merge --init {input.init:q} --trained {input.trained:q} --minima {input.minima:q}"
        " --linearity {input.linearity:q} --config {params.config:q} --out {output:q} > {log:q} 2>&1"
