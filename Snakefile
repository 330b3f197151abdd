# empirical-size: the experiments of "The Empirical Size of Trained Neural
# Networks" (Chen, Gamst, Walker) as one pipeline. Thin on purpose: the
# library under src/ does the work; rules only wire files together.
from snakemake.utils import min_version, validate

min_version("9.0")


configfile: "config/config.yaml"


validate(config, "workflow/schemas/config.schema.yaml")


include: "workflow/rules/common.smk"
include: "workflow/rules/size.smk"


rule all:
    default_target: True
    input:
        "results/fig1.png",
        "results/data/size.nc",
