# empirical-size: the experiments of "The Empirical Size of Trained Neural
# Networks" (Chen, Gamst, Walker) as one pipeline. Thin on purpose: the
# library under src/ does the work; rules only wire files together.
import os

from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


# The report's first page: the workflow's description and the tables (made
# by rule report_text); the description alone until that has run.
report:
    "results/report.rst"
    if os.path.exists("results/report.rst")
    else "workflow/report/workflow.rst"


# The library's path, the config's checks (schema, then across keys), the
# training command and the code trigger.
include: "workflow/rules/common.smk"


# Merges, tables and figures are light: they run where Snakemake runs.
localrules:
    all,
    degenerate_merge,
    degenerate_table,
    degenerate_plot,
    size_merge,
    fig1,
    batching_merge,
    fig2,
    fig2_remedy,
    fig2_compare,
    minima_merge,
    fig3,
    linearity_merge,
    fig4_fig5,
    knots_merge,
    knots_plot,
    sensitivity_merge,
    sensitivity_table,
    sensitivity_plot,
    sensitivity_lr_plot,
    boosting_merge,
    boosting_table,
    boosting_plot,
    reproduction,
    report_text,


include: "workflow/rules/degenerate.smk"
include: "workflow/rules/size.smk"
include: "workflow/rules/batching.smk"
include: "workflow/rules/minima.smk"
include: "workflow/rules/linearity.smk"
include: "workflow/rules/knots.smk"
include: "workflow/rules/sensitivity.smk"
include: "workflow/rules/boosting.smk"
include: "workflow/rules/reproduction.smk"


rule all:
    default_target: True
    input:
        grid.targets(),
