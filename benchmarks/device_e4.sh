#!/usr/bin/env bash
# Issue 36's GPU check, prepared to run in one device call: E4 at the
# paper's network (config/paper-cpu-minima.yaml: 4 x 500, 1,000 points in
# batches of 500, 20,000 epochs, 8 trials per bias variant) trained through
# the pipeline's own commands (train, merge, reproduce, plot: the device has
# no Snakemake), each job timed; then the bench's paper shapes with JAX (E4's
# and E8's width-500 network among them). The machine has no TensorFlow,
# Keras or netCDF4: their wheels travel in .whl/ (benchmarks/device_wheels.sh).
#
#   bash benchmarks/device_wheels.sh                      # here, once
#   device run, carry [".whl"]: bash benchmarks/device_e4.sh
#
# Outputs under $OUT (or ./device-e4): e4.log (timings, the E4 verdicts),
# reproduction-e4.csv, fig3.png, bench.log. Arguments: the config merged over
# config/config.yaml (default config/paper-cpu-minima.yaml); BACKEND (default
# jax), E4=0 (skip E4) and BENCH=0 (skip the bench) from the environment: a
# dry run on a CPU, or the two halves in two calls where one would outrun a
# call's 10 minutes (E4 is 2 jobs of 40,000 steps of 8 trials each).
set -o pipefail
config=${1:-config/paper-cpu-minima.yaml}
backend=${BACKEND:-jax}
export KERAS_BACKEND=$backend PYTHONUNBUFFERED=1
# The wheels only where the packages are missing (the GPU machine), never over
# a working install (a CPU with Python 3.11 here cannot take 3.12's wheels).
if ! python3 -c "import keras, netCDF4" 2>/dev/null && [ -d .whl ]; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 1
    export PYTHONPATH=/tmp/site
fi
export PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}"
out=${OUT:-device-e4}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out" "$work/jobs"
log="$out/e4.log"
{ nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>/dev/null || grep -m1 "model name" /proc/cpuinfo; } | tee "$log"
# Before any training: every import a job and its file need, and the devices JAX sees.
python3 -c "import keras, netCDF4, xarray, jax; print('keras', keras.__version__, 'jax', jax.__version__, jax.devices())" 2>&1 | tee -a "$log" || exit 1
if [ "${E4:-1}" != 0 ]; then
    # Each variant's spec, as the workflow's minima_train rule builds it: "NAME JSON" a line.
    specs=$(python3 - "$config" <<'PY'
import json, sys
from empirical_size.plan.registry import EXPERIMENTS, merge_config
from empirical_size.tools.bench import load_config
config, e = load_config(sys.argv[1]), EXPERIMENTS["minima"]
for v in config["minima"]["variants"]:
    print(v, json.dumps(e.spec(config, variant=v)))
print("merged", json.dumps(merge_config(config, "minima")))
PY
    ) || exit 1
    jobs=()
    while read -r name spec; do
        if [ "$name" = merged ]; then merged_config=$spec; continue; fi
        start=$(date +%s)
        python3 -m empirical_size train --job minima --backend "$backend" --spec "$spec" --out "$work/jobs/$name.nc" \
            </dev/null 2>&1 | tee -a "$log" || exit 1
        echo "E4 $name: $(($(date +%s) - start)) s on the clock" | tee -a "$log"
        jobs+=("$work/jobs/$name.nc")
    done <<<"$specs"
    python3 -m empirical_size merge --experiment minima --config "$merged_config" --out "$work/minima.nc" "${jobs[@]}" 2>&1 \
        | tee -a "$log" || exit 1
    python3 -m empirical_size reproduce --data "minima=$work/minima.nc" --out "$out/reproduction-e4.csv" 2>&1 \
        | grep -E "E4_|ERROR|Error|Traceback" | tee -a "$log" || exit 1
    python3 -m empirical_size plot fig3 --data "$work/minima.nc" --paper config/paper.yaml --out "$out/fig3.png" 2>&1 \
        | tee -a "$log" || exit 1
fi
if [ "${BENCH:-1}" != 0 ]; then
    python3 -m empirical_size.tools.bench --backend "$backend" --shapes paper --no-check --seconds 1 --baseline-trials 1 \
        --record-every 50 2>&1 | tee "$out/bench.log" || exit 1
fi
