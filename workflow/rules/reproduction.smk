# The paper's claims against this run: reference values from the library's
# paper_values.yaml, ours from the merged data sets, and a verdict for each.
rule reproduction:
    input:
        degenerate=EXPERIMENTS["degenerate"].data,
        size_data=EXPERIMENTS["size"].data,
        linearity=EXPERIMENTS["linearity"].data,
    output:
        report(
            grid.REPRODUCTION,
            caption="../report/reproduction.rst",
            category="Reproduction: the paper against this run",
        ),
    log:
        "results/logs/reproduction.log",
    conda:
        "../../envs/analysis.yaml"
    params:
        code=code.fingerprint("empirical_size.reproduction"),
    shell:
        "python -m empirical_size reproduce --data degenerate={input.degenerate:q}"
        " size={input.size_data:q} linearity={input.linearity:q} --out {output:q} > {log:q} 2>&1"


# The report's first page: the workflow's description, then the tables
# (Snakefile's report directive points here).
rule report_text:
    input:
        description="workflow/report/workflow.rst",
        reproduction=grid.REPRODUCTION,
        degenerate="results/degenerate.csv",
        sensitivity="results/sensitivity.csv",
    output:
        grid.REPORT_TEXT,
    log:
        "results/logs/report_text.log",
    conda:
        "../../envs/analysis.yaml"
    params:
        code=code.fingerprint("empirical_size.report"),
    shell:
        "python -m empirical_size report-text --description {input.description:q}"
        " --tables reproduction={input.reproduction:q} degenerate={input.degenerate:q}"
        " sensitivity={input.sensitivity:q} --out {output:q} > {log:q} 2>&1"
