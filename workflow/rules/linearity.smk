# E5: linearity of training (the paper's Figures 4 and 5).


rule linearity_train:
    input:
        code=TRAIN_FUNCTION_CODE + [str(PKG / "experiments" / "linearity.py")],
    output:
        "results/jobs/linearity/all.nc",
    log:
        "results/logs/linearity/train.log",
    conda:
        "../../envs/train.yaml"
    threads: config["threads"]
    resources:
        gpu=config["cluster"]["gpus"],
        runtime=runtime_of(linearity_spec),
        mem_mb=mem_mb_of(linearity_spec),
    params:
        spec=linearity_spec,
        backend=config["backend"],
        checkpoint=lambda wildcards, output: grid.checkpoint_path(output[0]),
    shell:
        "python -m empirical_size train --job linearity --backend {params.backend} --threads {threads}"
        " --spec {params.spec:q} --checkpoint {params.checkpoint:q}"
        " --out {output:q} > {log:q} 2>&1"


rule linearity_merge:
    input:
        jobs="results/jobs/linearity/all.nc",
        code=MERGE_CODE,
    output:
        "results/data/linearity.nc",
    log:
        "results/logs/linearity/merge.log",
    conda:
        "../../envs/analysis.yaml"
    params:
        config=as_json(grid.merge_config(config, "linearity")),
    shell:
        "python -m empirical_size merge --job linearity --experiment linearity"
        " --config {params.config:q} --out {output:q} {input.jobs:q} > {log:q} 2>&1"


rule fig4_fig5:
    input:
        data="results/data/linearity.nc",
        code=PLOT_CODE + [str(PKG / "experiments" / "linearity.py")],
    output:
        fig4=report(
            "results/fig4.png",
            caption="../report/fig4.rst",
            category="Figures 4 and 5: linearity",
        ),
        fig5=report(
            "results/fig5.png",
            caption="../report/fig5.rst",
            category="Figures 4 and 5: linearity",
        ),
    log:
        "results/logs/fig4_fig5.log",
    conda:
        "../../envs/analysis.yaml"
    params:
        dpi=config["plot"]["dpi"],
    shell:
        "(python -m empirical_size plot fig4 --data {input.data:q} --dpi {params.dpi} --out {output.fig4:q}"
        " && python -m empirical_size plot fig5 --data {input.data:q} --dpi {params.dpi}"
        " --out {output.fig5:q}) > {log:q} 2>&1"
