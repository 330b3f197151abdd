#!/usr/bin/env bash
# The fused gradient kernel on the GPU (JAX): float64 and float32 checks
# against jax.grad, a sweep of its tilings in both float32 precisions
# (float32 through Triton's tf32x3), then the benchmark table for each with
# its best tiling (and, with ESTIMATE=1, the paper's E2 + E3). Each phase has
# its own time limit, so that one stuck phase leaves the others' output;
# about 8 minutes on an H200 (Triton compiles take 5-50 s a shape).
set -o pipefail
if [ -d .whl ]; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 1
    export PYTHONPATH=/tmp/site
fi
export PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}" KERAS_BACKEND=jax PYTHONUNBUFFERED=1
export XLA_PYTHON_CLIENT_MEM_FRACTION=0.4  # the estimate starts a second JAX process
out=${OUT:-.}
log="$out/fused.log"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>&1 | tee "$log"
python3 -c "import jax, keras; print('jax', jax.__version__, 'keras', keras.__version__)" 2>&1 | tee -a "$log"
timeout 60 python3 benchmarks/fused_sweep.py --float64 2>&1 | tee -a "$log"
f64=$?
timeout 300 python3 benchmarks/fused_sweep.py 2>&1 | tee -a "$log"
for precision in tensorfloat32 float32; do
    best=$(sed -n "s/^best $precision: \([0-9a-z,]*\)\$/\1/p" "$log" | tail -1)
    [ -n "$best" ] || continue
    echo "$precision: tiling $best (float64 check exit status $f64)" | tee -a "$log"
    # no float64 check here: the best tiling may not fit float64's shared memory
    EMPIRICAL_SIZE_FUSED=$best timeout 100 python3 -m empirical_size.tools.bench --backend jax --seconds 0.4 \
        --depths 4 2 --sizes 2500 500 20 --precision "$precision" --no-check 2>&1 | tee -a "$out/bench.log"
    [ -z "$ESTIMATE" ] || EMPIRICAL_SIZE_FUSED=$best python3 -m empirical_size.tools.bench --backend jax --no-check --no-table \
        --seconds 0.3 --precision "$precision" --estimate config/paper.yaml 2>&1 | tee -a "$out/estimate.log"
done
