# Every experiment's rules, generated from its record
# (experiments/<name>/record.py), so that a new experiment needs no rule
# copied here: training, its merge unless its rules file has its own (E6's
# and E7's read more than their jobs), its figures (its Plots) and tables.
# The helpers they call are common.smk's.
_e = _i = _p = _t = None  # bound even where no experiment has any: del below
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

    # Its figures and tables, each a rule of its record's (Plot, tables).
    for _i, _p in enumerate(_e.plots):

        rule:
            name:
                _p.rule_name
            input:
                **({"paper": PAPER_CONFIG} if _p.paper else {}),
                data=_e.data,
            output:
                report(
                    _p.path,
                    caption=_p.caption_file,
                    category=_e.category or _e.paper,
                ),
            log:
                _e.log(_p.log_step),
            wildcard_constraints:
                **{k: "|".join(v) for k, v in _p.wildcards.items()},
            localrule: True
            conda:
                "../../envs/analysis.yaml"
            params:
                figure=_p.figure,
                # the footer's reference: the paper's settings
                paper=f"--paper {PAPER_CONFIG}" if _p.paper else "",
                dpi=config["plot"]["dpi"],
                options=plot_options_of(_e.name, _i),
                code=plot_code(_e.name),
            shell:
                PLOT

    for _t in _e.tables:

        rule:
            name:
                f"{_t}_table"
            input:
                data=_e.data,
            output:
                report(
                    f"results/{_t}.csv",
                    caption=f"../report/{_t}_table.rst",
                    category=_e.category or _e.paper,
                ),
            log:
                _e.log(f"{_t}_table"),
            localrule: True
            conda:
                "../../envs/analysis.yaml"
            params:
                table=_t,
                code=table_code(_e.name),
            shell:
                "python -m empirical_size table {params.table} --data {input.data:q} --out {output:q} > {log:q} 2>&1"


del _e, _i, _p, _t  # no rule reads them later: every value above is taken now
