# Every experiment's training rule, and its merge rule unless its rules file
# has its own (E6's and E7's read more than their jobs): generated from its
# record (experiments/<name>/record.py), so that a new experiment needs no
# rule copied here. The helpers they call are common.smk's.
for e in EXPERIMENTS.values():

    rule:
        name:
            f"{e.name}_train"
        output:
            e.job,
        log:
            e.train_log,
        wildcard_constraints:
            **e.wildcards,
        priority: e.priority
        conda:
            "../../envs/train.yaml"
        threads: config["threads"]
        # GPUs: none where its record says one would not help; else the run's (default-)resources
        resources:
            **({} if e.gpu else {"gpu": 0}),
            runtime=runtime_of(e.name),
            mem_mb=mem_mb_of(e.name),
        params:
            kind=kind_of(e.name),
            spec=spec_of(e.name),
            code=train_code_of(e.name),
            backend=config["backend"],
            checkpoint=checkpoint_of(e.name),
        shell:
            TRAIN

    if e.merge is not None:

        rule:
            name:
                f"{e.name}_merge"
            input:
                jobs=e.jobs(config),
            output:
                e.data,
            log:
                e.log("merge"),
            localrule: True
            conda:
                "../../envs/analysis.yaml"
            params:
                experiment=e.name,
                options=merge_options(e.merge),
                config=as_json(grid.merge_config(config, e.name)),
                code=merge_code(e.merge),
            shell:
                "python -m empirical_size merge --experiment {params.experiment} {params.options}"
                " --config {params.config:q} --out {output:q} {input.jobs:q} > {log:q} 2>&1"
