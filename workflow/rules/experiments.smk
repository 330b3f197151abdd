# Every experiment's training rule, and its merge rule unless its rules file
# has its own (E6's and E7's read more than their jobs): generated from its
# record (experiments/<name>/record.py), so that a new experiment needs no
# rule copied here. The helpers they call are common.smk's.
_e = None  # bound even where no experiment is found: del below
for _e in EXPERIMENTS.values():

    rule:
        name:
            f"{_e.name}_train"
        output:
            _e.job,
        log:
            _e.train_log,
        wildcard_constraints:
            **_e.wildcards,
        priority: _e.priority
        conda:
            "../../envs/train.yaml"
        threads: config["threads"]
        # GPUs: none where its record says one would not help; else the run's (default-)resources
        resources:
            **({} if _e.gpu else {"gpu": 0}),
            runtime=runtime_of(_e.name),
            mem_mb=mem_mb_of(_e.name),
        params:
            kind=kind_of(_e.name),
            spec=spec_of(_e.name),
            code=train_code_of(_e.name),
            backend=config["backend"],
            checkpoint=checkpoint_of(_e.name),
        shell:
            TRAIN

    if _e.merge is not None:

        rule:
            name:
                f"{_e.name}_merge"
            input:
                jobs=_e.jobs(config),
            output:
                _e.data,
            log:
                _e.log("merge"),
            localrule: True
            conda:
                "../../envs/analysis.yaml"
            params:
                experiment=_e.name,
                options=merge_options(_e.merge),
                config=as_json(registry.merge_config(config, _e.name)),
                code=merge_code(_e.merge),
            shell:
                "python -m empirical_size merge --experiment {params.experiment} {params.options}"
                " --config {params.config:q} --out {output:q} {input.jobs:q} > {log:q} 2>&1"


del _e  # no rule reads it later: every value above is taken now
