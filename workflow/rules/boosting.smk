# E8: artificial boosting (beyond the paper: its Section 4's open question),
# one job per network width and amplitude.
wildcard_constraints:
    width=r"\d+",
    amplitude=r"\d+(\.\d+)?",


rule boosting_train:
    output:
        EXPERIMENTS["boosting"].job,
    log:
        EXPERIMENTS["boosting"].train_log,
    conda:
        "../../envs/train.yaml"
    threads: config["threads"]
    resources:
        runtime=runtime_of("boosting"),
        mem_mb=mem_mb_of("boosting"),
    params:
        kind=kind_of("boosting"),
        spec=spec_of("boosting"),
        code=train_code_of("boosting"),
        backend=config["backend"],
        checkpoint=checkpoint_of("boosting"),
    shell:
        TRAIN


rule boosting_merge:
    input:
        jobs=EXPERIMENTS["boosting"].jobs(config),
    output:
        EXPERIMENTS["boosting"].data,
    log:
        EXPERIMENTS["boosting"].log("merge"),
    conda:
        "../../envs/analysis.yaml"
    params:
        config=as_json(grid.merge_config(config, "boosting")),
        code=MERGE_CODE,
    shell:
        "python -m empirical_size merge --experiment boosting --grid width amplitude --config {params.config:q}"
        " --out {output:q} {input.jobs:q} > {log:q} 2>&1"


rule boosting_table:
    input:
        data=EXPERIMENTS["boosting"].data,
    output:
        report(
            "results/boosting.csv",
            caption="../report/boosting_table.rst",
            category="E8: artificial boosting",
        ),
    log:
        EXPERIMENTS["boosting"].log("table"),
    conda:
        "../../envs/analysis.yaml"
    params:
        code=code.fingerprint("empirical_size.experiments.boosting.analysis"),
    shell:
        "python -m empirical_size table boosting --data {input.data:q} --out {output:q} > {log:q} 2>&1"


rule boosting_plot:
    input:
        data=EXPERIMENTS["boosting"].data,
    output:
        report(
            "results/boosting.png",
            caption="../report/boosting.rst",
            category="E8: artificial boosting",
        ),
    log:
        EXPERIMENTS["boosting"].log("plot"),
    conda:
        "../../envs/analysis.yaml"
    params:
        dpi=config["plot"]["dpi"],
        code=code.fingerprint("empirical_size.experiments.boosting.figure"),
    shell:
        "python -m empirical_size plot boosting --data {input.data:q} --dpi {params.dpi} --out {output:q} > {log:q} 2>&1"
