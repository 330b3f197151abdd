#!/usr/bin/env bash
# Second GPU measurement: E3's mini-batch jobs with shuffles drawn on the
# device, the GPU's large-matmul rate, and how a mini-batch step's time
# grows with the trials in one call (what packing E3 would buy).
set -o pipefail
if [ -d .whl ]; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 1
    export PYTHONPATH=/tmp/site
fi
export PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}" KERAS_BACKEND=jax PYTHONUNBUFFERED=1 XLA_PYTHON_CLIENT_MEM_FRACTION=0.4
out=${OUT:-.}
python3 - <<'PY' 2>&1 | tee "$out/e3.log"
from empirical_size.engine import backend
backend.select("jax")
from empirical_size.tools.bench import matmul_gflops
from empirical_size.engine.minibatch import BatchPlan
from empirical_size.tools.estimate import time_shape
print("device:", backend.device())
for p in ("float32", "tensorfloat32"):
    backend.set_matmul_precision(p)
    print(f"matmul 8192^2 {p}: {matmul_gflops(1.0):.0f} GFLOP/s", flush=True)
backend.set_matmul_precision("float32")
section = {"inputs": 3, "width": 64}
for trials in (128, 1024, 7552):
    t = time_shape(4, 2500, trials, section, 0.5, BatchPlan(2500, 256, "keep"))
    print(f"mini-batch keep, depth 4, n 2500, {trials} trials: {t.epoch_seconds * 1e3:.3f} ms/epoch "
          f"({t.epoch_seconds / 10 * 1e6:.1f} us/step), compile {t.compile_seconds:.1f} s", flush=True)
PY
python3 -m empirical_size.tools.bench --backend jax --no-check --no-table --seconds 0.5 \
    --estimate config/paper.yaml --parts "E3 mini-batch" "$@" 2>&1 | tee -a "$out/e3.log"
