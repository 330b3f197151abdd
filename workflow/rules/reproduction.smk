# The paper's claims against this run: reference values from the library's
# paper_values.yaml, ours from the merged data sets its claims read (derived
# from the claims: a new claim needs no edit here; named <experiment>_data,
# as "size" is reserved), and a verdict for each.
from empirical_size.analysis import reproduction as claims_reference
from empirical_size.analysis.claims import claim_modules


rule reproduction:
    input:
        unpack(
            lambda wildcards: {
                f"{name}_data": EXPERIMENTS[name].data
                for name in claims_reference.data_sets()
            }
        ),
    output:
        report(
            registry.REPRODUCTION,
            caption="../report/reproduction.rst",
            category="Reproduction: the paper against this run",
        ),
    log:
        "results/logs/reproduction.log",
    localrule: True
    conda:
        "../../envs/analysis.yaml"
    params:
        data=lambda wildcards, input: " ".join(
            shlex.quote(f"{name.removesuffix('_data')}={path}")
            for name, path in input.items()
        ),
        # the verdicts and every experiment's measures (found by name, not imported)
        code=code.fingerprint("empirical_size.analysis.reproduction", *claim_modules()),
        # the claims of experiment packages' own paper_values.yaml (the library's is in the code's)
        claims=code.digest(*claims_reference.reference_files()[1:]),
    shell:
        "python -m empirical_size reproduce --data {params.data} --out {output:q} > {log:q} 2>&1"


# The table at a glance: each claim's interval against the paper's (a forest
# plot), drawn from the table alone: editing how it is drawn redraws it only.
rule reproduction_plot:
    input:
        registry.REPRODUCTION,
    output:
        report(
            registry.REPRODUCTION_FIGURE,
            caption="../report/reproduction_plot.rst",
            category="Reproduction: the paper against this run",
        ),
    log:
        "results/logs/reproduction_plot.log",
    localrule: True
    conda:
        "../../envs/analysis.yaml"
    params:
        dpi=config["plot"]["dpi"],
        code=code.fingerprint("empirical_size.analysis.reproduction_figure"),
    shell:
        "python -m empirical_size reproduction-plot --table {input:q} --dpi {params.dpi} --out {output:q} > {log:q} 2>&1"


# The report's first page: the workflow's description, then the tables
# (Snakefile's report directive points here): the reproduction table and
# every experiment's tables (their records'), each as its analysis shows it.
TABLES = {t: f"results/{t}.csv" for t in registry.TABLES}


rule report_text:
    input:
        description="workflow/report/workflow.rst",
        reproduction=registry.REPRODUCTION,
        figure=registry.REPRODUCTION_FIGURE,
        tables=list(TABLES.values()),
    output:
        registry.REPORT_TEXT,
    log:
        "results/logs/report_text.log",
    localrule: True
    conda:
        "../../envs/analysis.yaml"
    params:
        tables=" ".join(shlex.quote(f"{name}={path}") for name, path in TABLES.items()),
        code=code.fingerprint(
            "empirical_size.analysis.report",
            *sorted(
                {f"{e.package}.analysis" for e in EXPERIMENTS.values() if e.tables}
            ),
        ),
    shell:
        "python -m empirical_size report-text --description {input.description:q}"
        " --tables reproduction={input.reproduction:q} {params.tables} --figure {input.figure:q} --out {output:q} > {log:q} 2>&1"
