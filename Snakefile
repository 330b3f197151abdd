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
# Every experiment's rules (training, merge, figures, tables), from its record.
include: "workflow/rules/experiments.smk"


# An experiment's own rules file, named after it: a merge that reads more
# than its jobs (E6's, E7's). Light rules are local (localrule).
_name = None  # bound even where no experiment is found: del below
for _name in EXPERIMENTS:
    if os.path.exists(
        os.path.join(workflow.basedir, "workflow", "rules", f"{_name}.smk")
    ):

        include: f"workflow/rules/{_name}.smk"


del _name  # rules files must not late-bind to the loop's last experiment


include: "workflow/rules/reproduction.smk"


# A failed run's last lines: each job that failed on every attempt (a cluster
# resubmits per the profile's retries), its rule, output and log.
onerror:
    for _line in failure_summary(log):
        print(_line, file=sys.stderr)


rule all:
    default_target: True
    input:
        registry.targets(),
    localrule: True
