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
